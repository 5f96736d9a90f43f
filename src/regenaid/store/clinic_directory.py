"""Lookups before a clinic is known: clinics, accounts by e-mail, sessions by token hash, and
the sign-in failures the throttle counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from regenaid.clinic.accounts import Clinic, StaffAccount, StaffSession
from regenaid.clinic.errors import RecordNotFoundError
from regenaid.store.clinic_mapping import record_to_row, row_to_record
from regenaid.store.clinic_tables import clinics, login_failures, staff_accounts, staff_sessions


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class SqlStaffDirectory:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add_clinic(self, clinic: Clinic) -> None:
        self._session.execute(insert(clinics).values(record_to_row(clinic, clinics)))

    def clinic(self, clinic_id: str) -> Clinic:
        row = self._session.execute(select(clinics).where(clinics.c.id == clinic_id)).one_or_none()
        if row is None:
            raise RecordNotFoundError("clinic", clinic_id)
        return row_to_record(Clinic, row, clinics)

    def all_clinics(self) -> list[Clinic]:
        return [
            row_to_record(Clinic, row, clinics)
            for row in self._session.execute(select(clinics).order_by(clinics.c.created_at))
        ]

    def account_by_email(self, email: str) -> StaffAccount | None:
        row = self._session.execute(
            select(staff_accounts).where(staff_accounts.c.email == email)
        ).one_or_none()
        return None if row is None else row_to_record(StaffAccount, row, staff_accounts)

    def session(self, session_id: str) -> StaffSession | None:
        row = self._session.execute(
            select(staff_sessions).where(staff_sessions.c.id == session_id)
        ).one_or_none()
        return None if row is None else row_to_record(StaffSession, row, staff_sessions)

    def delete_session(self, session_id: str) -> None:
        self._session.execute(delete(staff_sessions).where(staff_sessions.c.id == session_id))

    def delete_sessions_of(self, staff_id: str) -> None:
        self._session.execute(delete(staff_sessions).where(staff_sessions.c.staff_id == staff_id))

    def delete_sessions_idle_since(self, before: datetime) -> int:
        done = self._session.execute(
            delete(staff_sessions).where(staff_sessions.c.last_seen_at < before)
        )
        return int(done.rowcount)  # type: ignore[attr-defined]

    def failures(self, kind: str, key: str, since: datetime) -> Sequence[datetime]:
        t = login_failures
        rows = self._session.execute(
            select(t.c.at).where(t.c.kind == kind, t.c.key == key, t.c.at >= since).order_by(t.c.at)
        )
        return [_utc(row.at) for row in rows]

    def add_failure(self, kind: str, key: str, at: datetime) -> None:
        self._session.execute(insert(login_failures).values(kind=kind, key=key[:320], at=at))

    def purge_failures(self, before: datetime) -> None:
        self._session.execute(delete(login_failures).where(login_failures.c.at < before))


def purge_stale_sign_ins(session_factory: Any, now: datetime) -> int:
    """Delete staff sessions idle past the idle timeout and sign-in failures older than the
    throttle's look-back (both useless by then); the number of sessions deleted."""
    from regenaid.clinic.accounts import IDLE_TIMEOUT
    from regenaid.clinic.staff import THROTTLE

    with session_factory() as session, session.begin():
        directory = SqlStaffDirectory(session)
        removed = directory.delete_sessions_idle_since(now - IDLE_TIMEOUT)
        directory.purge_failures(now - THROTTLE.lookback)
    return removed
