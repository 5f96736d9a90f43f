"""Adverse events after PRP or exosome treatments: CTCAE v5.0 terms and grades, seriousness
after ICH E2A, and where to report.

- Terms and grades: National Cancer Institute, Common Terminology Criteria for Adverse Events
  (CTCAE) v5.0, published 27 November 2017. The terms a hair and skin clinic needs are in
  ``data/ctcae_terms.yaml`` with their MedDRA codes and grade texts; a grade CTCAE leaves blank
  for a term cannot be recorded (Syncope has only grade 3; Bruising only 1 and 2). CTCAE has
  no granuloma or nodule term: use ``skin_other_specify`` ("Skin and subcutaneous tissue
  disorders - Other, specify") and name it in ``term_detail``.
- Seriousness is not severity. An event is serious when it meets one of the ICH E2A criteria
  (results in death, is life-threatening, needs or prolongs hospitalisation, causes persistent
  or significant disability, is a congenital anomaly, or is another important medical event);
  a grade 3 "severe" headache is not serious by itself.
- Reporting: for an exosome product in the US the route is FDA MedWatch (Form FDA 3500, or
  3500B for patients); in Great Britain the MHRA Yellow Card scheme (medicines and medical
  devices). Elsewhere the route is the national regulator; no scheme is named that we could
  not verify. The routes and their sources are in ``data/exosome_reference.yaml``.

Consistency rules (each refusal names the field): grade 5 means the outcome is fatal and the
other way round, and a fatal event has "death" among its seriousness criteria.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from importlib.resources import files
from typing import Any, Literal, cast, get_args

import yaml

from regenaid.clinic.exosome_lots import exosome_reference
from regenaid.clinic.ids import new_id
from regenaid.errors import InvalidInputError, KnowledgeError
from regenaid.knowledge.jurisdictions import normalise_jurisdiction

SeriousnessCriterion = Literal[
    "death",
    "life_threatening",
    "hospitalisation",
    "disability",
    "congenital_anomaly",
    "other_important_medical_event",
]
SERIOUSNESS_CRITERIA: tuple[str, ...] = get_args(SeriousnessCriterion)
Outcome = Literal[
    "recovered", "recovering", "not_recovered", "recovered_with_sequelae", "fatal", "unknown"
]
OUTCOMES: tuple[str, ...] = get_args(Outcome)
ActionTaken = Literal[
    "none",
    "observation",
    "local_care",
    "medication",
    "procedure",
    "referred",
    "hospitalised",
    "course_paused",
    "course_stopped",
]
ACTIONS_TAKEN: tuple[str, ...] = get_args(ActionTaken)
ProductKind = Literal["exosome", "prp", "none"]
PRODUCT_KINDS: tuple[str, ...] = get_args(ProductKind)

CTCAE_FILE = "ctcae_terms.yaml"
DETAIL_MAX = 200
DESCRIPTION_MAX = 4000


# --- CTCAE terms -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CtcaeTerm:
    """One CTCAE v5.0 term: ``grades`` holds only the grades CTCAE defines for it."""

    id: str
    term: str
    soc: str  # MedDRA System Organ Class
    meddra_code: str
    grades: Mapping[int, str]
    definition: str | None = None
    navigational_note: str | None = None
    aliases: tuple[str, ...] = ()
    note: str | None = None  # ours, not CTCAE's: when to use this term
    specify_required: bool = False  # an "Other, specify" term: name the event in term_detail


@dataclass(frozen=True, slots=True)
class CtcaeCatalogue:
    """The curated CTCAE terms with the edition they come from."""

    version: str
    published: str
    publisher: str
    url: str
    general_grades: Mapping[int, str]
    terms: Mapping[str, CtcaeTerm]


@functools.cache
def ctcae_catalogue() -> CtcaeCatalogue:
    """``data/ctcae_terms.yaml``, read and checked once."""
    text = (files("regenaid.clinic") / "data" / CTCAE_FILE).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    specify = frozenset(data.get("specify_required", ()))
    terms: dict[str, CtcaeTerm] = {}
    for entry in data["terms"]:
        term_id = entry["id"]
        grades = {int(g): " ".join(str(t).split()) for g, t in entry["grades"].items()}
        if not grades or not set(grades) <= {1, 2, 3, 4, 5}:
            raise KnowledgeError(CTCAE_FILE, term_id, "grades", "grades are 1 to 5, at least one")
        if not re.fullmatch(r"\d{8}", str(entry["meddra_code"])):
            raise KnowledgeError(CTCAE_FILE, term_id, "meddra_code", "an 8-digit MedDRA code")
        if term_id in terms:
            raise KnowledgeError(CTCAE_FILE, term_id, "id", "listed twice")
        terms[term_id] = CtcaeTerm(
            id=term_id,
            term=entry["term"],
            soc=entry["soc"],
            meddra_code=str(entry["meddra_code"]),
            grades=grades,
            definition=entry.get("definition"),
            navigational_note=entry.get("navigational_note"),
            aliases=tuple(entry.get("aliases", ())),
            note=entry.get("note"),
            specify_required=term_id in specify,
        )
    unknown = specify - set(terms)
    if unknown:
        raise KnowledgeError(CTCAE_FILE, "-", "specify_required", f"unknown {sorted(unknown)}")
    return CtcaeCatalogue(
        version=str(data["version"]),
        published=str(data["published"]),
        publisher=data["publisher"],
        url=data["url"],
        general_grades={int(g): t for g, t in data["general_grades"].items()},
        terms=terms,
    )


def ctcae_term(term_id: str) -> CtcaeTerm:
    """The term with id ``term_id``; an unknown id is refused, listing the known ones."""
    terms = ctcae_catalogue().terms
    if term_id not in terms:
        raise InvalidInputError("term_id", f"unknown CTCAE term {term_id!r}", sorted(terms))
    return terms[term_id]


def find_terms(words: str) -> tuple[CtcaeTerm, ...]:
    """Terms whose name or alias contains ``words`` (e.g. "granuloma" finds the
    "Other, specify" skin term), for a search box; case is ignored."""
    needle = " ".join(words.split()).casefold()
    if not needle:
        return ()
    return tuple(
        t
        for t in ctcae_catalogue().terms.values()
        if needle in t.term.casefold() or any(needle in a.casefold() for a in t.aliases)
    )


# --- events ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AdverseEvent:
    """A harm after a treatment, graded with CTCAE v5.0.

    ``seriousness`` lists the ICH E2A criteria met (empty: not serious). ``product_lot_id``
    and ``prp_preparation_id`` name what was given, when known (a combination may have both).
    """

    id: str
    clinic_id: str
    patient_id: str
    term_id: str
    grade: int
    onset: datetime
    outcome: Outcome
    recorded_at: datetime
    recorded_by: str
    session_id: str | None = None
    product_lot_id: str | None = None
    prp_preparation_id: str | None = None
    term_detail: str | None = None  # required for "Other, specify" terms, e.g. "granuloma"
    seriousness: tuple[SeriousnessCriterion, ...] = ()
    actions_taken: tuple[ActionTaken, ...] = ()
    resolved_on: date | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ReportingRoute:
    """Where to report an event. ``scheme`` is None for the generic national-regulator route
    (nothing verified to name); ``serious`` marks a route for a serious event (highlight)."""

    regulator: str
    scheme: str | None
    form: str | None
    url: str | None
    text: str
    sources: tuple[str, ...]
    serious: bool


def is_serious(event: AdverseEvent) -> bool:
    """True when the event meets at least one ICH E2A seriousness criterion."""
    return bool(event.seriousness)


def new_adverse_event(
    *, clinic_id: str, recorded_by: str, now: datetime, **values: Any
) -> AdverseEvent:
    """A new event from form values (field names of :class:`AdverseEvent`), checked."""
    known = {f.name for f in fields(AdverseEvent)} - {
        "id",
        "clinic_id",
        "recorded_at",
        "recorded_by",
    }
    for key in values:
        if key not in known:
            raise InvalidInputError(key, "is not a field of an adverse event", sorted(known))
    for required in ("patient_id", "term_id", "grade", "onset", "outcome"):
        if required not in values:
            raise InvalidInputError(required, "is required")
    for many in ("seriousness", "actions_taken"):
        if many in values:
            values[many] = _tuple(many, values[many])
    event = AdverseEvent(
        id=new_id(), clinic_id=clinic_id, recorded_at=now, recorded_by=recorded_by, **values
    )
    return validate_event(event)


def validate_event(event: AdverseEvent) -> AdverseEvent:
    """``event`` with its text trimmed and lists in canonical order; inconsistencies refused.

    Raises :class:`InvalidInputError` naming the field: an unknown term, a grade CTCAE does
    not define for that term, a missing ``term_detail`` on an "Other, specify" term, an onset
    without time zone or after the event was recorded, a resolution before the onset, unknown
    codes, "none" mixed with other actions, grade 5 without a fatal outcome (``outcome``), a
    fatal outcome below grade 5 (``grade``), a fatal outcome without "death" among the
    seriousness criteria (``seriousness``) or "death" without a fatal outcome (``outcome``).
    """
    for name in ("id", "clinic_id", "patient_id", "recorded_by"):
        _required(name, getattr(event, name))
    term = ctcae_term(event.term_id)
    if isinstance(event.grade, bool) or not isinstance(event.grade, int):
        raise InvalidInputError("grade", "must be a whole number 1 to 5")
    if event.grade not in term.grades:
        defined = [str(g) for g in sorted(term.grades)]
        raise InvalidInputError(
            "grade",
            f"CTCAE v5.0 defines no grade {event.grade} for {term.term!r}",
            defined,
        )
    detail = _optional_text("term_detail", event.term_detail, DETAIL_MAX)
    if term.specify_required and detail is None:
        raise InvalidInputError("term_detail", f"name the event (e.g. granuloma) for {term.term!r}")
    _aware("onset", event.onset)
    _aware("recorded_at", event.recorded_at)
    if event.onset > event.recorded_at:
        raise InvalidInputError("onset", "is after the time the event was recorded")
    if event.resolved_on is not None:
        if not isinstance(event.resolved_on, date) or isinstance(event.resolved_on, datetime):
            raise InvalidInputError("resolved_on", "must be a date")
        if event.resolved_on < event.onset.date():
            raise InvalidInputError("resolved_on", "is before the onset")
    for name in ("session_id", "product_lot_id", "prp_preparation_id"):
        value = getattr(event, name)
        if value is not None:
            _required(name, value)
    seriousness = _ordered("seriousness", event.seriousness, SERIOUSNESS_CRITERIA)
    actions = _ordered("actions_taken", event.actions_taken, ACTIONS_TAKEN)
    if "none" in actions and len(actions) > 1:
        raise InvalidInputError("actions_taken", "'none' cannot be combined with other actions")
    if event.outcome not in OUTCOMES:
        raise InvalidInputError("outcome", f"unknown value {event.outcome!r}", OUTCOMES)
    if event.grade == 5 and event.outcome != "fatal":
        raise InvalidInputError("outcome", "grade 5 is death related to the event: must be fatal")
    if event.outcome == "fatal" and event.grade != 5:
        raise InvalidInputError("grade", "a fatal outcome is grade 5 (death related to the event)")
    if event.outcome == "fatal" and "death" not in seriousness:
        raise InvalidInputError("seriousness", "a fatal event is serious: include 'death'")
    if "death" in seriousness and event.outcome != "fatal":
        raise InvalidInputError("outcome", "'death' is a seriousness criterion: must be fatal")
    return replace(
        event,
        term_detail=detail,
        seriousness=cast(tuple[SeriousnessCriterion, ...], seriousness),
        actions_taken=cast(tuple[ActionTaken, ...], actions),
        description=_optional_text("description", event.description, DESCRIPTION_MAX),
    )


def reporting_routes(
    event: AdverseEvent, product_kind: str, jurisdiction: str | None
) -> list[ReportingRoute]:
    """Where the clinic should report ``event`` about a ``product_kind`` in ``jurisdiction``.

    A named scheme only where verified (``data/exosome_reference.yaml``): FDA MedWatch for
    exosome products in the US; the MHRA Yellow Card scheme in Great Britain. With a product
    but no verified scheme, one generic route: the national regulator. With no product
    (``"none"``, e.g. fainting at the needle) there is nothing to report to a regulator and
    the list is empty. Serious events are marked ``serious`` on every route.
    """
    if product_kind not in PRODUCT_KINDS:
        raise InvalidInputError("product_kind", f"unknown value {product_kind!r}", PRODUCT_KINDS)
    if product_kind == "none":
        return []
    code = normalise_jurisdiction(jurisdiction)
    serious = is_serious(event)
    routes = [
        ReportingRoute(
            regulator=entry["regulator"],
            scheme=entry["scheme"],
            form=entry.get("form"),
            url=entry["url"],
            text=" ".join(str(entry["text"]).split()),
            sources=tuple(entry["sources"]),
            serious=serious,
        )
        for entry in exosome_reference().reporting_routes
        if entry["jurisdiction"] == code and product_kind in entry["product_kinds"]
    ]
    if routes:
        return routes
    product = "exosome product" if product_kind == "exosome" else "PRP preparation or its kit"
    where = f"in {code}" if code else "where the treatment was given"
    return [
        ReportingRoute(
            regulator="the national regulator for medicines and medical devices",
            scheme=None,
            form=None,
            url=None,
            text=(
                f"Report this event with the {product} {where} to the national regulator for "
                "medicines and medical devices. regenaid names no reporting scheme here: none "
                "is listed for this place and product."
            ),
            sources=(),
            serious=serious,
        )
    ]


# --- helpers -----------------------------------------------------------------------------------


def _required(name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(name, "must not be empty")


def _optional_text(name: str, value: object, limit: int) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise InvalidInputError(name, "must be text")
    text = " ".join(value.split())
    if len(text) > limit:
        raise InvalidInputError(name, f"at most {limit} characters")
    return text


def _aware(name: str, value: object) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidInputError(name, "must be a date and time with its time zone")


def _tuple(name: str, values: object) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidInputError(name, "must be a list")
    return tuple(values)


def _ordered(name: str, values: Iterable[str], allowed: tuple[str, ...]) -> tuple[str, ...]:
    """``values`` without repeats, in the order of ``allowed``; an unknown value refused."""
    chosen = set()
    for value in _tuple(name, values):
        if value not in allowed:
            raise InvalidInputError(name, f"unknown value {value!r}", allowed)
        chosen.add(value)
    return tuple(v for v in allowed if v in chosen)
