"""The FHIR pages: "Download FHIR" on the patient's page gives the whole record as a Bundle
file; the import page takes such a file into another clinic and shows the new patient, or
shows why not (the resource and element) with nothing written."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from clinic_pages_world import World, form_tokens, now, password_hash, sign_in, text_of
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import func, select

from regenaid.clinic.access import Role
from regenaid.clinic.accounts import StaffAccount, new_clinic
from regenaid.clinic.ids import new_id
from regenaid.store.clinic_tables import metadata
from regenaid.store.files import FileDocumentStore
from regenaid.web.security import MAX_BODY_BYTES, upload_limit


def rows(world: World) -> dict[str, int]:
    with world.app.state.engine.connect() as connection:
        return {
            t.name: int(connection.execute(select(func.count()).select_from(t)).scalar())
            for t in metadata.sorted_tables
        }


def second_clinician(world: World) -> StaffAccount:
    """A clinician of a second, empty clinic in the same app."""
    other = new_clinic("Hillside Hair Clinic", now(), "GB")
    account = StaffAccount(
        id=new_id(),
        clinic_id=other.id,
        email="clinician@hillside.example",
        display_name="Hillside Clinician",
        role=Role.CLINICIAN,
        password_hash=password_hash(),
        totp_secret=None,
        totp_last_used_step=None,
        active=True,
        created_at=now(),
    )
    with world.uow() as uow:
        uow.directory.add_clinic(other)
        uow.records(StaffAccount).add(account)
        uow.commit()
    return account


def a_patient_with_a_photo(world: World) -> Any:
    patient, _session = world.ready_patient("prp")
    world.outcomes(patient)
    return patient


def upload(staff: Any, content: bytes, name: str = "patient.fhir.json") -> Any:
    page = staff.get("/clinic/fhir/import")
    assert page.status_code == 200
    site, token = form_tokens(page.text)
    return staff.client.post(
        "/clinic/fhir/import",
        data={"csrf_token": site, "staff_csrf": token},
        files={"bundle": (name, content, "application/fhir+json")},
        follow_redirects=False,
    )


@pytest.mark.parametrize(
    ("role", "shown"),
    [("clinician", True), ("admin", True), ("nurse", False), ("reception", False)],
)
def test_the_patient_page_offers_the_download_to_roles_that_may_export(
    world: World, role: str, shown: bool
) -> None:
    patient = world.patient()
    page = world.as_role(role).get(f"/clinic/patients/{patient.id}")
    assert page.status_code == 200
    assert ("Download FHIR" in page.text) is shown
    assert (f"/clinic/patients/{patient.id}/fhir.json" in page.text) is shown


def test_download_gives_a_valid_bundle_file(world: World) -> None:
    patient = a_patient_with_a_photo(world)
    response = world.as_role("clinician").get(f"/clinic/patients/{patient.id}/fhir.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["cache-control"] == "no-store"
    bundle = response.json()
    Bundle.model_validate(bundle)
    photos = [
        e["resource"]["content"][0]["attachment"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
        and e["resource"]["content"][0]["attachment"]["contentType"] == "image/jpeg"
    ]
    assert len(photos) == 1 and photos[0]["data"]


@pytest.mark.parametrize(("role", "status"), [("nurse", 403), ("reception", 403)])
def test_download_is_refused_to_roles_that_may_not_export(
    world: World, role: str, status: int
) -> None:
    patient = world.patient()
    response = world.as_role(role).get(f"/clinic/patients/{patient.id}/fhir.json")
    assert response.status_code == status
    assert "Silva" not in response.text


def test_a_downloaded_record_imports_into_another_clinic_unchanged(world: World) -> None:
    patient = a_patient_with_a_photo(world)
    content = world.as_role("clinician").get(f"/clinic/patients/{patient.id}/fhir.json").content
    stranger = sign_in(world.browser(), second_clinician(world))
    answer = upload(stranger, content)
    assert answer.status_code == 303, text_of(answer.text)[:500]
    new_id_ = answer.headers["location"].rsplit("/", 1)[1]
    assert new_id_ != patient.id
    page = stranger.get(answer.headers["location"])
    assert page.status_code == 200 and "Ana Silva" in text_of(page.text)
    again = stranger.get(f"/clinic/patients/{new_id_}/fhir.json").json()
    original = json.loads(content)
    assert len(again["entry"]) == len(original["entry"])
    photo = next(
        e["resource"]["content"][0]["attachment"]["data"]
        for e in again["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
        and e["resource"]["content"][0]["attachment"]["contentType"] == "image/jpeg"
    )
    assert photo == next(
        e["resource"]["content"][0]["attachment"]["data"]
        for e in original["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
        and e["resource"]["content"][0]["attachment"]["contentType"] == "image/jpeg"
    )


def test_a_refused_bundle_shows_the_element_and_writes_nothing(world: World) -> None:
    patient = a_patient_with_a_photo(world)
    bundle = world.as_role("clinician").get(f"/clinic/patients/{patient.id}/fhir.json").json()
    bad = copy.deepcopy(bundle)
    index, resource = next(
        (i, e["resource"])
        for i, e in enumerate(bad["entry"])
        if e["resource"]["resourceType"] == "Observation"
    )
    resource["valueQuantity"]["value"] = 99999
    stranger = sign_in(world.browser(), second_clinician(world))
    before = rows(world)
    files = sorted(
        p.name for p in FileDocumentStore(world.app.state.settings.files_dir).folder.iterdir()
    )
    answer = upload(stranger, json.dumps(bad).encode())
    assert answer.status_code == 422
    text = text_of(answer.text)
    assert "Not imported" in text and "Nothing of this file was written" in text
    assert f"entry[{index}].resource(Observation/{resource['id']}).valueQuantity.value" in text
    assert "Hair density must be between 0 and 700" in text
    assert rows(world) == before
    assert (
        sorted(
            p.name for p in FileDocumentStore(world.app.state.settings.files_dir).folder.iterdir()
        )
        == files
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"{not json", "is not a JSON file"),
        (b'{"resourceType": "Patient"}', "must be Bundle"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
    ids=["empty", "not-json", "not-a-bundle", "too-deep"],
)
def test_what_is_not_a_bundle_is_refused_on_the_form(
    world: World, content: bytes, message: str
) -> None:
    staff = world.as_role("clinician")
    before = rows(world)
    answer = upload(staff, content)
    assert answer.status_code == 422
    assert message in text_of(answer.text)
    assert rows(world) == before


@pytest.mark.parametrize("role", ["admin", "nurse", "reception"])
def test_only_clinicians_import(world: World, role: str) -> None:
    staff = world.as_role(role)
    assert staff.get("/clinic/fhir/import").status_code == 403
    staff.get("/clinic")
    answer = staff.post(
        "/clinic/fhir/import", files={"bundle": ("x.json", b"{}", "application/json")}
    )
    assert answer.status_code == 403


def test_the_import_form_checks_both_csrf_tokens(world: World) -> None:
    staff = world.as_role("clinician")
    staff.get("/clinic/fhir/import")
    answer = staff.client.post(
        "/clinic/fhir/import",
        data={"csrf_token": staff.csrf},
        files={"bundle": ("x.json", b"{}", "application/json")},
        follow_redirects=False,
    )
    assert answer.status_code == 403


def test_the_import_paths_take_a_bundle_with_photos() -> None:
    for path in ("/clinic/fhir/import", "/api/v1/clinic/fhir/import"):
        assert upload_limit("POST", path, MAX_BODY_BYTES) >= 40 * 1024 * 1024
    assert upload_limit("GET", "/clinic/fhir/import", MAX_BODY_BYTES) == MAX_BODY_BYTES
