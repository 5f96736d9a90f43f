"""The outcome table's data (``outcomes.yaml``): cited, short, and equal to the published numbers.

The expected numbers below are typed from the papers and labels themselves (quoted in each
case), never taken from the data file: the test checks that the data says what was published.
Published percentages become whole people out of 100 by ordinary rounding.
"""

from __future__ import annotations

from typing import Any

import pytest

from regenaid.errors import KnowledgeError
from regenaid.knowledge import KnowledgeBase, load_knowledge
from regenaid.knowledge.model import OutcomeRow, Per100
from regenaid.knowledge.outcomes_data import MAX_WORDS, NOT_MEASURED_WORDS, read_outcome_rows


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


def _rows(kb: KnowledgeBase) -> list[OutcomeRow]:
    return [row for rows in kb.outcomes.values() for row in rows]


def _row(
    kb: KnowledgeBase,
    condition: str,
    treatment: str,
    outcome: str,
    sex: str = "female",
    severity: str = "moderate",
) -> OutcomeRow:
    rows = kb.outcomes[(condition, treatment)]  # type: ignore[index]
    return next(r for r in rows if r.outcome == outcome and r.applies(sex, severity))


def test_every_row_cites_known_sources_and_says_what_was_read(kb: KnowledgeBase) -> None:
    rows = _rows(kb)
    assert len(rows) > 50
    for row in rows:
        assert row.sources and all(s in kb.sources for s in row.sources), row
        assert not all(kb.sources[s].is_marketing for s in row.sources), row
        assert row.verification.strip(), row


def test_texts_are_one_short_sentence(kb: KnowledgeBase) -> None:
    for row in _rows(kb):
        assert len(row.text.split()) <= MAX_WORDS, row.text


def test_rows_without_certainty_say_nothing_was_measured(kb: KnowledgeBase) -> None:
    for row in _rows(kb):
        if row.certainty is None:
            assert any(w in row.text.lower() for w in NOT_MEASURED_WORDS), row.text
            assert row.per_100 is None


def test_per_100_counts_are_whole_people_and_quoted_in_the_text(kb: KnowledgeBase) -> None:
    for row in _rows(kb):
        per = row.per_100
        if per is None:
            continue
        assert 0 <= per.treated <= 100 and str(per.treated) in row.text
        assert per.control is None or (0 <= per.control <= 100 and per.comparator)


def _per100(percent: float) -> int:
    return round(percent)


# (condition, treatment, outcome, sex, severity) -> the published numbers, with where they are.
PUBLISHED: list[tuple[tuple[str, str, str, str, str], Per100, str]] = [
    (
        ("female_pattern_hair_loss", "conventional", "improvement", "female", "mild"),
        # van Zuuren 2016 (Cochrane), abstract: 157/593 on minoxidil vs 77/555 on placebo
        # reported moderate to marked regrowth.
        Per100(_per100(100 * 157 / 593), _per100(100 * 77 / 555), "placebo (dummy liquid)", None),
        "van Zuuren 2016",
    ),
    (
        ("androgenetic_alopecia", "conventional", "improvement", "female", "mild"),
        Per100(_per100(100 * 157 / 593), _per100(100 * 77 / 555), "placebo (dummy liquid)", None),
        "van Zuuren 2016 (women with pattern hair loss)",
    ),
    (
        ("androgenetic_alopecia", "conventional", "side_effects", "male", "mild"),
        # Finasteride 1 mg, first 12 months: sexual dysfunction 3.8% vs 2.1% on placebo
        # (PMC6369643 Table 1; the label's integrated analysis: 36 of 945 vs 20 of 934).
        Per100(_per100(3.8), _per100(2.1), "placebo", 52),
        "Propecia label data via PMC6369643",
    ),
    (
        ("alopecia_areata", "conventional", "improvement", "male", "advanced"),
        # King 2022 (NEJM), BRAVE-AA1: SALT <= 20 at week 36 in 38.8% on 4 mg vs 6.2% placebo.
        Per100(_per100(38.8), _per100(6.2), "placebo", 36),
        "BRAVE-AA1",
    ),
    (
        ("alopecia_areata", "no_treatment", "improvement", "male", "advanced"),
        Per100(_per100(6.2), None, None, 36),
        "BRAVE-AA1 placebo arm",
    ),
    (
        ("alopecia_areata", "prp", "improvement", "male", "mild"),
        # Cruciani 2021 Table II: triamcinolone 61 per 100, PRP 64 per 100 (3-12 months).
        Per100(64, 61, "steroid shots (triamcinolone)", None),
        "Cruciani 2021 Table II",
    ),
    (
        ("alopecia_areata", "conventional", "improvement", "male", "mild"),
        Per100(61, None, None, None),
        "Cruciani 2021 Table II, triamcinolone arm",
    ),
    (
        ("alopecia_areata", "no_treatment", "improvement", "male", "mild"),
        # Alopecia UK: "80% of people with just a few patches ... experience regrowth".
        Per100(80, None, None, None),
        "Alopecia UK",
    ),
    (
        ("fine_lines_wrinkles", "conventional", "improvement", "male", "mild"),
        # BMJ Clinical Evidence 2014: 98/159 (62%) on tretinoin 0.02% vs 65/169 (39%, as
        # printed) on vehicle, 24 weeks.
        Per100(62, 39, "plain cream", 24),
        "Manriquez 2014 results table",
    ),
    (
        ("fine_lines_wrinkles", "no_treatment", "improvement", "male", "mild"),
        Per100(39, None, None, 24),
        "Manriquez 2014, vehicle arm",
    ),
    (
        ("female_pattern_hair_loss", "no_treatment", "improvement", "female", "mild"),
        Per100(_per100(100 * 77 / 555), None, None, None),
        "van Zuuren 2016, placebo arm",
    ),
    (
        ("female_pattern_hair_loss", "conventional", "side_effects", "female", "mild"),
        # PMC6691938 Table 3, Blume-Peytavi 2011: facial hypertrichosis 33% on 5% foam, 24 weeks.
        Per100(33, None, None, 24),
        "Blume-Peytavi 2011",
    ),
    (
        ("volume_loss", "conventional", "improvement", "female", "mild"),
        # Few 2015: 92.8% rated cheek volume improved at 6 months.
        Per100(_per100(92.8), None, None, 26),
        "Few 2015",
    ),
]


@pytest.mark.parametrize(("cell", "expected", "where"), PUBLISHED, ids=[p[2] for p in PUBLISHED])
def test_per_100_numbers_equal_the_published_numbers(
    kb: KnowledgeBase, cell: tuple[str, str, str, str, str], expected: Per100, where: str
) -> None:
    condition, treatment, outcome, sex, severity = cell
    assert _row(kb, condition, treatment, outcome, sex, severity).per_100 == expected, where


def test_finasteride_rows_are_never_for_women(kb: KnowledgeBase) -> None:
    for row in _rows(kb):
        about_finasteride = "finasteride" in row.text.lower() or any(
            "finasteride" in s for s in row.sources
        )
        if about_finasteride:
            assert row.sexes and "female" not in row.sexes, row.text


def test_baricitinib_rows_are_for_severe_disease_only(kb: KnowledgeBase) -> None:
    for row in _rows(kb):
        if "baricitinib" in row.text.lower() or "king-2022-brave-aa" in row.sources:
            assert row.severities == ("advanced",), row.text


# --- the loader's checks (read_outcome_rows on hand-written entries) ---------------------------

GOOD: dict[str, Any] = {
    "condition": "female_pattern_hair_loss",
    "treatment": "conventional",
    "outcome": "improvement",
    "text": "About 26 in 100 women saw regrowth.",
    "certainty": "moderate",
    "sources": ["st-van-zuuren-2016"],
    "per_100": {"treated": 26, "control": 14, "comparator": "placebo", "weeks": None},
    "verification": "157/593 vs 77/555",
}


def _read(kb: KnowledgeBase, *entries: dict[str, Any]) -> Any:
    return read_outcome_rows(list(entries), frozenset(kb.sources), kb.sources, kb.conditions)


def test_a_good_entry_loads_for_each_listed_condition(kb: KnowledgeBase) -> None:
    table = _read(kb, {**GOOD, "condition": ["female_pattern_hair_loss", "androgenetic_alopecia"]})
    assert set(table) == {
        ("female_pattern_hair_loss", "conventional"),
        ("androgenetic_alopecia", "conventional"),
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"outcome": "happiness"}, "outcome"),
        ({"certainty": "certain"}, "certainty"),
        ({"sources": ["no-such-source"]}, "sources"),
        ({"per_100": {"treated": 130}}, "per_100.treated"),
        ({"per_100": {"treated": 26, "control": -1, "comparator": "x"}}, "per_100.control"),
        ({"per_100": {"treated": 26, "control": 14}}, "per_100.comparator"),
        ({"per_100": {"treated": 27}}, "text"),
        ({"text": " ".join(["word"] * 26)}, "text"),
        ({"certainty": "none", "per_100": None}, "text"),
        ({"condition": "baldness"}, "condition"),
        ({"sexes": ["men"]}, "sexes"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_data_names_the_field(kb: KnowledgeBase, change: dict[str, Any], field: str) -> None:
    with pytest.raises(KnowledgeError) as info:
        _read(kb, {**GOOD, **change})
    assert info.value.file == "outcomes.yaml"
    assert info.value.field == field
    assert "female_pattern_hair_loss/conventional" in info.value.entry or field == "condition"


def test_a_limited_row_after_the_general_row_is_an_error(kb: KnowledgeBase) -> None:
    with pytest.raises(KnowledgeError, match="general row"):
        _read(kb, GOOD, {**GOOD, "sexes": ["female"]})
    assert _read(kb, {**GOOD, "sexes": ["female"]}, GOOD)  # specific first: fine


def test_a_duplicate_row_is_an_error(kb: KnowledgeBase) -> None:
    with pytest.raises(KnowledgeError, match="duplicate"):
        _read(kb, GOOD, GOOD)
