"""Screening with small hand-built rules: worst level wins, deferrals say when to come back;
rules about parts of usual care reach only those parts; sex and age limits."""

from __future__ import annotations

from typing import Any

import pytest

from regenaid.decide.intake import parse_intake
from regenaid.decide.screening import screen_options, worst
from regenaid.knowledge.model import (
    CareComponent,
    Contraindication,
    FirstLineCare,
    TreatmentId,
)

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


# --- rules about parts of usual care, and sex/age limits (hand-built usual care) -------------


def _part(pid: str, name: str, care: tuple[str, ...], role: str) -> CareComponent:
    return CareComponent(pid, name, care, role, "daily_home", f"{name}.", ("s9",))  # type: ignore[arg-type]


# Usual care of the test condition: two first-line parts, an add-on and an advanced-only part.
USUAL = FirstLineCare(
    "androgenetic_alopecia",
    (
        _part("lotion", "Lotion", ("topical_minoxidil",), "first_line"),
        _part("tablet", "Tablet", ("finasteride",), "first_line"),
        _part("cap", "Laser cap", ("low_level_laser",), "adjunct"),
        _part("graft", "Transplant", ("hair_transplant",), "advanced"),
    ),
)


def _care_rule(code: str, level: str, care: tuple[str, ...], **extra: Any) -> Contraindication:
    return Contraindication(
        code,
        level,  # type: ignore[arg-type]
        ("conventional",),
        f"Rule about {', '.join(care)}.",
        ("s8",),
        come_back="later" if level == "defer" else None,
        care=care,
        **extra,
    )


def test_care_rule_applies_only_where_usual_care_has_the_part() -> None:
    rules = (_care_rule("keloid_tendency", "caution", ("microneedling",)),)
    results = screen_options(intake(health={"keloid_tendency": True}), rules, ALL, USUAL)
    assert results["conventional"].eligibility == "eligible"
    assert results["conventional"].reasons == ()


def test_care_rule_names_the_parts_it_concerns() -> None:
    rules = (_care_rule("liver_disease", "caution", ("finasteride", "low_level_laser")),)
    results = screen_options(intake(health={"liver_disease": True}), rules, ALL, USUAL)
    reason = results["conventional"].reasons[0]
    assert reason.level == "caution"
    assert reason.concerns == ("Tablet", "Laser cap")
    assert reason.text.endswith("This concerns: Tablet; Laser cap.")
    # only conventional care is reached by a care rule
    assert results["prp"].reasons == ()


def test_advanced_only_parts_count_only_at_advanced_severity() -> None:
    rules = (_care_rule("anticoagulant", "caution", ("hair_transplant",)),)
    flags = {"anticoagulant": True}
    mild = screen_options(intake(health=flags), rules, ALL, USUAL)
    advanced = screen_options(intake(health=flags, severity="advanced"), rules, ALL, USUAL)
    assert mild["conventional"].reasons == ()
    assert advanced["conventional"].reasons[0].concerns == ("Transplant",)


def test_holding_back_one_first_line_part_leaves_usual_care_open_with_caution() -> None:
    """A scalp infection holds back the lotion, not the tablets: usual care stays open."""
    rules = (_care_rule("active_infection_at_site", "defer", ("topical_minoxidil",)),)
    results = screen_options(intake(health={"active_infection_at_site": True}), rules, ALL, USUAL)
    conventional = results["conventional"]
    assert conventional.eligibility == "caution" and conventional.ranked
    reason = conventional.reasons[0]
    assert reason.level == "caution" and reason.come_back is None
    assert "Leave this part out for now; come back later." in reason.text
    assert reason.text.endswith("Usual care can still start with: Tablet.")


def test_holding_back_every_first_line_part_keeps_the_rules_level() -> None:
    rules = (
        _care_rule("pregnant_or_breastfeeding", "defer", ("topical_minoxidil",)),
        _care_rule("pregnant_or_breastfeeding", "defer", ("finasteride", "low_level_laser")),
    )
    results = screen_options(intake(health={"pregnant_or_breastfeeding": True}), rules, ALL, USUAL)
    conventional = results["conventional"]
    assert conventional.eligibility == "defer" and not conventional.ranked
    assert [r.level for r in conventional.reasons] == ["defer", "defer"]
    assert conventional.come_back == ("later", "later")


def test_contraindicated_add_on_is_left_out_not_the_whole_option() -> None:
    rules = (
        _care_rule("unstable_heart_or_blood_pressure", "contraindicated", ("low_level_laser",)),
    )
    flags = {"unstable_heart_or_blood_pressure": True}
    conventional = screen_options(intake(health=flags), rules, ALL, USUAL)["conventional"]
    assert conventional.eligibility == "caution"
    assert "Leave this part out." in conventional.reasons[0].text


def test_without_usual_care_a_care_rule_applies_in_full() -> None:
    rules = (_care_rule("active_cancer", "defer", ("laser",)),)
    results = screen_options(intake(health={"active_cancer": True}), rules, ALL)
    assert results["conventional"].eligibility == "defer"
    assert results["conventional"].reasons[0].text == "Rule about laser."


@pytest.mark.parametrize(
    ("sex", "age", "applies"),
    [("male", 55, True), ("male", 50, True), ("male", 49, False), ("female", 55, False)],
)
def test_sex_and_age_limits(sex: str, age: int, applies: bool) -> None:
    rules = (_care_rule("liver_disease", "caution", ("finasteride",), sexes=("male",), min_age=50),)
    person = intake(sex=sex, age=age, health={"liver_disease": True})
    reasons = screen_options(person, rules, ALL, USUAL)["conventional"].reasons
    assert bool(reasons) is applies


def test_a_rule_without_a_health_flag_applies_to_everyone_its_limits_select() -> None:
    """E.g. finasteride and PSA tests: men from 50 whose usual care has finasteride."""
    rules = (
        _care_rule("finasteride_psa", "caution", ("finasteride",), sexes=("male",), min_age=50),
    )
    older = screen_options(intake(sex="male", age=55), rules, ALL, USUAL)["conventional"]
    younger = screen_options(intake(sex="male", age=40), rules, ALL, USUAL)["conventional"]
    assert older.eligibility == "caution" and older.reasons[0].code == "finasteride_psa"
    assert younger.reasons == ()
