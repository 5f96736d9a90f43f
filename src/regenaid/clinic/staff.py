"""Use cases for clinics, staff accounts and signing in.

Signing in: the throttle is asked first (failures per typed e-mail and per address, stored
only as times); an unknown e-mail costs the same Argon2 work as a wrong password and gets the
same answer; a session starts with the second factor pending when the account needs one (all
admins: they enrol at their first sign-in). Only the SHA-256 of a session token is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from regenaid.clinic import accounts as rules
from regenaid.clinic.access import Action, Role, StaffContext
from regenaid.clinic.accounts import Clinic, StaffAccount, StaffSession
from regenaid.clinic.audit import CLIENT_CLI
from regenaid.clinic.errors import RefusedError
from regenaid.clinic.ports import ClinicUnitOfWork
from regenaid.clinic.services import Actor, audit
from regenaid.errors import InvalidInputError

THROTTLE = rules.LoginThrottle()
SIGN_IN_REFUSED = "email or password not recognised"


def create_clinic_with_admin(
    uow: ClinicUnitOfWork,
    *,
    clinic_name: str,
    jurisdiction: str | None,
    email: str,
    display_name: str,
    password: str,
    now: datetime,
) -> tuple[Clinic, StaffAccount]:
    """A new clinic and its first admin (who enrols a TOTP second factor at first sign-in)."""
    clinic = rules.new_clinic(clinic_name, now, jurisdiction)
    admin = rules.new_staff_account(
        clinic_id=clinic.id,
        email=email,
        display_name=display_name,
        role=Role.ADMIN,
        password=password,
        now=now,
    )
    with uow:
        if uow.directory.account_by_email(admin.email) is not None:
            raise InvalidInputError("email", "an account with this e-mail already exists")
        uow.directory.add_clinic(clinic)
        uow.records(StaffAccount).add(admin)
        uow.audit.append(
            clinic_id=clinic.id,
            staff_id=None,
            action="create",
            record_kind="staff_account",
            record_id=admin.id,
            at=now,
            client=CLIENT_CLI,
            detail="role=admin,first_admin",
        )
        uow.commit()
    return clinic, admin


def add_staff(
    uow: ClinicUnitOfWork,
    actor: Actor,
    *,
    email: str,
    display_name: str,
    role: str,
    password: str,
) -> StaffAccount:
    actor.ctx.require(Action.MANAGE_STAFF)
    account = rules.new_staff_account(
        clinic_id=actor.clinic_id,
        email=email,
        display_name=display_name,
        role=role,
        password=password,
        now=actor.now,
    )
    with uow:
        if uow.directory.account_by_email(account.email) is not None:
            raise InvalidInputError("email", "an account with this e-mail already exists")
        uow.records(StaffAccount).add(account)
        audit(uow, actor, "create", "staff_account", account.id, f"role={account.role.value}")
        uow.commit()
    return account


def staff_list(uow: ClinicUnitOfWork, actor: Actor) -> Sequence[StaffAccount]:
    actor.ctx.require(Action.MANAGE_STAFF)
    with uow:
        return uow.records(StaffAccount).find(actor.clinic_id)


def deactivate_staff(uow: ClinicUnitOfWork, actor: Actor, staff_id: str) -> StaffAccount:
    actor.ctx.require(Action.MANAGE_STAFF)
    if staff_id == actor.staff_id:
        raise RefusedError("self_deactivation", "you cannot deactivate your own account")
    with uow:
        account = rules.deactivate(uow.records(StaffAccount).get(actor.clinic_id, staff_id))
        uow.records(StaffAccount).replace(account)
        uow.directory.delete_sessions_of(staff_id)
        audit(uow, actor, "update", "staff_account", staff_id, "deactivated")
        uow.commit()
    return account


def _account_event(
    uow: ClinicUnitOfWork,
    action: str,
    *,
    clinic_id: str | None,
    staff_id: str | None,
    client: str,
    now: datetime,
    detail: str = "",
) -> None:
    """Audit a sign-in event about a staff account (its own id is the record)."""
    uow.audit.append(
        clinic_id=clinic_id,
        staff_id=staff_id,
        action=action,
        record_kind="staff_account",
        record_id=staff_id,
        at=now,
        client=client,
        detail=detail,
    )


def _count_failure(uow: ClinicUnitOfWork, key: str, client: str, now: datetime) -> None:
    """A failed password or code, counted by the throttle per e-mail key and per address."""
    uow.directory.add_failure("email", key, now)
    uow.directory.add_failure("address", client, now)


def _check_throttle(uow: ClinicUnitOfWork, key: str, client: str, now: datetime) -> None:
    """Refuse (``throttled``) while failed passwords or codes for this e-mail key or from this
    address are over the throttle's limits; failed codes count like failed passwords."""
    since = now - THROTTLE.lookback
    decision = THROTTLE.decide(
        uow.directory.failures("email", key, since),
        uow.directory.failures("address", client, since),
        now,
    )
    if not decision.allowed:
        raise RefusedError(
            "throttled",
            f"too many failed sign-ins; try again in {decision.retry_after_seconds} seconds",
        )


@dataclass(frozen=True, slots=True)
class SignIn:
    """A started session: the cookie's token (never stored) and the session."""

    token: str
    session: StaffSession
    account: StaffAccount

    @property
    def needs_second_factor(self) -> bool:
        return not self.session.second_factor_done


def sign_in(
    uow: ClinicUnitOfWork, *, email: str, password: str, client: str, now: datetime
) -> SignIn:
    """Check e-mail and password; raises RefusedError ``throttled`` (field None, reason says
    when to retry) or ``sign_in_refused`` (same for unknown e-mail and wrong password)."""
    key = rules.login_key(email)
    with uow:
        _check_throttle(uow, key, client, now)
        try:
            account = uow.directory.account_by_email(rules.normalise_email(email))
        except InvalidInputError:
            account = None
        ok = (
            rules.verify_password(account.password_hash, password)
            if account is not None
            else rules.dummy_verify(password)
        )
        if account is None or not ok or not account.active:
            _count_failure(uow, key, client, now)
            _account_event(
                uow,
                "sign_in_failed",
                clinic_id=account.clinic_id if account else None,
                staff_id=account.id if account else None,
                client=client,
                now=now,
                detail="inactive" if account is not None and ok else "",
            )
            uow.commit()
            raise RefusedError("sign_in_refused", SIGN_IN_REFUSED)
        if rules.needs_rehash(account.password_hash):
            account = replace(account, password_hash=rules.hash_password(password))
            uow.records(StaffAccount).replace(account)
        token, session = rules.start_session(account, now)
        uow.records(StaffSession).add(session)
        _account_event(
            uow,
            "sign_in",
            clinic_id=account.clinic_id,
            staff_id=account.id,
            client=client,
            now=now,
            detail="password"
            + (",second_factor_pending" if not session.second_factor_done else ""),
        )
        uow.commit()
    return SignIn(token, session, account)


def second_factor(
    uow: ClinicUnitOfWork,
    *,
    token: str,
    code: str,
    client: str,
    now: datetime,
    new_secret: str | None = None,
) -> SignIn:
    """Finish signing in with a TOTP code (``new_secret``: enrol it first, for an admin
    without one). Returns a new token; the old session is deleted."""
    with uow:
        session = uow.directory.session(rules.session_token_hash(token))
        if session is None or rules.session_state(session, now) != "active":
            raise RefusedError("session_expired", "the session has expired; please sign in again")
        account = uow.records(StaffAccount).get(session.clinic_id, session.staff_id)
        _check_throttle(uow, rules.login_key(account.email), client, now)
        if account.totp_secret is None:
            if new_secret is None:
                raise RefusedError("totp_not_enrolled", "set up the authenticator app first")
            try:
                account = rules.enrol_totp(account, new_secret, code, now)
            except RefusedError:
                _second_factor_failed(uow, account, client, now)
                raise
        else:
            check = rules.verify_totp(account.totp_secret, code, now, account.totp_last_used_step)
            if not check.accepted:
                _second_factor_failed(uow, account, client, now)
                raise RefusedError("totp_code_refused", "that code was not accepted", "totp_code")
            account = replace(account, totp_last_used_step=check.step)
        uow.records(StaffAccount).replace(account)
        new_token, renewed = rules.complete_second_factor(session, now)
        uow.directory.delete_session(session.id)
        uow.records(StaffSession).add(renewed)
        _account_event(
            uow,
            "sign_in",
            clinic_id=account.clinic_id,
            staff_id=account.id,
            client=client,
            now=now,
            detail="second_factor",
        )
        uow.commit()
    return SignIn(new_token, renewed, account)


def _second_factor_failed(
    uow: ClinicUnitOfWork, account: StaffAccount, client: str, now: datetime
) -> None:
    _count_failure(uow, rules.login_key(account.email), client, now)
    _account_event(
        uow,
        "second_factor_failed",
        clinic_id=account.clinic_id,
        staff_id=account.id,
        client=client,
        now=now,
    )
    uow.commit()


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The staff member behind a request's session cookie."""

    ctx: StaffContext
    account: StaffAccount
    session: StaffSession
    clinic: Clinic


def resolve_session(
    uow: ClinicUnitOfWork, *, token: str | None, now: datetime, allow_pending: bool = False
) -> SignedIn | None:
    """The signed-in staff member of a session token, its idle time slid forward; None when
    the token is unknown, expired, its account inactive, or its second factor pending (unless
    ``allow_pending``, for the second-factor page itself)."""
    if not token:
        return None
    with uow:
        session = uow.directory.session(rules.session_token_hash(token))
        if session is None:
            return None
        if rules.session_state(session, now) != "active":
            uow.directory.delete_session(session.id)
            uow.commit()
            return None
        if not session.second_factor_done and not allow_pending:
            return None
        account = uow.records(StaffAccount).get(session.clinic_id, session.staff_id)
        if not account.active:
            return None
        touched = rules.touch(session, now)
        uow.records(StaffSession).replace(touched)
        clinic = uow.directory.clinic(session.clinic_id)
        uow.commit()
    return SignedIn(
        StaffContext(account.id, account.clinic_id, account.role), account, touched, clinic
    )


def sign_out(uow: ClinicUnitOfWork, *, token: str, client: str, now: datetime) -> None:
    with uow:
        session = uow.directory.session(rules.session_token_hash(token))
        if session is None:
            return
        uow.directory.delete_session(session.id)
        _account_event(
            uow,
            "sign_out",
            clinic_id=session.clinic_id,
            staff_id=session.staff_id,
            client=client,
            now=now,
        )
        uow.commit()
