"""Effect sizes from a table of rows (e.g. a CSV read by the CLI), with errors naming the column.

Recognised columns (first match wins):

- ``yi`` with ``vi`` (or ``sei``): effect sizes given directly;
- ``m1i, sd1i, n1i, m2i, sd2i, n2i``: two-group means for MD, SMD, SMDH, ROM;
- ``ai, bi, ci, di`` (or ``ai, n1i, ci, n2i``): 2x2 tables for RR, OR, RD.

An empty cell is a missing value: the study is kept in the table and left out of the fit (as
metafor's ``na.omit``). Impossible values are errors naming the column and row (counted from
1 under the header): a non-finite number, ``sei`` <= 0, a negative SD or cell count, a
group size that is not a whole number >= 1, more events than participants, a mean <= 0 for
ROM, and a row whose values give no finite effect size or variance (e.g. SMD with n = 1 per
group). A study label is taken from the first of ``study``, ``label``,
``author``, ``id`` that exists.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from regenaid.errors import InvalidInputError
from regenaid.evidence._inputs import FloatArray
from regenaid.evidence.effect_sizes import MEASURES, escalc
from regenaid.safe_input import MAX_NUMBER_CHARS

LABEL_COLUMNS = ("study", "label", "author", "id")
MEANS = ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")
CELLS = ("ai", "bi", "ci", "di")
CELLS_N = ("ai", "n1i", "ci", "n2i")


@dataclass(frozen=True, slots=True)
class EffectTable:
    measure: str
    yi: FloatArray
    vi: FloatArray
    labels: tuple[str, ...]


Rule = str
"""What a column allows: "any" (a finite number), "positive" (> 0), "nonneg" (>= 0),
"count" (a whole number >= 1, e.g. a group size)."""

RULES: dict[str, Rule] = {
    # vi <= 0 is refused by the model (rma: "vi[0]: sampling variances must be > 0")
    "sei": "positive",
    "sd1i": "nonneg",
    "sd2i": "nonneg",
    "n1i": "count",
    "n2i": "count",
    "ai": "nonneg",
    "bi": "nonneg",
    "ci": "nonneg",
    "di": "nonneg",
}
RULE_WORDS = {
    "positive": "must be greater than 0",
    "nonneg": "must not be negative",
    "count": "must be a whole number of at least 1 (a number of participants)",
}


def _column(
    rows: Sequence[Mapping[str, str | None]], name: str, rule: Rule | None = None
) -> FloatArray:
    """The numbers of column ``name`` (NaN for an empty cell); errors name the column and row
    (rows counted from 1, the first row under the header)."""
    rule = rule or RULES.get(name, "any")
    values = []
    for i, row in enumerate(rows, start=1):
        raw = (row.get(name) or "").strip()
        if raw == "" or raw.upper() in ("NA", "NAN"):
            values.append(math.nan)
            continue
        if len(raw) > MAX_NUMBER_CHARS:
            raise InvalidInputError(
                f"{name} (row {i})", f"a number of {len(raw)} characters is too long"
            )
        try:
            value = float(raw)
        except ValueError:
            raise InvalidInputError(f"{name} (row {i})", f"{raw!r} is not a number") from None
        if not math.isfinite(value):
            raise InvalidInputError(f"{name} (row {i})", "must be finite")
        ok = {
            "any": True,
            "positive": value > 0,
            "nonneg": value >= 0,
            "count": value >= 1 and value.is_integer(),
        }[rule]
        if not ok:
            raise InvalidInputError(f"{name} (row {i})", f"{RULE_WORDS[rule]}, got {raw}")
        values.append(value)
    return np.asarray(values, dtype=np.float64)


def _check_computed(
    measure: str,
    yi: FloatArray,
    vi: FloatArray,
    inputs: Sequence[FloatArray],
    positive_vi: bool = True,
) -> None:
    """A row whose inputs are all given must give a finite effect size and variance (> 0)."""
    given = ~np.any(np.isnan(np.vstack(inputs)), axis=0)
    ok = np.isfinite(yi) & np.isfinite(vi)
    if positive_vi:
        ok &= vi > 0
    bad = given & ~ok
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(
            f"row {i + 1}",
            f"the {measure} effect size cannot be computed from this row's values "
            f"(yi {yi[i]:g}, vi {vi[i]:g})",
        )


def effects_from_rows(rows: Sequence[Mapping[str, str | None]], measure: str) -> EffectTable:
    """``yi``/``vi`` and labels for ``measure`` from ``rows`` (see the module docstring)."""
    if measure not in MEASURES:
        raise InvalidInputError("measure", f"unknown measure {measure!r}", allowed=MEASURES)
    if not rows:
        raise InvalidInputError("rows", "the table has no rows")
    columns = set(rows[0])
    label_col = next((c for c in LABEL_COLUMNS if c in columns), None)
    labels = tuple(
        (row.get(label_col) or f"Study {i}") if label_col else f"Study {i}"
        for i, row in enumerate(rows, start=1)
    )
    if "yi" in columns:
        yi = _column(rows, "yi")
        if "vi" in columns:
            vi = _column(rows, "vi")
        elif "sei" in columns:
            with np.errstate(over="ignore"):
                vi = _column(rows, "sei") ** 2
        else:
            raise InvalidInputError("vi", "a yi column needs a vi (or sei) column")
        _check_computed(measure, yi, vi, (yi, vi), positive_vi=False)
        return EffectTable(measure, yi, vi, labels)
    if measure in ("MD", "SMD", "SMDH", "ROM"):
        missing = [c for c in MEANS if c not in columns]
        if missing:
            raise InvalidInputError(
                missing[0], f"column is missing for measure {measure}", allowed=MEANS
            )
        mean_rule = "positive" if measure == "ROM" else "any"  # ROM is a log ratio of means
        m1, s1, n1, m2, s2, n2 = (
            _column(rows, c, mean_rule if c in ("m1i", "m2i") else None) for c in MEANS
        )
        inputs: tuple[FloatArray, ...] = (m1, s1, n1, m2, s2, n2)
        es = escalc(measure, m1i=m1, sd1i=s1, n1i=n1, m2i=m2, sd2i=s2, n2i=n2)
    elif measure in ("RR", "OR", "RD"):
        if all(c in columns for c in CELLS):
            a, b, c_, d = (_column(rows, c) for c in CELLS)
            inputs = (a, b, c_, d)
            es = escalc(measure, ai=a, bi=b, ci=c_, di=d)
        elif all(c in columns for c in CELLS_N):
            a, n1, c_, n2 = (_column(rows, c) for c in CELLS_N)
            for events, total, names in ((a, n1, ("ai", "n1i")), (c_, n2, ("ci", "n2i"))):
                over = np.flatnonzero(events > total)
                if over.size:
                    i = int(over[0])
                    raise InvalidInputError(
                        f"{names[0]} (row {i + 1})",
                        f"{events[i]:g} events is more than {names[1]} = {total[i]:g}",
                    )
            inputs = (a, n1, c_, n2)
            es = escalc(measure, ai=a, n1i=n1, ci=c_, n2i=n2)
        else:
            missing = [c for c in CELLS if c not in columns]
            raise InvalidInputError(
                missing[0], f"column is missing for measure {measure}", allowed=CELLS
            )
    else:
        raise InvalidInputError(
            "measure", f"{measure} needs yi and vi columns in a table", allowed=("yi", "vi")
        )
    _check_computed(measure, es.yi, es.vi, inputs)
    return EffectTable(measure, es.yi, es.vi, labels)
