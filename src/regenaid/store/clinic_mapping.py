"""One generic repository for every clinic record kind: a frozen dataclass <-> a table row.

The table's columns carry the dataclass's field names. Scalar fields (text, numbers, dates,
times) are columns of their own, so the database can index and check them; nested values
(mappings, tuples, nested dataclasses) are JSON. Pydantic's ``TypeAdapter`` for the dataclass
turns a row back into the record with every type restored (dates, tuples, nested dataclasses),
so a record read back equals the record written.

Every query filters on ``clinic_id``: a record of another clinic is "not found", exactly like
a record that does not exist.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter
from sqlalchemy import JSON, DateTime, Table, insert, select, update
from sqlalchemy.orm import Session

from regenaid.clinic.errors import RecordNotFoundError

T = TypeVar("T")
_IN_CHUNK = 500  # ids per IN (...) list, well under every driver's parameter limit


@cache
def _adapter(kind: type[Any]) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def _json_columns(table: Table) -> frozenset[str]:
    return frozenset(c.name for c in table.columns if isinstance(c.type, JSON))


def _datetime_columns(table: Table) -> frozenset[str]:
    return frozenset(c.name for c in table.columns if isinstance(c.type, DateTime))


def record_to_row(record: Any, table: Table) -> dict[str, Any]:
    """The row values of ``record``: JSON columns get the JSON form, others the value itself."""
    json_form = _adapter(type(record)).dump_python(record, mode="json")
    json_names = _json_columns(table)
    row: dict[str, Any] = {}
    for item in dataclasses.fields(record):
        value = getattr(record, item.name)
        if item.name in json_names:
            row[item.name] = json_form[item.name]
        elif isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError(f"{item.name}: naive datetime; the clinic records are in UTC")
        else:
            row[item.name] = value
    return row


def row_to_record(kind: type[T], row: Any, table: Table) -> T:
    values = dict(row._mapping)
    for name in _datetime_columns(table):
        moment = values.get(name)
        if isinstance(moment, datetime) and moment.tzinfo is None:
            values[name] = moment.replace(tzinfo=UTC)  # SQLite keeps no zone; we store UTC
        elif isinstance(moment, datetime):
            values[name] = moment.astimezone(UTC)
    record: T = _adapter(kind).validate_python(values)
    return record


class SqlRecords(Generic[T]):
    """:class:`regenaid.clinic.ports.Records` on one table."""

    def __init__(self, session: Session, kind: type[T], table: Table) -> None:
        self._session = session
        self._kind = kind
        self._table = table

    def add(self, record: T) -> None:
        self._session.execute(insert(self._table).values(record_to_row(record, self._table)))

    def get(self, clinic_id: str, record_id: str) -> T:
        t = self._table
        row = self._session.execute(
            select(t).where(t.c.clinic_id == clinic_id, t.c.id == record_id)
        ).one_or_none()
        if row is None:
            raise RecordNotFoundError(self._table.name, record_id)
        return row_to_record(self._kind, row, t)

    def get_many(self, clinic_id: str, record_ids: Collection[str]) -> dict[str, T]:
        t = self._table
        wanted = sorted(set(record_ids))
        found: dict[str, T] = {}
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            rows = self._session.execute(
                select(t).where(t.c.clinic_id == clinic_id, t.c.id.in_(chunk))
            )
            for row in rows:
                found[row.id] = row_to_record(self._kind, row, t)
        return found

    def replace(self, record: T) -> None:
        t = self._table
        values = record_to_row(record, t)
        done = self._session.execute(
            update(t)
            .where(t.c.clinic_id == values["clinic_id"], t.c.id == values["id"])
            .values(values)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise RecordNotFoundError(self._table.name, values["id"])

    def find(self, clinic_id: str, **equal: Any) -> Sequence[T]:
        t = self._table
        query = select(t).where(t.c.clinic_id == clinic_id)
        for name, value in equal.items():
            if name not in t.c:
                raise ValueError(f"{t.name} has no column {name!r}")
            query = query.where(t.c[name] == value)
        order = t.info.get("order_by", ())
        query = query.order_by(*(t.c[name] for name in order), t.c.id)
        return [row_to_record(self._kind, row, t) for row in self._session.execute(query)]
