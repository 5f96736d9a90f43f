"""One clinic behind a fresh app (temporary SQLite), a browser-like client per role that signs
in through the pages themselves, and records made with the clinic's use cases on demand.

Accounts are stored directly with one Argon2 hash computed once per process (hashing costs
~0.2 s); signing in goes through ``/clinic/sign-in`` (and the admin enrols the authenticator
on ``/clinic/second-factor`` with a code computed from the secret shown on the page).
"""

from __future__ import annotations

import functools
import html
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pyotp
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from regenaid.clinic import outcome_services, services, treatments
from regenaid.clinic.access import Role, StaffContext
from regenaid.clinic.accounts import Clinic, StaffAccount, hash_password, new_clinic
from regenaid.clinic.courses import Course, CourseSession
from regenaid.clinic.exosome_lots import ExosomeLot
from regenaid.clinic.ids import new_id
from regenaid.clinic.outcomes import Measurement
from regenaid.clinic.patients import ConsentForm, Patient
from regenaid.clinic.photos import Photo
from regenaid.decide import assess
from regenaid.decide.intake import parse_intake
from regenaid.knowledge import load_knowledge
from regenaid.store import SqlUnitOfWork, save_result
from regenaid.store.clinic_uow import SqlClinicUnitOfWork
from regenaid.store.files import FileDocumentStore

PASSWORD = "amber kettle morning drift 42"
KB = load_knowledge()
CLIENT = ("127.0.0.1", 50000)
INTAKE: dict[str, Any] = {
    "concern": "hair",
    "condition": "androgenetic_alopecia",
    "age": 41,
    "sex": "female",
    "severity": "moderate",
}


@functools.cache
def password_hash() -> str:
    return hash_password(PASSWORD)


def now() -> datetime:
    return datetime.now(UTC)


def form_tokens(text: str) -> tuple[str | None, str | None]:
    """The site-wide CSRF token and the staff session's token of the first form on a page."""
    site = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', text)
    staff = re.search(r'name="staff_csrf" value="([^"]+)"', text)
    return (site.group(1) if site else None, staff.group(1) if staff else None)


def text_of(page: str) -> str:
    """The page's words as a person reads them: tags dropped, entities decoded, spaces
    collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def error_for(text: str, field_id: str) -> str | None:
    """The message shown beside the field with id ``field_id`` (its ``-err`` paragraph), when
    the input says so with ``aria-describedby``; None when there is none."""
    found = re.search(rf'<p class="error" id="{re.escape(field_id)}-err">(.*?)</p>', text, re.S)
    if not found:
        return None
    described = re.search(
        rf'id="{re.escape(field_id)}"[^>]*aria-describedby="[^"]*{field_id}-err', text
    )
    assert described, f"{field_id} has a message but the input does not point to it"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


@dataclass
class Staff:
    """A signed-in staff member's browser: its own cookies and the two form tokens."""

    client: TestClient
    account: StaffAccount
    csrf: str = ""
    staff_csrf: str = ""

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        response = self.client.get(url, follow_redirects=False, **kwargs)
        site, staff = form_tokens(response.text)
        self.csrf = site or self.csrf
        self.staff_csrf = staff or self.staff_csrf
        return response

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        if not self.csrf:
            self.get("/clinic")
        body = {"csrf_token": self.csrf, "staff_csrf": self.staff_csrf, **(data or {})}
        return self.client.post(url, data=body, follow_redirects=False, **kwargs)

    def follow(self, response: httpx.Response) -> httpx.Response:
        assert response.status_code == 303, (response.status_code, response.text[:2000])
        return self.get(response.headers["location"])


@dataclass
class World:
    app: FastAPI
    clinic: Clinic
    accounts: dict[str, StaffAccount]
    signed_in: dict[str, Staff] = field(default_factory=dict)

    def uow(self) -> SqlClinicUnitOfWork:
        return SqlClinicUnitOfWork(self.app.state.session_factory)

    def actor(self, role: str = "clinician") -> services.Actor:
        account = self.accounts[role]
        return services.Actor(
            StaffContext(account.id, self.clinic.id, account.role), "127.0.0.1", now()
        )

    def browser(self) -> TestClient:
        return TestClient(self.app, client=CLIENT)

    def as_role(self, role: str) -> Staff:
        """The role's staff member, signed in through the pages (once per test)."""
        if role not in self.signed_in:
            self.signed_in[role] = sign_in(self.browser(), self.accounts[role])
        return self.signed_in[role]

    # --- records, made with the use cases ---------------------------------------------------

    def patient(self, **changes: Any) -> Patient:
        fields: dict[str, Any] = {
            "given_name": "Ana",
            "family_name": "Silva",
            "birth_date": date(1985, 3, 1),
            "sex": "female",
            "phone": "+44 20 7946 0000",
            "email": "ana@example.org",
        }
        fields.update(changes)
        return services.register_patient(self.uow(), self.actor(), **fields)

    def health(self, patient: Patient, **flags: bool) -> None:
        services.record_health_answers(self.uow(), self.actor(), patient.id, flags)

    def consent_form(self, procedure: str = "prp") -> ConsentForm:
        return services.add_consent_form(
            self.uow(),
            self.actor(),
            procedure=procedure,
            title=f"{procedure} consent",
            text="I understand the benefits, the risks and the other choices.",
        )

    def consent(self, patient: Patient, procedure: str = "prp") -> None:
        form = self.consent_form(procedure)
        services.record_consent(self.uow(), self.actor(), patient.id, form.id)

    def course(
        self, patient: Patient, treatment: str = "prp", start: date | None = None
    ) -> tuple[Course, list[CourseSession]]:
        course, sessions = services.start_course(
            self.uow(),
            self.actor(),
            KB,
            patient.id,
            condition="androgenetic_alopecia",
            treatment=treatment,
            start=start or now().date(),
            horizon_months=12,
            severity="moderate",
        )
        return course, list(sessions)

    def ready_patient(self, treatment: str = "prp") -> tuple[Patient, CourseSession]:
        """A patient with health answers, consent and a course; its first procedure session."""
        patient = self.patient()
        self.health(patient)
        self.consent(patient, treatment)
        _, sessions = self.course(patient, treatment)
        return patient, next(s for s in sessions if s.kind != "consultation")

    def lot(self, **changes: Any) -> ExosomeLot:
        values: dict[str, Any] = {
            "product_name": "Exo Serum",
            "manufacturer": "Maker Co",
            "manufacturer_country": "KR",
            "lot_number": "L-001",
            "expiry_date": now().date() + timedelta(days=180),
            "received_date": now().date(),
            "quantity_unit": "vial",
            "quantity_received": Decimal(10),
            "source": "plant",
            "maker_term": "exosomes",
            "form": "lyophilised",
            "labelled_routes": ("topical", "microneedling"),
        }
        values.update(changes)
        return treatments.receive_lot(self.uow(), self.actor(), **values, jurisdictions=("US",))

    def outcomes(self, patient: Patient) -> tuple[Measurement, Photo]:
        """A baseline hair density and a vertex photo of ``patient`` (the app's files folder)."""
        baseline = outcome_services.record_measurement(
            self.uow(),
            self.actor(),
            patient_id=patient.id,
            measure="hair_density",
            value=150,
            method="phototrichogram_corrected",
            site="vertex",
            measured_on=now().date(),
        )
        image = io.BytesIO()
        Image.new("RGB", (96, 72), (200, 150, 120)).save(image, format="JPEG")
        photo = outcome_services.record_photo(
            self.uow(),
            self.actor(),
            FileDocumentStore(self.app.state.settings.files_dir),
            patient_id=patient.id,
            content=image.getvalue(),
            view="vertex",
            taken_on=now().date(),
            concern="hair",
        )
        return baseline, photo

    def saved_result(self, **intake_changes: Any) -> str:
        """A decision-aid result saved with a choice; its link secret."""
        intake = {**INTAKE, **intake_changes}
        assessment = assess(parse_intake(intake)).model_dump(mode="json")
        return save_result(
            SqlUnitOfWork(self.app.state.session_factory),
            parse_intake(intake).model_dump(mode="json"),
            assessment,
            choice={"leaning": "prp", "sure": {"sure": "yes", "understand": "no"}},
        )


def make_world(app: FastAPI) -> World:
    clinic = new_clinic("Riverside Hair Clinic", now(), "US")
    accounts = {
        role.value: StaffAccount(
            id=new_id(),
            clinic_id=clinic.id,
            email=f"{role.value}@riverside.example",
            display_name=f"{role.value.title()} Person",
            role=role,
            password_hash=password_hash(),
            totp_secret=None,
            totp_last_used_step=None,
            active=True,
            created_at=now(),
        )
        for role in Role
    }
    uow = SqlClinicUnitOfWork(app.state.session_factory)
    with uow:
        uow.directory.add_clinic(clinic)
        for account in accounts.values():
            uow.records(StaffAccount).add(account)
        uow.commit()
    return World(app, clinic, accounts)


def sign_in(client: TestClient, account: StaffAccount) -> Staff:
    """Sign in through the pages; an admin sets up the authenticator on the way."""
    staff = Staff(client, account)
    staff.get("/clinic/sign-in")
    response = client.post(
        "/clinic/sign-in",
        data={"csrf_token": staff.csrf, "email": account.email, "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:2000]
    if response.headers["location"] == "/clinic/second-factor":
        page = staff.get("/clinic/second-factor")
        secret = re.search(r'data-secret="([A-Z2-7]+)"', page.text)
        assert secret, "the enrolment page shows the secret"
        _, pending = form_tokens(page.text)
        response = client.post(
            "/clinic/second-factor",
            data={
                "csrf_token": staff.csrf,
                "staff_csrf": pending,
                "new_secret": secret.group(1),
                "totp_code": pyotp.TOTP(secret.group(1)).now(),
            },
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text[:2000]
    assert response.headers["location"] == "/clinic"
    staff.get("/clinic")
    return staff
