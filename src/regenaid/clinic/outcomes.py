"""Outcome measurements and what a change from baseline means.

A measurement is one value of one measure (hair density, shaft diameter, a scar grade ...) for
one patient, at one site, on one day, taken by a named method. The measures, their units,
plausible ranges and methods are data (``data/outcome_measures.yaml``); a value outside the
plausible range, a method that does not measure that measure, or a measure of the other
concern is refused with the field named.

A change is judged against the method's measurement error (:func:`judge_change`): a change
the error could explain is "no measurable change", never progress, and a method whose error
is not known cannot show a measurable change at all. Where a smallest noticeable change is
published for the measure, the judgement also says whether the change reaches it.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from importlib.resources import files
from typing import Any, Literal, cast, get_args

import yaml

from regenaid.clinic.ids import new_id
from regenaid.errors import InvalidInputError, KnowledgeError
from regenaid.knowledge.model import CONDITIONS_BY_CONCERN

MEASURES_FILE = "outcome_measures.yaml"
SiteMarking = Literal["tattoo", "landmark", "none"]
SITE_MARKINGS: tuple[str, ...] = get_args(SiteMarking)
Better = Literal["higher", "lower", "none"]
MeasureKind = Literal["amount", "rating"]
Verdict = Literal[
    "improved", "worsened", "increased", "decreased", "no_measurable_change", "error_unknown"
]
SITE_MAX = 100
NOTE_MAX = 1000


@dataclass(frozen=True, slots=True)
class MethodError:
    """How far a method's measured change is off, on the measures it was studied on: either
    ``percent`` of the baseline value or ``amount`` in the measure's unit. A measured change no
    larger than this is within the method's error: it cannot be told from no change."""

    measures: tuple[str, ...]
    percent: float | None
    amount: float | None
    sources: tuple[str, ...]
    text: str

    def half_width(self, baseline: float) -> float:
        if self.percent is not None:
            return self.percent / 100 * abs(baseline)
        assert self.amount is not None
        return self.amount

    def describe(self, unit: str) -> str:
        if self.percent is not None:
            return f"{self.percent:g}% of the baseline value"
        return f"{self.amount:g}{' ' + unit if unit else ' points'}"


@dataclass(frozen=True, slots=True)
class Method:
    id: str
    label: str
    errors: tuple[MethodError, ...]

    def error_for(self, measure: str) -> MethodError | None:
        """The method's error on ``measure``, or None when it is not known."""
        return next((e for e in self.errors if measure in e.measures), None)


@dataclass(frozen=True, slots=True)
class Source:
    """A bibliographic entry of the outcome catalogue, with how it was checked."""

    id: str
    title: str
    year: int
    url: str
    note: str
    authors: str | None = None
    journal: str | None = None
    doi: str | None = None
    pmid: str | None = None


@dataclass(frozen=True, slots=True)
class Noticeable:
    percent: float
    sources: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Code:
    system: str
    code: str
    display: str


@dataclass(frozen=True, slots=True)
class Measure:
    id: str
    label: str
    concern: str  # hair | skin | any
    conditions: tuple[str, ...]  # empty: every condition of the concern
    unit: str  # UCUM
    minimum: float
    maximum: float
    whole: bool
    better: Better
    kind: MeasureKind
    methods: tuple[str, ...]
    labels: Mapping[int, str]
    sources: tuple[str, ...]
    code: Code
    noticeable: Noticeable | None

    def describe(self, value: float) -> str:
        """The value as people read it: its label where the scale has one."""
        if self.whole and int(value) in self.labels:
            return (
                f"{int(value):+d} ({self.labels[int(value)]})"
                if self.minimum < 0
                else (f"{int(value)} ({self.labels[int(value)]})")
            )
        return f"{value:g} {unit_text(self.unit)}".strip()


@dataclass(frozen=True, slots=True)
class OutcomeCatalogue:
    code_system: str
    sources: Mapping[str, Source]
    methods: Mapping[str, Method]
    measures: Mapping[str, Measure]
    views: Mapping[str, tuple[str, ...]]

    def measures_for(self, concern: str, condition: str | None = None) -> list[Measure]:
        return [
            m
            for m in self.measures.values()
            if m.concern in (concern, "any")
            and (not m.conditions or condition is None or condition in m.conditions)
        ]


_UNIT_TEXT = {"/cm2": "hairs/cm²", "um": "µm", "%": "%", "1": "", "{score}": "", "{grade}": ""}


def unit_text(unit: str) -> str:
    """A UCUM unit as people write it."""
    return _UNIT_TEXT.get(unit, "")


def _errors(data: Any, method: str, sources: set[str]) -> tuple[MethodError, ...]:
    out = []
    for item in data or ():
        percent, amount = item.get("percent"), item.get("amount")
        if (percent is None) == (amount is None):
            raise KnowledgeError(MEASURES_FILE, method, "errors", "percent or amount, not both")
        if not 0 < float(percent if percent is not None else amount) < 100:
            raise KnowledgeError(MEASURES_FILE, method, "errors", "between 0 and 100")
        cited = tuple(item.get("sources", ()))
        _check_sources(cited, sources, method)
        out.append(
            MethodError(
                measures=tuple(item["measures"]),
                percent=float(percent) if percent is not None else None,
                amount=float(amount) if amount is not None else None,
                sources=cited,
                text=" ".join(str(item["text"]).split()),
            )
        )
    return tuple(out)


def _check_sources(cited: Sequence[str], known: set[str], entry: str) -> None:
    if not cited:
        raise KnowledgeError(MEASURES_FILE, entry, "sources", "a fact needs a source")
    unknown = set(cited) - known
    if unknown:
        raise KnowledgeError(MEASURES_FILE, entry, "sources", f"unknown {sorted(unknown)}")


@functools.cache
def outcome_catalogue() -> OutcomeCatalogue:
    """``data/outcome_measures.yaml``, read and checked once."""
    text = (files("regenaid.clinic") / "data" / MEASURES_FILE).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    system = str(data["code_system"])
    sources = {str(src["id"]): Source(**src) for src in data["sources"]}
    known = set(sources)
    methods = {
        mid: Method(mid, str(m["label"]), _errors(m.get("errors"), mid, known))
        for mid, m in data["methods"].items()
    }
    measures: dict[str, Measure] = {}
    for mid, m in data["measures"].items():
        unknown = set(m["methods"]) - set(methods)
        if unknown:
            raise KnowledgeError(MEASURES_FILE, mid, "methods", f"unknown {sorted(unknown)}")
        concern = str(m["concern"])
        conditions = tuple(m.get("conditions", ()))
        allowed = CONDITIONS_BY_CONCERN.get(concern, ())
        if concern != "any" and not set(conditions) <= set(allowed):
            raise KnowledgeError(MEASURES_FILE, mid, "conditions", f"not {concern} conditions")
        if m["kind"] not in get_args(MeasureKind) or m["better"] not in get_args(Better):
            raise KnowledgeError(MEASURES_FILE, mid, "kind/better", "unknown value")
        if float(m["minimum"]) >= float(m["maximum"]):
            raise KnowledgeError(MEASURES_FILE, mid, "minimum", "below maximum")
        code = m.get("code") or {"system": system, "code": mid, "display": m["label"]}
        noticed = m.get("noticeable")
        if noticed:
            _check_sources(noticed.get("sources", ()), known, mid)
        if m.get("sources"):
            _check_sources(m["sources"], known, mid)
        measures[mid] = Measure(
            id=mid,
            label=str(m["label"]),
            concern=concern,
            conditions=conditions,
            unit=str(m["unit"]),
            minimum=float(m["minimum"]),
            maximum=float(m["maximum"]),
            whole=bool(m["whole"]),
            better=m["better"],
            kind=m["kind"],
            methods=tuple(m["methods"]),
            labels={int(k): str(v) for k, v in (m.get("labels") or {}).items()},
            sources=tuple(m.get("sources", ())),
            code=Code(str(code["system"]), str(code["code"]), str(code["display"])),
            noticeable=(
                Noticeable(
                    float(noticed["percent"]),
                    tuple(noticed["sources"]),
                    " ".join(str(noticed["text"]).split()),
                )
                if noticed
                else None
            ),
        )
    for mid, method in methods.items():
        for error in method.errors:
            if not set(error.measures) <= set(measures):
                raise KnowledgeError(MEASURES_FILE, mid, "errors.measures", "unknown measure")
    views = {k: tuple(v) for k, v in data["views"].items()}
    return OutcomeCatalogue(system, sources, methods, measures, views)


# --- measurements -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measurement:
    """One value of one measure for one patient, site and day."""

    id: str
    clinic_id: str
    patient_id: str
    measure: str
    value: float
    unit: str
    method: str
    site: str
    site_marking: SiteMarking
    measured_on: date
    recorded_at: datetime
    recorded_by: str
    course_id: str | None = None
    landmark: str | None = None  # how the site is found again (tattoo position, landmark)
    rater_blinded: bool | None = None  # for ratings of photographs: was the rater blinded
    note: str | None = None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(field: str, value: Any, limit: int, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInputError(field, "is required")
        return None
    if not isinstance(value, str):
        raise InvalidInputError(field, "must be text")
    text = value.strip()
    if len(text) > limit:
        raise InvalidInputError(field, f"at most {limit} characters")
    if _CONTROL.search(text):
        raise InvalidInputError(field, "must not contain control characters")
    return text


def _number(field: str, value: Any) -> float:
    if isinstance(value, bool):
        raise InvalidInputError(field, "must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(field, "must be a number") from None
    if not math.isfinite(number):
        raise InvalidInputError(field, "must be a finite number")
    return number


def check_measurement_fields(
    catalogue: OutcomeCatalogue,
    concern: str | None,
    *,
    measure: Any,
    value: Any,
    method: Any,
    measured_on: Any,
    today: date,
    condition: str | None = None,
) -> tuple[Measure, float]:
    """The measure and the value as a number, or :class:`InvalidInputError` naming the field:
    an unknown measure or one of the other concern or condition, a value that is not a number
    or lies outside the plausible range, a fraction on a whole-number scale, a method that
    does not measure this measure, a day in the future."""
    if measure not in catalogue.measures:
        raise InvalidInputError(
            "measure", f"unknown measure {measure!r}", sorted(catalogue.measures)
        )
    spec = catalogue.measures[measure]
    if concern is not None and spec.concern not in (concern, "any"):
        allowed = [m.id for m in catalogue.measures_for(concern)]
        raise InvalidInputError("measure", f"is not a {concern} measure", allowed)
    if condition is not None and spec.conditions and condition not in spec.conditions:
        raise InvalidInputError(
            "measure", f"is not measured for {condition}", list(spec.conditions)
        )
    number = _number("value", value)
    if not spec.minimum <= number <= spec.maximum:
        raise InvalidInputError(
            "value",
            f"{spec.label} must be between {spec.minimum:g} and {spec.maximum:g}"
            + (f" {unit_text(spec.unit)}" if unit_text(spec.unit) else ""),
        )
    if spec.whole and number != int(number):
        raise InvalidInputError("value", f"{spec.label} takes whole numbers only")
    if method not in spec.methods:
        raise InvalidInputError("method", f"does not measure {spec.label}", list(spec.methods))
    if not isinstance(measured_on, date) or isinstance(measured_on, datetime):
        raise InvalidInputError("measured_on", "must be a date (YYYY-MM-DD)")
    if measured_on > today:
        raise InvalidInputError("measured_on", "is in the future")
    return spec, number


def new_measurement(
    *,
    clinic_id: str,
    recorded_by: str,
    now: datetime,
    concern: str | None = None,
    condition: str | None = None,
    **values: Any,
) -> Measurement:
    """A new measurement from form values (field names of :class:`Measurement`), checked."""
    known = {f.name for f in fields(Measurement)} - {
        "id",
        "clinic_id",
        "recorded_at",
        "recorded_by",
        "unit",
    }
    for key in values:
        if key not in known:
            raise InvalidInputError(key, "is not a field of a measurement", sorted(known))
    for required in ("patient_id", "measure", "value", "method", "site", "measured_on"):
        if values.get(required) in (None, ""):
            raise InvalidInputError(required, "is required")
    catalogue = outcome_catalogue()
    spec, number = check_measurement_fields(
        catalogue,
        concern,
        measure=values["measure"],
        value=values["value"],
        method=values["method"],
        measured_on=values["measured_on"],
        today=now.date(),
        condition=condition,
    )
    marking = values.get("site_marking") or "none"
    if marking not in SITE_MARKINGS:
        raise InvalidInputError("site_marking", f"unknown value {marking!r}", SITE_MARKINGS)
    blinded = values.get("rater_blinded")
    if spec.kind == "rating" and spec.id == "global_photo" and blinded is None:
        raise InvalidInputError("rater_blinded", "say whether the rater was blinded")
    if blinded is not None and not isinstance(blinded, bool):
        raise InvalidInputError("rater_blinded", "must be true or false")
    return Measurement(
        id=new_id(),
        clinic_id=clinic_id,
        patient_id=str(values["patient_id"]),
        measure=spec.id,
        value=number,
        unit=spec.unit,
        method=str(values["method"]),
        site=_text("site", values["site"], SITE_MAX, required=True) or "",
        site_marking=cast(SiteMarking, marking),
        measured_on=values["measured_on"],
        recorded_at=now,
        recorded_by=recorded_by,
        course_id=values.get("course_id") or None,
        landmark=_text("landmark", values.get("landmark"), SITE_MAX * 2, required=False),
        rater_blinded=blinded,
        note=_text("note", values.get("note"), NOTE_MAX, required=False),
    )


# --- change from baseline ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """A measure's change at one site from the baseline measurement to a later one."""

    measure: str
    site: str
    method: str
    baseline: Measurement
    later: Measurement
    difference: float  # later - baseline, in the measure's unit
    percent: float | None  # relative to baseline (None when the baseline is 0)
    low: float | None  # the difference minus and plus the method's error on this measure
    high: float | None
    verdict: Verdict
    noticeable: bool | None  # reaches the smallest change people notice (None: not published)
    text: str


def _direction(spec: Measure, difference: float) -> Verdict:
    if spec.better == "none":
        return "increased" if difference > 0 else "decreased"
    good = difference > 0 if spec.better == "higher" else difference < 0
    return "improved" if good else "worsened"


def judge_change(
    baseline: Measurement, later: Measurement, catalogue: OutcomeCatalogue | None = None
) -> Change:
    """The change from ``baseline`` to ``later`` (same measure, site and method) judged
    against the method's measurement error.

    The interval is the difference plus or minus the method's error on this measure (its
    average error in measuring a change, :class:`MethodError`); an interval that holds 0 is "no
    measurable change". A method whose error on the measure is not known judges nothing.
    """
    catalogue = catalogue or outcome_catalogue()
    spec = catalogue.measures[baseline.measure]
    if (later.measure, later.site, later.method) != (
        baseline.measure,
        baseline.site,
        baseline.method,
    ):
        raise ValueError("a change compares the same measure, site and method")
    if spec.kind == "rating":
        raise ValueError(f"{spec.label} is itself a rating of change")
    difference = later.value - baseline.value
    percent = difference / baseline.value * 100 if baseline.value else None
    error = catalogue.methods[baseline.method].error_for(spec.id)
    if error is not None and error.percent is not None and baseline.value == 0:
        error = None  # a share of nothing: the error of a change from 0 is not known
    low = high = None
    if error is None:
        verdict: Verdict = "error_unknown"
    else:
        half = error.half_width(baseline.value)
        low, high = difference - half, difference + half
        verdict = "no_measurable_change" if low <= 0 <= high else _direction(spec, difference)
    noticeable = None
    if spec.noticeable is not None and percent is not None:
        noticeable = abs(percent) >= spec.noticeable.percent and verdict not in (
            "no_measurable_change",
            "error_unknown",
        )
    return Change(
        measure=spec.id,
        site=baseline.site,
        method=baseline.method,
        baseline=baseline,
        later=later,
        difference=difference,
        percent=percent,
        low=low,
        high=high,
        verdict=verdict,
        noticeable=noticeable,
        text=change_text(spec, catalogue.methods[baseline.method], difference, percent, verdict),
    )


def change_text(
    spec: Measure, method: Method, difference: float, percent: float | None, verdict: Verdict
) -> str:
    """One sentence a patient can read: the change, and what the method's error allows."""
    unit = unit_text(spec.unit) or (
        ("point" if abs(difference) == 1 else "points") if spec.whole else ""
    )
    size = f"{abs(difference):.3g}{' ' + unit if unit else ''}"
    if percent is not None and spec.whole is False:
        size += f" ({abs(percent):.1f}%)"
    moved = f"{'up' if difference > 0 else 'down'} {size}" if difference else "unchanged"
    error = method.error_for(spec.id)
    if verdict == "error_unknown" or error is None:
        return (
            f"{spec.label}: {moved}. How far {method.label.lower()} can be off on this measure "
            "is not known, so this cannot be called a real change."
        )
    if verdict == "no_measurable_change":
        return (
            f"No measurable change: {spec.label} {moved}, within this method's error "
            f"({error.describe(unit_text(spec.unit))})."
        )
    return f"{spec.label} {verdict}: {moved}, more than the method's error."


def baselines_and_changes(measurements: Iterable[Measurement]) -> list[Change]:
    """Every later measurement's change from the first measurement of the same measure, site
    and method (the baseline), oldest first; ratings of change are not compared."""
    catalogue = outcome_catalogue()
    out: list[Change] = []
    for (measure, _, _), values in series_of(measurements).items():
        if catalogue.measures[measure].kind == "rating":
            continue
        out.extend(judge_change(values[0], later, catalogue) for later in values[1:])
    return out


def series_of(measurements: Iterable[Measurement]) -> dict[tuple[str, str, str], list[Measurement]]:
    """Measurements grouped by (measure, site, method), each group oldest first."""
    out: dict[tuple[str, str, str], list[Measurement]] = {}
    for m in sorted(measurements, key=lambda m: (m.measured_on, m.recorded_at)):
        out.setdefault((m.measure, m.site, m.method), []).append(m)
    return out
