"""The clinic's records in the database, on SQLite and PostgreSQL (conftest's engine fixture).

What the store must hold, checked on both databases: every record kind reads back equal to
what the use case wrote; one clinic never sees, changes or points at another clinic's records
(the queries filter by clinic, and the composite foreign keys refuse a cross-clinic row even
when the code is bypassed); check constraints refuse impossible rows; a refused or failed use
case leaves no row behind; concurrent audit appends of one clinic make one unbroken chain;
the sign-in throttle locks after five failures.
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from factories import prp_preparation
from regenaid.clinic import outcome_services, services, staff, treatments
from regenaid.clinic.access import Role, StaffContext
from regenaid.clinic.accounts import (
    Clinic,
    StaffAccount,
    StaffSession,
    hash_password,
    new_clinic,
    new_totp_secret,
    start_session,
)
from regenaid.clinic.adverse_events import AdverseEvent
from regenaid.clinic.audit import chain_key, verify_chain
from regenaid.clinic.courses import Course, CourseSession
from regenaid.clinic.errors import RecordNotFoundError, RefusedError
from regenaid.clinic.exosome_lots import (
    ExosomeLot,
    LotRegulatoryStatus,
    LotUse,
    check_lot_use,
    consume,
    new_lot,
)
from regenaid.clinic.ids import new_id
from regenaid.clinic.patients import Consent, ConsentForm, HealthAnswers, Patient
from regenaid.clinic.prp import (
    FORMULA_VERSION,
    PrpProtocol,
    Range,
    SpinLimits,
)
from regenaid.clinic.treatments import ClinicPrpProtocol, PrpRecord
from regenaid.knowledge import load_knowledge
from regenaid.store.clinic_audit import SqlAuditTrail
from regenaid.store.clinic_tables import audit_entries, login_failures, metadata
from regenaid.store.clinic_uow import TABLE_OF, SqlClinicUnitOfWork
from regenaid.store.files import FileDocumentStore

T = TypeVar("T")

KB = load_knowledge()
NOW = datetime(2026, 11, 29, 10, 0, 0, 123456, tzinfo=UTC)  # microseconds must survive
PASSWORD = "maple quartz lantern river"
AGA = "androgenetic_alopecia"
CONSENT_TEXT = "I have read how the treatment works, its risks and its alternatives."


@functools.cache
def password_hash() -> str:
    """One Argon2id hash for every account of the module (each hash costs ~0.2-0.7 s)."""
    return hash_password(PASSWORD)


def account(clinic: Clinic, role: Role, email: str) -> StaffAccount:
    return StaffAccount(
        id=new_id(),
        clinic_id=clinic.id,
        email=email,
        display_name=f"{role.value.title()} of {clinic.name}",
        role=role,
        password_hash=password_hash(),
        totp_secret=None,
        totp_last_used_step=None,
        active=True,
        created_at=NOW,
    )


@dataclass
class World:
    """Two clinics, each with a clinician (and A with an admin), on a fresh database."""

    factory: sessionmaker[Session]
    clinic_a: Clinic
    clinic_b: Clinic
    a: services.Actor  # clinician of A
    b: services.Actor  # clinician of B
    admin_a: services.Actor

    def uow(self) -> Any:  # SqlClinicUnitOfWork; Any: its audit returns what it wrote
        return SqlClinicUnitOfWork(self.factory)

    def read(self, kind: type[T], clinic_id: str, record_id: str) -> T:
        with self.uow() as uow:
            found: T = uow.records(kind).get(clinic_id, record_id)
            return found

    def counts(self) -> dict[str, int]:
        """Rows in every table (clinic records, audit, directory, the decision aid's)."""
        with self.factory() as session:
            return {
                table.name: int(session.execute(select(func.count()).select_from(table)).scalar())
                for table in metadata.sorted_tables
            }


def _actor(member: StaffAccount) -> services.Actor:
    return services.Actor(
        StaffContext(member.id, member.clinic_id, member.role), client="127.0.0.1", now=NOW
    )


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    clinic_a = new_clinic("Clinic A", NOW, "GB")
    clinic_b = new_clinic("Clinic B", NOW, "US")
    members = [
        account(clinic_a, Role.CLINICIAN, "doctor@a.example"),
        account(clinic_b, Role.CLINICIAN, "doctor@b.example"),
        account(clinic_a, Role.ADMIN, "admin@a.example"),
    ]
    with SqlClinicUnitOfWork(session_factory) as uow:
        uow.directory.add_clinic(clinic_a)
        uow.directory.add_clinic(clinic_b)
        for member in members:
            uow.records(StaffAccount).add(member)
        uow.commit()
    return World(session_factory, clinic_a, clinic_b, *(_actor(m) for m in members))


# --- builders through the use cases ---------------------------------------------------------


def register(world: World, actor: services.Actor, **changes: Any) -> Patient:
    fields: dict[str, Any] = {
        "given_name": "Ana Maria",
        "family_name": "Silva Ñúñez",
        "birth_date": date(1985, 3, 1),
        "sex": "female",
        "phone": "+44 20 7946 0000",
        "email": "ana@example.org",
        **changes,
    }
    return services.register_patient(world.uow(), actor, **fields)


def ready_for(
    world: World, actor: services.Actor, treatment: str
) -> tuple[Patient, Course, list[CourseSession]]:
    """A patient with health answers and consent, on a course of ``treatment``."""
    patient = register(world, actor)
    services.record_health_answers(world.uow(), actor, patient.id, {})
    form = services.add_consent_form(
        world.uow(), actor, procedure=treatment, title=treatment.upper(), text=CONSENT_TEXT
    )
    services.record_consent(world.uow(), actor, patient.id, form.id)
    course, sessions = services.start_course(
        world.uow(),
        actor,
        KB,
        patient.id,
        condition=AGA,
        treatment=treatment,
        start=date(2026, 10, 1),
        horizon_months=6,
        severity="moderate",
    )
    return patient, course, list(sessions)


def lot_values(**changes: Any) -> dict[str, Any]:
    """A fully characterised lot as typed from its certificate (quantities as Decimal text)."""
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
        "labelled_routes": ("topical", "microneedling"),
        "storage_min_c": -80.0,
        "storage_max_c": -20.0,
        "coa_file": "coa/L2026-001.pdf",
        "regulatory": {
            "KR": LotRegulatoryStatus(
                jurisdiction="KR",
                status="cosmetic",
                text="Sold as a cosmetic ingredient in Korea (clinic's note).",
                sources=("MFDS cosmetic notification 2026-123",),
                origin="clinic",
            )
        },
        "jurisdictions": ("GB", "US", "DE"),
        **changes,
    }


def use_of(
    lot: ExosomeLot, session: CourseSession, patient: Patient, day: date, amount: str
) -> LotUse:
    return check_lot_use(
        lot,
        today=day,
        route="microneedling",
        quantity=amount,
        patient_id=patient.id,
        session_id=session.id,
    )


# --- every kind round-trips -----------------------------------------------------------------


def field_types(record: Any) -> dict[str, type]:
    """The type of each field: equal values of another type (a list for a tuple, a str for an
    enum, a float for a Decimal) would compare equal or almost, and are still a change."""
    return {f.name: type(getattr(record, f.name)) for f in fields(record)}


def tiny_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 64), (120, 90, 60)).save(out, format="PNG")
    return out.getvalue()


def test_every_record_kind_round_trips(world: World, tmp_path: Path) -> None:
    a = world.a
    written: list[Any] = []

    # patients, health answers, attached results, consent forms and consents
    patient, course, sessions = ready_for(world, a, "prp")
    bare = register(world, a, phone=None, email=None, sex="unknown", given_name="Zoë")
    written += [patient, bare, course, *sessions]
    with world.uow() as uow:
        written += list(uow.records(HealthAnswers).find(a.clinic_id, patient_id=patient.id))
        written += list(uow.records(ConsentForm).find(a.clinic_id))
        written += list(uow.records(Consent).find(a.clinic_id, patient_id=patient.id))
    intake = {
        "concern": "hair",
        "condition": AGA,
        "age": 41,
        "sex": "female",
        "severity": "moderate",
        "health": {"anticoagulant": False},
        "priorities": {"cost": 3},
    }
    assessment = {"contract": "regenaid.assessment/1", "scores": [0.1, 1e-9, 2.5], "note": "ü ✓"}
    attached = services.attach_saved_result(
        world.uow(),
        a,
        patient.id,
        intake=intake,
        assessment=assessment,
        choice={"leaning": "prp", "sure": [True, False, None]},
        saved_at=NOW - timedelta(days=3),
    )
    unchosen = services.attach_saved_result(
        world.uow(), a, bare.id, intake=intake, assessment={}, choice=None, saved_at=NOW
    )
    written += [attached, unchosen]
    second = services.add_consent_form(
        world.uow(), a, procedure="records", title="Records", text=CONSENT_TEXT + " v2"
    )
    kept = services.record_consent(world.uow(), a, bare.id, second.id)
    withdrawn = services.withdraw_consent(world.uow(), a, kept.id, "changed her mind")
    written += [second, withdrawn]
    assert withdrawn.withdrawn_at == NOW and withdrawn.withdrawn_by == a.staff_id

    # staff accounts (one with TOTP enrolled) and sessions
    enrolled = replace(
        account(world.clinic_a, Role.NURSE, "nurse@a.example"),
        totp_secret=new_totp_secret(),
        totp_last_used_step=2**40 + 7,  # beyond 32 bits (a BIGINT column)
    )
    _token, session = start_session(enrolled, NOW)
    with world.uow() as uow:
        uow.records(StaffAccount).add(enrolled)
        uow.records(StaffSession).add(session)
        uow.commit()
    written += [enrolled, session]

    # exosome lots (Decimal quantities, markers, regulatory mapping) and their uses
    lot = treatments.receive_lot(world.uow(), world.admin_a, **lot_values())
    assert set(lot.regulatory) == {"KR", "GB", "US", "DE"}
    assert lot.regulatory["DE"].matched == "EU" and lot.regulatory["KR"].origin == "clinic"
    used = use_of(lot, sessions[1], patient, NOW.date(), "0.125")
    with world.uow() as uow:
        uow.records(LotUse).add(used)
        uow.records(ExosomeLot).replace(consume(lot, used))
        uow.commit()
    off_label = check_lot_use(
        lot, today=NOW.date(), route="injection", quantity=1, override_reason="ordered by Dr X"
    )
    with world.uow() as uow:
        uow.records(LotUse).add(off_label)
        uow.commit()
    written += [used, off_label]
    recalled = treatments.recall_lot(world.uow(), world.admin_a, lot.id, "Sterility failure")
    written.append(recalled)
    assert recalled.quantity_left == Decimal("10.000")

    done = services.record_session_done(
        world.uow(), a, KB, sessions[1].id, on=NOW.date(), note="tolerated well"
    )
    written.append(done)
    event = treatments.report_adverse_event(
        world.uow(),
        a,
        patient_id=patient.id,
        term_id="skin_other_specify",
        term_detail="granuloma",
        grade=2,
        onset=NOW - timedelta(days=1),
        outcome="recovering",
        session_id=sessions[1].id,
        product_lot_id=lot.id,
        seriousness=["other_important_medical_event"],
        actions_taken=["medication", "local_care"],
        resolved_on=None,
        description="A small firm nodule at one injection point.",
    )
    written.append(event)

    # outcome measurements and photos (the photo's bytes in the file store)
    measured = outcome_services.record_measurement(
        world.uow(),
        a,
        patient_id=patient.id,
        course_id=course.id,
        measure="hair_density",
        value=151.5,
        method="phototrichogram_matched",
        site="vertex",
        site_marking="tattoo",
        landmark="2 cm behind the crown whorl",
        measured_on=NOW.date(),
    )
    photo = outcome_services.record_photo(
        world.uow(),
        a,
        FileDocumentStore(tmp_path),
        patient_id=patient.id,
        content=tiny_png(),
        view="vertex",
        taken_on=NOW.date(),
        course_id=course.id,
    )
    written += [measured, photo]
    assert photo.marketing_consent is False

    kinds = {type(r) for r in written}
    expected = set(TABLE_OF) - {ClinicPrpProtocol, PrpRecord}  # those: the next test
    assert kinds == expected, expected - kinds
    written = [r for r in written if r is not lot and r is not sessions[1]]  # changed since
    assert_read_back_equal(world, written)

    stored = world.read(ExosomeLot, a.clinic_id, lot.id)
    assert stored == recalled and isinstance(stored.quantity_left, Decimal)
    assert stored.quantity_received == Decimal("10.125")
    assert stored.markers == lot_values()["markers"]
    assert stored.labelled_routes == ("topical", "microneedling")
    assert stored.regulatory == recalled.regulatory
    assert stored.recalled_at == NOW and stored.recall_reason == "Sterility failure"
    assert world.read(StaffAccount, a.clinic_id, enrolled.id).totp_secret == enrolled.totp_secret
    assert world.read(CourseSession, a.clinic_id, done.id).recorded_at == NOW


def assert_read_back_equal(world: World, written: list[Any]) -> None:
    for original in written:
        back = world.read(type(original), original.clinic_id, original.id)
        assert back == original, type(original).__name__
        assert field_types(back) == field_types(original), type(original).__name__


def test_prp_protocol_and_record_round_trip(world: World) -> None:
    a = world.a
    patient, _course, sessions = ready_for(world, a, "prp")
    protocol = treatments.save_prp_protocol(
        world.uow(),
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
    record = treatments.record_prp_session(
        world.uow(),
        a,
        KB,
        prp_preparation(sessions[1].id, protocol.id, NOW - timedelta(hours=2)),
        on=NOW.date(),
        deviation_note="second spin ran long",
        note="tolerated well",
    )
    assert [d.field for d in record.deviations] == ["spins[1].minutes"]
    event = treatments.report_adverse_event(
        world.uow(),
        a,
        patient_id=patient.id,
        term_id="bruising",
        grade=1,
        onset=NOW,
        outcome="recovered",
        session_id=sessions[1].id,
        prp_preparation_id=record.id,
    )
    assert_read_back_equal(world, [protocol, record, event])
    prp = world.read(PrpRecord, a.clinic_id, record.id)
    assert prp.preparation == record.preparation and prp.derived == record.derived
    assert prp.preparation.drawn_at.tzinfo == UTC and prp.preparation.spins[1].brake == "on"
    assert prp.formula_version == FORMULA_VERSION
    assert treatments.prp_records(world.uow(), a, patient.id) == [prp]


def test_recall_list_reads_every_use_of_the_lot_oldest_first(world: World) -> None:
    patient, _course, sessions = ready_for(world, world.a, "exosome")
    other = register(world, world.a, given_name="Bea")
    lot = treatments.receive_lot(world.uow(), world.admin_a, **lot_values())
    second = treatments.receive_lot(world.uow(), world.admin_a, **lot_values(lot_number="L2"))
    uses = [
        use_of(lot, sessions[2], patient, date(2026, 11, 5), "1"),
        use_of(lot, sessions[1], patient, date(2026, 10, 15), "1.5"),
        check_lot_use(
            lot, today=date(2026, 11, 1), route="topical", quantity=2, patient_id=other.id
        ),
        use_of(second, sessions[3], patient, date(2026, 11, 26), "1"),
    ]
    with world.uow() as uow:
        for use in uses:
            uow.records(LotUse).add(use)
        uow.commit()
    lines = treatments.recall_list(world.uow(), world.admin_a, lot.id)
    assert [line.entry.used_on for line in lines] == [
        date(2026, 10, 15),
        date(2026, 11, 1),
        date(2026, 11, 5),
    ]
    assert [line.patient.id for line in lines] == [patient.id, other.id, patient.id]
    assert lines[0].entry.quantity == Decimal("1.5")
    csv_text = treatments.export_recall_csv(world.uow(), world.admin_a, lot.id)
    assert csv_text.count("\r\n") == 4 and second.id not in csv_text
    with pytest.raises(RecordNotFoundError):
        treatments.recall_list(world.uow(), world.b, lot.id)


def test_record_exosome_session_end_to_end(world: World) -> None:
    patient, _course, sessions = ready_for(world, world.a, "exosome")
    lot = treatments.receive_lot(world.uow(), world.admin_a, **lot_values())
    use = treatments.record_exosome_session(
        world.uow(),
        world.a,
        KB,
        sessions[1].id,
        lot_id=lot.id,
        quantity="1",
        route="topical",
        on=NOW.date(),
    )
    assert world.read(ExosomeLot, world.a.clinic_id, lot.id).quantity_left == Decimal("9.125")
    lines = treatments.recall_list(world.uow(), world.admin_a, lot.id)
    assert [(line.entry.session_id, line.patient.id) for line in lines] == [
        (sessions[1].id, patient.id)
    ]
    assert use.patient_id == patient.id


# --- one clinic never reaches another's records ---------------------------------------------


def test_another_clinics_records_are_not_found_and_cannot_be_replaced(world: World) -> None:
    theirs, _course, sessions = ready_for(world, world.b, "prp")
    their_lot = treatments.receive_lot(world.uow(), world.b, **lot_values())
    mine = register(world, world.a)
    a_id = world.a.clinic_id
    with world.uow() as uow:
        their_consent = uow.records(Consent).find(world.b.clinic_id)[0]
        for kind, record_id in (
            (Patient, theirs.id),
            (CourseSession, sessions[0].id),
            (ExosomeLot, their_lot.id),
            (Consent, their_consent.id),
        ):
            with pytest.raises(RecordNotFoundError):
                uow.records(kind).get(a_id, record_id)
            assert uow.records(kind).find(a_id, id=record_id) == []
        assert [p.id for p in uow.records(Patient).find(a_id)] == [mine.id]
        # a changed copy of B's patient, filed under clinic A, replaces nothing
        with pytest.raises(RecordNotFoundError):
            uow.records(Patient).replace(replace(theirs, clinic_id=a_id, family_name="Taken"))
        uow.commit()
    assert world.read(Patient, world.b.clinic_id, theirs.id) == theirs
    with pytest.raises(RecordNotFoundError):
        services.open_patient(world.uow(), world.a, theirs.id)
    with pytest.raises(RecordNotFoundError):
        services.edit_patient(world.uow(), world.a, theirs.id, {"phone": "0123 456 789"})
    with pytest.raises(RecordNotFoundError):
        treatments.recall_lot(world.uow(), world.admin_a, their_lot.id, "not ours")
    assert world.read(ExosomeLot, world.b.clinic_id, their_lot.id) == their_lot


def _cross_clinic_rows(
    world: World, theirs: Patient, their_form: ConsentForm, their_lot: ExosomeLot
) -> dict[str, Any]:
    a = world.a.clinic_id
    return {
        "health answers of B's patient": HealthAnswers(
            id=new_id(),
            clinic_id=a,
            patient_id=theirs.id,
            flags={},
            recorded_at=NOW,
            recorded_by="x",
        ),
        "consent on B's form": Consent(
            id=new_id(),
            clinic_id=a,
            patient_id=world_patient(world).id,
            procedure="prp",
            form_id=their_form.id,
            form_version=1,
            form_digest="0" * 64,
            taken_by="x",
            taken_at=NOW,
        ),
        "use of B's lot": LotUse(
            id=new_id(),
            clinic_id=a,
            lot_id=their_lot.id,
            used_on=NOW.date(),
            route="topical",
            quantity=Decimal(1),
            unit="mL",
        ),
        "adverse event of B's patient": AdverseEvent(
            id=new_id(),
            clinic_id=a,
            patient_id=theirs.id,
            term_id="bruising",
            grade=1,
            onset=NOW,
            outcome="recovered",
            recorded_at=NOW,
            recorded_by="x",
        ),
    }


def world_patient(world: World) -> Patient:
    with world.uow() as uow:
        found = uow.records(Patient).find(world.a.clinic_id)
    return found[0] if found else register(world, world.a)


@pytest.mark.parametrize(
    "which",
    [
        "health answers of B's patient",
        "consent on B's form",
        "use of B's lot",
        "adverse event of B's patient",
    ],
)
def test_database_refuses_a_row_pointing_into_another_clinic(world: World, which: str) -> None:
    theirs, _course, _sessions = ready_for(world, world.b, "prp")
    their_lot = treatments.receive_lot(world.uow(), world.b, **lot_values())
    with world.uow() as uow:
        their_form = uow.records(ConsentForm).find(world.b.clinic_id)[0]
    row = _cross_clinic_rows(world, theirs, their_form, their_lot)[which]
    before = world.counts()
    with pytest.raises(IntegrityError), world.uow() as uow:  # the composite foreign key
        uow.records(type(row)).add(row)
        uow.commit()
    assert world.counts() == before


def _lot_row(world: World) -> ExosomeLot:
    return new_lot(
        clinic_id=world.a.clinic_id,
        created_by=world.a.staff_id,
        now=NOW,
        **{k: v for k, v in lot_values().items() if k != "jurisdictions"},
    )


def _event_row(world: World, grade: int) -> AdverseEvent:
    return AdverseEvent(
        id=new_id(),
        clinic_id=world.a.clinic_id,
        patient_id=world_patient(world).id,
        term_id="pain",
        grade=grade,
        onset=NOW,
        outcome="recovered",
        recorded_at=NOW,
        recorded_by=world.a.staff_id,
    )


def _consent_row(world: World, **changes: Any) -> Consent:
    form = services.add_consent_form(
        world.uow(), world.a, procedure="prp", title="PRP", text=CONSENT_TEXT
    )
    consent = services.record_consent(world.uow(), world.a, world_patient(world).id, form.id)
    return replace(consent, **changes)


CHECKS: dict[str, Callable[[World], tuple[Any, bool]]] = {
    # (row, True when it replaces a stored row rather than adding one)
    "negative quantity_left": lambda w: (
        replace(_lot_row(w), quantity_left=Decimal("-0.001")),
        False,
    ),
    "more left than received": lambda w: (
        replace(_lot_row(w), quantity_left=Decimal("10.126")),
        False,
    ),
    "recall without a reason": lambda w: (replace(_lot_row(w), recalled_at=NOW), False),
    "grade 6": lambda w: (_event_row(w, 6), False),
    "grade 0": lambda w: (_event_row(w, 0), False),
    "grade 5 not fatal": lambda w: (_event_row(w, 5), False),
    "withdrawn_at without withdrawn_by": lambda w: (_consent_row(w, withdrawn_at=NOW), True),
    "withdrawn_by without withdrawn_at": lambda w: (_consent_row(w, withdrawn_by="x"), True),
}


@pytest.mark.parametrize("which", list(CHECKS))
def test_check_constraints_refuse_impossible_rows(world: World, which: str) -> None:
    row, stored = CHECKS[which](world)
    before = world.counts()
    with pytest.raises(IntegrityError), world.uow() as uow:
        records = uow.records(type(row))
        records.replace(row) if stored else records.add(row)
        uow.commit()
    assert world.counts() == before


# --- nothing half-written -------------------------------------------------------------------


def test_refused_exosome_session_writes_nothing(world: World) -> None:
    _patient, _course, sessions = ready_for(world, world.a, "exosome")
    expired = treatments.receive_lot(
        world.uow(),
        world.admin_a,
        **lot_values(
            manufacture_date=date(2025, 1, 1),
            received_date=date(2025, 2, 1),
            expiry_date=date(2026, 11, 28),
        ),
    )
    before = world.counts()
    with pytest.raises(RefusedError) as refused:
        treatments.record_exosome_session(
            world.uow(),
            world.a,
            KB,
            sessions[1].id,
            lot_id=expired.id,
            quantity="1",
            route="topical",
            on=NOW.date(),
        )
    assert refused.value.code == "lot_expired"
    assert world.counts() == before
    assert world.read(CourseSession, world.a.clinic_id, sessions[1].id).status == "planned"


def test_failure_after_some_writes_rolls_every_write_back(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient = register(world, world.a)
    before = world.counts()
    wrote: list[int] = []

    def broken_append(self: SqlAuditTrail, **values: Any) -> None:
        with world.factory() as look:  # another connection sees nothing yet
            wrote.append(
                int(look.execute(select(func.count()).select_from(TABLE_OF[Course])).scalar() or 0)
            )
        raise RuntimeError("disk full")

    monkeypatch.setattr(SqlAuditTrail, "append", broken_append)
    with pytest.raises(RuntimeError, match="disk full"):
        services.start_course(
            world.uow(),
            world.a,
            KB,
            patient.id,
            condition=AGA,
            treatment="prp",
            start=date(2026, 12, 1),
            horizon_months=12,
            severity="mild",
        )
    assert wrote == [0]
    assert world.counts() == before


# --- concurrency ----------------------------------------------------------------------------

THREADS = 8
APPENDS = 25


def test_concurrent_appends_of_one_clinic_make_one_unbroken_chain(world: World) -> None:
    clinic_id = world.a.clinic_id
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            start.wait()
            for i in range(APPENDS):
                with world.uow() as uow:  # one unit of work (one transaction) per append
                    uow.audit.append(
                        clinic_id=clinic_id,
                        staff_id=world.a.staff_id,
                        action="read",
                        record_kind="patient",
                        record_id=None,
                        at=NOW + timedelta(milliseconds=i),
                        client="127.0.0.1",
                        detail=f"thread={number},n={i}",
                    )
                    uow.commit()
        except BaseException as exc:  # reported below, with the thread's error
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    with world.factory() as session:
        trail = SqlAuditTrail(session)
        chain = list(trail.entries(chain_key(clinic_id)))
        head = trail.heads()[clinic_id]
    report = verify_chain(chain, expected_head=head)
    assert report.ok, report.summary()
    assert [e.seq for e in chain] == list(range(1, THREADS * APPENDS + 1))
    assert head.seq == THREADS * APPENDS and head.hash == chain[-1].hash
    assert len({e.detail for e in chain}) == THREADS * APPENDS  # no append lost or doubled


# --- sign-in throttle -----------------------------------------------------------------------


def test_sign_in_locks_after_five_failures(world: World) -> None:
    email = "doctor@a.example"
    for attempt in range(5):
        with pytest.raises(RefusedError) as refused:
            staff.sign_in(
                world.uow(),
                email=email,
                password=f"not the password {attempt}",
                client="203.0.113.9",
                now=NOW + timedelta(seconds=attempt),
            )
        assert refused.value.code == "sign_in_refused"
    with pytest.raises(RefusedError) as locked:  # even the right password waits now
        staff.sign_in(
            world.uow(),
            email=email,
            password=PASSWORD,
            client="198.51.100.4",
            now=NOW + timedelta(minutes=1),
        )
    assert locked.value.code == "throttled" and "try again in" in str(locked.value)
    with world.factory() as session:
        kinds = [row.kind for row in session.execute(select(login_failures.c.kind))]
        failed = session.execute(
            select(func.count())
            .select_from(audit_entries)
            .where(
                audit_entries.c.chain == world.a.clinic_id,
                audit_entries.c.action == "sign_in_failed",
            )
        ).scalar()
    assert sorted(kinds) == ["address"] * 5 + ["email"] * 5  # the refused attempt is not counted
    assert failed == 5
    later = staff.sign_in(
        world.uow(),
        email=email,
        password=PASSWORD,
        client="203.0.113.9",
        now=NOW + timedelta(minutes=16),
    )
    assert later.account.email == email and not later.needs_second_factor
    with world.uow() as uow:
        assert uow.directory.session(later.session.id) == later.session
