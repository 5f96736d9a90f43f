"""``regenaid assess FILE|-``: read an intake, print the assessment (CONTRACT §3).

Exit 0 with the assessment; exit 2 with exactly one line on stderr for an unreadable file, a
file over 1 MB, an invalid intake (the line names the field) or an ``--out`` that cannot be
written (nothing is left behind).
"""

from __future__ import annotations

from enum import StrEnum
from typing import IO, TYPE_CHECKING, cast

import typer

from regenaid.cli.common import check_output, fail, guarded, read_input, write_output
from regenaid.errors import InvalidInputError, KnowledgeError

if TYPE_CHECKING:
    from regenaid.decide import Assessment, OptionAssessment


class AssessFormat(StrEnum):
    json = "json"
    text = "text"
    html = "html"
    pdf = "pdf"


def assessment_text(assessment: Assessment) -> str:
    """A readable plain-text form of the assessment (no colour codes)."""
    from rich.console import Console

    console = Console(
        width=100,
        record=True,
        file=cast("IO[str]", DiscardWriter()),
        color_system=None,
        markup=False,
    )
    _print_assessment(console, assessment)
    return console.export_text()


class DiscardWriter:
    """A file for a recording rich console: what is written is dropped; the record is kept."""

    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        return None


def _certainty_cell(option: OptionAssessment) -> str:
    """The table's evidence cell: for no new treatment, the certainty is of what is known about
    the natural course (from trials' placebo groups), not of a benefit."""
    level = option.certainty.value.replace("_", " ")
    return f"{level} (natural course)" if option.treatment == "no_treatment" else level


def _certainty_line(option: OptionAssessment) -> str:
    if option.treatment == "no_treatment":  # the pages' and the PDF's words
        return f"{natural_course_certainty(option.certainty.value)}."
    return f"Evidence: {option.certainty.value.replace('_', ' ')} certainty."


def natural_course_certainty(certainty: str) -> str:
    """How well no new treatment's natural course is known, as the pages and the PDF say it."""
    from regenaid.reports.i18n import catalogue, certainty_key

    return catalogue()(certainty_key("no_treatment", certainty))


# The plan lines of an option, in the results page's order (templates/results.html): sessions,
# how often, top-ups, when results show and how long they last (relapse after stopping).
PLAN_LINES = ("daily_home", "sessions", "interval", "maintenance", "results_after", "lasts")


def _print_assessment(console: object, assessment: Assessment) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from regenaid.reports.assessment_view import build_view
    from regenaid.reports.i18n import catalogue

    assert isinstance(console, Console)
    # "Not ruled out by your answers", with the regulatory caveat where one applies (the same
    # words as the web page and the report).
    view = build_view(assessment)
    eligibility = {o.id: o.eligibility_line for o in view.options}
    plan_lines = {o.id: [o.lines[k] for k in PLAN_LINES if o.lines.get(k)] for o in view.options}
    console.print(
        f"Assessment for {assessment.condition_name} "
        f"({assessment.severity}, horizon {assessment.horizon_months} months"
        + (f", {assessment.jurisdiction}" if assessment.jurisdiction else "")
        + ")"
    )
    recommended = view.recommended_option
    console.print(  # the best-fit line of the web page and the report
        catalogue()(view.recommended_key, option=recommended.name)
        if recommended is not None
        else "Best fit: none of the options can be offered now."
    )
    console.print()
    table = Table(show_lines=False)
    for column in ("Rank", "Option", "Your answers", "Fit", "Evidence", "Cost over horizon"):
        table.add_column(column)
    for o in sorted(assessment.options, key=lambda o: (o.rank is None, o.rank or 0)):
        total = o.cost.get("horizon_total")
        cost = (
            f"{o.cost.get('currency')} {total.get('expected', 0):,.0f}"
            if isinstance(total, dict)
            else "-"
        )
        cells = (
            str(o.rank) if o.rank else "-",
            o.name,
            eligibility.get(o.treatment, o.eligibility),
            f"{o.score:.2f}" if o.score is not None else "not ranked",
            _certainty_cell(o),
            cost,
        )
        table.add_row(*(Text(cell) for cell in cells))
    console.print(table)
    for o in assessment.options:
        console.print()
        line = eligibility.get(o.treatment, o.eligibility)
        console.print(f"{o.name}: {line}{'' if line.endswith('.') else '.'} {_certainty_line(o)}")
        if o.treatment == "conventional" and o.benefits:  # what usual care is, for this condition
            console.print(f"  What it is: {o.benefits[0].text}")
        for r in o.reasons:
            line = f"  - {r.level}: {r.text}"
            if r.come_back:
                line += f" Come back: {r.come_back}"
            console.print(line + (f" [{', '.join(r.sources)}]" if r.sources else ""))
        for line in o.why:
            console.print(f"  * {line}")
        if o.treatment != "no_treatment":  # its "harm" is the natural course, said above
            for h in o.harms:  # benefits and harms in the same detail (IPDAS), as on the page
                console.print(
                    f"  Harm: {h.text}" + (f" [{', '.join(h.sources)}]" if h.sources else "")
                )
        if o.treatment != "no_treatment":  # the results page's plan, its note and sources
            for text in plan_lines.get(o.treatment, ()):
                console.print(f"  Plan: {text}")
            note, sources = o.plan.get("note"), o.plan.get("sources")
            if note or sources:
                cited = f" [{', '.join(map(str, sources))}]" if isinstance(sources, list) else ""
                console.print(f"  Plan: {note or ''}{cited}".rstrip())
        where = "anywhere" if o.regulatory.jurisdiction == "*" else o.regulatory.jurisdiction
        console.print(f"  Regulatory ({where}): {o.regulatory.text}")
        console.print(f"  Evidence: {o.evidence.summary}")
        claims = {c.id: c for c in o.claims}
        for d in o.disagreements:
            console.print(f"  ! {d.text}")
            for claim_id in d.claim_ids:
                c = claims[claim_id]
                note = f" ({c.note})" if c.note else ""
                console.print(f"      {c.label}: {c.text}{note} [{', '.join(c.sources)}]")
    console.print()
    for n in assessment.notices:
        console.print(f"Note: {n.text}")


@guarded
def assess_cmd(
    file: str = typer.Argument(..., help="Intake file (YAML or JSON), or - to read stdin."),
    format: AssessFormat = typer.Option(
        AssessFormat.text,
        "--format",
        help="Output format (CONTRACT §3: text by default; scripts ask for json).",
    ),
    out: str | None = typer.Option(
        None, "--out", help="Write here instead of stdout (- is stdout)."
    ),
) -> None:
    """Assess an intake: every option, whether it is open to you, fit and evidence."""
    from regenaid.decide import assess, load_intake_text

    check_output(out)
    text = read_input(file)
    try:
        intake = load_intake_text(text)
    except InvalidInputError as exc:
        raise fail(f"invalid intake: {exc}") from None
    try:
        assessment = assess(intake)
    except KnowledgeError as exc:
        raise fail(f"knowledge base error: {exc}", code=1) from None

    payload: str | bytes
    if format is AssessFormat.json:
        payload = assessment.model_dump_json(indent=2) + "\n"
    elif format is AssessFormat.text:
        payload = assessment_text(assessment)
    else:
        try:
            from regenaid.reports import assessment_report
        except ImportError:
            raise fail(
                f"--format {format.value} needs regenaid.reports, which is missing"
            ) from None
        if format is AssessFormat.html:
            payload = assessment_report.render_assessment_html(assessment, intake=intake)
        else:
            payload = assessment_report.render_assessment_pdf(assessment, intake=intake)
    write_output(payload, out)
