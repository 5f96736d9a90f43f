"""Run the Alembic migrations programmatically (the web app does this on start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at the packaged migrations and at ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # the config parser treats "%" as interpolation: a URL with escapes (e.g. a PostgreSQL
    # search_path in ?options=-csearch_path%3D...) must be written as "%%"
    url = engine.url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["engine"] = engine
    return config


def migrate_to_head(engine: Engine) -> None:
    """Bring the schema up to the newest revision (creates every table on first start).

    All pending revisions run in one transaction, on SQLite too (see ``migrations/env.py``):
    a start killed part-way leaves the database as it was, and the next start upgrades it.
    Processes starting at the same time wait for each other; safe to call on every start.
    """
    command.upgrade(alembic_config(engine), "head")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
