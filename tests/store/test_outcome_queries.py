"""The cohort's aggregates in SQL (``regenaid.store.clinic_outcome_queries``), on SQLite and
PostgreSQL: the same rows as the in-memory fake computes from the records (``tests/clinic/
fakes.py``), the values worked out by hand for a small clinic, never a row of another clinic.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from clinic.fakes import FakeUnitOfWork
from regenaid.clinic import services
from regenaid.clinic.access import Role, StaffContext
from regenaid.clinic.accounts import StaffAccount, new_clinic
from regenaid.clinic.adverse_events import new_adverse_event
from regenaid.clinic.cohort import CohortFilters, CohortRows, build_cohort
from regenaid.clinic.courses import Course, CourseSession
from regenaid.clinic.ids import new_id
from regenaid.clinic.outcomes import Measurement, new_measurement, outcome_catalogue
from regenaid.clinic.prp import PrpPreparation, PrpProtocol, Range, Spin, SpinLimits
from regenaid.clinic.treatments import ClinicPrpProtocol, PrpRecord
from regenaid.knowledge import load_knowledge
from regenaid.store.clinic_uow import SqlClinicUnitOfWork

KB = load_knowledge()
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
DAY0 = date(2026, 3, 2)


@dataclass
class Clinic:
    id: str
    actor: services.Actor
    courses: dict[str, Course]


def _clinic(uow: Any, name: str) -> Clinic:
    clinic = new_clinic(name, NOW, "GB")
    staff = StaffAccount(
        id=new_id(),
        clinic_id=clinic.id,
        email=f"doctor@{name.lower().replace(' ', '')}.example",
        display_name="Doctor",
        role=Role.CLINICIAN,
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$not-a-real-hash",
        totp_secret=None,
        totp_last_used_step=None,
        active=True,
        created_at=NOW,
    )
    with uow:
        uow.directory.add_clinic(clinic)
        uow.records(StaffAccount).add(staff)
        uow.commit()
    actor = services.Actor(StaffContext(staff.id, clinic.id, Role.CLINICIAN), "127.0.0.1", NOW)
    return Clinic(clinic.id, actor, {})


def _course(
    uow: Any, clinic: Clinic, name: str, treatment: str, patient_id: str | None = None
) -> tuple[str, list[CourseSession]]:
    if patient_id is None:
        patient_id = services.register_patient(
            uow,
            clinic.actor,
            given_name=name,
            family_name="Example",
            birth_date=date(1980, 1, 1),
            sex="male",
            phone=None,
            email=None,
        ).id
    course, sessions = services.start_course(
        uow,
        clinic.actor,
        KB,
        patient_id,
        condition="androgenetic_alopecia",
        treatment=treatment,
        start=DAY0,
        horizon_months=6,
        severity="moderate",
    )
    clinic.courses[name] = course
    return patient_id, sorted(sessions, key=lambda s: (s.planned, s.number))


def _done(uow: Any, clinic: Clinic, session: CourseSession, day: int) -> None:
    with uow:
        uow.records(CourseSession).replace(
            replace(
                session,
                status="done",
                on=DAY0 + timedelta(days=day),
                recorded_by=clinic.actor.staff_id,
                recorded_at=NOW,
            )
        )
        uow.commit()


def _measure(
    uow: Any,
    clinic: Clinic,
    patient_id: str,
    course_id: str | None,
    day: int,
    value: float,
    **changes: Any,
) -> None:
    values: dict[str, Any] = {
        "patient_id": patient_id,
        "measure": "hair_density",
        "value": value,
        "method": "phototrichogram_corrected",
        "site": "vertex",
        "site_marking": "tattoo",
        "measured_on": DAY0 + timedelta(days=day),
        "course_id": course_id,
        **changes,
    }
    measurement = new_measurement(
        clinic_id=clinic.id,
        recorded_by=clinic.actor.staff_id,
        now=NOW + timedelta(seconds=day),
        concern="hair",
        **values,
    )
    with uow:
        uow.records(Measurement).add(measurement)
        uow.commit()


def _prp(
    uow: Any,
    clinic: Clinic,
    patient_id: str,
    session: CourseSession,
    protocol: str | None,
    spins: int,
    platelets: float,
) -> None:
    prep = PrpPreparation(
        session_id=session.id,
        protocol_id=protocol,
        drawn_at=NOW - timedelta(hours=1),
        spins=tuple(Spin(rcf_g=300 * (i + 1), minutes=10) for i in range(spins)),
        baseline_platelets_k_per_ul=250.0,
        prp_platelets_k_per_ul=platelets,
    )
    record = PrpRecord.of(
        prep,
        clinic_id=clinic.id,
        session_id=session.id,
        patient_id=patient_id,
        deviations=(),
        deviation_note=None,
        recorded_at=NOW,
        recorded_by=clinic.actor.staff_id,
    )
    with uow:
        uow.records(PrpRecord).add(record)
        uow.commit()


def _event(uow: Any, clinic: Clinic, patient_id: str, session_id: str | None, grade: int) -> None:
    event = new_adverse_event(
        clinic_id=clinic.id,
        recorded_by=clinic.actor.staff_id,
        now=NOW,
        patient_id=patient_id,
        term_id="injection_site_reaction",
        grade=grade,
        onset=NOW - timedelta(days=1),
        outcome="recovered",
        session_id=session_id,
        actions_taken=("observation",),
    )
    with uow:
        uow.records(type(event)).add(event)
        uow.commit()


def seed(uow_factory: Any) -> tuple[Clinic, Clinic]:
    """Clinic A: a PRP course with preparations, events and linked measurements at two sites;
    an exosome patient measured without naming the course (their only course); a patient with
    two courses whose unlinked measurement belongs to neither; a course not yet treated; an
    event without a session. Clinic B: one treated, measured course (must never show in A)."""
    a = _clinic(uow_factory(), "Clinic A")
    b = _clinic(uow_factory(), "Clinic B")
    with uow_factory() as uow:
        protocol = PrpProtocol(
            name="Double spin",
            spins=(
                SpinLimits(rcf_g=Range(250, 350), minutes=Range(8, 12)),
                SpinLimits(rcf_g=Range(550, 650), minutes=Range(8, 12)),
            ),
        )
        uow.records(ClinicPrpProtocol).add(
            ClinicPrpProtocol(protocol.id, a.id, protocol, NOW, a.actor.staff_id)
        )
        uow.commit()

    p1, s1 = _course(uow_factory(), a, "prp-1", "prp")
    c1 = a.courses["prp-1"].id
    treatments = [s for s in s1 if s.kind != "consultation"]
    consultation = next(s for s in s1 if s.kind == "consultation")
    _done(uow_factory(), a, consultation, 0)
    _done(uow_factory(), a, treatments[0], 10)
    _done(uow_factory(), a, treatments[1], 40)
    _prp(uow_factory(), a, p1, treatments[0], protocol.id, 2, 1100.0)  # 4.4x
    _prp(uow_factory(), a, p1, treatments[1], protocol.id, 1, 800.0)  # 3.2x
    _event(uow_factory(), a, p1, treatments[0].id, 1)
    _event(uow_factory(), a, p1, treatments[1].id, 2)
    _event(uow_factory(), a, p1, treatments[1].id, 2)
    _event(uow_factory(), a, p1, None, 1)
    _measure(uow_factory(), a, p1, c1, 0, 150.0)
    _measure(uow_factory(), a, p1, c1, 50, 160.0)
    _measure(uow_factory(), a, p1, c1, 130, 190.0)
    _measure(uow_factory(), a, p1, c1, 2, 120.0, site="frontal")
    _measure(uow_factory(), a, p1, c1, 140, 121.0, site="frontal")
    _measure(uow_factory(), a, p1, c1, 0, 60.0, measure="shaft_diameter")
    _measure(uow_factory(), a, p1, c1, 120, 65.0, measure="shaft_diameter")

    p2, s2 = _course(uow_factory(), a, "exo-2", "exosome")
    _done(uow_factory(), a, next(s for s in s2 if s.kind != "consultation"), 5)
    _measure(uow_factory(), a, p2, None, 0, 100.0)
    _measure(uow_factory(), a, p2, None, 100, 130.0)

    p3, s3 = _course(uow_factory(), a, "prp-3", "prp")
    _, s4 = _course(uow_factory(), a, "exo-3", "exosome", patient_id=p3)
    _done(uow_factory(), a, next(s for s in s3 if s.kind != "consultation"), 3)
    _done(uow_factory(), a, next(s for s in s4 if s.kind != "consultation"), 200)
    _measure(uow_factory(), a, p3, None, 0, 140.0)  # two courses: whose? neither
    _measure(uow_factory(), a, p3, a.courses["exo-3"].id, 190, 141.0)

    _course(uow_factory(), a, "untreated-4", "prp")

    pb, sb = _course(uow_factory(), b, "prp-b", "prp")
    _done(uow_factory(), b, next(s for s in sb if s.kind != "consultation"), 1)
    _measure(uow_factory(), b, pb, b.courses["prp-b"].id, 0, 150.0)
    _measure(uow_factory(), b, pb, b.courses["prp-b"].id, 100, 200.0)
    _event(uow_factory(), b, pb, None, 1)
    return a, b


def normalised(rows: CohortRows) -> tuple[list[Any], list[Any], int]:
    return (
        sorted(rows.courses, key=lambda c: c.course_id),
        sorted(
            (replace(s, first_at=s.first_at.astimezone(UTC)) for s in rows.series),
            key=lambda s: (s.course_id, s.measure, s.site),
        ),
        rows.unlinked_events,
    )


def test_sql_gives_the_rows_worked_out_by_hand(session_factory: sessionmaker[Session]) -> None:
    a, _ = seed(lambda: SqlClinicUnitOfWork(session_factory))
    with SqlClinicUnitOfWork(session_factory) as uow:
        rows = uow.outcome_queries.cohort_rows(a.id)
    courses = {c.course_id: c for c in rows.courses}
    c1, c2, c3, c4 = (a.courses[n].id for n in ("prp-1", "exo-2", "prp-3", "exo-3"))
    assert set(courses) == {c1, c2, c3, c4}  # the untreated course is not there
    first = courses[c1]
    assert (first.first_treated_on, first.sessions) == (DAY0 + timedelta(days=10), 2)
    assert (first.prp_records, first.cf_recorded) == (2, 2)
    assert (first.cf_min, first.cf_max) == (pytest.approx(3.2), pytest.approx(4.4))
    assert (first.spins_min, first.spins_max) == (1, 2)
    assert first.protocol_recorded == 2 and first.protocol_min == first.protocol_max
    assert dict(first.events) == {1: 1, 2: 2}
    assert rows.unlinked_events == 1  # clinic B's is not counted
    series = {(s.course_id, s.measure, s.site): s for s in rows.series}
    vertex = series[(c1, "hair_density", "vertex")]
    assert (vertex.first_value, vertex.last_value, vertex.count) == (150.0, 190.0, 3)
    assert (vertex.first_on, vertex.last_on) == (DAY0, DAY0 + timedelta(days=130))
    assert series[(c2, "hair_density", "vertex")].last_value == 130.0  # attributed: one course
    assert (c3, "hair_density", "vertex") not in series  # two courses: not attributed
    assert series[(c4, "hair_density", "vertex")].count == 1
    assert {s.course_id for s in rows.series} <= set(courses)
    assert len(rows.series) == 5


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"condition": "androgenetic_alopecia"},
        {"treatment": "prp"},
        {"measure": "shaft_diameter"},
        {"condition": "acne_scars"},
    ],
)
def test_sql_and_the_fake_agree(
    session_factory: sessionmaker[Session], filters: dict[str, str]
) -> None:
    a_sql, _ = seed(lambda: SqlClinicUnitOfWork(session_factory))
    fake = FakeUnitOfWork()
    a_fake, _ = seed(lambda: fake)
    with SqlClinicUnitOfWork(session_factory) as uow:
        from_sql = uow.outcome_queries.cohort_rows(a_sql.id, **filters)
    with fake:
        from_fake = fake.outcome_queries.cohort_rows(a_fake.id, **filters)
    # ids differ between the two seeds: compare by course name
    names_sql = {c.id: n for n, c in a_sql.courses.items()}
    names_fake = {c.id: n for n, c in a_fake.courses.items()}

    def by_name(rows: CohortRows, names: dict[str, str]) -> tuple[Any, ...]:
        courses, series, unlinked = normalised(rows)
        return (
            sorted(
                (
                    names[c.course_id],
                    c.first_treated_on,
                    c.sessions,
                    c.prp_records,
                    c.cf_recorded,
                    c.cf_min and round(c.cf_min, 9),
                    c.cf_max and round(c.cf_max, 9),
                    c.spins_min,
                    c.spins_max,
                    c.protocol_recorded,
                    tuple(sorted(c.events.items())),
                )
                for c in courses
            ),
            sorted(
                (
                    names[s.course_id],
                    s.measure,
                    s.site,
                    s.method,
                    s.first_value,
                    s.first_on,
                    s.last_value,
                    s.last_on,
                    s.count,
                )
                for s in series
            ),
            unlinked,
        )

    assert by_name(from_sql, names_sql) == by_name(from_fake, names_fake)
    view_sql = build_cohort(from_sql, CohortFilters(), KB.studies, outcome_catalogue())
    view_fake = build_cohort(from_fake, CohortFilters(), KB.studies, outcome_catalogue())
    assert [g.treated for g in view_sql.groups] == [g.treated for g in view_fake.groups]
