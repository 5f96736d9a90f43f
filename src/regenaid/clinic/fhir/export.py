"""A patient's records as FHIR R4 resources (JSON objects that validate against the R4B
models of ``fhir.resources``).

Pure: :class:`PatientRecords` holds what the clinic stores for one patient (read by
``regenaid.clinic.fhir_services``); :func:`patient_resources` maps it, record by record, to
resources; :func:`bundle` wraps them. Every field of every record has exactly one place: a
FHIR element where FHIR has one, else a regenaid extension (``docs/clinic-fhir.md`` has the
table). Resources come in a fixed order, records sorted by what they hold (the id only breaks
ties), so two exports of equal records are equal but for ids.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from pydantic import TypeAdapter

from regenaid.clinic.adverse_events import AdverseEvent, ctcae_term
from regenaid.clinic.courses import Course, CourseSession
from regenaid.clinic.documents import is_document_key
from regenaid.clinic.exosome_lots import ExosomeLot, LotUse
from regenaid.clinic.fhir.elements import (
    JsonObject,
    add_extensions,
    coding,
    concept,
    extension,
    fhir_id,
    instant,
    json_text,
    optional,
    ref,
    staff,
)
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
    PLAN_TYPE,
    PROCESSING_STEP,
    PRODUCT,
    PRODUCT_FORM,
    ROUTE,
    SESSION_KIND,
    Ext,
    fhir_codes,
)
from regenaid.clinic.outcomes import Measurement, outcome_catalogue, unit_text
from regenaid.clinic.patients import AttachedResult, Consent, ConsentForm, HealthAnswers, Patient
from regenaid.clinic.photos import Photo
from regenaid.clinic.prp import PrpPreparation, PrpProtocol, Spin
from regenaid.clinic.treatments import ClinicPrpProtocol, PrpRecord
from regenaid.knowledge import load_knowledge
from regenaid.plan import add_months

UCUM = "http://unitsofmeasure.org"
PREPARATION_NATIVE = frozenset({"id", "session_id", "protocol_id", "drawn_at", "spins"})
"""PrpPreparation fields carried by FHIR elements (the counts too: see :func:`count_fields`)."""
RECORD_NATIVE = frozenset(
    {"id", "clinic_id", "session_id", "patient_id", "preparation", "protocol_id"}
    | {"recorded_at", "recorded_by"}
)
LOT_NATIVE = frozenset(
    {"id", "clinic_id", "product_name", "manufacturer", "manufacturer_country", "lot_number"}
    | {"expiry_date", "form", "created_at", "created_by", "coa_file"}
)


@dataclass(frozen=True, slots=True)
class PatientRecords:
    """Everything the clinic stores for one patient, and the clinic's records they name
    (consent texts, PRP protocols, exosome lots). ``files``: document bytes by storage key
    (photos, certificates) when the export includes them."""

    patient: Patient
    health: Sequence[HealthAnswers] = ()
    results: Sequence[AttachedResult] = ()
    forms: Sequence[ConsentForm] = ()
    consents: Sequence[Consent] = ()
    courses: Sequence[Course] = ()
    sessions: Mapping[str, Sequence[CourseSession]] = field(default_factory=dict)
    prp_records: Sequence[PrpRecord] = ()
    protocols: Sequence[ClinicPrpProtocol] = ()
    lots: Sequence[ExosomeLot] = ()
    lot_uses: Sequence[LotUse] = ()
    events: Sequence[AdverseEvent] = ()
    measurements: Sequence[Measurement] = ()
    photos: Sequence[Photo] = ()
    files: Mapping[str, bytes] = field(default_factory=dict)


@cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def record_json(kind: Any, record: Any, leave_out: Iterable[str]) -> dict[str, Any]:
    """The record's fields as the store's JSON form (``TypeAdapter``), less ``leave_out``."""
    data: dict[str, Any] = _adapter(kind).dump_python(record, mode="json")
    for name in leave_out:
        data.pop(name, None)
    return data


def count_fields() -> tuple[str, ...]:
    return tuple(fhir_codes().prp_counts)


def _recorded(at: datetime, by: str) -> list[JsonObject | None]:
    return [extension(Ext.RECORDED_AT, "DateTime", instant(at)), recorded_by(by)]


def recorded_by(staff_id: str | None) -> JsonObject | None:
    return None if staff_id is None else extension(Ext.RECORDED_BY, "Reference", staff(staff_id))


def _attachment(content_type: str, content: bytes | None, **more: Any) -> JsonObject:
    out: JsonObject = {"contentType": content_type, **{k: v for k, v in more.items() if v}}
    if content is not None:
        out["data"] = base64.b64encode(content).decode("ascii")
    return out


# --- patient and answers ---------------------------------------------------------------------


def patient_resource(patient: Patient) -> JsonObject:
    telecom = [
        {"system": system, "value": value}
        for system, value in (("phone", patient.phone), ("email", patient.email))
        if value
    ]
    out: JsonObject = {
        "resourceType": "Patient",
        "id": fhir_id(patient.id),
        "name": [{"use": "official", "family": patient.family_name, "given": [patient.given_name]}],
        "gender": patient.sex,
        "birthDate": patient.birth_date.isoformat(),
    }
    if telecom:
        out["telecom"] = telecom
    add_extensions(out, _recorded(patient.created_at, patient.created_by))
    return out


def condition_resource(patient: Patient, condition: str) -> JsonObject:
    known = load_knowledge().conditions.get(condition)
    codes = fhir_codes().conditions.get(condition)
    label = known.name if known is not None else condition
    codings = codes.codings(patient.sex) if codes is not None else []
    codings.append(coding(CONDITION, condition, label))
    return {
        "resourceType": "Condition",
        "id": condition_id(patient.id, condition),
        "code": {"coding": codings, "text": label},
        "subject": ref("Patient", patient.id),
    }


def condition_id(patient_id: str, condition: str) -> str:
    return fhir_id(patient_id, "condition", condition.replace("_", "-"))


def health_resource(answers: HealthAnswers) -> JsonObject:
    return {
        "resourceType": "QuestionnaireResponse",
        "id": fhir_id(answers.id),
        "questionnaire": HEALTH_QUESTIONNAIRE,
        "status": "completed",
        "subject": ref("Patient", answers.patient_id),
        "authored": instant(answers.recorded_at),
        "author": staff(answers.recorded_by),
        "item": [
            {"linkId": flag, "answer": [{"valueBoolean": bool(value)}]}
            for flag, value in sorted(answers.flags.items())
        ],
    }


def _answer(value: Any) -> JsonObject | None:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        return {"valueDecimal": value}
    if isinstance(value, str) and value.strip():
        return {"valueString": value}
    return None


def intake_items(answers: Mapping[str, Any], prefix: str = "") -> list[JsonObject]:
    """The decision-aid answers as QuestionnaireResponse items, for a reader (nested
    answers nest; lists are repeated answers). Not what an import reads: the exact answers
    are in the ``decision-aid-intake`` extension."""
    items: list[JsonObject] = []
    for key, value in sorted(answers.items()):
        link = f"{prefix}{key}"
        item: JsonObject = {"linkId": link}
        if isinstance(value, Mapping):
            nested = intake_items(value, f"{link}.")
            if nested:
                item["item"] = nested
        else:
            values = value if isinstance(value, list | tuple) else [value]
            found = [a for a in map(_answer, values) if a is not None]
            if found:
                item["answer"] = found
        if len(item) > 1:
            items.append(item)
    return items


def result_resource(result: AttachedResult) -> JsonObject:
    out: JsonObject = {
        "resourceType": "QuestionnaireResponse",
        "id": fhir_id(result.id),
        "questionnaire": INTAKE_QUESTIONNAIRE,
        "status": "completed",
        "subject": ref("Patient", result.patient_id),
        "source": ref("Patient", result.patient_id),
        "authored": instant(result.saved_at),
    }
    items = intake_items(result.intake)
    if items:
        out["item"] = items
    add_extensions(
        out,
        [
            extension(Ext.INTAKE, "String", json_text(result.intake)),
            extension(Ext.ASSESSMENT, "String", json_text(result.assessment)),
            None
            if result.choice is None
            else extension(Ext.CHOICE, "String", json_text(result.choice)),
            *_recorded(result.attached_at, result.attached_by),
        ],
    )
    return out


# --- consent ---------------------------------------------------------------------------------


def form_resource(form: ConsentForm) -> JsonObject:
    out: JsonObject = {
        "resourceType": "DocumentReference",
        "id": fhir_id(form.id),
        "status": "current",
        "docStatus": "final",
        "type": concept(DOCUMENT_TYPE, "consent-form", "Consent form"),
        "date": instant(form.created_at),
        "author": [staff(form.created_by)],
        "description": form.title,
        "content": [
            {
                "attachment": _attachment(
                    "text/plain;charset=utf-8",
                    form.text.encode("utf-8"),
                    title=form.title,
                    creation=instant(form.created_at),
                )
            }
        ],
    }
    add_extensions(
        out,
        [
            extension(Ext.CONSENT_PROCEDURE, "Code", form.procedure),
            extension(Ext.FORM_VERSION, "Integer", form.version),
        ],
    )
    return out


def consent_resource(consent: Consent) -> JsonObject:
    scope = "patient-privacy" if consent.procedure == "records" else "treatment"
    out: JsonObject = {
        "resourceType": "Consent",
        "id": fhir_id(consent.id),
        "status": "active" if consent.active else "inactive",
        "scope": concept(fhir_codes().system("consent_scope"), scope),
        "category": [concept(CONSENT_PROCEDURE, consent.procedure)],
        "patient": ref("Patient", consent.patient_id),
        "dateTime": instant(consent.taken_at),
        "performer": [ref("Patient", consent.patient_id)],
        "sourceReference": ref("DocumentReference", consent.form_id),
        "policyRule": {"text": "The clinic's consent text named in sourceReference"},
    }
    withdrawal = None
    if consent.withdrawn_at is not None:
        parts = [
            extension("at", "DateTime", instant(consent.withdrawn_at)),
            None
            if consent.withdrawn_by is None
            else extension("by", "Reference", staff(consent.withdrawn_by)),
            optional("note", "String", consent.withdrawal_note),
        ]
        withdrawal = {"url": Ext.WITHDRAWAL, "extension": [p for p in parts if p is not None]}
    add_extensions(
        out,
        [
            extension(Ext.FORM_VERSION, "Integer", consent.form_version),
            extension(Ext.FORM_SHA256, "String", consent.form_digest),
            recorded_by(consent.taken_by),
            withdrawal,
        ],
    )
    return out


# --- courses and sessions --------------------------------------------------------------------


def _session_ref(session: CourseSession) -> JsonObject:
    """A course session wherever it is named: its course's CarePlan and activity id."""
    return {
        "url": Ext.COURSE_SESSION,
        "extension": [
            extension("carePlan", "Reference", ref("CarePlan", session.course_id)),
            extension("activity", "String", fhir_id(session.id)),
        ],
    }


_ACTIVITY_STATUS = {
    "planned": "scheduled",
    "moved": "scheduled",
    "done": "completed",
    "missed": "cancelled",
}


def _activity(session: CourseSession) -> JsonObject:
    detail: JsonObject = {
        "code": concept(SESSION_KIND, session.kind),
        "status": _ACTIVITY_STATUS[session.status],
        "scheduledTiming": {
            "event": [session.planned.isoformat()],
            "repeat": {
                "boundsPeriod": {
                    "start": session.earliest.isoformat(),
                    "end": session.latest.isoformat(),
                }
            },
        },
    }
    out: JsonObject = {"id": fhir_id(session.id), "detail": detail}
    extensions: list[JsonObject | None] = [
        extension(Ext.SESSION_NUMBER, "Integer", session.number),
        extension(Ext.SESSION_STATUS, "Code", session.status),
    ]
    if session.status == "done":  # what happened is on the Procedure
        out["outcomeReference"] = [ref("Procedure", session.id)]
    else:
        extensions += [
            optional(Ext.SESSION_ON, "Date", session.on.isoformat() if session.on else None),
            None
            if session.recorded_at is None
            else extension(Ext.RECORDED_AT, "DateTime", instant(session.recorded_at)),
            recorded_by(session.recorded_by),
        ]
        if session.note:
            out["progress"] = [{"text": session.note}]
    add_extensions(out, extensions)
    return out


def course_resource(course: Course, sessions: Sequence[CourseSession]) -> JsonObject:
    end = add_months(course.start, course.horizon_months)
    open_ = any(s.status in ("planned", "moved") for s in sessions)
    out: JsonObject = {
        "resourceType": "CarePlan",
        "id": fhir_id(course.id),
        "status": "active" if open_ else "completed",
        "intent": "plan",
        "category": [concept(COURSE_TREATMENT, course.treatment)],
        "subject": ref("Patient", course.patient_id),
        "period": {"start": course.start.isoformat(), "end": end.isoformat()},
        "created": instant(course.created_at),
        "author": staff(course.created_by),
        "addresses": [
            {"reference": f"Condition/{condition_id(course.patient_id, course.condition)}"}
        ],
    }
    if course.attached_result_id is not None:
        out["supportingInfo"] = [ref("QuestionnaireResponse", course.attached_result_id)]
    if sessions:
        out["activity"] = [_activity(s) for s in sessions]
    add_extensions(
        out,
        [
            extension(Ext.HORIZON, "Integer", course.horizon_months),
            *(extension(Ext.PROTOCOL_SOURCE, "String", s) for s in course.protocol_sources),
            extension(Ext.COURSE_INTAKE, "String", json_text(course.intake)),
        ],
    )
    return out


def procedure_resource(course: Course, session: CourseSession) -> JsonObject:
    """A done session: what was done, on which day, by whom."""
    assert session.on is not None
    out: JsonObject = {
        "resourceType": "Procedure",
        "id": fhir_id(session.id),
        "basedOn": [ref("CarePlan", course.id)],
        "status": "completed",
        "code": concept(COURSE_TREATMENT, course.treatment, text=f"{course.treatment} session"),
        "subject": ref("Patient", course.patient_id),
        "performedDateTime": session.on.isoformat(),
    }
    if session.recorded_by is not None:
        out["recorder"] = staff(session.recorded_by)
    if session.note:
        out["note"] = [{"text": session.note}]
    if session.recorded_at is not None:
        add_extensions(out, [extension(Ext.RECORDED_AT, "DateTime", instant(session.recorded_at))])
    return out


# --- PRP -------------------------------------------------------------------------------------


def protocol_resource(saved: ClinicPrpProtocol) -> JsonObject:
    limits = record_json(PrpProtocol, saved.protocol, ("id", "name"))
    out: JsonObject = {
        "resourceType": "PlanDefinition",
        "id": fhir_id(saved.id),
        "title": saved.protocol.name,
        "type": concept(PLAN_TYPE, "prp-protocol", "PRP preparation protocol"),
        "status": "retired" if saved.retired else "active",
        "date": instant(saved.created_at),
    }
    add_extensions(
        out,
        [
            extension(Ext.PROTOCOL_LIMITS, "String", json_text(limits)),
            recorded_by(saved.created_by),
        ],
    )
    return out


def _spin_step(index: int, total: int, spin: Spin) -> JsonObject:
    force = f"{spin.rcf_g:g} g" if spin.rcf_g is not None else f"{spin.rpm:g} rpm"
    words = [f"Spin {index + 1} of {total}: {force} for {spin.minutes:g} min"]
    if spin.temperature_c is not None:
        words.append(f"at {spin.temperature_c:g} °C")
    words.append(f"brake {spin.brake}")
    parts = [
        optional("rpm", "Decimal", spin.rpm),
        optional("rcf-g", "Decimal", spin.rcf_g),
        extension("minutes", "Decimal", spin.minutes),
        optional("temperature-c", "Decimal", spin.temperature_c),
        extension("brake", "Code", str(spin.brake)),
    ]
    return {
        "extension": [{"url": Ext.PRP_SPIN, "extension": [p for p in parts if p is not None]}],
        "description": " ".join(words),
        "procedure": concept(PROCESSING_STEP, "centrifugation", "Centrifugation"),
    }


def prp_resources(record: PrpRecord, session: CourseSession) -> list[JsonObject]:
    """The preparation as a BiologicallyDerivedProduct (spins as processing steps) and each
    count recorded as an Observation about it (LOINC where a code exists)."""
    prep = record.preparation
    counts = fhir_codes().prp_counts
    rest = record_json(PrpPreparation, prep, PREPARATION_NATIVE | set(counts))
    stored = record_json(PrpRecord, record, RECORD_NATIVE)
    product: JsonObject = {
        "resourceType": "BiologicallyDerivedProduct",
        "id": fhir_id(record.id),
        "productCategory": "fluid",
        "productCode": concept(
            PRODUCT, "prp", "Platelet-rich plasma", "Platelet-rich plasma (PRP)"
        ),
        "quantity": 1,
        "collection": {
            "source": ref("Patient", record.patient_id),
            "collectedDateTime": instant(prep.drawn_at),
        },
    }
    if prep.spins:
        product["processing"] = [
            _spin_step(i, len(prep.spins), spin) for i, spin in enumerate(prep.spins)
        ]
    add_extensions(
        product,
        [
            _session_ref(session),
            None
            if record.protocol_id is None
            else extension(
                Ext.PRP_PROTOCOL, "Reference", ref("PlanDefinition", record.protocol_id)
            ),
            extension(Ext.PRP_PREPARATION, "String", json_text(rest)),
            extension(Ext.PRP_RECORD, "String", json_text(stored)),
            *_recorded(record.recorded_at, record.recorded_by),
        ],
    )
    out = [product]
    for name, code in counts.items():
        value = getattr(prep, name)
        if value is None:
            continue
        observation: JsonObject = {
            "resourceType": "Observation",
            "id": fhir_id(record.id, "count", code.local),
            "status": "final",
            "code": {"coding": code.codings(), "text": code.display},
            "subject": ref("Patient", record.patient_id),
            "focus": [ref("BiologicallyDerivedProduct", record.id)],
            "effectiveDateTime": instant(prep.drawn_at),
            "valueQuantity": {
                "value": value,
                "unit": code.unit,
                "system": UCUM,
                "code": code.unit,
            },
        }
        if prep.analyser:
            observation["device"] = {"display": prep.analyser}
        out.append(observation)
    return out


# --- exosome lots ----------------------------------------------------------------------------


def lot_resource(lot: ExosomeLot, certificate: bytes | None) -> JsonObject:
    keep = dict(record_json(ExosomeLot, lot, LOT_NATIVE))
    if lot.coa_file is not None and not is_document_key(lot.coa_file):
        keep["coa_file"] = lot.coa_file  # a reference typed as text (no uploaded file)
    out: JsonObject = {
        "resourceType": "Medication",
        "id": fhir_id(lot.id),
        "contained": [
            {
                "resourceType": "Organization",
                "id": "maker",
                "name": lot.manufacturer,
                "address": [{"country": lot.manufacturer_country}],
            }
        ],
        "code": {"text": lot.product_name},
        "status": "inactive" if lot.is_recalled else "active",
        "manufacturer": {"reference": "#maker", "display": lot.manufacturer},
        "form": concept(PRODUCT_FORM, lot.form),
        "batch": {"lotNumber": lot.lot_number, "expirationDate": lot.expiry_date.isoformat()},
    }
    attached = None
    if lot.coa_sha256 is not None and lot.coa_file is not None and is_document_key(lot.coa_file):
        attached = extension(
            Ext.CERTIFICATE,
            "Attachment",
            _attachment("application/pdf", certificate, title=lot.coa_name),
        )
    add_extensions(
        out,
        [
            extension(Ext.EXOSOME_LOT, "String", json_text(keep)),
            attached,
            *_recorded(lot.created_at, lot.created_by),
        ],
    )
    return out


def _quantity(amount: Decimal) -> float | int:
    whole = amount == amount.to_integral_value()
    return int(amount) if whole else float(amount)


def lot_use_resource(use: LotUse) -> JsonObject:
    assert use.patient_id is not None
    out: JsonObject = {
        "resourceType": "MedicationAdministration",
        "id": fhir_id(use.id),
        "status": "completed",
        "medicationReference": ref("Medication", use.lot_id),
        "subject": ref("Patient", use.patient_id),
        "effectiveDateTime": use.used_on.isoformat(),
        "dosage": {
            "route": concept(ROUTE, use.route),
            "dose": {
                "value": _quantity(use.quantity),
                "unit": use.unit,
                "system": UCUM,
                "code": LOT_UNITS_UCUM[use.unit],
            },
        },
    }
    if use.session_id is not None:
        out["partOf"] = [ref("Procedure", use.session_id)]
    add_extensions(out, [optional(Ext.OVERRIDE_REASON, "String", use.override_reason)])
    return out


# --- adverse events --------------------------------------------------------------------------


def event_resource(event: AdverseEvent, session: CourseSession | None) -> JsonObject:
    term = ctcae_term(event.term_id)
    codes = fhir_codes()
    text = term.term + (f": {event.term_detail}" if event.term_detail else "")
    out: JsonObject = {
        "resourceType": "AdverseEvent",
        "id": fhir_id(event.id),
        "actuality": "actual",
        "event": {
            "coding": [
                coding(codes.system("meddra"), term.meddra_code, term.term),
                coding(CTCAE_TERM, term.id, term.term),
            ],
            "text": text,
        },
        "subject": ref("Patient", event.patient_id),
        "date": instant(event.onset),
        "recordedDate": instant(event.recorded_at),
        "recorder": staff(event.recorded_by),
        "seriousness": concept(
            codes.system("adverse_event_seriousness"),
            "serious" if event.seriousness else "non-serious",
        ),
        "outcome": concept(codes.system("adverse_event_outcome"), AE_OUTCOMES[event.outcome]),
    }
    if event.product_lot_id is not None:
        out["suspectEntity"] = [{"instance": ref("Medication", event.product_lot_id)}]
    add_extensions(
        out,
        [
            extension(Ext.GRADE, "Integer", event.grade),
            optional(Ext.TERM_DETAIL, "String", event.term_detail),
            *(extension(Ext.SERIOUSNESS, "Code", s) for s in event.seriousness),
            *(extension(Ext.ACTION_TAKEN, "Code", a) for a in event.actions_taken),
            optional(
                Ext.RESOLVED_ON,
                "Date",
                event.resolved_on.isoformat() if event.resolved_on else None,
            ),
            optional(Ext.DESCRIPTION, "String", event.description),
            None if session is None else _session_ref(session),
            None
            if event.prp_preparation_id is None
            else extension(
                Ext.SUSPECT_PRP,
                "Reference",
                ref("BiologicallyDerivedProduct", event.prp_preparation_id),
            ),
        ],
    )
    return out


# --- outcomes --------------------------------------------------------------------------------


def measurement_resource(measurement: Measurement) -> JsonObject:
    catalogue = outcome_catalogue()
    spec = catalogue.measures[measurement.measure]
    method = catalogue.methods[measurement.method]
    out: JsonObject = {
        "resourceType": "Observation",
        "id": fhir_id(measurement.id),
        "status": "final",
        "code": {
            "coding": [coding(spec.code.system, spec.code.code, spec.code.display)],
            "text": spec.label,
        },
        "subject": ref("Patient", measurement.patient_id),
        "effectiveDateTime": measurement.measured_on.isoformat(),
        "issued": instant(measurement.recorded_at),
        "performer": [staff(measurement.recorded_by)],
        "valueQuantity": {
            "value": measurement.value,
            "unit": unit_text(measurement.unit) or measurement.unit,
            "system": UCUM,
            "code": measurement.unit,
        },
        "method": concept(OUTCOME_METHOD, method.id, method.label),
        "bodySite": {"text": measurement.site},
    }
    if measurement.course_id is not None:
        out["basedOn"] = [ref("CarePlan", measurement.course_id)]
    if measurement.note:
        out["note"] = [{"text": measurement.note}]
    add_extensions(
        out,
        [
            extension(Ext.SITE_MARKING, "Code", measurement.site_marking),
            optional(Ext.LANDMARK, "String", measurement.landmark),
            optional(Ext.RATER_BLINDED, "Boolean", measurement.rater_blinded),
        ],
    )
    return out


def photo_resource(photo: Photo, content: bytes | None) -> JsonObject:
    out: JsonObject = {
        "resourceType": "DocumentReference",
        "id": fhir_id(photo.id),
        "status": "current",
        "type": concept(DOCUMENT_TYPE, "clinical-photo", "Clinical photograph"),
        "subject": ref("Patient", photo.patient_id),
        "date": instant(photo.recorded_at),
        "author": [staff(photo.recorded_by)],
        "content": [
            {
                "attachment": _attachment(
                    photo.content_type,
                    content,
                    size=photo.byte_size,
                    title=photo.view,
                    creation=photo.taken_on.isoformat(),
                )
            }
        ],
    }
    if photo.note:
        out["description"] = photo.note
    if photo.course_id is not None:
        out["context"] = {"related": [ref("CarePlan", photo.course_id)]}
    add_extensions(
        out,
        [
            extension(Ext.PHOTO_VIEW, "Code", photo.view),
            extension(Ext.PHOTO_SHA256, "String", photo.sha256),
            extension(Ext.IMAGE_WIDTH, "Integer", photo.width),
            extension(Ext.IMAGE_HEIGHT, "Integer", photo.height),
            extension(Ext.MARKETING, "Boolean", photo.marketing_consent),
        ],
    )
    return out


# --- the whole record ------------------------------------------------------------------------


def clinic_resources(
    forms: Iterable[ConsentForm],
    protocols: Iterable[ClinicPrpProtocol],
    lots: Iterable[ExosomeLot],
    files: Mapping[str, bytes],
) -> list[JsonObject]:
    """The clinic's own records a patient's records name: consent texts, PRP protocols and
    exosome lots (with the certificate's bytes where ``files`` holds them)."""
    out = [form_resource(f) for f in sorted(forms, key=lambda f: (f.procedure, f.version, f.id))]
    out += [
        protocol_resource(p)
        for p in sorted(protocols, key=lambda p: (p.created_at, p.protocol.name, p.id))
    ]
    out += [
        lot_resource(lot, files.get(lot.coa_file) if lot.coa_file else None)
        for lot in sorted(lots, key=lambda lot: (lot.manufacturer, lot.lot_number, lot.id))
    ]
    return out


def patient_resources(records: PatientRecords, *, clinic_level: bool = True) -> list[JsonObject]:
    """Every resource of the patient's record, in a fixed order; ``clinic_level=False``
    leaves out the consent texts, protocols and lots (a bulk export writes them once)."""
    r = records
    patient = r.patient
    out = [patient_resource(patient)]
    courses = sorted(
        r.courses, key=lambda c: (c.start, c.created_at, c.condition, c.treatment, c.id)
    )
    for condition in sorted({c.condition for c in courses}):
        out.append(condition_resource(patient, condition))
    out += [
        health_resource(h)
        for h in sorted(
            r.health, key=lambda h: (h.recorded_at, sorted(h.flags.items()), h.recorded_by, h.id)
        )
    ]
    out += [
        result_resource(a)
        for a in sorted(r.results, key=lambda a: (a.attached_at, a.saved_at, a.id))
    ]
    if clinic_level:
        out += clinic_resources(r.forms, r.protocols, r.lots, r.files)
    out += [
        consent_resource(c)
        for c in sorted(r.consents, key=lambda c: (c.taken_at, c.procedure, c.id))
    ]
    sessions_by_id: dict[str, CourseSession] = {}
    procedures: list[JsonObject] = []
    for course in courses:
        sessions = sorted(
            r.sessions.get(course.id, ()), key=lambda s: (s.planned, s.number, s.kind)
        )
        sessions_by_id.update((s.id, s) for s in sessions)
        out.append(course_resource(course, sessions))
        procedures += [procedure_resource(course, s) for s in sessions if s.status == "done"]
    out += procedures
    lots = {lot.id: lot for lot in r.lots}
    out += [
        lot_use_resource(u)
        for u in sorted(
            r.lot_uses,
            key=lambda u: (
                u.used_on,
                (lots[u.lot_id].lot_number if u.lot_id in lots else ""),
                u.route,
                u.quantity,
                u.id,
            ),
        )
    ]
    for record in sorted(
        r.prp_records, key=lambda p: (p.preparation.drawn_at, p.recorded_at, p.id)
    ):
        out += prp_resources(record, sessions_by_id[record.session_id])
    out += [
        event_resource(e, sessions_by_id.get(e.session_id) if e.session_id else None)
        for e in sorted(r.events, key=lambda e: (e.onset, e.term_id, e.recorded_at, e.id))
    ]
    out += [
        measurement_resource(m)
        for m in sorted(
            r.measurements,
            key=lambda m: (
                m.measured_on,
                m.recorded_at,
                m.measure,
                m.site,
                m.method,
                m.value,
                m.id,
            ),
        )
    ]
    out += [
        photo_resource(p, r.files.get(p.file_key))
        for p in sorted(r.photos, key=lambda p: (p.taken_on, p.recorded_at, p.view, p.sha256, p.id))
    ]
    return out


def full_url(resource: Mapping[str, Any]) -> str:
    return f"{BASE}/{resource['resourceType']}/{resource['id']}"


def bundle(resources: Sequence[JsonObject], now: datetime) -> JsonObject:
    """A ``collection`` Bundle of ``resources`` (relative references resolve against the
    entries' ``fullUrl``), tagged as regenaid's patient export."""
    return {
        "resourceType": "Bundle",
        "meta": {"tag": [{"system": FORMAT_TAG_SYSTEM, "code": FORMAT_TAG_CODE}]},
        "type": "collection",
        "timestamp": instant(now),
        "entry": [{"fullUrl": full_url(r), "resource": r} for r in resources],
    }
