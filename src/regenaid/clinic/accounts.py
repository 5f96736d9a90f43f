"""Clinics, staff accounts, passwords, the TOTP second factor, login throttling and sessions.

Pure rules: nothing here reads a clock, a database or a request. Every function that depends on
time takes ``now`` (an aware datetime); the store keeps the objects, the web layer carries the
session token in a cookie.

Passwords (NIST SP 800-63B-4, Sec. 3.1.1.2, "Password Verifiers"; Appendix A):
  length over complexity. At least :data:`PASSWORD_MIN_LENGTH` (15) characters, because a
  password without a second factor is a single-factor authenticator and the final 800-63B-4
  requires 15 for those (8 only when always used with MFA); at most
  :data:`PASSWORD_MAX_LENGTH` (256, above NIST's "at least 64"), only to bound hashing work. No
  composition rules ("SHALL NOT impose other composition rules"). The password is compared,
  whole, against a blocklist of expected values: the account's own e-mail address and its
  local part, the person's name, the service name, one string repeated ("aaaa…", "abcabc…",
  "passwordpassword") and any list the caller passes. Unicode is accepted, NFKC-normalised
  before counting and hashing (800-63B-4's SHOULD), and never truncated.

Hashing: Argon2id through argon2-cffi's :class:`~argon2.PasswordHasher`, with the library's
  ``profiles.RFC_9106_LOW_MEMORY`` parameters (RFC 9106 Sec. 4, second recommended option:
  t=3 passes, m=64 MiB, p=4 lanes, 16-byte salt, 32-byte tag). The encoded hash carries its
  parameters, so :func:`needs_rehash` tells the sign-in code when to re-hash after a change.

Sign-in answers the same thing for an unknown e-mail and a wrong password; :func:`dummy_verify`
  spends the same Argon2 work when there is no account, so timing does not tell them apart.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import re
import secrets
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

import pyotp
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from regenaid.clinic.access import Role
from regenaid.clinic.errors import RefusedError
from regenaid.clinic.ids import new_id
from regenaid.errors import InvalidInputError

__all__ = [
    "ABSOLUTE_TIMEOUT",
    "IDLE_TIMEOUT",
    "PASSWORD_MAX_LENGTH",
    "PASSWORD_MIN_LENGTH",
    "TOTP_DIGITS",
    "TOTP_INTERVAL_SECONDS",
    "Clinic",
    "LoginThrottle",
    "SessionState",
    "StaffAccount",
    "StaffSession",
    "ThrottleDecision",
    "TotpCheck",
    "change_password",
    "check_password_policy",
    "complete_second_factor",
    "csrf_valid",
    "deactivate",
    "dummy_verify",
    "enrol_totp",
    "hash_password",
    "login_key",
    "needs_rehash",
    "new_clinic",
    "new_session_token",
    "new_staff_account",
    "new_totp_secret",
    "normalise_email",
    "second_factor_required",
    "session_state",
    "session_token_hash",
    "signed_in",
    "start_session",
    "totp_enrolment_required",
    "totp_uri",
    "touch",
    "verify_password",
    "verify_totp",
]

PASSWORD_MIN_LENGTH = 15
"""NIST SP 800-63B-4 Sec. 3.1.1.2: single-factor passwords SHALL be at least 15 characters."""
PASSWORD_MAX_LENGTH = 256
"""Well above NIST's "SHOULD permit ... at least 64"; bounds the work one request can cause."""
SERVICE_NAME = "regenaid"
NAME_MAX = 100
EMAIL_MAX = 254

TOTP_DIGITS = 6
TOTP_INTERVAL_SECONDS = 30
TOTP_VALID_WINDOW = 1
"""Steps accepted either side of the current one (clock drift of up to 30 s each way)."""

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)

_HASHER = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)

_EMAIL_LOCAL = re.compile(r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")
_EMAIL_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_TOTP_SECRET = re.compile(r"^[A-Z2-7]{16,128}$")


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(name, "must be a timezone-aware datetime (UTC)")


# --- clinics and accounts --------------------------------------------------------------------


def _text(field_name: str, value: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise InvalidInputError(field_name, "must not be empty")
    if len(text) > NAME_MAX:
        raise InvalidInputError(field_name, f"at most {NAME_MAX} characters")
    if any(not ch.isprintable() for ch in text):
        raise InvalidInputError(field_name, "must not contain control characters")
    return text


@dataclass(frozen=True, slots=True)
class Clinic:
    """A tenant: every patient record, staff account and audit entry belongs to one clinic."""

    id: str
    name: str
    created_at: datetime
    # where the clinic works (ISO 3166-1 alpha-2): regulatory status and reporting routes
    jurisdiction: str | None = None

    def __post_init__(self) -> None:
        _aware(self.created_at, "created_at")


def new_clinic(name: str, now: datetime, jurisdiction: str | None = None) -> Clinic:
    """A new clinic with a fresh id; ``name`` is trimmed, 1–100 printable characters;
    ``jurisdiction`` a country code the knowledge base knows (or None)."""
    if jurisdiction is not None:
        from regenaid.decide.codes import COUNTRY_CODES

        code = jurisdiction.strip().upper()
        if code not in COUNTRY_CODES:
            raise InvalidInputError("jurisdiction", f"{jurisdiction!r} is not an ISO 3166-1 code")
        jurisdiction = code
    return Clinic(id=new_id(), name=_text("name", name), created_at=now, jurisdiction=jurisdiction)


def normalise_email(text: str) -> str:
    """The e-mail address trimmed and lower-cased, or InvalidInputError("email", ...).

    Deliberately simple (one ``@``, an RFC 5321-sized dot-atom local part, a domain of at least
    two letter/digit/hyphen labels); it decides what may sign in, not what may receive mail.
    """
    email = text.strip().lower()
    if len(email) > EMAIL_MAX:
        raise InvalidInputError("email", f"at most {EMAIL_MAX} characters")
    local, at, domain = email.rpartition("@")
    labels = domain.split(".")
    if (
        not at
        or not _EMAIL_LOCAL.match(local)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or len(labels) < 2
        or not all(_EMAIL_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise InvalidInputError("email", "not an e-mail address (name@example.org)")
    return email


def login_key(submitted_email: str) -> str:
    """The throttling key for whatever was typed in the e-mail box, valid address or not.

    Failures are counted against this key whether or not an account exists, so throttling does
    not reveal which addresses have accounts.
    """
    return submitted_email.strip().lower()[:EMAIL_MAX]


@dataclass(frozen=True, slots=True)
class StaffAccount:
    """A person who signs in to one clinic with one role.

    ``password_hash`` is an Argon2id PHC string; ``totp_secret`` is the base32 TOTP key (None
    until enrolled) and ``totp_last_used_step`` the last accepted 30-second step, kept so that
    a code cannot be used twice. Neither secret appears in ``repr``.
    """

    id: str
    clinic_id: str
    email: str
    display_name: str
    role: Role
    password_hash: str = field(repr=False)
    totp_secret: str | None = field(repr=False)
    totp_last_used_step: int | None
    active: bool
    created_at: datetime

    def __post_init__(self) -> None:
        if self.email != normalise_email(self.email):
            raise InvalidInputError("email", "must be normalised (see normalise_email)")
        if not isinstance(self.role, Role):
            raise InvalidInputError("role", f"not a Role: {self.role!r}", [r.value for r in Role])
        if self.totp_secret is not None and not _TOTP_SECRET.match(self.totp_secret):
            raise InvalidInputError("totp_secret", "must be base32 (A-Z, 2-7), 16-128 chars")
        _aware(self.created_at, "created_at")


def new_staff_account(
    *,
    clinic_id: str,
    email: str,
    display_name: str,
    role: Role | str,
    password: str,
    now: datetime,
    blocklist: Collection[str] = (),
) -> StaffAccount:
    """A new active account with a checked, hashed password and no second factor yet."""
    normalised = normalise_email(email)
    try:
        the_role = Role(role)
    except ValueError:
        raise InvalidInputError("role", f"unknown role {role!r}", [r.value for r in Role]) from None
    name = _text("display_name", display_name)
    check_password_policy(password, email=normalised, context=(name,), blocklist=blocklist)
    return StaffAccount(
        id=new_id(),
        clinic_id=clinic_id,
        email=normalised,
        display_name=name,
        role=the_role,
        password_hash=hash_password(password),
        totp_secret=None,
        totp_last_used_step=None,
        active=True,
        created_at=now,
    )


def change_password(
    account: StaffAccount, new_password: str, blocklist: Collection[str] = ()
) -> StaffAccount:
    """The account with a new checked, hashed password (the store should end its sessions)."""
    check_password_policy(
        new_password, email=account.email, context=(account.display_name,), blocklist=blocklist
    )
    return replace(account, password_hash=hash_password(new_password))


def deactivate(account: StaffAccount) -> StaffAccount:
    """The account, no longer able to sign in (kept, never deleted: the audit refers to it)."""
    return replace(account, active=False)


# --- passwords -------------------------------------------------------------------------------


def _normalise_password(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def _is_repetition(text: str) -> bool:
    """True when the text is one shorter string repeated ("aaaa…", "abcabc…", "passpass")."""
    return len(text) > 1 and (text + text).find(text, 1) < len(text)


def _squeeze(text: str) -> str:
    return "".join(text.casefold().split())


def check_password_policy(
    password: str,
    *,
    email: str | None = None,
    context: Collection[str] = (),
    blocklist: Collection[str] = (),
) -> None:
    """Raise InvalidInputError("password", ...) unless the password may be chosen.

    Rules (NIST SP 800-63B-4 Sec. 3.1.1.2): length 15–256 code points after NFKC; not one
    shorter string repeated (which covers "all the same character"); not the e-mail address,
    its local part, the service name or a ``context`` word such as the person's name (whole
    password, ignoring case and spaces); not in ``blocklist`` (whole password, ignoring case).
    No composition rules.
    """
    normalised = _normalise_password(password)
    length = len(normalised)
    if length < PASSWORD_MIN_LENGTH:
        raise InvalidInputError(
            "password",
            f"at least {PASSWORD_MIN_LENGTH} characters (a few unrelated words work well)",
        )
    if length > PASSWORD_MAX_LENGTH:
        raise InvalidInputError("password", f"at most {PASSWORD_MAX_LENGTH} characters")
    folded = normalised.casefold()
    if _is_repetition(folded):
        raise InvalidInputError("password", "must not be one character or word repeated")
    words = {SERVICE_NAME, *context}
    if email:
        words.update((email, email.rpartition("@")[0]))
    if _squeeze(normalised) in {_squeeze(unicodedata.normalize("NFKC", w)) for w in words}:
        raise InvalidInputError(
            "password", "must not be your e-mail address, your name or the service name"
        )
    if folded in {unicodedata.normalize("NFKC", entry).casefold() for entry in blocklist}:
        raise InvalidInputError("password", "is on the list of common or leaked passwords")


def hash_password(password: str) -> str:
    """Argon2id hash (PHC string, ``$argon2id$v=19$m=65536,t=3,p=4$...``) of the password."""
    return _HASHER.hash(_normalise_password(password))


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; False when it does not or the stored hash is unreadable."""
    try:
        return _HASHER.verify(password_hash, _normalise_password(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's (re-hash at sign-in)."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(32))


def dummy_verify(password: str) -> Literal[False]:
    """Spend one Argon2id verification and return False: call it when no account matched."""
    verify_password(_dummy_hash(), password)
    return False


# --- TOTP second factor (RFC 6238) ----------------------------------------------------------


def new_totp_secret() -> str:
    """A fresh TOTP key: 32 base32 characters (160 bits, RFC 4226's recommended length)."""
    return pyotp.random_base32()


def totp_uri(secret: str, email: str, issuer: str = SERVICE_NAME) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app reads (usually shown as a QR code)."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL_SECONDS).provisioning_uri(
        name=email, issuer_name=issuer
    )


@dataclass(frozen=True, slots=True)
class TotpCheck:
    """Outcome of a TOTP code check; store ``step`` as ``totp_last_used_step`` when accepted.

    ``reason``: "ok", "wrong_code", "replayed" (the code's step was already used) or
    "malformed" (not six digits). Show the person the same message for every refusal.
    """

    accepted: bool
    step: int | None
    reason: Literal["ok", "wrong_code", "replayed", "malformed"]


def verify_totp(
    secret: str, code: str, now: datetime, last_used_step: int | None = None
) -> TotpCheck:
    """Check a TOTP code at ``now`` within ±1 step, refusing any step ≤ ``last_used_step``.

    RFC 6238 Sec. 5.2: a verifier must not accept the second attempt of the same OTP after the
    first succeeded; keeping the last accepted step (not just the code) also refuses an older
    code from the window once a newer one was used.
    """
    _aware(now, "now")
    digits = "".join(code.split())
    if len(digits) != TOTP_DIGITS or not digits.isascii() or not digits.isdigit():
        return TotpCheck(accepted=False, step=None, reason="malformed")
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL_SECONDS)
    current = totp.timecode(now)
    replayed = False
    for step in range(current - TOTP_VALID_WINDOW, current + TOTP_VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            if last_used_step is not None and step <= last_used_step:
                replayed = True
                continue
            return TotpCheck(accepted=True, step=step, reason="ok")
    return TotpCheck(accepted=False, step=None, reason="replayed" if replayed else "wrong_code")


def enrol_totp(account: StaffAccount, secret: str, code: str, now: datetime) -> StaffAccount:
    """The account with ``secret`` enrolled, once the person proved it with a current code.

    Raises RefusedError("totp_code_refused", ..., field="totp_code") otherwise.
    """
    if not _TOTP_SECRET.match(secret):
        raise InvalidInputError("totp_secret", "must be base32 (A-Z, 2-7), 16-128 characters")
    check = verify_totp(secret, code, now)
    if not check.accepted:
        raise RefusedError("totp_code_refused", "that code is not valid now", field="totp_code")
    return replace(account, totp_secret=secret, totp_last_used_step=check.step)


def second_factor_required(account: StaffAccount) -> bool:
    """True for admins (always: OWASP ASVS 4.0 V4.3.1) and for anyone who enrolled TOTP."""
    return account.role is Role.ADMIN or account.totp_secret is not None


def totp_enrolment_required(account: StaffAccount) -> bool:
    """True for an admin without TOTP: they must enrol before they are fully signed in."""
    return account.role is Role.ADMIN and account.totp_secret is None


# --- login throttling ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThrottleDecision:
    """Whether a sign-in attempt may be checked now, and if not, how long to wait (seconds).

    ``locked_by`` says which limit refused ("email" or "address"); tell the person only
    "too many attempts, try again in N minutes", the same for every e-mail.
    """

    allowed: bool
    retry_after_seconds: int
    locked_by: Literal["email", "address"] | None = None


def _lock_end(
    failures: Sequence[datetime], now: datetime, limit: int, window: timedelta, lockout: timedelta
) -> datetime | None:
    """End of the latest lock: a failure that completes ``limit`` failures within ``window``
    (the span from the first to the last of them is shorter than ``window``) locks until
    that failure + ``lockout``."""
    times = sorted(t for t in failures if t <= now)
    end: datetime | None = None
    for i in range(limit - 1, len(times)):
        if times[i] - times[i - limit + 1] < window:
            candidate = times[i] + lockout
            if end is None or candidate > end:
                end = candidate
    return end


@dataclass(frozen=True, slots=True)
class LoginThrottle:
    """Sign-in throttling as a pure policy over recent *failed* attempts.

    Default: 5 failures for one e-mail key within 15 minutes lock that key for 15 minutes from
    the fifth failure; 20 failures from one client address within 15 minutes lock the address
    for 15 minutes. Both stay far below NIST 800-63B-4 Sec. 3.2.2's ceiling of 100 consecutive
    failures per account and OWASP ASVS 4.0 V2.2.1. Record a failure only when a password (or
    TOTP code) was actually checked and wrong — not when the throttle refused the attempt — and
    count it against :func:`login_key` of the submitted e-mail even if no account exists. The
    store needs to load only failures newer than ``now - lookback``.
    """

    email_limit: int = 5
    email_window: timedelta = timedelta(minutes=15)
    email_lockout: timedelta = timedelta(minutes=15)
    address_limit: int = 20
    address_window: timedelta = timedelta(minutes=15)
    address_lockout: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        for name in ("email_limit", "address_limit"):
            if getattr(self, name) < 1:
                raise InvalidInputError(name, "must be at least 1")
        for name in ("email_window", "email_lockout", "address_window", "address_lockout"):
            if getattr(self, name) <= timedelta(0):
                raise InvalidInputError(name, "must be positive")

    @property
    def lookback(self) -> timedelta:
        """How far back failures can still matter."""
        return max(
            self.email_window + self.email_lockout, self.address_window + self.address_lockout
        )

    def decide(
        self,
        email_failures: Sequence[datetime],
        address_failures: Sequence[datetime],
        now: datetime,
    ) -> ThrottleDecision:
        """May an attempt for this e-mail key from this address be checked at ``now``?"""
        _aware(now, "now")
        waits: list[tuple[float, Literal["email", "address"]]] = []
        email_end = _lock_end(
            email_failures, now, self.email_limit, self.email_window, self.email_lockout
        )
        if email_end is not None and now < email_end:
            waits.append(((email_end - now).total_seconds(), "email"))
        address_end = _lock_end(
            address_failures, now, self.address_limit, self.address_window, self.address_lockout
        )
        if address_end is not None and now < address_end:
            waits.append(((address_end - now).total_seconds(), "address"))
        if not waits:
            return ThrottleDecision(allowed=True, retry_after_seconds=0)
        seconds, scope = max(waits)
        return ThrottleDecision(
            allowed=False, retry_after_seconds=math.ceil(seconds), locked_by=scope
        )


# --- sessions --------------------------------------------------------------------------------

SessionState = Literal["active", "idle_expired", "absolute_expired"]


def new_session_token() -> str:
    """The secret the browser holds (cookie): 32 random bytes, URL-safe base64."""
    return secrets.token_urlsafe(32)


def session_token_hash(token: str) -> str:
    """SHA-256 hex of the token: the only form the server stores (a stolen table is useless)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class StaffSession:
    """A server-side session. ``id`` is :func:`session_token_hash` of the cookie's token.

    ``csrf_token`` is this session's synchronizer token for forms (compare with
    :func:`csrf_valid`); ``second_factor_done`` is False until a required TOTP code was
    accepted — until then the session may only reach the second-factor and enrolment pages.
    """

    id: str = field(repr=False)
    staff_id: str
    clinic_id: str
    created_at: datetime
    last_seen_at: datetime
    second_factor_done: bool
    csrf_token: str = field(repr=False)

    def __post_init__(self) -> None:
        _aware(self.created_at, "created_at")
        _aware(self.last_seen_at, "last_seen_at")


def start_session(account: StaffAccount, now: datetime) -> tuple[str, StaffSession]:
    """After a correct password: (token for the cookie, session to store).

    Raises RefusedError("account_inactive") for a deactivated account (check this only after
    the password was verified, so it reveals nothing to someone who does not know it).
    """
    _aware(now, "now")
    if not account.active:
        raise RefusedError("account_inactive", "this account is not active")
    token = new_session_token()
    session = StaffSession(
        id=session_token_hash(token),
        staff_id=account.id,
        clinic_id=account.clinic_id,
        created_at=now,
        last_seen_at=now,
        second_factor_done=not second_factor_required(account),
        csrf_token=secrets.token_urlsafe(32),
    )
    return token, session


def session_state(session: StaffSession, now: datetime) -> SessionState:
    """ "absolute_expired" from 12 h after sign-in, "idle_expired" from 30 min after the last
    request, else "active" (absolute wins when both apply; boundaries count as expired)."""
    _aware(now, "now")
    if now - session.created_at >= ABSOLUTE_TIMEOUT:
        return "absolute_expired"
    if now - session.last_seen_at >= IDLE_TIMEOUT:
        return "idle_expired"
    return "active"


def signed_in(session: StaffSession, now: datetime) -> bool:
    """True when the session is active and its second factor (if required) is done."""
    return session.second_factor_done and session_state(session, now) == "active"


def touch(session: StaffSession, now: datetime) -> StaffSession:
    """The session seen again at ``now`` (slides the idle timeout, never the absolute one).

    Raises RefusedError("session_expired") when the session already expired.
    """
    if session_state(session, now) != "active":
        raise RefusedError("session_expired", "the session has expired; please sign in again")
    return replace(session, last_seen_at=max(now, session.last_seen_at))


def complete_second_factor(session: StaffSession, now: datetime) -> tuple[str, StaffSession]:
    """After an accepted TOTP code: a *new* token and session (the old one must be deleted).

    The id changes with the privilege level (OWASP session-fixation advice); ``created_at``
    stays, so the 12-hour limit still counts from the password.
    """
    if session_state(session, now) != "active":
        raise RefusedError("session_expired", "the session has expired; please sign in again")
    token = new_session_token()
    renewed = replace(
        session,
        id=session_token_hash(token),
        last_seen_at=max(now, session.last_seen_at),
        second_factor_done=True,
        csrf_token=secrets.token_urlsafe(32),
    )
    return token, renewed


def csrf_valid(session: StaffSession, submitted: str | None) -> bool:
    """True when a form's CSRF field equals the session's token (constant-time compare)."""
    if not submitted:
        return False
    return hmac.compare_digest(session.csrf_token.encode(), submitted.encode())
