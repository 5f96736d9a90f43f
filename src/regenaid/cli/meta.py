"""``regenaid meta FILE.csv`` (meta-analysis of a table) and ``regenaid evidence`` (the pooled
effects and certainty the aid uses, per treatment). Bad input: exit 2, one line on stderr."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import warnings
from enum import StrEnum
from typing import Any

import typer

from regenaid.cli.common import check_output, fail, guarded, read_input, write_output
from regenaid.errors import InvalidInputError, KnowledgeError
from regenaid.safe_input import TABLE_MAX_BYTES

MAX_TABLE_ROWS = 100_000
"""Most rows ``regenaid meta`` reads (with TABLE_MAX_BYTES, 5 MB)."""
MAX_FOREST_STUDIES = 2_000
"""Most studies drawn in a forest plot."""


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def _read_rows(path: str) -> list[dict[str, str | None]]:
    text = read_input(path, what="table", max_bytes=TABLE_MAX_BYTES)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows: list[dict[str, str | None]] = []
    try:
        for row in reader:
            if len(rows) >= MAX_TABLE_ROWS:
                raise fail(f"{path}: more than {MAX_TABLE_ROWS:,} rows, the limit for a table")
            values = [v for v in row.values() if isinstance(v, str)]
            if any(v.strip() for v in values):
                rows.append(
                    {(k or "").strip(): v if isinstance(v, str) else None for k, v in row.items()}
                )
    except csv.Error as exc:
        raise fail(f"{path}: not a readable CSV table (line {reader.line_num}: {exc})") from None
    if reader.fieldnames is None or not rows:
        raise fail(f"{path}: the CSV has no header or no rows")
    return rows


def _finite_or_fail(values: dict[str, Any]) -> None:
    """Exit 2 naming the first number of the result that is not finite."""
    for name, value in values.items():
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if item is not None and not math.isfinite(float(item)):
                raise fail(
                    f"the model gives a non-finite {name} ({item}); the effect sizes or "
                    "variances are out of the range that can be fitted"
                )


def _num(x: float | None, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{digits}f}"


@guarded
def meta_cmd(
    file: str = typer.Argument(..., help="CSV with escalc columns (or yi,vi); '-' for stdin."),
    measure: str = typer.Option("MD", "--measure", help="MD, SMD, SMDH, ROM, RR, OR, RD."),
    method: str = typer.Option(
        "REML", "--method", help="EE, FE, DL, HE, HS, SJ, ML, REML, EB, PM."
    ),
    test: str = typer.Option("z", "--test", help="z or knha (Knapp-Hartung)."),
    level: float = typer.Option(95.0, "--level", help="Confidence level in percent."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
    forest: str | None = typer.Option(None, "--forest", help="Write a forest plot (.svg/.png)."),
    out: str | None = typer.Option(
        None, "--out", help="Write the result here instead of stdout (- is stdout)."
    ),
) -> None:
    """Meta-analysis of a CSV table (effect sizes as metafor's escalc, model as rma)."""
    import numpy as np

    # extreme inputs overflow inside the model or its back-transformation: whatever is not
    # finite is refused below (exit 2), so floating-point warnings are not shown
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _meta(file, measure, method, test, level, output, forest, out)
        except OverflowError as exc:
            raise fail(f"the numbers are too large for the model ({exc})") from None


def _meta(
    file: str,
    measure: str,
    method: str,
    test: str,
    level: float,
    output: OutputFormat,
    forest: str | None,
    out: str | None,
) -> None:
    import numpy as np

    from regenaid.evidence import rma
    from regenaid.evidence.tabular import effects_from_rows

    check_output(forest, "--forest")
    if forest is not None and not forest.lower().endswith((".svg", ".png")):
        raise fail(f"--forest: {forest!r} must end in .svg or .png")
    check_output(out)
    rows = _read_rows(file)
    try:
        table = effects_from_rows(rows, measure.upper())
        res = rma(table.yi, table.vi, method=method, test=test, level=level)
        pred = res.predict()
        het = res.confint() if res.is_random and res.k - res.p >= 1 else None
    except InvalidInputError as exc:
        index = re.fullmatch(r"(?:yi|vi)\[(\d+)\]", exc.field)
        row = f" (row {int(index.group(1)) + 1} of the table)" if index else ""
        raise fail(f"{exc}{row}") from None
    except (ArithmeticError, np.linalg.LinAlgError) as exc:
        raise fail(
            f"the model cannot be fitted to these numbers ({type(exc).__name__}: {exc}); "
            "check the effect sizes and variances"
        ) from None
    kept = [i for i in range(len(table.labels)) if i not in set(res.dropped)]
    result: dict[str, Any] = {
        "measure": table.measure,
        "method": res.method,
        "test": res.test,
        "level": res.level,
        "k": res.k,
        "dropped": [table.labels[i] for i in res.dropped],
        "estimate": res.estimate,
        "se": res.se,
        "zval": res.zval,
        "tval": res.tval,
        "df": res.df,
        "pval": res.pval,
        "ci_lb": res.ci_lb,
        "ci_ub": res.ci_ub,
        "pi_lb": pred.pi_lb,
        "pi_ub": pred.pi_ub,
        "tau2": res.tau2,
        "se_tau2": res.se_tau2,
        "tau2_ci": [het.tau2.ci_lb, het.tau2.ci_ub] if het else None,
        "I2": res.I2,
        "I2_ci": [het.I2.ci_lb, het.I2.ci_ub] if het else None,
        "H2": res.H2,
        "QE": res.QE,
        "QEp": res.QEp,
        "studies": [
            {"label": table.labels[i], "yi": float(y), "vi": float(v), "weight": w}
            for i, y, v, w in zip(kept, res.yi, res.vi, res.weights, strict=True)
        ],
    }
    _finite_or_fail(
        {
            k: result[k]
            for k in (
                "estimate",
                "se",
                "zval",
                "tval",
                "pval",
                "ci_lb",
                "ci_ub",
                "pi_lb",
                "pi_ub",
                "tau2",
                "se_tau2",
                "tau2_ci",
                "I2",
                "I2_ci",
                "H2",
                "QE",
                "QEp",
            )
        }
        | {"weight": [s["weight"] for s in result["studies"]]}
    )
    ratio = table.measure in ("RR", "OR", "ROM")
    if ratio:
        _finite_or_fail(
            {
                "back-transformed estimate": [
                    math.exp(res.estimate),
                    math.exp(res.ci_lb),
                    math.exp(res.ci_ub),
                ]
            }
        )
    if forest is not None:
        from regenaid.reports.evidence_plots import forest_plot

        if len(kept) > MAX_FOREST_STUDIES:
            raise fail(f"--forest: more than {MAX_FOREST_STUDIES:,} studies are not drawn")
        plot = forest_plot(
            res,
            [table.labels[i] for i in kept],
            xlabel=table.measure,
            transform=math.exp if ratio else None,
        )
        image: str | bytes = plot.png if forest.lower().endswith(".png") else plot.svg
        write_output(image, forest, "--forest")
    if output is OutputFormat.json:
        write_output(json.dumps(result, indent=2, allow_nan=False) + "\n", out)
        return
    stat = "t" if res.test == "knha" else "z"
    lines = [
        f"Meta-analysis: {table.measure}, {res.method} (test={res.test}), k = {res.k}",
    ]
    if res.dropped:
        lines.append(f"Left out (missing values): {', '.join(result['dropped'])}")
    lines += [
        f"estimate {_num(res.estimate)}  se {_num(res.se)}  {stat} {_num(res.zval)}"
        + (f" (df {res.df})" if res.df else "")
        + f"  p {res.pval:.4g}",
        f"{res.level:g}% CI [{_num(res.ci_lb)}, {_num(res.ci_ub)}]"
        f"  prediction interval [{_num(pred.pi_lb)}, {_num(pred.pi_ub)}]",
        f"tau² {_num(res.tau2)}"
        + (f" (se {_num(res.se_tau2)})" if res.se_tau2 is not None else "")
        + (f" CI [{_num(het.tau2.ci_lb)}, {_num(het.tau2.ci_ub)}]" if het else "")
        + f"  I² {res.I2:.2f}%  H² {res.H2:.2f}",
        f"Q({res.k - res.p}) = {res.QE:.4f}, p = {res.QEp:.4g}",
    ]
    if ratio:
        lines.append(
            f"back-transformed: {math.exp(res.estimate):.4f} "
            f"[{math.exp(res.ci_lb):.4f}, {math.exp(res.ci_ub):.4f}]"
        )
    write_output("\n".join(lines) + "\n", out)


def _profile_json(p: Any) -> dict[str, Any]:
    pooled = p.pooled
    return {
        "condition": p.condition,
        "treatment": p.treatment,
        "certainty": p.certainty.value,
        "headline": p.headline,
        "headline_review": p.headline_review.id if p.headline_review is not None else None,
        "certainty_reasons": list(p.certainty_reasons),
        "summary": p.summary,
        "pooled": None
        if pooled is None
        else {
            "measure": pooled.measure,
            "unit": pooled.unit,
            "outcome": pooled.outcome,
            "comparator": pooled.comparator,
            "estimate": pooled.estimate,
            "ci_lb": pooled.ci_lb,
            "ci_ub": pooled.ci_ub,
            "pi_lb": pooled.pi_lb,
            "pi_ub": pooled.pi_ub,
            "I2": pooled.I2,
            "tau2": pooled.tau2,
            "k": pooled.k,
            "n": pooled.n,
            "method": pooled.method,
            "test": pooled.test,
        },
        "published": [
            {
                "id": s.id,
                "study": s.study,
                "outcome": s.outcome,
                "measure": s.extra.get("measure"),
                "unit": s.unit,
                "effect": s.effect,
                "ci_low": s.ci_low,
                "ci_high": s.ci_high,
                "i2": s.extra.get("i2"),
                "k_studies": s.extra.get("k_studies"),
                "n_total": s.extra.get("n_total"),
                "published_certainty": s.published_certainty.value
                if s.published_certainty
                else None,
                "note": s.note,
                "sources": list(s.sources),
            }
            for s in p.published
        ],
        "studies": [
            {
                "id": s.id,
                "study": s.study,
                "design": s.design,
                "note": s.note,
                "sources": list(s.sources),
            }
            for s in p.studies
        ],
        "sources": list(p.sources),
    }


def _profile_text(p: Any) -> str:
    out = [f"  {p.treatment}: {p.certainty.value.replace('_', ' ')} certainty"]
    if p.headline == "published" and p.headline_review is not None:
        out[0] += f" (headline: published review {p.headline_review.study})"
    elif p.headline == "ours":
        out[0] += " (headline: our pooling)"
    if p.pooled is not None:
        q = p.pooled
        out.append(
            f"    our pooling ({q.method}, {q.test}): {q.measure} {q.estimate:.2f} {q.unit} "
            f"[{q.ci_lb:.2f}, {q.ci_ub:.2f}], prediction interval [{q.pi_lb:.2f}, "
            f"{q.pi_ub:.2f}], I² {q.I2:.0f}%, k {q.k}, n {q.n}"
        )
    for s in p.published:
        effect = ""
        if s.effect is not None and s.ci_low is not None:
            effect = (
                f" {s.extra.get('measure')} {s.effect:g} [{s.ci_low:g}, {s.ci_high:g}] {s.unit}"
            )
        i2 = f", I² {s.extra['i2']}%" if s.extra.get("i2") else ""
        rating = (
            f", rated {s.published_certainty.value.replace('_', ' ')}"
            if s.published_certainty
            else ""
        )
        out.append(f"    published: {s.study} ({s.outcome}){effect}{i2}{rating}")
    for reason in p.certainty_reasons:
        out.append(f"    - {reason}")
    out.append(f"    {p.summary}")
    return "\n".join(out)


@guarded
def evidence_cmd(
    condition: str | None = typer.Option(None, "--condition", help="Condition id (default all)."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
    out: str | None = typer.Option(
        None, "--out", help="Write here instead of stdout (- is stdout)."
    ),
) -> None:
    """Pooled effects and GRADE-style certainty per treatment, from the cited study table."""
    from regenaid.evidence.profile import evidence_profile
    from regenaid.knowledge.model import CONDITIONS_BY_CONCERN, TREATMENT_IDS

    check_output(out)
    all_conditions = [c for cs in CONDITIONS_BY_CONCERN.values() for c in cs]
    if condition is not None and condition not in all_conditions:
        raise fail(
            str(InvalidInputError("condition", f"unknown condition {condition!r}", all_conditions))
        )
    try:
        studies = _load_studies()
    except KnowledgeError as exc:
        raise fail(str(exc)) from None
    chosen = [condition] if condition else all_conditions
    profiles = [evidence_profile(studies, c, t) for c in chosen for t in TREATMENT_IDS]
    if output is OutputFormat.json:
        write_output(json.dumps([_profile_json(p) for p in profiles], indent=2) + "\n", out)
        return
    blocks = []
    for c in chosen:
        body = "\n".join(_profile_text(p) for p in profiles if p.condition == c)
        blocks.append(f"{c}\n{body}")
    write_output("\n\n".join(blocks) + "\n", out)


def _load_studies() -> tuple[Any, ...]:
    """The study table from the knowledge base (validated with every bibliography file)."""
    from regenaid.knowledge import load_knowledge

    return tuple(load_knowledge().studies)
