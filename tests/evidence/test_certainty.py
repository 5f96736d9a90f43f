"""The GRADE-style rules in regenaid.evidence.certainty, one test per rule, and the pooled path
of evidence_profile on a small made-up study table."""

from __future__ import annotations

import dataclasses

import pytest

from factories import prp_saline_trial
from regenaid.evidence import escalc, rma
from regenaid.evidence.certainty import BodyOfEvidence, StudyWeight, rate_certainty
from regenaid.evidence.profile import evidence_profile
from regenaid.knowledge.model import Certainty, StudyArm


def body(**changes: object) -> BodyOfEvidence:
    base = BodyOfEvidence(
        studies=[StudyWeight(1.0, True, "low")] * 4,
        total_n=800,
        ci_crosses_null=False,
        pi_crosses_null=False,
        I2=10.0,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_clean_randomised_evidence_is_high() -> None:
    rating = rate_certainty(body())
    assert rating.certainty == Certainty.HIGH and rating.reasons == ()


def test_observational_starts_low() -> None:
    rating = rate_certainty(body(studies=[StudyWeight(1.0, False, "low")] * 4))
    assert rating.certainty == Certainty.LOW
    assert "not randomised" in rating.reasons[0]


@pytest.mark.parametrize(
    ("rob", "expected"),
    [("unclear", Certainty.MODERATE), ("high", Certainty.LOW), ("some_concerns", Certainty.HIGH)],
)
def test_risk_of_bias(rob: str, expected: Certainty) -> None:
    assert rate_certainty(body(studies=[StudyWeight(1.0, True, rob)] * 4)).certainty == expected


def test_inconsistency_one_and_two_levels() -> None:
    assert rate_certainty(body(I2=60.0)).certainty == Certainty.MODERATE
    two = rate_certainty(body(I2=90.0, pi_crosses_null=True))
    assert two.certainty == Certainty.LOW
    assert "varied a lot" in two.reasons[0]


def test_imprecision_ci_and_optimal_information_size() -> None:
    assert rate_certainty(body(ci_crosses_null=True)).certainty == Certainty.MODERATE
    assert rate_certainty(body(total_n=120)).certainty == Certainty.MODERATE
    both = rate_certainty(body(ci_crosses_null=True, total_n=120))
    assert both.certainty == Certainty.LOW and len(both.reasons) == 2


def test_one_small_study_without_an_effect_size_is_three_levels_imprecise() -> None:
    """GRADE guidance 34 (Zeng 2022): far below the optimal information size, rate down two or
    three levels; a single 19-person trial with no published effect size is very low."""
    single = rate_certainty(
        body(
            studies=[StudyWeight(1.0, True, "low")],
            total_n=19,
            effect_known=False,
            I2=None,
            pi_crosses_null=None,
        )
    )
    assert single.certainty == Certainty.VERY_LOW
    assert len(single.reasons) == 3


def test_indirectness_and_publication_bias() -> None:
    indirect = [StudyWeight(1.0, True, "low", indirect=True)] * 4
    assert rate_certainty(body(studies=indirect)).certainty == Certainty.MODERATE
    many = [StudyWeight(1.0, True, "low")] * 12
    assert rate_certainty(body(studies=many, egger_p=0.03)).certainty == Certainty.MODERATE
    # fewer than 10 studies: no publication-bias judgement even with a small Egger p
    assert rate_certainty(body(egger_p=0.03)).certainty == Certainty.HIGH


def test_floor_is_very_low() -> None:
    worst = body(
        studies=[StudyWeight(1.0, False, "high", indirect=True)] * 2,
        total_n=40,
        ci_crosses_null=True,
        pi_crosses_null=True,
        I2=90.0,
    )
    assert rate_certainty(worst).certainty == Certainty.VERY_LOW


def test_profile_pools_primary_trials_with_reml_and_knapp_hartung() -> None:
    trials = [
        prp_saline_trial(1, 170, 150, 35, 20),
        prp_saline_trial(2, 160, 150, 30, 25),
        prp_saline_trial(3, 190, 150, 40, 15),
    ]
    p = evidence_profile(trials, "androgenetic_alopecia", "prp")
    assert p.pooled is not None
    es = escalc(
        "MD",
        m1i=[170, 160, 190],
        sd1i=[35, 30, 40],
        n1i=[20, 25, 15],
        m2i=[150, 150, 150],
        sd2i=[35, 30, 40],
        n2i=[20, 25, 15],
    )
    ref = rma(es.yi, es.vi, method="REML", test="knha")
    assert p.pooled.estimate == pytest.approx(ref.estimate)
    assert p.pooled.ci_lb == pytest.approx(ref.ci_lb)
    assert p.pooled.pi_ub == pytest.approx(ref.predict().pi_ub)
    assert p.pooled.k == 3 and p.pooled.n == 120
    assert "Our own calculation from 3 small trials (120 people): PRP added about" in p.summary
    assert "salt-water" in p.summary
    # small trials: fewer than 400 people, so at most moderate
    assert p.certainty.level <= Certainty.MODERATE.level


def test_profile_does_not_pool_different_comparators() -> None:
    placebo = [
        prp_saline_trial(1, 170, 150, 35, 20),
        prp_saline_trial(2, 160, 150, 30, 25),
        prp_saline_trial(4, 175, 150, 30, 20),
    ]
    active = dataclasses.replace(
        prp_saline_trial(3, 190, 150, 40, 15), comparator="microneedling alone"
    )
    p = evidence_profile([*placebo, active], "androgenetic_alopecia", "prp")
    assert p.pooled is not None and p.pooled.k == 3
    assert p.pooled.comparator == "saline injection"
    # Without the third placebo trial, two placebo trials are too few to pool, and the active
    # comparison is never added to make up the number.
    p = evidence_profile([*placebo[:2], active], "androgenetic_alopecia", "prp")
    assert p.pooled is None


def test_published_rows_are_never_pooled() -> None:
    published = dataclasses.replace(
        prp_saline_trial(9, 0, 0, 1, 10),
        kind="pooled_published",
        treated=StudyArm(),
        control=StudyArm(),
        effect=25.6,
        ci_low=2.62,
        ci_high=48.57,
        published_certainty=Certainty.LOW,
    )
    p = evidence_profile(
        [prp_saline_trial(1, 170, 150, 35, 20), published], "androgenetic_alopecia", "prp"
    )
    assert p.pooled is None  # one primary trial: nothing of ours to pool
    assert p.published == (published,)
    assert p.certainty == Certainty.LOW


def test_profile_never_raises_when_numbers_cannot_be_pooled() -> None:
    zero_sd = dataclasses.replace(
        prp_saline_trial(2, 160, 150, 30, 25),
        treated=StudyArm(n=25, mean=160, sd=1e-300),
        control=StudyArm(n=25, mean=150, sd=1e-300),
    )
    p = evidence_profile(
        [prp_saline_trial(1, 170, 150, 35, 20), zero_sd, prp_saline_trial(3, 190, 150, 40, 15)],
        "androgenetic_alopecia",
        "prp",
    )
    assert isinstance(p.certainty, Certainty) and p.summary
