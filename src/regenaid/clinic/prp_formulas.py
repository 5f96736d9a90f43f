"""The numbers behind a PRP preparation record: centrifugal force and the published bands.

Pure functions of numbers; the record types live in :mod:`regenaid.clinic.prp_record` and the
derivation that applies these to a record in :mod:`regenaid.clinic.prp_derive`. The sources
and the reasoning for every band are in the docstring of :mod:`regenaid.clinic.prp` and in
``docs/clinic-prp.md``.

Units: rotor radius in cm, speed in revolutions per minute, force in multiples of g;
platelet and leukocyte counts in ×10³/µL (= ×10⁹/L), red cells in ×10⁶/µL (= ×10¹²/L).
"""

from __future__ import annotations

import math
from enum import StrEnum

from regenaid.errors import InvalidInputError

# RCF = 1.118 × 10⁻⁵ × r(cm) × rpm². The constant is 4π² / (60² s² × 980.665 cm/s²)
# = 1.11824 × 10⁻⁵, rounded as the centrifuge literature prints it (e.g. "RCF = 0.00001118 × r
# × N²", laboratory-centrifuge entry; "RCF = (n/1000)² × r × 11.18", centrifuge makers).
RCF_CONSTANT = 1.118e-5

# Above this force a spin is refused as impossible for a PRP preparation (not merely unusual).
# Low-speed clinical benchtop centrifuges run to about 4,000-5,000 rpm, i.e. roughly 3,000-
# 5,600 g at rotor radii of 15-20 cm; the PRP protocols we read use about 100-3,500 g. Only
# high-speed or floor-standing machines with small-tube rotors go past 20,000 g, and no
# blood-draw or PRP kit tube is spun there. 50,000 g (ultracentrifuge territory) is refused.
# This bound is our choice, set well above any PRP protocol so that it only catches typing
# and unit errors; a clinic's validated protocol flags anything outside its own range.
MAX_RCF_G = 20_000.0

# Rotors that hold blood tubes have radii of a few cm to about 25 cm; beyond 50 cm the number
# is a unit error (mm entered as cm).
MAX_ROTOR_RADIUS_CM = 50.0

# Rotor speed beyond this is not a benchtop centrifuge (a guard for when no radius is given).
MAX_RPM = 30_000.0


class PawPlatelets(StrEnum):
    """PAW platelet band (DeLong, Russell & Mazzocca 2012), absolute PRP platelet count."""

    P1 = "P1"  # ≤ whole-blood baseline
    P2 = "P2"  # > baseline to 750 ×10³/µL
    P3 = "P3"  # > 750 to 1,250 ×10³/µL
    P4 = "P4"  # > 1,250 ×10³/µL


class PawWhiteCells(StrEnum):
    """PAW white-cell letter: PRP leukocytes above (A) or at/below (B) the blood baseline."""

    A = "A"
    B = "B"


class PawNeutrophils(StrEnum):
    """PAW neutrophil letter: PRP neutrophils above (α) or below (β) the blood baseline."""

    ALPHA = "α"
    BETA = "β"


class DepaGrade(StrEnum):
    """A DEPA grade (Magalon et al. 2016); A is the highest dose, efficiency or purity."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"


class LeukocyteContent(StrEnum):
    RICH = "leukocyte_rich"
    POOR = "leukocyte_poor"


class DohanEhrenfestFamily(StrEnum):
    """The four families of Dohan Ehrenfest, Rasmusson & Albrektsson (2009)."""

    P_PRP = "P-PRP"  # pure (leukocyte-poor) platelet-rich plasma
    L_PRP = "L-PRP"  # leukocyte- and platelet-rich plasma
    P_PRF = "P-PRF"  # pure platelet-rich fibrin
    L_PRF = "L-PRF"  # leukocyte- and platelet-rich fibrin


# PAW platelet band limits, ×10³/µL (DeLong et al. 2012, as tabulated by two later papers).
PAW_P2_MAX = 750.0
PAW_P3_MAX = 1_250.0

# DEPA limits (Magalon et al. 2016): dose in ×10⁹ platelets; efficiency and purity in %.
DEPA_DOSE_LIMITS = (5.0, 3.0, 1.0)  # A > 5; B 3-5; C 1-3; D < 1
DEPA_PERCENT_LIMITS = (90.0, 70.0, 30.0)  # A > 90; B 70-90; C 30-70; D < 30


def _positive(field: str, value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        raise InvalidInputError(field, f"must be a positive number, got {value}")
    return float(value)


def rcf_from_rpm(rpm: float, radius_cm: float) -> float:
    """Relative centrifugal force (× g) of ``rpm`` at ``radius_cm``: 1.118e-5 × r × rpm²."""
    rpm = _positive("rpm", rpm)
    radius_cm = _positive("radius_cm", radius_cm)
    return RCF_CONSTANT * radius_cm * rpm * rpm


def rpm_from_rcf(rcf_g: float, radius_cm: float) -> float:
    """The speed (rpm) that gives ``rcf_g`` at ``radius_cm``: √(RCF / (1.118e-5 × r))."""
    rcf_g = _positive("rcf_g", rcf_g)
    radius_cm = _positive("radius_cm", radius_cm)
    return math.sqrt(rcf_g / (RCF_CONSTANT * radius_cm))


def paw_platelet_band(prp_platelets: float, baseline_platelets: float) -> PawPlatelets:
    """PAW P band. P1 means "not above baseline"; P2-P4 are absolute counts above it.

    The bands are absolute, so a PRP above a high baseline (say 800 over 780) is P3, not P2.
    """
    if prp_platelets <= baseline_platelets:
        return PawPlatelets.P1
    if prp_platelets <= PAW_P2_MAX:
        return PawPlatelets.P2
    if prp_platelets <= PAW_P3_MAX:
        return PawPlatelets.P3
    return PawPlatelets.P4


def paw_white_cells(prp_leukocytes: float, baseline_leukocytes: float) -> PawWhiteCells:
    """A when the PRP's leukocyte concentration is above the blood's, otherwise B."""
    return PawWhiteCells.A if prp_leukocytes > baseline_leukocytes else PawWhiteCells.B


def paw_neutrophils(prp_neutrophils: float, baseline_neutrophils: float) -> PawNeutrophils:
    """α when PRP neutrophils are above baseline, β otherwise.

    The secondary tables we could read say "α above, β below"; equality is not stated, and we
    put it with β, as the published rule for total white cells puts equality with B.
    """
    if prp_neutrophils > baseline_neutrophils:
        return PawNeutrophils.ALPHA
    return PawNeutrophils.BETA


def _grade(value: float, limits: tuple[float, float, float]) -> DepaGrade:
    # A: value > top; B: middle ≤ value ≤ top; C: bottom ≤ value < middle; D: value < bottom.
    # The paper's ">5", "3-5", "1-3", "<1" fix the outer edges; which band owns the shared
    # middle edge is not stated in what we could read, so the lower edge is taken as inclusive.
    top, middle, bottom = limits
    if value > top:
        return DepaGrade.A
    if value >= middle:
        return DepaGrade.B
    if value >= bottom:
        return DepaGrade.C
    return DepaGrade.D


def depa_dose_grade(dose_e9: float) -> DepaGrade:
    """DEPA D: platelets injected, ×10⁹ (A > 5, B 3-5, C 1-3, D < 1)."""
    return _grade(dose_e9, DEPA_DOSE_LIMITS)


def depa_percent_grade(percent: float) -> DepaGrade:
    """DEPA E (platelet recovery %) or P (platelet purity %): A > 90, B 70-90, C 30-70, D < 30."""
    return _grade(percent, DEPA_PERCENT_LIMITS)


def leukocyte_content(prp_leukocytes: float, baseline_leukocytes: float) -> LeukocyteContent:
    """Leukocyte-rich when the PRP holds more leukocytes per µL than the patient's blood.

    The same cut as PAW's A/B letter (and Mishra's "increased white cells"). Other systems
    draw the line elsewhere (PLRA on neutrophil share); this one is stated with the record.
    """
    if prp_leukocytes > baseline_leukocytes:
        return LeukocyteContent.RICH
    return LeukocyteContent.POOR


def dohan_ehrenfest_family(
    *, anticoagulated: bool, leukocytes: LeukocyteContent
) -> DohanEhrenfestFamily:
    """Dohan Ehrenfest family from the two axes the 2009 paper uses: fibrin and leukocytes.

    Our rule for records: blood taken with an anticoagulant gives a liquid plasma with a
    low-density fibrin network once activated, the PRP family; blood spun without any
    anticoagulant clots into a dense fibrin matrix, the PRF family. "Pure" is read as
    leukocyte-poor by the baseline comparison of :func:`leukocyte_content`. Every liquid
    injectable made from anticoagulated blood is therefore P-PRP or L-PRP.
    """
    rich = leukocytes is LeukocyteContent.RICH
    if anticoagulated:
        return DohanEhrenfestFamily.L_PRP if rich else DohanEhrenfestFamily.P_PRP
    return DohanEhrenfestFamily.L_PRF if rich else DohanEhrenfestFamily.P_PRF


def platelet_dose_e9(prp_platelets_k_per_ul: float, volume_ml: float) -> float:
    """Platelets in ``volume_ml`` of PRP, ×10⁹: count (×10³/µL) × volume (mL) / 1000."""
    return prp_platelets_k_per_ul * volume_ml / 1000.0


def platelet_recovery_percent(
    prp_platelets_k_per_ul: float,
    final_volume_ml: float,
    baseline_platelets_k_per_ul: float,
    whole_blood_volume_ml: float,
) -> float:
    """DEPA efficiency: platelets in the PRP as a share of those in the blood processed."""
    recovered = 100.0 * prp_platelets_k_per_ul * final_volume_ml
    return recovered / (baseline_platelets_k_per_ul * whole_blood_volume_ml)


def platelet_purity_percent(
    prp_platelets_k_per_ul: float, prp_leukocytes_k_per_ul: float, prp_red_cells_m_per_ul: float
) -> float:
    """DEPA purity: platelets as a share of platelets + leukocytes + red cells in the PRP.

    All three are put in cells/µL first (red cells are counted in ×10⁶/µL, the others in
    ×10³/µL), so a PRP with 0.3 ×10⁶ red cells/µL is dominated by them, as it should be.
    """
    platelets = prp_platelets_k_per_ul * 1e3
    leukocytes = prp_leukocytes_k_per_ul * 1e3
    red_cells = prp_red_cells_m_per_ul * 1e6
    return 100.0 * platelets / (platelets + leukocytes + red_cells)
