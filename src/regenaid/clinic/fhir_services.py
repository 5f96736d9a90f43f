"""Use cases for FHIR R4: a patient's record out as a Bundle, a Bundle in as a new patient,
and a whole clinic out as NDJSON, one resource type per file.

As elsewhere in the clinic: the role first, then the records of the signed-in clinic, the
audit entries, one commit. Export needs ``export_patient``; import needs ``import_patient``
(clinicians: it writes clinical records). An import is checked whole before anything is
written (:func:`regenaid.clinic.fhir.read.read_bundle`); its records, matched clinic records
and audit entries then go into one unit of work, and document bytes written for it (photos,
certificates) are deleted again when the commit does not happen. The mapping and its rules
are in ``docs/clinic-fhir.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from regenaid.clinic import documents as document_rules
from regenaid.clinic.access import Action, Role, StaffContext
from regenaid.clinic.adverse_events import AdverseEvent
from regenaid.clinic.audit import CLIENT_CLI
from regenaid.clinic.courses import Course, CourseSession
from regenaid.clinic.errors import RefusedError
from regenaid.clinic.exosome_lots import ExosomeLot, LotUse
from regenaid.clinic.fhir import export as fhir_export
from regenaid.clinic.fhir.export import PatientRecords
from regenaid.clinic.fhir.read import ImportPlan, read_bundle
from regenaid.clinic.outcomes import Measurement
from regenaid.clinic.patients import AttachedResult, Consent, ConsentForm, HealthAnswers, Patient
from regenaid.clinic.photos import Photo
from regenaid.clinic.ports import ClinicUnitOfWork, DocumentStore
from regenaid.clinic.prp import PrpProtocol
from regenaid.clinic.services import Actor, audit, commit_with_files
from regenaid.clinic.treatments import ClinicPrpProtocol, PrpRecord
from regenaid.knowledge.base import KnowledgeBase

CLI_STAFF = "cli"
"""The staff id of the command line's actor in the audit trail (with client ``cli``)."""
PAGE_SIZE = 50


def cli_actor(clinic_id: str, now: Any) -> Actor:
    """Who acts for ``regenaid clinic ...`` commands: the operator at the server, with the
    admin's rights in one clinic, audited as staff ``cli`` from client ``cli``."""
    return Actor(StaffContext(CLI_STAFF, clinic_id, Role.ADMIN), CLIENT_CLI, now)


# --- reading a patient's records -------------------------------------------------------------


def _files(documents: DocumentStore | None, wanted: Mapping[str, str]) -> dict[str, bytes]:
    """The bytes of each key in ``wanted`` (key -> SHA-256) that the store holds unaltered."""
    out: dict[str, bytes] = {}
    if documents is None:
        return out
    for key, digest in wanted.items():
        if not document_rules.is_document_key(key):
            continue
        try:
            content = documents.get(key)
        except KeyError:
            continue
        if document_rules.sha256_of(content) == digest:
            out[key] = content
    return out


def _patient_records(
    uow: ClinicUnitOfWork,
    clinic_id: str,
    patient: Patient,
    documents: DocumentStore | None,
    *,
    clinic_level: bool,
) -> PatientRecords:
    """Everything stored for ``patient`` (call inside ``uow``)."""
    pid = patient.id
    courses = uow.records(Course).find(clinic_id, patient_id=pid)
    consents = uow.records(Consent).find(clinic_id, patient_id=pid)
    prp = uow.records(PrpRecord).find(clinic_id, patient_id=pid)
    uses = uow.records(LotUse).find(clinic_id, patient_id=pid)
    events = uow.records(AdverseEvent).find(clinic_id, patient_id=pid)
    photos = uow.records(Photo).find(clinic_id, patient_id=pid)
    forms: Sequence[ConsentForm] = ()
    protocols: Sequence[ClinicPrpProtocol] = ()
    lots: Sequence[ExosomeLot] = ()
    if clinic_level:
        # every version of the consent texts of the procedures consented to: an importing
        # clinic can then tell texts that came from this clinic from its own
        procedures = {c.procedure for c in consents}
        forms = [f for f in uow.records(ConsentForm).find(clinic_id) if f.procedure in procedures]
        wanted = {p.protocol_id for p in prp if p.protocol_id}
        protocols = list(uow.records(ClinicPrpProtocol).get_many(clinic_id, wanted).values())
        lot_ids = {u.lot_id for u in uses} | {e.product_lot_id for e in events if e.product_lot_id}
        lots = list(uow.records(ExosomeLot).get_many(clinic_id, lot_ids).values())
    wanted_files = {p.file_key: p.sha256 for p in photos}
    wanted_files.update(
        (lot.coa_file, lot.coa_sha256) for lot in lots if lot.coa_file and lot.coa_sha256
    )
    return PatientRecords(
        patient=patient,
        health=uow.records(HealthAnswers).find(clinic_id, patient_id=pid),
        results=uow.records(AttachedResult).find(clinic_id, patient_id=pid),
        forms=forms,
        consents=consents,
        courses=courses,
        sessions={
            c.id: uow.records(CourseSession).find(clinic_id, course_id=c.id) for c in courses
        },
        prp_records=prp,
        protocols=protocols,
        lots=lots,
        lot_uses=uses,
        events=events,
        measurements=uow.records(Measurement).find(clinic_id, patient_id=pid),
        photos=photos,
        files=_files(documents, wanted_files),
    )


# --- one patient out -------------------------------------------------------------------------


def export_patient_fhir(
    uow: ClinicUnitOfWork,
    actor: Actor,
    patient_id: str,
    *,
    documents: DocumentStore | None = None,
) -> dict[str, Any]:
    """The patient's whole record as a FHIR R4 ``collection`` Bundle (audited as an export).

    With ``documents``, photos and lot certificates carry their bytes (base64); without,
    their metadata only."""
    actor.ctx.require(Action.EXPORT_PATIENT)
    with uow:
        patient = uow.records(Patient).get(actor.clinic_id, patient_id)
        records = _patient_records(uow, actor.clinic_id, patient, documents, clinic_level=True)
        resources = fhir_export.patient_resources(records)
        audit(
            uow,
            actor,
            "export",
            "patient",
            patient.id,
            f"format=fhir_r4,resources={len(resources)},files={len(records.files)}",
        )
        uow.commit()
    return fhir_export.bundle(resources, actor.now)


# --- one patient in --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The new patient, and what the import wrote and what it found already there."""

    patient: Patient
    created: Mapping[str, int]  # record kind -> records written
    reused: Mapping[str, int] = field(default_factory=dict)  # consent texts, protocols, lots


def _same_protocol(a: PrpProtocol, b: PrpProtocol) -> bool:
    return replace(a, id="") == replace(b, id="")


def _match_forms(uow: ClinicUnitOfWork, actor: Actor, plan: ImportPlan) -> dict[str, str]:
    """Consent texts of the Bundle that the clinic already holds (same procedure, version and
    text): imported id -> the clinic's id. A version the clinic holds with another text is
    refused, and so is an imported text that would become the current one of a procedure
    whose current text the clinic wrote itself (the Bundle's texts do not include it)."""
    same: dict[str, str] = {}
    mine = uow.records(ConsentForm).find(actor.clinic_id)
    for procedure in sorted({f.procedure for f in plan.forms}):
        theirs = [f for f in plan.forms if f.procedure == procedure]
        held = {f.version: f for f in mine if f.procedure == procedure}
        for form in theirs:
            found = held.get(form.version)
            if found is None:
                continue
            if found.digest != form.digest:
                raise RefusedError(
                    "consent_form_conflict",
                    f"the clinic's {procedure} consent text version {form.version} differs "
                    f"from the one in the Bundle ({plan.paths.get(form.id, 'entry')})",
                    plan.paths.get(form.id),
                )
            same[form.id] = found.id
        foreign = [f for f in held.values() if f.id not in same.values()]
        newest_new = max((f.version for f in theirs if f.id not in same), default=0)
        if foreign and newest_new > max(held):
            raise RefusedError(
                "consent_form_conflict",
                f"the Bundle's {procedure} consent text version {newest_new} would replace "
                "the clinic's own current text; add the clinic's text to the Bundle's source "
                "or import into a clinic without its own texts for this procedure",
                next((plan.paths.get(f.id) for f in theirs if f.version == newest_new), None),
            )
    return same


def _match_protocols(uow: ClinicUnitOfWork, actor: Actor, plan: ImportPlan) -> dict[str, str]:
    mine = uow.records(ClinicPrpProtocol).find(actor.clinic_id)
    same: dict[str, str] = {}
    for saved in plan.protocols:
        found = next((p for p in mine if _same_protocol(p.protocol, saved.protocol)), None)
        if found is not None:
            same[saved.id] = found.id
    return same


def _match_lots(uow: ClinicUnitOfWork, actor: Actor, plan: ImportPlan) -> dict[str, str]:
    """Lots the clinic already holds (same maker and lot number): imported id -> its id."""
    same: dict[str, str] = {}
    for lot in plan.lots:
        found = uow.records(ExosomeLot).find(
            actor.clinic_id, manufacturer=lot.manufacturer, lot_number=lot.lot_number
        )
        if found:
            if found[0].quantity_unit != lot.quantity_unit:
                raise RefusedError(
                    "lot_conflict",
                    f"the clinic's lot {lot.lot_number} of {lot.manufacturer} counts in "
                    f"{found[0].quantity_unit}, the Bundle's in {lot.quantity_unit}",
                    plan.paths.get(lot.id),
                )
            same[lot.id] = found[0].id
    return same


def _relinked(record: Any, same: Mapping[str, str]) -> Any:
    """``record`` with every id field that names a matched record pointing at the clinic's."""
    changes: dict[str, Any] = {
        f.name: same[value]
        for f in fields(record)
        if f.name != "id" and isinstance(value := getattr(record, f.name), str) and value in same
    }
    protocol_id = record.preparation.protocol_id if isinstance(record, PrpRecord) else None
    if protocol_id is not None and protocol_id in same:
        changes["preparation"] = replace(record.preparation, protocol_id=same[protocol_id])
    return replace(record, **changes) if changes else record


_KINDS: Mapping[type, str] = {
    Patient: "patient",
    HealthAnswers: "health_answers",
    AttachedResult: "attached_result",
    ConsentForm: "consent_form",
    Consent: "consent",
    ClinicPrpProtocol: "prp_protocol",
    Course: "course",
    CourseSession: "course_session",
    ExosomeLot: "exosome_lot",
    LotUse: "lot_use",
    PrpRecord: "prp_preparation",
    AdverseEvent: "adverse_event",
    Measurement: "measurement",
    Photo: "photo",
}


def import_patient_fhir(
    uow: ClinicUnitOfWork,
    actor: Actor,
    kb: KnowledgeBase,
    documents: DocumentStore,
    data: Any,
) -> ImportResult:
    """A patient's Bundle (a regenaid export) as a new patient of the signed-in clinic.

    Refused whole, with the resource and element named, when anything in it is invalid
    (:class:`~regenaid.errors.InvalidInputError`) or conflicts with the clinic's own consent
    texts or lots (:class:`RefusedError`); then nothing is written."""
    actor.ctx.require(Action.IMPORT_PATIENT)
    plan = read_bundle(data, clinic_id=actor.clinic_id, now=actor.now, kb=kb)
    with uow:
        same = {
            **_match_forms(uow, actor, plan),
            **_match_protocols(uow, actor, plan),
            **_match_lots(uow, actor, plan),
        }
        created: dict[str, int] = {}
        reused: dict[str, int] = {}
        written: list[str] = []
        for record in plan.records():
            kind = _KINDS[type(record)]
            if record.id in same:
                reused[kind] = reused.get(kind, 0) + 1
                continue
            record = _relinked(record, same)
            uow.records(type(record)).add(record)
            created[kind] = created.get(kind, 0) + 1
            audit(uow, actor, "create", kind, record.id, "via=fhir_import")
            if isinstance(record, Photo) and record.file_key in plan.files:
                written.append(record.file_key)
            if isinstance(record, ExosomeLot) and record.coa_file in plan.files:
                written.append(record.coa_file)
        audit(
            uow,
            actor,
            "create",
            "fhir_import",
            plan.patient.id,
            f"resources={plan.resources},records={sum(created.values())},"
            f"reused={sum(reused.values())},files={len(written)}",
        )
        commit_with_files(uow, documents, {key: plan.files[key] for key in written})
    return ImportResult(patient=plan.patient, created=created, reused=reused)


# --- a whole clinic out ----------------------------------------------------------------------


@dataclass
class ClinicExport:
    """A clinic's records as FHIR NDJSON, read a page of patients at a time.

    :meth:`lines` yields ``(resource type, JSON line)``: first the clinic's consent texts,
    PRP protocols and exosome lots, then each patient's resources (each patient's export is
    audited before its lines leave)."""

    uow: ClinicUnitOfWork
    actor: Actor
    patient_ids: Sequence[str]
    documents: DocumentStore | None = None
    page_size: int = PAGE_SIZE

    @property
    def patients(self) -> int:
        return len(self.patient_ids)

    def lines(self, on_patient: Callable[[], None] | None = None) -> Iterator[tuple[str, str]]:
        clinic_id = self.actor.clinic_id
        with self.uow:
            forms = self.uow.records(ConsentForm).find(clinic_id)
            protocols = self.uow.records(ClinicPrpProtocol).find(clinic_id)
            lots = self.uow.records(ExosomeLot).find(clinic_id)
        files = _files(
            self.documents,
            {lot.coa_file: lot.coa_sha256 for lot in lots if lot.coa_file and lot.coa_sha256},
        )
        for resource in fhir_export.clinic_resources(forms, protocols, lots, files):
            yield resource["resourceType"], _line(resource)
        for start in range(0, len(self.patient_ids), self.page_size):
            page = self.patient_ids[start : start + self.page_size]
            out: list[list[dict[str, Any]]] = []
            with self.uow:
                people = self.uow.records(Patient).get_many(clinic_id, page)
                for pid in page:
                    patient = people.get(pid)
                    if patient is None:  # gone since the export started: nothing to export
                        out.append([])
                        continue
                    records = _patient_records(
                        self.uow, clinic_id, patient, self.documents, clinic_level=False
                    )
                    resources = fhir_export.patient_resources(records, clinic_level=False)
                    audit(
                        self.uow,
                        self.actor,
                        "export",
                        "patient",
                        pid,
                        f"format=fhir_ndjson,resources={len(resources)},files={len(records.files)}",
                    )
                    out.append(resources)
                self.uow.commit()
            for resources in out:
                for resource in resources:
                    yield resource["resourceType"], _line(resource)
                if on_patient is not None:
                    on_patient()


def _line(resource: Mapping[str, Any]) -> str:
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":"))


def start_clinic_export(
    uow: ClinicUnitOfWork,
    actor: Actor,
    *,
    documents: DocumentStore | None = None,
    page_size: int = PAGE_SIZE,
) -> ClinicExport:
    """Begin a bulk export of the signed-in clinic (an unknown clinic is not found). Only
    the patients' ids are read now; their records are read page by page as lines are
    taken."""
    actor.ctx.require(Action.EXPORT_PATIENT)
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    with uow:
        uow.directory.clinic(actor.clinic_id)
        ids = [p.id for p in uow.records(Patient).find(actor.clinic_id)]
        audit(uow, actor, "export", "clinic_fhir", None, f"patients={len(ids)}")
        uow.commit()
    return ClinicExport(uow, actor, ids, documents, page_size)
