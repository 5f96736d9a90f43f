"""Clinical cases of screening, one per case a clinician would check, on the shipped knowledge
base: usual care (fillers, microneedling, lasers, peels, subcision, medicines) is screened as
carefully as PRP and exosomes, and only the parts of usual care a condition really concerns
are held back (a scalp infection holds back scalp lotion, not tablets).
"""

from __future__ import annotations

from typing import Any

from regenaid.decide import assess, parse_intake
from regenaid.knowledge import load_knowledge

KB = load_knowledge()


def _assess(condition: str, health: dict[str, bool], **person: Any) -> Any:
    concern = "hair" if KB.conditions[condition].concern == "hair" else "skin"
    data = {
        "concern": concern,
        "condition": condition,
        "age": 45,
        "sex": "female",
        "severity": "moderate",
        "health": health,
    }
    data.update(person)
    return assess(parse_intake(data), KB)


def _levels(assessment: Any) -> dict[str, str]:
    return {o.treatment: o.eligibility for o in assessment.options}


def _option(assessment: Any, treatment: str) -> Any:
    return next(o for o in assessment.options if o.treatment == treatment)


def _reason(option: Any, code: str) -> Any:
    return next(r for r in option.reasons if r.code == code)


def test_warfarin_and_volume_loss_fillers_get_a_caution() -> None:
    a = _assess("volume_loss", {"anticoagulant": True})
    assert _levels(a) == {
        "prp": "contraindicated",
        "exosome": "caution",
        "combination": "contraindicated",
        "conventional": "caution",
        "no_treatment": "eligible",
    }
    reason = _reason(_option(a, "conventional"), "anticoagulant")
    assert "Dermal filler injections" in reason.text
    assert "never stop" in _reason(_option(a, "prp"), "anticoagulant").text.lower()
    assert "do not stop" in reason.text.lower()


def test_keloid_former_and_acne_scars_procedures_get_a_caution() -> None:
    a = _assess("acne_scars", {"keloid_tendency": True})
    assert _levels(a) == {
        "prp": "caution",
        "exosome": "caution",
        "combination": "caution",
        "conventional": "caution",
        "no_treatment": "eligible",
    }
    text = _reason(_option(a, "conventional"), "keloid_tendency").text
    assert "This concerns: Microneedling, fractional laser, subcision or chemical peels" in text
    assert "test spot" in text


def test_pregnancy_and_acne_scars_procedures_wait() -> None:
    a = _assess("acne_scars", {"pregnant_or_breastfeeding": True})
    assert _levels(a) == {
        "prp": "defer",
        "exosome": "defer",
        "combination": "defer",
        "conventional": "defer",
        "no_treatment": "eligible",
    }
    conventional = _option(a, "conventional")
    assert conventional.rank is None
    assert any("after the baby is born" in c for c in conventional.come_back)
    assert a.recommended == "no_treatment"
    assert any(n.code == "defer_pregnant_or_breastfeeding" for n in a.notices)


def test_pregnancy_and_fine_lines_usual_care_waits_sunscreen_goes_on() -> None:
    """Retinoid cream waits, procedures wait; sunscreen alone is not the treatment whose
    evidence and price the aid shows, so usual care waits and sunscreen goes on meanwhile."""
    a = _assess("fine_lines_wrinkles", {"pregnant_or_breastfeeding": True})
    conventional = _option(a, "conventional")
    assert conventional.eligibility == "defer" and conventional.rank is None
    texts = " ".join(r.text for r in conventional.reasons)
    assert "Retinoid cream" in texts
    assert texts.count("Meanwhile, daily sunscreen can start now or go on.") == 1


def test_chemotherapy_and_skin_rejuvenation_peels_and_lasers_wait() -> None:
    a = _assess("skin_rejuvenation", {"active_cancer": True})
    assert _levels(a) == {
        "prp": "defer",
        "exosome": "contraindicated",
        "combination": "contraindicated",
        "conventional": "caution",  # sunscreen and retinoid cream remain; procedures wait
        "no_treatment": "eligible",
    }
    text = _reason(_option(a, "conventional"), "active_cancer").text
    assert "chemotherapy" in text and "Leave this part out for now" in text
    assert "oncologist agrees" in text


def test_chemotherapy_and_acne_scars_usual_care_waits() -> None:
    """Where usual care is the procedures themselves, it waits as a whole."""
    a = _assess("acne_scars", {"active_cancer": True})
    assert _option(a, "conventional").eligibility == "defer"


def test_scalp_infection_holds_back_scalp_treatment_not_tablets() -> None:
    a = _assess("androgenetic_alopecia", {"active_infection_at_site": True}, sex="male")
    levels = _levels(a)
    assert levels["conventional"] == "caution"  # not deferred: finasteride can start
    assert {levels[t] for t in ("prp", "exosome", "combination")} == {"defer"}
    reason = _reason(_option(a, "conventional"), "active_infection_at_site")
    assert "This concerns: Minoxidil" in reason.text
    held_back = reason.text.partition("This concerns:")[2].split(".")[0]
    assert "Finasteride" not in held_back  # the part held back is the lotion
    assert "Usual care can still start with: Finasteride" in reason.text
    assert a.recommended is not None


def test_could_become_pregnant_and_pattern_hair_loss_tablet_warning() -> None:
    # finasteride is offered to men only, so for a woman the warning reaches the specialist's
    # hormone-blocking tablets of female pattern hair loss
    a = _assess("female_pattern_hair_loss", {"could_become_pregnant": True}, sex="female")
    conventional = _option(a, "conventional")
    assert conventional.eligibility == "caution"
    reason = _reason(conventional, "could_become_pregnant")
    assert "This concerns: Tablets from a specialist" in reason.text
    assert "spironolactone can harm a baby boy" in reason.text
    assert "inasteride" not in reason.text and "JAK" not in reason.text  # not offered to her
    assert {_levels(a)[t] for t in ("prp", "exosome", "combination")} == {"eligible"}


def _conventional_texts(age: int) -> str:
    a = _assess("androgenetic_alopecia", {}, sex="male", age=age)
    return " ".join(r.text for r in _option(a, "conventional").reasons)


def test_finasteride_psa_caution_for_a_man_of_55() -> None:
    assert "tell the doctor who checks your psa" in _conventional_texts(55).lower()


def test_finasteride_is_not_part_of_usual_care_for_a_woman() -> None:
    a = _assess("androgenetic_alopecia", {"could_become_pregnant": True}, sex="female", age=55)
    conventional = _option(a, "conventional")
    text = " ".join(r.text for r in conventional.reasons)
    assert "Finasteride tablet" not in text and "PSA" not in text


def test_no_psa_caution_for_a_man_of_40() -> None:
    assert "PSA" not in _conventional_texts(40)


def test_isotretinoin_and_acne_scars_procedures_get_a_caution() -> None:
    a = _assess("acne_scars", {"isotretinoin_recent": True})
    assert _levels(a)["conventional"] == "caution"
    text = _reason(_option(a, "conventional"), "isotretinoin_recent").text
    assert "6 months" in text and "machine dermabrasion" in text
    assert "This concerns: Microneedling" in text


def test_aspirin_after_a_stent_is_told_apart_from_occasional_painkillers() -> None:
    for condition in ("androgenetic_alopecia", "volume_loss"):
        a = _assess(condition, {"antiplatelet_or_nsaid": True}, sex="male")
        for option in a.options:
            for reason in option.reasons:
                if reason.code == "antiplatelet_or_nsaid":
                    assert "stent" in reason.text and "painkillers" in reason.text


def test_allergy_reason_names_what_it_covers() -> None:
    a = _assess("skin_rejuvenation", {"allergy_to_product_components": True})
    exosome = _option(a, "exosome")
    assert exosome.eligibility == "contraindicated"
    text = _reason(exosome, "allergy_to_product_components").text.lower()
    assert all(word in text for word in ("salmon", "plant", "numbing"))


def test_unstable_heart_holds_back_minoxidil_tablets_and_prp() -> None:
    a = _assess("female_pattern_hair_loss", {"unstable_heart_or_blood_pressure": True})
    assert _levels(a)["prp"] == "defer" and _levels(a)["combination"] == "defer"
    conventional = _option(a, "conventional")
    assert conventional.eligibility == "caution"  # minoxidil lotion stays; tablets wait
    texts = [r.text for r in conventional.reasons if r.code == "unstable_heart_or_blood_pressure"]
    assert any("Leave this part out." in text for text in texts)  # the tablets
    assert any("minoxidil on the scalp" in text for text in texts)  # the lotion: ask first


def test_recent_steroids_defer_prp_with_a_date_to_come_back() -> None:
    a = _assess("androgenetic_alopecia", {"systemic_corticosteroids": True}, sex="male")
    prp = _option(a, "prp")
    assert prp.eligibility == "defer"
    assert any("2 weeks" in c for c in prp.come_back)
    assert _option(a, "conventional").eligibility == "eligible"


def test_usual_care_that_can_still_start_says_what_did_not_help_before() -> None:
    # unstable heart holds back minoxidil tablets; usual care can still start with the lotion
    # and finasteride, which this man said did not help him: he is told so beside its name
    intake = parse_intake(
        {
            "concern": "hair",
            "condition": "androgenetic_alopecia",
            "age": 61,
            "sex": "male",
            "severity": "advanced",
            "health": {"unstable_heart_or_blood_pressure": True},
            "prior_treatments": [{"treatment": "finasteride", "response": "none"}],
        }
    )
    conventional = _option(assess(intake, KB), "conventional")
    text = " ".join(r.text for r in conventional.reasons)
    assert "Finasteride tablet (men only) (you said finasteride did not help you)" in text
    assert "Minoxidil foam or liquid on the scalp;" in text  # named as it is
