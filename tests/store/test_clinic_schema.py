"""The migrations build exactly the tables the code declares (SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from regenaid.store import clinic_tables
from regenaid.store.orm import Base


def test_migrated_schema_equals_the_declared_tables(engine: Engine) -> None:
    assert clinic_tables.patients.name in Base.metadata.tables  # the clinic tables are declared
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
