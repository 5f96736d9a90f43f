"""A whole clinic as FHIR NDJSON: every line a valid resource of its file's type, the clinic's
consent texts, protocols and lots once, each patient's resources as in their own Bundle, read
a page of patients at a time, each patient's export audited."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from test_fhir_world import NOW, actor_of, fake_world

from regenaid.clinic import fhir_services, services
from regenaid.clinic.access import Role
from regenaid.clinic.accounts import new_clinic
from regenaid.clinic.audit import AuditEntry
from regenaid.clinic.errors import PermissionDeniedError, RecordNotFoundError
from regenaid.clinic.patients import Patient

CLINIC_LEVEL = {"PlanDefinition", "Medication"}


def _with_more_patients(count: int) -> tuple[Any, ...]:
    fake, documents, source, target, patient = fake_world()
    for n in range(count):
        services.register_patient(
            fake,
            source.clinician,
            given_name=f"Person {n}",
            family_name="Example",
            birth_date=date(1990, 1, 1 + n),
            sex="male",
            phone=None,
            email=None,
        )
    return fake, documents, source, target, patient


def test_every_line_is_a_valid_resource_and_the_clinic_records_come_once() -> None:
    fake, documents, source, _target, patient = _with_more_patients(4)
    export = fhir_services.start_clinic_export(fake, source.admin, documents=documents, page_size=2)
    assert export.patients == 5
    done: list[int] = []
    lines = list(export.lines(on_patient=lambda: done.append(1)))
    assert len(done) == 5
    kinds = Counter(kind for kind, _ in lines)
    ids: set[str] = set()
    for kind, line in lines:
        assert "\n" not in line
        resource = json.loads(line)
        assert resource["resourceType"] == kind
        get_fhir_model_class(kind).model_validate(resource)
        key = f"{kind}/{resource['id']}"
        assert key not in ids, key
        ids.add(key)
    assert kinds["Patient"] == 5
    assert kinds["Medication"] == 2  # every lot of the clinic, used or not
    # the rich patient's resources are those of its Bundle (consent texts, protocol and lots
    # written once for the clinic)
    bundle = fhir_services.export_patient_fhir(
        fake, source.clinician, patient.id, documents=documents
    )
    mine = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    assert mine <= ids
    for _kind, line in lines:  # every reference resolves across the files
        for reference in _references(json.loads(line)):
            assert reference == "#maker" or reference in ids, reference


def _references(value: Any) -> list[str]:
    if isinstance(value, dict):
        own = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return own + [r for v in value.values() for r in _references(v)]
    if isinstance(value, list):
        return [r for v in value for r in _references(v)]
    return []


def test_patients_are_read_a_page_at_a_time_and_each_export_is_audited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake, _documents, source, _target, _patient = _with_more_patients(6)
    asked: list[int] = []
    real = type(fake).records

    def spy(self: Any, kind: type) -> Any:
        found = real(self, kind)
        if kind is Patient:
            original = found.get_many

            def get_many(clinic_id: str, ids: Any) -> Any:
                asked.append(len(ids))
                return original(clinic_id, ids)

            found.get_many = get_many
        return found

    monkeypatch.setattr(type(fake), "records", spy)
    export = fhir_services.start_clinic_export(fake, source.admin, page_size=3)
    lines = export.lines()
    first = next(lines)
    assert first[0] in ("DocumentReference", "PlanDefinition", "Medication")
    assert asked == []  # nothing of the patients read before their lines are asked for
    rest = list(lines)
    assert asked == [3, 3, 1]
    audited = [e for e in fake.all(AuditEntry) if e.action == "export"]
    assert audited[0].record_kind == "clinic_fhir" and audited[0].detail == "patients=7"
    per_patient = [e for e in audited if e.record_kind == "patient"]
    assert len(per_patient) == 7 and all(
        e.detail.startswith("format=fhir_ndjson,") for e in per_patient
    )
    assert sum(1 for kind, _ in [first, *rest] if kind == "Patient") == 7


def test_without_documents_no_bytes_are_written() -> None:
    fake, _documents, source, _target, _patient = fake_world()
    lines = list(fhir_services.start_clinic_export(fake, source.admin).lines())
    assert not any('"data"' in line and '"image/' in line for _, line in lines)


@pytest.mark.parametrize("role", [Role.NURSE, Role.RECEPTION])
def test_the_bulk_export_needs_the_export_right(role: Role) -> None:
    fake, _documents, source, _target, _patient = fake_world()
    with pytest.raises(PermissionDeniedError):
        fhir_services.start_clinic_export(fake, actor_of(source.clinic, role))


def test_an_unknown_clinic_is_not_found() -> None:
    fake, _documents, _source, _target, _patient = fake_world()
    stranger = new_clinic("Nowhere", NOW)
    with pytest.raises(RecordNotFoundError):
        fhir_services.start_clinic_export(fake, fhir_services.cli_actor(stranger.id, NOW))


def test_the_cli_actor_is_an_admin_audited_as_cli() -> None:
    actor = fhir_services.cli_actor("c" * 22, NOW)
    assert actor.ctx.role == Role.ADMIN and actor.client == "cli" and actor.staff_id == "cli"
