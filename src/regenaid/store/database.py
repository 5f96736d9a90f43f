"""Engine and session factories, built from a URL on demand (never at import time)."""

from __future__ import annotations

import os
import random
import sqlite3
import stat
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(database_url: str, **engine_kwargs: Any) -> Engine:
    """Create an engine for ``database_url``.

    For a SQLite file the parent directory is created if missing (mode 0700), the file is
    created 0600 (an existing one loses any group/other access; SQLite gives its journal and
    WAL files the database file's mode); every connection gets foreign keys (SQLite leaves them
    off by default), write-ahead logging and a busy timeout (``_sqlite_pragmas``).
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            _private_sqlite_file(Path(database).expanduser().resolve())
        engine = create_engine(url, **engine_kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **engine_kwargs)


def _private_sqlite_file(path: Path) -> None:
    """Create the database file (and its folder) readable by this user only."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        path.chmod(mode & ~0o077)


# Wait this long for another process's write instead of failing. 5 s was too short under
# overload: with 200 clients on two workers (p99 latency 5 s), 2 of about 6,900 requests failed,
# saves raising OperationalError (make bench, load); none in three runs since. Why the lock was
# held so long was not shown; a writer waiting for CPU is the likely cause.
SQLITE_BUSY_MS = 15_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on; write-ahead logging, so readers and the one writer of several worker
    processes do not block each other; and a busy timeout, so a save waiting for another
    worker's write waits instead of failing with "database is locked"."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    _switch_to_wal(cursor)
    cursor.close()


def _switch_to_wal(cursor: Any, *, wait_ms: int = SQLITE_BUSY_MS) -> None:
    """``PRAGMA journal_mode=WAL``, tried again while another process holds the lock.

    The switch needs the database to itself. When several workers open a new database at once,
    each holds a read lock while asking for it, and SQLite answers "database is locked" at once
    instead of waiting (waiting could never end), so the busy timeout does not help: seen once
    in 25 runs of four processes starting together. Once one of them has switched, the mode is
    stored in the file and the others' switch succeeds."""
    deadline = time.monotonic() + wait_ms / 1000
    while True:
        try:
            mode = cursor.execute("PRAGMA journal_mode").fetchone()
            if mode is None or str(mode[0]).lower() != "wal":  # else kept in the file already
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            # with jitter, so the waiting workers do not collide again
            time.sleep(random.uniform(0.005, 0.02))


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that do not expire objects on commit (results are read after committing)."""
    return sessionmaker(bind=engine, expire_on_commit=False)
