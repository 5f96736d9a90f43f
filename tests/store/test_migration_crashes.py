"""Crash-safe migrations: kill the upgrade after every SQL statement, then start normally.

Each crash point runs the upgrade in a forked child process that SIGKILLs itself right after
the N-th SQL statement (counted with SQLAlchemy's ``after_cursor_execute`` event), so nothing
is cleaned up: no rollback, no connection close. The parent then does what the app does on
start-up (``migrate_to_head``) and checks that the database is usable: at head, with the same
schema as a clean migration, the rows saved before the upgrade still there and new rows
saveable. Start states: an empty database (first start) and databases at 0001 and 0002 holding
saved rows (upgrades).

Every statement up to the 30th, then every 16th and the last 3 (``crash_points``), of
every start state, on SQLite (a file per point) and on PostgreSQL (a fresh schema per point).
PostgreSQL is never skipped: an unreachable server fails the tests.

Run as a script for the counts (``.venv/bin/python tests/clinic/test_migration_crashes.py``).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import traceback
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, event, inspect, text

from regenaid.store import (
    SqlUnitOfWork,
    load_result,
    make_engine,
    make_session_factory,
    purge_expired,
    save_result,
)
from regenaid.store.migrate import alembic_config, current_revision, migrate_to_head
from regenaid.store.shared_results import RETENTION, lookup_hash

POSTGRES_URL = os.environ.get(
    "REGENAID_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
HEAD = "0005_outcomes"
STARTS: dict[str, str | None] = {
    "empty": None,
    "at_0001": "0001_saved_results_audit_log",
    "at_0002": "0002_saved_results_expiry",
}
INTAKE: dict[str, Any] = {
    "concern": "hair",
    "condition": "androgenetic_alopecia",
    "age": 34,
    "sex": "male",
}
ASSESSMENT: dict[str, Any] = {
    "contract": "regenaid.assessment/1",
    "options": [],
    "recommended": None,
}
SEEDED_TOKENS = [f"{i:02d}" + "A" * 41 for i in range(3)]  # 43 URL-safe characters each

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")


@dataclass
class Database:
    """One database to crash: a SQLite file, or a PostgreSQL schema on the test server."""

    backend: str
    path: Path | None = None
    schema: str | None = None
    seeded: list[str] = field(default_factory=list)

    def engine(self) -> Engine:
        if self.path is not None:
            return make_engine(f"sqlite:///{self.path}")
        return make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={self.schema}"})

    def drop(self) -> None:
        if self.schema is not None:
            admin = make_engine(POSTGRES_URL)
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            admin.dispose()


def _seed(engine: Engine, revision: str) -> list[str]:
    """Rows saved at ``revision`` (raw SQL: the ORM describes head, not this revision)."""
    created = datetime.now(UTC) - timedelta(days=1)
    columns: list[sa.ColumnClause[Any]] = [
        sa.column("lookup_hash", sa.String()),
        sa.column("contract", sa.String()),
        sa.column("intake", sa.JSON()),
        sa.column("assessment", sa.JSON()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    ]
    row: dict[str, Any] = {
        "contract": "regenaid.assessment/1",
        "intake": INTAKE,
        "assessment": ASSESSMENT,
        "created_at": created,
    }
    if revision != STARTS["at_0001"]:
        columns.append(sa.column("expires_at", sa.DateTime(timezone=True)))
        row["expires_at"] = created + RETENTION
    saved = sa.table("saved_results", *columns)
    audit = sa.table(
        "audit_log",
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("action", sa.String()),
        sa.column("subject", sa.String()),
        sa.column("detail", sa.String()),
    )
    with engine.begin() as connection:
        for token in SEEDED_TOKENS:
            connection.execute(saved.insert().values(lookup_hash=lookup_hash(token), **row))
        connection.execute(
            audit.insert().values(at=created, action="seeded", subject="test", detail="")
        )
    return list(SEEDED_TOKENS)


def _prepare(database: Database, start: str) -> Database:
    """Bring ``database`` to the start state: empty, or at a revision with saved rows."""
    revision = STARTS[start]
    if database.schema is not None:
        admin = make_engine(POSTGRES_URL)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{database.schema}"'))
        admin.dispose()
    if revision is not None:
        from alembic import command

        engine = database.engine()
        command.upgrade(alembic_config(engine), revision)
        database.seeded = _seed(engine, revision)
        engine.dispose()
    return database


def _counting(engine: Engine, crash_after: int | None = None) -> list[int]:
    """Count SQL statements on ``engine``; SIGKILL this process after the ``crash_after``-th."""
    count = [0]

    @event.listens_for(engine, "after_cursor_execute")
    def _after(*_args: Any) -> None:
        count[0] += 1
        if count[0] == crash_after:
            os.kill(os.getpid(), signal.SIGKILL)

    return count


def _upgrade_killed_after(database: Database, crash_after: int) -> bool:
    """Upgrade in a forked child killed after statement ``crash_after``; True if it was."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns into pytest
        code = 0
        try:
            engine = database.engine()
            _counting(engine, crash_after)
            migrate_to_head(engine)
        except BaseException:
            traceback.print_exc()
            code = 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 2:
        raise AssertionError(f"upgrade failed before crash point {crash_after}")
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def _schema(engine: Engine) -> dict[str, Any]:
    """Tables, columns (name, type, nullability) and indexes, comparable across databases.
    Reflected for all tables at once (two catalogue queries on PostgreSQL, not two per
    table: a sweep checks the schema after every crash point)."""
    inspector = inspect(engine)
    columns = inspector.get_multi_columns()
    indexes = inspector.get_multi_indexes()
    return {
        table: (
            [(c["name"], str(c["type"]), c["nullable"]) for c in columns[schema, table]],
            sorted(
                (i["name"] or "", tuple(i["column_names"]), bool(i["unique"]))
                for i in indexes[schema, table]
            ),
        )
        for schema, table in sorted(columns, key=lambda key: key[1])
    }


def _start_problem(database: Database, reference: dict[str, Any]) -> str | None:
    """Start as the app does; None when the database is usable, else what is wrong."""
    engine = database.engine()
    try:
        migrate_to_head(engine)
        if (revision := current_revision(engine)) != HEAD:
            return f"at {revision} after start"
        if (schema := _schema(engine)) != reference:
            return f"schema differs from a clean migration: {schema}"
        factory = make_session_factory(engine)
        purge_expired(SqlUnitOfWork(factory))
        for token in database.seeded:
            loaded = load_result(SqlUnitOfWork(factory), token)
            if loaded is None or loaded.intake != INTAKE:
                return f"saved row {token[:2]} lost"
            if abs(loaded.expires_at - loaded.created_at - RETENTION) > timedelta(seconds=1):
                return f"saved row {token[:2]} has the wrong expiry"
        with factory() as session:
            audit = session.execute(text("SELECT action FROM audit_log")).scalars().all()
        if database.seeded and "seeded" not in audit:
            return "audit entry lost"
        token = save_result(SqlUnitOfWork(factory), INTAKE, ASSESSMENT)
        if load_result(SqlUnitOfWork(factory), token) is None:
            return "cannot save after start"
        return None
    except Exception as exc:  # any failure to start is what we count
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    finally:
        engine.dispose()


@dataclass
class Sweep:
    backend: str
    start: str
    total: int
    tried: list[int]
    unusable: dict[int, str]


def _new_database(backend: str, workdir: Path, name: str) -> Database:
    if backend == "sqlite":
        return Database(backend, path=workdir / f"{name}.db")
    return Database(backend, schema=f"regenaid_crash_{uuid.uuid4().hex[:12]}")


EVERY_STATEMENT_UP_TO = 30  # covers all of 0001-0003 and the start of the clinic migration
STRIDE = 16  # then every 16th statement, and the last 3


def crash_points(total: int, every: int = STRIDE) -> list[int]:
    """Where to crash: every statement up to :data:`EVERY_STATEMENT_UP_TO`, then every
    ``every``-th one and the last three (the clinic migration alone has over 100
    statements, all in the same single transaction as the rest: a crash anywhere inside it
    is undone the same way, so a stride keeps the test fast without skipping a kind of point)."""
    points = set(range(1, min(total, EVERY_STATEMENT_UP_TO) + 1))
    points |= set(range(1, total + 1, every))
    points |= set(range(max(1, total - 2), total + 1))
    return sorted(points)


def sweep(backend: str, start: str, workdir: Path, every: int = STRIDE) -> Sweep:
    """Crash the upgrade from ``start`` after statement 1, 1+every, ... of a clean run."""
    template = _prepare(_new_database(backend, workdir, f"{start}-template"), start)
    clean = _new_database(backend, workdir, f"{start}-clean")
    if clean.path is not None and template.path is not None:
        if template.path.exists():
            shutil.copy(template.path, clean.path)
        clean.seeded = template.seeded
    else:
        clean = _prepare(clean, start)
    engine = clean.engine()
    count = _counting(engine)
    migrate_to_head(engine)
    total = count[0]
    reference = _schema(engine)
    engine.dispose()
    clean.drop()

    tried = crash_points(total, every)
    unusable: dict[int, str] = {}
    for point in tried:
        if template.path is not None:
            database = _new_database(backend, workdir, f"{start}-{point}")
            assert database.path is not None
            if template.path.exists():
                shutil.copy(template.path, database.path)
            database.seeded = template.seeded
        else:
            database = _prepare(_new_database(backend, workdir, ""), start)
        try:
            if not _upgrade_killed_after(database, point):
                raise AssertionError(f"crash point {point} of {total} was never reached")
            problem = _start_problem(database, reference)
            if problem is not None:
                unusable[point] = problem
        finally:
            database.drop()
    template.drop()
    return Sweep(backend, start, total, tried, unusable)


def _report(result: Sweep) -> str:
    lines = [
        f"{result.backend} from {result.start}: {len(result.unusable)} of {len(result.tried)} "
        f"crash points (of {result.total} statements) leave an unusable database"
    ]
    lines += [f"  after statement {n}: {why}" for n, why in sorted(result.unusable.items())]
    return "\n".join(lines)


@pytest.mark.parametrize("start", list(STARTS))
def test_sqlite_survives_a_crash_after_every_statement(start: str, tmp_path: Path) -> None:
    result = sweep("sqlite", start, tmp_path)
    assert result.tried == crash_points(result.total) and result.total >= 4
    assert not result.unusable, _report(result)


@pytest.mark.postgres
@pytest.mark.parametrize("start", list(STARTS))
def test_postgresql_survives_a_crash_after_every_statement(start: str, tmp_path: Path) -> None:
    result = sweep("postgresql", start, tmp_path)
    assert result.tried == crash_points(result.total) and result.total >= 4
    assert not result.unusable, _report(result)


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    yield Database("sqlite", path=tmp_path / "regenaid.db")


def test_first_start_on_a_fresh_database_and_again(sqlite_database: Database) -> None:
    engine = sqlite_database.engine()
    reference = None
    for _ in range(3):  # fresh, then fully migrated: every start works and changes nothing
        migrate_to_head(engine)
        assert current_revision(engine) == HEAD
        reference = reference or _schema(engine)
        assert _schema(engine) == reference
    engine.dispose()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_concurrent_first_starts(backend: str, tmp_path: Path) -> None:
    """Several app processes starting at once on a new database: every one starts."""
    database = _prepare(_new_database(backend, tmp_path, "regenaid"), "empty")
    try:
        ready, go = os.pipe()
        children = []
        for _ in range(4):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child never returns into pytest
                code = 0
                try:
                    os.read(ready, 1)  # all children start together
                    engine = database.engine()
                    migrate_to_head(engine)
                    engine.dispose()
                except BaseException:
                    traceback.print_exc()
                    code = 2
                finally:
                    os._exit(code)
            children.append(pid)
        os.write(go, b"x" * len(children))
        statuses = [os.waitpid(pid, 0)[1] for pid in children]
        os.close(ready)
        os.close(go)
        assert all(os.WIFEXITED(s) and os.WEXITSTATUS(s) == 0 for s in statuses), statuses
        clean = _prepare(_new_database(backend, tmp_path, "clean"), "empty")
        engine = clean.engine()
        migrate_to_head(engine)
        reference = _schema(engine)
        engine.dispose()
        clean.drop()
        assert _start_problem(database, reference) is None
    finally:
        database.drop()


def test_sqlite_migration_leaves_the_app_engine_alone(sqlite_database: Database) -> None:
    """The transactional-DDL switch is for the migration connection only."""
    engine = sqlite_database.engine()
    migrate_to_head(engine)
    with engine.connect() as connection:
        assert connection.connection.dbapi_connection.isolation_level == ""  # type: ignore[union-attr]
    engine.dispose()


def main(argv: list[str]) -> int:
    """Print how many crash points leave an unusable database (``--postgres`` adds PostgreSQL)."""
    import tempfile

    backends = ["sqlite", "postgresql"] if "--postgres" in argv else ["sqlite"]
    unusable = tried = 0
    with tempfile.TemporaryDirectory() as workdir:
        for backend in backends:
            for start in STARTS:
                result = sweep(backend, start, Path(workdir))
                print(_report(result), flush=True)
                unusable += len(result.unusable)
                tried += len(result.tried)
    print(f"total: {unusable} of {tried} crash points leave an unusable database")
    return 1 if unusable else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
