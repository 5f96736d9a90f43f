"""Where sources disagree, and the Option Grid (rows = questions, columns = options)."""

from __future__ import annotations

import pytest
from tiny_kb import tiny_kb

from regenaid.decide import build_grid
from regenaid.decide.disagreements import find_disagreements
from regenaid.errors import InvalidInputError
from regenaid.knowledge import load_knowledge
from regenaid.knowledge.model import Claim, Range


def claim(
    cid: str,
    topic: str,
    source: str,
    value: Range | None = None,
    note: str | None = None,
    contradicted: bool = False,
) -> Claim:
    return Claim(
        cid,
        "exosome",
        topic,
        f"{cid} text",
        (source,),
        value,
        "weeks" if value else None,
        note,
        contradicted=contradicted,
    )


def test_ranges_that_do_not_overlap_conflict() -> None:
    found = find_disagreements(
        [
            claim("a", "time_to_results", "clinic-a", Range(1, 2)),
            claim("b", "time_to_results", "trial", Range(13, 26)),
        ]
    )
    assert [d.topic for d in found] == ["time_to_results"]
    assert [c.id for c in found[0].claims] == ["a", "b"]


@pytest.mark.parametrize(
    ("first", "second"),
    [((8, 12), (8, 12)), ((8, 12), (9, 26)), ((13, 26), (13, 26)), ((1, 3), (3, 5))],
)
def test_same_or_overlapping_ranges_agree(first: tuple[int, int], second: tuple[int, int]) -> None:
    """ "Every 3 to 6 months" beside "every 3 to 6 months", or 8-12 beside 9-26 weeks, is no
    conflict (issue 9: the flag only where claims truly conflict)."""
    found = find_disagreements(
        [
            claim("a", "time_to_results", "clinic-a", Range(*first)),
            claim("b", "time_to_results", "trial", Range(*second)),
        ]
    )
    assert found == ()


def test_only_the_conflicting_claims_are_shown() -> None:
    found = find_disagreements(
        [
            claim("a", "time_to_results", "clinic-a", Range(1, 2)),
            claim("b", "time_to_results", "trial", Range(13, 26)),
            claim("c", "time_to_results", "clinic-b", Range(12, 24)),
        ]
    )
    assert [c.id for c in found[0].claims] == ["a", "b", "c"]
    agreeing = find_disagreements(
        [
            claim("b", "time_to_results", "trial", Range(13, 26)),
            claim("c", "time_to_results", "clinic-b", Range(12, 24)),
            claim("d", "time_to_results", "clinic-a", Range(1, 2), contradicted=True),
        ]
    )
    assert [c.id for c in agreeing[0].claims] == ["b", "c", "d"]


def test_number_beside_no_number_is_no_conflict() -> None:
    found = find_disagreements(
        [claim("a", "sessions", "clinic-a", Range(1, 3)), claim("b", "sessions", "trial")]
    )
    assert found == ()


def test_different_words_without_contradiction_are_no_conflict() -> None:
    plain = [claim("a", "safety", "clinic-a"), claim("b", "safety", "trial")]
    assert find_disagreements(plain) == ()
    noted = [claim("a", "duration", "clinic-a", note="a comment"), claim("b", "duration", "trial")]
    assert find_disagreements(noted) == ()


def test_a_contradicted_claim_conflicts() -> None:
    found = find_disagreements(
        [
            claim("a", "safety", "clinic-a", note="the FDA reported harm", contradicted=True),
            claim("b", "safety", "trial"),
        ]
    )
    assert [d.topic for d in found] == ["safety"]
    assert [c.id for c in found[0].claims] == ["a", "b"]


def test_one_claim_or_one_source_is_no_disagreement() -> None:
    assert find_disagreements([claim("a", "sessions", "clinic-a", Range(1, 3))]) == ()
    same_source = [
        claim("a", "sessions", "clinic-a", Range(1, 3)),
        claim("b", "sessions", "clinic-a", Range(5, 8)),
    ]
    assert find_disagreements(same_source) == ()


def test_tiny_grid_cells_and_disagreements() -> None:
    grid = build_grid(tiny_kb(), "androgenetic_alopecia", "US")
    assert [o.treatment for o in grid.options] == [
        "prp",
        "exosome",
        "combination",
        "conventional",
        "no_treatment",
    ]
    rows = {r.id: r for r in grid.rows}
    exo = {c.treatment: c for c in rows["time_to_results"].cells}["exosome"]
    assert {c.id for c in exo.disagreement} == {"t-c1", "t-c2"}
    assert {c.label for c in exo.disagreement} == {"Clinic claim", "Published finding"}
    regulatory = {c.treatment: c for c in rows["regulatory"].cells}
    assert regulatory["exosome"].text == "No approved exosome product."
    assert regulatory["exosome"].sources == ["t-fda"]
    evidence = {c.treatment: c for c in rows["evidence"].cells}
    assert all(c.certainty is not None for c in evidence.values())
    assert rows["sessions"].cells[-1].text == "None."


def test_unknown_condition_names_allowed() -> None:
    with pytest.raises(InvalidInputError) as info:
        build_grid(tiny_kb(), "baldness")
    assert info.value.field == "condition"
    assert info.value.allowed is not None and "acne_scars" in info.value.allowed


SHIPPED = load_knowledge()


@pytest.mark.parametrize("condition", sorted(SHIPPED.conditions))
def test_shipped_grid_for_every_condition(condition: str) -> None:
    grid = build_grid(SHIPPED, condition, "GB")
    ids = [r.id for r in grid.rows]
    for required in (
        "material",
        "procedure",
        "sessions",
        "time_to_results",
        "duration",
        "side_effects",
        "cost",
        "evidence",
        "regulatory",
    ):
        assert required in ids
    options = [o.treatment for o in grid.options]
    assert "conventional" in options and "no_treatment" in options
    for row in grid.rows:
        assert [c.treatment for c in row.cells] == options
        for cell in row.cells:
            assert cell.text
            assert all(s in SHIPPED.sources for s in cell.sources)
            for c in cell.claims + cell.disagreement:
                assert c.sources and all(s in SHIPPED.sources for s in c.sources)
                assert c.marketing == any(SHIPPED.sources[s].is_marketing for s in c.sources)
                if c.marketing:
                    assert c.label == "Clinic claim"


def test_shipped_exosome_hair_disagreements() -> None:
    grid = build_grid(SHIPPED, "androgenetic_alopecia")
    rows = {r.id: {c.treatment: c for c in r.cells} for r in grid.rows}
    ttr = rows["time_to_results"]["exosome"].disagreement
    assert len({tuple(c.sources) for c in ttr}) >= 2
    values = {(c.value.low, c.value.high) for c in ttr if c.value}
    assert (8, 12) in values and (13, 26) in values  # 8-12 weeks vs 3-6 months
    assert rows["sessions"]["exosome"].disagreement


def test_skin_grid_has_no_hair_only_claims() -> None:
    grid = build_grid(SHIPPED, "acne_scars")
    for row in grid.rows:
        for cell in row.cells:
            for c in cell.claims:
                kb_claim = next(k for k in SHIPPED.claims if k.id == c.id)
                assert kb_claim.concern in (None, "skin")
