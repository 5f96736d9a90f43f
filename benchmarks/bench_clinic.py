"""The recall list of one exosome lot across 100,000 course sessions (issue 11).

Seeds one clinic group (10 clinics) with bulk inserts — COPY on PostgreSQL, executemany on
SQLite, never the use cases — 20,000 patients with one exosome course each, 5 sessions per
course (100,000 sessions), 10 lots per clinic and a lot use for ~30 % of the sessions (each
such session recorded as done). Then, for the lot with the most uses in the first clinic,
times side by side (medians over repeats, same process, same database):

- anchor ``SELECT 1``: one round trip through a fresh session;
- anchor "one patient's courses": ``records(Course).find(clinic, patient_id=...)``;
- raw SQL: the lot's uses joined with their patients, ordered by day (what a recall needs);
- repository: ``records(LotUse).find(clinic, lot_id=...)`` (rows made into records);
- the use case ``treatments.recall_list`` (the lot, its uses, each listed patient, and the
  audit entry it writes and commits, as the web page calls it).

Checks with EXPLAIN that the uses query reads the ``lot_uses_lot`` index (clinic_id, lot_id,
used_on). PostgreSQL: ``REGENAID_BENCH_POSTGRES_URL`` (default
postgresql+psycopg://postgres@127.0.0.1:5432/test), in a schema of its own, dropped
afterwards; SQLite: a temporary file. Scale: ``REGENAID_BENCH_CLINIC_PATIENTS`` (default
20,000; sessions are 5 per patient).

Run: ``python -m benchmarks clinic``.
"""

from __future__ import annotations

import base64
import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Engine, Table, insert, select, text

from benchmarks.timing import fmt_seconds, median_seconds
from regenaid.clinic import treatments
from regenaid.clinic.access import Role, StaffContext
from regenaid.clinic.courses import Course
from regenaid.clinic.exosome_lots import LotUse
from regenaid.clinic.patients import Patient
from regenaid.clinic.services import Actor
from regenaid.store import clinic_tables as t
from regenaid.store import make_engine, make_session_factory, migrate_to_head
from regenaid.store.clinic_mapping import row_to_record
from regenaid.store.clinic_uow import SqlClinicUnitOfWork

POSTGRES_URL = os.environ.get(
    "REGENAID_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PATIENTS = int(os.environ.get("REGENAID_BENCH_CLINIC_PATIENTS", "20000"))
CLINICS = 10
SESSIONS_PER_COURSE = 5
LOTS_PER_CLINIC = 10
USE_SHARE = 0.30
REPEAT = 15
SEED = 11
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)

RAW_RECALL = """
SELECT u.used_on, u.session_id, u.quantity, u.unit, u.route, u.override,
       p.id, p.given_name, p.family_name, p.phone, p.email
FROM lot_uses u JOIN patients p ON p.clinic_id = u.clinic_id AND p.id = u.patient_id
WHERE u.clinic_id = :clinic AND u.lot_id = :lot
ORDER BY u.used_on, p.id, u.session_id
"""
USES_QUERY = (
    "SELECT * FROM lot_uses WHERE clinic_id = :clinic AND lot_id = :lot ORDER BY used_on, id"
)
COURSES_QUERY = (
    "SELECT * FROM courses WHERE clinic_id = :clinic AND patient_id = :patient ORDER BY start, id"
)


# --- seed data -------------------------------------------------------------------------------


@dataclass
class Seed:
    """The rows to insert, per table (in foreign-key order), and what the timings need."""

    rows: dict[str, list[dict[str, Any]]]
    clinic_id: str
    staff_id: str
    lot_id: str  # the first clinic's lot with the most uses
    lot_uses: int
    patient_id: str  # a patient of the first clinic

    def count(self, table: str) -> int:
        return len(self.rows[table])


def _ids(rng: random.Random) -> Callable[[], str]:
    def new() -> str:
        return base64.urlsafe_b64encode(rng.randbytes(16)).rstrip(b"=").decode()

    return new


def make_seed(patients: int = PATIENTS) -> Seed:
    rng = random.Random(SEED)
    new_id = _ids(rng)
    rows: dict[str, list[dict[str, Any]]] = {
        name: []
        for name in (
            "clinics",
            "staff_accounts",
            "patients",
            "courses",
            "course_sessions",
            "exosome_lots",
            "lot_uses",
        )
    }
    clinic_ids = [new_id() for _ in range(CLINICS)]
    staff_of: dict[str, str] = {}
    lots_of: dict[str, list[str]] = {}
    for n, clinic in enumerate(clinic_ids):
        rows["clinics"].append(
            {"id": clinic, "name": f"Clinic {n + 1}", "created_at": NOW, "jurisdiction": "GB"}
        )
        staff_of[clinic] = new_id()
        rows["staff_accounts"].append(
            {
                "id": staff_of[clinic],
                "clinic_id": clinic,
                "email": f"clinician{n + 1}@clinic.example",
                "display_name": f"Clinician {n + 1}",
                "role": "clinician",
                "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$not-a-real-hash",
                "totp_secret": None,
                "totp_last_used_step": None,
                "active": True,
                "created_at": NOW,
            }
        )
        lots_of[clinic] = [new_id() for _ in range(LOTS_PER_CLINIC)]
    uses_per_lot: dict[str, int] = {}
    first_patient: str | None = None
    for i in range(patients):
        clinic = clinic_ids[i % CLINICS]
        staff = staff_of[clinic]
        patient = new_id()
        if first_patient is None:
            first_patient = patient
        rows["patients"].append(
            {
                "id": patient,
                "clinic_id": clinic,
                "given_name": rng.choice(("Ana", "Ben", "Chloé", "Dev", "Eli", "Fay")),
                "family_name": f"Family{i:06d}",
                "birth_date": date(1950 + i % 50, 1 + i % 12, 1 + i % 28),
                "sex": ("female", "male", "other", "unknown")[i % 4],
                "phone": f"+44 20 7946 {i % 10000:04d}",
                "email": f"p{i}@example.org",
                "created_at": NOW,
                "created_by": staff,
            }
        )
        course = new_id()
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 900))
        rows["courses"].append(
            {
                "id": course,
                "clinic_id": clinic,
                "patient_id": patient,
                "condition": "androgenetic_alopecia",
                "treatment": "exosome",
                "start": start,
                "horizon_months": 12,
                "protocol_sources": ["benchmark"],
                "intake": {"concern": "hair", "condition": "androgenetic_alopecia"},
                "attached_result_id": None,
                "created_at": NOW,
                "created_by": staff,
            }
        )
        for number in range(SESSIONS_PER_COURSE):
            session = new_id()
            planned = start + timedelta(days=28 * number)
            used = number > 0 and rng.random() < USE_SHARE * SESSIONS_PER_COURSE / (
                SESSIONS_PER_COURSE - 1
            )
            rows["course_sessions"].append(
                {
                    "id": session,
                    "clinic_id": clinic,
                    "course_id": course,
                    "number": number + 1,
                    "kind": "consultation" if number == 0 else "initial",
                    "planned": planned,
                    "earliest": planned - timedelta(days=7),
                    "latest": planned + timedelta(days=7),
                    "status": "done" if used else "planned",
                    "on": planned if used else None,
                    "recorded_by": staff if used else None,
                    "recorded_at": NOW if used else None,
                    "note": None,
                }
            )
            if used:
                lot = rng.choice(lots_of[clinic])
                uses_per_lot[lot] = uses_per_lot.get(lot, 0) + 1
                rows["lot_uses"].append(
                    {
                        "id": new_id(),
                        "clinic_id": clinic,
                        "lot_id": lot,
                        "used_on": planned,
                        "route": "microneedling",
                        "quantity": Decimal("1.000"),
                        "unit": "vial",
                        "override": False,
                        "override_reason": None,
                        "patient_id": patient,
                        "session_id": session,
                    }
                )
    for clinic in clinic_ids:
        for n, lot in enumerate(lots_of[clinic]):
            count = uses_per_lot.get(lot, 0)
            rows["exosome_lots"].append(_lot_row(lot, clinic, staff_of[clinic], n, count))
    first = clinic_ids[0]
    lot_id = max(lots_of[first], key=lambda lot: uses_per_lot.get(lot, 0))
    assert first_patient is not None
    return Seed(rows, first, staff_of[first], lot_id, uses_per_lot.get(lot_id, 0), first_patient)


def _lot_row(lot: str, clinic: str, staff: str, n: int, used: int) -> dict[str, Any]:
    received = Decimal(used + 50)
    return {
        "id": lot,
        "clinic_id": clinic,
        "product_name": "Benchmark EV Serum",
        "manufacturer": "Example Bio",
        "manufacturer_country": "KR",
        "lot_number": f"B-{n:03d}",
        "expiry_date": date(2027, 12, 31),
        "received_date": date(2023, 12, 1),
        "quantity_unit": "vial",
        "quantity_received": received,
        "quantity_left": received - used,
        "source": "plant",
        "maker_term": "exosomes",
        "form": "lyophilised",
        "labelled_routes": ["topical", "microneedling"],
        "created_at": NOW,
        "created_by": staff,
        "catalogue_number": None,
        "manufacture_date": None,
        "source_detail": None,
        "donor_eligibility": None,
        "separation_method": None,
        "particle_concentration_per_ml": None,
        "particle_method": None,
        "size_mode_nm": None,
        "protein_ug_per_ml": None,
        "markers": {"CD63": "present"},
        "imaging_method": None,
        "sterility": "pass",
        "endotoxin": "pass",
        "mycoplasma": "not_reported",
        "storage_min_c": None,
        "storage_max_c": None,
        "coa_file": None,
        "coa_sha256": None,
        "coa_name": None,
        "regulatory": {},
        "recalled_at": None,
        "recall_reason": None,
    }


TABLES: dict[str, Table] = {
    "clinics": t.clinics,
    "staff_accounts": t.staff_accounts,
    "patients": t.patients,
    "courses": t.courses,
    "course_sessions": t.course_sessions,
    "exosome_lots": t.exosome_lots,
    "lot_uses": t.lot_uses,
}


def load_with_copy(engine: Engine, seed: Seed) -> None:
    """PostgreSQL: ``COPY ... FROM STDIN`` per table, one transaction."""
    with engine.connect() as connection:
        raw: Any = connection.connection.driver_connection
        with raw.cursor() as cursor:
            for name, rows in seed.rows.items():
                table = TABLES[name]
                columns = [c.name for c in table.columns]
                json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
                quoted = ", ".join(f'"{c}"' for c in columns)
                with cursor.copy(f'COPY "{name}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(
                            [json.dumps(row[c]) if c in json_columns else row[c] for c in columns]
                        )
        raw.commit()
        connection.execute(text("ANALYZE"))
        connection.commit()


def load_with_executemany(engine: Engine, seed: Seed) -> None:
    """SQLite: one ``executemany`` per table, one transaction."""
    with engine.begin() as connection:
        for name, rows in seed.rows.items():
            connection.execute(insert(TABLES[name]), rows)
        connection.execute(text("ANALYZE"))


# --- the databases ---------------------------------------------------------------------------


@contextmanager
def postgres() -> Iterator[Engine]:
    schema = f"regenaid_bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def sqlite() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            yield engine
        finally:
            engine.dispose()


def query_plan(engine: Engine, query: str, params: dict[str, str]) -> list[str]:
    """The database's plan for ``query``, one line per step."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            return [row[0] for row in connection.execute(text("EXPLAIN " + query), params)]
        rows = connection.execute(text("EXPLAIN QUERY PLAN " + query), params)
        return [row[-1] for row in rows]


@dataclass
class Timings:
    database: str
    seeded_seconds: float
    medians: dict[str, float]
    listed: int
    patients: int
    plan: list[str]
    courses_plan: list[str]

    @property
    def uses_index(self) -> bool:
        return any("lot_uses_lot" in line for line in self.plan)


def run_on(engine: Engine, seed: Seed, load: Callable[[Engine, Seed], None]) -> Timings:
    started = time.perf_counter()
    migrate_to_head(engine)
    load(engine, seed)
    seeded = time.perf_counter() - started
    factory = make_session_factory(engine)
    uow: Any = SqlClinicUnitOfWork(factory)
    actor = Actor(StaffContext(seed.staff_id, seed.clinic_id, Role.CLINICIAN), "127.0.0.1", NOW)
    params = {"clinic": seed.clinic_id, "lot": seed.lot_id}

    def select_1() -> None:
        with factory() as session:
            session.execute(text("SELECT 1")).scalar_one()

    def patient_courses() -> Sequence[Course]:
        with uow:
            found: Sequence[Course] = uow.records(Course).find(
                seed.clinic_id, patient_id=seed.patient_id
            )
            return found

    def raw_recall() -> list[Any]:
        with factory() as session:
            return list(session.execute(text(RAW_RECALL), params))

    def repository_uses() -> Sequence[LotUse]:
        with uow:
            found: Sequence[LotUse] = uow.records(LotUse).find(seed.clinic_id, lot_id=seed.lot_id)
            return found

    def batched() -> list[tuple[LotUse, Patient]]:
        """What the use case could do instead of one query per patient: one IN query."""
        with uow:
            uses: Sequence[LotUse] = uow.records(LotUse).find(seed.clinic_id, lot_id=seed.lot_id)
            wanted = sorted({u.patient_id for u in uses if u.patient_id})
            rows = uow.session.execute(
                select(t.patients).where(
                    t.patients.c.clinic_id == seed.clinic_id, t.patients.c.id.in_(wanted)
                )
            )
            people = {row.id: row_to_record(Patient, row, t.patients) for row in rows}
            return [(u, people[u.patient_id]) for u in uses if u.patient_id]

    def use_case() -> list[treatments.RecallLine]:
        return treatments.recall_list(uow, actor, seed.lot_id)

    lines = use_case()
    assert len(lines) == seed.lot_uses == len(raw_recall()) == len(batched())
    assert len(patient_courses()) == 1
    medians = {
        "SELECT 1 round trip (anchor)": median_seconds(select_1, repeat=REPEAT, number=20),
        "one patient's courses (anchor)": median_seconds(patient_courses, repeat=REPEAT, number=5),
        "raw SQL: uses joined with patients": median_seconds(raw_recall, repeat=REPEAT),
        "repository: records(LotUse).find": median_seconds(repository_uses, repeat=REPEAT),
        "sketch: uses + patients, one IN query": median_seconds(batched, repeat=REPEAT),
        "use case: treatments.recall_list": median_seconds(use_case, repeat=REPEAT),
    }
    return Timings(
        database=engine.dialect.name,
        seeded_seconds=seeded,
        medians=medians,
        listed=len(lines),
        patients=len({line.patient.id for line in lines}),
        plan=query_plan(engine, USES_QUERY, params),
        courses_plan=query_plan(
            engine, COURSES_QUERY, {"clinic": seed.clinic_id, "patient": seed.patient_id}
        ),
    )


def report(results: list[Timings], seed: Seed) -> None:
    sessions, uses = seed.count("course_sessions"), seed.count("lot_uses")
    print(
        f"{CLINICS} clinics, {seed.count('patients'):,} patients, {sessions:,} course sessions, "
        f"{seed.count('exosome_lots')} lots, {uses:,} lot uses ({uses / sessions:.0%} of sessions)"
    )
    first = results[0]
    print(f"recall of the busiest lot of clinic 1: {first.listed} uses, {first.patients} patients")
    names = list(first.medians)
    header = f"{'':38}" + "".join(f"{r.database:>24}" for r in results)
    print(header)
    print("-" * len(header))
    for name in names:
        cells = ""
        for r in results:
            median = r.medians[name]
            ratio = median / r.medians[names[0]]
            cells += f"{fmt_seconds(median):>12} {ratio:>8.1f}x  "
        print(f"{name:38}{cells}")
    print("ratio = median / median of the SELECT 1 round trip on the same database")
    for r in results:
        recall = r.medians["use case: treatments.recall_list"]
        per = recall / max(r.patients, 1)
        print(
            f"{r.database}: seeded in {r.seeded_seconds:.1f} s; use case / raw SQL "
            f"{recall / r.medians['raw SQL: uses joined with patients']:.1f}x "
            f"({fmt_seconds(per)} per listed patient: record conversion, one IN query for the "
            "patients, the audit write); "
            f"lot_uses_lot index used: {'yes' if r.uses_index else 'NO'}"
        )
        for line in r.plan:
            print(f"    {line}")
        print(f"  one patient's courses ({r.database}):")
        for line in r.courses_plan:
            print(f"    {line}")


def main() -> None:
    started = time.perf_counter()
    seed = make_seed()
    print(f"(seed rows built in {time.perf_counter() - started:.1f} s)")
    results = []
    with postgres() as engine:
        results.append(run_on(engine, seed, load_with_copy))
    with sqlite() as engine:
        results.append(run_on(engine, seed, load_with_executemany))
    report(results, seed)
