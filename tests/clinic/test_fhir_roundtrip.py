"""A patient's record out as FHIR and back in, on the fakes: every resource validates against
the R4B models, an exported Bundle imports into an empty clinic with every record equal (ids
aside), and exporting the imported patient gives the same Bundle (ids aside)."""

from __future__ import annotations

import base64
import json
import re
from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from test_fhir_world import (
    CONSENT_TEXT,
    KB,
    LATER,
    PDF,
    ExosomeLot,
    Photo,
    actor_of,
    assert_same_records,
    count_rows,
    fake_world,
    make_side,
    patient_records,
    relabelled,
)

from regenaid.clinic import fhir_services, services
from regenaid.clinic.access import Role
from regenaid.clinic.audit import DETAIL_PATTERN, AuditEntry
from regenaid.clinic.errors import PermissionDeniedError, RecordNotFoundError, RefusedError
from regenaid.clinic.patients import ConsentForm


def validate_every_resource(bundle: dict[str, Any]) -> None:
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert entry["fullUrl"].endswith(f"/{resource['resourceType']}/{resource['id']}")


def references(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [r for v in value.values() for r in references(v)]
    if isinstance(value, list):
        return [r for v in value for r in references(v)]
    return []


def test_every_exported_resource_validates_and_every_reference_resolves() -> None:
    fake, documents, source, _target, patient = fake_world()
    bundle = fhir_services.export_patient_fhir(
        fake, source.clinician, patient.id, documents=documents
    )
    validate_every_resource(bundle)
    json.dumps(bundle)  # plain JSON all the way down
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    for kind in (
        "Patient",
        "Condition",
        "Consent",
        "CarePlan",
        "Procedure",
        "BiologicallyDerivedProduct",
        "Medication",
        "MedicationAdministration",
        "Observation",
        "AdverseEvent",
        "QuestionnaireResponse",
        "DocumentReference",
        "PlanDefinition",
    ):
        assert kind in kinds, kind
    here = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    for entry in bundle["entry"]:
        for reference in references(entry["resource"]):
            assert reference == "#maker" or reference in here, reference


def test_an_exported_bundle_imports_into_an_empty_clinic_with_nothing_lost() -> None:
    fake, documents, source, target, patient = fake_world()
    before_rows = count_rows(lambda: fake, target.clinic.id)
    assert set(before_rows.values()) == {0}
    bundle = fhir_services.export_patient_fhir(
        fake, source.clinician, patient.id, documents=documents
    )
    text = json.dumps(bundle)  # what travels is text
    result = fhir_services.import_patient_fhir(
        fake, target.clinician, KB, documents, json.loads(text)
    )
    before = patient_records(lambda: fake, source.clinic.id, patient.id)
    after = patient_records(lambda: fake, target.clinic.id, result.patient.id)
    ids = assert_same_records(before, after, target.clinic.id)
    # every document's bytes came along, under new keys
    for photo in before[Photo]:
        assert documents.files[ids[photo.file_key]] == documents.files[photo.file_key]
    lot = before[ExosomeLot][0]
    assert lot.coa_file is not None and documents.files[ids[lot.coa_file]] == PDF
    assert result.reused == {}
    assert sum(result.created.values()) == sum(len(v) for v in before.values())
    # the imported patient exports to the same Bundle, ids aside
    again = fhir_services.export_patient_fhir(
        fake, target.clinician, result.patient.id, documents=documents
    )
    validate_every_resource(again)
    assert relabelled(again) == relabelled(bundle)
    assert again["timestamp"] != bundle["timestamp"]


def test_without_the_documents_photos_travel_as_metadata_only() -> None:
    fake, documents, source, target, patient = fake_world()
    bundle = fhir_services.export_patient_fhir(fake, source.clinician, patient.id)
    attachments = [
        e["resource"]["content"][0]["attachment"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
    ]
    photos = [a for a in attachments if a["contentType"].startswith("image/")]
    assert len(photos) == 2 and all("data" not in a for a in photos)
    stored = dict(documents.files)
    result = fhir_services.import_patient_fhir(fake, target.clinician, KB, documents, bundle)
    assert documents.files == stored  # nothing to store
    before = patient_records(lambda: fake, source.clinic.id, patient.id)
    after = patient_records(lambda: fake, target.clinic.id, result.patient.id)
    assert_same_records(before, after, target.clinic.id)
    assert all(p.file_key not in documents.files for p in after[Photo])  # "not found" when opened


def test_photo_bytes_are_base64_of_the_stored_photo() -> None:
    fake, documents, source, _target, patient = fake_world()
    bundle = fhir_services.export_patient_fhir(
        fake, source.clinician, patient.id, documents=documents
    )
    photos = {
        p.sha256: p for p in patient_records(lambda: fake, source.clinic.id, patient.id)[Photo]
    }
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] != "DocumentReference" or "photo" not in json.dumps(
            resource["type"]
        ):
            continue
        sha = next(
            e["valueString"] for e in resource["extension"] if e["url"].endswith("/photo-sha256")
        )
        data = base64.b64decode(resource["content"][0]["attachment"]["data"])
        assert data == documents.files[photos[sha].file_key]


def test_a_second_import_reuses_the_clinics_consent_texts_protocol_and_lot() -> None:
    fake, documents, source, target, patient = fake_world()
    bundle = fhir_services.export_patient_fhir(
        fake, source.clinician, patient.id, documents=documents
    )
    first = fhir_services.import_patient_fhir(fake, target.clinician, KB, documents, bundle)
    stored = dict(documents.files)
    second = fhir_services.import_patient_fhir(fake, target.clinician, KB, documents, bundle)
    assert second.reused == {"consent_form": 3, "prp_protocol": 1, "exosome_lot": 1}
    assert "consent_form" not in second.created and "exosome_lot" not in second.created
    assert second.patient.id != first.patient.id
    assert len(documents.files) == len(stored) + 2  # the second patient's photos, no certificate
    records = patient_records(lambda: fake, target.clinic.id, second.patient.id)
    firsts = patient_records(lambda: fake, target.clinic.id, first.patient.id)
    assert records[ExosomeLot] == firsts[ExosomeLot]
    assert records[ConsentForm] == firsts[ConsentForm]


def test_importing_back_into_the_source_clinic_makes_a_second_patient() -> None:
    fake, documents, source, _target, patient = fake_world()
    bundle = fhir_services.export_patient_fhir(
        fake, source.clinician, patient.id, documents=documents
    )
    result = fhir_services.import_patient_fhir(fake, source.clinician, KB, documents, bundle)
    assert result.reused == {"consent_form": 3, "prp_protocol": 1, "exosome_lot": 1}
    before = patient_records(lambda: fake, source.clinic.id, patient.id)
    after = patient_records(lambda: fake, source.clinic.id, result.patient.id)
    assert_same_records(before, after, source.clinic.id)


def test_export_and_import_are_audited_without_personal_data() -> None:
    fake, documents, source, target, patient = fake_world()
    bundle = fhir_services.export_patient_fhir(
        fake, source.clinician, patient.id, documents=documents
    )
    result = fhir_services.import_patient_fhir(fake, target.clinician, KB, documents, bundle)
    entries = fake.all(AuditEntry)
    exported = [e for e in entries if e.action == "export" and e.record_id == patient.id]
    assert len(exported) == 1
    assert exported[0].detail == f"format=fhir_r4,resources={len(bundle['entry'])},files=3"
    imported = [e for e in entries if e.clinic_id == target.clinic.id and e.action == "create"]
    assert len(imported) == sum(result.created.values()) + 1
    assert {e.staff_id for e in imported} == {target.clinician.staff_id}
    summary = [e for e in imported if e.record_kind == "fhir_import"]
    assert summary[0].record_id == result.patient.id
    assert summary[0].detail.startswith(f"resources={len(bundle['entry'])},records=")
    for entry in entries:
        assert DETAIL_PATTERN.fullmatch(entry.detail)
        assert "silva" not in entry.detail and "@" not in entry.detail


@pytest.mark.parametrize("role", [Role.NURSE, Role.RECEPTION])
def test_only_clinicians_and_admins_export(role: Role) -> None:
    fake, documents, source, _target, patient = fake_world()
    with pytest.raises(PermissionDeniedError):
        fhir_services.export_patient_fhir(fake, actor_of(source.clinic, role), patient.id)
    admin = fhir_services.export_patient_fhir(fake, source.admin, patient.id, documents=documents)
    assert admin["entry"]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.NURSE, Role.RECEPTION])
def test_only_clinicians_import(role: Role) -> None:
    fake, documents, source, target, patient = fake_world()
    bundle = fhir_services.export_patient_fhir(fake, source.clinician, patient.id)
    before = count_rows(lambda: fake, target.clinic.id)
    with pytest.raises(PermissionDeniedError):
        fhir_services.import_patient_fhir(
            fake, actor_of(target.clinic, role, LATER), KB, documents, bundle
        )
    assert count_rows(lambda: fake, target.clinic.id) == before


def test_another_clinics_patient_is_not_found() -> None:
    fake, _documents, _source, target, patient = fake_world()
    with pytest.raises(RecordNotFoundError):
        fhir_services.export_patient_fhir(fake, target.clinician, patient.id)


def test_fhir_ids_are_valid_and_derived_from_the_record_ids() -> None:
    fake, documents, source, _target, patient = fake_world()
    bundle = fhir_services.export_patient_fhir(
        fake, source.clinician, patient.id, documents=documents
    )
    assert bundle["entry"][0]["resource"]["id"] == patient.id.replace("_", ".")
    for entry in bundle["entry"]:
        assert re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", entry["resource"]["id"])


def test_a_clinic_with_nothing_else_imports_a_bare_patient() -> None:
    fake, documents, source, _target, _patient = fake_world()
    bare = services.register_patient(
        fake,
        source.clinician,
        given_name="Zoë",
        family_name="O'Neil",
        birth_date=date(2000, 1, 1),
        sex="unknown",
        phone=None,
        email=None,
    )
    bundle = fhir_services.export_patient_fhir(fake, source.clinician, bare.id)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient"]
    validate_every_resource(bundle)
    other = make_side("Clinic C", fake, LATER)
    result = fhir_services.import_patient_fhir(fake, other.clinician, KB, documents, bundle)
    assert result.created == {"patient": 1}
    before = patient_records(lambda: fake, source.clinic.id, bare.id)
    after = patient_records(lambda: fake, other.clinic.id, result.patient.id)
    assert_same_records(before, after, other.clinic.id)


def _consenting(fake: Any, side: Any, procedure: str, text: str | None = None) -> Any:
    """A new patient of ``side`` consenting on a new version of ``procedure``'s text."""
    form = services.add_consent_form(
        fake, side.clinician, procedure=procedure, title="Consent", text=text or CONSENT_TEXT
    )
    patient = services.register_patient(
        fake,
        side.clinician,
        given_name="Bo",
        family_name="Lee",
        birth_date=date(1970, 5, 5),
        sex="male",
        phone=None,
        email=None,
    )
    services.record_consent(fake, side.clinician, patient.id, form.id)
    return patient


def test_a_later_text_of_the_same_clinic_becomes_the_current_one() -> None:
    fake, documents, source, target, _patient = fake_world()
    first = _consenting(fake, source, "combination")
    bundle = fhir_services.export_patient_fhir(fake, source.clinician, first.id)
    fhir_services.import_patient_fhir(fake, target.clinician, KB, documents, bundle)
    second = _consenting(fake, source, "combination", CONSENT_TEXT + " Now with a new paragraph.")
    bundle = fhir_services.export_patient_fhir(fake, source.clinician, second.id)
    texts = [
        e
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
        and "consent-form" in json.dumps(e["resource"]["type"])
    ]
    assert len(texts) == 2  # every version of the procedure's text travels
    result = fhir_services.import_patient_fhir(fake, target.clinician, KB, documents, bundle)
    assert result.reused == {"consent_form": 1} and result.created["consent_form"] == 1
    mine = [
        f for f in services.consent_forms(fake, target.clinician) if f.procedure == "combination"
    ]
    assert sorted(f.version for f in mine) == [1, 2]
    assert max(mine, key=lambda f: f.version).text.endswith("new paragraph.")


def test_a_newer_text_does_not_replace_the_clinics_own() -> None:
    fake, documents, source, target, _patient = fake_world()
    _consenting(fake, source, "combination")
    patient = _consenting(fake, source, "combination", CONSENT_TEXT + " Version two.")
    bundle = fhir_services.export_patient_fhir(fake, source.clinician, patient.id)
    # a Bundle holding only version 2 (edited by hand, or from another system)
    bundle["entry"] = [e for e in bundle["entry"] if not _text_version(e["resource"], 1)]
    services.add_consent_form(
        fake,
        target.clinician,
        procedure="combination",
        title="Ours",
        text="Our own words: " + CONSENT_TEXT,
    )
    rows = count_rows(lambda: fake, target.clinic.id)
    with pytest.raises(RefusedError) as caught:
        fhir_services.import_patient_fhir(fake, target.clinician, KB, documents, bundle)
    assert caught.value.code == "consent_form_conflict" and "current text" in caught.value.reason
    assert count_rows(lambda: fake, target.clinic.id) == rows


def _text_version(resource: dict[str, Any], version: int) -> bool:
    """Whether ``resource`` is a consent text (DocumentReference) of that version."""
    if resource["resourceType"] != "DocumentReference":
        return False
    return any(
        e["url"].endswith("/consent-form-version") and e["valueInteger"] == version
        for e in resource.get("extension", [])
    )
