"""Adverse events: the form (a CTCAE v5.0 term, then its own grade texts; seriousness after
ICH E2A; what was done; the outcome) and the clinic's list, serious events highlighted, each
with where to report it.

The form works without script in two steps: choose the term and press "Show its grades" (a
GET that reloads the form with that term's grade texts as the grade choices).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from regenaid.clinic.access import Action
from regenaid.clinic.adverse_events import (
    ACTIONS_TAKEN,
    OUTCOMES,
    SERIOUSNESS_CRITERIA,
    AdverseEvent,
    CtcaeTerm,
    ReportingRoute,
    ctcae_catalogue,
    is_serious,
    reporting_routes,
)
from regenaid.clinic.patients import Patient
from regenaid.clinic.services import list_patients, open_patient
from regenaid.clinic.staff import SignedIn
from regenaid.clinic.treatments import adverse_events, lots, prp_records, report_adverse_event
from regenaid.errors import InvalidInputError
from regenaid.web.clinic import forms
from regenaid.web.clinic.auth import clinic_uow, signed_in
from regenaid.web.clinic.pages_common import (
    ClinicPageRoute,
    actor_of,
    attempt,
    done,
    page,
    staff_form,
)
from regenaid.web.clinic.pages_stock import source_title

router = APIRouter(prefix="/clinic", route_class=ClinicPageRoute, include_in_schema=False)

SERIOUSNESS_LABELS = {
    "death": "Resulted in death",
    "life_threatening": "Life-threatening",
    "hospitalisation": "Needed or prolonged a hospital stay",
    "disability": "Persistent or significant disability",
    "congenital_anomaly": "Congenital anomaly",
    "other_important_medical_event": "Another important medical event",
}
ACTION_LABELS = {
    "none": "Nothing",
    "observation": "Watched",
    "local_care": "Local care",
    "medication": "Medicine",
    "procedure": "A procedure",
    "referred": "Referred",
    "hospitalised": "Admitted to hospital",
    "course_paused": "Course paused",
    "course_stopped": "Course stopped",
}
OUTCOME_LABELS = {
    "recovered": "Recovered",
    "recovering": "Recovering",
    "not_recovered": "Not recovered",
    "recovered_with_sequelae": "Recovered with lasting effects",
    "fatal": "Fatal",
    "unknown": "Not known",
}
EVENT_LABELS = {
    "term_id": "CTCAE term",
    "grade": "Grade",
    "onset": "Began at",
    "outcome": "Outcome",
    "seriousness": "Seriousness",
    "actions_taken": "What was done",
    "term_detail": "Name of the event",
    "resolved_on": "Resolved on",
    "session_id": "Session",
    "product_lot_id": "Exosome lot",
    "prp_preparation_id": "PRP preparation",
}


def _terms_by_soc() -> list[tuple[str, list[CtcaeTerm]]]:
    groups: dict[str, list[CtcaeTerm]] = {}
    for term in ctcae_catalogue().terms.values():
        groups.setdefault(term.soc, []).append(term)
    return [(soc, sorted(terms, key=lambda t: t.term)) for soc, terms in sorted(groups.items())]


def product_kind(event: AdverseEvent) -> str:
    """What was given, as far as the event says: a lot means an exosome product, a PRP
    preparation PRP; neither named: none (so no regulator route is shown)."""
    if event.product_lot_id:
        return "exosome"
    if event.prp_preparation_id:
        return "prp"
    return "none"


@dataclass(frozen=True, slots=True)
class EventLine:
    event: AdverseEvent
    patient: Patient | None
    term: CtcaeTerm
    routes: list[ReportingRoute]
    serious: bool


@router.get("/adverse-events")
def events_page(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    actor = actor_of(request, who)
    found = adverse_events(clinic_uow(request), actor)
    people = {p.id: p for p in list_patients(clinic_uow(request), actor)} if found else {}
    terms = ctcae_catalogue().terms
    jurisdiction = who.clinic.jurisdiction
    lines = [
        EventLine(
            event=e,
            patient=people.get(e.patient_id),
            term=terms[e.term_id],
            routes=reporting_routes(e, product_kind(e), jurisdiction),
            serious=is_serious(e),
        )
        for e in sorted(found, key=lambda e: e.onset, reverse=True)
    ]
    return page(
        request,
        "clinic/events.html",
        {
            "title": "Adverse events",
            "lines": lines,
            "jurisdiction": jurisdiction,
            "seriousness_labels": SERIOUSNESS_LABELS,
            "action_labels": ACTION_LABELS,
            "outcome_labels": OUTCOME_LABELS,
            "source_title": source_title,
            "catalogue": ctcae_catalogue(),
        },
    )


def _event_form(
    request: Request,
    who: SignedIn,
    patient_id: str,
    term_id: str | None,
    *,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    status: int = 200,
    values: Mapping[str, object] | None = None,
) -> Response:
    who.ctx.require(Action.REPORT_ADVERSE_EVENT)
    actor = actor_of(request, who)
    chart = open_patient(clinic_uow(request), actor, patient_id)
    catalogue = ctcae_catalogue()
    term = catalogue.terms.get(term_id or "")
    sessions = [
        (s.id, f"Session {s.number} ({s.kind}), {s.status} {(s.on or s.planned).isoformat()}")
        for course_sessions in chart.sessions.values()
        for s in course_sessions
        if s.status == "done"
    ]
    stock = lots(clinic_uow(request), actor) if who.ctx.can(Action.VIEW_LOTS) else []
    preparations = (
        prp_records(clinic_uow(request), actor, patient_id)
        if who.ctx.can(Action.VIEW_PREPARATION)
        else []
    )
    shown: dict[str, object] = {"term_id": term_id or "", "tz": forms.DEFAULT_ZONE}
    shown.update(values or {})
    return page(
        request,
        "clinic/event_form.html",
        {
            "title": "Report an adverse event",
            "patient": chart.patient,
            "catalogue": catalogue,
            "terms_by_soc": _terms_by_soc(),
            "term": term,
            "sessions": sessions,
            "lot_options": [(lot.id, f"{lot.product_name}, lot {lot.lot_number}") for lot in stock],
            "prep_options": [
                (r.id, f"{r.recorded_at.date().isoformat()}: PAW {r.paw_code}")
                for r in preparations
            ],
            "seriousness": [(s, SERIOUSNESS_LABELS[s]) for s in SERIOUSNESS_CRITERIA],
            "actions": [(a, ACTION_LABELS[a]) for a in ACTIONS_TAKEN],
            "outcomes": [(o, OUTCOME_LABELS[o]) for o in OUTCOMES],
            "chosen_seriousness": _list(shown, "seriousness"),
            "chosen_actions": _list(shown, "actions_taken"),
            "labels": EVENT_LABELS,
            "errors": errors or {},
            "refusal": refusal,
            "values": shown,
        },
        status_code=status,
    )


def _list(values: Mapping[str, object], name: str) -> list[str]:
    value = values.get(name)
    if isinstance(value, list):
        return [str(v) for v in value]
    return [value] if isinstance(value, str) and value else []


@router.get("/patients/{patient_id}/adverse-events/new")
def event_new(request: Request, patient_id: str, who: SignedIn = Depends(signed_in)) -> Response:
    term_id = (request.query_params.get("term_id") or "").strip()[:64] or None
    errors = {}
    if term_id is not None and term_id not in ctcae_catalogue().terms:
        errors["term_id"] = "choose a term from the list"
        term_id = None
    return _event_form(
        request, who, patient_id, term_id, errors=errors, status=422 if errors else 200
    )


def event_values(form: FormData, patient_id: str) -> dict[str, Any]:
    tz = forms.zone(form)
    term_id = forms.required_one_of(form, "term_id", tuple(ctcae_catalogue().terms))
    grade = forms.whole(form, "grade")
    if grade is None:
        raise InvalidInputError("grade", "choose the grade")
    return {
        "patient_id": patient_id,
        "term_id": term_id,
        "grade": grade,
        "onset": forms.required_moment(form, "onset", tz),
        "outcome": forms.required_one_of(form, "outcome", OUTCOMES),
        "session_id": forms.text(form, "session_id", limit=64),
        "product_lot_id": forms.text(form, "product_lot_id", limit=64),
        "prp_preparation_id": forms.text(form, "prp_preparation_id", limit=64),
        "term_detail": forms.text(form, "term_detail"),
        "seriousness": forms.many(form, "seriousness", SERIOUSNESS_CRITERIA),
        "actions_taken": forms.many(form, "actions_taken", ACTIONS_TAKEN),
        "resolved_on": forms.day(form, "resolved_on"),
        "description": forms.text(form, "description", limit=4000),
    }


@router.post("/patients/{patient_id}/adverse-events")
async def event_create(
    request: Request, patient_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    form = await staff_form(request, who)

    def work() -> Response:
        who.ctx.require(Action.REPORT_ADVERSE_EVENT)
        event = report_adverse_event(
            clinic_uow(request), actor_of(request, who), **event_values(form, patient_id)
        )
        return done(f"/clinic/adverse-events#event-{event.id}", "event_saved")

    def again(errors: dict[str, str], refusal: str | None, status: int) -> Response:
        term_id = forms.raw(form, "term_id").strip()[:64] or None
        return _event_form(
            request,
            who,
            patient_id,
            term_id,
            errors=errors,
            refusal=refusal,
            status=status,
            values=forms.echo(form),
        )

    return await run_in_threadpool(attempt, work, again)
