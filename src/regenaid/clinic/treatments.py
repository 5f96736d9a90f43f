"""Use cases for what is given at a session, stock and harms: PRP preparations and the
clinic's PRP protocols, exosome lots (receive, use, recall) and adverse events.

Recording a procedure session is one transaction: the checks of :func:`check_session`
(screening on the current health answers, consent in force), the session marked done, the
preparation or lot use stored, the lot's stock reduced, and the audit entries. A refusal
anywhere leaves nothing written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from regenaid.clinic import courses as course_rules
from regenaid.clinic import documents as document_rules
from regenaid.clinic import exosome_lots as lot_rules
from regenaid.clinic.access import Action
from regenaid.clinic.adverse_events import AdverseEvent, new_adverse_event
from regenaid.clinic.courses import Course, CourseSession
from regenaid.clinic.errors import RecordNotFoundError, RefusedError
from regenaid.clinic.exosome_lots import ExosomeLot, LotUse, RecallEntry
from regenaid.clinic.patients import Patient
from regenaid.clinic.ports import ClinicUnitOfWork, DocumentStore
from regenaid.clinic.prp import (
    DerivedPrp,
    Deviation,
    PrpPreparation,
    PrpProtocol,
    derive,
    protocol_deviations,
    validate,
)
from regenaid.clinic.services import Actor, audit, check_session, commit_with_files
from regenaid.errors import InvalidInputError
from regenaid.knowledge.base import KnowledgeBase

PRP_TREATMENTS = ("prp", "combination")
EXOSOME_TREATMENTS = ("exosome", "combination")


@dataclass(frozen=True, slots=True)
class ClinicPrpProtocol:
    """A PRP protocol the clinic validated, as saved (protocols are never edited: a changed
    protocol is a new one, and the old one is retired)."""

    id: str
    clinic_id: str
    protocol: PrpProtocol
    created_at: datetime
    created_by: str
    retired: bool = False


@dataclass(frozen=True, slots=True)
class PrpRecord:
    """A preparation as recorded at a session, with what was derived from it (and the
    formula version that did) and how it left the clinic's protocol, if it did."""

    id: str
    clinic_id: str
    session_id: str
    patient_id: str
    preparation: PrpPreparation
    derived: DerivedPrp
    formula_version: str
    concentration_factor: float | None
    paw_code: str
    depa_code: str
    protocol_id: str | None
    deviations: tuple[Deviation, ...]
    deviation_note: str | None
    recorded_at: datetime
    recorded_by: str

    @classmethod
    def of(
        cls,
        preparation: PrpPreparation,
        *,
        clinic_id: str,
        session_id: str,
        patient_id: str,
        deviations: tuple[Deviation, ...],
        deviation_note: str | None,
        recorded_at: datetime,
        recorded_by: str,
    ) -> PrpRecord:
        """A new record of ``preparation``: its id, protocol and what :func:`derive` finds
        (and the columns kept beside it for queries) come from the preparation."""
        derived = derive(preparation)
        return cls(
            id=preparation.id,
            clinic_id=clinic_id,
            session_id=session_id,
            patient_id=patient_id,
            preparation=preparation,
            derived=derived,
            formula_version=derived.formula_version,
            concentration_factor=derived.concentration_factor,
            paw_code=derived.paw.code,
            depa_code=derived.depa.code,
            protocol_id=preparation.protocol_id,
            deviations=deviations,
            deviation_note=deviation_note,
            recorded_at=recorded_at,
            recorded_by=recorded_by,
        )


def _session_done(
    actor: Actor,
    session: CourseSession,
    treatment: str,
    *,
    on: date,
    note: str | None,
    given_already: bool,
) -> CourseSession | None:
    """The session marked done, or None when it already is because the other product of a
    combination course was recorded at it (then only this product is added)."""
    if session.status == "done" and treatment == "combination" and not given_already:
        return None
    return course_rules.record_done(session, on=on, by=actor.staff_id, now=actor.now, note=note)


def save_prp_protocol(
    uow: ClinicUnitOfWork, actor: Actor, protocol: PrpProtocol
) -> ClinicPrpProtocol:
    actor.ctx.require(Action.MANAGE_PROTOCOLS)
    saved = ClinicPrpProtocol(
        id=protocol.id,
        clinic_id=actor.clinic_id,
        protocol=protocol,
        created_at=actor.now,
        created_by=actor.staff_id,
    )
    with uow:
        uow.records(ClinicPrpProtocol).add(saved)
        audit(uow, actor, "create", "prp_protocol", saved.id)
        uow.commit()
    return saved


def prp_protocols(uow: ClinicUnitOfWork, actor: Actor) -> Sequence[ClinicPrpProtocol]:
    actor.ctx.require(Action.VIEW_PREPARATION)
    with uow:
        return [p for p in uow.records(ClinicPrpProtocol).find(actor.clinic_id) if not p.retired]


def _note(value: str | None, field: str, limit: int = 1000) -> str | None:
    text = " ".join((value or "").split())
    if len(text) > limit:
        raise InvalidInputError(field, f"at most {limit:,} characters")
    return text or None


def record_prp_session(
    uow: ClinicUnitOfWork,
    actor: Actor,
    kb: KnowledgeBase,
    preparation: PrpPreparation,
    *,
    on: date,
    deviation_note: str | None = None,
    note: str | None = None,
) -> PrpRecord:
    """Record a PRP session: the preparation, derived values, protocol check, session done.

    A preparation outside the clinic's protocol is saved only with ``deviation_note`` saying
    why (refused with code ``protocol_deviation`` otherwise): flagged, never silently kept."""
    actor.ctx.require(Action.RECORD_SESSION)
    actor.ctx.require(Action.RECORD_PREPARATION)
    validate(preparation)
    why = _note(deviation_note, "deviation_note")
    with uow:
        found = check_session(uow, actor, kb, preparation.session_id, on)
        if found.course.treatment not in PRP_TREATMENTS:
            raise RefusedError(
                "not_a_prp_course", f"this is a {found.course.treatment} course", "session_id"
            )
        if found.session.kind == "consultation":
            raise RefusedError("consultation", "nothing is given at a consultation", "session_id")
        deviations: tuple[Deviation, ...] = ()
        if preparation.protocol_id is not None:
            saved = uow.records(ClinicPrpProtocol).get(actor.clinic_id, preparation.protocol_id)
            deviations = tuple(protocol_deviations(preparation, saved.protocol))
        if deviations and why is None:
            raise RefusedError(
                "protocol_deviation",
                "outside the clinic's protocol: "
                + "; ".join(d.message for d in deviations)
                + ". Say why in the deviation note to record it.",
                "deviation_note",
            )
        record = PrpRecord.of(
            preparation,
            clinic_id=actor.clinic_id,
            session_id=found.session.id,
            patient_id=found.patient.id,
            deviations=deviations,
            deviation_note=why if deviations else None,
            recorded_at=actor.now,
            recorded_by=actor.staff_id,
        )
        already = bool(uow.records(PrpRecord).find(actor.clinic_id, session_id=found.session.id))
        done = _session_done(
            actor, found.session, found.course.treatment, on=on, note=note, given_already=already
        )
        uow.records(PrpRecord).add(record)
        audit(uow, actor, "create", "prp_preparation", record.id, f"deviations={len(deviations)}")
        if done is not None:
            uow.records(CourseSession).replace(done)
            audit(uow, actor, "update", "course_session", done.id, "status=done")
        uow.commit()
    return record


def prp_records(uow: ClinicUnitOfWork, actor: Actor, patient_id: str) -> Sequence[PrpRecord]:
    actor.ctx.require(Action.VIEW_PREPARATION)
    with uow:
        uow.records(Patient).get(actor.clinic_id, patient_id)
        found = uow.records(PrpRecord).find(actor.clinic_id, patient_id=patient_id)
        audit(uow, actor, "read", "prp_preparation", None, f"patient_records={len(found)}")
        uow.commit()
    return found


# --- exosome lots ---------------------------------------------------------------------------


def receive_lot(
    uow: ClinicUnitOfWork,
    actor: Actor,
    *,
    certificate: Upload | None = None,
    documents: DocumentStore | None = None,
    **values: Any,
) -> ExosomeLot:
    """A lot received into stock (MISEV fields; regulatory status filled from the knowledge
    base for the clinic's jurisdiction where the clinic did not type its own).

    ``certificate``: the certificate of analysis as uploaded, checked by
    :func:`regenaid.clinic.documents.check_certificate` and kept in ``documents`` under a new
    key (the lot's ``coa_file``, with ``coa_sha256`` and ``coa_name``). The file is written
    just before the commit and deleted again when the commit does not happen, so a refused
    lot leaves no file behind."""
    actor.ctx.require(Action.MANAGE_LOTS)
    jurisdictions = values.pop("jurisdictions", ())
    for name in ("coa_sha256", "coa_name"):
        if values.get(name) is not None:
            raise InvalidInputError(name, "is set from the uploaded certificate only")
    document = None
    if certificate is not None:
        if documents is None:
            raise ValueError("a certificate needs a document store")
        document = document_rules.check_certificate(certificate.content, certificate.filename)
        values.update(
            coa_file=document.key, coa_sha256=document.sha256, coa_name=document.display_name
        )
    lot = lot_rules.new_lot(
        clinic_id=actor.clinic_id, created_by=actor.staff_id, now=actor.now, **values
    )
    if jurisdictions:
        lot = lot_rules.with_regulatory_defaults(lot, jurisdictions)
    with uow:
        uow.records(ExosomeLot).add(lot)
        audit(uow, actor, "create", "exosome_lot", lot.id)
        if document is None:
            uow.commit()
            return lot
        assert documents is not None
        audit(
            uow,
            actor,
            "create",
            "exosome_lot_certificate",
            lot.id,
            f"sha256={document.sha256},bytes={document.size}",
        )
        commit_with_files(uow, documents, {document.key: document.content})
    return lot


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as the edge received it: its bytes and the name the client gave it."""

    content: bytes = field(repr=False)
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class Certificate:
    """A lot's certificate of analysis, read back and checked against its SHA-256."""

    lot: ExosomeLot
    content: bytes = field(repr=False)
    display_name: str


def lot_certificate(
    uow: ClinicUnitOfWork, actor: Actor, documents: DocumentStore, lot_id: str
) -> Certificate:
    """The lot's certificate (audited as an export of it). A lot of another clinic, a lot
    without an uploaded certificate and a missing file all look the same: not found. Bytes
    that no longer match the SHA-256 recorded at upload are refused (``certificate_altered``)."""
    actor.ctx.require(Action.VIEW_LOTS)
    with uow:
        lot = uow.records(ExosomeLot).get(actor.clinic_id, lot_id)
        key = lot.coa_file
        if lot.coa_sha256 is None or key is None or not document_rules.is_document_key(key):
            raise RecordNotFoundError("exosome_lot_certificate", lot_id)
        try:
            content = documents.get(key)
        except KeyError:
            raise RecordNotFoundError("exosome_lot_certificate", lot_id) from None
        if document_rules.sha256_of(content) != lot.coa_sha256:
            raise RefusedError(
                "certificate_altered",
                "the stored certificate no longer matches the one received; it is not served",
            )
        audit(uow, actor, "export", "exosome_lot_certificate", lot.id, f"sha256={lot.coa_sha256}")
        uow.commit()
    return Certificate(
        lot=lot, content=content, display_name=lot.coa_name or document_rules.DEFAULT_DISPLAY_NAME
    )


def lots(uow: ClinicUnitOfWork, actor: Actor) -> Sequence[ExosomeLot]:
    actor.ctx.require(Action.VIEW_LOTS)
    with uow:
        return uow.records(ExosomeLot).find(actor.clinic_id)


def get_lot(uow: ClinicUnitOfWork, actor: Actor, lot_id: str) -> ExosomeLot:
    actor.ctx.require(Action.VIEW_LOTS)
    with uow:
        return uow.records(ExosomeLot).get(actor.clinic_id, lot_id)


def record_exosome_session(
    uow: ClinicUnitOfWork,
    actor: Actor,
    kb: KnowledgeBase,
    session_id: str,
    *,
    lot_id: str,
    quantity: Decimal | int | str,
    route: str,
    on: date,
    override_reason: str | None = None,
    note: str | None = None,
) -> LotUse:
    """Record an exosome session: the lot checked (expired, recalled, exhausted, failed
    safety test, route beyond its label without a reason: refused), its stock reduced, the
    use stored, the session done; an off-label route's reason goes to the audit trail."""
    actor.ctx.require(Action.RECORD_SESSION)
    with uow:
        found = check_session(uow, actor, kb, session_id, on)
        if found.course.treatment not in EXOSOME_TREATMENTS:
            raise RefusedError(
                "not_an_exosome_course",
                f"this is a {found.course.treatment} course",
                "session_id",
            )
        if found.session.kind == "consultation":
            raise RefusedError("consultation", "nothing is given at a consultation", "session_id")
        lot = uow.records(ExosomeLot).get(actor.clinic_id, lot_id)
        use = lot_rules.check_lot_use(
            lot,
            today=on,
            route=route,
            quantity=quantity,
            override_reason=override_reason,
            patient_id=found.patient.id,
            session_id=found.session.id,
        )
        already = bool(uow.records(LotUse).find(actor.clinic_id, session_id=found.session.id))
        done = _session_done(
            actor, found.session, found.course.treatment, on=on, note=note, given_already=already
        )
        uow.records(LotUse).add(use)
        uow.records(ExosomeLot).replace(lot_rules.consume(lot, use))
        audit(uow, actor, "create", "lot_use", use.id)
        if use.override:
            audit(uow, actor, "override", "lot_use", use.id, f"route={use.route}")
        if done is not None:
            uow.records(CourseSession).replace(done)
            audit(uow, actor, "update", "course_session", done.id, "status=done")
        uow.commit()
    return use


def recall_lot(uow: ClinicUnitOfWork, actor: Actor, lot_id: str, reason: str) -> ExosomeLot:
    actor.ctx.require(Action.RECALL_LOT)
    with uow:
        lot = uow.records(ExosomeLot).get(actor.clinic_id, lot_id)
        recalled = lot_rules.recall(lot, reason, actor.now)
        uow.records(ExosomeLot).replace(recalled)
        audit(uow, actor, "recall", "exosome_lot", lot_id)
        uow.commit()
    return recalled


@dataclass(frozen=True, slots=True)
class RecallLine:
    entry: RecallEntry
    patient: Patient


def recall_list(uow: ClinicUnitOfWork, actor: Actor, lot_id: str) -> list[RecallLine]:
    """Every patient and session that received the lot, oldest first (audited as a read of
    each patient listed)."""
    actor.ctx.require(Action.VIEW_RECALL_LIST)
    with uow:
        lot = uow.records(ExosomeLot).get(actor.clinic_id, lot_id)
        entries = lot_rules.recall_list(
            lot.id, uow.records(LotUse).find(actor.clinic_id, lot_id=lot.id)
        )
        people = uow.records(Patient).get_many(
            actor.clinic_id, {e.patient_id for e in entries if e.patient_id}
        )
        audit(uow, actor, "read", "recall_list", lot.id, f"patients={len(people)}")
        uow.commit()
    return [RecallLine(e, people[e.patient_id]) for e in entries if e.patient_id]


def export_recall_csv(uow: ClinicUnitOfWork, actor: Actor, lot_id: str) -> str:
    actor.ctx.require(Action.VIEW_RECALL_LIST)
    with uow:
        lot = uow.records(ExosomeLot).get(actor.clinic_id, lot_id)
        text = lot_rules.recall_csv(
            lot_rules.recall_list(lot.id, uow.records(LotUse).find(actor.clinic_id, lot_id=lot.id))
        )
        audit(uow, actor, "export", "recall_list", lot.id)
        uow.commit()
    return text


# --- adverse events -------------------------------------------------------------------------


def report_adverse_event(uow: ClinicUnitOfWork, actor: Actor, **values: Any) -> AdverseEvent:
    """An adverse event, checked against CTCAE v5.0; the session, lot and preparation it names
    must be the patient's own records in this clinic."""
    actor.ctx.require(Action.REPORT_ADVERSE_EVENT)
    event = new_adverse_event(
        clinic_id=actor.clinic_id, recorded_by=actor.staff_id, now=actor.now, **values
    )
    with uow:
        uow.records(Patient).get(actor.clinic_id, event.patient_id)
        if event.session_id is not None:
            session = uow.records(CourseSession).get(actor.clinic_id, event.session_id)
            course = uow.records(Course).get(actor.clinic_id, session.course_id)
            if course.patient_id != event.patient_id:
                raise InvalidInputError("session_id", "is a session of another patient")
        if event.product_lot_id is not None:
            uow.records(ExosomeLot).get(actor.clinic_id, event.product_lot_id)
        if event.prp_preparation_id is not None:
            prep = uow.records(PrpRecord).get(actor.clinic_id, event.prp_preparation_id)
            if prep.patient_id != event.patient_id:
                raise InvalidInputError("prp_preparation_id", "is another patient's preparation")
        uow.records(AdverseEvent).add(event)
        audit(uow, actor, "create", "adverse_event", event.id, f"grade={event.grade}")
        uow.commit()
    return event


def adverse_events(
    uow: ClinicUnitOfWork, actor: Actor, patient_id: str | None = None
) -> Sequence[AdverseEvent]:
    actor.ctx.require(Action.VIEW_ADVERSE_EVENTS)
    with uow:
        found = (
            uow.records(AdverseEvent).find(actor.clinic_id, patient_id=patient_id)
            if patient_id
            else uow.records(AdverseEvent).find(actor.clinic_id)
        )
        audit(uow, actor, "read", "adverse_event", None, f"count={len(found)}")
        uow.commit()
    return found
