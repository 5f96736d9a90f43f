"""Patients, their current health answers, the decision-aid result they brought, and consent.

Personal data (name, date of birth, sex, contact) lives only in :class:`Patient`, which exists
only in the clinic's records: the decision aid's own tables never hold it. A saved decision-aid
result is attached by copying its answers, screening and choice (:class:`AttachedResult`), so
the clinic keeps what the patient saw even after the private link expires.

Consent is recorded per procedure with the exact version of the text shown (its id, version
and SHA-256), who took it and when. Withdrawal is a new fact about the consent, never a delete.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal, get_args

from regenaid.clinic.errors import RefusedError
from regenaid.clinic.ids import new_id
from regenaid.decide.intake import HEALTH_FLAGS
from regenaid.errors import InvalidInputError

Sex = Literal["female", "male", "other", "unknown"]
SEXES: tuple[str, ...] = get_args(Sex)
# Procedures a clinic records consent for: the decision aid's clinic options, and the keeping
# of the patient's records themselves.
Procedure = Literal["prp", "exosome", "combination", "records"]
PROCEDURES: tuple[str, ...] = get_args(Procedure)

NAME_MAX = 100
EMAIL_MAX = 254  # RFC 5321: at most 254 characters in a path's address
OLDEST_YEARS = 130
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,30}$")


@dataclass(frozen=True, slots=True)
class Patient:
    """A clinic's patient. The only place regenaid keeps a person's name and contact."""

    id: str
    clinic_id: str
    given_name: str
    family_name: str
    birth_date: date
    sex: Sex
    phone: str | None
    email: str | None
    created_at: datetime
    created_by: str

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


def _name(field: str, value: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise InvalidInputError(field, "must not be empty")
    if len(text) > NAME_MAX:
        raise InvalidInputError(field, f"at most {NAME_MAX} characters")
    if any(not ch.isprintable() for ch in text):
        raise InvalidInputError(field, "must not contain control characters")
    return text


def new_patient(
    *,
    clinic_id: str,
    given_name: str,
    family_name: str,
    birth_date: date,
    sex: str,
    phone: str | None,
    email: str | None,
    created_by: str,
    now: datetime,
) -> Patient:
    """A new patient record; every field checked, each refusal naming its field."""
    return _checked(
        Patient(
            id=new_id(),
            clinic_id=clinic_id,
            given_name=given_name,
            family_name=family_name,
            birth_date=birth_date,
            sex=sex,  # type: ignore[arg-type]  # checked below
            phone=phone,
            email=email,
            created_at=now,
            created_by=created_by,
        ),
        now,
    )


def edit_patient(patient: Patient, changes: Mapping[str, Any], now: datetime) -> Patient:
    """``patient`` with ``changes`` (demographic fields only), checked like a new one."""
    allowed = ("given_name", "family_name", "birth_date", "sex", "phone", "email")
    for key in changes:
        if key not in allowed:
            raise InvalidInputError(key, "cannot be changed", allowed)
    return _checked(replace(patient, **dict(changes)), now)


def _checked(patient: Patient, now: datetime) -> Patient:
    if patient.sex not in SEXES:
        raise InvalidInputError("sex", f"unknown value {patient.sex!r}", SEXES)
    today = now.date()
    if patient.birth_date > today:
        raise InvalidInputError("birth_date", "is in the future")
    if patient.age_on(today) > OLDEST_YEARS:
        raise InvalidInputError("birth_date", f"gives an age over {OLDEST_YEARS} years")
    phone = (patient.phone or "").strip() or None
    if phone is not None and not _PHONE.match(phone):
        raise InvalidInputError("phone", "digits, spaces and + ( ) . / - only, 5 to 30 of them")
    email = (patient.email or "").strip().lower() or None
    if email is not None and len(email) > EMAIL_MAX:
        raise InvalidInputError("email", f"at most {EMAIL_MAX} characters")
    if email is not None and not _EMAIL.match(email):
        raise InvalidInputError("email", "is not an email address")
    return replace(
        patient,
        given_name=_name("given_name", patient.given_name),
        family_name=_name("family_name", patient.family_name),
        phone=phone,
        email=email,
    )


@dataclass(frozen=True, slots=True)
class HealthAnswers:
    """The patient's health answers as of ``recorded_at`` (the newest one is current).

    ``flags`` holds every flag of the decision aid's intake (CONTRACT §1 ``health``)."""

    id: str
    clinic_id: str
    patient_id: str
    flags: Mapping[str, bool]
    recorded_at: datetime
    recorded_by: str


def record_health(
    *,
    clinic_id: str,
    patient_id: str,
    flags: Mapping[str, object],
    recorded_by: str,
    now: datetime,
) -> HealthAnswers:
    """New health answers; unknown flags are refused, flags not given are recorded as false."""
    for key, value in flags.items():
        if key not in HEALTH_FLAGS:
            raise InvalidInputError(f"health.{key}", "unknown health flag", HEALTH_FLAGS)
        if not isinstance(value, bool):
            raise InvalidInputError(f"health.{key}", "must be true or false")
    return HealthAnswers(
        id=new_id(),
        clinic_id=clinic_id,
        patient_id=patient_id,
        flags={name: bool(flags.get(name, False)) for name in HEALTH_FLAGS},
        recorded_at=now,
        recorded_by=recorded_by,
    )


def current_health(answers: Iterable[HealthAnswers]) -> HealthAnswers | None:
    """The newest health answers, or None when none were recorded (of two recorded at the
    same instant, the later in ``answers``)."""
    latest: HealthAnswers | None = None
    for answer in answers:
        if latest is None or answer.recorded_at >= latest.recorded_at:
            latest = answer
    return latest


@dataclass(frozen=True, slots=True)
class AttachedResult:
    """A decision-aid result the patient saved and brought: their answers (CONTRACT §1), the
    assessment they were shown (CONTRACT §2) and what they said about deciding."""

    id: str
    clinic_id: str
    patient_id: str
    intake: Mapping[str, Any]
    assessment: Mapping[str, Any]
    choice: Mapping[str, Any] | None
    saved_at: datetime
    attached_at: datetime
    attached_by: str

    @property
    def leaning(self) -> str | None:
        return None if self.choice is None else self.choice.get("leaning")


def attach_result(
    *,
    clinic_id: str,
    patient_id: str,
    intake: Mapping[str, Any],
    assessment: Mapping[str, Any],
    choice: Mapping[str, Any] | None,
    saved_at: datetime,
    attached_by: str,
    now: datetime,
) -> AttachedResult:
    return AttachedResult(
        id=new_id(),
        clinic_id=clinic_id,
        patient_id=patient_id,
        intake=dict(intake),
        assessment=dict(assessment),
        choice=None if choice is None else dict(choice),
        saved_at=saved_at,
        attached_at=now,
        attached_by=attached_by,
    )


@dataclass(frozen=True, slots=True)
class ConsentForm:
    """A version of a clinic's consent text for one procedure. Never edited: a changed text
    is a new version."""

    id: str
    clinic_id: str
    procedure: Procedure
    version: int
    title: str
    text: str
    created_at: datetime
    created_by: str

    @property
    def digest(self) -> str:
        return text_digest(self.text)


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_consent_form(
    *,
    clinic_id: str,
    procedure: str,
    title: str,
    text: str,
    earlier: Iterable[ConsentForm],
    created_by: str,
    now: datetime,
) -> ConsentForm:
    """The next version of the procedure's consent text (version 1 when there is none)."""
    if procedure not in PROCEDURES:
        raise InvalidInputError("procedure", f"unknown procedure {procedure!r}", PROCEDURES)
    body = text.strip()
    if len(body) < 20:
        raise InvalidInputError("text", "a consent text needs at least 20 characters")
    versions = [f.version for f in earlier if f.procedure == procedure]
    return ConsentForm(
        id=new_id(),
        clinic_id=clinic_id,
        procedure=procedure,  # type: ignore[arg-type]  # checked above
        version=max(versions, default=0) + 1,
        title=_name("title", title),
        text=body,
        created_at=now,
        created_by=created_by,
    )


def latest_form(forms: Iterable[ConsentForm], procedure: str) -> ConsentForm | None:
    return max(
        (f for f in forms if f.procedure == procedure), key=lambda f: f.version, default=None
    )


@dataclass(frozen=True, slots=True)
class Consent:
    """A patient's consent to one procedure, given on one version of the text."""

    id: str
    clinic_id: str
    patient_id: str
    procedure: Procedure
    form_id: str
    form_version: int
    form_digest: str
    taken_by: str
    taken_at: datetime
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None
    withdrawal_note: str | None = None

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


def take_consent(*, patient: Patient, form: ConsentForm, taken_by: str, now: datetime) -> Consent:
    if form.clinic_id != patient.clinic_id:
        raise InvalidInputError("form_id", "is not a consent form of this clinic")
    return Consent(
        id=new_id(),
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        procedure=form.procedure,
        form_id=form.id,
        form_version=form.version,
        form_digest=form.digest,
        taken_by=taken_by,
        taken_at=now,
    )


def withdraw_consent(consent: Consent, *, by: str, note: str, now: datetime) -> Consent:
    """The consent, withdrawn: recorded with who and when, never deleted."""
    if not consent.active:
        raise RefusedError("consent_already_withdrawn", "this consent was already withdrawn")
    text = " ".join(note.split())
    if len(text) > 500:
        raise InvalidInputError("note", "at most 500 characters")
    return replace(consent, withdrawn_at=now, withdrawn_by=by, withdrawal_note=text or None)


def active_consent(consents: Iterable[Consent], procedure: str) -> Consent | None:
    """The newest consent to ``procedure`` still in force, or None."""
    live = [c for c in consents if c.procedure == procedure and c.active]
    return max(live, key=lambda c: c.taken_at, default=None)
