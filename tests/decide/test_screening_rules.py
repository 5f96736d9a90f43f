"""One test per screening rule in the shipped knowledge base (parametrised over every rule).

For each rule and each treatment it names, a person the rule covers is built (a condition that
offers the treatment and, for a rule about parts of usual care, whose usual care has such a
part; the rule's sex and age limits) and assessed with only that health flag on. The reason
must reach the option with the rule's text, sources and level. A rule about parts of usual care
gives at most caution while usual care can still start with a first-line part it does not hold
back (see decide/screening.py); the person is chosen so that the rule's own level shows where
the knowledge base allows it.
"""

from __future__ import annotations

from typing import Any

import pytest

from regenaid.decide import assess, parse_intake
from regenaid.decide.screening import SEVERITY_OF_LEVEL, parts_concerned
from regenaid.knowledge import load_knowledge
from regenaid.knowledge.model import (
    CARE_GROUPS,
    CONDITIONS_BY_CONCERN,
    HEALTH_FLAGS,
    SUPPORTIVE_CARE_TAGS,
    Contraindication,
    Eligibility,
)

KB = load_knowledge()
SEVERITIES = ("mild", "moderate", "advanced")


def _sex(rule: Contraindication) -> str:
    """The sex of the person built for ``rule``: its first allowed sex, else female."""
    return rule.sexes[0] if rule.sexes else "female"


def _expected_level(
    rule: Contraindication, condition: str, severity: str
) -> tuple[bool, Eligibility] | None:
    """For conventional care: (level shown in full?, level) when the rule reaches this usual
    care at ``severity``; None when it does not."""
    first_line = KB.first_line[condition]
    sex = _sex(rule)
    if not parts_concerned(rule, first_line, severity, sex):
        return None
    # the first-line parts held back by any defer/contraindicated rule of the same flag
    held = {
        c.id
        for other in KB.contraindications
        if other.code == rule.code
        and "conventional" in other.treatments
        and other.care
        and other.applies_to(condition)
        and SEVERITY_OF_LEVEL[other.level] > SEVERITY_OF_LEVEL["caution"]
        for c in parts_concerned(other, first_line, severity, sex)
    }
    # supportive parts (sunscreen) alone do not keep usual care open
    still_open = [
        c
        for c in first_line.for_severity(severity, sex)
        if c.role == "first_line" and c.id not in held and not set(c.care) <= SUPPORTIVE_CARE_TAGS
    ]
    if still_open and SEVERITY_OF_LEVEL[rule.level] > SEVERITY_OF_LEVEL["caution"]:
        return False, "caution"
    return True, rule.level


def _case(treatment: str, rule: Contraindication) -> tuple[str, str, str, Eligibility]:
    """(concern, condition, severity, expected level) for a person the rule covers."""
    partial: tuple[str, str, str, Eligibility] | None = None
    for concern, conditions in CONDITIONS_BY_CONCERN.items():
        for condition in conditions:
            if treatment not in KB.conditions[condition].treatments:
                continue
            if not rule.applies_to(condition):
                continue
            if treatment != "conventional" or not rule.care:
                return concern, condition, "moderate", rule.level
            for severity in SEVERITIES:
                found = _expected_level(rule, condition, severity)
                if found is None:
                    continue
                full, level = found
                if full:
                    return concern, condition, severity, level
                partial = partial or (concern, condition, severity, level)
    if partial is None:
        raise AssertionError(f"{rule.code}: no condition's usual care has {rule.care}")
    return partial


def _intake(rule: Contraindication, concern: str, condition: str, severity: str) -> Any:
    return parse_intake(
        {
            "concern": concern,
            "condition": condition,
            "age": min(max(45, rule.min_age or 0), rule.max_age or 120),
            "sex": _sex(rule),
            "severity": severity,
            # a rule switched on by age or sex alone has no health flag to set
            "health": {rule.code: True} if rule.code in HEALTH_FLAGS else {},
        }
    )


def test_every_health_flag_has_a_rule() -> None:
    codes = {r.code for r in KB.contraindications}
    assert set(HEALTH_FLAGS) <= codes
    # any other rule is switched on by age or sex alone (e.g. PSA with finasteride, men 50+)
    for rule in KB.contraindications:
        if rule.code not in HEALTH_FLAGS:
            assert rule.sexes or rule.min_age is not None or rule.max_age is not None, rule.code


@pytest.mark.parametrize(
    "rule",
    KB.contraindications,
    ids=[f"{r.code}-{r.level}-{'+'.join(r.treatments)}" for r in KB.contraindications],
)
def test_rule_applies(rule: Contraindication) -> None:
    for treatment in rule.treatments:
        concern, condition, severity, level = _case(treatment, rule)
        assessment = assess(_intake(rule, concern, condition, severity), KB)
        option = next(o for o in assessment.options if o.treatment == treatment)
        reason = next(
            (
                r
                for r in option.reasons
                if r.code == rule.code and r.level == level and r.text.startswith(rule.text)
            ),
            None,
        )
        assert reason is not None, f"{rule.code} did not reach {treatment} ({condition})"
        assert all(s in KB.sources for s in reason.sources)
        if treatment == "conventional" and rule.care:
            assert "This concerns: " in reason.text  # names the parts of usual care
            # cited: the rule's sources, then those of the parts it names for this condition
            named = reason.text.split("This concerns: ")[1].split(".")[0].split("; ")
            parts = [c for c in KB.first_line[condition].components if c.name in named]
            assert [c.name for c in parts] == named
            # the notes about the named parts' care, none about others, each with its sources
            tags = {t for c in parts for t in c.care}
            notes = [n for n in rule.about if tags & set(n.care)]
            for note in rule.about:
                assert (note.text in reason.text) == (note in notes), note.text
            expected = dict.fromkeys(
                (
                    *rule.sources,
                    *(s for n in notes for s in n.sources),
                    *(s for c in parts for s in c.sources),
                    # what the parts left cannot do, when those for severe disease are left out
                    *(
                        s
                        for c in KB.first_line[condition].components
                        if "can still start with:" in reason.text
                        and any(p.role == "severe" for p in parts)
                        and c.name in reason.text.partition("can still start with:")[2]
                        and c.limits is not None
                        for s in c.limits.sources
                    ),
                )
            )
            assert reason.sources == list(expected)
        else:
            assert not rule.about  # notes are about parts of usual care only
            assert reason.text == rule.text
            assert reason.sources == list(rule.sources)
        # the option's eligibility is this level or worse, never better
        assert SEVERITY_OF_LEVEL[option.eligibility] >= SEVERITY_OF_LEVEL[level]
        if level in ("contraindicated", "defer"):
            assert option.rank is None and option.score is None
            assert assessment.recommended != treatment
        else:
            assert option.rank is not None
        if level == "defer":
            assert reason.come_back
            assert rule.come_back in option.come_back
            assert any(n.code == f"defer_{rule.code}" for n in assessment.notices)


@pytest.mark.parametrize("flag", sorted({r.code for r in KB.contraindications}))
def test_flag_off_no_reason(flag: str) -> None:
    for concern, conditions in CONDITIONS_BY_CONCERN.items():
        intake = parse_intake(
            {
                "concern": concern,
                "condition": conditions[0],
                "age": 45,
                "sex": "male",
                "severity": "mild",
            }
        )
        for option in assess(intake, KB).options:
            assert all(r.code != flag for r in option.reasons)
            assert option.eligibility == "eligible"


def test_no_treatment_is_never_restricted() -> None:
    assert all("no_treatment" not in r.treatments for r in KB.contraindications)


def test_conventional_rules_name_parts_of_usual_care() -> None:
    """Usual care differs by condition, so a rule for it says which parts it is about (care
    tags) instead of listing conditions."""
    for rule in KB.contraindications:
        if "conventional" in rule.treatments:
            assert rule.care, f"{rule.code}/{rule.level} names no care tags"
            assert not rule.conditions


def test_each_pair_outside_usual_care_has_one_level() -> None:
    """Per condition, a flag gives PRP, exosomes and the combination at most one level (rules
    about parts of usual care may be several: they concern different parts)."""
    seen: set[tuple[str, str, str]] = set()
    for rule in KB.contraindications:
        for treatment in rule.treatments:
            if treatment == "conventional":
                continue
            for condition in KB.conditions:
                if rule.applies_to(condition):
                    assert (rule.code, treatment, condition) not in seen
                    seen.add((rule.code, treatment, condition))


def _reasons(condition: str, flag: str, treatment: str) -> list[str]:
    concern = next(c for c, cs in CONDITIONS_BY_CONCERN.items() if condition in cs)
    rule = next(r for r in KB.contraindications if r.code == flag)
    option = next(
        o
        for o in assess(_intake(rule, concern, condition, "moderate"), KB).options
        if o.treatment == treatment
    )
    return [r.text for r in option.reasons if r.code == flag]


def test_a_reason_says_only_what_concerns_its_option() -> None:
    # a PRP kit maker's caution is not about exosomes; exosomes' missing label is not about PRP
    (prp,) = _reasons("androgenetic_alopecia", "autoimmune_disease", "prp")
    (exosome,) = _reasons("androgenetic_alopecia", "autoimmune_disease", "exosome")
    (both,) = _reasons("androgenetic_alopecia", "autoimmune_disease", "combination")
    assert "xosome" not in prp and "PRP kits" in prp
    assert "PRP" not in exosome and "No exosome product has full approval" in exosome
    assert "PRP kits" in both and "No exosome product has full approval" in both
    # infections: the kit makers' words for PRP, the exosome trials' for exosomes
    for flag in ("active_infection_at_site", "systemic_infection"):
        (prp,) = _reasons("acne_scars", flag, "prp")
        (exosome,) = _reasons("acne_scars", flag, "exosome")
        (both,) = _reasons("acne_scars", flag, "combination")
        assert "xosome" not in prp and "PRP kit maker" in prp
        assert "PRP" not in exosome and "kit" not in exosome and "exosome trial" in exosome
        assert "PRP kit maker" in both and "exosome trial" in both
    # fear of needles: the blood draw is PRP's; exosomes' delivery is the exosome trials'
    (prp,) = _reasons("androgenetic_alopecia", "needle_phobia", "prp")
    (exosome,) = _reasons("androgenetic_alopecia", "needle_phobia", "exosome")
    (both,) = _reasons("androgenetic_alopecia", "needle_phobia", "combination")
    assert "xosome" not in prp and "blood draw" in prp
    assert "PRP" not in exosome and "blood" not in exosome and "exosomes were injected" in exosome
    assert "blood draw" in both
    # isotretinoin and acne scars: the PRP trials' laser for PRP, the exosome trial's for it
    (prp,) = _reasons("acne_scars", "isotretinoin_recent", "prp")
    (exosome,) = _reasons("acne_scars", "isotretinoin_recent", "exosome")
    (both,) = _reasons("acne_scars", "isotretinoin_recent", "combination")
    assert "xosome" not in prp and "PRP was given together with a laser" in prp
    assert "PRP" not in exosome and "exosomes were given together with a laser" in exosome
    assert "PRP and exosomes were each given" in both
    # a bleeding disorder and exosomes: not the FDA's words about fillers
    (exosome,) = _reasons("acne_scars", "bleeding_disorder", "exosome")
    assert "filler" not in exosome and "No exosome product has full approval" in exosome
    # people offered fillers are not told about minoxidil liquid, and the other way round
    (filler,) = _reasons("volume_loss", "allergy_to_product_components", "conventional")
    (minoxidil,) = _reasons(
        "androgenetic_alopecia", "allergy_to_product_components", "conventional"
    )
    assert "inoxidil" not in filler and "filler" in filler
    assert "filler" not in minoxidil and "Minoxidil" in minoxidil


@pytest.mark.parametrize("condition", [c for cs in CONDITIONS_BY_CONCERN.values() for c in cs])
def test_fear_of_needles_and_exosomes_speaks_of_the_persons_own_concern(condition: str) -> None:
    # how exosomes were given in studies of this concern: the scalp for hair, the face for
    # skin; every condition that offers exosomes has one such reason (no gap)
    concern = next(c for c, cs in CONDITIONS_BY_CONCERN.items() if condition in cs)
    reasons = _reasons(condition, "needle_phobia", "exosome")
    assert len(reasons) == 1, reasons
    (text,) = reasons
    if concern == "hair":
        assert "scalp" in text and "laser" not in text and "face" not in text
    else:
        assert "scalp" not in text and "hair" not in text
        assert ("acne scars" in text) == (condition == "acne_scars")
    # PRP's: tablets are named as a way round needles only where usual care has tablets
    (prp,) = _reasons(condition, "needle_phobia", "prp")
    tablets = any(
        set(p.care) & set(CARE_GROUPS["oral"]) for p in KB.first_line[condition].components
    )
    assert "blood draw" in prp and ("tablets" in prp) == tablets
    assert "tablets" not in text


def _usual_care_reasons(condition: str, sex: str, severity: str, flag: str) -> list[Any]:
    """Usual care's reasons for ``flag`` (one per rule reached) for a person of 40."""
    concern = next(c for c, cs in CONDITIONS_BY_CONCERN.items() if condition in cs)
    intake = parse_intake(
        {
            "concern": concern,
            "condition": condition,
            "age": 40,
            "sex": sex,
            "severity": severity,
            "health": {flag: True},
        }
    )
    option = next(o for o in assess(intake, KB).options if o.treatment == "conventional")
    return [r for r in option.reasons if r.code == flag]


def _usual_care_reason(condition: str, sex: str, severity: str, flag: str) -> str:
    return " ".join(r.text for r in _usual_care_reasons(condition, sex, severity, flag))


@pytest.mark.parametrize(
    ("condition", "sex", "severity", "flag", "said", "not_said"),
    [
        # a man offered finasteride is not told about spironolactone or baricitinib
        (
            "androgenetic_alopecia",
            "male",
            "moderate",
            "liver_disease",
            ["finasteride"],
            ["spironolactone", "baricitinib"],
        ),
        # a woman offered a hormone-blocking tablet is not told about finasteride or JAK tablets
        (
            "female_pattern_hair_loss",
            "female",
            "moderate",
            "could_become_pregnant",
            ["spironolactone"],
            ["inasteride", "JAK"],
        ),
        # minoxidil tablets are named wherever a woman who is or could become pregnant is
        # offered them (drugs-com-minoxidil-oral-pregnancy), not only the scalp liquid
        (
            "androgenetic_alopecia",
            "female",
            "moderate",
            "pregnant_or_breastfeeding",
            ["Minoxidil on the scalp", "Minoxidil tablets are not advised", "breast milk"],
            ["inasteride"],
        ),
        (
            "female_pattern_hair_loss",
            "female",
            "moderate",
            "pregnant_or_breastfeeding",
            ["Minoxidil tablets are not advised", "spironolactone"],
            ["JAK"],
        ),
        (
            "female_pattern_hair_loss",
            "female",
            "moderate",
            "could_become_pregnant",
            ["Minoxidil tablets should be avoided", "birth control"],
            ["JAK"],
        ),
        # lasers and peels for skin ageing: not fillers, not JAK tablets
        ("skin_rejuvenation", "female", "mild", "immunosuppressed", ["laser"], ["filler", "JAK"]),
        # severe patchy hair loss is offered JAK tablets: their warning is shown
        ("alopecia_areata", "male", "advanced", "immunosuppressed", ["JAK"], ["filler", "laser"]),
        # pregnancy and wrinkles: the retinoid cream, not hydroquinone
        (
            "fine_lines_wrinkles",
            "female",
            "moderate",
            "pregnant_or_breastfeeding",
            ["retinoid"],
            ["ydroquinone"],
        ),
        # chemotherapy: the nurse expert's words on infection for everyone; her words on Botox
        # and fillers and the filler review only for people offered them
        ("alopecia_areata", "female", "mild", "active_cancer", ["infection"], ["filler", "Botox"]),
        (
            "volume_loss",
            "female",
            "mild",
            "active_cancer",
            ["Botox or filler injections", "fillers during chemotherapy"],
            [],
        ),
        (
            "skin_rejuvenation",
            "female",
            "mild",
            "active_cancer",
            ["could cause an infection"],
            ["injection", "Botox", "filler", "slow healing"],
        ),
        # a bleeding disorder: the FDA's filler sentence only for people offered fillers
        ("alopecia_areata", "female", "mild", "bleeding_disorder", ["haematologist"], ["filler"]),
        ("volume_loss", "female", "mild", "bleeding_disorder", ["FDA says fillers"], []),
        # a scar's infection: the silicone sheet maker's words, not the minoxidil label
        ("scars", "female", "mild", "active_infection_at_site", ["silicone"], ["inoxidil"]),
    ],
)
def test_a_usual_care_reason_speaks_only_of_the_parts_offered(
    condition: str, sex: str, severity: str, flag: str, said: list[str], not_said: list[str]
) -> None:
    text = _usual_care_reason(condition, sex, severity, flag)
    for word in said:
        assert word in text
    for word in not_said:
        assert word not in text


@pytest.mark.parametrize("condition", [c for cs in CONDITIONS_BY_CONCERN.values() for c in cs])
@pytest.mark.parametrize("severity", SEVERITIES)
def test_the_needle_reason_of_usual_care_cites_the_parts_it_names(
    condition: str, severity: str
) -> None:
    # no example from another condition (an alopecia areata paper for a wrinkles patient):
    # the parts named, with their own sources
    reasons = _usual_care_reasons(condition, "female", severity, "needle_phobia")
    (rule,) = [r for r in KB.contraindications if r.code == "needle_phobia" and r.care]
    needles = parts_concerned(rule, KB.first_line[condition], severity, "female")
    if not needles:
        assert not reasons
        return
    (reason,) = reasons
    assert all(p.name in reason.text for p in needles)
    assert set(reason.sources) == {s for p in needles for s in p.sources}


@pytest.mark.parametrize("flag", ["cardiovascular_disease", "unstable_heart_or_blood_pressure"])
@pytest.mark.parametrize(
    ("condition", "sex"),
    [
        ("androgenetic_alopecia", "male"),
        ("female_pattern_hair_loss", "female"),
        ("telogen_effluvium", "female"),
    ],
)
def test_minoxidil_on_the_scalp_is_not_started_with_a_heart_problem_unsaid(
    condition: str, sex: str, flag: str
) -> None:
    # its over-the-counter label: "Ask a doctor before use if you have heart disease"
    reasons = _usual_care_reasons(condition, sex, "moderate", flag)
    on_scalp = [r for r in reasons if "minoxidil-women-2pct-dailymed-label" in r.sources]
    assert on_scalp and all(r.level == "caution" for r in on_scalp)
    assert all("chest pain" in r.text and "faint" in r.text for r in on_scalp)
    # no heart problem, no such reason
    assert not _usual_care_reasons(condition, sex, "moderate", "anemia") or not any(
        "minoxidil-women-2pct-dailymed-label" in r.sources
        for r in _usual_care_reasons(condition, sex, "moderate", "anemia")
    )


def test_fillers_under_22_are_said_to_be_outside_their_approval() -> None:
    # FDA: dermal fillers are approved for adults aged 22 and older
    def codes(age: int) -> set[str]:
        intake = parse_intake(
            {
                "concern": "skin",
                "condition": "volume_loss",
                "age": age,
                "sex": "female",
                "severity": "mild",
            }
        )
        usual = next(o for o in assess(intake, KB).options if o.treatment == "conventional")
        return {r.code for r in usual.reasons}

    assert "filler_under_22" in codes(19) and "filler_under_22" in codes(21)
    assert "filler_under_22" not in codes(22)


def test_keloids_are_spoken_of_before_fillers() -> None:
    reasons = _usual_care_reasons("volume_loss", "female", "mild", "keloid_tendency")
    assert any("filler" in r.text and "mpr-juvederm-volux-xc" in r.sources for r in reasons)


@pytest.mark.parametrize("condition", ["fine_lines_wrinkles", "pigmentation", "skin_rejuvenation"])
def test_recent_isotretinoin_is_spoken_of_before_exosomes_on_the_face(condition: str) -> None:
    # exosomes for the face are given after microneedling or with a laser; only acne scars had
    # an isotretinoin reason before
    intake = parse_intake(
        {
            "concern": "skin",
            "condition": condition,
            "age": 25,
            "sex": "female",
            "severity": "mild",
            "health": {"isotretinoin_recent": True},
        }
    )
    for option in assess(intake, KB).options:
        if option.treatment in ("exosome", "combination"):
            assert any(r.code == "isotretinoin_recent" for r in option.reasons), option.treatment


def test_recent_isotretinoin_is_spoken_of_before_a_hair_transplant() -> None:
    reasons = _usual_care_reasons(
        "androgenetic_alopecia", "male", "advanced", "isotretinoin_recent"
    )
    assert any("Hair transplant" in r.text for r in reasons)


def test_fear_of_needles_with_lost_volume_is_not_pointed_to_creams() -> None:
    # usual care for lost volume is filler injections: creams do not restore volume
    intake = parse_intake(
        {
            "concern": "skin",
            "condition": "volume_loss",
            "age": 50,
            "sex": "female",
            "severity": "moderate",
            "health": {"needle_phobia": True},
        }
    )
    for option in assess(intake, KB).options:
        for reason in option.reasons:
            if reason.code == "needle_phobia":
                assert "cream" not in reason.text, option.treatment
