"""Where sources disagree, and the Option Grid (rows = questions, columns = options)."""

from __future__ import annotations

import pytest
from tiny_kb import tiny_kb

from regenaid.decide import build_grid
from regenaid.decide.disagreements import find_disagreements
from regenaid.errors import InvalidInputError
from regenaid.knowledge import load_knowledge
from regenaid.knowledge.model import Claim, Range, Source

SOURCES = {
    "clinic-a": Source("clinic-a", "marketing", "Clinic A"),
    "clinic-b": Source("clinic-b", "marketing", "Clinic B"),
    "trial": Source("trial", "peer_reviewed", "A trial"),
}


def claim(
    cid: str, topic: str, source: str, value: Range | None = None, note: str | None = None
) -> Claim:
    return Claim(
        cid, "exosome", topic, f"{cid} text", (source,), value, "weeks" if value else None, note
    )


def test_different_ranges_disagree() -> None:
    found = find_disagreements(
        [
            claim("a", "time_to_results", "clinic-a", Range(8, 12)),
            claim("b", "time_to_results", "trial", Range(13, 26)),
        ],
        SOURCES,
    )
    assert [d.topic for d in found] == ["time_to_results"]
    assert [c.id for c in found[0].claims] == ["a", "b"]


def test_same_range_from_two_sources_agrees() -> None:
    found = find_disagreements(
        [
            claim("a", "time_to_results", "clinic-a", Range(8, 12)),
            claim("b", "time_to_results", "trial", Range(8, 12)),
        ],
        SOURCES,
    )
    assert found == ()


def test_number_versus_no_number_disagrees() -> None:
    found = find_disagreements(
        [claim("a", "sessions", "clinic-a", Range(1, 3)), claim("b", "sessions", "trial")], SOURCES
    )
    assert [d.topic for d in found] == ["sessions"]


def test_clinic_versus_evidence_without_numbers_disagrees() -> None:
    found = find_disagreements(
        [claim("a", "safety", "clinic-a"), claim("b", "safety", "trial")], SOURCES
    )
    assert [d.topic for d in found] == ["safety"]


def test_two_clinics_without_numbers_do_not_count_unless_noted() -> None:
    plain = [claim("a", "mechanism", "clinic-a"), claim("b", "mechanism", "clinic-b")]
    assert find_disagreements(plain, SOURCES) == ()
    noted = [
        claim("a", "duration", "clinic-a", note="evidence says otherwise"),
        claim("b", "duration", "clinic-b"),
    ]
    assert [d.topic for d in find_disagreements(noted, SOURCES)] == ["duration"]


def test_one_claim_or_one_source_is_no_disagreement() -> None:
    assert find_disagreements([claim("a", "sessions", "clinic-a", Range(1, 3))], SOURCES) == ()
    same_source = [
        claim("a", "sessions", "clinic-a", Range(1, 3)),
        claim("b", "sessions", "clinic-a", Range(3, 5)),
    ]
    assert find_disagreements(same_source, SOURCES) == ()


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
