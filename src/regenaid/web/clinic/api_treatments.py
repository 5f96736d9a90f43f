"""What is given at a session (PRP preparations, exosome lot uses), the clinic's PRP
protocols, its exosome stock and recalls, and adverse events."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy.exc import IntegrityError

from regenaid.clinic import treatments
from regenaid.clinic.adverse_events import AdverseEvent
from regenaid.clinic.errors import RefusedError
from regenaid.clinic.exosome_lots import ExosomeLot, LotUse
from regenaid.clinic.prp import PrpPreparation, PrpProtocol, Range, Spin, SpinLimits
from regenaid.clinic.treatments import ClinicPrpProtocol, PrpRecord
from regenaid.errors import InvalidInputError
from regenaid.web.clinic.api_common import (
    ClinicApiRoute,
    Reader,
    Writer,
    actor,
    knowledge,
    responses,
    uow,
)
from regenaid.web.clinic.api_reads import adverse_events_of
from regenaid.web.clinic.schemas import (
    ID_PATTERN,
    AdverseEventBody,
    ExosomeSessionBody,
    Items,
    LotBody,
    PrpProtocolBody,
    PrpSessionBody,
    RangeBody,
    RecallBody,
    RecallLine,
    RecallList,
    RecallPatient,
)

router = APIRouter(route_class=ClinicApiRoute)

SessionId = Annotated[str, Path(pattern=ID_PATTERN, description="A course session's id")]
PatientId = Annotated[str, Path(pattern=ID_PATTERN, description="A patient's id")]
LotId = Annotated[str, Path(pattern=ID_PATTERN, description="An exosome lot's id")]


def _prefixed(prefix: str, exc: InvalidInputError) -> InvalidInputError:
    return InvalidInputError(f"{prefix}.{exc.field}", exc.message, exc.allowed)


def _preparation(session_id: str, body: PrpSessionBody) -> PrpPreparation:
    spins: list[Spin] = []
    for index, spin in enumerate(body.spins):
        try:
            spins.append(Spin(**spin.model_dump()))
        except InvalidInputError as exc:
            raise _prefixed(f"spins.{index}", exc) from exc
    values = body.model_dump(exclude={"on", "deviation_note", "note", "spins"})
    return PrpPreparation(session_id=session_id, spins=tuple(spins), **values)


def _range(name: str, body: RangeBody | None) -> Range | None:
    if body is None:
        return None
    try:
        return Range(body.low, body.high)
    except InvalidInputError as exc:
        raise _prefixed(name, exc) from exc


def _protocol(body: PrpProtocolBody) -> PrpProtocol:
    limits = []
    for index, spin in enumerate(body.spins):
        rcf = _range(f"spins.{index}.rcf_g", spin.rcf_g)
        minutes = _range(f"spins.{index}.minutes", spin.minutes)
        assert rcf is not None and minutes is not None
        limits.append(SpinLimits(rcf_g=rcf, minutes=minutes))
    return PrpProtocol(
        name=body.name,
        spins=tuple(limits),
        whole_blood_volume_ml=_range("whole_blood_volume_ml", body.whole_blood_volume_ml),
        final_volume_ml=_range("final_volume_ml", body.final_volume_ml),
        concentration_factor=_range("concentration_factor", body.concentration_factor),
    )


# --- PRP ------------------------------------------------------------------------------------


@router.post(
    "/sessions/{session_id}/prp",
    status_code=201,
    response_model=PrpRecord,
    summary="Record a PRP session and its preparation",
    responses=responses(403, 404, 409),
)
def record_prp_session(
    session_id: SessionId, body: PrpSessionBody, who: Writer, request: Request
) -> PrpRecord:
    """One transaction: screening and consent checked (`contraindicated`, `consent_missing`,
    ...), the preparation stored with its derived values (RCF, concentration factor, dose,
    PAW, DEPA, Dohan Ehrenfest family, MIBO completeness, formula version), the session done.
    Outside the clinic's protocol (`protocol_id`) it needs `deviation_note`
    (`protocol_deviation`)."""
    try:
        return treatments.record_prp_session(
            uow(request),
            actor(request, who),
            knowledge(),
            _preparation(session_id, body),
            on=body.on,
            deviation_note=body.deviation_note,
            note=body.note,
        )
    except IntegrityError as exc:  # one preparation per session (stored before the status)
        raise RefusedError(
            "already_done", "this session's preparation is already recorded", "session_id"
        ) from exc


@router.get(
    "/patients/{patient_id}/prp-records",
    response_model=Items[PrpRecord],
    summary="A patient's PRP preparations",
    responses=responses(403, 404),
)
def list_prp_records(patient_id: PatientId, who: Reader, request: Request) -> Items[PrpRecord]:
    found = treatments.prp_records(uow(request), actor(request, who), patient_id)
    return Items[PrpRecord](items=list(found))


@router.get(
    "/prp-protocols",
    response_model=Items[ClinicPrpProtocol],
    summary="The clinic's PRP protocols in use",
    responses=responses(403),
)
def list_prp_protocols(who: Reader, request: Request) -> Items[ClinicPrpProtocol]:
    found = treatments.prp_protocols(uow(request), actor(request, who))
    return Items[ClinicPrpProtocol](items=list(found))


@router.post(
    "/prp-protocols",
    status_code=201,
    response_model=ClinicPrpProtocol,
    summary="Save a validated PRP protocol",
    responses=responses(403, 409),
)
def save_prp_protocol(body: PrpProtocolBody, who: Writer, request: Request) -> ClinicPrpProtocol:
    """Spins (force in g, minutes), volumes and concentration factor as inclusive ranges;
    preparations recorded with this protocol are checked against it."""
    return treatments.save_prp_protocol(uow(request), actor(request, who), _protocol(body))


# --- exosome lots ---------------------------------------------------------------------------


@router.post(
    "/sessions/{session_id}/exosome",
    status_code=201,
    response_model=LotUse,
    summary="Record an exosome session and the lot used",
    responses=responses(403, 404, 409),
)
def record_exosome_session(
    session_id: SessionId, body: ExosomeSessionBody, who: Writer, request: Request
) -> LotUse:
    """One transaction: screening and consent checked, the lot checked (`lot_recalled`,
    `lot_expired`, `lot_failed_safety_test`, `lot_exhausted`, `insufficient_quantity`,
    `route_override_needed`), its stock reduced, the use stored, the session done."""
    return treatments.record_exosome_session(
        uow(request),
        actor(request, who),
        knowledge(),
        session_id,
        lot_id=body.lot_id,
        quantity=body.quantity,
        route=body.route,
        on=body.on,
        override_reason=body.override_reason,
        note=body.note,
    )


@router.get(
    "/lots",
    response_model=Items[ExosomeLot],
    summary="The clinic's exosome lots",
    responses=responses(403),
)
def list_lots(who: Reader, request: Request) -> Items[ExosomeLot]:
    return Items[ExosomeLot](items=list(treatments.lots(uow(request), actor(request, who))))


@router.post(
    "/lots",
    status_code=201,
    response_model=ExosomeLot,
    summary="Receive an exosome lot into stock",
    responses=responses(403, 409),
)
def receive_lot(body: LotBody, who: Writer, request: Request) -> ExosomeLot:
    """The lot as its certificate of analysis describes it; the regulatory status for
    `jurisdictions` (default: the clinic's) is copied from regenaid's cited data."""
    values = body.model_dump(exclude={"jurisdictions", "labelled_routes"})
    jurisdictions = body.jurisdictions or (
        [who.clinic.jurisdiction] if who.clinic.jurisdiction else []
    )
    try:
        return treatments.receive_lot(
            uow(request),
            actor(request, who),
            labelled_routes=tuple(body.labelled_routes),
            jurisdictions=tuple(jurisdictions),
            **values,
        )
    except InvalidInputError as exc:
        if exc.field == "jurisdiction":
            raise InvalidInputError("jurisdictions", exc.message, exc.allowed) from exc
        raise
    except IntegrityError as exc:  # the store keeps one lot per manufacturer and lot number
        raise RefusedError(
            "lot_already_received",
            f"lot {body.lot_number} of {body.manufacturer} is already in stock",
            "lot_number",
        ) from exc


@router.get(
    "/lots/{lot_id}",
    response_model=ExosomeLot,
    summary="One exosome lot",
    responses=responses(403, 404),
)
def get_lot(lot_id: LotId, who: Reader, request: Request) -> ExosomeLot:
    return treatments.get_lot(uow(request), actor(request, who), lot_id)


@router.post(
    "/lots/{lot_id}/recall",
    response_model=ExosomeLot,
    summary="Put a lot under recall",
    responses=responses(403, 404, 409),
)
def recall_lot(lot_id: LotId, body: RecallBody, who: Writer, request: Request) -> ExosomeLot:
    """No further use of the lot (`lot_recalled`); a second recall is refused
    (`lot_already_recalled`)."""
    return treatments.recall_lot(uow(request), actor(request, who), lot_id, body.reason)


@router.get(
    "/lots/{lot_id}/recall-list",
    response_model=RecallList,
    summary="Who received a lot",
    responses=responses(
        403,
        404,
        r200={
            "description": "The patients and sessions that received the lot, oldest first: "
            "JSON, or with `format=csv` an RFC 4180 file of identifiers, dates and amounts "
            "only (no names or contact details).",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
    ),
)
def recall_list(
    lot_id: LotId,
    who: Reader,
    request: Request,
    format: Annotated[Literal["json", "csv"], Query(description="`json` or `csv`")] = "json",
) -> RecallList | Response:
    the_actor = actor(request, who)
    if format == "csv":
        text = treatments.export_recall_csv(uow(request), the_actor, lot_id)
        return Response(
            content=text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="recall-{lot_id}.csv"'},
        )
    lines = treatments.recall_list(uow(request), the_actor, lot_id)
    lot = treatments.get_lot(uow(request), the_actor, lot_id)
    return RecallList(
        lot=lot,
        items=[
            RecallLine(
                used_on=line.entry.used_on,
                session_id=line.entry.session_id,
                quantity=line.entry.quantity,
                unit=line.entry.unit,
                route=line.entry.route,
                route_override=line.entry.route_override,
                patient=RecallPatient(
                    id=line.patient.id,
                    given_name=line.patient.given_name,
                    family_name=line.patient.family_name,
                    birth_date=line.patient.birth_date,
                    phone=line.patient.phone,
                    email=line.patient.email,
                ),
            )
            for line in lines
        ],
    )


# --- adverse events -------------------------------------------------------------------------


@router.get(
    "/adverse-events",
    response_model=Items[AdverseEvent],
    summary="Adverse events reported in the clinic",
    responses=responses(403, 404),
)
def list_adverse_events(
    who: Reader,
    request: Request,
    patient_id: Annotated[
        str | None, Query(pattern=ID_PATTERN, description="Only this patient's events")
    ] = None,
) -> Items[AdverseEvent]:
    found = adverse_events_of(uow(request), actor(request, who), patient_id)
    return Items[AdverseEvent](items=list(found))


@router.post(
    "/adverse-events",
    status_code=201,
    response_model=AdverseEvent,
    summary="Report an adverse event",
    responses=responses(403, 404, 409),
)
def report_adverse_event(body: AdverseEventBody, who: Writer, request: Request) -> AdverseEvent:
    """Checked against CTCAE v5.0 (a grade the term does not define is refused); the session,
    lot and preparation named must be the patient's own records in this clinic."""
    return treatments.report_adverse_event(uow(request), actor(request, who), **body.model_dump())
