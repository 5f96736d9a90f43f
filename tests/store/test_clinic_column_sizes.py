"""Whatever the clinic's rules accept, the database stores: the longest text each rule lets
through fits its column, on SQLite and PostgreSQL.

SQLite ignores the length of ``VARCHAR(n)``; PostgreSQL refuses a longer value, so a column
shorter than its rule's limit only shows on PostgreSQL, as an error in the middle of a use
case. Each case builds a record with the domain's own functions (which check the limits),
with one text at the longest the rule allows, and stores it. Columns found shorter than their
rule fail on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from regenaid.clinic.access import Role
from regenaid.clinic.accounts import EMAIL_MAX, Clinic, StaffAccount, new_clinic, normalise_email
from regenaid.clinic.accounts import NAME_MAX as ACCOUNT_NAME_MAX
from regenaid.clinic.adverse_events import DESCRIPTION_MAX, DETAIL_MAX, new_adverse_event
from regenaid.clinic.courses import Course, CourseSession, plan_course, record_done
from regenaid.clinic.exosome_lots import (
    OVERRIDE_REASON_MAX,
    STATEMENT_MAX,
    TEXT_MAX,
    ExosomeLot,
    check_lot_use,
    new_lot,
    recall,
)
from regenaid.clinic.ids import new_id
from regenaid.clinic.patients import EMAIL_MAX as PATIENT_EMAIL_MAX
from regenaid.clinic.patients import (
    NAME_MAX,
    Consent,
    ConsentForm,
    Patient,
    new_consent_form,
    new_patient,
    take_consent,
    withdraw_consent,
)
from regenaid.errors import InvalidInputError
from regenaid.knowledge import load_knowledge
from regenaid.store.clinic_uow import SqlClinicUnitOfWork

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
KB = load_knowledge()
COA_MAX = 500  # exosome_lots.validate_lot: coa_file
WITHDRAWAL_NOTE_MAX = 500  # patients.withdraw_consent
SESSION_NOTE_MAX = 1000  # courses.record_done


def long_email(total: int, local: int = 64) -> str:
    """An address of exactly ``total`` characters, in labels of at most 63 characters."""
    domain_length = total - local - 1 - len(".org")
    labels = []
    while domain_length > 0:
        size = min(63, domain_length)
        if size < domain_length and domain_length - size < 2:
            size -= 2  # leave room for a dot and a letter
        labels.append("d" * size)
        domain_length -= size + 1
    email = "a" * local + "@" + ".".join(labels) + ".org"
    assert len(email) == total, len(email)
    return email


Step = tuple[Any, bool]  # a record, and True when it replaces the stored version


@dataclass
class Base:
    """A clinic with one patient, one course with its sessions, one lot (short values)."""

    factory: sessionmaker[Session]
    clinic: Clinic
    patient: Patient
    course: Course
    sessions: list[CourseSession]
    lot: ExosomeLot

    def store(self, *steps: Step) -> None:
        with SqlClinicUnitOfWork(self.factory) as uow:
            for record, replacing in steps:
                if isinstance(record, Clinic):
                    uow.directory.add_clinic(record)
                    continue
                kept = uow.records(type(record))
                kept.replace(record) if replacing else kept.add(record)
            uow.commit()

    def read(self, record: Any) -> Any:
        with SqlClinicUnitOfWork(self.factory) as uow:
            if isinstance(record, Clinic):
                return uow.directory.clinic(record.id)
            return uow.records(type(record)).get(record.clinic_id, record.id)


def lot_values(**changes: Any) -> dict[str, Any]:
    return {
        "product_name": "EV Serum",
        "manufacturer": "Example Bio",
        "manufacturer_country": "KR",
        "lot_number": "L1",
        "expiry_date": date(2027, 3, 31),
        "received_date": date(2026, 4, 2),
        "quantity_unit": "vial",
        "quantity_received": Decimal(10),
        "source": "plant",
        "maker_term": "exosomes",
        "form": "liquid",
        "labelled_routes": ("topical",),
        **changes,
    }


@pytest.fixture
def base(session_factory: sessionmaker[Session]) -> Base:
    clinic = new_clinic("Clinic", NOW)
    patient = new_patient(
        clinic_id=clinic.id,
        given_name="Ana",
        family_name="Silva",
        birth_date=date(1980, 1, 1),
        sex="female",
        phone=None,
        email=None,
        created_by="s",
        now=NOW,
    )
    course, _plan, sessions = plan_course(
        KB,
        patient=patient,
        condition="androgenetic_alopecia",
        treatment="exosome",
        start=date(2026, 10, 1),
        horizon_months=6,
        severity="mild",
        attached_intake=None,
        attached_result_id=None,
        created_by="s",
        now=NOW,
    )
    lot = new_lot(clinic_id=clinic.id, created_by="s", now=NOW, **lot_values())
    made = Base(session_factory, clinic, patient, course, sessions, lot)
    made.store(*((r, False) for r in (clinic, patient, course, *sessions, lot)))
    return made


def _longest_lot(base: Base, field: str, limit: int) -> list[Step]:
    values = lot_values(**{"lot_number": "L2", field: "x" * limit})
    return [(new_lot(clinic_id=base.clinic.id, created_by="s", now=NOW, **values), False)]


def _consent(base: Base) -> tuple[ConsentForm, Consent]:
    form = new_consent_form(
        clinic_id=base.clinic.id,
        procedure="exosome",
        title="T" * NAME_MAX,
        text="I understand the treatment, its risks and its alternatives.",
        earlier=[],
        created_by="s",
        now=NOW,
    )
    return form, take_consent(patient=base.patient, form=form, taken_by="s", now=NOW)


def _patient(base: Base, **changes: Any) -> list[Step]:
    values: dict[str, Any] = {
        "clinic_id": base.clinic.id,
        "given_name": "G" * NAME_MAX,
        "family_name": "F" * NAME_MAX,
        "birth_date": date(1980, 1, 1),
        "sex": "other",
        "phone": "+" + "1" * 29,
        "email": None,
        "created_by": "s",
        "now": NOW,
        **changes,
    }
    return [(new_patient(**values), False)]


def _event(base: Base, **changes: Any) -> list[Step]:
    event = new_adverse_event(
        clinic_id=base.clinic.id,
        recorded_by="s",
        now=NOW,
        **{
            "patient_id": base.patient.id,
            "term_id": "skin_other_specify",
            "term_detail": "granuloma",
            "grade": 1,
            "onset": NOW,
            "outcome": "recovered",
            **changes,
        },
    )
    return [(event, False)]


def _withdrawn(base: Base) -> list[Step]:
    form, consent = _consent(base)
    note = "w" * WITHDRAWAL_NOTE_MAX
    gone = withdraw_consent(consent, by="s", note=note, now=NOW)
    return [(form, False), (consent, False), (gone, True)]


# case -> what to store, in order
CASES: dict[str, Callable[[Base], list[Step]]] = {
    "clinics.name": lambda b: [(new_clinic("C" * ACCOUNT_NAME_MAX, NOW), False)],
    "staff_accounts.email_and_name": lambda b: [
        (
            StaffAccount(
                id=new_id(),
                clinic_id=b.clinic.id,
                email=long_email(EMAIL_MAX),
                display_name="N" * ACCOUNT_NAME_MAX,
                role=Role.NURSE,
                password_hash="$argon2id$v=19$m=65536,t=3,p=4$" + "x" * 66,
                totp_secret=None,
                totp_last_used_step=None,
                active=True,
                created_at=NOW,
            ),
            False,
        )
    ],
    "patients.names_and_phone": lambda b: _patient(b),
    "patients.email": lambda b: _patient(b, email=long_email(PATIENT_EMAIL_MAX)),
    "consent_forms.title": lambda b: [(_consent(b)[0], False)],
    "consents.withdrawal_note": _withdrawn,
    "course_sessions.note": lambda b: [
        (
            record_done(b.sessions[1], on=NOW.date(), by="s", now=NOW, note="n" * SESSION_NOTE_MAX),
            True,
        )
    ],
    **{
        f"exosome_lots.{field}": (lambda b, field=field, limit=limit: _longest_lot(b, field, limit))
        for field, limit in (
            ("product_name", TEXT_MAX),
            ("manufacturer", TEXT_MAX),
            ("lot_number", TEXT_MAX),
            ("maker_term", TEXT_MAX),
            ("catalogue_number", TEXT_MAX),
            ("source_detail", TEXT_MAX),
            ("separation_method", TEXT_MAX),
            ("imaging_method", TEXT_MAX),
            ("coa_file", COA_MAX),
            ("donor_eligibility", STATEMENT_MAX),
        )
    },
    "exosome_lots.recall_reason": lambda b: [(recall(b.lot, "r" * STATEMENT_MAX, NOW), True)],
    "lot_uses.override_reason": lambda b: [
        (
            check_lot_use(
                b.lot,
                today=NOW.date(),
                route="injection",
                quantity=1,
                override_reason="o" * OVERRIDE_REASON_MAX,
                patient_id=b.patient.id,
            ),
            False,
        )
    ],
    "adverse_events.term_detail": lambda b: _event(b, term_detail="d" * DETAIL_MAX),
    "adverse_events.description": lambda b: _event(b, description="d" * DESCRIPTION_MAX),
}


@pytest.mark.parametrize("case", list(CASES))
def test_longest_accepted_text_is_stored(
    base: Base, case: str, request: pytest.FixtureRequest
) -> None:
    steps = CASES[case](base)
    base.store(*steps)
    latest = {record.id: record for record, _ in steps}  # replaced: its last version
    for record in latest.values():
        assert base.read(record) == record


def test_the_long_email_helper_makes_valid_addresses() -> None:
    assert normalise_email(long_email(EMAIL_MAX)) == long_email(EMAIL_MAX)
    assert len(long_email(PATIENT_EMAIL_MAX)) == PATIENT_EMAIL_MAX == 254
    with pytest.raises(InvalidInputError) as err:
        new_patient(
            clinic_id="c",
            given_name="A",
            family_name="B",
            birth_date=date(1990, 1, 1),
            sex="female",
            phone=None,
            email=long_email(255),
            created_by="s",
            now=NOW,
        )
    assert err.value.field == "email"
