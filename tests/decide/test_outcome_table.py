"""The outcome table per option (decide.outcomes): five cells, honest about what is unknown,
and never quoting a man's medicine to a woman."""

from __future__ import annotations

import re

import pytest
from tiny_kb import tiny_kb

from regenaid.decide import assess, parse_intake
from regenaid.decide.outcomes import NOT_MEASURED, NOT_MEASURED_LASTING, outcome_rows
from regenaid.knowledge import KnowledgeBase, load_knowledge
from regenaid.knowledge.model import OUTCOME_KEYS

SEXES = ("female", "male", "other")
SEVERITIES = ("mild", "moderate", "advanced")
FINASTERIDE = re.compile(r"finasteride|propecia", re.IGNORECASE)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


def _every_cell(kb: KnowledgeBase, sexes: tuple[str, ...] = SEXES):  # type: ignore[no-untyped-def]
    for condition in kb.conditions.values():
        for treatment in condition.treatments:
            for sex in sexes:
                for severity in SEVERITIES:
                    for cell in outcome_rows(kb, condition.id, treatment, sex, severity):
                        yield condition.id, treatment, sex, severity, cell


def test_every_option_of_every_condition_has_the_five_outcomes_in_order(
    kb: KnowledgeBase,
) -> None:
    for condition in kb.conditions.values():
        for treatment in condition.treatments:
            for sex in SEXES:
                for severity in SEVERITIES:
                    cells = outcome_rows(kb, condition.id, treatment, sex, severity)
                    assert tuple(c.outcome for c in cells) == OUTCOME_KEYS
                    assert all(c.label and c.text for c in cells)


def test_a_woman_never_sees_finasteride(kb: KnowledgeBase) -> None:
    for condition, treatment, _, _, cell in _every_cell(kb, ("female",)):
        assert not FINASTERIDE.search(cell.text), (condition, treatment, cell.text)
        assert not any(FINASTERIDE.search(s) for s in cell.sources), (condition, cell.sources)


def test_a_man_with_pattern_hair_loss_sees_the_finasteride_numbers(kb: KnowledgeBase) -> None:
    cells = {
        c.outcome: c
        for c in outcome_rows(kb, "androgenetic_alopecia", "conventional", "male", "mild")
    }
    side = cells["side_effects"]
    assert "finasteride" in side.text and side.per_100 is not None
    # the label's first-year figures: 3.8% vs 2.1% with placebo
    assert (side.per_100.treated, side.per_100.control) == (4, 2)


def test_cells_with_nothing_measured_say_so_and_carry_no_certainty(kb: KnowledgeBase) -> None:
    for condition, treatment, _, _, cell in _every_cell(kb):
        if cell.status == "measured":
            assert cell.certainty is not None and cell.sources, (condition, treatment, cell)
            continue
        assert cell.certainty is None and cell.per_100 is None, (condition, treatment, cell)
        if cell.status == "not_measured":
            low = cell.text.lower()
            assert "no study" in low or "not known" in low, cell.text
        else:
            assert treatment == "no_treatment", cell


def test_defaults_use_the_plain_words(kb: KnowledgeBase) -> None:
    cells = outcome_rows(kb, "volume_loss", "exosome", "female", "mild")
    assert cells[0].text == NOT_MEASURED and cells[0].certainty is None
    assert cells[-1].text == NOT_MEASURED_LASTING


def test_texts_are_at_most_25_words(kb: KnowledgeBase) -> None:
    for _, _, _, _, cell in _every_cell(kb):
        assert len(cell.text.split()) <= 25, cell.text


def test_unknown_harms_are_never_called_absent(kb: KnowledgeBase) -> None:
    for _, treatment, _, _, cell in _every_cell(kb):
        if cell.outcome in ("side_effects", "serious_harms") and treatment != "no_treatment":
            assert not re.search(r"\bno (side effects|harms?)\b", cell.text.lower()), cell.text


def test_prp_pattern_hair_loss_measure_is_the_published_headline(kb: KnowledgeBase) -> None:
    # Kieling 2024 meta-analysis: MD 27.55 hairs/cm2 (95% CI 14.04 to 41.06), 13 RCTs, low.
    cell = outcome_rows(kb, "androgenetic_alopecia", "prp", "male", "mild")[1]
    assert cell.outcome == "measure" and cell.status == "measured"
    assert "27.6" in cell.text and "14" in cell.text and "41.1" in cell.text
    assert "placebo" in cell.text and cell.certainty is not None
    assert cell.certainty.value == "low"


def test_severity_chooses_the_evidence_for_usual_care_in_alopecia_areata(
    kb: KnowledgeBase,
) -> None:
    severe = outcome_rows(kb, "alopecia_areata", "conventional", "female", "advanced")[0]
    patches = outcome_rows(kb, "alopecia_areata", "conventional", "female", "mild")[0]
    assert "baricitinib" in severe.text and severe.per_100 is not None
    assert "baricitinib" not in patches.text and "steroid" in patches.text


def test_waiting_causes_no_treatment_harms_but_shows_the_natural_course(
    kb: KnowledgeBase,
) -> None:
    cells = outcome_rows(kb, "androgenetic_alopecia", "no_treatment", "male", "mild")
    assert cells[0].status == "measured" and "worse" in cells[0].text
    assert cells[2].status == cells[3].status == "not_applicable"


def test_a_knowledge_base_without_outcome_rows_still_gives_five_cells() -> None:
    kb = tiny_kb()
    for condition in kb.conditions.values():
        for treatment in condition.treatments:
            cells = outcome_rows(kb, condition.id, treatment, "female", "mild")
            assert [c.outcome for c in cells] == list(OUTCOME_KEYS)


def test_the_assessment_carries_the_outcome_table_for_each_option() -> None:
    intake = {
        "concern": "hair",
        "condition": "androgenetic_alopecia",
        "age": 35,
        "sex": "female",
        "severity": "mild",
    }
    data = assess(parse_intake(intake)).model_dump(mode="json")
    for option in data["options"]:
        assert [c["outcome"] for c in option["outcomes"]] == list(OUTCOME_KEYS)
        for cell in option["outcomes"]:
            assert not FINASTERIDE.search(cell["text"])
    usual = next(o for o in data["options"] if o["treatment"] == "conventional")
    assert usual["outcomes"][0]["per_100"] == {
        "treated": 26,
        "control": 14,
        "comparator": "placebo (dummy liquid)",
        "weeks": None,
    }
