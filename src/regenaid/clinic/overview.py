"""Read-only views across a clinic's records: the schedule (every role) and the audit trail
with its verification (admin). Both check the role first and are audited as reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from regenaid.clinic.access import Action
from regenaid.clinic.accounts import StaffAccount
from regenaid.clinic.audit import AuditEntry, ChainHead, ChainReport, chain_key, verify_chain
from regenaid.clinic.courses import Course, CourseSession, session_day
from regenaid.clinic.patients import Patient
from regenaid.clinic.ports import ClinicUnitOfWork
from regenaid.clinic.services import Actor, audit
from regenaid.errors import InvalidInputError

AUDIT_SHOWN = 200


@dataclass(frozen=True, slots=True)
class ScheduleLine:
    session: CourseSession
    course: Course
    patient: Patient

    @property
    def day(self) -> date:
        return session_day(self.session)


@dataclass(frozen=True, slots=True)
class Schedule:
    today: list[ScheduleLine]
    upcoming: list[ScheduleLine]
    overdue: list[ScheduleLine]  # planned or moved, before today, not yet recorded


def clinic_schedule(uow: ClinicUnitOfWork, actor: Actor, day: date, days: int) -> Schedule:
    """Open sessions (planned or moved) of the clinic: on ``day``, in the ``days`` after it,
    and earlier ones not yet recorded; audited as one read of the schedule."""
    actor.ctx.require(Action.VIEW_SCHEDULE)
    with uow:
        open_sessions = [
            s
            for s in uow.records(CourseSession).find(actor.clinic_id)
            if s.status in ("planned", "moved")
        ]
        courses = {c.id: c for c in uow.records(Course).find(actor.clinic_id)}
        patients = {p.id: p for p in uow.records(Patient).find(actor.clinic_id)}
        lines = sorted(
            (
                ScheduleLine(s, courses[s.course_id], patients[courses[s.course_id].patient_id])
                for s in open_sessions
                if s.course_id in courses
            ),
            key=lambda line: (line.day, line.patient.family_name, line.session.number),
        )
        end = day + timedelta(days=days)
        schedule = Schedule(
            today=[line for line in lines if line.day == day],
            upcoming=[line for line in lines if day < line.day <= end],
            overdue=[line for line in lines if line.day < day],
        )
        shown = len(schedule.today) + len(schedule.upcoming) + len(schedule.overdue)
        audit(uow, actor, "read", "schedule", None, f"sessions={shown}")
        uow.commit()
    return schedule


@dataclass(frozen=True, slots=True)
class AuditView:
    report: ChainReport
    entries: list[AuditEntry]  # newest first, at most AUDIT_SHOWN
    total: int
    staff_names: dict[str, str]


def read_audit(uow: ClinicUnitOfWork, actor: Actor, expected: ChainHead | None) -> AuditView:
    """The clinic's own chain, verified (against ``expected``, an earlier head, if given);
    this read is itself audited first, so the head shown includes it."""
    actor.ctx.require(Action.VIEW_AUDIT)
    key = chain_key(actor.clinic_id)
    if expected is not None and expected.chain != key:
        raise InvalidInputError("head", "that head is of another chain, not this clinic's")
    with uow:
        audit(uow, actor, "read", "audit_trail", None, "verify")
        entries = list(uow.audit.entries(key))
        report = verify_chain(entries, expected_head=expected)
        names = {a.id: a.display_name for a in uow.records(StaffAccount).find(actor.clinic_id)}
        uow.commit()
    return AuditView(report, entries[::-1][:AUDIT_SHOWN], len(entries), names)
