"""Hand-built study rows shared by the evidence and decide tests."""

from __future__ import annotations

import dataclasses

from regenaid.knowledge.model import Certainty, StudyArm, StudyOutcome


def prp_saline_trial(i: int, treated: float, control: float, sd: float, n: int) -> StudyOutcome:
    """A made-up PRP-vs-saline hair-density RCT (per-arm mean, SD and n; measure MD)."""
    return StudyOutcome(
        id=f"trial-{i}",
        study=f"Trial {i}",
        year=2020,
        condition="androgenetic_alopecia",
        treatment="prp",
        comparator="saline injection",
        design="RCT",
        kind="primary",
        outcome="hair density",
        unit="hairs/cm2",
        followup_weeks=24,
        treated=StudyArm(n=n, mean=treated, sd=sd),
        control=StudyArm(n=n, mean=control, sd=sd),
        effect=None,
        ci_low=None,
        ci_high=None,
        risk_of_bias="some_concerns",
        sources=("st-trial",),
        extra={"measure": "MD"},
    )


def published_prp_review(
    k: str, certainty: Certainty | None = Certainty.MODERATE, **changes: object
) -> StudyOutcome:
    """A made-up published PRP-vs-placebo meta-analysis of ``k`` studies (MD 20, CI 10 to 30);
    ``k == ""`` leaves the study count unrecorded."""
    row = StudyOutcome(
        id=f"review-k{k or 'none'}",
        study="Review 2024",
        year=2024,
        condition="androgenetic_alopecia",
        treatment="prp",
        comparator="placebo",
        design="meta-analysis of RCTs",
        kind="pooled_published",
        outcome="hair density",
        unit="hairs/cm2",
        followup_weeks=None,
        treated=StudyArm(),
        control=StudyArm(),
        effect=20.0,
        ci_low=10.0,
        ci_high=30.0,
        risk_of_bias="unclear",
        sources=("st-review",),
        published_certainty=certainty,
        extra={"measure": "MD", "k_studies": k, "n_total": "400" if k else ""},
    )
    return dataclasses.replace(row, **changes)  # type: ignore[arg-type]
