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

    def get_many(self, clinic_id: str, record_ids: Any) -> dict[str, Any]:
        return {
            i: r
            for i in record_ids
            if (r := self.rows.get(i)) is not None and r.clinic_id == clinic_id
        }

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

    @property
    def audit(self) -> FakeAuditTrail:
        return FakeAuditTrail(self)

    @property
    def directory(self) -> FakeDirectory:
        return FakeDirectory(self)

    @property
    def outcome_queries(self) -> FakeOutcomeQueries:
        return FakeOutcomeQueries(self)

    def all(self, kind: type[T]) -> list[Any]:
        return list(self.committed.get(kind, {}).values())


class FakeOutcomeQueries:
    """The store's cohort aggregates (``regenaid.store.clinic_outcome_queries``), computed
    from the working records by the same rules."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    def _rows(self, kind: type, clinic_id: str) -> list[Any]:
        assert self.uow.work is not None
        return [r for r in self.uow.work.get(kind, {}).values() if r.clinic_id == clinic_id]

    def cohort_rows(
        self,
        clinic_id: str,
        *,
        condition: str | None = None,
        treatment: str | None = None,
        measure: str | None = None,
    ) -> Any:
        from regenaid.clinic.adverse_events import AdverseEvent
        from regenaid.clinic.cohort import CohortRows, CourseRow, SeriesRow
        from regenaid.clinic.courses import Course, CourseSession
        from regenaid.clinic.outcomes import Measurement
        from regenaid.clinic.treatments import PrpRecord

        all_courses = self._rows(Course, clinic_id)
        sessions = {s.id: s for s in self._rows(CourseSession, clinic_id)}
        course_of = {s.id: s.course_id for s in sessions.values()}
        preps: dict[str, list[Any]] = {}
        for r in self._rows(PrpRecord, clinic_id):
            preps.setdefault(course_of[r.session_id], []).append(r)
        events: dict[str, dict[int, int]] = {}
        for e in self._rows(AdverseEvent, clinic_id):
            if e.session_id is not None:
                grades = events.setdefault(course_of[e.session_id], {})
                grades[e.grade] = grades.get(e.grade, 0) + 1
        courses = []
        for c in all_courses:
            if (condition and c.condition != condition) or (treatment and c.treatment != treatment):
                continue
            done = [
                s.on
                for s in sessions.values()
                if s.course_id == c.id and s.status == "done" and s.kind != "consultation"
            ]
            if not done:
                continue
            mine = preps.get(c.id, [])
            factors = [r.concentration_factor for r in mine if r.concentration_factor is not None]
            spins = [len(r.preparation.spins) for r in mine]
            protocols = [r.protocol_id for r in mine if r.protocol_id is not None]
            courses.append(
                CourseRow(
                    course_id=c.id,
                    patient_id=c.patient_id,
                    condition=c.condition,
                    treatment=c.treatment,
                    first_treated_on=min(done),
                    sessions=len(done),
                    prp_records=len(mine),
                    cf_recorded=len(factors),
                    cf_min=min(factors, default=None),
                    cf_max=max(factors, default=None),
                    spins_min=min(spins, default=None),
                    spins_max=max(spins, default=None),
                    protocol_recorded=len(protocols),
                    protocol_min=min(protocols, default=None),
                    protocol_max=max(protocols, default=None),
                    events=events.get(c.id, {}),
                )
            )
        per_patient: dict[str, list[str]] = {}
        for c in all_courses:
            per_patient.setdefault(c.patient_id, []).append(c.id)
        wanted = (
            {
                c.id
                for c in all_courses
                if (not condition or c.condition == condition)
                and (not treatment or c.treatment == treatment)
            }
            if (condition or treatment)
            else None
        )
        grouped: dict[tuple[str, str, str, str], list[Any]] = {}
        for m in self._rows(Measurement, clinic_id):
            if measure and m.measure != measure:
                continue
            mine_ = per_patient.get(m.patient_id, [])
            course_id = m.course_id or (mine_[0] if len(mine_) == 1 else None)
            if course_id is None or (wanted is not None and course_id not in wanted):
                continue
            grouped.setdefault((course_id, m.measure, m.site, m.method), []).append(m)
        series = []
        for (course_id, name, site, method), found in grouped.items():
            found.sort(key=lambda m: (m.measured_on, m.recorded_at, m.id))
            first, last = found[0], found[-1]
            series.append(
                SeriesRow(
                    course_id=course_id,
                    measure=name,
                    site=site,
                    method=method,
                    first_value=first.value,
                    first_on=first.measured_on,
                    first_at=first.recorded_at,
                    last_value=last.value,
                    last_on=last.measured_on,
                    count=len(found),
                )
            )
        unlinked = sum(1 for e in self._rows(AdverseEvent, clinic_id) if e.session_id is None)
        return CohortRows(courses, series, unlinked)


class FakeAuditTrail:
    """Keeps appended entries as a hash chain per clinic, like the store."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    def append(self, **fields: Any) -> Any:
        from regenaid.clinic import audit

        assert self.uow.work is not None
        chain = self.uow.work.setdefault(audit.AuditEntry, {})
        key = audit.chain_key(fields["clinic_id"])
        mine = sorted((e for e in chain.values() if e.chain == key), key=lambda e: e.seq)
        entry = audit.append(mine[-1] if mine else None, **fields)
        chain[f"{key}:{entry.seq}"] = entry
        return entry

    def entries(self, key: str) -> list[Any]:
        from regenaid.clinic import audit

        assert self.uow.work is not None
        chain = self.uow.work.get(audit.AuditEntry, {}).values()
        return sorted((e for e in chain if e.chain == key), key=lambda e: e.seq)


class FakeDirectory:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    def _rows(self, kind: type) -> dict[str, Any]:
        assert self.uow.work is not None
        return self.uow.work.setdefault(kind, {})

    def add_clinic(self, clinic: Any) -> None:
        self._rows(type(clinic))[clinic.id] = clinic

    def clinic(self, clinic_id: str) -> Any:
        from regenaid.clinic.accounts import Clinic

        found = self._rows(Clinic).get(clinic_id)
        if found is None:
            raise RecordNotFoundError("clinic", clinic_id)
        return found

    def account_by_email(self, email: str) -> Any:
        from regenaid.clinic.accounts import StaffAccount

        return next((a for a in self._rows(StaffAccount).values() if a.email == email), None)

    def session(self, session_id: str) -> Any:
        from regenaid.clinic.accounts import StaffSession

        return self._rows(StaffSession).get(session_id)

    def delete_session(self, session_id: str) -> None:
        from regenaid.clinic.accounts import StaffSession

        self._rows(StaffSession).pop(session_id, None)

    def delete_sessions_of(self, staff_id: str) -> None:
        from regenaid.clinic.accounts import StaffSession

        rows = self._rows(StaffSession)
        for key in [k for k, s in rows.items() if s.staff_id == staff_id]:
            del rows[key]

    def failures(self, kind: str, key: str, since: Any) -> list[Any]:
        return [
            at
            for k, who, at in self._rows(tuple).values()
            if (k, who) == (kind, key) and at >= since
        ]

    def add_failure(self, kind: str, key: str, at: Any) -> None:
        rows = self._rows(tuple)
        rows[str(len(rows))] = (kind, key, at)


class MemoryDocuments:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, key: str, content: bytes) -> None:
        self.files[key] = content

    def get(self, key: str) -> bytes:
        return self.files[key]

    def delete(self, key: str) -> None:
        self.files.pop(key, None)
