"""What the clinic's use cases need from storage, as interfaces (the store implements them).

Every record kind is kept in a :class:`Records` collection: records are frozen dataclasses
with ``id`` and ``clinic_id``; every read takes the signed-in clinic's id, so a record of
another clinic is simply not found. :class:`ClinicUnitOfWork` groups the collections of one
transaction: nothing is written until ``commit()``, and leaving the block without it rolls
everything back.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

if TYPE_CHECKING:
    from regenaid.clinic.accounts import Clinic, StaffAccount, StaffSession
    from regenaid.clinic.audit import AuditEntry
    from regenaid.clinic.cohort import CohortRows

T = TypeVar("T")


class Records(Protocol[T]):
    """One kind of record, scoped by clinic."""

    def add(self, record: T) -> None:
        """Store a new record (its ``id`` must be new)."""

    def get(self, clinic_id: str, record_id: str) -> T:
        """The record, or :class:`~regenaid.clinic.errors.RecordNotFoundError` when it does
        not exist *in this clinic*."""

    def get_many(self, clinic_id: str, record_ids: Collection[str]) -> Mapping[str, T]:
        """The records of this clinic among ``record_ids``, by id (absent ids are left out)."""

    def replace(self, record: T) -> None:
        """Store a changed version of an existing record of the same clinic."""

    def find(self, clinic_id: str, **equal: Any) -> Sequence[T]:
        """Records of the clinic whose fields equal the given values, oldest first."""


class ClinicUnitOfWork(Protocol):
    """The clinic's records within one transaction; attribute names are the record kinds."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    @property
    def audit(self) -> AuditTrail: ...

    @property
    def directory(self) -> StaffDirectory: ...

    @property
    def outcome_queries(self) -> OutcomeQueries: ...

    def records(self, kind: type[T]) -> Records[T]:
        """The collection holding records of dataclass ``kind``."""
        ...


class OutcomeQueries(Protocol):
    """Aggregates over the clinic's courses, sessions, preparations, adverse events and
    measurements, computed where the records are (1,000,000 measurements are never loaded as
    records): the rows :func:`regenaid.clinic.cohort.build_cohort` needs."""

    def cohort_rows(
        self,
        clinic_id: str,
        *,
        condition: str | None = None,
        treatment: str | None = None,
        measure: str | None = None,
    ) -> CohortRows:
        """Every course of the clinic with a done treatment session (as
        :class:`~regenaid.clinic.cohort.CourseRow`), the first and latest measurement of each
        of its (measure, site, method) series, and the number of adverse events recorded
        without a session; optionally only one condition, treatment or measure."""
        ...


class AuditTrail(Protocol):
    """The clinic's append-only audit trail (a hash chain per clinic: ``regenaid.clinic.audit``)."""

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
    ) -> object:
        """Add an entry after the clinic's newest one, in the current transaction (returns
        the entry written)."""

    def entries(self, key: str) -> Sequence[AuditEntry]:
        """The chain's entries in order (``key``: :func:`regenaid.clinic.audit.chain_key`)."""


class StaffDirectory(Protocol):
    """Lookups that come before a clinic is known (sign-in) and the clinics themselves."""

    def add_clinic(self, clinic: Clinic) -> None: ...

    def clinic(self, clinic_id: str) -> Clinic: ...

    def account_by_email(self, email: str) -> StaffAccount | None: ...

    def session(self, session_id: str) -> StaffSession | None: ...

    def delete_session(self, session_id: str) -> None: ...

    def delete_sessions_of(self, staff_id: str) -> None: ...

    def failures(self, kind: str, key: str, since: datetime) -> Sequence[datetime]: ...

    def add_failure(self, kind: str, key: str, at: datetime) -> None: ...


class DocumentStore(Protocol):
    """Where uploaded documents' bytes are kept (``regenaid.store.files``), by the keys of
    :func:`regenaid.clinic.documents.new_document_key`. Not transactional: a use case writes
    the bytes before its commit and deletes them again when the commit does not happen."""

    def put(self, key: str, content: bytes) -> None:
        """Store ``content`` under ``key`` (all of it or nothing)."""

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; :class:`KeyError` when there are none."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``'s bytes (nothing happens when there are none)."""
