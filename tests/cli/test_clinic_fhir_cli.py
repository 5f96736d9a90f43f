"""``regenaid clinic export-fhir``: a clinic of the app's database as FHIR NDJSON files, one
per resource type, every line a valid resource; a progress bar on stderr; exit 2 with one
line naming the problem for an unknown clinic or an --out that cannot be written."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from PIL import Image
from typer.testing import CliRunner

from regenaid.cli.main import app
from regenaid.clinic import outcome_services, services
from regenaid.clinic.access import Role, StaffContext
from regenaid.clinic.accounts import Clinic, new_clinic
from regenaid.clinic.audit import AuditEntry
from regenaid.clinic.ids import new_id
from regenaid.store import make_engine, make_session_factory, migrate_to_head
from regenaid.store.clinic_uow import SqlClinicUnitOfWork
from regenaid.store.files import FileDocumentStore

runner = CliRunner()
NOW = datetime.now(UTC)


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Clinic:
    """A clinic with three patients (one measured and photographed) in the app's database."""
    url = f"sqlite:///{tmp_path / 'var' / 'regenaid.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REGENAID_DATABASE_URL", url)
    monkeypatch.setenv("REGENAID_ENVIRONMENT", "test")
    monkeypatch.setenv("REGENAID_FILES_DIR", str(tmp_path / "files"))
    engine = make_engine(url)
    migrate_to_head(engine)
    factory = make_session_factory(engine)
    found = new_clinic("Riverside", NOW)
    with SqlClinicUnitOfWork(factory) as uow:
        uow.directory.add_clinic(found)
        uow.commit()
    actor = services.Actor(StaffContext(new_id(), found.id, Role.CLINICIAN), "127.0.0.1", NOW)
    for n in range(3):
        patient = services.register_patient(
            SqlClinicUnitOfWork(factory),
            actor,
            given_name=f"Person{n}",
            family_name="Example",
            birth_date=date(1980, 1, 1 + n),
            sex="female",
            phone=None,
            email=None,
        )
    outcome_services.record_measurement(
        SqlClinicUnitOfWork(factory),
        actor,
        patient_id=patient.id,
        measure="hair_density",
        value=150,
        method="phototrichogram_corrected",
        site="vertex",
        measured_on=NOW.date() - timedelta(days=1),
    )
    image = io.BytesIO()
    Image.new("RGB", (80, 64), (1, 2, 3)).save(image, format="PNG")
    outcome_services.record_photo(
        SqlClinicUnitOfWork(factory),
        actor,
        FileDocumentStore(tmp_path / "files"),
        patient_id=patient.id,
        content=image.getvalue(),
        view="vertex",
        taken_on=NOW.date(),
        concern="hair",
    )
    engine.dispose()
    return found


def lines(folder: Path, kind: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / f"{kind}.ndjson").read_text().splitlines()]


def test_a_clinic_exports_one_valid_file_per_resource_type(clinic: Clinic, tmp_path: Path) -> None:
    out = tmp_path / "export" / "fhir"
    result = runner.invoke(
        app, ["clinic", "export-fhir", "--clinic-id", clinic.id, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    assert files == ["DocumentReference.ndjson", "Observation.ndjson", "Patient.ndjson"]
    for name in files:
        kind = name.removesuffix(".ndjson")
        for resource in lines(out, kind):
            assert resource["resourceType"] == kind
            get_fhir_model_class(kind).model_validate(resource)
    assert len(lines(out, "Patient")) == 3
    assert "data" not in lines(out, "DocumentReference")[0]["content"][0]["attachment"]
    assert "Exported 3 patients of clinic" in result.stdout and "resources/s" in result.stdout
    assert "3/3" in result.stderr  # the progress bar counted the patients


def test_with_files_the_photo_bytes_are_in_the_export(clinic: Clinic, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["clinic", "export-fhir", "--clinic-id", clinic.id, "--out", str(out), "--with-files"]
    )
    assert result.exit_code == 0, result.output
    attachment = lines(out, "DocumentReference")[0]["content"][0]["attachment"]
    assert attachment["data"] and attachment["contentType"] == "image/png"


def test_the_export_is_audited_as_the_command_line(clinic: Clinic, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["clinic", "export-fhir", "--clinic-id", clinic.id, "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'regenaid.db'}")
    try:
        with SqlClinicUnitOfWork(make_session_factory(engine)) as uow:
            entries: list[AuditEntry] = list(uow.audit.entries(clinic.id))
    finally:
        engine.dispose()
    exports = [e for e in entries if e.action == "export"]
    assert [e.record_kind for e in exports] == ["clinic_fhir"] + ["patient"] * 3
    assert {(e.client, e.staff_id) for e in exports} == {("cli", "cli")}


def test_a_second_run_replaces_the_files_and_drops_stale_ones(
    clinic: Clinic, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "Medication.ndjson").write_text('{"stale": true}\n')
    (out / "notes.txt").write_text("mine")
    result = runner.invoke(
        app, ["clinic", "export-fhir", "--clinic-id", clinic.id, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert not (out / "Medication.ndjson").exists()
    assert (out / "notes.txt").read_text() == "mine"
    assert not list(out.glob("*.part"))


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--clinic-id", "no-such-clinic-abcdefg", "--out", "x"], "--clinic-id: no clinic with id"),
        (["--clinic-id", "short", "--out", "x"], "--clinic-id: 'short' is not a clinic id"),
    ],
)
def test_an_unknown_clinic_is_exit_2_with_one_line(
    clinic: Clinic, args: list[str], named: str
) -> None:
    result = runner.invoke(app, ["clinic", "export-fhir", *args])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and named in result.stderr


def test_an_out_that_cannot_be_written_is_exit_2(clinic: Clinic, tmp_path: Path) -> None:
    a_file = tmp_path / "taken.txt"
    a_file.write_text("x")
    for out, named in ((a_file, "is not a folder"), (a_file / "below", "cannot make the folder")):
        result = runner.invoke(
            app, ["clinic", "export-fhir", "--clinic-id", clinic.id, "--out", str(out)]
        )
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("regenaid: --out: ") and named in result.stderr
        assert result.stderr.count("\n") == 1
