"""``regenaid clinic export-fhir``: a whole clinic as FHIR R4 NDJSON, one file per resource
type (``Patient.ndjson``, ``Observation.ndjson``, ...), as the FHIR Bulk Data format has it.

Patients are read a page at a time (``regenaid.clinic.fhir_services.ClinicExport``), so a
large clinic is never held in memory; a progress bar on stderr counts patients. The files are
written as ``*.ndjson.part`` and renamed into place only when everything was written: a
failed run leaves the folder as it was (files of an earlier export included). Each patient's
export is an ``export`` entry of the clinic's audit trail (staff ``cli``, client ``cli``).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

import typer
from tqdm import tqdm

from regenaid.cli.common import fail
from regenaid.clinic.ids import is_id

if TYPE_CHECKING:
    from sqlalchemy import Engine


def _folder(out: str) -> Path:
    """``--out`` as a folder that exists and can be written (made when missing); exit 2 if not."""
    if not out.strip():
        raise fail("--out: the folder name is empty")
    folder = Path(out)
    try:
        if folder.exists() and not folder.is_dir():
            raise fail(f"--out: {out!r} is not a folder")
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise fail(f"--out: cannot make the folder {out!r}: {exc.strerror or exc}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise fail(f"--out: cannot write in {out!r} (permission denied)")
    return folder


def export_clinic(
    clinic_id: str, out: str, with_files: bool, database: Callable[[], Engine]
) -> None:
    from regenaid.clinic.errors import RecordNotFoundError
    from regenaid.clinic.fhir.read import RESOURCE_TYPES
    from regenaid.clinic.fhir_services import cli_actor, start_clinic_export
    from regenaid.config import load_settings
    from regenaid.store import make_session_factory
    from regenaid.store.clinic_uow import SqlClinicUnitOfWork
    from regenaid.store.files import FileDocumentStore

    if not is_id(clinic_id):
        raise fail(f"--clinic-id: {clinic_id!r} is not a clinic id (22 letters, digits, - or _)")
    folder = _folder(out)
    engine = database()
    documents = FileDocumentStore(load_settings().files_dir) if with_files else None
    started = time.perf_counter()
    parts: dict[str, tuple[Path, IO[str]]] = {}
    counts: dict[str, int] = {}
    try:
        uow = SqlClinicUnitOfWork(make_session_factory(engine))
        try:
            export = start_clinic_export(
                uow, cli_actor(clinic_id, datetime.now(UTC)), documents=documents
            )
        except RecordNotFoundError:
            raise fail(f"--clinic-id: no clinic with id {clinic_id}") from None
        with tqdm(
            total=export.patients, unit="patient", desc="FHIR export", file=sys.stderr
        ) as bar:
            for kind, line in export.lines(on_patient=lambda: bar.update(1)):
                if kind not in parts:
                    path = folder / f"{kind}.ndjson.part"
                    try:
                        parts[kind] = (path, path.open("w", encoding="utf-8", newline="\n"))
                    except OSError as exc:
                        raise fail(
                            f"--out: cannot write {str(path)!r}: {exc.strerror or exc}"
                        ) from None
                parts[kind][1].write(line + "\n")
                counts[kind] = counts.get(kind, 0) + 1
        for kind, (path, handle) in parts.items():
            handle.close()
            os.replace(path, folder / f"{kind}.ndjson")
        for kind in RESOURCE_TYPES:  # an earlier export's file of a type this one has none of
            if kind not in parts:
                (folder / f"{kind}.ndjson").unlink(missing_ok=True)
    except BaseException:
        for path, handle in parts.values():
            handle.close()
            path.unlink(missing_ok=True)
        raise
    finally:
        engine.dispose()
    seconds = time.perf_counter() - started
    total = sum(counts.values())
    for kind in sorted(counts):
        typer.echo(f"{kind}.ndjson: {counts[kind]:,} resources")
    rate = total / seconds if seconds > 0 else float("inf")
    typer.echo(
        f"Exported {export.patients:,} patients of clinic {clinic_id}: {total:,} resources in "
        f"{seconds:.1f} s ({rate:,.0f} resources/s) to {folder}"
    )
