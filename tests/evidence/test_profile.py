"""evidence_profile is defined for every (condition, treatment) pair and follows its rules."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from factories import prp_saline_trial, published_prp_review
from regenaid.evidence.profile import effect_and_variance, evidence_profile, poolable_group
from regenaid.knowledge.model import (
    CONDITIONS_BY_CONCERN,
    TREATMENT_IDS,
    Certainty,
    Source,
    StudyArm,
    StudyOutcome,
)
from regenaid.knowledge.studies import STUDIES_CSV, load_studies

CONDITIONS = [c for cs in CONDITIONS_BY_CONCERN.values() for c in cs]


@pytest.fixture(scope="module")
def studies():  # type: ignore[no-untyped-def]
    entries = yaml.safe_load((STUDIES_CSV.parent / "sources" / "studies.yaml").read_text())
    return load_studies(STUDIES_CSV, {e["id"]: Source(**e) for e in entries})


@pytest.mark.parametrize("condition", CONDITIONS)
@pytest.mark.parametrize("treatment", TREATMENT_IDS)
def test_profile_exists_for_every_pair(studies, condition: str, treatment: str) -> None:  # type: ignore[no-untyped-def]
    p = evidence_profile(studies, condition, treatment)  # type: ignore[arg-type]
    assert isinstance(p.certainty, Certainty)
    assert p.summary
    assert p.certainty == Certainty.HIGH or p.certainty_reasons
    for s in (*p.studies, *p.published):
        assert s.condition == condition and s.treatment == treatment
    assert all(s.kind == "primary" for s in p.studies)
    assert all(s.kind == "pooled_published" for s in p.published)


def test_exosomes_for_hair_are_too_few_to_pool(studies) -> None:  # type: ignore[no-untyped-def]
    p = evidence_profile(studies, "androgenetic_alopecia", "exosome")
    assert p.pooled is None
    assert p.certainty == Certainty.VERY_LOW
    assert "too few studies" in p.summary.lower()
    assert "Amini 2025" in p.summary


# --- PRP for androgenetic alopecia: what the cited table supports today -----------------

# The only trials of PRP vs placebo with both arms' hair density (mean, SD, n) printed on a page
# we could read: Shapiro 2020 (final values) and Gentile 2017 (change from baseline).
POOLED_AGA_IDS = {"prp-aga-shapiro-2020", "prp-aga-gentile-2017"}


def _prp_aga(studies):  # type: ignore[no-untyped-def]
    return evidence_profile(studies, "androgenetic_alopecia", "prp")


def test_prp_for_aga_pools_the_verified_primary_trials(studies) -> None:  # type: ignore[no-untyped-def]
    p = _prp_aga(studies)
    assert p.pooled is not None
    assert p.pooled.k == 2 and p.pooled.n == 35 + 18  # split-scalp: each person counted once
    assert {s.id for s in poolable_group(p.studies)} == POOLED_AGA_IDS
    assert (p.pooled.method, p.pooled.test) == ("REML", "knha")
    assert p.pooled.ci_lb < p.pooled.estimate < p.pooled.ci_ub
    assert p.pooled.pi_lb <= p.pooled.ci_lb and p.pooled.pi_ub >= p.pooled.ci_ub
    assert p.pooled.I2 > 90  # 4.24 vs 63.1 hairs/cm2: the two trials disagree
    # Gentile 2017 does not say it was randomised, the CI includes no effect, 53 people: our
    # pool alone rates very low (said in the reasons), but it is not the headline (below).
    assert any("on its own it would be rated very low certainty" in r for r in p.certainty_reasons)


def test_prp_for_aga_headline_is_the_larger_rated_review(studies) -> None:  # type: ignore[no-untyped-def]
    # Kieling 2024 pooled 13 RCTs of PRP vs placebo (MD in hairs/cm2) and rated them low;
    # Cruciani 2021 (7 trials, saline) is smaller. Our pool has 2 trials, so Kieling carries
    # the headline (docs/evidence.md, "Which body of evidence carries the headline").
    p = _prp_aga(studies)
    assert p.headline == "published"
    assert p.headline_review is not None
    assert p.headline_review.id == "prp-aga-kieling-2024-density"
    assert p.certainty == Certainty.LOW  # as printed by Kieling 2024
    assert p.certainty_reasons[0] == "Rating as published by Kieling 2024, a review of 13 trials."
    assert "Our own pooling of the 2 trials" in p.certainty_reasons[1]
    assert "covers more trials (13)" in p.certainty_reasons[1]
    # The summary quotes Kieling's printed MD 27.55 [14.04, 41.06], not our 1-df interval.
    assert "13 trials (431 people) (Kieling 2024)" in p.summary
    assert "about 28 hairs per cm² more" in p.summary and "could be 14 to 41" in p.summary
    assert "It rated the evidence low certainty." in p.summary
    assert "340" not in p.summary and "408" not in p.summary
    assert "2 small trials" not in p.summary
    # Our pool is still there for the evidence page, the CLI and the forest plot.
    assert p.pooled is not None and p.pooled.k == 2
    assert p.pooled.ci_lb < -300 and p.pooled.ci_ub > 400


def test_published_pooled_results_stay_out_of_our_pooling(studies) -> None:  # type: ignore[no-untyped-def]
    # Kieling 2024, Cruciani 2021, Giordano 2018 and the 2019 review all print an MD in
    # hairs/cm2 with a CI, the same outcome/unit/measure as the pooled trials; none is pooled.
    p = _prp_aga(studies)
    published_md = [
        s for s in p.published if s.extra.get("measure") == "MD" and s.unit == "hairs/cm2"
    ]
    assert len(published_md) >= 4 and all(s.effect is not None for s in published_md)
    assert all(s.kind == "pooled_published" for s in p.published)
    assert p.pooled is not None and p.pooled.k == len(POOLED_AGA_IDS)


def test_a_primary_row_with_effect_and_ci_pools_but_published_rows_never_do(studies) -> None:  # type: ignore[no-untyped-def]
    # Mechanism check with one MADE-UP primary row (effect 10, 95% CI -5 to 25): a primary
    # trial that prints only its MD and CI pools with the per-arm trials; the published rows
    # with the same outcome, unit and measure are still left out (k goes from 2 to 3 only).
    shapiro = next(s for s in studies if s.id == "prp-aga-shapiro-2020")
    made_up = dataclasses.replace(
        shapiro,
        id="made-up-ci-row",
        study="Made-up 2099",
        treated=StudyArm(n=20),
        control=StudyArm(n=20),
        effect=10.0,
        ci_low=-5.0,
        ci_high=25.0,
        extra={**shapiro.extra, "paired": "no"},
    )
    pair = effect_and_variance(made_up)
    assert pair is not None
    # vi from the CI: ((ub - lb) / (2 * 1.959964))^2 (Cochrane Handbook 6.5.2.2)
    assert pair == (10.0, pytest.approx((30.0 / (2 * 1.959964)) ** 2, rel=1e-6))
    p = _prp_aga([*studies, made_up])
    assert p.pooled is not None
    assert p.pooled.k == 3
    assert p.pooled.n == 35 + 18 + 40


def test_acne_microneedling_trial_with_numbers_is_listed_not_pooled(studies) -> None:  # type: ignore[no-untyped-def]
    p = evidence_profile(studies, "acne_scars", "prp")
    assert p.pooled is None
    assert any(s.id == "prp-acne-sharma-mn" for s in p.studies)
    assert "Sharma, Kaur & Bassi" in p.summary


# --- which body of evidence carries the headline (hand-built rows) ------------------------


# Two small placebo-controlled trials that disagree: our pool's 1-df Knapp-Hartung interval is
# wide and its own rating is not moderate, so the headline's source is visible in the certainty.
TWO_TRIALS = (prp_saline_trial(1, 170, 150, 35, 20), prp_saline_trial(2, 152, 150, 30, 25))


def _own_rating() -> Certainty:
    return evidence_profile(TWO_TRIALS, "androgenetic_alopecia", "prp").certainty


def test_no_published_review_our_pool_is_the_headline() -> None:
    p = evidence_profile(TWO_TRIALS, "androgenetic_alopecia", "prp")
    assert p.headline == "ours" and p.headline_review is None
    assert p.pooled is not None and p.pooled.k == 2
    assert p.summary.startswith("In 2 small trials (90 people), PRP added about")
    assert p.certainty != Certainty.MODERATE  # so the tests below can tell the two apart


def test_larger_rated_review_carries_the_headline() -> None:
    review = published_prp_review("13")
    p = evidence_profile([*TWO_TRIALS, review], "androgenetic_alopecia", "prp")
    assert p.headline == "published" and p.headline_review is review
    assert p.certainty == Certainty.MODERATE  # the review's printed rating
    assert p.certainty_reasons[0] == "Rating as published by Review 2024, a review of 13 trials."
    own = _own_rating().value.replace("_", " ")
    assert p.certainty_reasons[1] == (
        "Our own pooling of the 2 trials with usable numbers in our table is shown too (on its "
        f"own it would be rated {own} certainty), but the published review covers more trials "
        "(13), so its rating is used."
    )
    assert p.summary == (
        "A published review of 13 trials (400 people) (Review 2024) found that PRP gave about "
        "20 hairs per cm² more than a placebo (dummy treatment) (could be 10 to 30). "
        "It rated the evidence moderate certainty."
    )
    assert p.pooled is not None and p.pooled.k == 2  # still shown


def test_review_no_larger_than_our_pool_leaves_our_pool_the_headline() -> None:
    # "at least as many studies": a rated review of 2 trials does not take the headline.
    p = evidence_profile([*TWO_TRIALS, published_prp_review("2")], "androgenetic_alopecia", "prp")
    assert p.headline == "ours" and p.headline_review is None
    assert p.certainty == _own_rating()
    assert p.summary.startswith("In 2 small trials (90 people)")
    assert p.summary.endswith(
        "A published review (Review 2024) rated the evidence moderate certainty."
    )


@pytest.mark.parametrize(
    "review",
    [
        published_prp_review("13", certainty=None),  # not rated
        published_prp_review("13", comparator="minoxidil 5%"),  # another comparison
        published_prp_review("13", unit="hairs/0.65 cm2"),  # another unit
        published_prp_review("13", extra={"measure": "SMD", "k_studies": "13"}),  # another measure
        published_prp_review(""),  # size not recorded: cannot be shown to be more complete
    ],
    ids=["unrated", "active-comparator", "other-unit", "other-measure", "k-unknown"],
)
def test_only_a_larger_rated_review_of_the_same_comparison_takes_the_headline(
    review: StudyOutcome,
) -> None:
    p = evidence_profile([*TWO_TRIALS, review], "androgenetic_alopecia", "prp")
    assert p.headline == "ours" and p.headline_review is None
    assert p.certainty == _own_rating()


def test_the_largest_rated_review_is_the_one_used() -> None:
    small = published_prp_review(
        "7", certainty=Certainty.LOW, id="small", study="Small 2025", year=2025
    )
    large = published_prp_review(
        "13", certainty=Certainty.MODERATE, id="large", study="Large 2021", year=2021
    )
    p = evidence_profile([*TWO_TRIALS, small, large], "androgenetic_alopecia", "prp")
    assert p.headline_review is large and p.certainty == Certainty.MODERATE
