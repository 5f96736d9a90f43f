"""Use cases for outcomes: measurements, photos, and a patient's progress.

As elsewhere in the clinic: check the role, scope to the clinic, apply the rule, write, audit,
commit once. A measurement or photo tied to a course must be the patient's own course; the
course's condition then decides which measures and views are allowed. Photo bytes are written
to the document store just before the commit and deleted again when it does not happen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from regenaid.clinic import documents as document_rules
from regenaid.clinic.access import Action
from regenaid.clinic.courses import Course
from regenaid.clinic.errors import RecordNotFoundError, RefusedError
from regenaid.clinic.outcomes import Change, Measurement, baselines_and_changes, new_measurement
from regenaid.clinic.patients import Patient
from regenaid.clinic.photos import Photo, clean_image, new_photo
from regenaid.clinic.ports import ClinicUnitOfWork, DocumentStore
from regenaid.clinic.services import Actor, audit, commit_with_files
from regenaid.errors import InvalidInputError
from regenaid.knowledge.model import CONDITIONS_BY_CONCERN

CONCERNS = tuple(CONDITIONS_BY_CONCERN)


def _concern_of(condition: str) -> str:
    return next(c for c, conditions in CONDITIONS_BY_CONCERN.items() if condition in conditions)


def _course_of(uow: ClinicUnitOfWork, actor: Actor, patient_id: str, course_id: str) -> Course:
    """The patient's course; a course of another clinic is not found (as any record named in
    a request: the same answer as an id that exists nowhere)."""
    course = uow.records(Course).get(actor.clinic_id, course_id)
    if course.patient_id != patient_id:
        raise InvalidInputError("course_id", "is a course of another patient")
    return course


def _concern(course: Course | None, concern: Any) -> str | None:
    if course is not None:
        return _concern_of(course.condition)
    if concern in (None, ""):
        return None
    if concern not in CONCERNS:
        raise InvalidInputError("concern", f"unknown concern {concern!r}", CONCERNS)
    return str(concern)


def record_measurement(
    uow: ClinicUnitOfWork, actor: Actor, *, concern: str | None = None, **values: Any
) -> Measurement:
    """A measurement of the patient (and of one of the patient's courses, when named)."""
    actor.ctx.require(Action.RECORD_OUTCOMES)
    with uow:
        patient_id = values.get("patient_id")
        if not patient_id:
            raise InvalidInputError("patient_id", "is required")
        uow.records(Patient).get(actor.clinic_id, str(patient_id))
        course_id = values.get("course_id") or None
        course = _course_of(uow, actor, str(patient_id), course_id) if course_id else None
        measurement = new_measurement(
            clinic_id=actor.clinic_id,
            recorded_by=actor.staff_id,
            now=actor.now,
            concern=_concern(course, concern),
            condition=course.condition if course else None,
            **values,
        )
        uow.records(Measurement).add(measurement)
        audit(uow, actor, "create", "measurement", measurement.id, f"measure={measurement.measure}")
        uow.commit()
    return measurement


@dataclass(frozen=True, slots=True)
class Progress:
    """A patient's measurements, each change from baseline judged, and photos (metadata)."""

    patient: Patient
    measurements: Sequence[Measurement]
    changes: Sequence[Change]
    photos: Sequence[Photo]
    courses: Sequence[Course]


def patient_progress(uow: ClinicUnitOfWork, actor: Actor, patient_id: str) -> Progress:
    actor.ctx.require(Action.VIEW_OUTCOMES)
    with uow:
        patient = uow.records(Patient).get(actor.clinic_id, patient_id)
        found = uow.records(Measurement).find(actor.clinic_id, patient_id=patient_id)
        photos = uow.records(Photo).find(actor.clinic_id, patient_id=patient_id)
        courses = uow.records(Course).find(actor.clinic_id, patient_id=patient_id)
        audit(
            uow,
            actor,
            "read",
            "outcomes",
            patient_id,
            f"measurements={len(found)},photos={len(photos)}",
        )
        uow.commit()
    return Progress(patient, found, baselines_and_changes(found), photos, courses)


# --- photos -------------------------------------------------------------------------------------


def record_photo(
    uow: ClinicUnitOfWork,
    actor: Actor,
    documents: DocumentStore,
    *,
    patient_id: str,
    content: bytes,
    view: str,
    taken_on: date,
    concern: str | None = None,
    course_id: str | None = None,
    marketing_consent: bool = False,
    note: str | None = None,
) -> Photo:
    """A photo of the patient in a standard view, stored without its metadata."""
    actor.ctx.require(Action.RECORD_OUTCOMES)
    image = clean_image(content)
    with uow:
        uow.records(Patient).get(actor.clinic_id, patient_id)
        course = _course_of(uow, actor, patient_id, course_id) if course_id else None
        kind = _concern(course, concern)
        if kind is None:
            raise InvalidInputError(
                "concern", "say whether this is a hair or a skin photo", CONCERNS
            )
        photo = new_photo(
            clinic_id=actor.clinic_id,
            patient_id=patient_id,
            concern=kind,
            view=view,
            taken_on=taken_on,
            image=image,
            recorded_by=actor.staff_id,
            now=actor.now,
            course_id=course_id or None,
            marketing_consent=marketing_consent,
            note=note,
        )
        uow.records(Photo).add(photo)
        audit(
            uow,
            actor,
            "create",
            "photo",
            photo.id,
            f"view={photo.view},bytes={photo.byte_size},marketing={str(marketing_consent).lower()}",
        )
        commit_with_files(uow, documents, {photo.file_key: image.content})
    return photo


@dataclass(frozen=True, slots=True)
class PhotoContent:
    photo: Photo
    content: bytes = field(repr=False)


def photo_content(
    uow: ClinicUnitOfWork, actor: Actor, documents: DocumentStore, photo_id: str
) -> PhotoContent:
    """The photo's bytes (audited). Missing bytes look like a missing photo; bytes that no
    longer match the SHA-256 taken at upload are refused (``photo_altered``)."""
    actor.ctx.require(Action.VIEW_OUTCOMES)
    with uow:
        photo = uow.records(Photo).get(actor.clinic_id, photo_id)
        if not document_rules.is_document_key(photo.file_key):
            raise RecordNotFoundError("photo", photo_id)
        try:
            content = documents.get(photo.file_key)
        except KeyError:
            raise RecordNotFoundError("photo", photo_id) from None
        if document_rules.sha256_of(content) != photo.sha256:
            raise RefusedError("photo_altered", "the stored photo no longer matches the upload")
        audit(uow, actor, "read", "photo", photo.id)
        uow.commit()
    return PhotoContent(photo, content)


def set_marketing_consent(
    uow: ClinicUnitOfWork, actor: Actor, photo_id: str, consent: bool
) -> Photo:
    """Record that the patient agreed (or no longer agrees) to this photo's use in marketing."""
    actor.ctx.require(Action.RECORD_OUTCOMES)
    if not isinstance(consent, bool):
        raise InvalidInputError("marketing_consent", "must be true or false")
    with uow:
        photo = uow.records(Photo).get(actor.clinic_id, photo_id)
        changed = replace(photo, marketing_consent=consent)
        uow.records(Photo).replace(changed)
        audit(uow, actor, "update", "photo", photo.id, f"marketing={str(consent).lower()}")
        uow.commit()
    return changed
