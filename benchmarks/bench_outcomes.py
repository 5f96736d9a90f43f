"""The cohort view at clinic-group scale on PostgreSQL (issue 12, item 6).

Seeds one clinic group with COPY (never the use cases), in a schema of its own that is dropped
afterwards: 10 clinics of unequal size (2,000 down to 600 patients; 10,000 patients), one
course per patient (PRP 60 %, exosome 30 %, combination 10 %; pattern hair loss 70 %, female
pattern hair loss 30 %) with 10 sessions each (100,000 sessions; those in the past done, 1 in
12 missed), a PRP preparation for every done PRP session (concentration factor, one or two
spins, one of the clinic's two protocols), adverse events after ~2 % of done sessions, and 100
measurements per patient (10 series: measure x site x method, 10 visits; 1,000,000
measurements; half recorded without naming the course).

Then times side by side (medians, same process, same database):

- anchor ``SELECT 1``: one round trip through a fresh session;
- anchor "one patient's measurements": ``records(Measurement).find(clinic, patient_id=...)``
  (100 rows made into records);
- the database's aggregates alone (``cohort_rows_of``) for the largest clinic;
- the use case ``cohort_view`` for the largest clinic: unfiltered, filtered (condition, option,
  measure), split by concentration band, and its CSV export (goal: under 1 s);
- the whole group at once (aggregates of all 10 clinics and the pure cohort built from them);
- the FHIR bulk export (``fhir_services.start_clinic_export``) of the clinic nearest 1,000
  patients, in resources per second (skipped, and said so, when the export is not there).

EXPLAIN shows the plans of the series and course queries for the largest clinic.
PostgreSQL: ``REGENAID_BENCH_POSTGRES_URL`` (default
postgresql+psycopg://postgres@127.0.0.1:5432/test). Scale: ``REGENAID_BENCH_OUTCOME_PATIENTS``
(default 10,000; sessions and measurements scale with it).

Run: ``python -m benchmarks outcomes`` (``make bench`` runs every benchmark).
"""

from __future__ import annotations

import base64
import functools
import importlib
import json
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Engine, Table, bindparam, text

from benchmarks.bench_clinic import postgres
from benchmarks.timing import fmt_seconds, median_seconds
from regenaid.clinic.access import Role, StaffContext
from regenaid.clinic.cohort import CohortFilters, build_cohort
from regenaid.clinic.cohort_services import cohort_view, export_cohort_csv
from regenaid.clinic.outcomes import Measurement, outcome_catalogue
from regenaid.clinic.prp import PrpPreparation, PrpProtocol, Range, Spin, SpinLimits
from regenaid.clinic.services import Actor
from regenaid.clinic.treatments import ClinicPrpProtocol, PrpRecord
from regenaid.knowledge import load_knowledge
from regenaid.store import clinic_tables as t
from regenaid.store import make_session_factory, migrate_to_head
from regenaid.store.clinic_mapping import record_to_row
from regenaid.store.clinic_outcome_queries import (
    PREPARATIONS,
    SPINS,
    TREATED_COURSES,
    cohort_rows_of,
    series_query,
)
from regenaid.store.clinic_uow import SqlClinicUnitOfWork

PATIENTS = int(os.environ.get("REGENAID_BENCH_OUTCOME_PATIENTS", "10000"))
SHARES = (0.20, 0.15, 0.12, 0.10, 0.09, 0.08, 0.07, 0.07, 0.06, 0.06)  # clinic sizes
SESSIONS = 10  # per course: a consultation, 5 initial, 4 maintenance
VISITS = 10  # measurement visits per patient
SERIES = (  # (measure, site, method, mean baseline, sd, unit)
    ("hair_density", "vertex", "phototrichogram_corrected", 140.0, 25.0, "/cm2"),
    ("hair_density", "frontal", "phototrichogram_corrected", 150.0, 25.0, "/cm2"),
    ("hair_density", "occipital", "phototrichogram_corrected", 190.0, 25.0, "/cm2"),
    ("hair_density", "vertex", "trichoscopy_manual", 140.0, 25.0, "/cm2"),
    ("terminal_density", "vertex", "phototrichogram_corrected", 100.0, 20.0, "/cm2"),
    ("terminal_density", "frontal", "phototrichogram_corrected", 110.0, 20.0, "/cm2"),
    ("vellus_density", "vertex", "phototrichogram_corrected", 35.0, 8.0, "/cm2"),
    ("shaft_diameter", "vertex", "phototrichogram_corrected", 60.0, 8.0, "um"),
    ("shaft_diameter", "frontal", "phototrichogram_corrected", 62.0, 8.0, "um"),
    ("anagen_percent", "vertex", "phototrichogram_corrected", 75.0, 6.0, "%"),
)
REPEAT = 7
SEED = 12
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
HASH = "$argon2id$v=19$m=65536,t=3,p=4$not-a-real-hash"
# The FHIR bulk export of one clinic: f(uow, actor).lines() yields one NDJSON line per resource.
FHIR_EXPORT_MODULE = "regenaid.clinic.fhir_services"
FHIR_EXPORT_FUNCTION = "start_clinic_export"


# --- seed data (streamed into COPY table by table) -------------------------------------------


@dataclass
class PatientPlan:
    clinic: str
    staff: str
    patient: str
    course: str
    treatment: str
    condition: str
    start: date
    done_sessions: list[tuple[str, date, str]]  # (session id, day, kind)
    protocol: str | None  # the clinic's protocol its PRP follows
    spins: int


@dataclass
class Group:
    clinics: list[str]
    staff: dict[str, str]
    protocols: dict[str, tuple[str, str]]  # clinic -> (single spin id, double spin id)
    plans: list[PatientPlan]
    sizes: dict[str, int]
    counts: dict[str, int]

    @property
    def largest(self) -> str:
        return max(self.clinics, key=lambda c: self.sizes[c])


class Ids:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self) -> str:
        return base64.urlsafe_b64encode(self.rng.randbytes(16)).rstrip(b"=").decode()


def _sizes(patients: int) -> list[int]:
    sizes = [int(patients * share) for share in SHARES]
    sizes[0] += patients - sum(sizes)
    return sizes


def plan_group(patients: int = PATIENTS) -> tuple[Group, Ids, random.Random]:
    rng = random.Random(SEED)
    new_id = Ids(rng)
    clinics = [new_id() for _ in SHARES]
    staff = {c: new_id() for c in clinics}
    protocols = {c: (new_id(), new_id()) for c in clinics}
    plans: list[PatientPlan] = []
    sizes = dict(zip(clinics, _sizes(patients), strict=True))
    for clinic, size in sizes.items():
        for _ in range(size):
            draw = rng.random()
            treatment = "prp" if draw < 0.6 else "exosome" if draw < 0.9 else "combination"
            condition = (
                "androgenetic_alopecia" if rng.random() < 0.7 else "female_pattern_hair_loss"
            )
            spins = 1 if rng.random() < 0.4 else 2
            plans.append(
                PatientPlan(
                    clinic=clinic,
                    staff=staff[clinic],
                    patient=new_id(),
                    course=new_id(),
                    treatment=treatment,
                    condition=condition,
                    start=date(2024, 1, 1) + timedelta(days=rng.randrange(0, 600)),
                    done_sessions=[],
                    protocol=protocols[clinic][spins - 1] if treatment != "exosome" else None,
                    spins=spins,
                )
            )
    return Group(clinics, staff, protocols, plans, sizes, {}), new_id, rng


def _sessions(plan: PatientPlan, new_id: Ids, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    visits = [("consultation", 1, 0)]
    visits += [("initial", n, 14 + 28 * (n - 1)) for n in range(1, 6)]
    visits += [("maintenance", n, 126 + 90 * n) for n in range(1, 5)]
    for kind, number, offset in visits:
        planned = plan.start + timedelta(days=offset)
        past = planned < TODAY
        status = "planned" if not past else ("missed" if rng.random() < 1 / 12 else "done")
        session = new_id()
        if status == "done" and kind != "consultation":
            plan.done_sessions.append((session, planned, kind))
        yield (
            session,
            plan.clinic,
            plan.course,
            number,
            kind,
            planned,
            planned - timedelta(days=7),
            planned + timedelta(days=7),
            status,
            planned if status != "planned" else None,
            plan.staff if status != "planned" else None,
            NOW if status != "planned" else None,
            None,
        )


def _protocol_json(pid: str, clinic: str, staff: str, name: str, spins: int) -> Any:
    """A saved protocol's JSON, made from a real record (the FHIR export reads it back)."""
    limits = [SpinLimits(rcf_g=Range(250, 350), minutes=Range(8, 12))]
    if spins == 2:
        limits.append(SpinLimits(rcf_g=Range(900, 1100), minutes=Range(8, 12)))
    saved = ClinicPrpProtocol(
        pid, clinic, PrpProtocol(id=pid, name=name, spins=tuple(limits)), NOW, staff
    )
    return record_to_row(saved, t.prp_protocols)["protocol"]


@functools.cache
def _prp_template(spins: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JSON of a real preparation with ``spins`` spins and of what was derived from it;
    each seeded record copies it with its own ids (so every record reads back)."""
    steps = (Spin(rcf_g=300, minutes=10), Spin(rcf_g=1000, minutes=10))[:spins]
    prep = PrpPreparation(
        session_id="session",
        drawn_at=NOW - timedelta(hours=1),
        spins=steps,
        baseline_platelets_k_per_ul=250.0,
        prp_platelets_k_per_ul=1100.0,
    )
    record = PrpRecord.of(
        prep,
        clinic_id="clinic",
        session_id="session",
        patient_id="patient",
        deviations=(),
        deviation_note=None,
        recorded_at=NOW,
        recorded_by="staff",
    )
    row = record_to_row(record, t.prp_records)
    return row["preparation"], row["derived"]


def _preparation(
    record: str, session: str, protocol: str | None, spins: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    prep, derived = _prp_template(spins)
    return {**prep, "id": record, "session_id": session, "protocol_id": protocol}, derived


def _measurements(plan: PatientPlan, new_id: Ids, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    gain = {"prp": 0.10, "exosome": 0.06, "combination": 0.12}[plan.treatment]
    responder = rng.random() < 0.5
    for measure, site, method, mean, sd, unit in SERIES:
        baseline = max(1.0, rng.gauss(mean, sd))
        for visit in range(VISITS):
            day = plan.start + timedelta(days=-7 + 40 * visit)
            trend = gain * (visit / (VISITS - 1)) * (1.6 if responder else 0.3)
            value = baseline * (1 + trend + rng.gauss(0, 0.04))
            if measure == "anagen_percent":
                value = min(value, 99.0)
            yield (
                new_id(),
                plan.clinic,
                plan.patient,
                measure,
                round(max(value, 11.0 if measure == "shaft_diameter" else 0.5), 1),
                unit,
                method,
                site,
                "tattoo",
                day,
                NOW,
                plan.staff,
                plan.course if rng.random() < 0.5 else None,
                None,
                None,
                None,
            )


def rows_of(group: Group, new_id: Ids, rng: random.Random) -> Iterator[tuple[Table, Iterator[Any]]]:
    """(table, rows in column order), in foreign-key order; sessions fill ``done_sessions``."""
    yield (
        t.clinics,
        iter([(c, f"Clinic {n + 1}", NOW, "GB") for n, c in enumerate(group.clinics)]),
    )
    yield (
        t.staff_accounts,
        iter(
            [
                (
                    s,
                    c,
                    f"doctor{n}@clinic.example",
                    "Doctor",
                    "clinician",
                    HASH,
                    None,
                    None,
                    True,
                    NOW,
                )
                for n, (c, s) in enumerate(group.staff.items())
            ]
        ),
    )
    yield (
        t.prp_protocols,
        iter(
            [
                (
                    pid,
                    c,
                    _protocol_json(pid, c, group.staff[c], name, spins),
                    NOW,
                    group.staff[c],
                    False,
                )
                for c, pair in group.protocols.items()
                for pid, name, spins in zip(
                    pair, ("Single spin", "Double spin"), (1, 2), strict=True
                )
            ]
        ),
    )
    yield (
        t.patients,
        (
            (
                p.patient,
                p.clinic,
                "Pat",
                f"Family{i:05d}",
                date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                ("female", "male")[i % 2],
                None,
                None,
                NOW,
                p.staff,
            )
            for i, p in enumerate(group.plans)
        ),
    )
    yield (
        t.courses,
        (
            (
                p.course,
                p.clinic,
                p.patient,
                p.condition,
                p.treatment,
                p.start,
                12,
                ["benchmark"],
                {"concern": "hair", "condition": p.condition, "severity": "moderate"},
                None,
                NOW,
                p.staff,
            )
            for p in group.plans
        ),
    )
    yield t.course_sessions, (row for p in group.plans for row in _sessions(p, new_id, rng))

    def preparations() -> Iterator[tuple[Any, ...]]:
        for p in group.plans:
            if p.treatment == "exosome":
                continue
            for session, day, _ in p.done_sessions:
                factor = max(1.1, rng.gauss(4.5, 1.3))
                record = new_id()
                prep, derived = _preparation(record, session, p.protocol, p.spins)
                yield (
                    record,
                    p.clinic,
                    session,
                    p.patient,
                    prep,
                    derived,
                    "benchmark",
                    round(factor, 2),
                    "P3Bβ",
                    "D:B E:C P:A A:no",
                    p.protocol,
                    [],
                    None,
                    datetime.combine(day, NOW.timetz()),
                    p.staff,
                )

    yield t.prp_records, preparations()

    def events() -> Iterator[tuple[Any, ...]]:
        for p in group.plans:
            for session, day, _ in p.done_sessions:
                if rng.random() >= 0.02:
                    continue
                grade = rng.choices((1, 2, 3), weights=(70, 25, 5))[0]
                onset = datetime.combine(day, NOW.timetz()) + timedelta(hours=2)
                linked = rng.random() < 0.9
                yield (
                    new_id(),
                    p.clinic,
                    p.patient,
                    "injection_site_reaction",
                    grade,
                    onset,
                    "recovered",
                    NOW,
                    p.staff,
                    session if linked else None,
                    None,
                    None,
                    None,
                    [],
                    ["observation"],
                    day + timedelta(days=3),
                    None,
                )

    yield t.adverse_events, events()
    yield t.measurements, (row for p in group.plans for row in _measurements(p, new_id, rng))


def load_with_copy(engine: Engine, group: Group, new_id: Ids, rng: random.Random) -> None:
    with engine.connect() as connection:
        raw: Any = connection.connection.driver_connection
        with raw.cursor() as cursor:
            for table, rows in rows_of(group, new_id, rng):
                columns = [c.name for c in table.columns]
                json_at = [i for i, c in enumerate(table.columns) if isinstance(c.type, JSON)]
                quoted = ", ".join(f'"{c}"' for c in columns)
                count = 0
                with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        if json_at:
                            row = list(row)
                            for i in json_at:
                                row[i] = json.dumps(row[i])
                        copy.write_row(row)
                        count += 1
                group.counts[table.name] = count
        raw.commit()
        connection.execute(text("ANALYZE"))
        connection.commit()


# --- timings ---------------------------------------------------------------------------------


def query_plan(engine: Engine, sql: str, params: dict[str, Any]) -> list[str]:
    query = text("EXPLAIN " + sql).bindparams(bindparam("clinics", expanding=True))
    with engine.connect() as connection:
        return [row[0] for row in connection.execute(query, params)]


def fhir_export(uow: Any, actor: Actor) -> Callable[[], int] | None:
    """The hook: the clinic's FHIR bulk export (NDJSON lines), when the code base has one."""
    try:
        module = importlib.import_module(FHIR_EXPORT_MODULE)
    except ImportError:
        return None
    start = getattr(module, FHIR_EXPORT_FUNCTION, None)
    if start is None:
        return None

    def run() -> int:
        return sum(1 for _ in start(uow, actor).lines())

    return run


SIZED = ("measurements", "course_sessions", "prp_records", "courses", "patients")


def relation_sizes(engine: Engine) -> list[tuple[str, int, int]]:
    with engine.connect() as connection:
        return [
            (
                name,
                int(connection.execute(text(f"SELECT pg_table_size('{name}')")).scalar_one()),
                int(connection.execute(text(f"SELECT pg_indexes_size('{name}')")).scalar_one()),
            )
            for name in SIZED
        ]


def server_version(engine: Engine) -> str:
    with engine.connect() as connection:
        version = connection.execute(text("SHOW server_version")).scalar_one()
        memory = connection.execute(text("SHOW shared_buffers")).scalar_one()
    return f"PostgreSQL {version}, shared_buffers {memory}, {os.cpu_count()} CPUs"


@dataclass
class Result:
    medians: dict[str, float]
    seeded_seconds: float
    largest: str
    largest_patients: int
    groups: int
    series_plan: list[str]
    courses_plan: list[str]
    fhir: tuple[int, float, int] | None  # (resources, seconds, patients of the clinic)
    sizes: list[tuple[str, int, int]]  # (table, table bytes, index bytes)
    server: str


def run(engine: Engine, group: Group, new_id: Ids, rng: random.Random) -> Result:
    started = time.perf_counter()
    migrate_to_head(engine)
    load_with_copy(engine, group, new_id, rng)
    seeded = time.perf_counter() - started
    factory = make_session_factory(engine)
    uow: Any = SqlClinicUnitOfWork(factory)
    kb = load_knowledge()
    catalogue = outcome_catalogue()
    largest = group.largest
    actor = Actor(StaffContext(group.staff[largest], largest, Role.CLINICIAN), "127.0.0.1", NOW)
    patient = next(p.patient for p in group.plans if p.clinic == largest)
    everything = CohortFilters()
    narrow = CohortFilters("androgenetic_alopecia", "prp", "hair_density")
    split = CohortFilters(prp_class="concentration")

    def select_1() -> None:
        with factory() as session:
            session.execute(text("SELECT 1")).scalar_one()

    def one_patient() -> int:
        with uow:
            return len(uow.records(Measurement).find(largest, patient_id=patient))

    def aggregates() -> int:
        with factory() as session:
            return len(cohort_rows_of(session, [largest]).series)

    def view(filters: CohortFilters) -> Callable[[], int]:
        return lambda: len(cohort_view(uow, actor, kb, filters).groups)

    def export_csv() -> int:
        return len(export_cohort_csv(uow, actor, kb, everything))

    def whole_group() -> int:
        with factory() as session:
            rows = cohort_rows_of(session, group.clinics)
        return len(build_cohort(rows, everything, kb.studies, catalogue).groups)

    assert one_patient() == len(SERIES) * VISITS
    groups = view(everything)()
    assert groups > 0 and view(narrow)() > 0 and whole_group() > 0
    medians = {
        "SELECT 1 round trip (anchor)": median_seconds(select_1, repeat=REPEAT, number=20),
        "one patient's 100 measurements (anchor)": median_seconds(one_patient, repeat=REPEAT),
        "aggregates only, largest clinic (SQL)": median_seconds(aggregates, repeat=REPEAT),
        "cohort view, largest clinic": median_seconds(view(everything), repeat=REPEAT),
        "cohort view, AGA + PRP + density": median_seconds(view(narrow), repeat=REPEAT),
        "cohort view, split by concentration": median_seconds(view(split), repeat=REPEAT),
        "cohort CSV export, largest clinic": median_seconds(export_csv, repeat=REPEAT),
        "whole group (10 clinics) at once": median_seconds(whole_group, repeat=3),
    }
    params = {"clinics": [largest]}
    fhir = None
    sizes = sorted(group.sizes.items(), key=lambda kv: abs(kv[1] - 1000))
    fhir_clinic, fhir_patients = sizes[0]
    fhir_actor = Actor(
        StaffContext(group.staff[fhir_clinic], fhir_clinic, Role.CLINICIAN), "127.0.0.1", NOW
    )
    export = fhir_export(uow, fhir_actor)
    if export is not None:
        started = time.perf_counter()
        resources = export()
        fhir = (resources, time.perf_counter() - started, fhir_patients)
    dialect = engine.dialect.name
    return Result(
        medians=medians,
        seeded_seconds=seeded,
        largest=largest,
        largest_patients=group.sizes[largest],
        groups=groups,
        series_plan=query_plan(
            engine,
            series_query(measure=False, condition=False, treatment=False, dialect=dialect),
            params,
        ),
        courses_plan=[
            *query_plan(engine, TREATED_COURSES.format(courses=""), params),
            "-- preparations:",
            *query_plan(engine, PREPARATIONS.format(spins=SPINS[dialect]), params),
        ],
        fhir=fhir,
        sizes=relation_sizes(engine),
        server=server_version(engine),
    )


def report(result: Result, group: Group) -> None:
    c = group.counts
    print(
        f"{len(group.clinics)} clinics, {c['patients']:,} patients, {c['courses']:,} courses, "
        f"{c['course_sessions']:,} sessions, {c['prp_records']:,} PRP preparations, "
        f"{c['adverse_events']:,} adverse events, {c['measurements']:,} measurements "
        f"(seeded with COPY in {result.seeded_seconds:.1f} s)"
    )
    print(
        f"largest clinic: {result.largest_patients:,} patients, "
        f"{result.largest_patients * len(SERIES) * VISITS:,} measurements; "
        f"its cohort view shows {result.groups} groups"
    )
    anchor = result.medians["SELECT 1 round trip (anchor)"]
    print(f"{'':42}{'median':>12}{'ratio':>10}")
    for name, median in result.medians.items():
        print(f"{name:42}{fmt_seconds(median):>12}{median / anchor:>9.0f}x")
    print("ratio = median / median of the SELECT 1 round trip (PostgreSQL, same process)")
    view = result.medians["cohort view, largest clinic"]
    print(f"goal: cohort view under 1 s: {'met' if view < 1 else 'NOT met'} ({fmt_seconds(view)})")
    if result.fhir is None:
        print(
            "FHIR bulk export: not measured - no bulk export found yet (hook: "
            f"{FHIR_EXPORT_MODULE}.{FHIR_EXPORT_FUNCTION}(uow, actor).lines())"
        )
    else:
        resources, seconds, patients = result.fhir
        print(
            f"FHIR bulk export of a {patients:,}-patient clinic: {resources:,} resources in "
            f"{seconds:.1f} s = {resources / seconds:,.0f} resources/s"
        )
    print(result.server)
    for name, table, index in result.sizes:
        print(f"    {name:16} table {table / 2**20:7.1f} MB, indexes {index / 2**20:7.1f} MB")
    print("plan of the series query (largest clinic):")
    for line in result.series_plan:
        print(f"    {line}")
    print("plan of the treated-courses query (largest clinic):")
    for line in result.courses_plan:
        print(f"    {line}")


def main(patients: int = PATIENTS) -> None:
    started = time.perf_counter()
    group, new_id, rng = plan_group(patients)
    print(f"(group planned in {time.perf_counter() - started:.1f} s)")
    with postgres() as engine:
        result = run(engine, group, new_id, rng)
    report(result, group)
