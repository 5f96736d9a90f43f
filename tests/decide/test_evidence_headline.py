"""The null-effect cap follows the body of evidence that carries the headline (docs/ranking.md).

Our pooled interval caps an option's expected benefit only when our pool is the headline; when a
larger rated published review carries it, that review's printed interval is used instead (and
no cap when it prints none).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from factories import prp_saline_trial, published_prp_review
from regenaid.decide import assess, parse_intake
from regenaid.decide.assessment import _null_effect
from regenaid.decide.ranking import BASE_BENEFIT, natural_course_benefit
from regenaid.evidence.profile import evidence_profile, head_to_head
from regenaid.knowledge import load_knowledge
from regenaid.knowledge.model import Certainty, StudyOutcome

KB = load_knowledge()


REVIEW = published_prp_review("13", Certainty.LOW, id="review")
# Three trials that disagree: our 2-df Knapp-Hartung interval includes no effect. (We pool
# only 3 or more studies: evidence.profile.MIN_STUDIES_TO_POOL.)
TRIALS = (
    prp_saline_trial(1, 170, 150, 35, 20),
    prp_saline_trial(2, 152, 150, 30, 25),
    prp_saline_trial(3, 147, 150, 30, 25),
)


def _profile(*rows: StudyOutcome):  # type: ignore[no-untyped-def]
    return evidence_profile(rows, "androgenetic_alopecia", "prp")


def test_our_pooled_interval_caps_when_our_pool_is_the_headline() -> None:
    p = _profile(*TRIALS)
    assert p.headline == "ours"
    assert p.pooled is not None and p.pooled.ci_lb < 0 < p.pooled.ci_ub
    assert _null_effect(p) is True


def test_published_interval_is_used_when_the_review_is_the_headline() -> None:
    p = _profile(*TRIALS, REVIEW)
    assert p.headline == "published"
    assert p.pooled is not None and p.pooled.ci_lb < 0  # our pool still includes no effect ...
    assert _null_effect(p) is False  # ... but the headline review's 10 to 30 does not
    crossing = dataclasses.replace(REVIEW, ci_low=-5.0, ci_high=30.0)
    assert _null_effect(_profile(*TRIALS, crossing)) is True


def test_published_headline_without_an_interval_gives_no_cap() -> None:
    no_ci = dataclasses.replace(REVIEW, effect=None, ci_low=None, ci_high=None)
    p = _profile(*TRIALS, no_ci)
    assert p.headline == "published" and p.headline_review is no_ci
    assert _null_effect(p) is False
    # A narrative review is another measure than our MD pool; with one trial (nothing of ours
    # to pool) its rating is the headline, and it gives no interval to cap with.
    narrative = dataclasses.replace(REVIEW, extra={**REVIEW.extra, "measure": "narrative"})
    p = _profile(TRIALS[0], narrative)
    assert p.headline == "published" and p.headline_review is narrative
    assert _null_effect(p) is False


def test_ratio_reviews_use_one_as_no_effect() -> None:
    rr = dataclasses.replace(
        REVIEW, extra={**REVIEW.extra, "measure": "RR"}, ci_low=0.9, ci_high=1.4
    )
    # A review in RR is another comparison than our MD pool, so alone with one trial it is the
    # published headline of the unpooled path.
    p = _profile(TRIALS[0], rr)
    assert p.headline == "published" and p.headline_review is rr
    assert _null_effect(p) is True
    assert _null_effect(_profile(TRIALS[0], dataclasses.replace(rr, ci_low=1.1))) is False


def test_no_headline_no_cap() -> None:
    p = _profile(TRIALS[0])
    assert p.headline == "none" and p.pooled is None
    assert _null_effect(p) is False


# --- the shipped knowledge base: PRP for androgenetic alopecia ------------------------------


def test_two_trials_are_too_few_to_pool() -> None:
    p = _profile(*TRIALS[:2])
    assert p.pooled is None and p.headline == "none"
    assert "too few studies" in p.summary.lower()
    assert any("pool" in r for r in p.certainty_reasons)


def test_prp_for_aga_is_not_capped_by_a_small_pool() -> None:
    a_intake = parse_intake(
        {
            "concern": "hair",
            "condition": "androgenetic_alopecia",
            "age": 36,
            "sex": "male",
            "severity": "moderate",
        }
    )
    a = assess(a_intake, KB)
    prp = next(o for o in a.options if o.treatment == "prp")
    # Kieling 2024 (13 RCTs, rated low, MD 27.55 [14.04, 41.06]) carries the headline.
    assert prp.evidence.certainty == Certainty.LOW
    assert "Kieling 2024" in prp.evidence.summary
    assert "340" not in prp.evidence.summary
    assert not any("includes no effect" in line for line in prp.why)
    assert not any("pooled estimate" in line.lower() for line in prp.why)
    # Moderate severity, no earlier PRP: the low-certainty starting point, not the cap.
    assert prp.expected_benefit == BASE_BENEFIT[Certainty.LOW]
    assert prp.expected_benefit > natural_course_benefit(a_intake)
    # Fewer than 3 trials with usable numbers: nothing of ours is shown as a pooled result.
    assert prp.evidence.pooled is None


def _option(condition: str, concern: str, treatment: str) -> Any:
    intake = parse_intake(
        {
            "concern": concern,
            "condition": condition,
            "age": 30,
            "sex": "female",
            "severity": "moderate",
        }
    )
    return intake, next(o for o in assess(intake, KB).options if o.treatment == treatment)


def test_no_clear_difference_from_steroid_injections_is_not_no_effect() -> None:
    # alopecia areata: Cruciani 2021 pooled PRP against triamcinolone injections (RD 0.03,
    # -0.35 to 0.42): PRP may do about as well as the usual injections; it was read as "includes
    # no effect, so we expect little from it" and capped
    _, prp = _option("alopecia_areata", "hair", "prp")
    assert "triamcinolone" in prp.evidence.summary
    assert not any("includes no effect" in line for line in prp.why)
    assert prp.expected_benefit == BASE_BENEFIT[prp.evidence.certainty]


def test_a_null_placebo_controlled_result_is_credited_what_waiting_brings() -> None:
    # wrinkles: blinded raters saw no difference between PRP and saline (Alam 2018); it was
    # credited 0.35, more than three times what an untested option or waiting gets (0.10)
    intake, prp = _option("fine_lines_wrinkles", "skin", "prp")
    assert any("includes no effect" in line for line in prp.why)
    assert prp.expected_benefit == pytest.approx(natural_course_benefit(intake))


def test_which_comparators_are_another_treatment_given_instead() -> None:
    assert head_to_head("triamcinolone injection")
    assert head_to_head("placental extract injection")
    for inactive in (
        "saline injection",
        "placebo (other half of scalp)",
        "vehicle (plain cream)",
        "laser alone",
        "none (before vs after)",
        "control",
        "n/a",
        "",
    ):
        assert not head_to_head(inactive), inactive


def test_no_time_to_results_is_credited_when_no_result_was_shown() -> None:
    # PRP for wrinkles: "shows results in about 12-26 weeks, which raised its fit" although
    # blinded raters saw no difference
    intake = parse_intake(
        {
            "concern": "skin",
            "condition": "fine_lines_wrinkles",
            "age": 45,
            "sex": "female",
            "severity": "moderate",
            "priorities": {"speed": 3},
        }
    )
    prp = next(o for o in assess(intake, KB).options if o.treatment == "prp")
    assert any("nobody knows how soon" in line for line in prp.why)
    assert not any("shows results in about" in line for line in prp.why)
