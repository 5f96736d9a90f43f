"""Unit of work: one transaction per use; commit explicitly, roll back by default."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from regenaid.store.repository import AuditLogRepository, SavedResultRepository


class SqlUnitOfWork:
    """``with uow: ...; uow.commit()`` — anything not committed is rolled back on exit,
    including when an exception leaves the block, so a failed write leaves nothing."""

    saved_results: SavedResultRepository
    audit: AuditLogRepository

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None

    def __enter__(self) -> SqlUnitOfWork:
        self._session = self._session_factory()
        self.saved_results = SavedResultRepository(self._session)
        self.audit = AuditLogRepository(self._session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            self._session.rollback()
        finally:
            self._session.close()
            self._session = None

    def commit(self) -> None:
        if self._session is None:
            raise RuntimeError("commit() called outside the unit of work's with-block")
        self._session.commit()

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()
