"""Alembic environment: uses the engine handed over by ``regenaid.store.migrate``.

The whole upgrade runs in one transaction, so a crash at any point leaves the database at the
revision it started from and the next start simply runs the upgrade again:

* PostgreSQL has transactional DDL; an advisory lock (per schema) makes app processes that
  start at the same time wait for each other instead of racing to create the same tables.
* SQLite's DDL is transactional too, but Python's ``sqlite3`` driver runs DDL outside any
  transaction it manages (it only opens one before INSERT/UPDATE/DELETE). For the migration
  connection only, the driver's own transaction handling is switched off and the transaction
  is opened with ``BEGIN IMMEDIATE`` (SQLAlchemy's documented pysqlite recipe, "Serializable
  isolation / Savepoints / Transactional DDL"), so CREATE/ALTER/DROP and batch table copies
  commit together with the ``alembic_version`` update. ``IMMEDIATE`` takes the write lock
  first: a second process starting at the same time waits, then finds the schema at head.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, event, text

from regenaid.store import clinic_tables  # noqa: F401  (registers the clinic tables)
from regenaid.store.database import make_engine
from regenaid.store.orm import Base

target_metadata = Base.metadata

# pg_advisory_xact_lock(key1, key2): key1 says "regenaid migration", key2 is the schema.
_PG_MIGRATION_LOCK = text(
    "SELECT pg_advisory_xact_lock(7265676, hashtext(coalesce(current_schema(), '')))"
)


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def _sqlite_transactional_ddl(connection: Connection) -> Iterator[None]:
    """On pysqlite, let this connection's transactions cover DDL (no-op elsewhere)."""
    dbapi_connection: Any = connection.connection.dbapi_connection
    if connection.dialect.name != "sqlite" or not hasattr(dbapi_connection, "isolation_level"):
        yield
        return
    saved = dbapi_connection.isolation_level
    dbapi_connection.isolation_level = None  # the driver no longer begins or commits by itself
    event.listen(connection, "begin", _begin_immediate)
    try:
        yield
    finally:
        event.remove(connection, "begin", _begin_immediate)
        # Back to the app's settings before the connection returns to the pool. The transaction
        # has ended by now (committed or rolled back), so this does not commit anything.
        dbapi_connection.isolation_level = saved


def run_migrations_online() -> None:
    engine = context.config.attributes.get("engine")
    if not isinstance(engine, Engine):
        engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with (
        engine.connect() as connection,
        _sqlite_transactional_ddl(connection),
        connection.begin(),
    ):
        if connection.dialect.name == "postgresql":
            connection.execute(_PG_MIGRATION_LOCK)
        # Configured inside the transaction: Alembic treats it as external and runs every
        # pending migration in it (no commit in between).
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            transactional_ddl=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run them online")
run_migrations_online()
