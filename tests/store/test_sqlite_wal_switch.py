"""Switching a SQLite database to write-ahead logging while other workers hold it.

Four processes opening a new database at once sometimes got "database is locked" from
``PRAGMA journal_mode=WAL`` (1 run in 25 of ``test_concurrent_first_starts[sqlite]``): SQLite
answers at once instead of waiting when every asker holds a read lock. The switch is retried
until the busy timeout; anything else is raised as before.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from regenaid.store.database import _switch_to_wal


class _Cursor:
    """Answers the WAL pragma with ``errors`` in turn, then succeeds."""

    def __init__(self, *errors: str) -> None:
        self.errors = list(errors)
        self.calls = 0

    def execute(self, sql: str) -> Any:
        if sql == "PRAGMA journal_mode":  # asked first: not yet switched
            return self
        assert sql == "PRAGMA journal_mode=WAL"
        self.calls += 1
        if self.errors:
            raise sqlite3.OperationalError(self.errors.pop(0))
        return self

    def fetchone(self) -> tuple[str]:
        return ("delete",)


def test_a_locked_database_is_tried_again_until_the_switch_succeeds() -> None:
    cursor = _Cursor("database is locked", "database is locked")
    _switch_to_wal(cursor)
    assert cursor.calls == 3


def test_other_errors_are_not_retried() -> None:
    cursor = _Cursor("disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        _switch_to_wal(cursor)
    assert cursor.calls == 1


def test_a_lock_that_outlasts_the_busy_timeout_is_raised() -> None:
    cursor = _Cursor(*["database is locked"] * 10_000)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _switch_to_wal(cursor, wait_ms=60)
    assert 2 <= cursor.calls < 10_000


def test_a_real_exclusive_lock_is_waited_for(tmp_path: Path) -> None:
    """Another connection holds the database exclusively for 0.2 s: the switch waits for it
    (a retry or the busy handler) and the file ends in WAL mode."""
    path = tmp_path / "new.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    released = threading.Timer(0.2, lambda: holder.execute("COMMIT"))
    released.start()
    try:
        other = sqlite3.connect(path, isolation_level=None, timeout=0)
        cursor = other.cursor()
        _switch_to_wal(cursor, wait_ms=5000)
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        other.close()
    finally:
        released.join()
        holder.close()


def test_a_database_already_in_wal_mode_is_not_switched_again(tmp_path: Path) -> None:
    """New connections to a database already in WAL mode take no lock for the switch: it is
    skipped even while another connection holds the database exclusively."""
    path = tmp_path / "wal.db"
    first = sqlite3.connect(path, isolation_level=None)
    _switch_to_wal(first.cursor())
    first.execute("CREATE TABLE t (x)")
    first.execute("BEGIN EXCLUSIVE")
    try:
        other = sqlite3.connect(path, isolation_level=None, timeout=0)
        _switch_to_wal(other.cursor(), wait_ms=0)  # would raise "locked" if it tried
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        other.close()
    finally:
        first.execute("COMMIT")
        first.close()
