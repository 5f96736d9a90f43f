"""Recording what was given at a session: a PRP preparation (every field of
:class:`~regenaid.clinic.prp.PrpPreparation`, grouped as MIBO groups them) with its derived
values afterwards, or an exosome product from a lot; and the clinic's PRP protocols and
consent texts that those records are checked against.

Before the form is filled the page already runs the session's checks (screening on the
current health answers, consent in force) and shows a refusal plainly, with its reason; the
use case checks again when the form is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from regenaid.clinic.access import Action
from regenaid.clinic.courses import Course, CourseSession
from regenaid.clinic.errors import RecordNotFoundError, RefusedError
from regenaid.clinic.exosome_lots import ROUTES, THROUGH_SKIN_ROUTES, ExosomeLot
from regenaid.clinic.patients import PROCEDURES, Patient, latest_form
from regenaid.clinic.ports import ClinicUnitOfWork
from regenaid.clinic.prp import (
    MIBO_ITEMS,
    Activation,
    Anticoagulant,
    Brake,
    InjectionTechnique,
    PrpPreparation,
    PrpProtocol,
    Range,
    Spin,
    SpinLimits,
    SystemType,
)
from regenaid.clinic.prp_record import MAX_SPINS
from regenaid.clinic.services import Actor, add_consent_form, audit, check_session, consent_forms
from regenaid.clinic.staff import SignedIn
from regenaid.clinic.treatments import (
    EXOSOME_TREATMENTS,
    PRP_TREATMENTS,
    lots,
    prp_protocols,
    prp_records,
    record_exosome_session,
    record_prp_session,
    save_prp_protocol,
)
from regenaid.errors import InvalidInputError
from regenaid.knowledge import KnowledgeBase
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
from regenaid.web.clinic.pages_patients import PROCEDURE_LABELS

router = APIRouter(prefix="/clinic", route_class=ClinicPageRoute, include_in_schema=False)


@dataclass(frozen=True, slots=True)
class SessionAtHand:
    """The session about to be recorded, and what its checks say today (None: no refusal)."""

    session: CourseSession
    course: Course
    patient: Patient
    refusal: str | None


def session_at_hand(
    uow: ClinicUnitOfWork, actor: Actor, knowledge: KnowledgeBase, session_id: str, day: date
) -> SessionAtHand:
    """The session with its course and patient and today's checks (screening, consent),
    audited as a read of the session; refusals are returned to be shown, not raised."""
    actor.ctx.require(Action.RECORD_SESSION)
    with uow:
        session = uow.records(CourseSession).get(actor.clinic_id, session_id)
        course = uow.records(Course).get(actor.clinic_id, session.course_id)
        patient = uow.records(Patient).get(actor.clinic_id, course.patient_id)
        refusal = None
        if session.status in ("done", "missed"):
            refusal = f"Session {session.number} is already recorded as {session.status}."
        else:
            try:
                check_session(uow, actor, knowledge, session_id, day)
            except (RefusedError, InvalidInputError) as err:
                refusal = err.reason if isinstance(err, RefusedError) else str(err)
        audit(uow, actor, "read", "course_session", session.id, "record_form")
        uow.commit()
    return SessionAtHand(session, course, patient, refusal)


# --- PRP ------------------------------------------------------------------------------------

NUMBER_FIELDS = (
    "whole_blood_volume_ml",
    "anticoagulant_volume_ml",
    "claimed_concentration_factor",
    "rotor_radius_cm",
    "baseline_platelets_k_per_ul",
    "baseline_leukocytes_k_per_ul",
    "baseline_neutrophil_percent",
    "baseline_haematocrit_percent",
    "prp_platelets_k_per_ul",
    "prp_leukocytes_k_per_ul",
    "prp_neutrophil_percent",
    "prp_red_cells_m_per_ul",
    "final_volume_ml",
    "activation_ratio",
    "injection_depth_mm",
    "treated_area_cm2",
    "injected_volume_ml",
)
TEXT_FIELDS = ("kit_brand", "kit_lot", "centrifuge_model", "analyser", "activation_detail")
CHOICE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "anticoagulant": tuple(a.value for a in Anticoagulant),
    "system_type": tuple(s.value for s in SystemType),
    "activation": tuple(a.value for a in Activation),
    "injection_technique": tuple(i.value for i in InjectionTechnique),
}
TIME_FIELDS = ("drawn_at", "ready_at", "injected_at")
SPIN_UNITS = ("rpm", "g")
_SPIN_PART = {"rpm": "speed", "rcf_g": "speed", "minutes": "minutes"}
_SPIN_PART.update(temperature_c="temperature_c", brake="brake")

CHOICE_LABELS: Mapping[str, Mapping[str, str]] = {
    "anticoagulant": {
        "acd_a": "ACD-A (acid-citrate-dextrose A)",
        "sodium_citrate": "Sodium citrate",
        "heparin": "Heparin",
        "edta": "EDTA",
        "other": "Other",
        "none": "None (spun without anticoagulant)",
    },
    "system_type": {"closed": "Closed (never open to air)", "open": "Open"},
    "activation": {
        "none": "None (left to activate in the tissue)",
        "calcium_chloride": "Calcium chloride",
        "thrombin": "Thrombin",
        "other": "Other (say which)",
    },
    "injection_technique": {
        "manual_syringe": "Syringe by hand",
        "injector_device": "Injector device",
        "microneedling": "With microneedling",
        "other": "Other",
    },
    "brake": {"unknown": "Not noted", "on": "On", "off": "Off"},
}


def _spins(form: FormData) -> tuple[tuple[Spin, ...], list[int]]:
    """The spins typed (blank rows skipped) and, for each, its row number in the form."""
    spins: list[Spin] = []
    rows: list[int] = []
    for row in range(MAX_SPINS):
        name = f"spins.{row}"
        speed = forms.number(form, f"{name}.speed")
        minutes = forms.number(form, f"{name}.minutes")
        temperature = forms.number(form, f"{name}.temperature_c")
        if speed is None and minutes is None and temperature is None:
            continue
        if speed is None:
            raise InvalidInputError(f"{name}.speed", "give the speed of this spin (rpm or g)")
        if minutes is None:
            raise InvalidInputError(f"{name}.minutes", "give the minutes of this spin")
        unit = forms.one_of(form, f"{name}.unit", SPIN_UNITS) or "rpm"
        brake = forms.one_of(form, f"{name}.brake", tuple(b.value for b in Brake)) or "unknown"
        try:
            spins.append(
                Spin(
                    rpm=speed if unit == "rpm" else None,
                    rcf_g=speed if unit == "g" else None,
                    minutes=minutes,
                    temperature_c=temperature,
                    brake=Brake(brake),
                )
            )
        except InvalidInputError as err:
            part = _SPIN_PART.get(err.field, "speed")
            raise InvalidInputError(f"{name}.{part}", err.message) from None
        rows.append(row)
    return tuple(spins), rows


def _form_field(field: str, rows: list[int]) -> str:
    """The form's name for a field a PRP rule named (``spins[1].rpm`` -> ``spins.<row>.speed``)."""
    if field.startswith("spins["):
        index = int(field[6 : field.index("]")])
        part = field[field.index("]") + 2 :] if "]." in field else "rpm"
        row = rows[index] if index < len(rows) else index
        return f"spins.{row}.{_SPIN_PART.get(part, 'speed')}"
    if field == "spins":
        return "spins.0.speed"
    return field


def parse_preparation(form: FormData, session_id: str) -> tuple[PrpPreparation, list[int]]:
    """The preparation as typed; every refusal names the form's field."""
    tz = forms.zone(form)
    spins, rows = _spins(form)
    values: dict[str, Any] = {name: forms.number(form, name) for name in NUMBER_FIELDS}
    values.update({name: forms.text(form, name) for name in TEXT_FIELDS})
    values.update(
        {name: forms.one_of(form, name, allowed) for name, allowed in CHOICE_FIELDS.items()}
    )
    values["needle_gauge"] = forms.whole(form, "needle_gauge")
    values["drawn_at"] = forms.required_moment(form, "drawn_at", tz)
    values["ready_at"] = forms.moment(form, "ready_at", tz)
    values["injected_at"] = forms.moment(form, "injected_at", tz)
    values["protocol_id"] = forms.text(form, "protocol_id", limit=64)
    try:
        return PrpPreparation(session_id=session_id, spins=spins, **values), rows
    except InvalidInputError as err:
        raise InvalidInputError(_form_field(err.field, rows), err.message, err.allowed) from None


def _prp_form(
    request: Request,
    who: SignedIn,
    session_id: str,
    *,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    status: int = 200,
    values: Mapping[str, object] | None = None,
) -> Response:
    who.ctx.require(Action.RECORD_PREPARATION)
    actor = actor_of(request, who)
    at_hand = session_at_hand(clinic_uow(request), actor, kb(), session_id, today())
    protocols = prp_protocols(clinic_uow(request), actor)
    return page(
        request,
        "clinic/prp_form.html",
        {
            "title": "Record a PRP session",
            "at_hand": at_hand,
            "not_prp": at_hand.course.treatment not in PRP_TREATMENTS,
            "protocols": [(p.id, p.protocol.name) for p in protocols],
            "choices": {
                name: [(v, CHOICE_LABELS[name][v]) for v in allowed]
                for name, allowed in CHOICE_FIELDS.items()
            },
            "brakes": list(CHOICE_LABELS["brake"].items()),
            "spin_rows": range(MAX_SPINS),
            "errors": errors or {},
            "refusal": refusal,
            "values": values or {"on": today().isoformat(), "tz": forms.DEFAULT_ZONE},
        },
        status_code=status,
    )


@router.get("/sessions/{session_id}/prp")
def prp_page(request: Request, session_id: str, who: SignedIn = Depends(signed_in)) -> Response:
    return _prp_form(request, who, session_id)


@router.post("/sessions/{session_id}/prp")
async def prp_post(
    request: Request, session_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    form = await staff_form(request, who)
    rows: list[int] = []

    def work() -> Response:
        nonlocal rows
        who.ctx.require(Action.RECORD_SESSION)
        who.ctx.require(Action.RECORD_PREPARATION)
        preparation, rows = parse_preparation(form, session_id)
        try:
            record = record_prp_session(
                clinic_uow(request),
                actor_of(request, who),
                kb(),
                preparation,
                on=forms.day(form, "on") or today(),
                deviation_note=forms.text(form, "deviation_note", limit=1000),
                note=forms.text(form, "note", limit=1000),
            )
        except InvalidInputError as err:
            raise InvalidInputError(_form_field(err.field, rows), err.message) from None
        return done(f"/clinic/patients/{record.patient_id}/prp/{record.id}", "prp_saved")

    def again(errors: dict[str, str], refusal: str | None, status: int) -> Response:
        return _prp_form(
            request,
            who,
            session_id,
            errors=errors,
            refusal=refusal,
            status=status,
            values=forms.echo(form),
        )

    return await run_in_threadpool(attempt, work, again)


@router.get("/patients/{patient_id}/prp/{record_id}")
def prp_record_page(
    request: Request, patient_id: str, record_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    found = [
        r
        for r in prp_records(clinic_uow(request), actor_of(request, who), patient_id)
        if r.id == record_id
    ]
    if not found:
        raise RecordNotFoundError("prp_preparation", record_id)
    record = found[0]
    items = {item.id: item for item in MIBO_ITEMS}
    return page(
        request,
        "clinic/prp_record.html",
        {
            "title": "PRP preparation",
            "record": record,
            "prep": record.preparation,
            "derived": record.derived,
            "patient_id": patient_id,
            "missing": [items[i] for i in record.derived.mibo.missing if i in items],
            "labels": CHOICE_LABELS,
        },
    )


# --- exosome --------------------------------------------------------------------------------


def _usable(lot: ExosomeLot, day: date) -> bool:
    return not lot.is_recalled and day <= lot.expiry_date and lot.quantity_left > 0


def _exosome_form(
    request: Request,
    who: SignedIn,
    session_id: str,
    *,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    status: int = 200,
    values: Mapping[str, object] | None = None,
) -> Response:
    actor = actor_of(request, who)
    at_hand = session_at_hand(clinic_uow(request), actor, kb(), session_id, today())
    stock = lots(clinic_uow(request), actor)
    day = today()
    topical_only = any(not THROUGH_SKIN_ROUTES.intersection(lot.labelled_routes) for lot in stock)
    errors = errors or {}
    return page(
        request,
        "clinic/exosome_form.html",
        {
            "title": "Record an exosome session",
            "at_hand": at_hand,
            "not_exosome": at_hand.course.treatment not in EXOSOME_TREATMENTS,
            "usable": [lot for lot in stock if _usable(lot, day)],
            "unusable": [lot for lot in stock if not _usable(lot, day)],
            "routes": [(r, r) for r in ROUTES],
            "show_override": topical_only or "override_reason" in errors,
            "errors": errors,
            "refusal": refusal,
            "values": values or {"on": day.isoformat()},
        },
        status_code=status,
    )


@router.get("/sessions/{session_id}/exosome")
def exosome_page(request: Request, session_id: str, who: SignedIn = Depends(signed_in)) -> Response:
    return _exosome_form(request, who, session_id)


@router.post("/sessions/{session_id}/exosome")
async def exosome_post(
    request: Request, session_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    form = await staff_form(request, who)

    def work() -> Response:
        who.ctx.require(Action.RECORD_SESSION)
        lot_id = forms.text(form, "lot_id", limit=64)
        if lot_id is None:
            raise InvalidInputError("lot_id", "choose the lot used")
        quantity = forms.text(form, "quantity", limit=20)
        if quantity is None:
            raise InvalidInputError("quantity", "give the amount used")
        use = record_exosome_session(
            clinic_uow(request),
            actor_of(request, who),
            kb(),
            session_id,
            lot_id=lot_id,
            quantity=quantity.replace(",", "."),
            route=forms.required_one_of(form, "route", ROUTES),
            on=forms.day(form, "on") or today(),
            override_reason=forms.text(form, "override_reason", limit=1000),
            note=forms.text(form, "note", limit=1000),
        )
        return done(f"/clinic/patients/{use.patient_id}#courses", "exosome_saved")

    def again(errors: dict[str, str], refusal: str | None, status: int) -> Response:
        return _exosome_form(
            request,
            who,
            session_id,
            errors=errors,
            refusal=refusal,
            status=status,
            values=forms.echo(form),
        )

    return await run_in_threadpool(attempt, work, again)


# --- PRP protocols and consent texts --------------------------------------------------------

PROTOCOL_SPIN_ROWS = 2


def _range(form: FormData, prefix: str) -> Range | None:
    low = forms.number(form, f"{prefix}_low")
    high = forms.number(form, f"{prefix}_high")
    if low is None and high is None:
        return None
    if low is None:
        raise InvalidInputError(f"{prefix}_low", "give the lowest allowed value too")
    if high is None:
        raise InvalidInputError(f"{prefix}_high", "give the highest allowed value too")
    try:
        return Range(low, high)
    except InvalidInputError as err:
        raise InvalidInputError(f"{prefix}_{err.field}", err.message) from None


def parse_protocol(form: FormData) -> PrpProtocol:
    spins = []
    for row in range(PROTOCOL_SPIN_ROWS):
        force = _range(form, f"spin{row}_rcf")
        minutes = _range(form, f"spin{row}_minutes")
        if force is None and minutes is None:
            continue
        if force is None:
            raise InvalidInputError(f"spin{row}_rcf_low", "give the force range of this spin")
        if minutes is None:
            raise InvalidInputError(f"spin{row}_minutes_low", "give the time range of this spin")
        spins.append(SpinLimits(rcf_g=force, minutes=minutes))
    name = forms.text(form, "name", limit=100) or ""
    if not spins:
        raise InvalidInputError("spin0_rcf_low", "a protocol sets at least one spin")
    return PrpProtocol(
        name=name,
        spins=tuple(spins),
        whole_blood_volume_ml=_range(form, "blood"),
        final_volume_ml=_range(form, "final"),
        concentration_factor=_range(form, "factor"),
    )


def _protocols_page(
    request: Request,
    who: SignedIn,
    *,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    status: int = 200,
    values: Mapping[str, object] | None = None,
) -> Response:
    who.ctx.require(Action.MANAGE_PROTOCOLS)
    actor = actor_of(request, who)
    texts = consent_forms(clinic_uow(request), actor)
    current = {f.id for p in PROCEDURES if (f := latest_form(texts, p)) is not None}
    return page(
        request,
        "clinic/protocols.html",
        {
            "title": "Protocols and consent texts",
            "protocols": prp_protocols(clinic_uow(request), actor),
            "consent_texts": sorted(texts, key=lambda f: (f.procedure, -f.version)),
            "current_texts": current,
            "procedures": [(p, PROCEDURE_LABELS[p]) for p in PROCEDURES],
            "procedure_labels": PROCEDURE_LABELS,
            "spin_rows": range(PROTOCOL_SPIN_ROWS),
            "errors": errors or {},
            "refusal": refusal,
            "values": values or {},
        },
        status_code=status,
    )


@router.get("/protocols")
def protocols_page(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    return _protocols_page(request, who)


@router.post("/protocols")
async def protocol_post(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    form = await staff_form(request, who)

    def work() -> Response:
        who.ctx.require(Action.MANAGE_PROTOCOLS)
        save_prp_protocol(clinic_uow(request), actor_of(request, who), parse_protocol(form))
        return done("/clinic/protocols#prp-protocols", "protocol_saved")

    def again(errors: dict[str, str], refusal: str | None, status: int) -> Response:
        return _protocols_page(
            request, who, errors=errors, refusal=refusal, status=status, values=forms.echo(form)
        )

    return await run_in_threadpool(attempt, work, again)


@router.post("/consent-forms")
async def consent_form_post(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    form = await staff_form(request, who)

    def work() -> Response:
        who.ctx.require(Action.MANAGE_PROTOCOLS)
        add_consent_form(
            clinic_uow(request),
            actor_of(request, who),
            procedure=forms.required_one_of(form, "procedure", PROCEDURES),
            title=forms.raw(form, "title")[:200],
            text=forms.raw(form, "text")[:20_000],
        )
        return done("/clinic/protocols#consent-forms", "consent_form_saved")

    def again(errors: dict[str, str], refusal: str | None, status: int) -> Response:
        return _protocols_page(
            request, who, errors=errors, refusal=refusal, status=status, values=forms.echo(form)
        )

    return await run_in_threadpool(attempt, work, again)
