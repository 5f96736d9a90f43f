"""Building a PRP preparation record: a full record is kept as given, impossible ones refused.

Every refusal must name the field, so the API can point at it (422 with the field path) and
the CLI can print it on one line.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from regenaid.clinic.prp import (
    MAX_RCF_G,
    Activation,
    Anticoagulant,
    Brake,
    PrpPreparation,
    Spin,
    validate,
)
from regenaid.errors import InvalidInputError

DRAWN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def full_record(**changes: Any) -> PrpPreparation:
    """A scalp PRP preparation with every field recorded; ``changes`` override fields."""
    fields: dict[str, Any] = {
        "session_id": "session-1",
        "protocol_id": "protocol-1",
        "drawn_at": DRAWN,
        "whole_blood_volume_ml": 54.0,
        "anticoagulant": Anticoagulant.ACD_A,
        "anticoagulant_volume_ml": 6.0,
        "kit_brand": "ExampleKit",
        "kit_lot": "L-2026-031",
        "system_type": "closed",
        "centrifuge_model": "Benchtop 200",
        "rotor_radius_cm": 10.0,
        "spins": (
            Spin(rcf_g=300, minutes=5, temperature_c=21, brake=Brake.OFF),
            Spin(rpm=3000, minutes=10, temperature_c=21, brake=Brake.ON),
        ),
        "baseline_platelets_k_per_ul": 250.0,
        "baseline_leukocytes_k_per_ul": 6.0,
        "baseline_neutrophil_percent": 55.0,
        "baseline_haematocrit_percent": 42.0,
        "analyser": "Sysmex XN-1000",
        "prp_platelets_k_per_ul": 1100.0,
        "prp_leukocytes_k_per_ul": 2.0,
        "prp_neutrophil_percent": 10.0,
        "prp_red_cells_m_per_ul": 0.05,
        "final_volume_ml": 6.0,
        "claimed_concentration_factor": 4.0,
        "activation": Activation.CALCIUM_CHLORIDE,
        "activation_ratio": 0.1,
        "ready_at": DRAWN + timedelta(minutes=40),
        "injected_at": DRAWN + timedelta(minutes=55),
        "injection_technique": "manual_syringe",
        "injection_depth_mm": 2.0,
        "needle_gauge": 30,
        "treated_area_cm2": 200.0,
        "injected_volume_ml": 6.0,
    }
    fields.update(changes)
    return PrpPreparation(**fields)


def test_a_full_record_is_kept_as_given() -> None:
    prep = full_record()
    validate(prep)  # idempotent on a valid record
    assert prep.spins[1].rpm == 3000
    assert prep.anticoagulant is Anticoagulant.ACD_A
    assert len(prep.id) == 22  # ids.new_id


def test_form_strings_become_enums_and_times_become_utc() -> None:
    karachi = timezone(timedelta(hours=5))
    prep = full_record(
        anticoagulant="sodium_citrate",
        drawn_at=datetime(2026, 3, 2, 14, 0, tzinfo=karachi),
        ready_at=None,
        injected_at=None,
    )
    assert prep.anticoagulant is Anticoagulant.SODIUM_CITRATE
    assert prep.drawn_at == DRAWN
    assert prep.drawn_at.tzinfo is UTC


def test_prp_below_baseline_is_allowed_when_no_concentration_is_claimed() -> None:
    # Some gel-tube systems give PRP below the blood's platelet count; that is a P1 record,
    # not an error, as long as nobody claims it is concentrated.
    prep = full_record(prp_platelets_k_per_ul=200.0, claimed_concentration_factor=None)
    assert prep.prp_platelets_k_per_ul == 200.0


def test_spin_over_the_plausible_maximum_is_refused() -> None:
    with pytest.raises(InvalidInputError) as caught:
        Spin(rcf_g=50_000, minutes=10)
    assert caught.value.field == "rcf_g"
    assert f"{MAX_RCF_G:g}" in str(caught.value)
    Spin(rcf_g=MAX_RCF_G, minutes=10)  # the limit itself is accepted


@pytest.mark.parametrize(
    ("spin", "field"),
    [
        ({"rpm": 3000, "rcf_g": 1000, "minutes": 10}, "rpm"),  # both
        ({"minutes": 10}, "rpm"),  # neither
        ({"rpm": -3000, "minutes": 10}, "rpm"),
        ({"rcf_g": 0, "minutes": 10}, "rcf_g"),
        ({"rcf_g": 1000, "minutes": 0}, "minutes"),
        ({"rcf_g": 1000, "minutes": 600}, "minutes"),  # seconds typed as minutes
        ({"rcf_g": 1000, "minutes": 10, "temperature_c": 60}, "temperature_c"),
        ({"rcf_g": 1000, "minutes": 10, "temperature_c": -5}, "temperature_c"),
        ({"rcf_g": 1000, "minutes": 10, "brake": "sometimes"}, "brake"),
    ],
)
def test_impossible_spins_are_refused(spin: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        Spin(**spin)
    assert caught.value.field == field


REFUSALS: list[tuple[str, dict[str, Any], str]] = [
    ("negative blood volume", {"whole_blood_volume_ml": -10.0}, "whole_blood_volume_ml"),
    ("zero blood volume", {"whole_blood_volume_ml": 0.0}, "whole_blood_volume_ml"),
    ("negative final volume", {"final_volume_ml": -1.0}, "final_volume_ml"),
    ("zero final volume", {"final_volume_ml": 0.0}, "final_volume_ml"),
    ("negative anticoagulant", {"anticoagulant_volume_ml": -0.5}, "anticoagulant_volume_ml"),
    ("negative injected volume", {"injected_volume_ml": -1.0}, "injected_volume_ml"),
    ("more PRP than blood", {"final_volume_ml": 70.0}, "final_volume_ml"),
    (
        "anticoagulant volume with none",
        {"anticoagulant": "none", "anticoagulant_volume_ml": 6.0},
        "anticoagulant_volume_ml",
    ),
    (
        "more anticoagulant than blood",
        {"whole_blood_volume_ml": 5.0, "final_volume_ml": 2.0, "anticoagulant_volume_ml": 6.0},
        "anticoagulant_volume_ml",
    ),
    (
        "50,000 g from rpm and radius",
        # 1.118e-5 × 15 cm × 15,000² = 37,733 g
        {"rotor_radius_cm": 15.0, "spins": (Spin(rpm=15_000, minutes=10),)},
        "spins[0].rpm",
    ),
    ("rotor radius zero", {"rotor_radius_cm": 0.0}, "rotor_radius_cm"),
    ("rotor radius in mm", {"rotor_radius_cm": 150.0}, "rotor_radius_cm"),
    (
        "five spins",
        {"spins": tuple(Spin(rcf_g=300, minutes=5) for _ in range(5))},
        "spins",
    ),
    ("not a spin", {"spins": ({"rcf_g": 300, "minutes": 5},)}, "spins[0]"),
    (
        "PRP below baseline with a concentration claim",
        {"prp_platelets_k_per_ul": 200.0, "claimed_concentration_factor": 5.0},
        "prp_platelets_k_per_ul",
    ),
    (
        "more platelets recovered than the blood held",
        # 100 × 9,000 × 6 / (250 × 54) = 400 %
        {"prp_platelets_k_per_ul": 9000.0},
        "prp_platelets_k_per_ul",
    ),
    (
        "platelets per µL, not ×10³/µL",
        {"baseline_platelets_k_per_ul": 250_000.0},
        "baseline_platelets_k_per_ul",
    ),
    ("PRP leukocytes NaN", {"prp_leukocytes_k_per_ul": math.nan}, "prp_leukocytes_k_per_ul"),
    ("negative PRP red cells", {"prp_red_cells_m_per_ul": -0.1}, "prp_red_cells_m_per_ul"),
    ("haematocrit zero", {"baseline_haematocrit_percent": 0.0}, "baseline_haematocrit_percent"),
    (
        "haematocrit over 100",
        {"baseline_haematocrit_percent": 101.0},
        "baseline_haematocrit_percent",
    ),
    (
        "haematocrit negative",
        {"baseline_haematocrit_percent": -5.0},
        "baseline_haematocrit_percent",
    ),
    ("PRP neutrophils over 100", {"prp_neutrophil_percent": 120.0}, "prp_neutrophil_percent"),
    (
        "baseline neutrophils negative",
        {"baseline_neutrophil_percent": -1.0},
        "baseline_neutrophil_percent",
    ),
    ("ready before drawn", {"ready_at": DRAWN - timedelta(minutes=5)}, "ready_at"),
    ("injected before ready", {"injected_at": DRAWN + timedelta(minutes=30)}, "injected_at"),
    (
        "injected before drawn",
        {"ready_at": None, "injected_at": DRAWN - timedelta(minutes=1)},
        "injected_at",
    ),
    ("naive draw time", {"drawn_at": datetime(2026, 3, 2, 9, 0)}, "drawn_at"),
    ("draw time as text", {"drawn_at": "2026-03-02T09:00Z"}, "drawn_at"),
    (
        "activation ratio without an activator",
        {"activation": "none", "activation_ratio": 0.1},
        "activation_ratio",
    ),
    ("activation ratio zero", {"activation_ratio": 0.0}, "activation_ratio"),
    (
        "other activator unnamed",
        {"activation": "other", "activation_detail": " "},
        "activation_detail",
    ),
    ("unknown anticoagulant", {"anticoagulant": "warfarin"}, "anticoagulant"),
    ("needle gauge 50", {"needle_gauge": 50}, "needle_gauge"),
    ("needle gauge not whole", {"needle_gauge": 30.5}, "needle_gauge"),
    ("treated area zero", {"treated_area_cm2": 0.0}, "treated_area_cm2"),
    (
        "more injected than prepared",
        # 6 mL of PRP plus 10 % activator is 6.6 mL at most
        {"injected_volume_ml": 7.0},
        "injected_volume_ml",
    ),
]


@pytest.mark.parametrize(("case", "changes", "field"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_impossible_values_are_refused_with_the_field_named(
    case: str, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        full_record(**changes)
    assert caught.value.field == field, case


def test_unknown_choice_lists_the_allowed_values() -> None:
    with pytest.raises(InvalidInputError) as caught:
        full_record(anticoagulant="warfarin")
    assert caught.value.allowed is not None
    assert "acd_a" in caught.value.allowed
    assert "none" in caught.value.allowed


def test_validate_catches_a_record_changed_after_construction() -> None:
    prep = full_record()
    # dataclasses.replace builds a new record, so the check runs again.
    with pytest.raises(InvalidInputError) as caught:
        dataclasses.replace(prep, final_volume_ml=-2.0)
    assert caught.value.field == "final_volume_ml"
