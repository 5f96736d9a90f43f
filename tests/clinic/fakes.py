"""In-memory repositories for the clinic's use cases: the same interface as the store's."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

from regenaid.clinic.errors import RecordNotFoundError

T = TypeVar("T")


class FakeRecords:
    def __init__(self, rows: dict[str, Any]) -> None:
        self.rows = rows

    def add(self, record: Any) -> None:
        assert record.id not in self.rows, "duplicate id"
        self.rows[record.id] = record

    def get(self, clinic_id: str, record_id: str) -> Any:
        found = self.rows.get(record_id)
        if found is None or found.clinic_id != clinic_id:
            raise RecordNotFoundError(type(found).__name__ if found else "record", record_id)
        return found

    def replace(self, record: Any) -> None:
        old = self.rows.get(record.id)
        assert old is not None and old.clinic_id == record.clinic_id
        self.rows[record.id] = record

    def find(self, clinic_id: str, **equal: Any) -> Sequence[Any]:
        return [
            r
            for r in self.rows.values()
            if r.clinic_id == clinic_id and all(getattr(r, k) == v for k, v in equal.items())
        ]


class FakeUnitOfWork:
    """Commits copy the working set over the committed one; leaving without commit drops it."""

    def __init__(self) -> None:
        self.committed: dict[type, dict[str, Any]] = {}
        self.work: dict[type, dict[str, Any]] | None = None
        self.commits = 0

    def __enter__(self) -> Self:
        self.work = copy.copy({k: dict(v) for k, v in self.committed.items()})
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.work = None

    def commit(self) -> None:
        assert self.work is not None
        self.committed = {k: dict(v) for k, v in self.work.items()}
        self.commits += 1

    def records(self, kind: type[T]) -> FakeRecords:
        assert self.work is not None, "use the unit of work in a with-block"
        return FakeRecords(self.work.setdefault(kind, {}))

    def all(self, kind: type[T]) -> list[Any]:
        return list(self.committed.get(kind, {}).values())
