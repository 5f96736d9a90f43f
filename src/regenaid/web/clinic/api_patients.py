"""Patients, their health answers and decision-aid results, consent, courses and sessions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request

from regenaid.clinic import services
from regenaid.clinic.access import Action
from regenaid.clinic.courses import CourseSession
from regenaid.clinic.errors import RefusedError
from regenaid.clinic.patients import (
    AttachedResult,
    Consent,
    ConsentForm,
    HealthAnswers,
    Patient,
)
from regenaid.decide.intake import Health, parse_intake
from regenaid.errors import InvalidInputError
from regenaid.store import SqlUnitOfWork, load_result
from regenaid.web.clinic.api_common import (
    ClinicApiRoute,
    Reader,
    Writer,
    actor,
    knowledge,
    responses,
    uow,
)
from regenaid.web.clinic.api_reads import open_course
from regenaid.web.clinic.schemas import (
    ID_PATTERN,
    AttachResultBody,
    ConsentBody,
    ConsentFormBody,
    CourseBody,
    CourseWithSessions,
    Items,
    PatientBody,
    PatientChanges,
    PatientChart,
    SessionDoneBody,
    SessionMissedBody,
    SessionMovedBody,
    WithdrawalBody,
)

router = APIRouter(route_class=ClinicApiRoute)

PatientId = Annotated[str, Path(pattern=ID_PATTERN, description="A patient's id")]
ConsentId = Annotated[str, Path(pattern=ID_PATTERN, description="A consent's id")]
CourseId = Annotated[str, Path(pattern=ID_PATTERN, description="A course's id")]
SessionId = Annotated[str, Path(pattern=ID_PATTERN, description="A course session's id")]

ASSESSMENT_CONTRACT = "regenaid.assessment/1"


# --- patients -------------------------------------------------------------------------------


@router.get(
    "/patients",
    response_model=Items[Patient],
    summary="The clinic's patients",
    responses=responses(403),
)
def list_patients(who: Reader, request: Request) -> Items[Patient]:
    """Every patient of the clinic (name, date of birth, sex, contact); audited as a read."""
    found = services.list_patients(uow(request), actor(request, who))
    return Items[Patient](items=list(found))


@router.post(
    "/patients",
    status_code=201,
    response_model=Patient,
    summary="Register a patient",
    responses=responses(409, 403),
)
def register_patient(body: PatientBody, who: Writer, request: Request) -> Patient:
    return services.register_patient(uow(request), actor(request, who), **body.model_dump())


@router.get(
    "/patients/{patient_id}",
    response_model=PatientChart,
    summary="A patient's chart",
    responses=responses(403, 404),
)
def open_patient(patient_id: PatientId, who: Reader, request: Request) -> PatientChart:
    """The patient with what the role may see: health answers, attached results, consents
    and courses for clinical roles (null otherwise); the session schedule for all."""
    chart = services.open_patient(uow(request), actor(request, who), patient_id)
    return PatientChart(
        patient=chart.patient,
        health=chart.health,
        results=None if chart.results is None else list(chart.results),
        consents=None if chart.consents is None else list(chart.consents),
        courses=None if chart.courses is None else list(chart.courses),
        sessions={key: list(value) for key, value in chart.sessions.items()},
    )


@router.patch(
    "/patients/{patient_id}",
    response_model=Patient,
    summary="Correct a patient's details",
    responses=responses(409, 403, 404),
)
def edit_patient(
    patient_id: PatientId, body: PatientChanges, who: Writer, request: Request
) -> Patient:
    """Change the fields sent (demographics and contact only); the rest stay as they are."""
    changes = body.model_dump(exclude_unset=True)
    return services.edit_patient(uow(request), actor(request, who), patient_id, changes)


@router.put(
    "/patients/{patient_id}/health",
    response_model=HealthAnswers,
    summary="Record the patient's current health answers",
    responses=responses(409, 403, 404),
)
def record_health(
    patient_id: PatientId, body: Health, who: Writer, request: Request
) -> HealthAnswers:
    """The decision aid's health flags (CONTRACT §1 `health`) as of now; a flag not sent is
    recorded as false. Screening before every session uses the newest answers."""
    return services.record_health_answers(
        uow(request), actor(request, who), patient_id, body.model_dump()
    )


@router.post(
    "/patients/{patient_id}/results",
    status_code=201,
    response_model=AttachedResult,
    summary="Attach a result the patient saved in the decision aid",
    responses=responses(403, 404, 409),
)
def attach_result(
    patient_id: PatientId, body: AttachResultBody, who: Writer, request: Request
) -> AttachedResult:
    """Copy the saved result behind the patient's private link (answers, assessment, choice)
    into the record; its health answers become the patient's current ones. A link that is
    unknown, expired or deleted is refused as invalid input (`token`); a result saved under
    another assessment contract or with answers the aid no longer accepts is refused
    (`result_not_current`)."""
    the_actor = actor(request, who)
    # the role first, so that a role without the right learns nothing about links
    the_actor.ctx.require(Action.VIEW_CLINICAL)
    the_actor.ctx.require(Action.PLAN_COURSE)
    saved = load_result(SqlUnitOfWork(request.app.state.session_factory), body.token)
    if saved is None:
        raise InvalidInputError("token", "no saved result behind this link (or it expired)")
    if saved.contract != ASSESSMENT_CONTRACT or saved.assessment.get("contract") not in (
        None,
        ASSESSMENT_CONTRACT,
    ):
        raise RefusedError(
            "result_not_current",
            f"the saved result is not a {ASSESSMENT_CONTRACT} assessment",
            "token",
        )
    try:
        parse_intake(saved.intake)
    except InvalidInputError as exc:
        raise RefusedError(
            "result_not_current",
            f"the saved answers are no longer accepted ({exc}); ask for a new result",
            "token",
        ) from exc
    return services.attach_saved_result(
        uow(request),
        the_actor,
        patient_id,
        intake=saved.intake,
        assessment=saved.assessment,
        choice=saved.choice,
        saved_at=_utc(saved.created_at),
    )


def _utc(moment: datetime) -> datetime:
    """The saved result's time in UTC (SQLite gives it back without its zone)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- consent --------------------------------------------------------------------------------


@router.get(
    "/consent-forms",
    response_model=Items[ConsentForm],
    summary="The clinic's consent texts, every version",
    responses=responses(),
)
def list_consent_forms(who: Reader, request: Request) -> Items[ConsentForm]:
    return Items[ConsentForm](items=list(services.consent_forms(uow(request), actor(request, who))))


@router.post(
    "/consent-forms",
    status_code=201,
    response_model=ConsentForm,
    summary="Add a consent text (the next version for its procedure)",
    responses=responses(409, 403),
)
def add_consent_form(body: ConsentFormBody, who: Writer, request: Request) -> ConsentForm:
    return services.add_consent_form(
        uow(request),
        actor(request, who),
        procedure=body.procedure,
        title=body.title,
        text=body.text,
    )


@router.post(
    "/patients/{patient_id}/consents",
    status_code=201,
    response_model=Consent,
    summary="Record the patient's consent on a consent text",
    responses=responses(403, 404, 409),
)
def record_consent(
    patient_id: PatientId, body: ConsentBody, who: Writer, request: Request
) -> Consent:
    """Consent to the form's procedure on that exact version of the text (an outdated
    version is refused: `consent_form_outdated`)."""
    return services.record_consent(uow(request), actor(request, who), patient_id, body.form_id)


@router.post(
    "/consents/{consent_id}/withdrawal",
    response_model=Consent,
    summary="Record that the patient withdrew a consent",
    responses=responses(403, 404, 409),
)
def withdraw_consent(
    consent_id: ConsentId, body: WithdrawalBody, who: Writer, request: Request
) -> Consent:
    """Kept, never deleted: the consent with who withdrew it, when and the note."""
    return services.withdraw_consent(uow(request), actor(request, who), consent_id, body.note)


# --- courses and sessions -------------------------------------------------------------------


@router.post(
    "/patients/{patient_id}/courses",
    status_code=201,
    response_model=CourseWithSessions,
    summary="Plan a treatment course",
    responses=responses(403, 404, 409),
)
def start_course(
    patient_id: PatientId, body: CourseBody, who: Writer, request: Request
) -> CourseWithSessions:
    """The option's protocol for the condition, dated from `start` over `horizon_months`
    (the consultation first where the protocol has one). Without `attached_result_id`,
    `severity` is required."""
    course, sessions = services.start_course(
        uow(request),
        actor(request, who),
        knowledge(),
        patient_id,
        condition=body.condition,
        treatment=body.treatment,
        start=body.start,
        horizon_months=body.horizon_months,
        severity=body.severity,
        attached_result_id=body.attached_result_id,
    )
    return CourseWithSessions(course=course, sessions=list(sessions))


@router.get(
    "/courses/{course_id}",
    response_model=CourseWithSessions,
    summary="A course and its sessions",
    responses=responses(403, 404),
)
def get_course(course_id: CourseId, who: Reader, request: Request) -> CourseWithSessions:
    course, sessions = open_course(uow(request), actor(request, who), course_id)
    return CourseWithSessions(course=course, sessions=list(sessions))


@router.post(
    "/sessions/{session_id}/done",
    response_model=CourseSession,
    summary="Record a session as done",
    responses=responses(403, 404, 409),
)
def session_done(
    session_id: SessionId, body: SessionDoneBody, who: Writer, request: Request
) -> CourseSession:
    """Screening runs again on the current health answers and a consent must be in force
    (refusals: `contraindicated`, `deferred`, `health_unknown`, `consent_missing`)."""
    return services.record_session_done(
        uow(request), actor(request, who), knowledge(), session_id, on=body.on, note=body.note
    )


@router.post(
    "/sessions/{session_id}/missed",
    response_model=CourseSession,
    summary="Record a session as missed",
    responses=responses(403, 404, 409),
)
def session_missed(
    session_id: SessionId, body: SessionMissedBody, who: Writer, request: Request
) -> CourseSession:
    return services.record_session_missed(uow(request), actor(request, who), session_id, body.note)


@router.post(
    "/sessions/{session_id}/moved",
    response_model=CourseSession,
    summary="Move a session to another day",
    responses=responses(403, 404, 409),
)
def session_moved(
    session_id: SessionId, body: SessionMovedBody, who: Writer, request: Request
) -> CourseSession:
    """A day outside the protocol's window needs a note saying why (`outside_window`)."""
    return services.move_session(uow(request), actor(request, who), session_id, body.to, body.note)
