"""Repositories: the only code that translates between ORM rows and domain records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from regenaid.store.orm import AuditLogRow, SavedResultRow
from regenaid.store.records import AuditEvent, SavedResult


def _utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite keeps no zone; everything stored is UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class SavedResultRepository:
    """Saved results, addressed only by the hash of their link secret."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, lookup_hash: str, result: SavedResult) -> int:
        """Stage a new saved result; returns its internal row number (never shown to users)."""
        row = SavedResultRow(
            lookup_hash=lookup_hash,
            contract=result.contract,
            intake=result.intake,
            assessment=result.assessment,
            created_at=result.created_at,
            expires_at=result.expires_at,
            choice=result.choice,
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def get(self, lookup_hash: str, now: datetime) -> SavedResult | None:
        """The unexpired result under ``lookup_hash``, or None."""
        row = self._session.scalars(
            select(SavedResultRow).where(
                SavedResultRow.lookup_hash == lookup_hash, SavedResultRow.expires_at > now
            )
        ).one_or_none()
        if row is None:
            return None
        return SavedResult(
            intake=row.intake,
            assessment=row.assessment,
            created_at=_utc(row.created_at),
            expires_at=_utc(row.expires_at),
            contract=row.contract,
            choice=row.choice,
        )

    def set_choice(
        self, lookup_hash: str, choice: dict[str, Any] | None, now: datetime
    ) -> int | None:
        """Stage replacing the choice of the unexpired result under ``lookup_hash``; its row
        number, or None when there is no such result."""
        row_id = self._session.scalars(
            select(SavedResultRow.id).where(
                SavedResultRow.lookup_hash == lookup_hash, SavedResultRow.expires_at > now
            )
        ).one_or_none()
        if row_id is None:
            return None
        self._session.execute(
            update(SavedResultRow).where(SavedResultRow.id == row_id).values(choice=choice)
        )
        return row_id

    def remove_expired(self, now: datetime) -> list[int]:
        """Stage deletion of every result whose time is up; their row numbers."""
        ids = list(
            self._session.scalars(
                select(SavedResultRow.id).where(SavedResultRow.expires_at <= now)
            ).all()
        )
        if ids:
            self._session.execute(delete(SavedResultRow).where(SavedResultRow.id.in_(ids)))
        return ids

    def remove(self, lookup_hash: str) -> int | None:
        """Stage deletion; returns the removed row number, or None when there was none."""
        row_id = self._session.scalars(
            select(SavedResultRow.id).where(SavedResultRow.lookup_hash == lookup_hash)
        ).one_or_none()
        if row_id is None:
            return None
        self._session.execute(delete(SavedResultRow).where(SavedResultRow.id == row_id))
        return row_id

    def count(self) -> int:
        return len(self._session.scalars(select(SavedResultRow.id)).all())


class AuditLogRepository:
    """Append-only audit entries."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def append(self, event: AuditEvent) -> None:
        self._session.add(
            AuditLogRow(
                at=event.at, action=event.action, subject=event.subject, detail=event.detail
            )
        )
        self._session.flush()

    def list(self) -> list[AuditEvent]:
        rows = self._session.scalars(select(AuditLogRow).order_by(AuditLogRow.id)).all()
        return [
            AuditEvent(action=r.action, subject=r.subject, at=r.at, detail=r.detail) for r in rows
        ]
