"""Reads the API needs that :mod:`regenaid.clinic` has no use case for yet: one course with
its sessions, and adverse events filtered by a patient that must exist. They follow the use
cases' pattern (role first, then the record scoped to the clinic, then the audit entry, one
transaction) and could move into :mod:`regenaid.clinic.services` as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

from regenaid.clinic import treatments
from regenaid.clinic.access import Action
from regenaid.clinic.adverse_events import AdverseEvent
from regenaid.clinic.courses import Course, CourseSession
from regenaid.clinic.patients import Patient
from regenaid.clinic.ports import ClinicUnitOfWork
from regenaid.clinic.services import Actor, audit


def open_course(
    uow: ClinicUnitOfWork, actor: Actor, course_id: str
) -> tuple[Course | None, Sequence[CourseSession]]:
    """The course (None for a role without clinical access) and its sessions, all roles that
    see the schedule; audited as a read."""
    actor.ctx.require(Action.VIEW_SCHEDULE)
    clinical = actor.ctx.can(Action.VIEW_CLINICAL)
    with uow:
        course = uow.records(Course).get(actor.clinic_id, course_id)
        sessions = uow.records(CourseSession).find(actor.clinic_id, course_id=course.id)
        audit(uow, actor, "read", "course", course.id, "clinical" if clinical else "schedule")
        uow.commit()
    return (course if clinical else None), sessions


def adverse_events_of(
    uow: ClinicUnitOfWork, actor: Actor, patient_id: str | None
) -> Sequence[AdverseEvent]:
    """:func:`regenaid.clinic.treatments.adverse_events`, where a ``patient_id`` that names
    no patient of this clinic is "not found" (not an empty list)."""
    actor.ctx.require(Action.VIEW_ADVERSE_EVENTS)
    if patient_id is not None:
        with uow:
            uow.records(Patient).get(actor.clinic_id, patient_id)
    return treatments.adverse_events(uow, actor, patient_id)
