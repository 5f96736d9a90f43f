"""Use cases for patients, consent and courses: check the role, scope to the clinic, apply the
rule, write, audit — all in one unit of work, committed once.

Each function takes the unit of work (not yet entered) and an :class:`Actor` (who, from where,
when). Reads of patient data are audited like writes. Nothing is committed when a rule refuses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from regenaid.clinic import courses as course_rules
from regenaid.clinic import patients as patient_rules
from regenaid.clinic.access import Action, StaffContext
from regenaid.clinic.courses import Course, CourseSession
from regenaid.clinic.errors import RefusedError
from regenaid.clinic.patients import (
    AttachedResult,
    Consent,
    ConsentForm,
    HealthAnswers,
    Patient,
)
from regenaid.clinic.ports import ClinicUnitOfWork, DocumentStore
from regenaid.decide.screening import ScreeningResult
from regenaid.knowledge.base import KnowledgeBase


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks (the signed-in staff member), from where (client address or "cli"), when."""

    ctx: StaffContext
    client: str
    now: datetime

    @property
    def clinic_id(self) -> str:
        return self.ctx.clinic_id

    @property
    def staff_id(self) -> str:
        return self.ctx.staff_id


def audit(
    uow: ClinicUnitOfWork,
    actor: Actor,
    action: str,
    kind: str,
    record_id: str | None,
    detail: str = "",
) -> None:
    uow.audit.append(
        clinic_id=actor.clinic_id,
        staff_id=actor.staff_id,
        action=action,
        record_kind=kind,
        record_id=record_id,
        at=actor.now,
        client=actor.client,
        detail=detail,
    )


def commit_with_files(
    uow: ClinicUnitOfWork, documents: DocumentStore, files: Mapping[str, bytes]
) -> None:
    """Write ``files`` (key: bytes) to the document store, then commit; when a write or the
    commit fails, the files already written are deleted again, so a failed use case leaves
    no file behind (the store is not transactional)."""
    written: list[str] = []
    try:
        for key, content in files.items():
            documents.put(key, content)
            written.append(key)
        uow.commit()
    except BaseException:
        for key in written:
            documents.delete(key)
        raise


# --- patients -------------------------------------------------------------------------------


def register_patient(uow: ClinicUnitOfWork, actor: Actor, **fields: Any) -> Patient:
    actor.ctx.require(Action.EDIT_PATIENT)
    patient = patient_rules.new_patient(
        clinic_id=actor.clinic_id, created_by=actor.staff_id, now=actor.now, **fields
    )
    with uow:
        uow.records(Patient).add(patient)
        audit(uow, actor, "create", "patient", patient.id)
        uow.commit()
    return patient


def edit_patient(
    uow: ClinicUnitOfWork, actor: Actor, patient_id: str, changes: Mapping[str, Any]
) -> Patient:
    actor.ctx.require(Action.EDIT_PATIENT)
    with uow:
        old = uow.records(Patient).get(actor.clinic_id, patient_id)
        new = patient_rules.edit_patient(old, changes, actor.now)
        uow.records(Patient).replace(new)
        audit(uow, actor, "update", "patient", patient_id, "fields=" + ",".join(sorted(changes)))
        uow.commit()
    return new


def list_patients(uow: ClinicUnitOfWork, actor: Actor) -> Sequence[Patient]:
    actor.ctx.require(Action.VIEW_PATIENT_DEMOGRAPHICS)
    with uow:
        found = uow.records(Patient).find(actor.clinic_id)
        audit(uow, actor, "read", "patient_list", None, f"count={len(found)}")
        uow.commit()
    return found


@dataclass(frozen=True, slots=True)
class PatientChart:
    """What the signed-in role may see of one patient; parts it may not see are None."""

    patient: Patient
    health: HealthAnswers | None
    results: Sequence[AttachedResult] | None
    consents: Sequence[Consent] | None
    courses: Sequence[Course] | None
    sessions: Mapping[str, Sequence[CourseSession]]  # by course id (the schedule: all roles)


def open_patient(uow: ClinicUnitOfWork, actor: Actor, patient_id: str) -> PatientChart:
    actor.ctx.require(Action.VIEW_PATIENT_DEMOGRAPHICS)
    clinical = actor.ctx.can(Action.VIEW_CLINICAL)
    with uow:
        patient = uow.records(Patient).get(actor.clinic_id, patient_id)
        course_list = uow.records(Course).find(actor.clinic_id, patient_id=patient_id)
        sessions = {
            c.id: uow.records(CourseSession).find(actor.clinic_id, course_id=c.id)
            for c in course_list
        }
        chart = PatientChart(
            patient=patient,
            health=patient_rules.current_health(
                uow.records(HealthAnswers).find(actor.clinic_id, patient_id=patient_id)
            )
            if clinical
            else None,
            results=uow.records(AttachedResult).find(actor.clinic_id, patient_id=patient_id)
            if clinical
            else None,
            consents=uow.records(Consent).find(actor.clinic_id, patient_id=patient_id)
            if clinical
            else None,
            courses=course_list if clinical else None,
            sessions=sessions,
        )
        audit(uow, actor, "read", "patient", patient_id, "clinical" if clinical else "schedule")
        uow.commit()
    return chart


def record_health_answers(
    uow: ClinicUnitOfWork, actor: Actor, patient_id: str, flags: Mapping[str, object]
) -> HealthAnswers:
    actor.ctx.require(Action.RECORD_SESSION)
    with uow:
        uow.records(Patient).get(actor.clinic_id, patient_id)
        answers = patient_rules.record_health(
            clinic_id=actor.clinic_id,
            patient_id=patient_id,
            flags=flags,
            recorded_by=actor.staff_id,
            now=actor.now,
        )
        uow.records(HealthAnswers).add(answers)
        audit(uow, actor, "create", "health_answers", answers.id)
        uow.commit()
    return answers


def attach_saved_result(
    uow: ClinicUnitOfWork,
    actor: Actor,
    patient_id: str,
    *,
    intake: Mapping[str, Any],
    assessment: Mapping[str, Any],
    choice: Mapping[str, Any] | None,
    saved_at: datetime,
) -> AttachedResult:
    """Attach a decision-aid result the patient saved (the web edge reads it by its private
    link; the link itself is never stored here). Its health answers become the patient's
    current ones."""
    actor.ctx.require(Action.VIEW_CLINICAL)
    actor.ctx.require(Action.PLAN_COURSE)
    with uow:
        uow.records(Patient).get(actor.clinic_id, patient_id)
        attached = patient_rules.attach_result(
            clinic_id=actor.clinic_id,
            patient_id=patient_id,
            intake=intake,
            assessment=assessment,
            choice=choice,
            saved_at=saved_at,
            attached_by=actor.staff_id,
            now=actor.now,
        )
        uow.records(AttachedResult).add(attached)
        health = patient_rules.record_health(
            clinic_id=actor.clinic_id,
            patient_id=patient_id,
            flags=dict(intake.get("health") or {}),
            recorded_by=actor.staff_id,
            now=actor.now,
        )
        uow.records(HealthAnswers).add(health)
        audit(uow, actor, "create", "attached_result", attached.id)
        uow.commit()
    return attached


# --- consent --------------------------------------------------------------------------------


def add_consent_form(
    uow: ClinicUnitOfWork, actor: Actor, *, procedure: str, title: str, text: str
) -> ConsentForm:
    actor.ctx.require(Action.MANAGE_PROTOCOLS)
    with uow:
        earlier = uow.records(ConsentForm).find(actor.clinic_id, procedure=procedure)
        form = patient_rules.new_consent_form(
            clinic_id=actor.clinic_id,
            procedure=procedure,
            title=title,
            text=text,
            earlier=earlier,
            created_by=actor.staff_id,
            now=actor.now,
        )
        uow.records(ConsentForm).add(form)
        audit(uow, actor, "create", "consent_form", form.id, f"version={form.version}")
        uow.commit()
    return form


def consent_forms(uow: ClinicUnitOfWork, actor: Actor) -> Sequence[ConsentForm]:
    with uow:
        return uow.records(ConsentForm).find(actor.clinic_id)


def record_consent(uow: ClinicUnitOfWork, actor: Actor, patient_id: str, form_id: str) -> Consent:
    actor.ctx.require(Action.RECORD_CONSENT)
    with uow:
        patient = uow.records(Patient).get(actor.clinic_id, patient_id)
        form = uow.records(ConsentForm).get(actor.clinic_id, form_id)
        newest = patient_rules.latest_form(
            uow.records(ConsentForm).find(actor.clinic_id, procedure=form.procedure),
            form.procedure,
        )
        if newest is not None and newest.version != form.version:
            raise RefusedError(
                "consent_form_outdated",
                f"version {form.version} is not the current text (version {newest.version})",
                "form_id",
            )
        consent = patient_rules.take_consent(
            patient=patient, form=form, taken_by=actor.staff_id, now=actor.now
        )
        uow.records(Consent).add(consent)
        audit(uow, actor, "create", "consent", consent.id, f"procedure={form.procedure}")
        uow.commit()
    return consent


def withdraw_consent(uow: ClinicUnitOfWork, actor: Actor, consent_id: str, note: str) -> Consent:
    actor.ctx.require(Action.WITHDRAW_CONSENT)
    with uow:
        consent = uow.records(Consent).get(actor.clinic_id, consent_id)
        withdrawn = patient_rules.withdraw_consent(
            consent, by=actor.staff_id, note=note, now=actor.now
        )
        uow.records(Consent).replace(withdrawn)
        audit(uow, actor, "update", "consent", consent_id, "withdrawn")
        uow.commit()
    return withdrawn


# --- courses and sessions -------------------------------------------------------------------


def start_course(
    uow: ClinicUnitOfWork,
    actor: Actor,
    kb: KnowledgeBase,
    patient_id: str,
    *,
    condition: str,
    treatment: str,
    start: date,
    horizon_months: int,
    severity: str | None = None,
    attached_result_id: str | None = None,
) -> tuple[Course, Sequence[CourseSession]]:
    actor.ctx.require(Action.PLAN_COURSE)
    with uow:
        patient = uow.records(Patient).get(actor.clinic_id, patient_id)
        attached = (
            uow.records(AttachedResult).get(actor.clinic_id, attached_result_id)
            if attached_result_id
            else None
        )
        if attached is not None and attached.patient_id != patient_id:
            raise RefusedError(
                "result_of_other_patient",
                "that result is attached to another patient",
                "attached_result_id",
            )
        course, _plan, sessions = course_rules.plan_course(
            kb,
            patient=patient,
            condition=condition,
            treatment=treatment,
            start=start,
            horizon_months=horizon_months,
            severity=severity,
            attached_intake=attached.intake if attached else None,
            attached_result_id=attached_result_id,
            created_by=actor.staff_id,
            now=actor.now,
        )
        uow.records(Course).add(course)
        for session in sessions:
            uow.records(CourseSession).add(session)
        audit(uow, actor, "create", "course", course.id, f"sessions={len(sessions)}")
        uow.commit()
    return course, sessions


@dataclass(frozen=True, slots=True)
class SessionContext:
    """A session with its course and patient, and today's screening of the course's option."""

    session: CourseSession
    course: Course
    patient: Patient
    screening: ScreeningResult | None


def check_session(
    uow: ClinicUnitOfWork, actor: Actor, kb: KnowledgeBase, session_id: str, day: date
) -> SessionContext:
    """Everything that must hold before a procedure is recorded (raises when it does not):
    screening on the current health answers and a consent in force. Call inside ``uow``."""
    session = uow.records(CourseSession).get(actor.clinic_id, session_id)
    course = uow.records(Course).get(actor.clinic_id, session.course_id)
    patient = uow.records(Patient).get(actor.clinic_id, course.patient_id)
    if session.kind == "consultation":  # where consent is taken: nothing given yet
        return SessionContext(session, course, patient, None)
    health = patient_rules.current_health(
        uow.records(HealthAnswers).find(actor.clinic_id, patient_id=patient.id)
    )
    screening = course_rules.screen_for_session(
        kb, course, patient, None if health is None else health.flags, day
    )
    course_rules.check_can_record(
        screening, uow.records(Consent).find(actor.clinic_id, patient_id=patient.id), course, kb
    )
    return SessionContext(session, course, patient, screening)


def record_session_done(
    uow: ClinicUnitOfWork,
    actor: Actor,
    kb: KnowledgeBase,
    session_id: str,
    *,
    on: date,
    note: str | None = None,
) -> CourseSession:
    actor.ctx.require(Action.RECORD_SESSION)
    with uow:
        found = check_session(uow, actor, kb, session_id, on)
        done = course_rules.record_done(
            found.session, on=on, by=actor.staff_id, now=actor.now, note=note
        )
        uow.records(CourseSession).replace(done)
        audit(uow, actor, "update", "course_session", session_id, "status=done")
        uow.commit()
    return done


def record_session_missed(
    uow: ClinicUnitOfWork, actor: Actor, session_id: str, note: str | None = None
) -> CourseSession:
    actor.ctx.require(Action.MANAGE_APPOINTMENTS)
    with uow:
        session = uow.records(CourseSession).get(actor.clinic_id, session_id)
        missed = course_rules.record_missed(session, by=actor.staff_id, now=actor.now, note=note)
        uow.records(CourseSession).replace(missed)
        audit(uow, actor, "update", "course_session", session_id, "status=missed")
        uow.commit()
    return missed


def move_session(
    uow: ClinicUnitOfWork, actor: Actor, session_id: str, to: date, note: str | None = None
) -> CourseSession:
    actor.ctx.require(Action.MANAGE_APPOINTMENTS)
    with uow:
        session = uow.records(CourseSession).get(actor.clinic_id, session_id)
        moved = course_rules.record_moved(
            session, to=to, by=actor.staff_id, now=actor.now, note=note
        )
        uow.records(CourseSession).replace(moved)
        audit(uow, actor, "update", "course_session", session_id, "status=moved")
        uow.commit()
    return moved
