"""The cohort view's aggregates in SQL (:class:`regenaid.clinic.ports.OutcomeQueries`).

Four queries, each filtered on ``clinic_id`` first and aggregated by the database, so a clinic
group's 1,000,000 measurements are never loaded as records:

- treated courses: done treatment sessions per course (first day, count);
- PRP preparations per course: counts, concentration-factor range, spins per preparation
  (from the preparation's JSON) and protocol range;
- adverse events per course and CTCAE grade (events linked to one of its sessions), and the
  number recorded without a session;
- measurement series: one window over the clinic's measurements, partitioned by
  (course, measure, site, method) and ordered by day, record time and id, gives each series'
  first and latest value in one sort. A measurement recorded without a course is the course's
  when the patient has exactly one course.

Plain SQL that runs on SQLite (3.28+, window functions) and PostgreSQL; only the JSON array
length differs. Results are typed with ``TextClause.columns`` so dates come back as dates on
both.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Float, Integer, String, bindparam, column, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from regenaid.clinic.cohort import CohortRows, CourseRow, SeriesRow

TREATED_COURSES = """
SELECT c.id AS course_id, c.patient_id, c.condition, c.treatment,
       MIN(s."on") AS first_on, COUNT(*) AS sessions
FROM courses c
JOIN course_sessions s ON s.clinic_id = c.clinic_id AND s.course_id = c.id
WHERE c.clinic_id IN :clinics AND s.status = 'done' AND s.kind IN ('initial', 'maintenance')
{courses}
GROUP BY c.id, c.patient_id, c.condition, c.treatment
"""

PREPARATIONS = """
SELECT s.course_id,
       COUNT(*) AS records,
       COUNT(r.concentration_factor) AS cf_recorded,
       MIN(r.concentration_factor) AS cf_min,
       MAX(r.concentration_factor) AS cf_max,
       MIN({spins}) AS spins_min,
       MAX({spins}) AS spins_max,
       COUNT(r.protocol_id) AS protocol_recorded,
       MIN(r.protocol_id) AS protocol_min,
       MAX(r.protocol_id) AS protocol_max
FROM prp_records r
JOIN course_sessions s ON s.clinic_id = r.clinic_id AND s.id = r.session_id
WHERE r.clinic_id IN :clinics
GROUP BY s.course_id
"""

SPINS = {
    "postgresql": "json_array_length(r.preparation -> 'spins')",
    "sqlite": "json_array_length(r.preparation, '$.spins')",
}

EVENTS = """
SELECT s.course_id, e.grade, COUNT(*) AS events
FROM adverse_events e
JOIN course_sessions s ON s.clinic_id = e.clinic_id AND s.id = e.session_id
WHERE e.clinic_id IN :clinics
GROUP BY s.course_id, e.grade
"""

UNLINKED_EVENTS = """
SELECT COUNT(*) FROM adverse_events WHERE clinic_id IN :clinics AND session_id IS NULL
"""

SERIES = """
WITH single AS (
    SELECT clinic_id, patient_id, MIN(id) AS course_id
    FROM courses
    WHERE clinic_id IN :clinics
    GROUP BY clinic_id, patient_id
    HAVING COUNT(*) = 1
),
attributed AS (
    SELECT COALESCE(m.course_id, o.course_id) AS course_id, m.measure, m.site, m.method,
           m.value, m.measured_on, m.recorded_at, m.id
    FROM measurements m
    LEFT JOIN single o
      ON m.course_id IS NULL AND o.clinic_id = m.clinic_id AND o.patient_id = m.patient_id
    WHERE m.clinic_id IN :clinics {measures}
),
ranked AS (
    SELECT course_id, measure, site, method,
           ROW_NUMBER() OVER w AS n,
           FIRST_VALUE(value) OVER w AS first_value,
           FIRST_VALUE(measured_on) OVER w AS first_on,
           FIRST_VALUE(recorded_at) OVER w AS first_at,
           LAST_VALUE(value) OVER w AS last_value,
           LAST_VALUE(measured_on) OVER w AS last_on,
           COUNT(*) OVER w AS measurements
    FROM attributed
    WHERE course_id IS NOT NULL {series_courses}
    WINDOW w AS (
        PARTITION BY course_id{c}, measure{c}, site{c}, method{c}
        ORDER BY measured_on, recorded_at, id{c}
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
    )
)
SELECT course_id, measure, site, method, first_value, first_on, first_at, last_value, last_on,
       measurements
FROM ranked
WHERE n = 1
"""

_COURSE_FILTERS = {"condition": "c.condition = :condition", "treatment": "c.treatment = :treatment"}


def _course_filter(filters: dict[str, str], alias: str = "c") -> str:
    parts = [_COURSE_FILTERS[name].replace("c.", f"{alias}.") for name in filters]
    return "".join(f" AND {p}" for p in parts)


def _query(sql: str, *typed: Any) -> TextClause:
    return text(sql).bindparams(bindparam("clinics", expanding=True)).columns(*typed)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# Byte-order comparison for the window's text keys on PostgreSQL: the same groups and order
# as the database's default collation gives for these ASCII ids and names (and as Python and
# SQLite's BINARY give), at a fraction of the cost of a linguistic collation.
COLLATE = {"postgresql": ' COLLATE "C"', "sqlite": ""}
# Memory for the window's sort (PostgreSQL's default, 4 MB, spills a 200,000-measurement
# clinic to disk); SET LOCAL ends with the transaction.
WORK_MEM = "64MB"


def series_query(
    *, measure: bool, condition: bool, treatment: bool, dialect: str = "postgresql"
) -> str:
    """The series query as sent (the benchmark EXPLAINs it)."""
    wanted = {name: "" for name, on in (("condition", condition), ("treatment", treatment)) if on}
    courses = ""
    if wanted:
        courses = (
            " AND course_id IN (SELECT c.id FROM courses c WHERE c.clinic_id IN :clinics"
            f"{_course_filter(wanted)})"
        )
    return SERIES.format(
        measures=" AND m.measure = :measure" if measure else "",
        series_courses=courses,
        c=COLLATE.get(dialect, ""),
    )


def cohort_rows_of(
    session: Session,
    clinic_ids: Sequence[str],
    *,
    condition: str | None = None,
    treatment: str | None = None,
    measure: str | None = None,
) -> CohortRows:
    """The cohort's rows for ``clinic_ids`` (one clinic for the use case; the benchmark also
    asks for a whole clinic group)."""
    dialect = session.get_bind().dialect.name
    params: dict[str, Any] = {"clinics": list(clinic_ids)}
    wanted = {k: v for k, v in (("condition", condition), ("treatment", treatment)) if v}
    params.update(wanted)
    courses_sql = TREATED_COURSES.format(courses=_course_filter(wanted))
    treated = session.execute(
        _query(
            courses_sql,
            column("course_id", String),
            column("patient_id", String),
            column("condition", String),
            column("treatment", String),
            column("first_on", Date),
            column("sessions", Integer),
        ),
        params,
    ).all()
    preparations = {
        row.course_id: row
        for row in session.execute(
            _query(
                PREPARATIONS.format(spins=SPINS.get(dialect, SPINS["postgresql"])),
                column("course_id", String),
                column("records", Integer),
                column("cf_recorded", Integer),
                column("cf_min", Float),
                column("cf_max", Float),
                column("spins_min", Integer),
                column("spins_max", Integer),
                column("protocol_recorded", Integer),
                column("protocol_min", String),
                column("protocol_max", String),
            ),
            {"clinics": params["clinics"]},
        )
    }
    events: dict[str, dict[int, int]] = {}
    for row in session.execute(
        _query(
            EVENTS, column("course_id", String), column("grade", Integer), column("events", Integer)
        ),
        {"clinics": params["clinics"]},
    ):
        events.setdefault(row.course_id, {})[row.grade] = row.events
    unlinked = session.execute(_query(UNLINKED_EVENTS), {"clinics": params["clinics"]}).scalar_one()
    courses = []
    for row in treated:
        prp = preparations.get(row.course_id)
        courses.append(
            CourseRow(
                course_id=row.course_id,
                patient_id=row.patient_id,
                condition=row.condition,
                treatment=row.treatment,
                first_treated_on=row.first_on,
                sessions=row.sessions,
                prp_records=prp.records if prp else 0,
                cf_recorded=prp.cf_recorded if prp else 0,
                cf_min=prp.cf_min if prp else None,
                cf_max=prp.cf_max if prp else None,
                spins_min=prp.spins_min if prp else None,
                spins_max=prp.spins_max if prp else None,
                protocol_recorded=prp.protocol_recorded if prp else 0,
                protocol_min=prp.protocol_min if prp else None,
                protocol_max=prp.protocol_max if prp else None,
                events=events.get(row.course_id, {}),
            )
        )
    series_params = dict(params)
    if measure:
        series_params["measure"] = measure
    sql = series_query(
        measure=bool(measure),
        condition="condition" in wanted,
        treatment="treatment" in wanted,
        dialect=dialect,
    )
    if dialect == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    result = session.execute(
        _query(
            sql,
            column("course_id", String),
            column("measure", String),
            column("site", String),
            column("method", String),
            column("first_value", Float),
            column("first_on", Date),
            column("first_at", DateTime(timezone=True)),
            column("last_value", Float),
            column("last_on", Date),
            column("measurements", Integer),
        ),
        series_params,
    )
    # positional: tens of thousands of rows, where attribute access by name costs
    series = [
        SeriesRow(c, m, site, method, first, first_on, _aware(at), last, last_on, n)
        for c, m, site, method, first, first_on, at, last, last_on, n in result
    ]
    return CohortRows(courses=courses, series=series, unlinked_events=int(unlinked))


class SqlOutcomeQueries:
    """:class:`regenaid.clinic.ports.OutcomeQueries` in the unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def cohort_rows(
        self,
        clinic_id: str,
        *,
        condition: str | None = None,
        treatment: str | None = None,
        measure: str | None = None,
    ) -> CohortRows:
        return cohort_rows_of(
            self._session,
            [clinic_id],
            condition=condition,
            treatment=treatment,
            measure=measure,
        )


__all__ = ["SqlOutcomeQueries", "cohort_rows_of", "series_query"]
