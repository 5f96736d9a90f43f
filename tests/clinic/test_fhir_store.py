"""The FHIR round trip on the real store, SQLite and PostgreSQL: a patient built through the
use cases exports, imports into an empty clinic with every record equal as read back from the
database (ids aside) and the photos' bytes in the file store, exports again to the same Bundle;
a refused Bundle leaves every table as it was. (The engine fixture is the one of
``tests/store/conftest.py``: a fresh schema per test; PostgreSQL is never skipped.)"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from test_fhir_world import (
    KB,
    LATER,
    Photo,
    assert_same_records,
    make_side,
    patient_records,
    relabelled,
    rich_patient,
)

from regenaid.clinic import fhir_services
from regenaid.errors import InvalidInputError
from regenaid.store import make_session_factory
from regenaid.store.clinic_tables import metadata
from regenaid.store.clinic_uow import SqlClinicUnitOfWork
from regenaid.store.files import FileDocumentStore


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: int(connection.execute(select(func.count()).select_from(table)).scalar())
            for table in metadata.sorted_tables
        }


def world(engine: Engine, tmp_path: Path) -> tuple[Any, ...]:
    factory = make_session_factory(engine)

    def uow() -> SqlClinicUnitOfWork:
        return SqlClinicUnitOfWork(factory)

    documents = FileDocumentStore(tmp_path / "files")
    source = make_side("Clinic A", uow())
    target = make_side("Clinic B", uow(), LATER)
    patient = rich_patient(uow, source, documents)
    return uow, documents, source, target, patient


def test_round_trip_through_the_database(engine: Engine, tmp_path: Path) -> None:
    uow, documents, source, target, patient = world(engine, tmp_path)
    bundle = fhir_services.export_patient_fhir(
        uow(), source.clinician, patient.id, documents=documents
    )
    result = fhir_services.import_patient_fhir(uow(), target.clinician, KB, documents, bundle)
    before = patient_records(uow, source.clinic.id, patient.id)
    after = patient_records(uow, target.clinic.id, result.patient.id)
    ids = assert_same_records(before, after, target.clinic.id)
    for photo in before[Photo]:
        assert documents.get(ids[photo.file_key]) == documents.get(photo.file_key)
    again = fhir_services.export_patient_fhir(
        uow(), target.clinician, result.patient.id, documents=documents
    )
    assert relabelled(again) == relabelled(bundle)


def test_a_refused_bundle_writes_no_row_and_no_file(engine: Engine, tmp_path: Path) -> None:
    uow, documents, source, target, patient = world(engine, tmp_path)
    bundle = fhir_services.export_patient_fhir(
        uow(), source.clinician, patient.id, documents=documents
    )
    bad = copy.deepcopy(bundle)
    last = bad["entry"][-1]["resource"]  # a photo: its bytes are checked last of all
    assert last["resourceType"] == "DocumentReference"
    last["extension"] = [e for e in last["extension"] if not e["url"].endswith("/photo-view")]
    rows = row_counts(engine)
    files = sorted(p.name for p in (tmp_path / "files").iterdir())
    with pytest.raises(InvalidInputError) as caught:
        fhir_services.import_patient_fhir(uow(), target.clinician, KB, documents, bad)
    assert caught.value.field.endswith(").extension")
    assert row_counts(engine) == rows
    assert sorted(p.name for p in (tmp_path / "files").iterdir()) == files


def test_a_commit_refused_by_the_database_removes_the_files_written(
    engine: Engine, tmp_path: Path
) -> None:
    """A race the checks cannot see (here: a lot with the same maker and number stored while
    the import ran) ends in the database's refusal; the photo bytes already written go."""
    uow, documents, source, target, patient = world(engine, tmp_path)
    bundle = fhir_services.export_patient_fhir(
        uow(), source.clinician, patient.id, documents=documents
    )

    class Racing(SqlClinicUnitOfWork):
        def commit(self) -> None:
            from test_fhir_world import lot_values

            from regenaid.clinic.exosome_lots import ExosomeLot, new_lot

            values = lot_values()
            values.pop("jurisdictions")
            self.records(ExosomeLot).add(
                new_lot(clinic_id=target.clinic.id, created_by="x" * 22, now=LATER, **values)
            )
            super().commit()

    rows = row_counts(engine)
    files = sorted(p.name for p in (tmp_path / "files").iterdir())
    with pytest.raises(Exception):  # noqa: B017  the database's own IntegrityError
        fhir_services.import_patient_fhir(
            Racing(make_session_factory(engine)), target.clinician, KB, documents, bundle
        )
    assert row_counts(engine) == rows
    assert sorted(p.name for p in (tmp_path / "files").iterdir()) == files
