"""The clinic's unit of work on SQLAlchemy: one session, one transaction, every record kind.

Implements :class:`regenaid.clinic.ports.ClinicUnitOfWork`. Leaving the ``with`` block without
``commit()`` rolls everything back, so a refused or failed use case writes nothing.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy import Table
from sqlalchemy.orm import Session, sessionmaker

from regenaid.clinic.accounts import StaffAccount, StaffSession
from regenaid.clinic.adverse_events import AdverseEvent
from regenaid.clinic.courses import Course, CourseSession
from regenaid.clinic.exosome_lots import ExosomeLot, LotUse
from regenaid.clinic.outcomes import Measurement
from regenaid.clinic.patients import AttachedResult, Consent, ConsentForm, HealthAnswers, Patient
from regenaid.clinic.photos import Photo
from regenaid.clinic.treatments import ClinicPrpProtocol, PrpRecord
from regenaid.store import clinic_tables as tables
from regenaid.store.clinic_audit import SqlAuditTrail
from regenaid.store.clinic_directory import SqlStaffDirectory
from regenaid.store.clinic_mapping import SqlRecords
from regenaid.store.clinic_outcome_queries import SqlOutcomeQueries

T = TypeVar("T")

TABLE_OF: dict[type[Any], Table] = {
    Patient: tables.patients,
    HealthAnswers: tables.health_answers,
    AttachedResult: tables.attached_results,
    ConsentForm: tables.consent_forms,
    Consent: tables.consents,
    Course: tables.courses,
    CourseSession: tables.course_sessions,
    StaffAccount: tables.staff_accounts,
    StaffSession: tables.staff_sessions,
    ExosomeLot: tables.exosome_lots,
    LotUse: tables.lot_uses,
    AdverseEvent: tables.adverse_events,
    ClinicPrpProtocol: tables.prp_protocols,
    PrpRecord: tables.prp_records,
    Measurement: tables.measurements,
    Photo: tables.photos,
}


class SqlClinicUnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self._audit: SqlAuditTrail | None = None

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already in use")
        self._session = self._session_factory()
        self._audit = SqlAuditTrail(self._session)
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
            self._audit = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("use the unit of work in a with-block")
        return self._session

    @property
    def audit(self) -> SqlAuditTrail:
        if self._audit is None:
            raise RuntimeError("use the unit of work in a with-block")
        return self._audit

    @property
    def directory(self) -> SqlStaffDirectory:
        return SqlStaffDirectory(self.session)

    @property
    def outcome_queries(self) -> SqlOutcomeQueries:
        return SqlOutcomeQueries(self.session)

    def records(self, kind: type[T]) -> SqlRecords[T]:
        return SqlRecords(self.session, kind, TABLE_OF[kind])

    def commit(self) -> None:
        self.session.commit()
