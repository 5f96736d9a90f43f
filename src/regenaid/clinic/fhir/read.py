"""A patient's FHIR Bundle read back into the clinic's records (the import's pure half).

:func:`read_bundle` validates the whole Bundle with ``fhir.resources`` (R4B models) first,
then reads every resource into the record it came from, checked by the clinic's own rules
(a measurement by :func:`regenaid.clinic.outcomes.new_measurement`, an adverse event by
:func:`regenaid.clinic.adverse_events.validate_event`, a lot by
:func:`regenaid.clinic.exosome_lots.validate_lot`, a preparation by its own constructor, ...).
Every refusal is an :class:`~regenaid.errors.InvalidInputError` whose field names the
resource and the element: ``entry[3].resource(Observation/abc).valueQuantity.value``.

The records come out with new ids in the importing clinic (old ids mapped to new ones
consistently) and everything else as it was, staff ids included (``docs/clinic-fhir.md``).
Nothing here writes: ``regenaid.clinic.fhir_services.import_patient_fhir`` does, in one
unit of work.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from regenaid.clinic.adverse_events import AdverseEvent, validate_event
from regenaid.clinic.courses import COURSE_TREATMENTS, SESSION_STATUSES, Course, CourseSession
from regenaid.clinic.documents import PDF_SIGNATURE, SHA256_HEX, new_document_key, sha256_of
from regenaid.clinic.exosome_lots import (
    OVERRIDE_REASON_MAX,
    OVERRIDE_REASON_MIN,
    ROUTES,
    ExosomeLot,
    LotUse,
    validate_lot,
)
from regenaid.clinic.fhir.elements import Node, json_object, parse_day
from regenaid.clinic.fhir.export import LOT_NATIVE, PREPARATION_NATIVE, RECORD_NATIVE
from regenaid.clinic.fhir.vocabulary import (
    AE_OUTCOMES,
    BASE,
    CONDITION,
    CONSENT_PROCEDURE,
    COURSE_TREATMENT,
    CTCAE_TERM,
    DOCUMENT_TYPE,
    FORMAT_TAG_CODE,
    FORMAT_TAG_SYSTEM,
    HEALTH_QUESTIONNAIRE,
    INTAKE_QUESTIONNAIRE,
    LOT_UNITS_UCUM,
    OUTCOME_METHOD,
    PRODUCT_FORM,
    PRP_COUNT,
    ROUTE,
    SESSION_KIND,
    Ext,
    fhir_codes,
)
from regenaid.clinic.ids import new_id
from regenaid.clinic.outcomes import Measurement, new_measurement, outcome_catalogue
from regenaid.clinic.patients import (
    PROCEDURES,
    AttachedResult,
    Consent,
    ConsentForm,
    HealthAnswers,
    Patient,
    edit_patient,
    new_consent_form,
    record_health,
    text_digest,
)
from regenaid.clinic.photos import Photo
from regenaid.clinic.prp import DerivedPrp, Deviation, PrpPreparation, PrpProtocol, Spin
from regenaid.clinic.treatments import ClinicPrpProtocol, PrpRecord
from regenaid.errors import InvalidInputError
from regenaid.knowledge.base import KnowledgeBase

T = TypeVar("T")

RESOURCE_TYPES = (
    "Patient",
    "Condition",
    "QuestionnaireResponse",
    "DocumentReference",
    "Consent",
    "PlanDefinition",
    "CarePlan",
    "Procedure",
    "Medication",
    "MedicationAdministration",
    "BiologicallyDerivedProduct",
    "Observation",
    "AdverseEvent",
)
"""What a regenaid patient export holds; a Bundle with anything else is refused."""
SESSION_KINDS = ("consultation", "initial", "maintenance")
PHOTO_TYPES = {
    "image/jpeg": ("JPEG", "jpg"),
    "image/png": ("PNG", "png"),
    "image/webp": ("WEBP", "webp"),
}
MAX_HORIZON_MONTHS = 240
NOTE_MAX = 1000
WITHDRAWAL_NOTE_MAX = 500


@dataclass
class ImportPlan:
    """What a Bundle holds, as records of the importing clinic (new ids), ready to write.

    ``paths``: where each clinic-level record (consent text, protocol, lot) came from, for a
    refusal found only when the clinic's own records are looked at. ``files``: document bytes
    to store under their new keys (photos, certificates) before the commit."""

    patient: Patient
    health: list[HealthAnswers] = field(default_factory=list)
    results: list[AttachedResult] = field(default_factory=list)
    forms: list[ConsentForm] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    protocols: list[ClinicPrpProtocol] = field(default_factory=list)
    courses: list[Course] = field(default_factory=list)
    sessions: list[CourseSession] = field(default_factory=list)
    lots: list[ExosomeLot] = field(default_factory=list)
    lot_uses: list[LotUse] = field(default_factory=list)
    prp_records: list[PrpRecord] = field(default_factory=list)
    events: list[AdverseEvent] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    photos: list[Photo] = field(default_factory=list)
    paths: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    resources: int = 0

    def records(self) -> Iterator[Any]:
        """Every record, in an order that writes each before the records naming it."""
        yield self.patient
        yield from self.health
        yield from self.results
        yield from self.forms
        yield from self.consents
        yield from self.protocols
        yield from self.courses
        yield from self.sessions
        yield from self.lots
        yield from self.lot_uses
        yield from self.prp_records
        yield from self.events
        yield from self.measurements
        yield from self.photos


# --- validation with fhir.resources ----------------------------------------------------------


def _label(resource: Any) -> str:
    if isinstance(resource, Mapping):
        kind = resource.get("resourceType")
        rid = resource.get("id")
        if isinstance(kind, str) and isinstance(rid, str):
            return f"({kind}/{rid})"
        if isinstance(kind, str):
            return f"({kind})"
    return ""


def _element(name: str) -> str:
    """A pydantic field name of fhir.resources as the JSON element name."""
    if name == "resource_type":
        return "resourceType"
    if name.endswith("__ext"):
        return "_" + name.removesuffix("__ext")
    return name.removesuffix("__fhir").removesuffix("_fhir")


def _path(loc: Sequence[Any], entries: Sequence[Any], prefix: str = "") -> str:
    """A pydantic error location as a path: ``entry[3].resource(Observation/x).status``."""
    out = prefix
    for index, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        out += ("." if out else "") + _element(str(part))
        if part == "resource" and index == 2 and loc[0] == "entry" and isinstance(loc[1], int):
            position = loc[1]
            if 0 <= position < len(entries) and isinstance(entries[position], Mapping):
                out += _label(entries[position].get("resource"))
    return out or "bundle"


def _first_error(exc: ValidationError, entries: Sequence[Any], prefix: str = "") -> Exception:
    errors = exc.errors()
    first = errors[0]
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    message = " ".join(message.split())
    if len(errors) > 1:
        message += f" ({len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return InvalidInputError(_path(first.get("loc", ()), entries, prefix), message)


def validate_bundle(data: Any) -> list[dict[str, Any]]:
    """The Bundle's resources (normalised by the R4B models) after validating all of it;
    :class:`InvalidInputError` naming the resource and element of the first problem."""
    from fhir.resources.R4B.bundle import Bundle

    if not isinstance(data, Mapping):
        raise InvalidInputError("bundle", "must be a JSON object (a FHIR Bundle)")
    if data.get("resourceType") != "Bundle":
        raise InvalidInputError("resourceType", "must be Bundle")
    entries = data.get("entry")
    if not isinstance(entries, list) or not entries:
        raise InvalidInputError("entry", "a Bundle with the patient's resources is required")
    for index, entry in enumerate(entries):
        where = f"entry[{index}]"
        if not isinstance(entry, Mapping):
            raise InvalidInputError(where, "must be an object")
        resource = entry.get("resource")
        if not isinstance(resource, Mapping):
            raise InvalidInputError(f"{where}.resource", "is required (an object)")
        kind = resource.get("resourceType")
        if kind not in RESOURCE_TYPES:
            raise InvalidInputError(
                f"{where}.resource{_label(resource)}.resourceType",
                f"{kind!r} is not part of a regenaid patient export",
                RESOURCE_TYPES,
            )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = Bundle.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, entries) from None
    except (KeyError, TypeError, ValueError) as exc:  # fhir.resources' own, not pydantic's
        raise InvalidInputError("bundle", f"is not a valid FHIR Bundle ({exc})") from None
    except RecursionError:
        raise InvalidInputError("bundle", "is nested too deeply") from None
    dumped = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    tags = (dumped.get("meta") or {}).get("tag") or []
    if not any(
        t.get("system") == FORMAT_TAG_SYSTEM and t.get("code") == FORMAT_TAG_CODE for t in tags
    ):
        raise InvalidInputError(
            "meta.tag",
            f"is not a regenaid patient export (tag {FORMAT_TAG_SYSTEM}|{FORMAT_TAG_CODE})",
        )
    return [entry["resource"] for entry in dumped["entry"]]


@cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def adapt(kind: Any, data: Any, where: str) -> Any:
    """``data`` as ``kind`` (pydantic, like the store), errors named under ``where``."""
    try:
        return _adapter(kind).validate_python(data)
    except ValidationError as exc:
        raise _first_error(exc, (), where) from None


def _only(data: Mapping[str, Any], allowed: set[str] | frozenset[str], where: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InvalidInputError(f"{where}.{unknown[0]}", "is not a field regenaid knows here")


def _renamed(exc: InvalidInputError, places: Mapping[str, str], default: str) -> Exception:
    """A rule's refusal (field of a record) as a refusal naming the FHIR element."""
    name = exc.field
    base = name.split("[")[0].split(".")[0]
    where = places.get(name) or places.get(base)
    if where is None:
        where = f"{default}.{name}"
    return InvalidInputError(where, exc.message, exc.allowed)


def _checked(work: Callable[[], T], places: Mapping[str, str], default: str) -> T:
    try:
        return work()
    except InvalidInputError as exc:
        raise _renamed(exc, places, default) from None


# --- the reader ------------------------------------------------------------------------------


class _Reader:
    def __init__(
        self, resources: list[dict[str, Any]], clinic_id: str, now: datetime, kb: KnowledgeBase
    ) -> None:
        self.clinic_id = clinic_id
        self.now = now
        self.kb = kb
        self.nodes: dict[str, Node] = {}
        self.by_type: dict[str, list[Node]] = {}
        for index, resource in enumerate(resources):
            kind = resource["resourceType"]
            node = Node(resource, f"entry[{index}].resource{_label(resource)}")
            if "id" not in resource:
                raise node.fail("id", "is required (references name resources by id)")
            key = f"{kind}/{resource['id']}"
            if key in self.nodes:
                raise node.fail("id", f"{key} is in the Bundle twice")
            self.nodes[key] = node
            self.by_type.setdefault(kind, []).append(node)
        self.ids: dict[str, str] = {}  # "Type/id" (and CarePlan activity keys) -> new id

    def new(self, key: str) -> str:
        self.ids[key] = new_id()
        return self.ids[key]

    def target(self, node: Node, name: str, *kinds: str) -> str:
        """The key ("Type/id") of the Bundle resource the reference ``name`` names."""
        return self.key_of(node.child(name), *kinds)

    def key_of(self, reference: Node, *kinds: str) -> str:
        """The key ("Type/id") of the Bundle resource a Reference names."""
        text = reference.text("reference").removeprefix(BASE + "/")
        kind, _, rid = text.partition("/")
        if kind not in kinds or not rid or "/" in rid:
            raise reference.fail("reference", f"must name a {' or '.join(kinds)} of the Bundle")
        if text not in self.nodes:
            raise reference.fail("reference", f"{text} is not in the Bundle")
        return text

    def same_patient(self, node: Node, name: str) -> None:
        if self.target(node, name, "Patient") != self.patient_key:
            raise node.child(name).fail("reference", "is not the Bundle's patient")

    def recorded_at(self, node: Node) -> datetime:
        return node.required_ext(Ext.RECORDED_AT).moment("valueDateTime")

    def recorded_by(self, node: Node) -> str:
        return node.required_ext(Ext.RECORDED_BY).staff_id("valueReference")

    # --- patient --------------------------------------------------------------------------

    def patient(self) -> Patient:
        found = self.by_type.get("Patient", [])
        if len(found) != 1:
            raise InvalidInputError(
                "entry", f"must hold exactly one Patient (it holds {len(found)})"
            )
        node = found[0]
        self.patient_key = f"Patient/{node.data['id']}"
        name = node.first("name")
        given = name.data.get("given") or []
        if not given or not all(isinstance(g, str) and g.strip() for g in given):
            raise name.fail("given", "is required (text)")
        phones = [t for t in node.children("telecom") if t.data.get("system") == "phone"]
        emails = [t for t in node.children("telecom") if t.data.get("system") == "email"]
        if len(phones) > 1 or len(emails) > 1:
            raise node.fail("telecom", "at most one phone and one email")
        gender = node.text("gender")
        record = Patient(
            id=self.new(self.patient_key),
            clinic_id=self.clinic_id,
            given_name=" ".join(given),
            family_name=name.text("family"),
            birth_date=node.day("birthDate"),
            sex=gender,  # type: ignore[arg-type]  # checked by edit_patient
            phone=phones[0].text("value") if phones else None,
            email=emails[0].text("value") if emails else None,
            created_at=self.recorded_at(node),
            created_by=self.recorded_by(node),
        )
        places = {
            "given_name": name.at("given"),
            "family_name": name.at("family"),
            "birth_date": node.at("birthDate"),
            "sex": node.at("gender"),
            "phone": node.at("telecom"),
            "email": node.at("telecom"),
        }
        return _checked(lambda: edit_patient(record, {}, self.now), places, node.path)

    # --- answers --------------------------------------------------------------------------

    def questionnaires(self, plan: ImportPlan) -> None:
        for node in self.by_type.get("QuestionnaireResponse", []):
            questionnaire = node.text("questionnaire")
            self.same_patient(node, "subject")
            key = f"QuestionnaireResponse/{node.data['id']}"
            if questionnaire == HEALTH_QUESTIONNAIRE:
                plan.health.append(self.health(node, key))
            elif questionnaire == INTAKE_QUESTIONNAIRE:
                plan.results.append(self.result(node, key))
            else:
                raise node.fail(
                    "questionnaire",
                    "is not a questionnaire of regenaid",
                    [HEALTH_QUESTIONNAIRE, INTAKE_QUESTIONNAIRE],
                )

    def health(self, node: Node, key: str) -> HealthAnswers:
        flags: dict[str, object] = {}
        places: dict[str, str] = {}
        for item in node.children("item"):
            flag = item.text("linkId")
            answer = item.first("answer")
            flags[flag] = answer.boolean("valueBoolean")
            places[f"health.{flag}"] = item.at("linkId")
        answers = _checked(
            lambda: record_health(
                clinic_id=self.clinic_id,
                patient_id=self.ids[self.patient_key],
                flags=flags,
                recorded_by=node.staff_id("author"),
                now=node.moment("authored"),
            ),
            places,
            node.path,
        )
        answers = replace(answers, id=self.new(key))
        return answers

    def result(self, node: Node, key: str) -> AttachedResult:
        intake, at_intake = node.ext_json(Ext.INTAKE)
        assessment, at_assessment = node.ext_json(Ext.ASSESSMENT)
        choice_ext = node.ext(Ext.CHOICE)
        choice = None
        if choice_ext is not None:
            choice, at_choice = node.ext_json(Ext.CHOICE)
            choice = json_object(choice, at_choice)
        return AttachedResult(
            id=self.new(key),
            clinic_id=self.clinic_id,
            patient_id=self.ids[self.patient_key],
            intake=json_object(intake, at_intake),
            assessment=json_object(assessment, at_assessment),
            choice=choice,
            saved_at=node.moment("authored"),
            attached_at=self.recorded_at(node),
            attached_by=self.recorded_by(node),
        )

    # --- consent --------------------------------------------------------------------------

    def documents(self) -> tuple[list[Node], list[Node]]:
        forms: list[Node] = []
        photos: list[Node] = []
        for node in self.by_type.get("DocumentReference", []):
            kind, where = node.coding_code("type", DOCUMENT_TYPE)
            if kind == "consent-form":
                forms.append(node)
            elif kind == "clinical-photo":
                photos.append(node)
            else:
                raise InvalidInputError(
                    where, f"unknown document type {kind!r}", ["consent-form", "clinical-photo"]
                )
        return forms, photos

    def form(self, node: Node, plan: ImportPlan) -> ConsentForm:
        attachment = node.first("content").child("attachment")
        text = (
            _decoded(attachment, "data").decode("utf-8", errors="strict")
            if attachment.has("data")
            else None
        )
        if text is None:
            raise attachment.fail("data", "the consent text is required")
        procedure_ext = node.required_ext(Ext.CONSENT_PROCEDURE)
        version_ext = node.required_ext(Ext.FORM_VERSION)
        version = version_ext.integer("valueInteger")
        if version < 1:
            raise version_ext.fail("valueInteger", "must be 1 or more")
        created_at = node.moment("date")
        places = {
            "procedure": procedure_ext.at("valueCode"),
            "title": attachment.at("title"),
            "text": attachment.at("data"),
        }
        form = _checked(
            lambda: new_consent_form(
                clinic_id=self.clinic_id,
                procedure=procedure_ext.text("valueCode"),
                title=attachment.text("title"),
                text=text,
                earlier=(),
                created_by=node.first("author").staff_ref(),
                now=created_at,
            ),
            places,
            node.path,
        )
        if form.text != text:
            raise attachment.fail("data", "the consent text must not start or end with spaces")
        key = f"DocumentReference/{node.data['id']}"
        form = replace(form, id=self.new(key), version=version)
        plan.paths[form.id] = node.path
        return form

    def consent(self, node: Node, forms: Mapping[str, ConsentForm]) -> Consent:
        self.same_patient(node, "patient")
        form_key = self.target(node, "sourceReference", "DocumentReference")
        form = forms.get(form_key)
        if form is None:
            raise node.child("sourceReference").fail("reference", "must name a consent text")
        code, at_code = node.first("category").code_of(CONSENT_PROCEDURE)
        if code not in PROCEDURES:
            raise InvalidInputError(at_code, f"unknown procedure {code!r}", PROCEDURES)
        if code != form.procedure:
            raise InvalidInputError(
                at_code, f"differs from the consent text's procedure ({form.procedure})"
            )
        version_ext = node.required_ext(Ext.FORM_VERSION)
        if version_ext.integer("valueInteger") != form.version:
            raise version_ext.fail(
                "valueInteger", f"differs from the consent text's version ({form.version})"
            )
        digest_ext = node.required_ext(Ext.FORM_SHA256)
        digest = digest_ext.text("valueString")
        if digest != text_digest(form.text):
            raise digest_ext.fail("valueString", "is not the SHA-256 of the consent text it names")
        withdrawn_at = withdrawn_by = note = None
        withdrawal = node.ext(Ext.WITHDRAWAL)
        if withdrawal is not None:
            at = withdrawal.required_ext("at")
            by = withdrawal.required_ext("by")
            withdrawn_at = at.moment("valueDateTime")
            withdrawn_by = by.staff_id("valueReference")
            note_ext = withdrawal.ext("note")
            if note_ext is not None:
                note = note_ext.text("valueString")
                if len(note) > WITHDRAWAL_NOTE_MAX:
                    raise note_ext.fail("valueString", f"at most {WITHDRAWAL_NOTE_MAX} characters")
        status = node.text("status")
        if status != ("inactive" if withdrawal is not None else "active"):
            raise node.fail("status", "must be inactive for a withdrawn consent, else active")
        return Consent(
            id=self.new(f"Consent/{node.data['id']}"),
            clinic_id=self.clinic_id,
            patient_id=self.ids[self.patient_key],
            procedure=code,
            form_id=form.id,
            form_version=form.version,
            form_digest=digest,
            taken_by=self.recorded_by(node),
            taken_at=node.moment("dateTime"),
            withdrawn_at=withdrawn_at,
            withdrawn_by=withdrawn_by,
            withdrawal_note=note,
        )

    # --- courses --------------------------------------------------------------------------

    def condition(self, key: str) -> str:
        node = self.nodes[key]
        self.same_patient(node, "subject")
        code, where = node.coding_code("code", CONDITION)
        if code not in self.kb.conditions:
            raise InvalidInputError(where, f"unknown condition {code!r}", tuple(self.kb.conditions))
        return code

    def protocol(self, node: Node) -> ClinicPrpProtocol:
        limits, where = node.ext_json(Ext.PROTOCOL_LIMITS)
        limits = json_object(limits, where)
        _only(
            limits,
            {"spins", "whole_blood_volume_ml", "final_volume_ml", "concentration_factor"},
            where,
        )
        key = f"PlanDefinition/{node.data['id']}"
        record_id = self.new(key)
        protocol = adapt(
            PrpProtocol, {**limits, "id": record_id, "name": node.text("title")}, where
        )
        status = node.text("status")
        if status not in ("active", "retired"):
            raise node.fail("status", "must be active or retired", ["active", "retired"])
        return ClinicPrpProtocol(
            id=record_id,
            clinic_id=self.clinic_id,
            protocol=protocol,
            created_at=node.moment("date"),
            created_by=self.recorded_by(node),
            retired=status == "retired",
        )

    def course(self, node: Node, results: Mapping[str, str]) -> tuple[Course, list[CourseSession]]:
        self.same_patient(node, "subject")
        key = f"CarePlan/{node.data['id']}"
        addresses = node.children("addresses")
        if len(addresses) != 1:
            raise node.fail("addresses", "must name exactly one Condition (the course's)")
        condition = self.condition(self.key_of(addresses[0], "Condition"))
        treatment_code, where = node.first("category").code_of(COURSE_TREATMENT)
        if treatment_code not in COURSE_TREATMENTS:
            raise InvalidInputError(
                where, f"not a clinic course: {treatment_code!r}", COURSE_TREATMENTS
            )
        horizon_ext = node.required_ext(Ext.HORIZON)
        horizon = horizon_ext.integer("valueInteger")
        if not 1 <= horizon <= MAX_HORIZON_MONTHS:
            raise horizon_ext.fail("valueInteger", f"must be 1 to {MAX_HORIZON_MONTHS} months")
        intake, at_intake = node.ext_json(Ext.COURSE_INTAKE)
        attached = None
        supporting = node.children("supportingInfo")
        if len(supporting) > 1:
            raise node.fail("supportingInfo", "at most one decision-aid result")
        if supporting:
            result_key = self.key_of(supporting[0], "QuestionnaireResponse")
            if result_key not in results:
                raise supporting[0].fail(
                    "reference", "must name a decision-aid result of the Bundle"
                )
            attached = results[result_key]
        course = Course(
            id=self.new(key),
            clinic_id=self.clinic_id,
            patient_id=self.ids[self.patient_key],
            condition=condition,
            treatment=treatment_code,
            start=node.child("period").day("start"),
            horizon_months=horizon,
            protocol_sources=tuple(e.text("valueString") for e in node.exts(Ext.PROTOCOL_SOURCE)),
            intake=json_object(intake, at_intake),
            attached_result_id=attached,
            created_at=node.moment("created"),
            created_by=node.staff_id("author"),
        )
        sessions = [self.session(course, key, activity) for activity in node.children("activity")]
        seen: set[tuple[int, str]] = set()
        for session, activity in zip(sessions, node.children("activity"), strict=True):
            if (session.number, session.kind) in seen:
                raise activity.fail("", f"a second {session.kind} session number {session.number}")
            seen.add((session.number, session.kind))
        return course, sessions

    def session(self, course: Course, course_key: str, activity: Node) -> CourseSession:
        activity_id = activity.text("id")
        key = f"{course_key}#{activity_id}"
        if key in self.ids:
            raise activity.fail("id", "is given twice")
        detail = activity.child("detail")
        kind, at_kind = detail.coding_code("code", SESSION_KIND)
        if kind not in SESSION_KINDS:
            raise InvalidInputError(at_kind, f"unknown session kind {kind!r}", SESSION_KINDS)
        number_ext = activity.required_ext(Ext.SESSION_NUMBER)
        number = number_ext.integer("valueInteger")
        if number < 0:
            raise number_ext.fail("valueInteger", "must not be negative")
        status_ext = activity.required_ext(Ext.SESSION_STATUS)
        status = status_ext.text("valueCode")
        if status not in SESSION_STATUSES:
            raise status_ext.fail("valueCode", f"unknown status {status!r}", SESSION_STATUSES)
        timing = detail.child("scheduledTiming")
        events = timing.data.get("event") or []
        if len(events) != 1:
            raise timing.fail("event", "must hold the one planned day")
        planned = parse_day(events[0], timing.at("event[0]"))
        bounds = timing.child("repeat").child("boundsPeriod")
        earliest, latest = bounds.day("start"), bounds.day("end")
        if not earliest <= planned <= latest:
            raise timing.fail(
                "event", "the planned day must lie in the window (repeat.boundsPeriod)"
            )
        outcomes = activity.children("outcomeReference")
        on = note = recorded_by = None
        recorded_at = None
        if status == "done":
            if len(outcomes) != 1:
                raise activity.fail("outcomeReference", "a done session names its one Procedure")
            procedure_key = self.key_of(outcomes[0], "Procedure")
            procedure = self.nodes[procedure_key]
            if self.key_of(procedure.first("basedOn"), "CarePlan") != course_key:
                raise procedure.fail("basedOn", "must name the CarePlan whose activity it is")
            if procedure_key in self.ids:
                raise outcomes[0].fail("reference", "names a Procedure another activity names")
            self.same_patient(procedure, "subject")
            if procedure.text("status") != "completed":
                raise procedure.fail("status", "must be completed (the session was done)")
            on = procedure.day("performedDateTime")
            where_on = procedure.at("performedDateTime")
            recorded_by = procedure.staff_id("recorder") if procedure.has("recorder") else None
            recorded_at_ext = procedure.ext(Ext.RECORDED_AT)
            recorded_at = recorded_at_ext.moment("valueDateTime") if recorded_at_ext else None
            notes = procedure.children("note")
            note = notes[0].text("text") if notes else None
            where_note = notes[0].at("text") if notes else procedure.path
        else:
            if outcomes:
                raise activity.fail("outcomeReference", f"a {status} session has no Procedure")
            on_ext = activity.ext(Ext.SESSION_ON)
            where_on = activity.path
            on = on_ext.day("valueDate") if on_ext is not None else None
            at_ext = activity.ext(Ext.RECORDED_AT)
            recorded_at = at_ext.moment("valueDateTime") if at_ext is not None else None
            by_ext = activity.ext(Ext.RECORDED_BY)
            recorded_by = by_ext.staff_id("valueReference") if by_ext is not None else None
            progress = activity.children("progress")
            note = progress[0].text("text") if progress else None
            where_note = progress[0].at("text") if progress else activity.path
        if note is not None and (len(note) > NOTE_MAX or note != " ".join(note.split())):
            raise InvalidInputError(
                where_note, f"at most {NOTE_MAX:,} characters, spaces collapsed"
            )
        if status in ("done", "moved") and on is None:
            raise activity.fail("extension", f"a {status} session needs its day")
        if status == "done" and on is not None and on > self.now.date():
            raise InvalidInputError(where_on, "a session cannot have been done in the future")
        session = CourseSession(
            id=self.new(key),
            clinic_id=self.clinic_id,
            course_id=course.id,
            number=number,
            kind=kind,  # type: ignore[arg-type]  # checked above
            planned=planned,
            earliest=earliest,
            latest=latest,
            status=status,  # type: ignore[arg-type]  # checked above
            on=on,
            recorded_by=recorded_by,
            recorded_at=recorded_at,
            note=note,
        )
        if status == "done":
            self.ids[procedure_key] = session.id
        return session

    def session_of(self, node: Node) -> str | None:
        """The new id of the course session a ``course-session`` extension names."""
        found = node.ext(Ext.COURSE_SESSION)
        if found is None:
            return None
        care_plan = found.required_ext("carePlan")
        course_key = self.target(care_plan, "valueReference", "CarePlan")
        activity = found.required_ext("activity")
        key = f"{course_key}#{activity.text('valueString')}"
        if key not in self.ids:
            raise activity.fail("valueString", "is not an activity of that CarePlan")
        return self.ids[key]

    # --- lots -----------------------------------------------------------------------------

    def lot(self, node: Node, plan: ImportPlan) -> ExosomeLot:
        rest, where = node.ext_json(Ext.EXOSOME_LOT)
        rest = json_object(rest, where)
        allowed = {f.name for f in fields(ExosomeLot)} - (LOT_NATIVE - {"coa_file"})
        _only(rest, allowed, where)
        maker = node.child("manufacturer")
        contained = {c.data.get("id"): c for c in node.children("contained")}
        organisation = contained.get(maker.text("reference").removeprefix("#"))
        if organisation is None or organisation.data.get("resourceType") != "Organization":
            raise maker.fail("reference", "must name the contained Organization (the maker)")
        address = organisation.first("address")
        batch = node.child("batch")
        form_code, at_form = node.coding_code("form", PRODUCT_FORM)
        key = f"Medication/{node.data['id']}"
        record_id = self.new(key)
        values = {
            **rest,
            "id": record_id,
            "clinic_id": self.clinic_id,
            "product_name": node.child("code").text("text"),
            "manufacturer": organisation.text("name"),
            "manufacturer_country": address.text("country"),
            "lot_number": batch.text("lotNumber"),
            "expiry_date": batch.day("expirationDate").isoformat(),
            "form": form_code,
            "created_at": self.recorded_at(node),
            "created_by": self.recorded_by(node),
        }
        certificate = node.ext(Ext.CERTIFICATE)
        if rest.get("coa_sha256") is not None:
            values["coa_file"] = new_document_key("pdf")
        elif certificate is not None:
            raise certificate.fail("", "a certificate needs its SHA-256 (coa_sha256)")
        places = {
            "product_name": node.at("code.text"),
            "manufacturer": organisation.at("name"),
            "manufacturer_country": address.at("country"),
            "lot_number": batch.at("lotNumber"),
            "expiry_date": batch.at("expirationDate"),
            "form": at_form,
            "coa_file": certificate.path if certificate is not None else where,
        }
        lot = adapt(ExosomeLot, values, where)
        lot = _checked(lambda: validate_lot(lot), places, where)
        if certificate is not None and certificate.child("valueAttachment").has("data"):
            attachment = certificate.child("valueAttachment")
            content = _decoded(attachment, "data")
            if sha256_of(content) != lot.coa_sha256:
                raise attachment.fail(
                    "data", "does not match the certificate's SHA-256 (coa_sha256)"
                )
            if not content.startswith(PDF_SIGNATURE):
                raise attachment.fail("data", "is not a PDF file")
            assert lot.coa_file is not None
            plan.files[lot.coa_file] = content
        plan.paths[lot.id] = node.path
        return lot

    def lot_use(self, node: Node, lots: Mapping[str, ExosomeLot]) -> LotUse:
        self.same_patient(node, "subject")
        lot_key = self.target(node, "medicationReference", "Medication")
        lot = lots[lot_key]
        dosage = node.child("dosage")
        route, at_route = dosage.coding_code("route", ROUTE)
        if route not in ROUTES:
            raise InvalidInputError(at_route, f"unknown route {route!r}", ROUTES)
        dose = dosage.child("dose")
        try:
            amount = Decimal(str(dose.number("value")))
        except InvalidOperation:
            raise dose.fail("value", "must be a number") from None
        if amount <= 0:
            raise dose.fail("value", "must be more than 0")
        units = {code: unit for unit, code in LOT_UNITS_UCUM.items()}
        unit = units.get(dose.text("code"))
        if unit is None:
            raise dose.fail("code", "is not a lot unit", tuple(units))
        if unit != lot.quantity_unit:
            raise dose.fail("code", f"differs from the lot's unit ({lot.quantity_unit})")
        reason_ext = node.ext(Ext.OVERRIDE_REASON)
        reason = None
        if reason_ext is not None:
            reason = reason_ext.text("valueString")
            if not OVERRIDE_REASON_MIN <= len(reason) <= OVERRIDE_REASON_MAX:
                raise reason_ext.fail(
                    "valueString", f"{OVERRIDE_REASON_MIN} to {OVERRIDE_REASON_MAX:,} characters"
                )
        session_id = None
        parts = node.children("partOf")
        if len(parts) > 1:
            raise node.fail("partOf", "at most one session")
        if parts:
            session_id = self.ids.get(self.key_of(parts[0], "Procedure"))
            if session_id is None:
                raise parts[0].fail("reference", "must name a done session's Procedure")
        return LotUse(
            id=self.new(f"MedicationAdministration/{node.data['id']}"),
            clinic_id=self.clinic_id,
            lot_id=lot.id,
            used_on=node.day("effectiveDateTime"),
            route=route,  # type: ignore[arg-type]  # checked above
            quantity=amount,
            unit=unit,
            override=reason is not None,
            override_reason=reason,
            patient_id=self.ids[self.patient_key],
            session_id=session_id,
        )

    # --- PRP ------------------------------------------------------------------------------

    def counts(self) -> tuple[dict[str, dict[str, tuple[float, Node]]], list[Node]]:
        """Observations of PRP counts (by product key, then field), and the others."""
        codes = fhir_codes()
        counts: dict[str, dict[str, tuple[float, Node]]] = {}
        others: list[Node] = []
        for node in self.by_type.get("Observation", []):
            coded = node.child("code")
            local = [c for c in coded.children("coding") if c.data.get("system") == PRP_COUNT]
            if not local:
                others.append(node)
                continue
            count = codes.count_by_local(local[0].text("code"))
            if count is None:
                raise local[0].fail(
                    "code", "unknown PRP count", [c.local for c in codes.prp_counts.values()]
                )
            self.same_patient(node, "subject")
            focus = node.children("focus")
            if len(focus) != 1:
                raise node.fail("focus", "must name the one preparation counted")
            product = self.key_of(focus[0], "BiologicallyDerivedProduct")
            quantity = node.child("valueQuantity")
            if quantity.text("code") != count.unit:
                raise quantity.fail("code", f"must be {count.unit} (UCUM)")
            mine = counts.setdefault(product, {})
            if count.field in mine:
                raise node.fail("code", f"a second {count.display!r} for the same preparation")
            mine[count.field] = (quantity.number("value"), quantity)
        return counts, others

    def prp(
        self, node: Node, counts: Mapping[str, tuple[float, Node]], protocols: Mapping[str, str]
    ) -> PrpRecord:
        key = f"BiologicallyDerivedProduct/{node.data['id']}"
        collection = node.child("collection")
        self.same_patient(collection, "source")
        session_id = self.session_of(node)
        if session_id is None:
            raise node.fail("extension", f"the extension {Ext.COURSE_SESSION} is required")
        protocol_id = None
        protocol_ext = node.ext(Ext.PRP_PROTOCOL)
        if protocol_ext is not None:
            protocol_key = self.target(protocol_ext, "valueReference", "PlanDefinition")
            protocol_id = protocols[protocol_key]
        rest, where = node.ext_json(Ext.PRP_PREPARATION)
        rest = json_object(rest, where)
        count_names = set(fhir_codes().prp_counts)
        _only(
            rest, {f.name for f in fields(PrpPreparation)} - PREPARATION_NATIVE - count_names, where
        )
        for name in ("ready_at", "injected_at"):
            if rest.get(name) is not None:
                rest[name] = Node(rest, where).moment(name)
        places: dict[str, str] = {
            "drawn_at": collection.at("collectedDateTime"),
            "spins": node.at("processing"),
        }
        spins = []
        for index, step in enumerate(node.children("processing")):
            spin, spin_places = _spin(step)
            spins.append(spin)
            places.update((f"spins[{index}].{k}", v) for k, v in spin_places.items())
        values = dict(rest)
        for name, (value, quantity) in counts.items():
            values[name] = value
            places[name] = quantity.at("value")
        record_id = self.new(key)
        preparation = _checked(
            lambda: PrpPreparation(
                id=record_id,
                session_id=session_id,
                protocol_id=protocol_id,
                drawn_at=collection.moment("collectedDateTime"),
                spins=tuple(spins),
                **values,
            ),
            places,
            where,
        )
        stored, at_stored = node.ext_json(Ext.PRP_RECORD)
        stored = json_object(stored, at_stored)
        wanted = {f.name for f in fields(PrpRecord)} - RECORD_NATIVE
        _only(stored, wanted, at_stored)
        missing = sorted(wanted - set(stored))
        if missing:
            raise InvalidInputError(f"{at_stored}.{missing[0]}", "is required")
        return PrpRecord(
            id=record_id,
            clinic_id=self.clinic_id,
            session_id=session_id,
            patient_id=self.ids[self.patient_key],
            preparation=preparation,
            derived=adapt(DerivedPrp, stored["derived"], f"{at_stored}.derived"),
            formula_version=_short(stored, "formula_version", 120, at_stored),
            concentration_factor=adapt(
                float | None, stored["concentration_factor"], f"{at_stored}.concentration_factor"
            ),
            paw_code=_short(stored, "paw_code", 40, at_stored),
            depa_code=_short(stored, "depa_code", 40, at_stored),
            protocol_id=protocol_id,
            deviations=adapt(
                tuple[Deviation, ...], stored["deviations"], f"{at_stored}.deviations"
            ),
            deviation_note=(
                None
                if stored["deviation_note"] is None
                else _short(stored, "deviation_note", NOTE_MAX, at_stored)
            ),
            recorded_at=self.recorded_at(node),
            recorded_by=self.recorded_by(node),
        )

    # --- adverse events -------------------------------------------------------------------

    def event(
        self, node: Node, prp: Mapping[str, str], lots: Mapping[str, ExosomeLot]
    ) -> AdverseEvent:
        self.same_patient(node, "subject")
        term_id, at_term = node.coding_code("event", CTCAE_TERM)
        outcome_code, at_outcome = node.coding_code(
            "outcome", fhir_codes().system("adverse_event_outcome")
        )
        outcomes = {fhir: ours for ours, fhir in AE_OUTCOMES.items()}
        if outcome_code not in outcomes:
            raise InvalidInputError(
                at_outcome, f"unknown outcome {outcome_code!r}", tuple(outcomes)
            )
        grade = node.required_ext(Ext.GRADE)
        lot_id = None
        suspects = node.children("suspectEntity")
        if len(suspects) > 1:
            raise node.fail("suspectEntity", "at most one exosome lot")
        if suspects:
            lot_id = lots[self.target(suspects[0], "instance", "Medication")].id
        prp_ext = node.ext(Ext.SUSPECT_PRP)
        prp_id = (
            prp[self.target(prp_ext, "valueReference", "BiologicallyDerivedProduct")]
            if prp_ext
            else None
        )
        detail = node.ext(Ext.TERM_DETAIL)
        resolved = node.ext(Ext.RESOLVED_ON)
        description = node.ext(Ext.DESCRIPTION)
        seriousness = node.exts(Ext.SERIOUSNESS)
        actions = node.exts(Ext.ACTION_TAKEN)
        event = AdverseEvent(
            id=self.new(f"AdverseEvent/{node.data['id']}"),
            clinic_id=self.clinic_id,
            patient_id=self.ids[self.patient_key],
            term_id=term_id,
            grade=grade.integer("valueInteger"),
            onset=node.moment("date"),
            outcome=outcomes[outcome_code],  # type: ignore[arg-type]  # checked above
            recorded_at=node.moment("recordedDate"),
            recorded_by=node.staff_id("recorder"),
            session_id=self.session_of(node),
            product_lot_id=lot_id,
            prp_preparation_id=prp_id,
            term_detail=detail.text("valueString") if detail else None,
            seriousness=tuple(s.text("valueCode") for s in seriousness),  # type: ignore[misc]
            actions_taken=tuple(a.text("valueCode") for a in actions),  # type: ignore[misc]
            resolved_on=resolved.day("valueDate") if resolved else None,
            description=description.text("valueString") if description else None,
        )
        places = {
            "term_id": at_term,
            "grade": grade.at("valueInteger"),
            "outcome": at_outcome,
            "onset": node.at("date"),
            "recorded_at": node.at("recordedDate"),
            "term_detail": detail.at("valueString") if detail else node.at("extension"),
            "seriousness": seriousness[0].at("valueCode") if seriousness else node.at("extension"),
            "actions_taken": actions[0].at("valueCode") if actions else node.at("extension"),
            "resolved_on": resolved.at("valueDate") if resolved else node.at("extension"),
            "description": description.at("valueString") if description else node.at("extension"),
        }
        return _checked(lambda: validate_event(event), places, node.path)

    # --- outcomes -------------------------------------------------------------------------

    def measurement(self, node: Node, courses: Mapping[str, Course]) -> Measurement:
        self.same_patient(node, "subject")
        catalogue = outcome_catalogue()
        codes = {(m.code.system, m.code.code): m.id for m in catalogue.measures.values()}
        coded = node.child("code")
        measure = None
        for item in coded.children("coding"):
            measure = measure or codes.get(
                (str(item.data.get("system")), str(item.data.get("code")))
            )
        if measure is None:
            raise coded.fail(
                "coding",
                "is not an outcome measure regenaid knows (nor a PRP count)",
                sorted(m.code.code for m in catalogue.measures.values()),
            )
        quantity = node.child("valueQuantity")
        method, at_method = node.coding_code("method", OUTCOME_METHOD)
        course = None
        based = node.children("basedOn")
        if len(based) > 1:
            raise node.fail("basedOn", "at most one course")
        if based:
            course = courses[self.key_of(based[0], "CarePlan")]
        marking = node.required_ext(Ext.SITE_MARKING)
        landmark = node.ext(Ext.LANDMARK)
        blinded = node.ext(Ext.RATER_BLINDED)
        notes = node.children("note")
        places = {
            "measure": coded.at("coding"),
            "value": quantity.at("value"),
            "method": at_method,
            "measured_on": node.at("effectiveDateTime"),
            "site": node.at("bodySite.text"),
            "site_marking": marking.at("valueCode"),
            "landmark": landmark.at("valueString") if landmark else node.at("extension"),
            "rater_blinded": blinded.at("valueBoolean") if blinded else node.at("extension"),
            "note": notes[0].at("text") if notes else node.at("note"),
            "course_id": node.at("basedOn"),
        }
        created = _checked(
            lambda: new_measurement(
                clinic_id=self.clinic_id,
                recorded_by=node.first("performer").staff_ref(),
                now=self.now,
                condition=course.condition if course else None,
                patient_id=self.ids[self.patient_key],
                course_id=course.id if course else None,
                measure=measure,
                value=quantity.number("value"),
                method=method,
                site=node.child("bodySite").text("text"),
                site_marking=marking.text("valueCode"),
                measured_on=node.day("effectiveDateTime"),
                landmark=landmark.text("valueString") if landmark else None,
                rater_blinded=blinded.boolean("valueBoolean") if blinded else None,
                note=notes[0].text("text") if notes else None,
            ),
            places,
            node.path,
        )
        if quantity.text("code") != created.unit:
            raise quantity.fail("code", f"must be {created.unit} (UCUM), the measure's unit")
        return replace(
            created,
            id=self.new(f"Observation/{node.data['id']}"),
            recorded_at=node.moment("issued"),
        )

    def photo(self, node: Node, courses: Mapping[str, Course], plan: ImportPlan) -> Photo:
        self.same_patient(node, "subject")
        attachment = node.first("content").child("attachment")
        content_type = attachment.text("contentType")
        if content_type not in PHOTO_TYPES:
            raise attachment.fail("contentType", "JPEG, PNG or WebP only", tuple(PHOTO_TYPES))
        view_ext = node.required_ext(Ext.PHOTO_VIEW)
        view = view_ext.text("valueCode")
        views = outcome_catalogue().views
        course = None
        related = node.child("context").children("related") if node.has("context") else []
        if len(related) > 1:
            raise node.fail("context.related", "at most one course")
        if related:
            course = courses[self.key_of(related[0], "CarePlan")]
        allowed = sorted({v for concern_views in views.values() for v in concern_views})
        if course is not None:
            from regenaid.knowledge.model import CONDITIONS_BY_CONCERN

            concern = next(
                c
                for c, conditions in CONDITIONS_BY_CONCERN.items()
                if course.condition in conditions
            )
            allowed = list(views.get(concern, ()))
        if view not in allowed:
            raise view_ext.fail("valueCode", "not a standard view", allowed)
        sha_ext = node.required_ext(Ext.PHOTO_SHA256)
        sha = sha_ext.text("valueString")
        if not SHA256_HEX.match(sha):
            raise sha_ext.fail("valueString", "must be a SHA-256 as 64 lowercase hex digits")
        width_ext = node.required_ext(Ext.IMAGE_WIDTH)
        height_ext = node.required_ext(Ext.IMAGE_HEIGHT)
        width, height = width_ext.integer("valueInteger"), height_ext.integer("valueInteger")
        size = attachment.integer("size")
        for value, where in (
            (width, width_ext.at("valueInteger")),
            (height, height_ext.at("valueInteger")),
            (size, attachment.at("size")),
        ):
            if value <= 0:
                raise InvalidInputError(where, "must be more than 0")
        taken_on = attachment.day("creation")
        if taken_on > self.now.date():
            raise attachment.fail("creation", "is in the future")
        note = node.optional_text("description")
        if note is not None and (len(note) > 500 or note != note.strip()):
            raise node.fail("description", "at most 500 characters, no surrounding spaces")
        fmt, extension = PHOTO_TYPES[content_type]
        photo = Photo(
            id=self.new(f"DocumentReference/{node.data['id']}"),
            clinic_id=self.clinic_id,
            patient_id=self.ids[self.patient_key],
            view=view,
            taken_on=taken_on,
            file_key=new_document_key(extension),
            sha256=sha,
            content_type=content_type,
            width=width,
            height=height,
            byte_size=size,
            marketing_consent=node.required_ext(Ext.MARKETING).boolean("valueBoolean"),
            recorded_at=node.moment("date"),
            recorded_by=node.first("author").staff_ref(),
            course_id=course.id if course else None,
            note=note,
        )
        if attachment.has("data"):
            content = _decoded(attachment, "data")
            if len(content) != size or sha256_of(content) != sha:
                raise attachment.fail("data", "does not match the photo's size and SHA-256")
            _check_image(content, fmt, (width, height), attachment.at("data"))
            plan.files[photo.file_key] = content
        return photo


def _short(data: Mapping[str, Any], name: str, limit: int, where: str) -> str:
    value = data[name]
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidInputError(f"{where}.{name}", f"must be text of at most {limit} characters")
    return value


def _spin(step: Node) -> tuple[Spin, dict[str, str]]:
    """One processing step's spin, and where each of its values is."""
    found = step.required_ext(Ext.PRP_SPIN)
    values: dict[str, Any] = {}
    places: dict[str, str] = {}
    for part in ("rpm", "rcf-g", "minutes", "temperature-c"):
        item = found.ext(part)
        if item is not None:
            name = part.replace("-", "_")
            values[name] = item.number("valueDecimal")
            places[name] = item.at("valueDecimal")
    brake = found.required_ext("brake")
    values["brake"] = brake.text("valueCode")
    places["brake"] = brake.at("valueCode")
    return _checked(lambda: Spin(**values), places, found.path), places


def _decoded(node: Node, name: str) -> bytes:
    text = node.text(name)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise node.fail(name, "is not base64") from None


def _check_image(content: bytes, fmt: str, size: tuple[int, int], where: str) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            found = (image.format, image.size)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombWarning):
        raise InvalidInputError(where, "is not a readable image") from None
    if found != (fmt, size):
        raise InvalidInputError(where, f"is not a {fmt} image of {size[0]}x{size[1]} pixels")


def read_bundle(data: Any, *, clinic_id: str, now: datetime, kb: KnowledgeBase) -> ImportPlan:
    """The records a patient's Bundle holds, as new records of clinic ``clinic_id``;
    :class:`InvalidInputError` naming the resource and element of the first problem."""
    resources = validate_bundle(data)
    reader = _Reader(resources, clinic_id, now, kb)
    plan = ImportPlan(patient=reader.patient(), resources=len(resources))
    reader.questionnaires(plan)
    results = {
        key: new for key, new in reader.ids.items() if key.startswith("QuestionnaireResponse/")
    }
    form_nodes, photo_nodes = reader.documents()
    forms: dict[str, ConsentForm] = {}
    for node in form_nodes:
        form = reader.form(node, plan)
        forms[f"DocumentReference/{node.data['id']}"] = form
        plan.forms.append(form)
    plan.consents = [reader.consent(node, forms) for node in reader.by_type.get("Consent", [])]
    protocols: dict[str, str] = {}
    for node in reader.by_type.get("PlanDefinition", []):
        saved = reader.protocol(node)
        protocols[f"PlanDefinition/{node.data['id']}"] = saved.id
        plan.protocols.append(saved)
        plan.paths[saved.id] = node.path
    courses: dict[str, Course] = {}
    for node in reader.by_type.get("CarePlan", []):
        course, sessions = reader.course(node, results)
        courses[f"CarePlan/{node.data['id']}"] = course
        plan.courses.append(course)
        plan.sessions += sessions
    for node in reader.by_type.get("Procedure", []):
        if f"Procedure/{node.data['id']}" not in reader.ids:
            raise node.fail("basedOn", "is not the outcome of an activity of its CarePlan")
    lots: dict[str, ExosomeLot] = {}
    for node in reader.by_type.get("Medication", []):
        lot = reader.lot(node, plan)
        lots[f"Medication/{node.data['id']}"] = lot
        plan.lots.append(lot)
    plan.lot_uses = [
        reader.lot_use(n, lots) for n in reader.by_type.get("MedicationAdministration", [])
    ]
    counts, others = reader.counts()
    prp: dict[str, str] = {}
    for node in reader.by_type.get("BiologicallyDerivedProduct", []):
        key = f"BiologicallyDerivedProduct/{node.data['id']}"
        record = reader.prp(node, counts.pop(key, {}), protocols)
        prp[key] = record.id
        plan.prp_records.append(record)
    sessions_with_prp: set[str] = set()
    for record in plan.prp_records:
        if record.session_id in sessions_with_prp:
            raise InvalidInputError(
                plan.paths.get(record.id, "entry"), "a second PRP preparation for one session"
            )
        sessions_with_prp.add(record.session_id)
    plan.events = [reader.event(n, prp, lots) for n in reader.by_type.get("AdverseEvent", [])]
    plan.measurements = [reader.measurement(n, courses) for n in others]
    plan.photos = [reader.photo(n, courses, plan) for n in photo_nodes]
    for node in reader.by_type.get("Condition", []):
        reader.condition(f"Condition/{node.data['id']}")
    return plan
