"""Derived values of a full record, MIBO completeness, and deviations from a clinic protocol.

A session outside the clinic's validated protocol is flagged, with the field, the value, the
allowed range and a plain sentence; a value the protocol needs but the record lacks is flagged
too, never passed as "inside".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from regenaid.clinic.prp import (
    FORMULA_VERSION,
    MIBO_ITEMS,
    DepaGrade,
    DohanEhrenfestFamily,
    PawPlatelets,
    PrpPreparation,
    PrpProtocol,
    Range,
    Spin,
    SpinLimits,
    derive,
    protocol_deviations,
)
from regenaid.errors import InvalidInputError

DRAWN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def record(**changes: Any) -> PrpPreparation:
    """A scalp PRP preparation with every field recorded; ``changes`` override fields."""
    fields: dict[str, Any] = {
        "session_id": "session-1",
        "drawn_at": DRAWN,
        "whole_blood_volume_ml": 54.0,
        "anticoagulant": "acd_a",
        "anticoagulant_volume_ml": 6.0,
        "kit_brand": "ExampleKit",
        "kit_lot": "L-2026-031",
        "system_type": "closed",
        "centrifuge_model": "Benchtop 200",
        "rotor_radius_cm": 10.0,
        "spins": (
            Spin(rcf_g=300, minutes=5, temperature_c=21, brake="off"),
            Spin(rpm=3000, minutes=10, temperature_c=21, brake="on"),
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
        "activation": "calcium_chloride",
        "activation_ratio": 0.1,
        "ready_at": DRAWN + timedelta(minutes=40),
        "injected_at": DRAWN + timedelta(minutes=55),
        "injection_technique": "manual_syringe",
        "injection_depth_mm": 2.0,
        "needle_gauge": 30,
        "treated_area_cm2": 200.0,
    }
    fields.update(changes)
    return PrpPreparation(**fields)


PROTOCOL = PrpProtocol(
    name="Scalp PRP, double spin v2",
    spins=(
        SpinLimits(rcf_g=Range(250, 350), minutes=Range(4, 6)),
        SpinLimits(rcf_g=Range(900, 1100), minutes=Range(8, 12)),
    ),
    whole_blood_volume_ml=Range(50, 60),
    final_volume_ml=Range(5, 7),
    concentration_factor=Range(3.5, 6),
)


def test_full_record_derives_every_value() -> None:
    derived = derive(record())
    assert derived.formula_version == FORMULA_VERSION
    # Spin 1 recorded in g: rpm = √(300 / (1.118e-5 × 10)) = 1,638.1.
    assert derived.spins[0].rpm == pytest.approx(1638.1, abs=0.1)
    # Spin 2 recorded in rpm: 1.118e-5 × 10 × 3000² = 1,006.2 g.
    assert derived.spins[1].rcf_g == pytest.approx(1006.2)
    assert derived.concentration_factor == pytest.approx(1100 / 250)
    assert derived.platelet_dose_e9 == pytest.approx(6.6)  # 1,100 × 6 / 1000
    assert derived.platelet_recovery_percent == pytest.approx(48.889, abs=1e-3)  # 6.6/13.5
    # 1,100,000 / (1,100,000 + 2,000 + 50,000) = 95.49 %
    assert derived.platelet_purity_percent == pytest.approx(95.486, abs=1e-3)
    # 1,100 is in (750, 1,250]; CaCl₂ is exogenous; 2.0 ≤ 6.0 leukocytes; 0.2 < 3.3 neutrophils
    assert derived.paw.platelets is PawPlatelets.P3
    assert derived.paw.code == "P3xBβ"
    assert (derived.depa.dose, derived.depa.efficiency, derived.depa.purity) == (
        DepaGrade.A,
        DepaGrade.C,
        DepaGrade.A,
    )
    assert derived.depa.exogenous_activation is True
    assert derived.dohan_ehrenfest_family is DohanEhrenfestFamily.P_PRP
    assert derived.volume_per_cm2_ml == pytest.approx(6.0 / 200)  # final volume, none given
    assert derived.mibo.missing == ()
    assert derived.mibo.score == 1.0
    assert derived.notes == ()


def test_blood_spun_without_anticoagulant_is_a_fibrin_family() -> None:
    derived = derive(record(anticoagulant="none", anticoagulant_volume_ml=None))
    assert derived.dohan_ehrenfest_family is DohanEhrenfestFamily.P_PRF
    rich = derive(
        record(anticoagulant="none", anticoagulant_volume_ml=None, prp_leukocytes_k_per_ul=12.0)
    )
    assert rich.dohan_ehrenfest_family is DohanEhrenfestFamily.L_PRF


def test_injected_volume_sets_volume_per_cm2() -> None:
    assert derive(record(injected_volume_ml=4.0)).volume_per_cm2_ml == pytest.approx(0.02)


def test_a_bare_record_derives_nothing_it_cannot_and_lists_every_missing_item() -> None:
    bare = PrpPreparation(session_id="s", drawn_at=DRAWN)
    derived = derive(bare)
    assert derived.concentration_factor is None
    assert derived.platelet_dose_e9 is None
    assert derived.leukocyte_content is None
    assert derived.dohan_ehrenfest_family is None
    assert derived.paw.code == "P???"  # platelets, activation, white cells unknown
    assert derived.depa.code == "D:? E:? P:? A:?"
    assert derived.mibo.reported == ()
    assert derived.mibo.missing == tuple(item.id for item in MIBO_ITEMS)
    assert derived.mibo.total == len(MIBO_ITEMS) == 20
    assert derived.mibo.score == 0.0


@pytest.mark.parametrize(
    ("changes", "item"),
    [
        ({"whole_blood_volume_ml": None, "final_volume_ml": None}, "whole_blood_volume"),
        ({"anticoagulant_volume_ml": None}, "anticoagulant"),
        ({"system_type": None}, "preparation_system"),
        ({"rotor_radius_cm": None}, "centrifuge"),
        ({"spins": (Spin(rcf_g=300, minutes=5), Spin(rpm=3000, minutes=10))}, "spin_temperature"),
        ({"analyser": None}, "counting_method"),
        ({"prp_neutrophil_percent": None}, "prp_neutrophils"),
        ({"prp_red_cells_m_per_ul": None}, "prp_red_cells"),
        ({"activation": None, "activation_ratio": None}, "activation"),
        ({"injected_at": None}, "time_to_injection"),
        ({"needle_gauge": None}, "delivery"),
    ],
)
def test_each_unreported_item_is_listed_as_missing(changes: dict[str, Any], item: str) -> None:
    mibo = derive(record(**changes)).mibo
    assert item in mibo.missing
    assert item not in mibo.reported
    assert mibo.score == pytest.approx(len(mibo.reported) / 20)
    assert mibo.score < 1.0


def test_rpm_spin_without_radius_leaves_force_unknown() -> None:
    derived = derive(record(rotor_radius_cm=None))
    assert derived.spins[1].rcf_g is None
    assert derived.spins[0].rcf_g == 300  # recorded in g: still known
    assert derived.spins[0].rpm is None  # but its speed needs the radius
    assert "spin_force" in derived.mibo.missing
    assert derived.notes == ("spin 2 is recorded in rpm without a rotor radius: force unknown",)


def test_a_claim_the_counts_do_not_reach_is_noted() -> None:
    derived = derive(record(claimed_concentration_factor=6.0))
    assert derived.notes == ("measured concentration 4.40× is below the claimed 6×",)


def test_a_session_inside_the_protocol_has_no_deviations() -> None:
    assert protocol_deviations(record(), PROTOCOL) == []


def test_a_session_outside_the_protocol_is_flagged_field_by_field() -> None:
    prep = record(
        # 3,500 rpm at 10 cm = 1,369.6 g, above 900-1,100; 15 min, above 8-12
        spins=(Spin(rcf_g=300, minutes=5), Spin(rpm=3500, minutes=15)),
        whole_blood_volume_ml=30.0,
        anticoagulant_volume_ml=3.0,
        final_volume_ml=3.0,
        prp_platelets_k_per_ul=700.0,  # 2.8×, below 3.5-6
    )
    deviations = {d.field: d for d in protocol_deviations(prep, PROTOCOL)}
    assert set(deviations) == {
        "spins[1].rcf_g",
        "spins[1].minutes",
        "whole_blood_volume_ml",
        "final_volume_ml",
        "concentration_factor",
    }
    force = deviations["spins[1].rcf_g"]
    assert force.value == pytest.approx(1369.55, abs=0.01)
    assert force.allowed == Range(900, 1100)
    assert force.message == (
        "spin 2 force was 1,370 g; the protocol 'Scalp PRP, double spin v2' allows 900-1,100 g"
    )
    assert deviations["concentration_factor"].value == pytest.approx(2.8)
    assert deviations["whole_blood_volume_ml"].message.startswith("whole-blood volume was 30 mL")


def test_the_edges_of_a_protocol_range_are_inside() -> None:
    prep = record(spins=(Spin(rcf_g=250, minutes=6), Spin(rcf_g=1100, minutes=8)))
    assert protocol_deviations(prep, PROTOCOL) == []


def test_a_value_the_protocol_needs_but_the_record_lacks_is_flagged() -> None:
    prep = record(rotor_radius_cm=None, final_volume_ml=None, injected_volume_ml=None)
    deviations = {d.field: d for d in protocol_deviations(prep, PROTOCOL)}
    assert set(deviations) == {"spins[1].rcf_g", "final_volume_ml"}
    assert deviations["spins[1].rcf_g"].value is None
    assert "not recorded" in deviations["spins[1].rcf_g"].message
    assert deviations["final_volume_ml"].value is None


def test_missing_counts_flag_the_concentration_range() -> None:
    prep = record(prp_platelets_k_per_ul=None)
    fields = [d.field for d in protocol_deviations(prep, PROTOCOL)]
    assert fields == ["concentration_factor"]


def test_a_different_number_of_spins_is_flagged() -> None:
    prep = record(spins=(Spin(rcf_g=300, minutes=5),))
    deviations = protocol_deviations(prep, PROTOCOL)
    assert [d.field for d in deviations] == ["spins"]
    assert deviations[0].value == 1
    assert deviations[0].allowed == Range(2, 2)


def test_ranges_not_set_by_the_protocol_are_not_checked() -> None:
    loose = PrpProtocol(
        name="Single spin", spins=(SpinLimits(rcf_g=Range(250, 350), minutes=Range(4, 6)),)
    )
    prep = record(spins=(Spin(rcf_g=300, minutes=5),), whole_blood_volume_ml=40.0)
    assert protocol_deviations(prep, loose) == []


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Range(10, 5), "low"),
        (lambda: Range(-1, 5), "low"),
        (lambda: Range(1, float("inf")), "high"),
        (lambda: PrpProtocol(name=" ", spins=()), "name"),
        (lambda: PrpProtocol(name="No spins", spins=()), "spins"),
    ],
)
def test_impossible_protocols_are_refused(build: Any, field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        build()
    assert caught.value.field == field
