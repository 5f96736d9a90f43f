"""Persistence: SQLAlchemy tables, repositories, a unit of work and Alembic migrations.

The domain objects (:mod:`regenaid.clinic.records`) are plain dataclasses; the ORM rows
(:mod:`regenaid.clinic.orm`) are separate and only the repositories translate between them.
"""

from regenaid.clinic.database import make_engine, make_session_factory
from regenaid.clinic.migrate import migrate_to_head
from regenaid.clinic.records import SavedResult
from regenaid.clinic.shared_results import (
    check_choice,
    delete_result,
    load_result,
    purge_expired,
    save_result,
    update_choice,
)
from regenaid.clinic.unit_of_work import SqlUnitOfWork

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
