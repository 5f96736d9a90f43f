"""The FHIR endpoints of the clinic API: ``GET /patients/{id}/fhir`` gives the Bundle (with or
without the photos' bytes), ``POST /fhir/import`` takes it into another clinic (201 with the
new patient), refuses bad FHIR with 422 naming the resource and element (nothing written),
a conflict with 409, a write without the CSRF header with 403; answers match the OpenAPI
document."""

from __future__ import annotations

import copy
from typing import Any

from clinic_api_world import Call, World
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import func, select

from regenaid.clinic import services
from regenaid.store.clinic_tables import metadata


def rows(world: World) -> dict[str, int]:
    with world.factory() as session:
        return {
            t.name: int(session.execute(select(func.count()).select_from(t)).scalar())
            for t in metadata.sorted_tables
        }


def exported(world: World, files: bool = True) -> tuple[Any, dict[str, Any]]:
    patient = world.a.measured_patient()
    answer = world.a.clients["clinician"].send(
        Call("GET", f"/patients/{patient.id}/fhir", params={"files": str(files).lower()})
    )
    assert answer.status_code == 200, answer.text
    return patient, answer.json()


def test_the_export_is_a_valid_bundle_file(world: World, openapi: Any) -> None:
    patient, bundle = exported(world)
    Bundle.model_validate(bundle)
    answer = world.a.clients["admin"].send(Call("GET", f"/patients/{patient.id}/fhir"))
    assert answer.headers["content-type"].startswith("application/fhir+json")
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="patient-{patient.id}.fhir.json"'
    )
    openapi["/api/v1/clinic/patients/{patient_id}/fhir"]["GET"].validate_response(answer)
    photos = [
        e["resource"]["content"][0]["attachment"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
    ]
    assert photos and all("data" in p for p in photos)
    _, bare = exported(world, files=False)
    assert not any(
        "data" in e["resource"]["content"][0]["attachment"]
        for e in bare["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
    )


def test_a_bundle_imports_into_the_other_clinic(world: World, openapi: Any) -> None:
    patient, bundle = exported(world)
    answer = world.b.clients["clinician"].send(Call("POST", "/fhir/import", bundle))
    assert answer.status_code == 201, answer.text
    openapi["/api/v1/clinic/fhir/import"]["POST"].validate_response(answer)
    body = answer.json()
    assert body["created"]["patient"] == 1 and body["created"]["measurement"] == 2
    chart = world.b.clients["clinician"].send(Call("GET", f"/patients/{body['patient_id']}")).json()
    assert chart["patient"]["family_name"] == patient.family_name
    # and it is not to be found in the clinic it came from
    again = world.a.clients["clinician"].send(Call("GET", f"/patients/{body['patient_id']}"))
    assert again.status_code == 404


def test_bad_fhir_is_422_with_the_element_and_nothing_is_written(
    world: World, openapi: Any
) -> None:
    _patient, bundle = exported(world)
    bad = copy.deepcopy(bundle)
    index, resource = next(
        (i, e["resource"])
        for i, e in enumerate(bad["entry"])
        if e["resource"]["resourceType"] == "Observation"
    )
    del resource["status"]
    before = rows(world)
    answer = world.b.clients["clinician"].send(Call("POST", "/fhir/import", bad))
    assert answer.status_code == 422, answer.text
    openapi["/api/v1/clinic/fhir/import"]["POST"].validate_response(answer)
    detail = answer.json()["detail"][0]
    assert detail["field"] == f"entry.{index}.resource(Observation/{resource['id']}).status"
    assert rows(world) == before


def test_not_a_bundle_is_422(world: World) -> None:
    clinician = world.b.clients["clinician"]
    for body in ({}, {"resourceType": "Patient"}, {"resourceType": "Bundle", "entry": []}):
        answer = clinician.send(Call("POST", "/fhir/import", body))
        assert answer.status_code == 422, answer.text
    listed = clinician.send(Call("POST", "/fhir/import", [1, 2]))
    assert listed.status_code == 422


def test_a_conflicting_consent_text_is_409(world: World, openapi: Any) -> None:
    patient = world.a.consenting_patient("prp")
    bundle = world.a.clients["clinician"].send(Call("GET", f"/patients/{patient.id}/fhir")).json()
    side = world.b
    services.add_consent_form(
        side.uow(),
        side.actor(),
        procedure="prp",
        title="Our own text",
        text="Clinic B's own words about this procedure, its risks and the alternatives.",
    )
    side.forget_forms()
    before = rows(world)
    answer = side.clients["clinician"].send(Call("POST", "/fhir/import", bundle))
    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "consent_form_conflict"
    openapi["/api/v1/clinic/fhir/import"]["POST"].validate_response(answer)
    assert rows(world) == before


def test_import_needs_the_csrf_header_and_the_clinician_role(world: World) -> None:
    _patient, bundle = exported(world)
    before = rows(world)
    no_header = world.b.clients["clinician"].send(Call("POST", "/fhir/import", bundle, csrf=False))
    assert no_header.status_code == 403
    for role in ("admin", "nurse", "reception"):
        answer = world.b.clients[role].send(Call("POST", "/fhir/import", bundle))
        assert answer.status_code == 403, role
    assert rows(world) == before
