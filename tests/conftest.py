"""Shared test fixtures: paths to the external reference vectors, the database URLs, and one
engine fixture parametrised over SQLite and PostgreSQL (every storage test runs on both).

The PostgreSQL run uses a fresh schema per test (via ``search_path``) and drops it afterwards.
When the server is unreachable the PostgreSQL tests fail; they are never skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from regenaid.store import make_engine, make_session_factory, migrate_to_head

ROOT = Path(__file__).resolve().parents[1]
# No background warm-up in the apps and servers the tests start (each would spawn PDF render
# processes and render a report): tests/web/test_event_loop.py tests the warm-up itself.
os.environ.setdefault("REGENAID_WARM_UP", "0")
# Copies of ../shared/reference (metafor and health-economics vectors), kept in the repository
# so a fresh clone tests against them; see tests/reference/README.md for their provenance.
REFERENCE = Path(__file__).resolve().parent / "reference"
POSTGRES_URL = os.environ.get(
    "REGENAID_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """metafor and health-economics reference vectors. Missing is an error, never a skip."""
    if not REFERENCE.is_dir():
        raise RuntimeError(f"reference vectors not found at {REFERENCE}")
    return REFERENCE


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database on each engine."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'regenaid.db'}")
        migrate_to_head(eng)
        yield eng
        eng.dispose()
        return
    schema = f"regenaid_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        migrate_to_head(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)
