"""What a clinic records about one PRP preparation, and the check that refuses impossible values.

A :class:`PrpPreparation` cannot be built with an impossible value: construction runs
:func:`validate`, which raises :class:`~regenaid.errors.InvalidInputError` naming the field
(``spins[1].rpm`` for a spin). Fields left ``None`` were not recorded; nothing is assumed
for them. Datetimes must be timezone-aware and are stored in UTC.

Units are in the field names: ``_ml`` millilitres, ``_cm`` centimetres, ``_cm2`` square
centimetres, ``_mm`` millimetres, ``_c`` degrees Celsius, ``_percent`` 0-100,
``_k_per_ul`` ×10³ cells/µL (= ×10⁹/L), ``_m_per_ul`` ×10⁶ cells/µL (= ×10¹²/L).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from regenaid.clinic.ids import new_id
from regenaid.clinic.prp_formulas import (
    MAX_RCF_G,
    MAX_ROTOR_RADIUS_CM,
    MAX_RPM,
    platelet_recovery_percent,
    rcf_from_rpm,
)
from regenaid.errors import InvalidInputError


class Brake(StrEnum):
    ON = "on"
    OFF = "off"
    UNKNOWN = "unknown"


class SystemType(StrEnum):
    """Open: the blood or plasma is exposed to air when moved; closed: it never is."""

    OPEN = "open"
    CLOSED = "closed"


class Anticoagulant(StrEnum):
    ACD_A = "acd_a"  # acid-citrate-dextrose solution A
    SODIUM_CITRATE = "sodium_citrate"
    HEPARIN = "heparin"
    EDTA = "edta"
    OTHER = "other"
    NONE = "none"  # spun without anticoagulant (the PRF techniques)


class Activation(StrEnum):
    """Exogenous activation before injection; ``none`` means left to activate in the tissue."""

    NONE = "none"
    CALCIUM_CHLORIDE = "calcium_chloride"
    THROMBIN = "thrombin"
    OTHER = "other"


class InjectionTechnique(StrEnum):
    MANUAL_SYRINGE = "manual_syringe"  # serial puncture, nappage, linear threading by hand
    INJECTOR_DEVICE = "injector_device"  # injector gun / mesotherapy device
    MICRONEEDLING = "microneedling"  # PRP applied with microneedling
    OTHER = "other"


# Plausibility limits. Each exists to catch a unit slip (mm for cm, cells/µL for ×10³/µL)
# or a typing error; none is a clinical target. Limits are inclusive unless said otherwise.
MAX_WHOLE_BLOOD_ML = 500.0  # one donation unit is 450-500 mL; PRP draws are 10-180 mL
MAX_BASELINE_PLATELETS = 2_000.0  # ×10³/µL; 250,000/µL typed as 250000 is refused
MAX_PRP_PLATELETS = 10_000.0  # ×10³/µL; counters are validated to ~4,800 in PRP
MAX_LEUKOCYTES = 500.0  # ×10³/µL, blood or PRP
MAX_RED_CELLS = 15.0  # ×10⁶/µL; whole blood is ~4-6, packed red cells ~10
MAX_SPIN_MINUTES = 120.0  # longer is a seconds-for-minutes slip
MIN_SPIN_TEMPERATURE_C = 0.0  # blood freezes below
MAX_SPIN_TEMPERATURE_C = 40.0  # centrifuge set-points and blood handling stop here
MAX_SPINS = 4
NEEDLE_GAUGE_RANGE = (14, 34)
MAX_TREATED_AREA_CM2 = 2_000.0  # a whole scalp is ~300-600 cm²
MAX_INJECTION_DEPTH_MM = 20.0
# Recovering more platelets than the blood held is impossible; counts carry a few percent of
# error, so a recovery is refused only when it passes 110 %.
MAX_RECOVERY_PERCENT = 110.0

_E = TypeVar("_E", bound=StrEnum)


def _enum(field_name: str, kind: type[_E], value: Any) -> _E:
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        allowed = [member.value for member in kind]
        raise InvalidInputError(field_name, f"unknown value {value!r}", allowed) from None


def _optional_enum(field_name: str, kind: type[_E], value: Any) -> _E | None:
    return None if value is None else _enum(field_name, kind, value)


def _number(field_name: str, value: float | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(field_name, f"must be a number, got {value!r}")
    if not math.isfinite(value):
        raise InvalidInputError(field_name, f"must be a finite number, got {value}")


def _in_range(
    field_name: str,
    value: float | None,
    low: float,
    high: float,
    *,
    low_open: bool = False,
    unit: str = "",
) -> None:
    _number(field_name, value)
    if value is None:
        return
    too_low = value <= low if low_open else value < low
    if too_low or value > high:
        low_text = f"above {low:g}" if low_open else f"at least {low:g}"
        raise InvalidInputError(
            field_name, f"must be {low_text} and at most {high:g}{unit}, got {value:g}"
        )


def _positive(field_name: str, value: float | None, high: float, unit: str) -> None:
    _in_range(field_name, value, 0.0, high, low_open=True, unit=unit)


@dataclass(frozen=True, slots=True, kw_only=True)
class Spin:
    """One centrifugation step: give ``rpm`` or ``rcf_g``, exactly one.

    The other is derived from the rotor radius of the preparation (see
    :func:`regenaid.clinic.prp_derive.derive`). ``minutes`` is the time at speed.
    """

    rpm: float | None = None
    rcf_g: float | None = None
    minutes: float
    temperature_c: float | None = None
    brake: Brake = Brake.UNKNOWN

    def __post_init__(self) -> None:
        if (self.rpm is None) == (self.rcf_g is None):
            which = "both" if self.rpm is not None else "neither"
            raise InvalidInputError("rpm", f"give rpm or rcf_g, exactly one ({which} given)")
        _positive("rpm", self.rpm, MAX_RPM, " rpm")
        _positive("rcf_g", self.rcf_g, MAX_RCF_G, " g (plausible centrifuge maximum)")
        _positive("minutes", self.minutes, MAX_SPIN_MINUTES, " minutes")
        _in_range(
            "temperature_c",
            self.temperature_c,
            MIN_SPIN_TEMPERATURE_C,
            MAX_SPIN_TEMPERATURE_C,
            unit=" °C",
        )
        object.__setattr__(self, "brake", _enum("brake", Brake, self.brake))


@dataclass(frozen=True, slots=True, kw_only=True)
class PrpPreparation:
    """One PRP preparation for one treatment session, with the items MIBO asks studies for.

    Counts are those of the patient's whole blood at baseline (``baseline_*``) and of the
    final PRP (``prp_*``), measured on ``analyser``. ``claimed_concentration_factor`` is what
    the kit or protocol promises (e.g. 5.0 for "5×"), not what was measured.
    ``activation_ratio`` is activator volume per PRP volume (0.1 for 1:10).
    ``injected_volume_ml`` is the PRP actually injected, when less than the final volume.
    """

    id: str = field(default_factory=new_id)
    session_id: str
    protocol_id: str | None = None

    drawn_at: datetime
    whole_blood_volume_ml: float | None = None
    anticoagulant: Anticoagulant | None = None
    anticoagulant_volume_ml: float | None = None

    kit_brand: str | None = None
    kit_lot: str | None = None
    system_type: SystemType | None = None

    centrifuge_model: str | None = None
    rotor_radius_cm: float | None = None
    spins: tuple[Spin, ...] = ()

    baseline_platelets_k_per_ul: float | None = None
    baseline_leukocytes_k_per_ul: float | None = None
    baseline_neutrophil_percent: float | None = None
    baseline_haematocrit_percent: float | None = None
    analyser: str | None = None

    prp_platelets_k_per_ul: float | None = None
    prp_leukocytes_k_per_ul: float | None = None
    prp_neutrophil_percent: float | None = None
    prp_red_cells_m_per_ul: float | None = None
    final_volume_ml: float | None = None
    claimed_concentration_factor: float | None = None

    activation: Activation | None = None
    activation_ratio: float | None = None
    activation_detail: str | None = None

    ready_at: datetime | None = None
    injected_at: datetime | None = None

    injection_technique: InjectionTechnique | None = None
    injection_depth_mm: float | None = None
    needle_gauge: int | None = None
    treated_area_cm2: float | None = None
    injected_volume_ml: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "spins", tuple(self.spins))
        for name, kind in (
            ("anticoagulant", Anticoagulant),
            ("system_type", SystemType),
            ("activation", Activation),
            ("injection_technique", InjectionTechnique),
        ):
            object.__setattr__(self, name, _optional_enum(name, kind, getattr(self, name)))
        for name in ("drawn_at", "ready_at", "injected_at"):
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, datetime):
                raise InvalidInputError(name, f"must be a datetime, got {value!r}")
            if value.tzinfo is None or value.utcoffset() is None:
                raise InvalidInputError(name, "must be timezone-aware (naive time refused)")
            object.__setattr__(self, name, value.astimezone(UTC))
        validate(self)


def validate(prep: PrpPreparation) -> None:
    """Raise :class:`InvalidInputError` naming the first impossible value in ``prep``.

    Refused: volumes that are zero or negative (or larger than the blood they came from),
    spins above :data:`MAX_RCF_G` (directly or from rpm and radius), PRP platelets below
    baseline while the kit claims a concentration, a platelet recovery above 110 %,
    times out of order (drawn → ready → injected), haematocrit outside 0-100 %, neutrophil
    shares outside 0-100 %, counts that only a unit slip explains, and an activation ratio
    without an activator. Runs on construction; callable again on any record.
    """
    _volumes(prep)
    _centrifuge(prep)
    _counts(prep)
    _activation(prep)
    _times(prep)
    _injection(prep)


def _volumes(prep: PrpPreparation) -> None:
    _positive("whole_blood_volume_ml", prep.whole_blood_volume_ml, MAX_WHOLE_BLOOD_ML, " mL")
    _in_range(
        "anticoagulant_volume_ml",
        prep.anticoagulant_volume_ml,
        0.0,
        MAX_WHOLE_BLOOD_ML,
        unit=" mL",
    )
    _positive("final_volume_ml", prep.final_volume_ml, MAX_WHOLE_BLOOD_ML, " mL")
    anticoagulant_ml = prep.anticoagulant_volume_ml or 0.0
    if prep.anticoagulant is Anticoagulant.NONE and anticoagulant_ml > 0:
        raise InvalidInputError(
            "anticoagulant_volume_ml",
            f"is {anticoagulant_ml:g} mL but the anticoagulant is recorded as none",
        )
    blood = prep.whole_blood_volume_ml
    if blood is not None and anticoagulant_ml > blood:
        raise InvalidInputError(
            "anticoagulant_volume_ml",
            f"{anticoagulant_ml:g} mL is more than the {blood:g} mL of blood it was mixed with",
        )
    final = prep.final_volume_ml
    if blood is not None and final is not None and final > blood + anticoagulant_ml:
        raise InvalidInputError(
            "final_volume_ml",
            f"{final:g} mL of PRP cannot come from {blood + anticoagulant_ml:g} mL of "
            "anticoagulated blood",
        )


def _centrifuge(prep: PrpPreparation) -> None:
    _positive("rotor_radius_cm", prep.rotor_radius_cm, MAX_ROTOR_RADIUS_CM, " cm")
    if len(prep.spins) > MAX_SPINS:
        raise InvalidInputError("spins", f"at most {MAX_SPINS} spins, got {len(prep.spins)}")
    for index, spin in enumerate(prep.spins):
        if not isinstance(spin, Spin):
            raise InvalidInputError(f"spins[{index}]", f"must be a Spin, got {spin!r}")
        if spin.rpm is not None and prep.rotor_radius_cm is not None:
            rcf = rcf_from_rpm(spin.rpm, prep.rotor_radius_cm)
            if rcf > MAX_RCF_G:
                raise InvalidInputError(
                    f"spins[{index}].rpm",
                    f"{spin.rpm:g} rpm at {prep.rotor_radius_cm:g} cm is {rcf:,.0f} g, above "
                    f"the plausible centrifuge maximum of {MAX_RCF_G:,.0f} g",
                )


def _counts(prep: PrpPreparation) -> None:
    _positive(
        "baseline_platelets_k_per_ul",
        prep.baseline_platelets_k_per_ul,
        MAX_BASELINE_PLATELETS,
        " ×10³/µL",
    )
    _positive("baseline_leukocytes_k_per_ul", prep.baseline_leukocytes_k_per_ul, MAX_LEUKOCYTES, "")
    _in_range(
        "baseline_haematocrit_percent",
        prep.baseline_haematocrit_percent,
        0.0,
        100.0,
        low_open=True,
        unit=" %",
    )
    _positive("prp_platelets_k_per_ul", prep.prp_platelets_k_per_ul, MAX_PRP_PLATELETS, "")
    _in_range("prp_leukocytes_k_per_ul", prep.prp_leukocytes_k_per_ul, 0.0, MAX_LEUKOCYTES)
    _in_range("prp_red_cells_m_per_ul", prep.prp_red_cells_m_per_ul, 0.0, MAX_RED_CELLS)
    for name in ("baseline_neutrophil_percent", "prp_neutrophil_percent"):
        _in_range(name, getattr(prep, name), 0.0, 100.0, unit=" %")
    _positive("claimed_concentration_factor", prep.claimed_concentration_factor, 100.0, "×")

    prp, baseline = prep.prp_platelets_k_per_ul, prep.baseline_platelets_k_per_ul
    claim = prep.claimed_concentration_factor
    if (
        prp is not None
        and baseline is not None
        and claim is not None
        and claim > 1
        and prp < baseline
    ):
        raise InvalidInputError(
            "prp_platelets_k_per_ul",
            f"{prp:g} ×10³/µL is below the baseline of {baseline:g} ×10³/µL, yet a "
            f"{claim:g}× concentration is claimed",
        )
    blood, final = prep.whole_blood_volume_ml, prep.final_volume_ml
    if prp is not None and baseline is not None and blood is not None and final is not None:
        recovery = platelet_recovery_percent(prp, final, baseline, blood)
        if recovery > MAX_RECOVERY_PERCENT:
            raise InvalidInputError(
                "prp_platelets_k_per_ul",
                f"{prp:g} ×10³/µL in {final:g} mL is {recovery:.0f} % of the platelets in "
                f"{blood:g} mL of blood; more than the blood held is impossible",
            )


def _activation(prep: PrpPreparation) -> None:
    _in_range("activation_ratio", prep.activation_ratio, 0.0, 1.0, low_open=True)
    if prep.activation_ratio is not None and prep.activation in (None, Activation.NONE):
        raise InvalidInputError(
            "activation_ratio", "is recorded but no exogenous activator is recorded"
        )
    if prep.activation is Activation.OTHER and not (prep.activation_detail or "").strip():
        raise InvalidInputError("activation_detail", "say which activator when it is 'other'")


def _times(prep: PrpPreparation) -> None:
    if prep.ready_at is not None and prep.ready_at < prep.drawn_at:
        raise InvalidInputError(
            "ready_at",
            f"{prep.ready_at.isoformat()} is before the blood was drawn "
            f"({prep.drawn_at.isoformat()})",
        )
    if prep.injected_at is None:
        return
    earlier = prep.ready_at if prep.ready_at is not None else prep.drawn_at
    label = "ready" if prep.ready_at is not None else "drawn"
    if prep.injected_at < earlier:
        raise InvalidInputError(
            "injected_at",
            f"{prep.injected_at.isoformat()} is before the PRP was {label} ({earlier.isoformat()})",
        )


def _injection(prep: PrpPreparation) -> None:
    _positive("treated_area_cm2", prep.treated_area_cm2, MAX_TREATED_AREA_CM2, " cm²")
    _positive("injection_depth_mm", prep.injection_depth_mm, MAX_INJECTION_DEPTH_MM, " mm")
    _positive("injected_volume_ml", prep.injected_volume_ml, MAX_WHOLE_BLOOD_ML, " mL")
    gauge = prep.needle_gauge
    if gauge is not None:
        low, high = NEEDLE_GAUGE_RANGE
        if isinstance(gauge, bool) or not isinstance(gauge, int) or not low <= gauge <= high:
            raise InvalidInputError(
                "needle_gauge", f"must be a whole gauge from {low} to {high}, got {gauge!r}"
            )
    final, injected = prep.final_volume_ml, prep.injected_volume_ml
    if final is not None and injected is not None:
        most = final * (1.0 + (prep.activation_ratio or 0.0))
        if injected > most:
            raise InvalidInputError(
                "injected_volume_ml",
                f"{injected:g} mL is more than the {most:g} mL of PRP (with activator) prepared",
            )
