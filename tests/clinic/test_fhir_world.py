"""A patient with a record of every kind, built through the clinic's use cases, for the FHIR
tests (pure ones on the fakes, store ones on SQLite and PostgreSQL), and the helpers that
compare records and Bundles modulo ids.

``rich_patient`` makes: two health answers, a decision-aid result, three consent texts and
consents (one withdrawn), a PRP course (consultation done, a PRP session inside a saved
protocol with a deviation, a session moved, one missed) and an exosome course (two lot uses,
one off-label with its reason), a recalled lot with its certificate (PDF bytes), adverse
events naming a session, a lot and a preparation, measurements (with course, landmark, rater
blinding, note) and two photos (bytes in the document store, one with marketing consent).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from fakes import FakeUnitOfWork, MemoryDocuments
from PIL import Image

from factories import prp_preparation
from regenaid.clinic import outcome_services, services, treatments
from regenaid.clinic.access import Role, StaffContext
from regenaid.clinic.accounts import Clinic, new_clinic
from regenaid.clinic.adverse_events import AdverseEvent
from regenaid.clinic.courses import Course, CourseSession
from regenaid.clinic.exosome_lots import ExosomeLot, LotRegulatoryStatus, LotUse
from regenaid.clinic.ids import new_id
from regenaid.clinic.outcomes import Measurement
from regenaid.clinic.patients import AttachedResult, Consent, ConsentForm, HealthAnswers, Patient
from regenaid.clinic.photos import Photo
from regenaid.clinic.ports import ClinicUnitOfWork, DocumentStore
from regenaid.clinic.prp import PrpPreparation, PrpProtocol, Range, SpinLimits
from regenaid.clinic.services import Actor
from regenaid.clinic.treatments import ClinicPrpProtocol, PrpRecord, Upload
from regenaid.knowledge import load_knowledge

KB = load_knowledge()
NOW = datetime(2026, 11, 29, 10, 0, 0, 123456, tzinfo=UTC)
LATER = NOW + timedelta(days=2, hours=3)
AGA = "androgenetic_alopecia"
CONSENT_TEXT = "I have read how the treatment works, its risks and its alternatives."
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

KINDS = (
    Patient,
    HealthAnswers,
    AttachedResult,
    ConsentForm,
    Consent,
    ClinicPrpProtocol,
    Course,
    CourseSession,
    ExosomeLot,
    LotUse,
    PrpRecord,
    AdverseEvent,
    Measurement,
    Photo,
)


def png(width: int = 80, height: int = 64, colour: tuple[int, int, int] = (120, 90, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def actor_of(clinic: Clinic, role: Role, now: datetime = NOW, staff_id: str | None = None) -> Actor:
    return Actor(StaffContext(staff_id or new_id(), clinic.id, role), "127.0.0.1", now)


@dataclass
class Side:
    """One clinic: a clinician and an admin acting at ``NOW``."""

    clinic: Clinic
    clinician: Actor
    admin: Actor


def make_side(name: str, uow: ClinicUnitOfWork, now: datetime = NOW) -> Side:
    clinic = new_clinic(name, now - timedelta(days=400), "GB")
    with uow:
        uow.directory.add_clinic(clinic)
        uow.commit()
    return Side(clinic, actor_of(clinic, Role.CLINICIAN, now), actor_of(clinic, Role.ADMIN, now))


def lot_values(**changes: Any) -> dict[str, Any]:
    return {
        "product_name": "Demo EV Serum",
        "manufacturer": "Example Bio",
        "manufacturer_country": "KR",
        "catalogue_number": "EVS-10",
        "lot_number": "L2026-001",
        "manufacture_date": date(2026, 3, 1),
        "expiry_date": date(2027, 3, 31),
        "received_date": date(2026, 4, 2),
        "quantity_unit": "mL",
        "quantity_received": "10.125",
        "source": "human_umbilical_cord_stem_cells",
        "donor_eligibility": "Donors screened for HIV, HBV, HCV and syphilis (maker's CoA).",
        "maker_term": "exosomes",
        "separation_method": "tangential flow filtration",
        "particle_concentration_per_ml": 1.5e10,
        "particle_method": "nta",
        "size_mode_nm": 118.5,
        "protein_ug_per_ml": 250.0,
        "markers": {
            "CD63": "present",
            "CD81": "present",
            "TSG101": "present",
            "calnexin": "absent",
        },
        "imaging_method": "TEM",
        "sterility": "pass",
        "endotoxin": "pass",
        "mycoplasma": "not_reported",
        "form": "lyophilised",
        "labelled_routes": ("topical",),
        "storage_min_c": -80.0,
        "storage_max_c": -20.0,
        "regulatory": {
            "KR": LotRegulatoryStatus(
                jurisdiction="KR",
                status="cosmetic",
                text="Sold as a cosmetic ingredient in Korea (clinic's note).",
                sources=("MFDS cosmetic notification 2026-123",),
                origin="clinic",
            )
        },
        "jurisdictions": ("GB", "US"),
        **changes,
    }


def rich_patient(
    uow: Callable[[], ClinicUnitOfWork], side: Side, documents: DocumentStore
) -> Patient:
    """A patient of ``side`` with a record of every kind (see the module docstring)."""
    a, admin = side.clinician, side.admin
    patient = services.register_patient(
        uow(),
        a,
        given_name="Ana María",
        family_name="Silva Ñúñez",
        birth_date=date(1985, 3, 1),
        sex="female",
        phone="+44 20 7946 0000",
        email="ana@example.org",
    )
    services.record_health_answers(uow(), a, patient.id, {})
    intake = {
        "concern": "hair",
        "condition": AGA,
        "age": 41,
        "sex": "female",
        "severity": "moderate",
        "health": {"anticoagulant": False},
        "priorities": {"speed": 4, "cost": 1},
        "prior_treatments": [{"treatment": "prp", "response": "none"}],
        "budget": {"amount": 4000.5, "currency": "USD", "horizon_months": 24},
    }
    attached = services.attach_saved_result(
        uow(),
        a,
        patient.id,
        intake=intake,
        assessment={"contract": "regenaid.assessment/1", "scores": [0.1, 1e-9, 2.5], "note": "ü ✓"},
        choice={"leaning": "prp", "sure": [True, False, None]},
        saved_at=NOW - timedelta(days=90),
    )
    forms = {
        p: services.add_consent_form(
            uow(), a, procedure=p, title=f"{p.upper()} consent", text=CONSENT_TEXT + f" ({p})"
        )
        for p in ("prp", "exosome", "records")
    }
    for form in forms.values():
        services.record_consent(uow(), a, patient.id, form.id)
    records_consent = next(
        c
        for c in _all(uow, Consent, a.clinic_id, patient_id=patient.id)
        if c.procedure == "records"
    )
    services.withdraw_consent(uow(), a, records_consent.id, "changed her mind")

    prp_course, prp_sessions = services.start_course(
        uow(),
        a,
        KB,
        patient.id,
        condition=AGA,
        treatment="prp",
        start=date(2026, 9, 1),
        horizon_months=6,
        attached_result_id=attached.id,
    )
    sessions = list(prp_sessions)
    consultation = next(s for s in sessions if s.kind == "consultation")
    treated = [s for s in sessions if s.kind != "consultation"]
    services.record_session_done(
        uow(), a, KB, consultation.id, on=consultation.planned, note="all explained"
    )
    protocol = treatments.save_prp_protocol(
        uow(),
        a,
        PrpProtocol(
            name="Two spins",
            spins=(
                SpinLimits(rcf_g=Range(200, 400), minutes=Range(4, 6)),
                SpinLimits(rcf_g=Range(800, 1200), minutes=Range(8, 12)),
            ),
            whole_blood_volume_ml=Range(40, 60),
            concentration_factor=Range(3, 6),
        ),
    )
    drawn = datetime.combine(treated[0].planned, datetime.min.time(), UTC) + timedelta(hours=9)
    record = treatments.record_prp_session(
        uow(),
        a,
        KB,
        prp_preparation(treated[0].id, protocol.id, drawn),
        on=treated[0].planned,
        deviation_note="second spin ran long",
        note="tolerated well",
    )
    services.move_session(uow(), a, treated[1].id, treated[1].latest, note="patient away")
    services.record_session_missed(uow(), a, treated[2].id, note="did not come")

    _exo_course, exo_sessions = services.start_course(
        uow(),
        a,
        KB,
        patient.id,
        condition="telogen_effluvium",
        treatment="exosome",
        start=date(2026, 10, 1),
        horizon_months=3,
        severity="mild",
    )
    exo = [s for s in exo_sessions if s.kind != "consultation"]
    lot = treatments.receive_lot(
        uow(),
        admin,
        certificate=Upload(PDF, "CoA L2026-001.pdf"),
        documents=documents,
        **lot_values(),
    )
    treatments.receive_lot(uow(), admin, **lot_values(lot_number="UNUSED-1"))  # not the patient's
    treatments.record_exosome_session(
        uow(), a, KB, exo[0].id, lot_id=lot.id, quantity="0.125", route="topical", on=exo[0].planned
    )
    treatments.record_exosome_session(
        uow(),
        a,
        KB,
        exo[1].id,
        lot_id=lot.id,
        quantity="1",
        route="microneedling",
        on=exo[1].planned,
        override_reason="ordered by the prescriber after review",
        note="off label",
    )
    treatments.recall_lot(uow(), admin, lot.id, "Sterility failure reported by the maker")

    treatments.report_adverse_event(
        uow(),
        a,
        patient_id=patient.id,
        term_id="skin_other_specify",
        term_detail="granuloma",
        grade=2,
        onset=NOW - timedelta(days=1),
        outcome="recovering",
        session_id=exo[1].id,
        product_lot_id=lot.id,
        seriousness=["other_important_medical_event"],
        actions_taken=["medication", "local_care"],
        description="A small firm nodule at one injection point.",
    )
    treatments.report_adverse_event(
        uow(),
        a,
        patient_id=patient.id,
        term_id="bruising",
        grade=1,
        onset=drawn + timedelta(hours=2),
        outcome="recovered",
        session_id=treated[0].id,
        prp_preparation_id=record.id,
        resolved_on=treated[0].planned + timedelta(days=4),
    )
    services.record_health_answers(uow(), a, patient.id, {"anemia": True})

    outcome_services.record_measurement(
        uow(),
        a,
        patient_id=patient.id,
        course_id=prp_course.id,
        measure="hair_density",
        value=151.5,
        method="phototrichogram_matched",
        site="vertex",
        site_marking="tattoo",
        landmark="2 cm behind the crown whorl",
        measured_on=date(2026, 9, 1),
    )
    outcome_services.record_measurement(
        uow(),
        a,
        patient_id=patient.id,
        course_id=prp_course.id,
        measure="hair_density",
        value=163.25,
        method="phototrichogram_matched",
        site="vertex",
        site_marking="tattoo",
        measured_on=date(2026, 11, 20),
        note="same lighting as at baseline",
    )
    outcome_services.record_measurement(
        uow(),
        a,
        patient_id=patient.id,
        measure="global_photo",
        value=1,
        method="global_photography",
        site="whole scalp",
        rater_blinded=True,
        measured_on=date(2026, 11, 21),
    )
    outcome_services.record_photo(
        uow(),
        a,
        documents,
        patient_id=patient.id,
        content=png(),
        view="vertex",
        taken_on=date(2026, 9, 1),
        course_id=prp_course.id,
        note="baseline",
    )
    second = outcome_services.record_photo(
        uow(),
        a,
        documents,
        patient_id=patient.id,
        content=png(96, 72, (10, 20, 30)),
        view="vertex",
        taken_on=date(2026, 11, 20),
        concern="hair",
    )
    outcome_services.set_marketing_consent(uow(), a, second.id, True)
    return patient


def _all(
    uow: Callable[[], ClinicUnitOfWork], kind: type, clinic_id: str, **equal: Any
) -> list[Any]:
    with uow() as opened:
        return list(opened.records(kind).find(clinic_id, **equal))


def patient_records(
    uow: Callable[[], ClinicUnitOfWork], clinic_id: str, patient_id: str
) -> dict[type, list[Any]]:
    """Every record of the patient's record, by kind (with the consent texts, protocols and
    lots it names), each kind sorted by what it holds (ids last)."""
    with uow() as opened:
        r = opened.records
        courses = list(r(Course).find(clinic_id, patient_id=patient_id))
        consents = list(r(Consent).find(clinic_id, patient_id=patient_id))
        prp = list(r(PrpRecord).find(clinic_id, patient_id=patient_id))
        uses = list(r(LotUse).find(clinic_id, patient_id=patient_id))
        events = list(r(AdverseEvent).find(clinic_id, patient_id=patient_id))
        lot_ids = {u.lot_id for u in uses} | {e.product_lot_id for e in events if e.product_lot_id}
        out: dict[type, list[Any]] = {
            Patient: [r(Patient).get(clinic_id, patient_id)],
            HealthAnswers: list(r(HealthAnswers).find(clinic_id, patient_id=patient_id)),
            AttachedResult: list(r(AttachedResult).find(clinic_id, patient_id=patient_id)),
            ConsentForm: list(
                r(ConsentForm).get_many(clinic_id, {c.form_id for c in consents}).values()
            ),
            Consent: consents,
            ClinicPrpProtocol: list(
                r(ClinicPrpProtocol)
                .get_many(clinic_id, {p.protocol_id for p in prp if p.protocol_id})
                .values()
            ),
            Course: courses,
            CourseSession: [
                s for c in courses for s in r(CourseSession).find(clinic_id, course_id=c.id)
            ],
            ExosomeLot: list(r(ExosomeLot).get_many(clinic_id, lot_ids).values()),
            LotUse: uses,
            PrpRecord: prp,
            AdverseEvent: events,
            Measurement: list(r(Measurement).find(clinic_id, patient_id=patient_id)),
            Photo: list(r(Photo).find(clinic_id, patient_id=patient_id)),
        }
    return {kind: sorted(items, key=_content_key) for kind, items in out.items()}


_NOT_CONTENT = {"id", "clinic_id", "file_key", "coa_file"}


def _content_key(record: Any) -> str:
    return repr(
        [
            (f.name, getattr(record, f.name))
            for f in fields(record)
            if f.name not in _NOT_CONTENT and not f.name.endswith("_id")
        ]
    )


def assert_same_records(
    before: Mapping[type, list[Any]], after: Mapping[type, list[Any]], target_clinic: str
) -> dict[str, str]:
    """Every record equal field by field, ids aside (old ids mapped to new ones consistently,
    staff ids and everything else unchanged). Returns the id mapping."""
    assert set(before) == set(after)
    ids: dict[str, str] = {}
    for kind in KINDS:
        assert len(before[kind]) == len(after[kind]), kind.__name__
        for old, new in zip(before[kind], after[kind], strict=True):
            ids[old.id] = new.id
            for name in ("file_key", "coa_file"):
                if hasattr(old, name) and getattr(old, name) is not None:
                    ids[getattr(old, name)] = getattr(new, name)
    for kind in KINDS:
        for old, new in zip(before[kind], after[kind], strict=True):
            assert new.clinic_id == target_clinic
            expected = _mapped(old, ids, target_clinic)
            assert new == expected, (kind.__name__, _diff(expected, new))
            assert [type(getattr(new, f.name)) for f in fields(new)] == [
                type(getattr(expected, f.name)) for f in fields(expected)
            ], kind.__name__
    return ids


def _mapped(record: Any, ids: Mapping[str, str], clinic_id: str) -> Any:
    changes: dict[str, Any] = {"clinic_id": clinic_id}
    for f in fields(record):
        value = getattr(record, f.name)
        if isinstance(value, str) and value in ids:
            changes[f.name] = ids[value]
    if isinstance(record, PrpRecord):
        changes["preparation"] = _mapped_prep(record.preparation, ids)
    if isinstance(record, ClinicPrpProtocol):
        changes["protocol"] = replace(record.protocol, id=ids[record.protocol.id])
    return replace(record, **changes)


def _mapped_prep(prep: PrpPreparation, ids: Mapping[str, str]) -> PrpPreparation:
    return replace(
        prep,
        id=ids[prep.id],
        session_id=ids[prep.session_id],
        protocol_id=ids[prep.protocol_id] if prep.protocol_id else None,
    )


def _diff(a: Any, b: Any) -> list[tuple[str, Any, Any]]:
    return [
        (f.name, getattr(a, f.name), getattr(b, f.name))
        for f in fields(a)
        if getattr(a, f.name) != getattr(b, f.name)
    ]


def relabelled(bundle: Mapping[str, Any]) -> list[Any]:
    """The Bundle's resources with every id (resource ids, activity ids) replaced by its
    position, references and fullUrls likewise, and the export time left out: two exports
    of equal records are equal after this."""
    resources = [entry["resource"] for entry in bundle["entry"]]
    labels: dict[str, str] = {}
    for index, resource in enumerate(resources):
        labels[resource["id"]] = f"R{index}"
        for number, activity in enumerate(resource.get("activity", [])):
            labels[activity["id"]] = f"R{index}.A{number}"
    return [_relabel(r, labels) for r in resources]


def _relabel(value: Any, labels: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _relabel(v, labels) for k, v in value.items()}
    if isinstance(value, list):
        return [_relabel(v, labels) for v in value]
    if isinstance(value, str):
        if value in labels:
            return labels[value]
        kind, _, rest = value.rpartition("/")
        if rest in labels and kind:
            return f"{kind}/{labels[rest]}"
    return value


def count_rows(
    uow: Callable[[], ClinicUnitOfWork], clinic_id: str, kinds: Iterable[type] = KINDS
) -> dict[str, int]:
    with uow() as opened:
        return {k.__name__: len(opened.records(k).find(clinic_id)) for k in kinds}


# --- the world itself ------------------------------------------------------------------------


def fake_world() -> tuple[FakeUnitOfWork, MemoryDocuments, Side, Side, Patient]:
    fake = FakeUnitOfWork()
    documents = MemoryDocuments()
    source = make_side("Clinic A", fake)
    target = make_side("Clinic B", fake, LATER)
    patient = rich_patient(lambda: fake, source, documents)
    return fake, documents, source, target, patient


def test_the_rich_patient_has_a_record_of_every_kind() -> None:
    fake, documents, source, _target, patient = fake_world()
    found = patient_records(lambda: fake, source.clinic.id, patient.id)
    assert {kind for kind, items in found.items() if items} == set(KINDS)
    assert {s.status for s in found[CourseSession]} == {"planned", "done", "moved", "missed"}
    assert [u.override for u in found[LotUse]] == [False, True]
    assert found[ExosomeLot][0].is_recalled and found[ExosomeLot][0].quantity_left == Decimal(
        "9.000"
    )
    assert any(c.withdrawn_at for c in found[Consent])
    assert found[PrpRecord][0].deviations
    assert len(documents.files) == 3  # two photos and the certificate
