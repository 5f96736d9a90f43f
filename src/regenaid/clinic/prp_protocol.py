"""A clinic's validated PRP protocol, and the deviations of a preparation from it.

A session outside the protocol is flagged, never silently accepted: every range the protocol
sets is checked, and a value that was not recorded (or cannot be computed, such as the force
of a spin given in rpm without a rotor radius) is itself a deviation, since it cannot be shown
to be inside the range. Ranges are inclusive at both ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from regenaid.clinic.ids import new_id
from regenaid.clinic.prp_derive import derive
from regenaid.clinic.prp_record import PrpPreparation
from regenaid.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class Range:
    """An inclusive range ``low``-``high`` in the unit of the field it bounds."""

    low: float
    high: float

    def __post_init__(self) -> None:
        for name in ("low", "high"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInputError(name, f"must be a number, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise InvalidInputError(name, f"must be a finite number >= 0, got {value}")
        if self.low > self.high:
            raise InvalidInputError("low", f"{self.low:g} is above high {self.high:g}")

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def text(self) -> str:
        return f"{self.low:,.4g}-{self.high:,.4g}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SpinLimits:
    """What the protocol allows for one spin: force in g and time in minutes."""

    rcf_g: Range
    minutes: Range


@dataclass(frozen=True, slots=True, kw_only=True)
class PrpProtocol:
    """A clinic's validated protocol. A range left ``None`` is not part of the protocol."""

    id: str = field(default_factory=new_id)
    name: str
    spins: tuple[SpinLimits, ...]
    whole_blood_volume_ml: Range | None = None
    final_volume_ml: Range | None = None
    concentration_factor: Range | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInputError("name", "a protocol needs a name")
        object.__setattr__(self, "spins", tuple(self.spins))
        if not self.spins:
            raise InvalidInputError("spins", "a protocol sets at least one spin")


@dataclass(frozen=True, slots=True)
class Deviation:
    """One way a preparation leaves its protocol. ``value`` is ``None`` when not recorded."""

    field: str
    value: float | None
    allowed: Range
    message: str


def _check(
    deviations: list[Deviation],
    field_name: str,
    label: str,
    value: float | None,
    allowed: Range | None,
    unit: str,
    protocol: PrpProtocol,
) -> None:
    if allowed is None:
        return
    where = f"the protocol '{protocol.name}' allows {allowed.text()}{unit}"
    if value is None:
        message = f"{label} was not recorded, so it cannot be checked: {where}"
    elif value in allowed:
        return
    else:
        message = f"{label} was {value:,.4g}{unit}; {where}"
    deviations.append(Deviation(field_name, value, allowed, message))


def protocol_deviations(prep: PrpPreparation, protocol: PrpProtocol) -> list[Deviation]:
    """Every way ``prep`` departs from ``protocol``; an empty list means it kept to it."""
    deviations: list[Deviation] = []
    derived = derive(prep)
    count = len(prep.spins)
    expected = len(protocol.spins)
    if count != expected:
        deviations.append(
            Deviation(
                "spins",
                float(count),
                Range(float(expected), float(expected)),
                f"{count} spin(s) recorded; the protocol '{protocol.name}' has {expected}",
            )
        )
    for index, (spin, limits) in enumerate(zip(prep.spins, protocol.spins, strict=False)):
        number = index + 1
        _check(
            deviations,
            f"spins[{index}].rcf_g",
            f"spin {number} force",
            derived.spins[index].rcf_g,
            limits.rcf_g,
            " g",
            protocol,
        )
        _check(
            deviations,
            f"spins[{index}].minutes",
            f"spin {number} time",
            spin.minutes,
            limits.minutes,
            " min",
            protocol,
        )
    _check(
        deviations,
        "whole_blood_volume_ml",
        "whole-blood volume",
        prep.whole_blood_volume_ml,
        protocol.whole_blood_volume_ml,
        " mL",
        protocol,
    )
    _check(
        deviations,
        "final_volume_ml",
        "final PRP volume",
        prep.final_volume_ml,
        protocol.final_volume_ml,
        " mL",
        protocol,
    )
    _check(
        deviations,
        "concentration_factor",
        "platelet concentration factor",
        derived.concentration_factor,
        protocol.concentration_factor,
        "×",
        protocol,
    )
    return deviations
