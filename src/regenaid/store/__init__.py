"""Persistence adapters: SQLAlchemy tables, repositories, a unit of work and Alembic migrations.

The domain objects (:mod:`regenaid.store.records`) are plain dataclasses; the ORM rows
(:mod:`regenaid.store.orm`) are separate and only the repositories translate between them.
"""

from regenaid.store.database import make_engine, make_session_factory
from regenaid.store.migrate import migrate_to_head
from regenaid.store.records import SavedResult
from regenaid.store.shared_results import (
    check_choice,
    delete_result,
    load_result,
    purge_expired,
    save_result,
    update_choice,
)
from regenaid.store.unit_of_work import SqlUnitOfWork

__all__ = [
    "SavedResult",
    "SqlUnitOfWork",
    "check_choice",
    "delete_result",
    "load_result",
    "make_engine",
    "make_session_factory",
    "migrate_to_head",
    "purge_expired",
    "save_result",
    "update_choice",
]
