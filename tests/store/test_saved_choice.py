"""The choice saved with a result (leaning + SURE answers), on SQLite and PostgreSQL, and the
migration that adds it (0002 -> 0003 keeps every existing row)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from regenaid.store import (
    SqlUnitOfWork,
    check_choice,
    load_result,
    save_result,
    update_choice,
)
from regenaid.store.migrate import alembic_config, current_revision
from regenaid.store.orm import AuditLogRow, SavedResultRow
from regenaid.store.shared_results import RETENTION

INTAKE: dict[str, object] = {
    "concern": "hair",
    "condition": "androgenetic_alopecia",
    "age": 34,
    "sex": "male",
}
ASSESSMENT: dict[str, object] = {
    "contract": "regenaid.assessment/1",
    "options": [],
    "recommended": None,
}
CHOICE = {"leaning": "prp", "sure": {"sure": "yes", "understand": "no"}}


def test_a_result_saved_without_a_choice_has_none(session_factory: sessionmaker[Session]) -> None:
    token = save_result(SqlUnitOfWork(session_factory), INTAKE, ASSESSMENT)
    loaded = load_result(SqlUnitOfWork(session_factory), token)
    assert loaded is not None and loaded.choice is None
    with session_factory() as session:  # SQL NULL, not the JSON text 'null'
        raw = session.execute(text("SELECT COUNT(*) FROM saved_results WHERE choice IS NULL"))
        assert raw.scalar_one() == 1


def test_choice_round_trip_and_update(session_factory: sessionmaker[Session]) -> None:
    token = save_result(SqlUnitOfWork(session_factory), INTAKE, ASSESSMENT, choice=CHOICE)
    loaded = load_result(SqlUnitOfWork(session_factory), token)
    assert loaded is not None and loaded.choice == CHOICE
    everything = {
        "leaning": "unsure",
        "sure": {"encouragement": "no", "sure": "no", "understand": "yes", "risk_benefit": "yes"},
    }
    assert update_choice(SqlUnitOfWork(session_factory), token, everything) is True
    loaded = load_result(SqlUnitOfWork(session_factory), token)
    assert loaded is not None and loaded.choice == everything
    assert list(loaded.choice["sure"]) == ["sure", "understand", "risk_benefit", "encouragement"]
    assert loaded.intake == INTAKE and loaded.assessment == ASSESSMENT  # nothing else changed
    assert update_choice(SqlUnitOfWork(session_factory), token, None) is True
    loaded = load_result(SqlUnitOfWork(session_factory), token)
    assert loaded is not None and loaded.choice is None
    with session_factory() as session:
        actions = [r.action for r in session.scalars(select(AuditLogRow)).all()]
        details = " ".join(r.detail + r.subject for r in session.scalars(select(AuditLogRow)))
    assert actions == ["saved_result.created", *["saved_result.choice_updated"] * 2]
    assert "prp" not in details and "yes" not in details  # the answers are not audited


def test_update_of_an_unknown_or_expired_link_changes_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    assert update_choice(SqlUnitOfWork(session_factory), "x" * 43, CHOICE) is False
    assert update_choice(SqlUnitOfWork(session_factory), "bad", CHOICE) is False
    old = datetime.now(UTC) - RETENTION - timedelta(days=1)
    token = save_result(SqlUnitOfWork(session_factory), INTAKE, ASSESSMENT, now=old)
    assert update_choice(SqlUnitOfWork(session_factory), token, CHOICE) is False
    with session_factory() as session:
        assert session.scalars(select(SavedResultRow.choice)).all() == [None]


@pytest.mark.parametrize(
    ("choice", "field"),
    [
        ({"leaning": "PRP!"}, "leaning"),
        ({"leaning": 3}, "leaning"),
        ({"sure": {"sure": "maybe"}}, "sure.sure"),
        ({"sure": {"confident": "yes"}}, "sure.confident"),
        ({"sure": ["yes"]}, "sure"),
        ({"name": "Ann"}, "choice"),
    ],
)
def test_anything_but_a_choice_is_refused_naming_the_field(
    session_factory: sessionmaker[Session], choice: dict[str, object], field: str
) -> None:
    with pytest.raises(ValueError, match=rf"^{field}\b"):
        save_result(SqlUnitOfWork(session_factory), INTAKE, ASSESSMENT, choice=choice)
    with session_factory() as session:
        assert session.scalars(select(SavedResultRow.id)).all() == []  # nothing half-written


def test_empty_answers_are_no_choice() -> None:
    assert check_choice({}) is None
    assert check_choice({"leaning": None, "sure": {}}) is None
    assert check_choice({"sure": {"encouragement": "no", "sure": "yes"}}) == {
        "sure": {"sure": "yes", "encouragement": "no"}
    }


def test_choice_migration_keeps_existing_rows(engine: Engine) -> None:
    """Downgrade to 0002, store a row the old way, upgrade: the row is unchanged, with no
    choice; downgrading again drops only the column."""
    config = alembic_config(engine)
    command.downgrade(config, "0002_saved_results_expiry")
    assert "choice" not in {c["name"] for c in inspect(engine).get_columns("saved_results")}
    created = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO saved_results"
                " (lookup_hash, contract, intake, assessment, created_at, expires_at)"
                " VALUES (:h, 'regenaid.assessment/1', :i, :a, :c, :e)"
            ),
            {
                "h": "f" * 64,
                "i": '{"condition": "scars"}',
                "a": '{"options": []}',
                "c": created,
                "e": created + RETENTION,
            },
        )
    command.upgrade(config, "head")
    assert current_revision(engine) == "0005_outcomes"
    with Session(engine) as session:
        row = session.scalars(select(SavedResultRow)).one()
        assert row.lookup_hash == "f" * 64
        assert row.intake == {"condition": "scars"} and row.assessment == {"options": []}
        assert row.choice is None
        row.choice = CHOICE
        session.commit()
    command.downgrade(config, "0002_saved_results_expiry")
    with engine.connect() as connection:
        count = connection.execute(text("SELECT COUNT(*) FROM saved_results")).scalar_one()
    assert count == 1
    command.upgrade(config, "head")
