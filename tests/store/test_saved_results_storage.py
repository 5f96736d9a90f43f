"""Saved results and the audit log, on SQLite and PostgreSQL (see conftest's engine fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from regenaid.store import SqlUnitOfWork, delete_result, load_result, save_result
from regenaid.store.migrate import current_revision, migrate_to_head
from regenaid.store.orm import AuditLogRow, SavedResultRow
from regenaid.store.records import AuditEvent, SavedResult
from regenaid.store.shared_results import RETENTION, lookup_hash, purge_expired

INTAKE = {
    "concern": "hair",
    "condition": "androgenetic_alopecia",
    "age": 34,
    "sex": "male",
    "severity": "mild",
}
ASSESSMENT = {
    "contract": "regenaid.assessment/1",
    "options": [],
    "recommended": None,
    "notices": [{"code": "x", "text": "ünïcode ✓"}],
}


def _rows(session_factory: sessionmaker[Session], model: type) -> list[object]:
    with session_factory() as session:
        return list(session.scalars(select(model)).all())


def test_migration_creates_tables_and_records_head(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {"saved_results", "audit_log", "alembic_version"} <= tables
    assert current_revision(engine) == "0005_outcomes"
    migrate_to_head(engine)  # idempotent on a second start
    assert current_revision(engine) == "0005_outcomes"


def test_save_load_round_trip(session_factory: sessionmaker[Session]) -> None:
    token = save_result(SqlUnitOfWork(session_factory), INTAKE, ASSESSMENT)
    loaded = load_result(SqlUnitOfWork(session_factory), token)
    assert loaded is not None
    assert loaded.intake == INTAKE
    assert loaded.assessment == ASSESSMENT
    assert loaded.created_at.tzinfo is not None or loaded.created_at.year >= 2024


def test_token_is_not_stored_and_cannot_be_guessed(
    session_factory: sessionmaker[Session],
) -> None:
    tokens = {save_result(SqlUnitOfWork(session_factory), INTAKE, ASSESSMENT) for _ in range(5)}
    assert len(tokens) == 5
    assert all(len(t) == 43 for t in tokens)
    rows = _rows(session_factory, SavedResultRow)
    stored = {r.lookup_hash for r in rows}  # type: ignore[attr-defined]
    assert stored == {lookup_hash(t) for t in tokens}
    assert not stored & tokens
    # The internal row numbers and the hashes are not keys to a result.
    for candidate in ["1", "2", *stored]:
        assert load_result(SqlUnitOfWork(session_factory), candidate) is None


def test_delete_removes_result_and_audits(session_factory: sessionmaker[Session]) -> None:
    token = save_result(SqlUnitOfWork(session_factory), INTAKE, ASSESSMENT)
    assert delete_result(SqlUnitOfWork(session_factory), token) is True
    assert load_result(SqlUnitOfWork(session_factory), token) is None
    assert delete_result(SqlUnitOfWork(session_factory), token) is False
    actions = [r.action for r in _rows(session_factory, AuditLogRow)]  # type: ignore[attr-defined]
    assert actions == ["saved_result.created", "saved_result.deleted"]
    assert _rows(session_factory, SavedResultRow) == []


def test_audit_log_holds_no_secret_or_answers(session_factory: sessionmaker[Session]) -> None:
    token = save_result(SqlUnitOfWork(session_factory), INTAKE, ASSESSMENT)
    for row in _rows(session_factory, AuditLogRow):
        text = f"{row.action} {row.subject} {row.detail}"  # type: ignore[attr-defined]
        assert token not in text and lookup_hash(token) not in text
        assert "androgenetic" not in text


def test_personal_details_are_refused(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(ValueError, match="personal details"):
        save_result(SqlUnitOfWork(session_factory), {**INTAKE, "email": "a@b.c"}, ASSESSMENT)
    assert _rows(session_factory, SavedResultRow) == []


def test_uncommitted_work_is_rolled_back(session_factory: sessionmaker[Session]) -> None:
    now = datetime.now(UTC)
    with SqlUnitOfWork(session_factory) as uow:
        uow.saved_results.add("a" * 64, SavedResult(INTAKE, ASSESSMENT, now, now + RETENTION))
        # no commit
    assert _rows(session_factory, SavedResultRow) == []


def test_failed_write_leaves_nothing(session_factory: sessionmaker[Session]) -> None:
    """The audit entry and the second row are written in one transaction: the duplicate hash
    makes the transaction fail, and neither the audit entry nor anything else remains."""
    now = datetime.now(UTC)
    with SqlUnitOfWork(session_factory) as uow:
        uow.saved_results.add("b" * 64, SavedResult(INTAKE, ASSESSMENT, now, now + RETENTION))
        uow.commit()
    with pytest.raises(IntegrityError), SqlUnitOfWork(session_factory) as uow:
        uow.audit.append(AuditEvent("saved_result.created", "saved_result:?", now))
        uow.saved_results.add("c" * 64, SavedResult(INTAKE, ASSESSMENT, now, now + RETENTION))
        uow.saved_results.add("b" * 64, SavedResult(INTAKE, ASSESSMENT, now, now + RETENTION))
        uow.commit()
    rows = _rows(session_factory, SavedResultRow)
    assert [r.lookup_hash for r in rows] == ["b" * 64]  # type: ignore[attr-defined]
    assert _rows(session_factory, AuditLogRow) == []


def test_exception_inside_unit_of_work_rolls_back(
    session_factory: sessionmaker[Session],
) -> None:
    now = datetime.now(UTC)
    with pytest.raises(RuntimeError), SqlUnitOfWork(session_factory) as uow:
        uow.saved_results.add("d" * 64, SavedResult(INTAKE, ASSESSMENT, now, now + RETENTION))
        raise RuntimeError("boom before commit")
    assert _rows(session_factory, SavedResultRow) == []


def test_commit_outside_block_is_an_error(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError, match="outside"):
        SqlUnitOfWork(session_factory).commit()


def test_saved_results_expire_and_are_purged(session_factory: sessionmaker[Session]) -> None:
    saved_at = datetime.now(UTC) - RETENTION - timedelta(days=3)
    old = save_result(SqlUnitOfWork(session_factory), INTAKE, ASSESSMENT, now=saved_at)
    fresh = save_result(SqlUnitOfWork(session_factory), INTAKE, ASSESSMENT)
    just_before = saved_at + RETENTION - timedelta(seconds=1)
    assert load_result(SqlUnitOfWork(session_factory), old, now=just_before) is not None
    assert load_result(SqlUnitOfWork(session_factory), old) is None  # a year has passed
    assert purge_expired(SqlUnitOfWork(session_factory)) == 1
    assert len(_rows(session_factory, SavedResultRow)) == 1
    assert load_result(SqlUnitOfWork(session_factory), fresh) is not None
    actions = [r.action for r in _rows(session_factory, AuditLogRow)]  # type: ignore[attr-defined]
    assert actions.count("saved_result.expired") == 1
    assert purge_expired(SqlUnitOfWork(session_factory)) == 0


def test_expiry_migration_backfills_existing_rows(engine: Engine) -> None:
    """Downgrade to the first revision, store a row the old way, upgrade: it gets an expiry
    a year after it was created."""
    from alembic import command
    from sqlalchemy import text

    from regenaid.store.migrate import alembic_config

    config = alembic_config(engine)
    command.downgrade(config, "0001_saved_results_audit_log")
    created = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO saved_results (lookup_hash, contract, intake, assessment, created_at)"
                " VALUES (:h, 'regenaid.assessment/1', '{}', '{}', :c)"
            ),
            {"h": "e" * 64, "c": created},
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        expires = connection.execute(text("SELECT expires_at FROM saved_results")).scalar_one()
    if isinstance(expires, str):  # SQLite returns text from a raw query
        expires = datetime.fromisoformat(expires)
    assert expires.replace(tzinfo=None) == (created + RETENTION).replace(tzinfo=None)
