"""Hand-built records shared by several test folders: study rows (evidence, decide) and a PRP
preparation (clinic, store)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

from regenaid.clinic.prp import PrpPreparation, Spin
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


def prp_preparation(session_id: str, protocol_id: str | None, drawn: datetime) -> PrpPreparation:
    """A fully recorded PRP preparation drawn at ``drawn`` (written with a UTC+2 offset;
    the store keeps UTC): two
    spins (one by RCF, one by rpm), counts before and after, activation and injection."""
    return PrpPreparation(
        session_id=session_id,
        protocol_id=protocol_id,
        drawn_at=drawn.astimezone(timezone(timedelta(hours=2))),
        whole_blood_volume_ml=54.0,
        anticoagulant="acd_a",
        anticoagulant_volume_ml=6.0,
        kit_brand="ExampleKit",
        kit_lot="K-31",
        system_type="closed",
        centrifuge_model="Benchtop 200",
        rotor_radius_cm=10.0,
        spins=(
            Spin(rcf_g=300, minutes=5, temperature_c=21, brake="off"),
            Spin(rpm=3000, minutes=13, temperature_c=21.5, brake="on"),
        ),
        baseline_platelets_k_per_ul=250.0,
        baseline_leukocytes_k_per_ul=6.0,
        baseline_neutrophil_percent=55.0,
        baseline_haematocrit_percent=42.0,
        analyser="Sysmex XN-1000",
        prp_platelets_k_per_ul=1100.0,
        prp_leukocytes_k_per_ul=2.0,
        prp_neutrophil_percent=10.0,
        prp_red_cells_m_per_ul=0.05,
        final_volume_ml=6.0,
        claimed_concentration_factor=5.0,
        activation="calcium_chloride",
        activation_ratio=0.1,
        ready_at=drawn + timedelta(minutes=40),
        injected_at=drawn + timedelta(minutes=55),
        injection_technique="manual_syringe",
        injection_depth_mm=2.0,
        needle_gauge=30,
        treated_area_cm2=200.0,
        injected_volume_ml=5.5,
    )
