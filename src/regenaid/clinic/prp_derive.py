"""Values derived from a PRP preparation record, stored with the formula version that made them.

:func:`derive` never guesses: a value whose inputs were not recorded is ``None``, and the
``notes`` say why where it is not obvious. Change any formula, band or MIBO item here or in
:mod:`regenaid.clinic.prp_formulas` and :data:`FORMULA_VERSION` must change with it, so
stored results can be told apart from results recomputed under new rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from regenaid.clinic.prp_formulas import (
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
from regenaid.clinic.prp_record import Activation, Anticoagulant, PrpPreparation, validate

FORMULA_VERSION = "regenaid-prp/1: rcf-1.118e-5; paw-2012; depa-2016; dohan-2009; mibo-2017/r1"


@dataclass(frozen=True, slots=True)
class DerivedSpin:
    """A spin's force and speed, one of them recorded and the other from the rotor radius."""

    rcf_g: float | None
    rpm: float | None


@dataclass(frozen=True, slots=True)
class PawClass:
    """PAW class (DeLong et al. 2012); a part is ``None`` when its inputs were not recorded."""

    platelets: PawPlatelets | None
    exogenous_activation: bool | None
    white_cells: PawWhiteCells | None
    neutrophils: PawNeutrophils | None

    @property
    def code(self) -> str:
        """E.g. ``P3Aα`` or ``P2xBβ``: x marks exogenous activation, ``?`` an unknown part."""
        activation = {True: "x", False: "", None: "?"}[self.exogenous_activation]
        return (
            f"{self.platelets or 'P?'}{activation}{self.white_cells or '?'}{self.neutrophils or ''}"
        )


@dataclass(frozen=True, slots=True)
class DepaClass:
    """DEPA class (Magalon et al. 2016): dose, efficiency, purity grades and activation."""

    dose: DepaGrade | None
    efficiency: DepaGrade | None
    purity: DepaGrade | None
    exogenous_activation: bool | None

    @property
    def code(self) -> str:
        """E.g. ``D:B E:C P:A A:no``; ``?`` marks a part whose inputs were not recorded."""
        activation = {True: "yes", False: "no", None: "?"}[self.exogenous_activation]
        return (
            f"D:{self.dose or '?'} E:{self.efficiency or '?'} P:{self.purity or '?'} A:{activation}"
        )


@dataclass(frozen=True, slots=True)
class MiboItem:
    """One reporting item, with the MIBO section it belongs to."""

    id: str
    section: str
    label: str
    reported: Callable[[PrpPreparation], bool]


@dataclass(frozen=True, slots=True)
class MiboCompleteness:
    """Which MIBO-based items this record reports (ids, in checklist order)."""

    reported: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def total(self) -> int:
        return len(self.reported) + len(self.missing)

    @property
    def score(self) -> float:
        """Share of items reported, 0-1."""
        return len(self.reported) / self.total


@dataclass(frozen=True, slots=True)
class DerivedPrp:
    """Everything :func:`derive` computes from one :class:`PrpPreparation`."""

    formula_version: str
    spins: tuple[DerivedSpin, ...]
    concentration_factor: float | None
    platelet_dose_e9: float | None
    platelet_recovery_percent: float | None
    platelet_purity_percent: float | None
    leukocyte_content: LeukocyteContent | None
    paw: PawClass
    depa: DepaClass
    dohan_ehrenfest_family: DohanEhrenfestFamily | None
    volume_per_cm2_ml: float | None
    mibo: MiboCompleteness
    notes: tuple[str, ...]


def _spins_have(prep: PrpPreparation, test: Callable[[int], bool]) -> bool:
    return bool(prep.spins) and all(test(i) for i in range(len(prep.spins)))


def _force_known(prep: PrpPreparation, index: int) -> bool:
    spin = prep.spins[index]
    return spin.rcf_g is not None or prep.rotor_radius_cm is not None


# Our checklist, paraphrasing the PRP preparation and composition items of MIBO (Murray et al.
# 2017) for a clinic's own record; see docs/clinic-prp.md for what could and could not be
# checked against the published list. Study-level items (design, participants, outcomes)
# belong to a study, not to one preparation, and are left out.
MIBO_ITEMS: tuple[MiboItem, ...] = (
    MiboItem(
        "whole_blood_volume",
        "whole blood",
        "volume of whole blood drawn",
        lambda p: p.whole_blood_volume_ml is not None,
    ),
    MiboItem(
        "anticoagulant",
        "whole blood",
        "anticoagulant and its volume",
        lambda p: (
            p.anticoagulant is Anticoagulant.NONE
            or (p.anticoagulant is not None and p.anticoagulant_volume_ml is not None)
        ),
    ),
    MiboItem(
        "baseline_platelets",
        "whole blood",
        "whole-blood platelet count",
        lambda p: p.baseline_platelets_k_per_ul is not None,
    ),
    MiboItem(
        "baseline_leukocytes",
        "whole blood",
        "whole-blood leukocyte count",
        lambda p: p.baseline_leukocytes_k_per_ul is not None,
    ),
    MiboItem(
        "baseline_red_cells",
        "whole blood",
        "whole-blood haematocrit",
        lambda p: p.baseline_haematocrit_percent is not None,
    ),
    MiboItem(
        "preparation_system",
        "processing",
        "commercial system (brand) and open or closed",
        lambda p: p.kit_brand is not None and p.system_type is not None,
    ),
    MiboItem(
        "centrifuge",
        "processing",
        "centrifuge model and rotor radius",
        lambda p: p.centrifuge_model is not None and p.rotor_radius_cm is not None,
    ),
    MiboItem(
        "spins",
        "processing",
        "number of spins and time of each",
        lambda p: bool(p.spins),
    ),
    MiboItem(
        "spin_force",
        "processing",
        "force (g) of each spin",
        lambda p: _spins_have(p, lambda i: _force_known(p, i)),
    ),
    MiboItem(
        "spin_temperature",
        "processing",
        "temperature of each spin",
        lambda p: _spins_have(p, lambda i: p.spins[i].temperature_c is not None),
    ),
    MiboItem(
        "counting_method",
        "PRP composition",
        "analyser used for the counts",
        lambda p: p.analyser is not None,
    ),
    MiboItem(
        "prp_platelets",
        "PRP composition",
        "PRP platelet count",
        lambda p: p.prp_platelets_k_per_ul is not None,
    ),
    MiboItem(
        "prp_leukocytes",
        "PRP composition",
        "PRP leukocyte count",
        lambda p: p.prp_leukocytes_k_per_ul is not None,
    ),
    MiboItem(
        "prp_neutrophils",
        "PRP composition",
        "PRP neutrophil share",
        lambda p: p.prp_neutrophil_percent is not None,
    ),
    MiboItem(
        "prp_red_cells",
        "PRP composition",
        "PRP red cell count",
        lambda p: p.prp_red_cells_m_per_ul is not None,
    ),
    MiboItem(
        "final_volume",
        "PRP composition",
        "final PRP volume",
        lambda p: p.final_volume_ml is not None,
    ),
    MiboItem(
        "activation",
        "PRP composition",
        "activation (or none)",
        lambda p: p.activation is not None,
    ),
    MiboItem(
        "time_to_injection",
        "delivery",
        "time ready and time injected",
        lambda p: p.ready_at is not None and p.injected_at is not None,
    ),
    MiboItem(
        "delivery",
        "delivery",
        "injection technique, needle gauge and depth",
        lambda p: (
            p.injection_technique is not None
            and p.needle_gauge is not None
            and p.injection_depth_mm is not None
        ),
    ),
    MiboItem(
        "dose_per_area",
        "delivery",
        "treated area",
        lambda p: p.treated_area_cm2 is not None,
    ),
)


def mibo_completeness(prep: PrpPreparation) -> MiboCompleteness:
    """Which of :data:`MIBO_ITEMS` the record reports, and which it leaves out."""
    reported = tuple(item.id for item in MIBO_ITEMS if item.reported(prep))
    missing = tuple(item.id for item in MIBO_ITEMS if not item.reported(prep))
    return MiboCompleteness(reported=reported, missing=missing)


def _derive_spins(prep: PrpPreparation, notes: list[str]) -> tuple[DerivedSpin, ...]:
    radius = prep.rotor_radius_cm
    derived: list[DerivedSpin] = []
    for number, spin in enumerate(prep.spins, start=1):
        if spin.rcf_g is not None:
            rpm = rpm_from_rcf(spin.rcf_g, radius) if radius is not None else None
            derived.append(DerivedSpin(rcf_g=spin.rcf_g, rpm=rpm))
        elif radius is not None and spin.rpm is not None:
            derived.append(DerivedSpin(rcf_g=rcf_from_rpm(spin.rpm, radius), rpm=spin.rpm))
        else:
            derived.append(DerivedSpin(rcf_g=None, rpm=spin.rpm))
            notes.append(f"spin {number} is recorded in rpm without a rotor radius: force unknown")
    return tuple(derived)


def _exogenous(activation: Activation | None) -> bool | None:
    return None if activation is None else activation is not Activation.NONE


def derive(prep: PrpPreparation) -> DerivedPrp:
    """Derived values of ``prep`` (validated first), tagged with :data:`FORMULA_VERSION`."""
    validate(prep)
    notes: list[str] = []
    spins = _derive_spins(prep, notes)
    prp, baseline = prep.prp_platelets_k_per_ul, prep.baseline_platelets_k_per_ul
    blood, final = prep.whole_blood_volume_ml, prep.final_volume_ml
    prp_wbc, base_wbc = prep.prp_leukocytes_k_per_ul, prep.baseline_leukocytes_k_per_ul

    factor = prp / baseline if prp is not None and baseline is not None else None
    claim = prep.claimed_concentration_factor
    if factor is not None and claim is not None and factor < claim:
        notes.append(f"measured concentration {factor:.2f}× is below the claimed {claim:g}×")
    dose = platelet_dose_e9(prp, final) if prp is not None and final is not None else None
    recovery = None
    if prp is not None and final is not None and baseline is not None and blood is not None:
        recovery = platelet_recovery_percent(prp, final, baseline, blood)
        if recovery > 100:
            notes.append(f"platelet recovery {recovery:.0f} % exceeds 100 %: recheck the counts")
    purity = None
    if prp is not None and prp_wbc is not None and prep.prp_red_cells_m_per_ul is not None:
        purity = platelet_purity_percent(prp, prp_wbc, prep.prp_red_cells_m_per_ul)

    leukocytes = (
        leukocyte_content(prp_wbc, base_wbc)
        if prp_wbc is not None and base_wbc is not None
        else None
    )
    neutrophils = None
    if (
        prp_wbc is not None
        and base_wbc is not None
        and prep.prp_neutrophil_percent is not None
        and prep.baseline_neutrophil_percent is not None
    ):
        neutrophils = paw_neutrophils(
            prp_wbc * prep.prp_neutrophil_percent / 100,
            base_wbc * prep.baseline_neutrophil_percent / 100,
        )
    exogenous = _exogenous(prep.activation)
    paw = PawClass(
        platelets=paw_platelet_band(prp, baseline)
        if prp is not None and baseline is not None
        else None,
        exogenous_activation=exogenous,
        white_cells=paw_white_cells(prp_wbc, base_wbc)
        if prp_wbc is not None and base_wbc is not None
        else None,
        neutrophils=neutrophils,
    )
    depa = DepaClass(
        dose=depa_dose_grade(dose) if dose is not None else None,
        efficiency=depa_percent_grade(recovery) if recovery is not None else None,
        purity=depa_percent_grade(purity) if purity is not None else None,
        exogenous_activation=exogenous,
    )
    family = None
    if prep.anticoagulant is not None and leukocytes is not None:
        family = dohan_ehrenfest_family(
            anticoagulated=prep.anticoagulant is not Anticoagulant.NONE, leukocytes=leukocytes
        )
    per_cm2 = None
    injected = prep.injected_volume_ml if prep.injected_volume_ml is not None else final
    if injected is not None and prep.treated_area_cm2 is not None:
        per_cm2 = injected / prep.treated_area_cm2
    return DerivedPrp(
        formula_version=FORMULA_VERSION,
        spins=spins,
        concentration_factor=factor,
        platelet_dose_e9=dose,
        platelet_recovery_percent=recovery,
        platelet_purity_percent=purity,
        leukocyte_content=leukocytes,
        paw=paw,
        depa=depa,
        dohan_ehrenfest_family=family,
        volume_per_cm2_ml=per_cm2,
        mibo=mibo_completeness(prep),
        notes=tuple(notes),
    )
