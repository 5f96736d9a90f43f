"""Usual first care as cited parts, and unknowns kept unknown, from the data file to the grid,
the plan and the cost block.

Loader checks for the same fields are in ``test_knowledge_loader_errors``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from regenaid.decide import assess, build_grid, parse_intake
from regenaid.decide.grid import sessions_text
from regenaid.knowledge import load_knowledge
from regenaid.knowledge.model import CONDITIONS_BY_CONCERN
from regenaid.plan import build_plan


def test_every_condition_has_usual_care_parts_with_sources() -> None:
    kb = load_knowledge()
    assert set(kb.first_line) == set(kb.conditions)
    for care in kb.first_line.values():
        assert any(c.role == "first_line" for c in care.components)
        for part in care.components:
            assert part.sources and part.care


# --- the grid, the plan and the cost block say "not known" ------------------------------------


def test_grid_says_when_top_ups_and_results_are_not_known() -> None:
    grid = build_grid(load_knowledge(), "androgenetic_alopecia").model_dump()
    cells = {row["id"]: {c["treatment"]: c["text"] for c in row["cells"]} for row in grid["rows"]}
    assert "not known" in cells["sessions"]["exosome"]
    assert "no maintenance" not in cells["sessions"]["exosome"].lower()
    assert cells["time_to_results"]["combination"].startswith("Not known")
    assert "every day at home" in cells["sessions"]["conventional"]


def test_a_daily_medicine_is_not_described_as_sessions() -> None:
    protocol = load_knowledge().protocol("conventional", "androgenetic_alopecia")
    assert protocol is not None and protocol.mode == "daily_home"
    text = sessions_text(protocol)
    assert "review visits" in text and "sessions" not in text


def test_plan_notes_say_top_ups_are_not_known() -> None:
    protocol = load_knowledge().protocol("exosome", "acne_scars")
    assert protocol is not None
    plan = build_plan(protocol, date(2027, 1, 4), 24)
    assert any("not known" in note for note in plan.notes)
    assert not any("No maintenance sessions are part" in note for note in plan.notes)


def test_plan_without_known_results_time_has_no_results_window() -> None:
    protocol = load_knowledge().protocol("combination", "androgenetic_alopecia")
    assert protocol is not None and protocol.time_to_results_weeks is None
    plan = build_plan(protocol, date(2027, 1, 4), 12)
    assert plan.results_earliest is None and plan.results_latest is None
    assert any("When results might show is not known" in n for n in plan.notes)


def test_cost_block_states_the_assumption_for_unknown_top_ups() -> None:
    intake = parse_intake(
        {
            "concern": "hair",
            "condition": "androgenetic_alopecia",
            "age": 40,
            "sex": "male",
            "severity": "moderate",
        }
    )
    exosome = next(o for o in assess(intake).options if o.treatment == "exosome")
    assumptions = exosome.cost["assumptions"]
    assert isinstance(assumptions, list)
    assert any("top-up sessions are needed is not known" in a for a in assumptions)
    assert exosome.plan["maintenance_known"] is False


def _assess(condition: str, concern: str, **more: object):  # type: ignore[no-untyped-def]
    data = {"concern": concern, "condition": condition, "age": 35, "sex": "female"}
    data.update({"severity": "moderate", **more})
    return assess(parse_intake(data))


def test_shedding_always_gets_the_check_the_cause_notice() -> None:
    a = _assess("telogen_effluvium", "hair", priorities={"cost": 4, "fewer_sessions": 4})
    notice = next(n for n in a.notices if n.code == "check_the_cause")
    assert "low iron or thyroid" in notice.text and notice.sources
    other = _assess("androgenetic_alopecia", "hair")
    assert all(n.code != "check_the_cause" for n in other.notices)


def test_usual_care_for_shedding_is_tests_and_advice() -> None:
    a = _assess("telogen_effluvium", "hair", priorities={"autologous": 4, "avoid_blood_draw": 4})
    conventional = next(o for o in a.options if o.treatment == "conventional")
    assert conventional.attribute_scores["autologous"] == 1.0
    # its blood tests are advised whatever the person chooses (notice check_the_cause), so
    # they are no blood draw of usual care's own: waiting would need them too
    assert conventional.attribute_scores["avoid_blood_draw"] == 1.0
    assert any("beyond the blood tests we advise" in line for line in conventional.why)
    assert any("puts nothing into your body" in line for line in conventional.why)
    prp = next(o for o in a.options if o.treatment == "prp")
    assert prp.attribute_scores["avoid_blood_draw"] == 0.0


def test_exosome_skin_results_time_is_not_known() -> None:
    kb = load_knowledge()
    for condition in ("acne_scars", "scars", "skin_rejuvenation", "fine_lines_wrinkles"):
        protocol = kb.protocol("exosome", condition)
        assert protocol is not None and protocol.time_to_results_weeks is None, condition


def test_no_new_treatment_cites_the_placebo_groups_it_is_read_from() -> None:
    a = _assess("androgenetic_alopecia", "hair", sex="male")
    waiting = next(o for o in a.options if o.treatment == "no_treatment")
    assert waiting.evidence.sources


def test_every_price_shown_says_who_quoted_it_and_when() -> None:
    from regenaid.reports.assessment_view import build_view

    a = _assess("volume_loss", "skin")
    for o in a.options:
        per = o.cost["price_per_session"]
        assert isinstance(per, dict)
        if per["high"]:
            assert per["basis"] and any(ch.isdigit() for ch in str(per["basis"]))
    filler = next(o for o in build_view(a.model_dump()).options if o.id == "conventional")
    assert filler.lines["per_session"].startswith("Per syringe:")
    assert "(" in filler.lines["per_session"]


def test_label_warnings_are_shown_once_and_only_for_parts_offered() -> None:
    man = _assess("androgenetic_alopecia", "hair", sex="male")
    woman = _assess("androgenetic_alopecia", "hair", sex="female")

    def harms(a: object) -> list[str]:
        option = next(o for o in a.options if o.treatment == "conventional")  # type: ignore[attr-defined]
        return [h.text for h in option.harms]

    assert sum("PSA" in h for h in harms(man)) == 1
    assert not any("Finasteride" in h for h in harms(woman))
    mild = _assess("alopecia_areata", "hair", severity="mild")
    severe = _assess("alopecia_areata", "hair", severity="advanced")
    part = "JAK-inhibitor tablets (baricitinib, ritlecitinib) for severe hair loss:"
    assert not any(h.startswith(part) for h in harms(mild))
    assert any(h.startswith(part) for h in harms(severe))


def test_cards_carry_no_statements_about_other_conditions() -> None:
    scars = _assess("acne_scars", "skin")
    usual = next(o for o in scars.options if o.treatment == "conventional")
    said = " ".join(b.text for b in usual.benefits) + " ".join(u.text for u in usual.unknowns)
    for other in ("Wrinkles", "Melasma", "Volume loss", "Pattern hair loss", "hair medicines"):
        assert other not in said
    waiting = next(o for o in scars.options if o.treatment == "no_treatment")
    assert not any("shedding" in b.text or "alopecia" in b.text for b in waiting.benefits)
    te = _assess("telogen_effluvium", "hair")
    waiting_te = next(o for o in te.options if o.treatment == "no_treatment")
    assert any("shedding" in b.text.lower() for b in waiting_te.benefits)


def test_daily_home_care_reads_as_daily_use_with_reviews_in_the_report() -> None:
    from regenaid.reports.assessment_view import build_view

    a = _assess("androgenetic_alopecia", "hair", sex="male")
    usual = next(o for o in build_view(a.model_dump()).options if o.id == "conventional")
    text = " ".join(usual.lines.values())
    assert "every day at home" in text and "Review visits" in text
    assert "Sessions:" not in text and "Top-up sessions" not in text
    waiting = next(o for o in build_view(a.model_dump()).options if o.id == "no_treatment")
    assert waiting.certainty_text.startswith("How sure we are of the natural course")


def test_advanced_alopecia_areata_is_priced_and_scheduled_as_the_tablets() -> None:
    """Usual care for advanced alopecia areata takes its benefit from baricitinib, so its cost
    and schedule are the tablets', not the steroid injections' (a USD 188 total "within your
    budget" misled). Olumiant list price USD 2,767.39 (2 mg) to 5,534.78 (4 mg) per 30 days,
    March 2025 (Managed Healthcare Executive; mhe-jak-alopecia-prices-2025); the trials judged
    it at 36 weeks (Kwon 2023). Steroid injections: USD 25-100 each (costhelper)."""

    def usual(a: object) -> object:
        return next(o for o in a.options if o.treatment == "conventional")  # type: ignore[attr-defined]

    assessed = _assess("alopecia_areata", "hair", severity="advanced", jurisdiction="GB")
    # the page says it is a US list price before any cover, and that we have no local price
    notice = next(n for n in assessed.notices if n.code == "usual_care_price")
    assert "US list price" in notice.text and "before any insurance" in notice.text
    assert "we do not know" in notice.text
    severe = usual(_assess("alopecia_areata", "hair", severity="advanced"))
    price = severe.cost["price_per_session"]  # type: ignore[attr-defined]
    assert (price["low"], price["high"], price["unit"]) == (2767, 5535, "month")
    assert "mhe-jak-alopecia-prices-2025" in price["sources"]
    # nobody stops before the trials' first judgement at 36 weeks (8 months)
    assert severe.cost["horizon_total"]["expected"] >= 8 * 2767  # type: ignore[attr-defined]
    plan = severe.plan  # type: ignore[attr-defined]
    assert plan["mode"] == "daily_home" and plan["time_to_results_weeks"]["low"] == 36
    assert "tablet" in plan["note"]

    for other in (
        _assess("alopecia_areata", "hair", severity="mild"),
        # no JAK tablets in pregnancy: usual care is the injections, priced per session
        _assess(
            "alopecia_areata",
            "hair",
            severity="advanced",
            health={"pregnant_or_breastfeeding": True},
        ),
    ):
        price = usual(other).cost["price_per_session"]  # type: ignore[attr-defined]
        assert (price["low"], price["high"], price["unit"]) == (25, 100, "session")
        assert not any(n.code.startswith("cost_not_included") for n in other.notices)
        assert not any(n.code == "usual_care_price" for n in other.notices)


def test_severe_alopecia_areata_reads_the_severe_disease_evidence() -> None:
    """Mateos-Haro 2023 (Cochrane): baricitinib for severe alopecia areata, high certainty
    (GRADE); treatments for patches low or very low."""
    severe = _assess("alopecia_areata", "hair", severity="advanced")
    mild = _assess("alopecia_areata", "hair", severity="mild")

    def usual(a: object) -> object:
        return next(o for o in a.options if o.treatment == "conventional")  # type: ignore[attr-defined]

    assert usual(severe).certainty.value == "high"  # type: ignore[attr-defined]
    assert "baricitinib" in usual(severe).evidence.summary  # type: ignore[attr-defined]
    assert usual(mild).certainty.value == "very_low"  # type: ignore[attr-defined]


def test_pigmentation_warns_of_melanoma_and_of_ochronosis() -> None:
    a = _assess("pigmentation", "skin", age=63)
    notice = next(n for n in a.notices if n.code == "check_first")
    assert "melanoma" in notice.text
    assert {"mayo-age-spots-symptoms", "acs-melanoma-signs"} <= set(notice.sources)
    conventional = next(o for o in a.options if o.treatment == "conventional")
    assert any("ochronosis" in h.text for h in conventional.harms)
    for condition, concern in (("acne_scars", "skin"), ("telogen_effluvium", "hair")):
        assert all(n.code != "check_first" for n in _assess(condition, concern).notices)


def test_no_harm_is_listed_twice_on_an_option() -> None:
    # a condition-level harm repeated by a part's own warning ("Fillers: rarely, filler enters
    # a blood vessel" and "Dermal filler injections: Rarely, filler enters a blood vessel")

    for concern, conditions in CONDITIONS_BY_CONCERN.items():
        for condition in conditions:
            for sex in ("male", "female"):
                a = _assess(condition, concern, sex=sex, severity="advanced")
                for o in a.options:
                    seen: set[str] = set()
                    for h in o.harms:
                        said = h.text.split(": ", 1)[-1]
                        words = " ".join(re.findall(r"\w+", said.lower())[:8])
                        assert words not in seen, (condition, o.treatment, h.text)
                        seen.add(words)


def test_jak_tablets_wait_for_an_infection_and_ask_the_heart_doctor() -> None:
    """JAK-inhibitor tablets raise the risk of serious infections (boxed warning, Litfulo
    label); a patient guide (Arthritis Society Canada) says to call the prescriber about any
    fever or infection. The boxed warning also covers heart attacks, strokes and clots. A man
    with advanced alopecia areata and an infection read 'Not ruled out by your answers'."""

    def usual(**health: bool) -> object:
        a = _assess("alopecia_areata", "hair", severity="advanced", sex="male", health=health)
        return next(o for o in a.options if o.treatment == "conventional")

    infected = usual(systemic_infection=True)
    reason = next(r for r in infected.reasons if r.code == "systemic_infection")  # type: ignore[attr-defined]
    assert "JAK-inhibitor tablets" in reason.text and "Leave this part out" in reason.text
    assert "arthritis-society-baricitinib" in reason.sources
    assert infected.cost["price_per_session"]["unit"] == "session"  # type: ignore[attr-defined]
    heart = usual(cardiovascular_disease=True)
    reason = next(r for r in heart.reasons if r.code == "cardiovascular_disease")  # type: ignore[attr-defined]
    assert reason.level == "caution" and "heart attacks" in reason.text
    assert heart.cost["price_per_session"]["unit"] == "month"  # type: ignore[attr-defined]


def test_without_the_tablets_advanced_alopecia_areata_shows_the_injections_outcomes() -> None:
    """In pregnancy the JAK tablets are left out: usual care is the injections, so its
    take-home table must not promise the tablets' 36-39 in 100 (BRAVE-AA) nor say regrowth
    lasts while you keep taking them."""
    a = _assess(
        "alopecia_areata", "hair", severity="advanced", health={"pregnant_or_breastfeeding": True}
    )
    usual = next(o for o in a.options if o.treatment == "conventional")
    text = " ".join(o.text for o in usual.outcomes)
    assert "baricitinib" not in text and "keep taking" not in text
    assert "steroid" in text.lower()
    warnings = " ".join(h.text for h in usual.harms)
    assert "must not be taken while breastfeeding" not in warnings  # the tablets' label warning


def test_the_tablets_boxed_warning_is_shown_once_and_only_where_the_tablets_are_offered() -> None:
    """A dermatologist's read: with the tablets left out in pregnancy, usual care (injections)
    still showed the tablets' boxed warning as its harm, and someone with advanced disease read
    the boxed warning twice (the condition's line and the tablets' label warning)."""

    def boxed(severity: str, **health: bool) -> int:
        a = _assess("alopecia_areata", "hair", severity=severity, health=health)
        usual = next(o for o in a.options if o.treatment == "conventional")
        return sum("boxed" in h.text for h in usual.harms)

    assert boxed("advanced") == 1
    assert boxed("advanced", pregnant_or_breastfeeding=True) == 0
    assert boxed("mild") == 0


def test_when_the_tablets_are_left_out_the_injections_are_said_to_be_for_small_patches() -> None:
    """With widespread hair loss and the tablets left out (pregnancy, an infection), usual care
    'can still start with' steroid injections, which are meant for small patches (MSD Manual):
    the reason says so, instead of offering them as if they answered widespread loss."""
    for health in ({"pregnant_or_breastfeeding": True}, {"systemic_infection": True}):
        a = _assess("alopecia_areata", "hair", severity="advanced", health=health)
        usual = next(o for o in a.options if o.treatment == "conventional")
        reason = next(r for r in usual.reasons if "can still start with" in r.text)
        assert "meant for small patches" in reason.text, health
        assert "msd-manual-alopecia-areata" in reason.sources


def test_the_tablets_pregnancy_warning_names_both_tablets() -> None:
    """In the UK the NHS funds ritlecitinib, not baricitinib: the tablets' pregnancy warning
    named baricitinib only (Litfulo's label: malformations in animal studies)."""
    a = _assess("alopecia_areata", "hair", severity="advanced")
    usual = next(o for o in a.options if o.treatment == "conventional")
    warning = next(h for h in usual.harms if "unborn baby" in h.text)
    assert "ritlecitinib caused birth defects in animal studies" in warning.text
    assert "litfulo-pregnancy-label" in warning.sources


def test_the_tablets_carry_europes_advice_from_65_and_with_heart_disease() -> None:
    """A dermatologist's read: a 66-year-old with heart disease was offered the tablets with
    the same caution as a PRP kit maker's. European regulators (EMA's safety committee, 2022)
    advised that people of 65 or more, or at higher risk of heart problems, take JAK tablets
    only if nothing else suits; both reasons say so, only where the tablets are offered."""

    def reasons(age: int, severity: str = "advanced", **health: bool) -> dict[str, Any]:
        a = _assess("alopecia_areata", "hair", severity=severity, age=age, health=health)
        usual = next(o for o in a.options if o.treatment == "conventional")
        return {r.code: r for r in usual.reasons}

    old = reasons(67)
    assert old["jak_65_or_older"].level == "caution"
    assert "only if nothing else suits" in old["jak_65_or_older"].text
    assert "infarmed-prac-jak-2022" in old["jak_65_or_older"].sources
    assert "jak_65_or_older" not in reasons(64)
    assert "jak_65_or_older" not in reasons(70, severity="mild")
    heart = reasons(50, cardiovascular_disease=True)["cardiovascular_disease"]
    assert "only if no other treatment suits" in heart.text


def test_a_blood_thinner_is_linked_to_the_tablets_warning_on_clots() -> None:
    """A dermatologist's read: a person on a blood thinner (often after a clot) was offered the
    JAK tablets with nothing linking it to their boxed warning on thrombosis (Litfulo's US
    label). The caution is there only where the tablets are offered."""

    def reasons(severity: str, **health: bool) -> dict[str, Any]:
        a = _assess("alopecia_areata", "hair", severity=severity, health=health)
        usual = next(o for o in a.options if o.treatment == "conventional")
        return {r.code: r for r in usual.reasons}

    thinner = reasons("advanced", anticoagulant=True)["anticoagulant"]
    assert thinner.level == "caution"
    assert "blood clot" in thinner.text and "boxed warning" in thinner.text
    assert "litfulo-openfda-label" in thinner.sources
    assert "boxed warning" not in reasons("mild", anticoagulant=True)["anticoagulant"].text
