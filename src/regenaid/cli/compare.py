"""``regenaid compare``: the Option Grid of a condition (rows = questions, columns = options).

Without ``--condition`` it shows androgenetic alopecia, the most common reason people ask about
PRP and exosomes and the condition with the most evidence; ``--condition all`` shows every
condition (one grid after another; JSON: a list).
"""

from __future__ import annotations

from enum import StrEnum
from typing import IO, TYPE_CHECKING, cast

import typer

from regenaid.cli.assess import DiscardWriter, natural_course_certainty
from regenaid.cli.common import check_output, fail, guarded, write_output
from regenaid.errors import InvalidInputError

if TYPE_CHECKING:
    from regenaid.decide import OptionGrid
    from regenaid.decide.grid import GridCell

DEFAULT_CONDITION = "androgenetic_alopecia"


class CompareFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def _cell_lines(cell: GridCell) -> list[str]:
    lines = [cell.text]
    if cell.certainty is not None:
        level = cell.certainty.value
        # no new treatment: how well the untreated course is known, not evidence that it works
        lines.append(
            natural_course_certainty(level)
            if cell.treatment == "no_treatment"
            else f"Certainty: {level.replace('_', ' ')}"
        )
    if cell.sources:
        lines.append(f"[{', '.join(cell.sources)}]")
    if cell.disagreement:
        lines.append("Sources disagree:")
        lines.extend(f"- {c.label}: {c.text} [{', '.join(c.sources)}]" for c in cell.disagreement)
    elif cell.claims:
        lines.append("What sources claim:")
        lines.extend(f"- {c.label}: {c.text} [{', '.join(c.sources)}]" for c in cell.claims)
    return lines


def grid_markdown(grid: OptionGrid) -> str:
    """The grid as a Markdown table (cells joined with <br>, pipes escaped)."""

    def esc(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    head = "| Question | " + " | ".join(esc(o.name) for o in grid.options) + " |"
    rule = "|---" * (len(grid.options) + 1) + "|"
    lines = [f"## Option Grid: {grid.condition_name}", "", head, rule]
    for row in grid.rows:
        cells = ["<br>".join(esc(line) for line in _cell_lines(c)) for c in row.cells]
        lines.append(f"| **{esc(row.question)}** | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        "Claims from clinic pages are labelled as claims. This grid informs a conversation "
        "with a qualified clinician; it is not a prescription."
    )
    return "\n".join(lines) + "\n"


def grid_text(grid: OptionGrid, width: int = 160) -> str:
    """The grid as a plain-text table."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Option Grid: {grid.condition_name}", show_lines=True)
    table.add_column("Question", style="bold", max_width=24)
    for option in grid.options:
        table.add_column(option.name)
    for row in grid.rows:
        table.add_row(Text(row.question), *[Text("\n".join(_cell_lines(c))) for c in row.cells])
    console = Console(
        width=width,
        record=True,
        color_system=None,
        file=cast("IO[str]", DiscardWriter()),
        markup=False,
    )
    console.print(table)
    console.print(
        "Claims from clinic pages are labelled as claims. This grid informs a conversation "
        "with a qualified clinician; it is not a prescription."
    )
    return console.export_text()


@guarded
def compare_cmd(
    condition: str = typer.Option(
        DEFAULT_CONDITION, "--condition", help="Condition id, or 'all' for every condition."
    ),
    format: CompareFormat = typer.Option(CompareFormat.text, "--format", help="Output format."),
    jurisdiction: str | None = typer.Option(
        None, "--jurisdiction", help="ISO 3166-1 alpha-2 code for the regulatory row."
    ),
    out: str | None = typer.Option(
        None, "--out", help="Write here instead of stdout (- is stdout)."
    ),
) -> None:
    """Show the Option Grid: the questions people ask, answered for each option."""
    from regenaid.decide import build_grid
    from regenaid.decide.codes import COUNTRY_CODES
    from regenaid.knowledge import load_knowledge

    check_output(out)
    if jurisdiction is not None and jurisdiction not in COUNTRY_CODES:
        raise fail(f"invalid --jurisdiction {jurisdiction!r}: not an ISO 3166-1 alpha-2 code")
    kb = load_knowledge()
    ids = list(kb.conditions) if condition == "all" else [condition]
    try:
        grids = [build_grid(kb, c, jurisdiction) for c in ids]
    except InvalidInputError as exc:
        raise fail(f"invalid --condition: {exc}") from None
    if format is CompareFormat.json:
        if condition == "all":
            import json

            payload = json.dumps([g.model_dump(mode="json") for g in grids], indent=2) + "\n"
        else:
            payload = grids[0].model_dump_json(indent=2) + "\n"
    elif format is CompareFormat.markdown:
        payload = "\n".join(grid_markdown(g) for g in grids)
    else:
        payload = "\n".join(grid_text(g) for g in grids)
    write_output(payload, out)
