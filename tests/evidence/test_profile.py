"""evidence_profile is defined for every (condition, treatment) pair and follows its rules."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from regenaid.evidence.profile import effect_and_variance, evidence_profile, poolable_group
from regenaid.knowledge.model import (
    CONDITIONS_BY_CONCERN,
    TREATMENT_IDS,
    Certainty,
    Source,
    StudyArm,
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
    # Gentile 2017 does not say it was randomised, the CI includes no effect, 53 people:
    assert p.certainty == Certainty.VERY_LOW
    assert p.certainty_reasons
    assert "2 small trials (53 people)" in p.summary


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
