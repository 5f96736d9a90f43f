"""Ranking with hand-built option facts: the documented scoring functions and their effects."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from regenaid.decide.intake import Intake, parse_intake
from regenaid.decide.ranking import (
    BASE_BENEFIT,
    BENEFIT_WEIGHT,
    OptionFacts,
    cost_score,
    evidence_score,
    maintenance_score,
    rank_options,
    sessions_score,
    speed_score,
)
from regenaid.decide.screening import screen_options
from regenaid.knowledge.model import Certainty, Contraindication, Range

PRP = OptionFacts(
    treatment="prp",
    name="PRP",
    certainty=Certainty.LOW,
    time_to_results_weeks=Range(12, 24),
    sessions_over_horizon=Range(6, 9),
    maintenance_interval_weeks=Range(13, 26),
    horizon_cost=9000.0,
    currency="USD",
    autologous=1.0,
    blood_draw=True,
)
EXO = OptionFacts(
    treatment="exosome",
    name="Exosome therapy",
    certainty=Certainty.VERY_LOW,
    time_to_results_weeks=Range(8, 26),
    sessions_over_horizon=Range(1, 5),
    maintenance_interval_weeks=Range(26, 52),
    horizon_cost=15000.0,
    currency="USD",
    autologous=0.0,
    blood_draw=False,
)
CONV = OptionFacts(
    treatment="conventional",
    name="Conventional care",
    certainty=Certainty.MODERATE,
    time_to_results_weeks=Range(16, 26),
    sessions_over_horizon=Range(2, 4),
    maintenance_interval_weeks=None,
    horizon_cost=800.0,
    currency="USD",
    autologous=0.0,
    blood_draw=False,
)
NONE = OptionFacts(
    treatment="no_treatment",
    name="No new treatment",
    certainty=Certainty.MODERATE,
    time_to_results_weeks=None,
    sessions_over_horizon=Range(0, 0),
    maintenance_interval_weeks=None,
    horizon_cost=0.0,
    currency="USD",
    autologous=1.0,
    blood_draw=False,
)
FACTS = [PRP, EXO, CONV, NONE]


def person(**changes: Any) -> Intake:
    data: dict[str, Any] = {
        "concern": "hair",
        "condition": "androgenetic_alopecia",
        "age": 40,
        "sex": "male",
        "severity": "moderate",
    }
    data.update(changes)
    return parse_intake(data)


def ranked(intake: Intake, facts: list[OptionFacts] = FACTS, rules: tuple[Any, ...] = ()):  # type: ignore[no-untyped-def]
    screening = screen_options(intake, rules, tuple(f.treatment for f in facts))
    return rank_options(facts, screening, intake)


def test_attribute_scoring_functions() -> None:
    assert [evidence_score(c) for c in Certainty] == pytest.approx([1, 2 / 3, 1 / 3, 0])
    assert speed_score(None) == 0
    assert speed_score(Range(0, 0)) == 1
    assert speed_score(Range(26, 26)) == pytest.approx(0.5)
    assert speed_score(Range(60, 80)) == 0
    assert sessions_score(Range(0, 0)) == 1
    assert sessions_score(Range(3, 3)) == pytest.approx(0.75)
    assert sessions_score(Range(20, 30)) == 0
    assert maintenance_score(None) == 1
    assert maintenance_score(Range(13, 13)) == pytest.approx(0.25)
    assert cost_score(1000, 1000, 0) == pytest.approx(0.5)
    assert cost_score(0, 1000, 0) == 1
    assert cost_score(3000, 1000, 0) == 0
    assert cost_score(500, None, 1000) == pytest.approx(0.5)
    assert cost_score(0, None, 0) == 1


def test_ranks_are_1_to_n_and_scores_in_unit_interval() -> None:
    result = ranked(person())
    ranks = sorted(r.rank for r in result.values() if r.rank is not None)
    assert ranks == [1, 2, 3, 4]
    assert all(r.score is not None and 0 <= r.score <= 1 for r in result.values())


def test_score_formula_by_hand() -> None:
    # every priority 0 except cost 4: score = B*benefit + (1-B)*cost_score
    intake = person(
        priorities={
            "cost": 4,
            "speed": 0,
            "fewer_sessions": 0,
            "evidence": 0,
            "autologous": 0,
            "avoid_blood_draw": 0,
            "low_maintenance": 0,
        }
    )
    result = ranked(intake)
    expected = BENEFIT_WEIGHT * BASE_BENEFIT[Certainty.LOW] + (1 - BENEFIT_WEIGHT) * (
        1 - 9000 / 15000
    )
    assert result["prp"].score == pytest.approx(expected, abs=1e-4)


def test_all_priorities_zero_scores_benefit_only() -> None:
    zero = dict.fromkeys(
        [
            "cost",
            "speed",
            "fewer_sessions",
            "evidence",
            "autologous",
            "avoid_blood_draw",
            "low_maintenance",
        ],
        0,
    )
    result = ranked(person(priorities=zero))
    for f in FACTS:
        assert result[f.treatment].score == pytest.approx(result[f.treatment].benefit, abs=1e-4)


def test_raising_cost_priority_moves_cheap_option_up() -> None:
    low = ranked(person(priorities={"cost": 0}))
    high = ranked(person(priorities={"cost": 4}))
    assert high["exosome"].rank >= low["exosome"].rank  # type: ignore[operator]
    assert high["conventional"].score > low["conventional"].score  # type: ignore[operator]
    assert high["exosome"].score < low["exosome"].score  # type: ignore[operator]
    assert any("You rated cost 4/4" in line and "lowered" in line for line in high["exosome"].why)


def test_blood_draw_priority_lowers_prp() -> None:
    low = ranked(person(priorities={"avoid_blood_draw": 0}))
    high = ranked(person(priorities={"avoid_blood_draw": 4}))
    assert high["prp"].score < low["prp"].score  # type: ignore[operator]
    assert any("blood draw" in line and "lowered" in line for line in high["prp"].why)


def test_prior_prp_no_response_halves_expected_benefit() -> None:
    base = ranked(person())["prp"]
    none = ranked(person(prior_treatments=[{"treatment": "prp", "response": "none"}]))["prp"]
    good = ranked(person(prior_treatments=[{"treatment": "prp", "response": "good"}]))["prp"]
    assert none.benefit == pytest.approx(base.benefit * 0.5)
    assert good.benefit > base.benefit
    assert none.score < base.score < good.score  # type: ignore[operator]
    assert any("did not help" in line for line in none.why)


def test_advanced_hair_loss_lowers_prp_expectation() -> None:
    moderate = ranked(person())["prp"]
    advanced = ranked(person(severity="advanced"))["prp"]
    assert advanced.benefit < moderate.benefit
    assert any("advanced" in line for line in advanced.why)


def test_contraindicated_and_deferred_are_not_ranked() -> None:
    rules = (
        Contraindication("anticoagulant", "contraindicated", ("prp",), "x", ()),
        Contraindication("pregnant_or_breastfeeding", "defer", ("exosome",), "y", (), "later"),
    )
    result = ranked(
        person(health={"anticoagulant": True, "pregnant_or_breastfeeding": True}), rules=rules
    )
    assert result["prp"].rank is None and result["prp"].score is None
    assert result["exosome"].rank is None and result["exosome"].score is None
    assert sorted(r.rank for r in result.values() if r.rank) == [1, 2]


def test_caution_costs_a_little() -> None:
    rules = (Contraindication("needle_phobia", "caution", ("prp",), "needles", ()),)
    plain = ranked(person())["prp"]
    caution = ranked(person(health={"needle_phobia": True}), rules=rules)["prp"]
    assert caution.score == pytest.approx(plain.score - 0.05, abs=2e-4)  # type: ignore[operator]


def test_ties_broken_by_certainty_then_fixed_order() -> None:
    twin_a = replace(PRP, treatment="prp", certainty=Certainty.LOW)
    twin_b = replace(PRP, treatment="exosome", certainty=Certainty.LOW)
    zero = dict.fromkeys(
        [
            "cost",
            "speed",
            "fewer_sessions",
            "evidence",
            "autologous",
            "avoid_blood_draw",
            "low_maintenance",
        ],
        0,
    )
    result = ranked(person(priorities=zero), [twin_b, twin_a])
    assert (result["prp"].rank, result["exosome"].rank) == (1, 2)


def test_deterministic() -> None:
    assert ranked(person()) == ranked(person())


def test_why_says_when_a_priority_was_not_rated() -> None:
    result = ranked(person(priorities={"cost": 4}))
    lines = [line for r in result.values() for line in r.why]
    assert any(line.startswith("You rated cost 4/4") for line in lines)
    assert not any(line.startswith("You rated seeing results soon") for line in lines)
    assert any("you did not rate it; default 2/4" in line for line in lines)


def test_natural_recovery_raises_waiting_for_telogen_effluvium() -> None:
    te = person(condition="telogen_effluvium", sex="female")
    chronic = person(condition="telogen_effluvium", sex="female", duration_months=12)
    assert ranked(te)["no_treatment"].benefit == pytest.approx(0.5)
    assert ranked(chronic)["no_treatment"].benefit == pytest.approx(0.2)
    assert any("chronic" in line for line in ranked(chronic)["no_treatment"].why)
    assert ranked(person())["no_treatment"].benefit == pytest.approx(0.1)  # AGA: no recovery


def test_alopecia_areata_waiting_depends_on_extent() -> None:
    mild = ranked(person(condition="alopecia_areata", severity="mild"))["no_treatment"].benefit
    wide = ranked(person(condition="alopecia_areata", severity="advanced"))["no_treatment"].benefit
    assert mild > wide
