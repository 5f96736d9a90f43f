"""The PRP numbers on their own: centrifugal force and the published class bands.

Expected values come from outside the code: RCF from first principles (ω²r / g₀) and from
published worked examples; band edges from the published tables (see docs/clinic-prp.md).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regenaid.clinic.prp import (
    DepaGrade,
    DohanEhrenfestFamily,
    LeukocyteContent,
    PawNeutrophils,
    PawPlatelets,
    PawWhiteCells,
    depa_dose_grade,
    depa_percent_grade,
    dohan_ehrenfest_family,
    leukocyte_content,
    paw_neutrophils,
    paw_platelet_band,
    paw_white_cells,
    platelet_dose_e9,
    platelet_purity_percent,
    platelet_recovery_percent,
    rcf_from_rpm,
    rpm_from_rcf,
)
from regenaid.errors import InvalidInputError

STANDARD_GRAVITY = 9.80665  # m/s², the conventional value g₀

# The printed constant 1.118e-5 is 4π²/(3600 g₀)·0.01 = 1.11824e-5 rounded to four figures,
# so it differs from the exact physics by 2.1e-4 relative; 1e-3 leaves room for that only.
PHYSICS_RTOL = 1e-3


def _rcf_first_principles(rpm: float, radius_cm: float) -> float:
    omega = 2 * math.pi * rpm / 60  # rad/s
    return omega**2 * (radius_cm / 100) / STANDARD_GRAVITY


@pytest.mark.parametrize(
    ("rpm", "radius_cm"), [(3000, 10), (1500, 8.5), (3200, 12), (700, 10.5), (5000, 20)]
)
def test_rcf_matches_centripetal_acceleration_over_g(rpm: float, radius_cm: float) -> None:
    assert rcf_from_rpm(rpm, radius_cm) == pytest.approx(
        _rcf_first_principles(rpm, radius_cm), rel=PHYSICS_RTOL
    )


def test_rcf_worked_examples() -> None:
    # r = 10 cm at 3,000 rpm: 1.118e-5 × 10 × 3000² = 1,006.2 g (the "≈ 1,006 g" of the brief).
    assert round(rcf_from_rpm(3000, 10)) == 1006
    # A published teaching example: "a rotor radius of 5 cm and 10,000 RPM ... ≈ 5,590 g".
    assert rcf_from_rpm(10_000, 5) == pytest.approx(5590, abs=1)


def test_rpm_from_rcf_inverts_the_worked_example() -> None:
    assert rpm_from_rcf(1006.2, 10) == pytest.approx(3000, rel=1e-9)
    assert rpm_from_rcf(5590, 5) == pytest.approx(10_000, rel=1e-9)


def test_force_scales_with_radius_and_the_square_of_speed() -> None:
    base = rcf_from_rpm(2000, 10)
    assert rcf_from_rpm(2000, 20) == pytest.approx(2 * base)
    assert rcf_from_rpm(4000, 10) == pytest.approx(4 * base)


@given(
    rpm=st.floats(min_value=50, max_value=30_000, allow_nan=False),
    radius_cm=st.floats(min_value=1, max_value=50, allow_nan=False),
)
def test_rpm_and_rcf_round_trip(rpm: float, radius_cm: float) -> None:
    rcf = rcf_from_rpm(rpm, radius_cm)
    assert rpm_from_rcf(rcf, radius_cm) == pytest.approx(rpm, rel=1e-9)


@given(
    rcf=st.floats(min_value=1, max_value=20_000, allow_nan=False),
    radius_cm=st.floats(min_value=1, max_value=50, allow_nan=False),
)
def test_rcf_and_rpm_round_trip(rcf: float, radius_cm: float) -> None:
    assert rcf_from_rpm(rpm_from_rcf(rcf, radius_cm), radius_cm) == pytest.approx(rcf, rel=1e-9)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: rcf_from_rpm(0, 10), "rpm"),
        (lambda: rcf_from_rpm(-3000, 10), "rpm"),
        (lambda: rcf_from_rpm(math.nan, 10), "rpm"),
        (lambda: rcf_from_rpm(3000, 0), "radius_cm"),
        (lambda: rpm_from_rcf(-1, 10), "rcf_g"),
        (lambda: rpm_from_rcf(1000, math.inf), "radius_cm"),
    ],
)
def test_conversions_refuse_non_positive_input(call: object, field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.field == field


# PAW (DeLong 2012): P1 ≤ baseline; P2 > baseline-750; P3 > 750-1,250; P4 > 1,250 ×10³/µL.
@pytest.mark.parametrize(
    ("prp", "baseline", "band"),
    [
        (150, 200, PawPlatelets.P1),  # below baseline
        (200, 200, PawPlatelets.P1),  # equal to baseline is still P1 ("≤ baseline")
        (200.5, 200, PawPlatelets.P2),
        (750, 200, PawPlatelets.P2),
        (750.5, 200, PawPlatelets.P3),
        (1250, 200, PawPlatelets.P3),
        (1250.5, 200, PawPlatelets.P4),
        (790, 800, PawPlatelets.P1),  # a high baseline: not above it, so P1
        (810, 800, PawPlatelets.P3),  # above it, and the bands are absolute
    ],
)
def test_paw_platelet_bands(prp: float, baseline: float, band: PawPlatelets) -> None:
    assert paw_platelet_band(prp, baseline) is band


def test_paw_white_cells_and_neutrophils() -> None:
    assert paw_white_cells(7.0, 6.5) is PawWhiteCells.A
    assert paw_white_cells(6.5, 6.5) is PawWhiteCells.B  # "below or equal to baseline"
    assert paw_white_cells(0.6, 6.5) is PawWhiteCells.B
    assert paw_neutrophils(4.0, 3.8) is PawNeutrophils.ALPHA
    assert paw_neutrophils(0.6, 3.8) is PawNeutrophils.BETA
    assert paw_neutrophils(3.8, 3.8) is PawNeutrophils.BETA  # equality: our choice, β


def test_depa_dose_grades_from_the_abstract() -> None:
    # Magalon 2016: doses "from 0.21 to 5.43 billion"; "only a Magellan device was able to
    # obtain an A score" (its 5.43); the low end sits in the lowest band.
    assert depa_dose_grade(5.43) is DepaGrade.A
    assert depa_dose_grade(0.21) is DepaGrade.D


@pytest.mark.parametrize(
    ("dose", "grade"),
    [
        (5.0001, DepaGrade.A),
        (5.0, DepaGrade.B),  # A is "> 5"
        (3.0, DepaGrade.B),  # shared edge: upper band (our choice, documented)
        (2.999, DepaGrade.C),
        (1.0, DepaGrade.C),
        (0.999, DepaGrade.D),  # D is "< 1"
    ],
)
def test_depa_dose_band_edges(dose: float, grade: DepaGrade) -> None:
    assert depa_dose_grade(dose) is grade


@pytest.mark.parametrize(
    ("percent", "grade"),
    [
        (95.0, DepaGrade.A),
        (90.0001, DepaGrade.A),
        (90.0, DepaGrade.B),  # A is "> 90"
        (70.0, DepaGrade.B),
        (69.999, DepaGrade.C),
        (30.0, DepaGrade.C),
        (29.999, DepaGrade.D),  # D is "< 30"
    ],
)
def test_depa_percent_band_edges(percent: float, grade: DepaGrade) -> None:
    assert depa_percent_grade(percent) is grade


def test_dose_recovery_and_purity_arithmetic() -> None:
    # 1,000 ×10³/µL = 10⁹ platelets per mL; 5 mL of it holds 5 ×10⁹.
    assert platelet_dose_e9(1000, 5) == pytest.approx(5.0)
    # 900 ×10³/µL in 10 mL from 100 mL of blood at 200 ×10³/µL: 9e9 of 20e9 platelets = 45 %.
    assert platelet_recovery_percent(900, 10, 200, 100) == pytest.approx(45.0)
    # Platelets only: 100 % pure. With 1 ×10⁶ red cells/µL next to 1,000 ×10³ = 10⁶
    # platelets/µL, half the cells are platelets.
    assert platelet_purity_percent(1000, 0, 0) == pytest.approx(100.0)
    assert platelet_purity_percent(1000, 0, 1.0) == pytest.approx(50.0)
    # 1 ×10³ leukocytes/µL next to 999 ×10³ platelets/µL: 99.9 %.
    assert platelet_purity_percent(999, 1, 0) == pytest.approx(99.9)


def test_leukocyte_content_is_relative_to_the_blood() -> None:
    assert leukocyte_content(34.19, 6.49) is LeukocyteContent.RICH
    assert leukocyte_content(6.49, 6.49) is LeukocyteContent.POOR
    assert leukocyte_content(0.6, 6.49) is LeukocyteContent.POOR


@pytest.mark.parametrize(
    ("anticoagulated", "leukocytes", "family"),
    [
        (True, LeukocyteContent.POOR, DohanEhrenfestFamily.P_PRP),
        (True, LeukocyteContent.RICH, DohanEhrenfestFamily.L_PRP),
        (False, LeukocyteContent.POOR, DohanEhrenfestFamily.P_PRF),
        (False, LeukocyteContent.RICH, DohanEhrenfestFamily.L_PRF),
    ],
)
def test_dohan_ehrenfest_families(
    anticoagulated: bool, leukocytes: LeukocyteContent, family: DohanEhrenfestFamily
) -> None:
    assert dohan_ehrenfest_family(anticoagulated=anticoagulated, leukocytes=leukocytes) is family
