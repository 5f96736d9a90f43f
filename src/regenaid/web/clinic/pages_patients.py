"""Patients: the list, registering and editing, and the patient's page (chart) with its forms:
health answers, an attached decision-aid result, consent, courses and their sessions.

What the page shows follows :class:`regenaid.clinic.services.PatientChart`: parts the role may
not see are None and are left out, not hidden with styling.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from regenaid.clinic.access import Action
from regenaid.clinic.adverse_events import AdverseEvent, ctcae_catalogue
from regenaid.clinic.courses import COURSE_TREATMENTS, Course, CourseSession
from regenaid.clinic.patients import PROCEDURES, SEXES, ConsentForm, Patient, latest_form
from regenaid.clinic.services import (
    PatientChart,
    attach_saved_result,
    consent_forms,
    edit_patient,
    list_patients,
    move_session,
    open_patient,
    record_consent,
    record_health_answers,
    record_session_done,
    record_session_missed,
    register_patient,
    start_course,
    withdraw_consent,
)
from regenaid.clinic.staff import SignedIn
from regenaid.clinic.treatments import PrpRecord, adverse_events, prp_records
from regenaid.decide.intake import HEALTH_FLAGS
from regenaid.errors import InvalidInputError
from regenaid.store import SqlUnitOfWork, load_result
from regenaid.store.shared_results import SURE_ITEMS
from regenaid.web.clinic import forms
from regenaid.web.clinic.auth import clinic_uow, signed_in
from regenaid.web.clinic.pages_common import (
    ClinicPageRoute,
    actor_of,
    attempt,
    done,
    kb,
    page,
    staff_form,
    today,
)
from regenaid.web.templating import strings

router = APIRouter(prefix="/clinic", route_class=ClinicPageRoute, include_in_schema=False)

SEX_LABELS = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Not known"}
PATIENT_FIELDS = ("given_name", "family_name", "birth_date", "sex", "phone", "email")
PATIENT_LABELS = {
    "given_name": "Given name",
    "family_name": "Family name",
    "birth_date": "Date of birth",
    "sex": "Sex",
    "phone": "Phone",
    "email": "E-mail",
}
SEVERITIES = ("mild", "moderate", "advanced")
HORIZON_MONTHS = (6, 12, 18, 24)
PROCEDURE_LABELS = {
    "prp": "PRP",
    "exosome": "Exosome therapy",
    "combination": "PRP plus exosomes",
    "records": "Keeping the patient's records",
}


# --- list, register, edit -------------------------------------------------------------------


@router.get("/patients")
def patients_page(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    found = list_patients(clinic_uow(request), actor_of(request, who))
    query = (request.query_params.get("q") or "").strip()[:100]
    if query:
        needle = query.casefold()
        found = [p for p in found if needle in p.display_name.casefold()]
    return page(
        request,
        "clinic/patients.html",
        {
            "title": "Patients",
            "patients": sorted(found, key=lambda p: (p.family_name, p.given_name)),
            "query": query,
        },
    )


def _patient_values(form: FormData) -> dict[str, Any]:
    return {
        "given_name": forms.raw(form, "given_name")[:200],
        "family_name": forms.raw(form, "family_name")[:200],
        "birth_date": forms.required_day(form, "birth_date"),
        "sex": forms.required_one_of(form, "sex", SEXES),
        "phone": forms.text(form, "phone"),
        "email": forms.text(form, "email"),
    }


def _patient_form(
    request: Request,
    *,
    patient: Patient | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    values: Mapping[str, object] | None = None,
) -> Response:
    if values is None and patient is not None:
        values = {
            "given_name": patient.given_name,
            "family_name": patient.family_name,
            "birth_date": patient.birth_date.isoformat(),
            "sex": patient.sex,
            "phone": patient.phone or "",
            "email": patient.email or "",
        }
    return page(
        request,
        "clinic/patient_form.html",
        {
            "title": "Edit patient" if patient else "Register a patient",
            "patient": patient,
            "sexes": [(s, SEX_LABELS[s]) for s in SEXES],
            "labels": PATIENT_LABELS,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status,
    )


@router.get("/patients/new")
def patient_new(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    who.ctx.require(Action.EDIT_PATIENT)
    return _patient_form(request, patient=None)


@router.post("/patients")
async def patient_create(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    form = await staff_form(request, who)

    def work() -> Response:
        who.ctx.require(Action.EDIT_PATIENT)
        patient = register_patient(
            clinic_uow(request), actor_of(request, who), **_patient_values(form)
        )
        return done(f"/clinic/patients/{patient.id}", "patient_saved")

    def again(errors: dict[str, str], _refusal: str | None, status: int) -> Response:
        values = forms.echo(form, PATIENT_FIELDS)
        return _patient_form(request, patient=None, errors=errors, status=status, values=values)

    return await run_in_threadpool(attempt, work, again)


@router.get("/patients/{patient_id}/edit")
def patient_edit_page(
    request: Request, patient_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    who.ctx.require(Action.EDIT_PATIENT)
    chart = open_patient(clinic_uow(request), actor_of(request, who), patient_id)
    return _patient_form(request, patient=chart.patient)


@router.post("/patients/{patient_id}/edit")
async def patient_edit(
    request: Request, patient_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    form = await staff_form(request, who)

    def work() -> Response:
        who.ctx.require(Action.EDIT_PATIENT)
        edit_patient(clinic_uow(request), actor_of(request, who), patient_id, _patient_values(form))
        return done(f"/clinic/patients/{patient_id}", "patient_saved")

    def again(errors: dict[str, str], _refusal: str | None, status: int) -> Response:
        chart = open_patient(clinic_uow(request), actor_of(request, who), patient_id)
        values = forms.echo(form, PATIENT_FIELDS)
        return _patient_form(
            request, patient=chart.patient, errors=errors, status=status, values=values
        )

    return await run_in_threadpool(attempt, work, again)


# --- the patient's page ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CourseView:
    course: Course | None  # None when the role may not see courses (the schedule only)
    sessions: Sequence[CourseSession]


def _sure_answers(choice: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    sure = (choice or {}).get("sure") or {}
    return [(item, str(sure[item])) for item in SURE_ITEMS if item in sure]


def _chart_context(request: Request, who: SignedIn, chart: PatientChart) -> dict[str, Any]:
    t = strings(request)
    actor = actor_of(request, who)
    by_id = {c.id: c for c in chart.courses or ()}
    courses = [
        CourseView(by_id.get(course_id), sorted(sessions, key=lambda s: s.number))
        for course_id, sessions in chart.sessions.items()
    ]
    forms_now: list[ConsentForm] = []
    if who.ctx.can(Action.RECORD_CONSENT):
        every = consent_forms(clinic_uow(request), actor)
        forms_now = [f for p in PROCEDURES if (f := latest_form(every, p)) is not None]
    preparations: Sequence[PrpRecord] = ()
    if who.ctx.can(Action.VIEW_PREPARATION):
        preparations = prp_records(clinic_uow(request), actor, chart.patient.id)
    events: Sequence[AdverseEvent] = ()
    if who.ctx.can(Action.VIEW_ADVERSE_EVENTS):
        events = adverse_events(clinic_uow(request), actor, chart.patient.id)
    flags = chart.health.flags if chart.health else {}
    knowledge = kb()
    return {
        "title": chart.patient.display_name,
        "chart": chart,
        "patient": chart.patient,
        "age": chart.patient.age_on(today()),
        "sex_label": SEX_LABELS.get(chart.patient.sex, chart.patient.sex),
        "courses": courses,
        "health_flags": [
            (f, t(f"intake.health_flags.{f}"), bool(flags.get(f))) for f in HEALTH_FLAGS
        ],
        "health_yes": [t(f"intake.health_flags.{f}") for f in HEALTH_FLAGS if flags.get(f)],
        "consent_forms": forms_now,
        "procedure_labels": PROCEDURE_LABELS,
        "preparations": preparations,
        "events": events,
        "term_names": {k: v.term for k, v in ctcae_catalogue().terms.items()},
        "sure_answers": _sure_answers,
        "conditions": [(c.id, c.name) for c in knowledge.conditions.values()],
        "condition_names": {c.id: c.name for c in knowledge.conditions.values()},
        "treatments": [(tr, t(f"option.{tr}")) for tr in COURSE_TREATMENTS],
        "severities": [(s, t(f"intake.severity_options.{s}")) for s in SEVERITIES],
        "horizons": [(str(m), f"{m} months") for m in HORIZON_MONTHS],
        "attached_choices": [
            (
                r.id,
                f"Saved {r.saved_at.date().isoformat()}: "
                + str(r.assessment.get("condition_name") or r.intake.get("condition")),
            )
            for r in chart.results or ()
        ],
    }


def _chart_page(
    request: Request,
    who: SignedIn,
    patient_id: str,
    *,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    refusal_at: str | None = None,
    status: int = 200,
    values: Mapping[str, object] | None = None,
) -> Response:
    chart = open_patient(clinic_uow(request), actor_of(request, who), patient_id)
    context = _chart_context(request, who, chart)
    context.update(
        errors=errors or {},
        refusal=refusal,
        refusal_at=refusal_at,
        values=values or {},
    )
    return page(request, "clinic/patient.html", context, status_code=status)


@router.get("/patients/{patient_id}")
def patient_page(request: Request, patient_id: str, who: SignedIn = Depends(signed_in)) -> Response:
    return _chart_page(request, who, patient_id)


async def _chart_post(
    request: Request,
    who: SignedIn,
    patient_id: str,
    write: Any,
    *,
    section: str,
    notice: str,
    names: Mapping[str, str] | None = None,
    echo: Sequence[str] | None = None,
) -> Response:
    """A form of the patient's page: ``write(form)`` runs the use case; on success back to the
    page's ``section``; on a refusal the page again, the refusal shown at that section."""
    form = await staff_form(request, who)

    def work() -> Response:
        write(form)
        return done(f"/clinic/patients/{patient_id}#{section}", notice)

    def again(errors: dict[str, str], refusal: str | None, status: int) -> Response:
        return _chart_page(
            request,
            who,
            patient_id,
            errors=errors,
            refusal=refusal,
            refusal_at=section,
            status=status,
            values=forms.echo(form, echo) if echo is not None else {},
        )

    return await run_in_threadpool(attempt, work, again, names)


@router.post("/patients/{patient_id}/health")
async def patient_health(
    request: Request, patient_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    def write(form: FormData) -> None:
        flags = {f: forms.ticked(form, f"health.{f}") for f in HEALTH_FLAGS}
        record_health_answers(clinic_uow(request), actor_of(request, who), patient_id, flags)

    return await _chart_post(
        request, who, patient_id, write, section="health", notice="health_saved"
    )


@router.post("/patients/{patient_id}/results")
async def patient_attach_result(
    request: Request, patient_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    def write(form: FormData) -> None:
        who.ctx.require(Action.VIEW_CLINICAL)  # before the link is even looked up
        who.ctx.require(Action.PLAN_COURSE)
        typed = forms.raw(form, "link")[:500]
        token = forms.saved_result_token(typed)
        if token is None:
            raise InvalidInputError(
                "link", "paste the private link the person saved (…/r/…) or its last part"
            )
        saved = load_result(SqlUnitOfWork(request.app.state.session_factory), token)
        if saved is None:
            raise InvalidInputError(
                "link", "no saved result has this link: it may be mistyped, deleted or expired"
            )
        attach_saved_result(
            clinic_uow(request),
            actor_of(request, who),
            patient_id,
            intake=saved.intake,
            assessment=saved.assessment,
            choice=saved.choice,
            # SQLite gives the saved time back without its zone; it was stored in UTC
            saved_at=saved.created_at
            if saved.created_at.tzinfo is not None
            else saved.created_at.replace(tzinfo=UTC),
        )

    return await _chart_post(
        request, who, patient_id, write, section="results", notice="result_attached"
    )


@router.post("/patients/{patient_id}/consents")
async def patient_consent(
    request: Request, patient_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    def write(form: FormData) -> None:
        who.ctx.require(Action.RECORD_CONSENT)
        form_id = forms.raw(form, "form_id").strip()[:64]
        if not form_id:
            raise InvalidInputError("form_id", "choose the consent text the patient read")
        if not forms.ticked(form, "confirmed"):
            raise InvalidInputError(
                "confirmed", "confirm that the patient read this text and agreed to it"
            )
        record_consent(clinic_uow(request), actor_of(request, who), patient_id, form_id)

    return await _chart_post(
        request, who, patient_id, write, section="consents", notice="consent_saved"
    )


@router.post("/consents/{consent_id}/withdraw")
async def consent_withdraw(
    request: Request, consent_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    form = await staff_form(request, who)
    patient_id = forms.raw(form, "patient_id").strip()[:64]

    def work() -> Response:
        consent = withdraw_consent(
            clinic_uow(request),
            actor_of(request, who),
            consent_id,
            forms.raw(form, "note")[:600],
        )
        return done(f"/clinic/patients/{consent.patient_id}#consents", "consent_withdrawn")

    def again(errors: dict[str, str], refusal: str | None, status: int) -> Response:
        keyed = {f"withdraw-{consent_id}": m for m in errors.values()}
        return _chart_page(
            request,
            who,
            patient_id,
            errors=keyed,
            refusal=refusal,
            refusal_at="consents",
            status=status,
        )

    return await run_in_threadpool(attempt, work, again)


COURSE_FIELDS = (
    "condition",
    "treatment",
    "start",
    "horizon_months",
    "severity",
    "attached_result_id",
)


@router.post("/patients/{patient_id}/courses")
async def patient_course(
    request: Request, patient_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    def write(form: FormData) -> None:
        who.ctx.require(Action.PLAN_COURSE)  # before the form is read
        knowledge = kb()
        horizon = forms.whole(form, "horizon_months")
        if horizon is None or not 1 <= horizon <= 60:
            raise InvalidInputError("horizon_months", "give the months to plan, 1 to 60")
        start_course(
            clinic_uow(request),
            actor_of(request, who),
            knowledge,
            patient_id,
            condition=forms.required_one_of(form, "condition", tuple(knowledge.conditions)),
            treatment=forms.required_one_of(form, "treatment", COURSE_TREATMENTS),
            start=forms.required_day(form, "start"),
            horizon_months=horizon,
            severity=forms.one_of(form, "severity", SEVERITIES),
            attached_result_id=forms.text(form, "attached_result_id", limit=64),
        )

    return await _chart_post(
        request,
        who,
        patient_id,
        write,
        section="courses",
        notice="course_started",
        echo=COURSE_FIELDS,
    )


# --- sessions: done (consultations), missed, moved ------------------------------------------


async def _session_post(
    request: Request, who: SignedIn, session_id: str, write: Any, notice: str
) -> Response:
    form = await staff_form(request, who)
    patient_id = forms.raw(form, "patient_id").strip()[:64]

    def work() -> Response:
        write(form)
        return done(f"/clinic/patients/{patient_id}#courses", notice)

    def again(errors: dict[str, str], refusal: str | None, status: int) -> Response:
        messages = list(errors.values()) or ([refusal] if refusal else [])
        return _chart_page(
            request,
            who,
            patient_id,
            errors={f"session-{session_id}": "; ".join(messages)},
            refusal=refusal,
            refusal_at="courses",
            status=status,
        )

    return await run_in_threadpool(attempt, work, again)


@router.post("/sessions/{session_id}/done")
async def session_done(
    request: Request, session_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    def write(form: FormData) -> None:
        who.ctx.require(Action.RECORD_SESSION)
        record_session_done(
            clinic_uow(request),
            actor_of(request, who),
            kb(),
            session_id,
            on=forms.day(form, "on") or today(),
            note=forms.text(form, "note", limit=1000),
        )

    return await _session_post(request, who, session_id, write, "session_done")


@router.post("/sessions/{session_id}/missed")
async def session_missed(
    request: Request, session_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    def write(form: FormData) -> None:
        record_session_missed(
            clinic_uow(request),
            actor_of(request, who),
            session_id,
            forms.text(form, "note", limit=1000),
        )

    return await _session_post(request, who, session_id, write, "session_missed")


@router.post("/sessions/{session_id}/move")
async def session_move(
    request: Request, session_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    def write(form: FormData) -> None:
        who.ctx.require(Action.MANAGE_APPOINTMENTS)
        move_session(
            clinic_uow(request),
            actor_of(request, who),
            session_id,
            forms.required_day(form, "to"),
            forms.text(form, "note", limit=1000),
        )

    return await _session_post(request, who, session_id, write, "session_moved")
