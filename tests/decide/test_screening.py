"""Screening with small hand-built rules: worst level wins, deferrals say when to come back."""

from __future__ import annotations

from typing import Any

import pytest

from regenaid.decide.intake import parse_intake
from regenaid.decide.screening import screen_options, worst
from regenaid.knowledge.model import Contraindication, TreatmentId

ALL: tuple[TreatmentId, ...] = ("prp", "exosome", "combination", "conventional", "no_treatment")

RULES = (
    Contraindication(
        "anticoagulant", "contraindicated", ("prp", "combination"), "Blood thinners.", ("s1",)
    ),
    Contraindication("anticoagulant", "caution", ("exosome",), "Bruising.", ("s2",)),
    Contraindication(
        "pregnant_or_breastfeeding",
        "defer",
        ("prp", "exosome", "combination"),
        "No safety data in pregnancy.",
        ("s3",),
        come_back="After pregnancy and breastfeeding.",
    ),
    Contraindication("needle_phobia", "caution", ("prp", "exosome", "combination"), "Needles.", ()),
)


def intake(**changes: Any):  # type: ignore[no-untyped-def]
    data: dict[str, Any] = {
        "concern": "hair",
        "condition": "androgenetic_alopecia",
        "age": 35,
        "sex": "female",
        "severity": "mild",
    }
    data.update(changes)
    return parse_intake(data)


def test_no_flags_everything_eligible() -> None:
    results = screen_options(intake(), RULES, ALL)
    assert {t: r.eligibility for t, r in results.items()} == dict.fromkeys(ALL, "eligible")
    assert all(r.reasons == () for r in results.values())


def test_flag_applies_only_to_named_treatments() -> None:
    results = screen_options(intake(health={"anticoagulant": True}), RULES, ALL)
    assert results["prp"].eligibility == "contraindicated"
    assert results["combination"].eligibility == "contraindicated"
    assert results["exosome"].eligibility == "caution"
    assert results["conventional"].eligibility == "eligible"
    assert results["prp"].reasons[0].code == "anticoagulant"
    assert results["prp"].reasons[0].sources == ("s1",)
    assert not results["prp"].ranked and results["exosome"].ranked


def test_worst_wins_and_reasons_are_worst_first() -> None:
    results = screen_options(
        intake(health={"needle_phobia": True, "pregnant_or_breastfeeding": True}), RULES, ALL
    )
    prp = results["prp"]
    assert prp.eligibility == "defer"
    assert [r.level for r in prp.reasons] == ["defer", "caution"]
    assert prp.come_back == ("After pregnancy and breastfeeding.",)


def test_contraindicated_beats_defer() -> None:
    results = screen_options(
        intake(health={"anticoagulant": True, "pregnant_or_breastfeeding": True}), RULES, ALL
    )
    assert results["prp"].eligibility == "contraindicated"
    assert results["exosome"].eligibility == "defer"


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ((), "eligible"),
        (("caution", "eligible"), "caution"),
        (("caution", "defer"), "defer"),
        (("defer", "contraindicated", "caution"), "contraindicated"),
    ],
)
def test_worst(levels: tuple[Any, ...], expected: str) -> None:
    assert worst(levels) == expected


def test_prior_response_becomes_a_note_not_an_eligibility() -> None:
    results = screen_options(
        intake(prior_treatments=[{"treatment": "prp", "response": "none"}]), RULES, ALL
    )
    assert results["prp"].eligibility == "eligible"
    assert [n.code for n in results["prp"].notes] == ["prior_prp_none"]
    assert [n.code for n in results["combination"].notes] == ["prior_prp_none"]
    assert results["exosome"].notes == ()


def test_only_listed_treatments_are_screened() -> None:
    results = screen_options(intake(health={"anticoagulant": True}), RULES, ("conventional",))
    assert set(results) == {"conventional"}


def test_rule_limited_to_conditions_is_skipped_elsewhere() -> None:
    rules = (
        Contraindication(
            "pregnant_or_breastfeeding",
            "defer",
            ("conventional",),
            "Hair medicines wait.",
            ("s4",),
            come_back="After pregnancy and breastfeeding.",
            conditions=("female_pattern_hair_loss",),
        ),
        Contraindication(
            "pregnant_or_breastfeeding",
            "caution",
            ("conventional",),
            "Ask which skin care is safe.",
            ("s5",),
            conditions=("telogen_effluvium",),
        ),
    )
    pregnant = {"pregnant_or_breastfeeding": True}
    fphl = screen_options(intake(condition="female_pattern_hair_loss", health=pregnant), rules, ALL)
    te = screen_options(intake(condition="telogen_effluvium", health=pregnant), rules, ALL)
    aga = screen_options(intake(health=pregnant), rules, ALL)
    assert fphl["conventional"].eligibility == "defer"
    assert [r.code for r in fphl["conventional"].reasons] == ["pregnant_or_breastfeeding"]
    assert te["conventional"].eligibility == "caution"
    assert aga["conventional"].eligibility == "eligible"
