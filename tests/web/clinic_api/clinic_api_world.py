"""Two clinics behind one app, each with a signed-in account per role, and fresh records of
every kind on demand: the fixture world of the clinic API tests.

Accounts are stored directly with one Argon2 hash computed once per process (hashing costs
~0.2 s); every main account then signs in through the API itself (``POST /session``, and the
admins enrol their authenticator with ``POST /session/second-factor``). Records are made
with the clinic's use cases, as the clinician or admin of their clinic would.
"""

from __future__ import annotations

import functools
import io
import itertools
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pyotp
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from regenaid.clinic import outcome_services, services, treatments
from regenaid.clinic.access import Role, StaffContext
from regenaid.clinic.accounts import (
    Clinic,
    StaffAccount,
    StaffSession,
    complete_second_factor,
    hash_password,
    new_clinic,
    start_session,
)
from regenaid.clinic.courses import CourseSession
from regenaid.clinic.exosome_lots import ExosomeLot
from regenaid.clinic.ids import new_id
from regenaid.clinic.outcomes import Measurement
from regenaid.clinic.patients import ConsentForm, Patient
from regenaid.clinic.photos import Photo
from regenaid.clinic.prp import PrpPreparation, PrpProtocol, Range, Spin, SpinLimits
from regenaid.clinic.treatments import ClinicPrpProtocol, PrpRecord
from regenaid.config import Settings
from regenaid.decide import assess
from regenaid.decide.intake import parse_intake
from regenaid.knowledge import load_knowledge
from regenaid.store import SqlUnitOfWork, save_result
from regenaid.store.clinic_tables import audit_entries, audit_heads, metadata
from regenaid.store.clinic_uow import SqlClinicUnitOfWork
from regenaid.store.files import FileDocumentStore
from regenaid.web.app import create_app
from regenaid.web.clinic.auth import STAFF_COOKIE

PREFIX = "/api/v1/clinic"
PASSWORD = "plum orbit lantern quietly 7"
ROLES: tuple[str, ...] = tuple(r.value for r in Role)
KB = load_knowledge()
INTAKE: dict[str, Any] = {
    "concern": "hair",
    "condition": "androgenetic_alopecia",
    "age": 41,
    "sex": "male",
    "severity": "moderate",
}
SETUP_CLIENT = "192.0.2.10"


def today() -> date:
    return datetime.now(UTC).date()


@functools.cache
def password_hash() -> str:
    return hash_password(PASSWORD)


@functools.cache
def assessment() -> dict[str, Any]:
    return assess(parse_intake(INTAKE)).model_dump(mode="json")


# --- requests ---------------------------------------------------------------------------------


@dataclass
class StaffClient:
    """A test client holding one staff session (its cookie) and that session's CSRF token."""

    http: TestClient
    csrf: str | None = None
    answer: Any = None  # what signing in answered

    def send(self, call: Call) -> httpx.Response:
        headers = {}
        if call.method != "GET" and call.csrf and self.csrf is not None:
            headers["X-CSRF-Token"] = self.csrf
        if call.files is not None:  # multipart: a file and form fields
            return self.http.request(
                call.method,
                PREFIX + call.path,
                files=call.files,
                data=call.data,
                params=call.params,
                headers=headers,
            )
        return self.http.request(
            call.method, PREFIX + call.path, json=call.json, params=call.params, headers=headers
        )


@dataclass
class Call:
    """One request to the clinic API (``path`` below the prefix); ``client`` when it must be
    sent on its own session (signing in and out), else the caller's role's session."""

    method: str
    path: str
    json: Any = None
    params: dict[str, str] | None = None
    client: StaffClient | None = None
    csrf: bool = True
    files: dict[str, tuple[str, bytes, str]] | None = None  # multipart upload (with ``data``)
    data: dict[str, str] | None = None


# --- the world --------------------------------------------------------------------------------


@dataclass
class Side:
    """One clinic: its accounts, their signed-in clients, and record factories."""

    world: World
    name: str
    clinic: Clinic
    accounts: dict[str, StaffAccount] = field(default_factory=dict)
    clients: dict[str, StaffClient] = field(default_factory=dict)
    _forms: dict[str, ConsentForm] = field(default_factory=dict)
    _protocol: ClinicPrpProtocol | None = None
    _count: Iterator[int] = field(default_factory=itertools.count)

    @property
    def id(self) -> str:
        return self.clinic.id

    def uow(self) -> SqlClinicUnitOfWork:
        return SqlClinicUnitOfWork(self.world.factory)

    def actor(self, role: str = "clinician") -> services.Actor:
        account = self.accounts[role]
        return services.Actor(
            StaffContext(account.id, self.id, account.role), SETUP_CLIENT, datetime.now(UTC)
        )

    def unique(self) -> int:
        return next(self._count)

    # accounts

    def add_account(self, role: str) -> StaffAccount:
        number = next(self._count)
        account = StaffAccount(
            id=new_id(),
            clinic_id=self.id,
            email=f"{role}{number}@clinic-{self.name.lower()}.example.org",
            display_name=f"{role.title()} {self.name}{number}",
            role=Role(role),
            password_hash=password_hash(),
            totp_secret=None,
            totp_last_used_step=None,
            active=True,
            created_at=datetime.now(UTC),
        )
        with self.uow() as uow:
            uow.records(StaffAccount).add(account)
            uow.commit()
        return account

    # patients and consent

    def patient(self, **health: bool) -> Patient:
        number = next(self._count)
        patient = services.register_patient(
            self.uow(),
            self.actor(),
            given_name=f"Given{self.name}{number}",
            family_name=f"Family{self.name}{self.id[:8]}{number}",
            birth_date=date(1985, 3, 1),
            sex="male",
            phone="+44 20 7946 0000",
            email=f"patient{number}@{self.name.lower()}.example.org",
        )
        services.record_health_answers(self.uow(), self.actor(), patient.id, health)
        return patient

    def form(self, procedure: str) -> ConsentForm:
        if procedure not in self._forms:
            self._forms[procedure] = services.add_consent_form(
                self.uow(),
                self.actor(),
                procedure=procedure,
                title=f"{procedure} consent",
                text=f"I understand what {procedure} treatment involves and its risks.",
            )
        return self._forms[procedure]

    def forget_forms(self) -> None:
        """Make new consent texts next time (after a test added newer versions)."""
        self._forms.clear()

    def consenting_patient(self, procedure: str, **health: bool) -> Patient:
        patient = self.patient(**health)
        services.record_consent(self.uow(), self.actor(), patient.id, self.form(procedure).id)
        return patient

    def consent(self) -> str:
        patient = self.patient()
        return services.record_consent(
            self.uow(), self.actor(), patient.id, self.form("records").id
        ).id

    def attached_result(self, patient: Patient) -> str:
        return services.attach_saved_result(
            self.uow(),
            self.actor(),
            patient.id,
            intake=INTAKE,
            assessment=assessment(),
            choice=None,
            saved_at=datetime.now(UTC),
        ).id

    # courses

    def course(
        self, treatment: str, patient: Patient | None = None, **health: bool
    ) -> tuple[str, list[CourseSession]]:
        patient = patient or self.consenting_patient(treatment, **health)
        course, sessions = services.start_course(
            self.uow(),
            self.actor(),
            KB,
            patient.id,
            condition="androgenetic_alopecia",
            treatment=treatment,
            start=today(),
            horizon_months=12,
            severity="moderate",
        )
        return course.id, list(sessions)

    def session_with_patient(self, treatment: str, **health: bool) -> tuple[Patient, CourseSession]:
        """A patient ready for ``treatment`` (health answers, consent) and the first
        treatment session of their new course."""
        patient = self.consenting_patient(treatment, **health)
        _, sessions = self.course(treatment, patient)
        return patient, next(s for s in sessions if s.kind == "initial")

    def treatment_session(self, treatment: str, **health: bool) -> CourseSession:
        return self.session_with_patient(treatment, **health)[1]

    # PRP

    def protocol(self) -> ClinicPrpProtocol:
        if self._protocol is None:
            self._protocol = treatments.save_prp_protocol(
                self.uow(),
                self.actor(),
                PrpProtocol(
                    name=f"Scalp PRP double spin {self.name}",
                    spins=(
                        SpinLimits(rcf_g=Range(250, 350), minutes=Range(4, 6)),
                        SpinLimits(rcf_g=Range(900, 1100), minutes=Range(8, 12)),
                    ),
                    whole_blood_volume_ml=Range(50, 60),
                    final_volume_ml=Range(5, 7),
                    concentration_factor=Range(3.5, 6),
                ),
            )
        return self._protocol

    def prp_record(self) -> PrpRecord:
        session = self.treatment_session("prp")
        values = prp_body(self.protocol().id)
        values.pop("on")
        spins = tuple(Spin(**s) for s in values.pop("spins"))
        for name in ("drawn_at", "ready_at", "injected_at"):
            values[name] = datetime.fromisoformat(values[name])
        prep = PrpPreparation(session_id=session.id, spins=spins, **values)
        return treatments.record_prp_session(self.uow(), self.actor(), KB, prep, on=today())

    # exosome lots

    def lot(self, **changes: Any) -> ExosomeLot:
        values = lot_values(**changes)
        values.pop("jurisdictions")
        for name in ("expiry_date", "received_date", "manufacture_date"):
            values[name] = date.fromisoformat(values[name])
        values["labelled_routes"] = tuple(values["labelled_routes"])
        return treatments.receive_lot(self.uow(), self.actor("admin"), **values)

    def used_lot(self) -> ExosomeLot:
        lot = self.lot()
        session = self.treatment_session("exosome")
        treatments.record_exosome_session(
            self.uow(),
            self.actor(),
            KB,
            session.id,
            lot_id=lot.id,
            quantity=Decimal(1),
            route="topical",
            on=today(),
        )
        return lot

    def adverse_event(self) -> str:
        record = self.prp_record()
        values = adverse_body(record.patient_id, session_id=record.session_id, prep_id=record.id)
        values["onset"] = datetime.fromisoformat(values["onset"])
        return treatments.report_adverse_event(self.uow(), self.actor(), **values).id

    def seed(self) -> None:
        """At least one record of every kind (the lists must not show them to the other)."""
        self.attached_result(self.patient())
        self.consent()
        withdrawn = self.consent()
        services.withdraw_consent(self.uow(), self.actor(), withdrawn, "changed their mind")
        self.adverse_event()
        lot = self.used_lot()
        treatments.recall_lot(self.uow(), self.actor("admin"), lot.id, "maker's recall notice")
        _, sessions = self.course("exosome")
        services.record_session_missed(self.uow(), self.actor(), sessions[1].id, "ill")
        services.move_session(self.uow(), self.actor(), sessions[2].id, sessions[2].planned)
        self.measured_patient()

    # outcomes

    def measurement(self, patient: Patient, value: float, on: date) -> Measurement:
        return outcome_services.record_measurement(
            self.uow(),
            self.actor(),
            patient_id=patient.id,
            measure="hair_density",
            value=value,
            method="phototrichogram_corrected",
            site="vertex",
            site_marking="tattoo",
            measured_on=on,
        )

    def photo(self, patient: Patient | None = None) -> Photo:
        return outcome_services.record_photo(
            self.uow(),
            self.actor(),
            FileDocumentStore(self.world.app.state.settings.files_dir),
            patient_id=(patient or self.patient()).id,
            content=jpeg(),
            view="vertex",
            taken_on=today(),
            concern="hair",
        )

    def measured_patient(self) -> Patient:
        """A patient with a baseline, a follow-up and a photo."""
        patient = self.patient()
        self.measurement(patient, 150, today() - timedelta(days=90))
        self.measurement(patient, 175, today())
        self.photo(patient)
        return patient


class World:
    """The app, its database and the two clinics ``A`` and ``B``."""

    def __init__(self, database_url: str = "", app: FastAPI | None = None) -> None:
        self._files: tempfile.TemporaryDirectory[str] | None = None
        if app is None:  # photos of an app built here go to a folder removed by close()
            self._files = tempfile.TemporaryDirectory(prefix="regenaid-clinic-files-")
            app = create_app(
                Settings(
                    environment="test",
                    database_url=database_url,
                    secret_key="test-secret",
                    files_dir=Path(self._files.name),
                )
            )
        self.app: FastAPI = app
        self.factory = self.app.state.session_factory
        self._addresses = (f"10.{i // 250}.{i % 250}.1" for i in itertools.count(1))
        self._clients: list[TestClient] = []
        self.sides: dict[str, Side] = {}
        for name in ("A", "B"):
            clinic = new_clinic(f"Clinic {name}", datetime.now(UTC), "GB")
            with SqlClinicUnitOfWork(self.factory) as uow:
                uow.directory.add_clinic(clinic)
                uow.commit()
            side = Side(self, name, clinic)
            for role in ROLES:
                side.accounts[role] = side.add_account(role)
            self.sides[name] = side
        for side in self.sides.values():
            for role in ROLES:
                side.clients[role] = self.sign_in(side.accounts[role])

    @property
    def a(self) -> Side:
        return self.sides["A"]

    @property
    def b(self) -> Side:
        return self.sides["B"]

    def http(self) -> TestClient:
        """A fresh client (no cookies) from an address of its own, so that failed sign-ins
        of one test never throttle another."""
        client = TestClient(self.app, client=(next(self._addresses), 50000))
        self._clients.append(client)
        return client

    def anonymous(self) -> StaffClient:
        return StaffClient(self.http())

    def sign_in_only(self, account: StaffAccount) -> StaffClient:
        """Sign in through the API with the password (an admin's session then waits for the
        second factor)."""
        http = self.http()
        answer = http.post(f"{PREFIX}/session", json={"email": account.email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return StaffClient(http, answer.json()["csrf_token"], answer.json())

    def sign_in(self, account: StaffAccount) -> StaffClient:
        """Sign in through the API; an admin enrols a fresh authenticator key on the way."""
        client = self.sign_in_only(account)
        http, body = client.http, client.answer
        if body["second_factor_needed"]:
            secret = body["totp_enrolment"]["secret"]
            done = http.post(
                f"{PREFIX}/session/second-factor",
                json={"code": pyotp.TOTP(secret).now(), "new_secret": secret},
                headers={"X-CSRF-Token": client.csrf or ""},
            )
            assert done.status_code == 200, done.text
            client.csrf = done.json()["csrf_token"]
        return client

    def direct_client(self, account: StaffAccount) -> StaffClient:
        """A second session of ``account`` made in the database (no password, no TOTP)."""
        now = datetime.now(UTC)
        _, pending = start_session(account, now)
        token, session = complete_second_factor(pending, now)
        with SqlClinicUnitOfWork(self.factory) as uow:
            uow.records(StaffSession).add(session)
            uow.commit()
        http = self.http()
        http.cookies.set(STAFF_COOKIE, token)
        return StaffClient(http, session.csrf_token)

    def saved_result_token(self) -> str:
        return save_result(SqlUnitOfWork(self.factory), INTAKE, assessment())

    def dump(self, clinic_id: str) -> dict[str, list[tuple[str, ...]]]:
        """Every stored row that belongs to the clinic, table by table, as sorted text."""
        out: dict[str, list[tuple[str, ...]]] = {}
        with self.factory() as session:
            for table in metadata.sorted_tables:
                if table is audit_entries or table is audit_heads:
                    query = select(table).where(table.c.chain == clinic_id)
                elif table.name == "clinics":
                    query = select(table).where(table.c.id == clinic_id)
                elif "clinic_id" in table.c:
                    query = select(table).where(table.c.clinic_id == clinic_id)
                else:
                    continue
                rows = session.execute(query).all()
                out[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
        return out

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self.app.state.engine.dispose()
        if self._files is not None:
            self._files.cleanup()


def _identifying(value: str) -> bool:
    is_id = len(value) == 22 and value.replace("-", "").replace("_", "").isalnum()
    is_email = "@" in value and len(value) < 254
    return is_id or is_email or value.startswith(("Given", "Family"))


def identifiers(dump: dict[str, list[tuple[str, ...]]]) -> set[str]:
    """Every id (22 characters), e-mail address and patient name in a clinic's dump."""
    return {value for rows in dump.values() for row in rows for value in row if _identifying(value)}


# --- request bodies ---------------------------------------------------------------------------


def jpeg(colour: tuple[int, int, int] = (200, 150, 120)) -> bytes:
    """A small JPEG photo (the domain wants at least 64 pixels a side)."""
    out = io.BytesIO()
    Image.new("RGB", (96, 72), colour).save(out, format="JPEG")
    return out.getvalue()


def prp_body(protocol_id: str | None, **changes: Any) -> dict[str, Any]:
    """A scalp PRP preparation inside the protocol of :meth:`Side.protocol` (as JSON)."""
    drawn = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    body: dict[str, Any] = {
        "on": today().isoformat(),
        "protocol_id": protocol_id,
        "drawn_at": drawn.isoformat(),
        "whole_blood_volume_ml": 54.0,
        "anticoagulant": "acd_a",
        "anticoagulant_volume_ml": 6.0,
        "kit_brand": "ExampleKit",
        "kit_lot": "L-2026-031",
        "system_type": "closed",
        "centrifuge_model": "Benchtop 200",
        "rotor_radius_cm": 10.0,
        "spins": [
            {"rcf_g": 300.0, "minutes": 5.0, "temperature_c": 21.0, "brake": "off"},
            {"rpm": 3000.0, "minutes": 10.0, "temperature_c": 21.0, "brake": "on"},
        ],
        "baseline_platelets_k_per_ul": 250.0,
        "baseline_leukocytes_k_per_ul": 6.0,
        "baseline_neutrophil_percent": 55.0,
        "baseline_haematocrit_percent": 42.0,
        "analyser": "Sysmex XN-1000",
        "prp_platelets_k_per_ul": 1100.0,
        "prp_leukocytes_k_per_ul": 2.0,
        "prp_neutrophil_percent": 10.0,
        "prp_red_cells_m_per_ul": 0.05,
        "final_volume_ml": 6.0,
        "claimed_concentration_factor": 4.0,
        "activation": "calcium_chloride",
        "activation_ratio": 0.1,
        "ready_at": (drawn + timedelta(minutes=40)).isoformat(),
        "injected_at": (drawn + timedelta(minutes=55)).isoformat(),
        "injection_technique": "manual_syringe",
        "injection_depth_mm": 2.0,
        "needle_gauge": 30,
        "treated_area_cm2": 200.0,
        "injected_volume_ml": 6.0,
    }
    body.update(changes)
    return body


def lot_values(**changes: Any) -> dict[str, Any]:
    """A fully characterised plant-derived lot (as JSON), usable for a year."""
    day = today()
    values: dict[str, Any] = {
        "product_name": "Demo EV Serum",
        "manufacturer": "Example Bio",
        "manufacturer_country": "KR",
        "catalogue_number": "EVS-10",
        "lot_number": f"L-{new_id()[:8]}",
        "manufacture_date": (day - timedelta(days=90)).isoformat(),
        "expiry_date": (day + timedelta(days=365)).isoformat(),
        "received_date": (day - timedelta(days=30)).isoformat(),
        "quantity_unit": "vial",
        "quantity_received": 10,
        "source": "plant",
        "maker_term": "exosomes",
        "separation_method": "tangential flow filtration",
        "particle_concentration_per_ml": 1e10,
        "particle_method": "nta",
        "size_mode_nm": 120.0,
        "protein_ug_per_ml": 250.0,
        "markers": {"CD63": "present", "CD81": "present", "TSG101": "present"},
        "imaging_method": "TEM",
        "sterility": "pass",
        "endotoxin": "pass",
        "mycoplasma": "pass",
        "form": "lyophilised",
        "storage_min_c": 2.0,
        "storage_max_c": 8.0,
        "labelled_routes": ["topical", "microneedling"],
        "jurisdictions": [],
    }
    values.update(changes)
    return values


def adverse_body(
    patient_id: str,
    *,
    session_id: str | None = None,
    lot_id: str | None = None,
    prep_id: str | None = None,
) -> dict[str, Any]:
    onset = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    return {
        "patient_id": patient_id,
        "term_id": "injection_site_reaction",
        "grade": 1,
        "onset": onset.isoformat(),
        "outcome": "recovering",
        "session_id": session_id,
        "product_lot_id": lot_id,
        "prp_preparation_id": prep_id,
        "actions_taken": ["observation"],
    }
