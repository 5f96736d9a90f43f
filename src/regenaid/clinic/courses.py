"""Treatment courses and their sessions, planned by :func:`regenaid.plan.build_plan`.

A course is one condition, one option and that option's protocol for the condition, started
on a date for a horizon. Its sessions are the plan's dated visits (the consultation first when
the protocol needs one); each is later recorded as done, moved or missed by a named staff
member. Before a procedure is recorded, screening runs again on the patient's *current* health
answers (:func:`screen_for_session`): a contraindication or a deferral blocks the recording
with its reason and source, and so does a missing or withdrawn consent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal, get_args

from regenaid.clinic.errors import RefusedError
from regenaid.clinic.ids import new_id
from regenaid.clinic.patients import Consent, Patient, active_consent
from regenaid.decide.intake import parse_intake
from regenaid.decide.screening import ScreeningResult, screen
from regenaid.errors import InvalidInputError
from regenaid.knowledge.base import KnowledgeBase
from regenaid.knowledge.model import TreatmentId
from regenaid.plan import PlannedSession, TreatmentPlan, build_plan

SessionStatus = Literal["planned", "done", "moved", "missed"]
SESSION_STATUSES: tuple[str, ...] = get_args(SessionStatus)
SessionKind = Literal["consultation", "initial", "maintenance"]
# options a clinic gives as procedures (conventional care and no treatment are not courses)
COURSE_TREATMENTS: tuple[TreatmentId, ...] = ("prp", "exosome", "combination")
# intake fields a course keeps from the decision aid; health, age and sex come from the record
_KEPT_INTAKE = ("concern", "condition", "severity", "scale", "duration_months", "prior_treatments")


@dataclass(frozen=True, slots=True)
class Course:
    id: str
    clinic_id: str
    patient_id: str
    condition: str
    treatment: TreatmentId
    start: date
    horizon_months: int
    protocol_sources: tuple[str, ...]
    # the intake answers screening needs besides health, age and sex (from the attached result)
    intake: Mapping[str, Any]
    attached_result_id: str | None
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class CourseSession:
    """One visit of a course: the plan's date and window, and what happened."""

    id: str
    clinic_id: str
    course_id: str
    number: int
    kind: SessionKind
    planned: date
    earliest: date
    latest: date
    status: SessionStatus = "planned"
    on: date | None = None  # the day it was done, or the day it was moved to
    recorded_by: str | None = None
    recorded_at: datetime | None = None
    note: str | None = None


def _session(clinic_id: str, course_id: str, planned: PlannedSession) -> CourseSession:
    return CourseSession(
        id=new_id(),
        clinic_id=clinic_id,
        course_id=course_id,
        number=planned.number,
        kind=planned.kind,
        planned=planned.planned,
        earliest=planned.earliest,
        latest=planned.latest,
    )


def plan_course(
    kb: KnowledgeBase,
    *,
    patient: Patient,
    condition: str,
    treatment: str,
    start: date,
    horizon_months: int,
    severity: str | None,
    attached_intake: Mapping[str, Any] | None,
    attached_result_id: str | None,
    created_by: str,
    now: datetime,
) -> tuple[Course, TreatmentPlan, list[CourseSession]]:
    """A course with its sessions as ``regenaid.plan`` dates them.

    ``attached_intake``: the decision-aid answers the patient brought, whose condition must be
    the course's; without one, ``severity`` is required (screening needs it)."""
    if condition not in kb.conditions:
        raise InvalidInputError(
            "condition", f"unknown condition {condition!r}", tuple(kb.conditions)
        )
    if treatment not in COURSE_TREATMENTS:
        raise InvalidInputError(
            "treatment", f"not a clinic course: {treatment!r}", COURSE_TREATMENTS
        )
    protocol = kb.protocol(treatment, condition)
    if protocol is None or treatment not in kb.conditions[condition].treatments:
        raise InvalidInputError(
            "treatment", f"{treatment} has no protocol for {condition} in the knowledge base"
        )
    if attached_intake is not None:
        if attached_intake.get("condition") != condition:
            raise InvalidInputError(
                "condition", "differs from the condition of the attached decision-aid result"
            )
        kept = {k: attached_intake[k] for k in _KEPT_INTAKE if k in attached_intake}
    else:
        if severity is None:
            raise InvalidInputError("severity", "is required when no decision-aid result is used")
        kept = {
            "concern": kb.conditions[condition].concern,
            "condition": condition,
            "severity": severity,
        }
    course_id = new_id()
    course = Course(
        id=course_id,
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        condition=condition,
        treatment=treatment,
        start=start,
        horizon_months=horizon_months,
        protocol_sources=tuple(protocol.sources),
        intake=kept,
        attached_result_id=attached_result_id,
        created_at=now,
        created_by=created_by,
    )
    # the intake must be one screening accepts, today: fail here, not at the first session
    screening_intake(course, patient, {}, start)
    plan = build_plan(protocol, start, horizon_months)
    visits = ([plan.consultation] if plan.consultation else []) + list(plan.sessions)
    return course, plan, [_session(patient.clinic_id, course_id, v) for v in visits]


def screening_intake(
    course: Course, patient: Patient, health: Mapping[str, bool], day: date
) -> Any:
    """The decision aid's intake for screening this course on ``day``: the course's answers,
    the patient's age on that day and sex, and ``health`` (the current answers)."""
    sex = patient.sex if patient.sex in ("female", "male") else "other"
    data = {
        **course.intake,
        "age": max(patient.age_on(day), 18),
        "sex": sex,
        "health": dict(health),
    }
    if patient.age_on(day) < 18:
        raise RefusedError(
            "under_18", "the decision aid's screening covers adults only", "birth_date"
        )
    return parse_intake(data)


def screen_for_session(
    kb: KnowledgeBase,
    course: Course,
    patient: Patient,
    health: Mapping[str, bool] | None,
    day: date,
) -> ScreeningResult:
    """Screening of the course's option on ``day`` against the current health answers.

    No recorded health answers is not good news: it is refused (``health_unknown``)."""
    if health is None:
        raise RefusedError(
            "health_unknown",
            "record the patient's current health answers before recording a session",
            "health",
        )
    return screen(screening_intake(course, patient, health, day), kb)[course.treatment]


def short_citation(kb: KnowledgeBase | None, source_id: str) -> str:
    """ "First author et al. year" (or the title) of a bibliography entry; the id when unknown."""
    source = kb.sources.get(source_id) if kb is not None else None
    if source is None:
        return source_id
    if source.authors and source.year:
        first = source.authors.split(",")[0].split(";")[0].strip()
        more = " et al." if ("," in source.authors or ";" in source.authors) else ""
        return f"{first}{more} {source.year}"
    title = source.title if len(source.title) <= 60 else source.title[:57] + "..."
    return f"{title}, {source.year}" if source.year else title


def check_can_record(
    screening: ScreeningResult,
    consents: Iterable[Consent],
    course: Course,
    kb: KnowledgeBase | None = None,
) -> None:
    """Refuse recording a procedure the screening rules out or no consent in force covers
    (the reasons cite their sources by author and year when ``kb`` is given)."""
    reasons = "; ".join(
        f"{r.text} ({'; '.join(short_citation(kb, s) for s in r.sources)})" if r.sources else r.text
        for r in screening.reasons
        if r.level in ("contraindicated", "defer")
    )
    if screening.eligibility == "contraindicated":
        raise RefusedError("contraindicated", f"Screening rules this out today: {reasons}")
    if screening.eligibility == "defer":
        back = " ".join(screening.come_back)
        raise RefusedError("deferred", f"Screening says wait: {reasons}. {back}".strip())
    if active_consent(consents, course.treatment) is None:
        raise RefusedError(
            "consent_missing",
            f"no consent in force for {course.treatment}: record the patient's consent first",
            "consent",
        )


def _clean_note(note: str | None) -> str | None:
    text = " ".join((note or "").split())
    if len(text) > 1000:
        raise InvalidInputError("note", "at most 1,000 characters")
    return text or None


def record_done(
    session: CourseSession, *, on: date, by: str, now: datetime, note: str | None = None
) -> CourseSession:
    """The session, done on ``on`` (checks of screening and consent come first: see
    :func:`check_can_record`)."""
    if session.status == "done":
        raise RefusedError("already_done", f"session {session.number} is already recorded")
    if session.status == "missed":
        raise RefusedError("was_missed", f"session {session.number} was recorded as missed")
    if on > now.date():
        raise InvalidInputError("on", "a session cannot be recorded as done in the future")
    return replace(
        session, status="done", on=on, recorded_by=by, recorded_at=now, note=_clean_note(note)
    )


def record_missed(
    session: CourseSession, *, by: str, now: datetime, note: str | None = None
) -> CourseSession:
    if session.status in ("done", "missed"):
        raise RefusedError(
            "already_recorded", f"session {session.number} is already {session.status}"
        )
    return replace(
        session, status="missed", on=None, recorded_by=by, recorded_at=now, note=_clean_note(note)
    )


def record_moved(
    session: CourseSession, *, to: date, by: str, now: datetime, note: str | None = None
) -> CourseSession:
    """The session moved to ``to``; a day outside the protocol's window is allowed only with a
    note saying why (the window is the protocol's, not a preference)."""
    if session.status in ("done", "missed"):
        raise RefusedError(
            "already_recorded", f"session {session.number} is already {session.status}"
        )
    clean = _clean_note(note)
    if not session.earliest <= to <= session.latest and clean is None:
        raise RefusedError(
            "outside_window",
            f"{to.isoformat()} is outside the protocol's window "
            f"{session.earliest.isoformat()} to {session.latest.isoformat()}: add a note why",
            "note",
        )
    return replace(session, status="moved", on=to, recorded_by=by, recorded_at=now, note=clean)


def session_day(session: CourseSession) -> date:
    """The day the session is now expected (moved) or happened (done), else the plan's day."""
    return session.on if session.on is not None else session.planned


def check_status(value: str) -> SessionStatus:
    if value not in SESSION_STATUSES:
        raise InvalidInputError("status", f"unknown status {value!r}", SESSION_STATUSES)
    return value  # type: ignore[return-value]
