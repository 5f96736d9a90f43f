"""Stale staff sessions and old sign-in failures are deleted by the purge (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from regenaid.clinic import staff
from regenaid.clinic.errors import RefusedError
from regenaid.store import make_session_factory
from regenaid.store.clinic_directory import purge_stale_sign_ins
from regenaid.store.clinic_tables import login_failures, staff_sessions
from regenaid.store.clinic_uow import SqlClinicUnitOfWork

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PASSWORD = "a passphrase long enough"


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_purge_removes_only_what_expired(engine: Engine) -> None:
    factory = make_session_factory(engine)
    uow = SqlClinicUnitOfWork(factory)
    staff.create_clinic_with_admin(
        uow,
        clinic_name="Purge clinic",
        jurisdiction="GB",
        email="admin@purge.example",
        display_name="Pat Admin",
        password=PASSWORD,
        now=NOW,
    )
    staff.sign_in(uow, email="admin@purge.example", password=PASSWORD, client="192.0.2.1", now=NOW)
    staff.sign_in(
        uow,
        email="admin@purge.example",
        password=PASSWORD,
        client="192.0.2.1",
        now=NOW + timedelta(minutes=25),
    )
    with pytest.raises(RefusedError):
        staff.sign_in(
            uow, email="admin@purge.example", password="wrong", client="192.0.2.1", now=NOW
        )
    assert _count(engine, staff_sessions) == 2
    assert _count(engine, login_failures) == 2  # one per e-mail key, one per address

    # 31 minutes on: the first session is past the 30-minute idle limit, the second is not;
    # the failure is within the throttle's 30-minute look-back only until 09:30
    removed = purge_stale_sign_ins(factory, NOW + timedelta(minutes=31))
    assert removed == 1
    assert _count(engine, staff_sessions) == 1
    assert _count(engine, login_failures) == 0
