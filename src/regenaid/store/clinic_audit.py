"""The audit trail's storage: rows of ``clinic_audit`` and the head of each chain.

An append locks its chain's head row first (``SELECT ... FOR UPDATE`` on PostgreSQL; on
SQLite the write statement takes the database's write lock), so two transactions of one
clinic never build on the same entry. The entry is written in the caller's transaction: the
change and its audit entry are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from regenaid.clinic import audit as chain
from regenaid.clinic.audit import AuditEntry, ChainHead
from regenaid.store.clinic_tables import audit_entries, audit_heads


def _lock_head(session: Session, key: str) -> ChainHead | None:
    """The chain's head, locked for this transaction (created empty when missing)."""
    values = {"chain": key, "seq": 0, "hash": chain.GENESIS_HASH}
    dialect = session.get_bind().dialect.name
    statement: Any
    if dialect == "postgresql":
        statement = postgresql.insert(audit_heads).values(values).on_conflict_do_nothing()
    else:
        statement = sqlite.insert(audit_heads).values(values).on_conflict_do_nothing()
    session.execute(statement)
    row = session.execute(
        select(audit_heads.c.seq, audit_heads.c.hash)
        .where(audit_heads.c.chain == key)
        .with_for_update()
    ).one()
    return None if row.seq == 0 else ChainHead(chain=key, seq=row.seq, hash=row.hash)


def _entry(row: Any) -> AuditEntry:
    values = dict(row._mapping)
    values.pop("chain")
    at = values["at"]
    values["at"] = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return AuditEntry(**values)


class SqlAuditTrail:
    def __init__(self, session: Session) -> None:
        self._session = session

    def append(
        self,
        *,
        clinic_id: str | None,
        staff_id: str | None,
        action: str,
        record_kind: str,
        record_id: str | None,
        at: datetime,
        client: str,
        detail: str = "",
    ) -> AuditEntry:
        key = chain.chain_key(clinic_id)
        head = _lock_head(self._session, key)
        previous = None
        if head is not None:
            row = self._session.execute(
                select(audit_entries).where(
                    audit_entries.c.chain == key, audit_entries.c.seq == head.seq
                )
            ).one()
            previous = _entry(row)
        entry = chain.append(
            previous,
            clinic_id=clinic_id,
            staff_id=staff_id,
            action=action,
            record_kind=record_kind,
            record_id=record_id,
            at=at,
            client=client,
            detail=detail,
        )
        self._session.execute(insert(audit_entries).values(chain=key, **_columns(entry)))
        self._session.execute(
            update(audit_heads)
            .where(audit_heads.c.chain == key)
            .values(seq=entry.seq, hash=entry.hash)
        )
        return entry

    def entries(
        self, key: str, *, after_seq: int = 0, limit: int | None = None
    ) -> Sequence[AuditEntry]:
        """The chain's entries in order (``key``: :func:`regenaid.clinic.audit.chain_key`)."""
        query = (
            select(audit_entries)
            .where(audit_entries.c.chain == key, audit_entries.c.seq > after_seq)
            .order_by(audit_entries.c.seq)
        )
        if limit is not None:
            query = query.limit(limit)
        return [_entry(row) for row in self._session.execute(query)]

    def heads(self) -> dict[str, ChainHead]:
        """The stored head of every chain."""
        return {
            row.chain: ChainHead(chain=row.chain, seq=row.seq, hash=row.hash)
            for row in self._session.execute(select(audit_heads))
            if row.seq > 0
        }

    def chains(self) -> list[str]:
        rows = self._session.execute(select(audit_entries.c.chain).distinct())
        return sorted({row.chain for row in rows} | set(self.heads()))


def _columns(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "clinic_id": entry.clinic_id,
        "staff_id": entry.staff_id,
        "action": entry.action,
        "record_kind": entry.record_kind,
        "record_id": entry.record_id,
        "at": entry.at,
        "client": entry.client,
        "detail": entry.detail,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }
