"""Hand-built study rows shared by the evidence and decide tests."""

from __future__ import annotations

from regenaid.knowledge.model import StudyArm, StudyOutcome


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
