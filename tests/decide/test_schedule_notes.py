"""A schedule borrowed from another condition or treatment says so wherever it is cited.

The knowledge base gives many options a schedule that no study of that option in that condition
tested: PRP plus exosomes follows the PRP trials, exosomes for shedding or patchy hair loss
borrow pattern-hair-loss ranges, PRP for pigmentation borrows the facial PRP trial. Each such
protocol says so in its ``note``. Cited without that note ("4 sessions, 4-5 weeks apart
[Ezz El-Dawla 2023]" for the combination), the schedule would read as one the cited trial
tested. So the note travels with the sources: in the assessment's ``plan`` block, in the
Option Grid's sessions cell and on the results page's plan card.
"""

from __future__ import annotations

import re

import pytest

from regenaid.decide import assess, parse_intake
from regenaid.decide.grid import build_grid
from regenaid.knowledge import load_knowledge

KB = load_knowledge()
# protocols whose schedule no study of this option in this condition tested, by their notes
BORROWED = sorted(
    (p.treatment, p.condition)
    for p in KB.protocols.values()
    if p.note and re.search(r"borrowed|No trial|follows the", p.note)
)


def test_the_borrowed_schedules_are_the_ones_expected() -> None:
    # every combination (no trial of PRP plus exosomes exists) and the known borrowings; the
    # test fails if a note is reworded so that it no longer says what was borrowed
    combinations = {c for t, c in BORROWED if t == "combination"}
    assert combinations == {
        p.condition for p in KB.protocols.values() if p.treatment == "combination"
    }
    for expected in (
        ("exosome", "telogen_effluvium"),
        ("exosome", "alopecia_areata"),
        ("prp", "pigmentation"),
        ("prp", "volume_loss"),
        ("prp", "scars"),
    ):
        assert expected in BORROWED


def _intake(condition: str) -> dict[str, object]:
    concern = KB.conditions[condition].concern
    return {"concern": concern, "condition": condition, "age": 40, "sex": "female",
            "severity": "moderate"}  # fmt: skip


@pytest.mark.parametrize(("treatment", "condition"), BORROWED)
def test_the_plan_and_the_grid_say_where_a_borrowed_schedule_comes_from(
    treatment: str, condition: str
) -> None:
    protocol = KB.protocol(treatment, condition)  # type: ignore[arg-type]
    assert protocol is not None and protocol.note
    assessment = assess(parse_intake(_intake(condition)), KB)
    option = next(o for o in assessment.options if o.treatment == treatment)
    assert option.plan["note"] == protocol.note
    assert option.plan["sources"] == list(protocol.sources)

    grid = build_grid(KB, condition)
    sessions = next(r for r in grid.rows if r.id == "sessions")
    cell = next(c for c in sessions.cells if c.treatment == treatment)
    assert protocol.note in cell.text and cell.sources == list(protocol.sources)
    assert protocol.note not in cell.lead  # the lead stays the schedule itself


def test_an_option_without_a_protocol_has_no_note() -> None:
    assessment = assess(parse_intake(_intake("androgenetic_alopecia")), KB)
    nothing = next(o for o in assessment.options if o.treatment == "no_treatment")
    assert nothing.plan["note"] is None
