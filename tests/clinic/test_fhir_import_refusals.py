"""Bad FHIR is refused whole: each malformed Bundle below names the resource and the element
at fault, and the importing clinic has not one row, audit entry or stored file more."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from test_fhir_world import KB, count_rows, fake_world, lot_values, png

from regenaid.clinic import fhir_services, services, treatments
from regenaid.clinic.audit import AuditEntry
from regenaid.clinic.errors import RefusedError
from regenaid.errors import InvalidInputError

Bundle = dict[str, Any]


@pytest.fixture(scope="module")
def exported() -> Bundle:
    fake, documents, source, _target, patient = fake_world()
    return fhir_services.export_patient_fhir(
        fake, source.clinician, patient.id, documents=documents
    )


def find(
    bundle: Bundle, kind: str, test: Callable[[dict[str, Any]], bool] = lambda r: True
) -> tuple[int, dict[str, Any]]:
    for index, entry in enumerate(bundle["entry"]):
        resource = entry["resource"]
        if resource["resourceType"] == kind and test(resource):
            return index, resource
    raise AssertionError(f"no {kind}")


def where(bundle: Bundle, index: int) -> str:
    resource = bundle["entry"][index]["resource"]
    return f"entry[{index}].resource({resource['resourceType']}/{resource['id']})"


def ext(resource: dict[str, Any], name: str) -> dict[str, Any]:
    return next(e for e in resource["extension"] if e["url"].endswith("/" + name))


def ext_index(resource: dict[str, Any], name: str) -> int:
    return next(i for i, e in enumerate(resource["extension"]) if e["url"].endswith("/" + name))


def measure_code(code: str) -> Callable[[dict[str, Any]], bool]:
    return lambda r: any(c.get("code") == code for c in r["code"].get("coding", []))


# Each case: a change to the exported Bundle, and the path (or path start) it must name.
def _not_a_bundle(b: Bundle) -> str:
    b["resourceType"] = "Patient"
    return "resourceType"


def _wrong_type(b: Bundle) -> str:
    i, r = find(b, "Observation", measure_code("hair_density"))
    r["valueQuantity"]["value"] = "plenty"
    return where(b, i) + ".valueQuantity.value"


def _missing_required(b: Bundle) -> str:
    i, r = find(b, "Observation", measure_code("hair_density"))
    del r["status"]
    return where(b, i) + ".status"


def _unknown_element(b: Bundle) -> str:
    i, r = find(b, "Patient")
    r["favouriteColour"] = "green"
    return where(b, i) + ".favouriteColour"


def _bad_fhir_id(b: Bundle) -> str:
    i, r = find(b, "Consent")
    r["id"] = "has_underscore"
    return f"entry[{i}].resource(Consent/has_underscore).id"


def _unknown_resource_type(b: Bundle) -> str:
    b["entry"].append({"resource": {"resourceType": "Encounter", "id": "e1", "status": "finished"}})
    return f"entry[{len(b['entry']) - 1}].resource(Encounter/e1).resourceType"


def _reference_outside(b: Bundle) -> str:
    i, r = find(b, "Observation", measure_code("hair_density"))
    r["basedOn"] = [{"reference": "CarePlan/not-in-the-bundle"}]
    return where(b, i) + ".basedOn[0].reference"


def _subject_of_another_patient(b: Bundle) -> str:
    i, r = find(b, "AdverseEvent")
    r["subject"] = {"reference": "Patient/someone-else"}
    return where(b, i) + ".subject.reference"


def _implausible_measurement(b: Bundle) -> str:
    i, r = find(b, "Observation", measure_code("hair_density"))
    r["valueQuantity"]["value"] = 99999
    return where(b, i) + ".valueQuantity.value"


def _unknown_measure(b: Bundle) -> str:
    i, r = find(b, "Observation", measure_code("hair_density"))
    r["code"]["coding"][0]["code"] = "hair_happiness"
    return where(b, i) + ".code.coding"


def _wrong_unit(b: Bundle) -> str:
    i, r = find(b, "Observation", measure_code("hair_density"))
    r["valueQuantity"]["code"] = "/mm2"
    return where(b, i) + ".valueQuantity.code"


def _implausible_prp_count(b: Bundle) -> str:
    i, r = find(b, "Observation", measure_code("prp-platelets"))
    r["valueQuantity"]["value"] = 250000  # cells/µL typed where ×10³/µL is meant
    return where(b, i) + ".valueQuantity.value"


def _spin_too_fast(b: Bundle) -> str:
    i, r = find(b, "BiologicallyDerivedProduct")
    spin = r["processing"][1]["extension"][0]
    rpm = next(k for k, e in enumerate(spin["extension"]) if e["url"] == "rpm")
    spin["extension"][rpm]["valueDecimal"] = 60000
    return where(b, i) + f".processing[1].extension[0].extension[{rpm}].valueDecimal"


def _unknown_preparation_field(b: Bundle) -> str:
    i, r = find(b, "BiologicallyDerivedProduct")
    k = ext_index(r, "prp-preparation")
    data = json.loads(r["extension"][k]["valueString"])
    data["colour"] = "amber"
    r["extension"][k]["valueString"] = json.dumps(data)
    return where(b, i) + f".extension[{k}].valueString.colour"


def _grade_not_in_ctcae(b: Bundle) -> str:
    i, r = find(b, "AdverseEvent", lambda r: "Bruising" in r["event"]["text"])
    k = ext_index(r, "ctcae-grade")
    r["extension"][k]["valueInteger"] = 4
    return where(b, i) + f".extension[{k}].valueInteger"


def _edited_consent_text(b: Bundle) -> str:
    _i, form = find(b, "DocumentReference", lambda r: "consent-form" in json.dumps(r["type"]))
    text = base64.b64decode(form["content"][0]["attachment"]["data"]).decode()
    form["content"][0]["attachment"]["data"] = base64.b64encode(
        (text + " Edited.").encode()
    ).decode()
    target = f"DocumentReference/{form['id']}"
    i, consent = find(b, "Consent", lambda r: r["sourceReference"]["reference"] == target)
    return where(b, i) + f".extension[{ext_index(consent, 'consent-form-sha256')}].valueString"


def _altered_photo(b: Bundle) -> str:
    i, r = find(b, "DocumentReference", lambda r: "clinical-photo" in json.dumps(r["type"]))
    r["content"][0]["attachment"]["data"] = base64.b64encode(png(80, 64, (1, 2, 3))).decode()
    return where(b, i) + ".content[0].attachment.data"


def _two_patients(b: Bundle) -> str:
    _i, patient = find(b, "Patient")
    twin = copy.deepcopy(patient)
    twin["id"] = "twin"
    b["entry"].append({"resource": twin})
    return "entry"


def _no_export_tag(b: Bundle) -> str:
    del b["meta"]
    return "meta.tag"


def _staff_without_its_system(b: Bundle) -> str:
    i, r = find(b, "AdverseEvent")
    r["recorder"] = {"identifier": {"system": "urn:other", "value": "abc"}}
    return where(b, i) + ".recorder.identifier.system"


def _session_not_in_the_plan(b: Bundle) -> str:
    i, r = find(b, "AdverseEvent", lambda r: "Bruising" in r["event"]["text"])
    k = ext_index(r, "course-session")
    r["extension"][k]["extension"][1]["valueString"] = "no-such-activity"
    return where(b, i) + f".extension[{k}].extension[1].valueString"


def _future_measurement(b: Bundle) -> str:
    i, r = find(b, "Observation", measure_code("hair_density"))
    r["effectiveDateTime"] = "2099-01-01"
    return where(b, i) + ".effectiveDateTime"


def _done_in_the_future(b: Bundle) -> str:
    i, r = find(b, "Procedure")
    r["performedDateTime"] = "2099-01-01"
    return where(b, i) + ".performedDateTime"


def _deeply_nested_answers(b: Bundle) -> str:
    i, r = find(b, "QuestionnaireResponse", lambda r: "decision-aid" in r["questionnaire"])
    k = ext_index(r, "decision-aid-assessment")
    r["extension"][k]["valueString"] = "[" * 100_000 + "]" * 100_000
    return where(b, i) + f".extension[{k}].valueString"


def _duplicate_resource(b: Bundle) -> str:
    i, r = find(b, "Observation", measure_code("hair_density"))
    b["entry"].append(copy.deepcopy(b["entry"][i]))
    return f"entry[{len(b['entry']) - 1}].resource(Observation/{r['id']}).id"


CASES = [
    _not_a_bundle,
    _wrong_type,
    _missing_required,
    _unknown_element,
    _bad_fhir_id,
    _unknown_resource_type,
    _reference_outside,
    _subject_of_another_patient,
    _implausible_measurement,
    _unknown_measure,
    _wrong_unit,
    _implausible_prp_count,
    _spin_too_fast,
    _unknown_preparation_field,
    _grade_not_in_ctcae,
    _edited_consent_text,
    _altered_photo,
    _two_patients,
    _no_export_tag,
    _staff_without_its_system,
    _session_not_in_the_plan,
    _future_measurement,
    _done_in_the_future,
    _deeply_nested_answers,
    _duplicate_resource,
]


@pytest.mark.parametrize("change", CASES, ids=lambda c: c.__name__.strip("_"))
def test_bad_fhir_is_refused_naming_the_element_and_nothing_is_written(
    exported: Bundle, change: Callable[[Bundle], str]
) -> None:
    fake, documents, _source, target, _patient = fake_world()
    bundle = copy.deepcopy(exported)
    path = change(bundle)
    rows = count_rows(lambda: fake, target.clinic.id)
    audit = len(fake.all(AuditEntry))
    files = dict(documents.files)
    with pytest.raises(InvalidInputError) as caught:
        fhir_services.import_patient_fhir(fake, target.clinician, KB, documents, bundle)
    assert caught.value.field == path, caught.value
    assert count_rows(lambda: fake, target.clinic.id) == rows
    assert len(fake.all(AuditEntry)) == audit
    assert documents.files == files


def test_the_same_bundle_unchanged_is_accepted(exported: Bundle) -> None:
    """The cases above fail because of their change, not because of the Bundle."""
    fake, documents, _source, target, _patient = fake_world()
    result = fhir_services.import_patient_fhir(
        fake, target.clinician, KB, documents, copy.deepcopy(exported)
    )
    assert result.created["patient"] == 1


@pytest.mark.parametrize(
    "data", [None, [], "text", {"resourceType": "Bundle"}, {"resourceType": "Bundle", "entry": [1]}]
)
def test_what_is_not_a_bundle_at_all(data: Any) -> None:
    fake, documents, _source, target, _patient = fake_world()
    with pytest.raises(InvalidInputError):
        fhir_services.import_patient_fhir(fake, target.clinician, KB, documents, data)
    assert set(count_rows(lambda: fake, target.clinic.id).values()) == {0}


def test_a_clinic_with_its_own_consent_text_is_not_overruled(exported: Bundle) -> None:
    fake, documents, _source, target, _patient = fake_world()
    services.add_consent_form(
        fake,
        target.clinician,
        procedure="prp",
        title="Our PRP consent",
        text="Our own text about PRP: what it involves and its risks.",
    )
    rows = count_rows(lambda: fake, target.clinic.id)
    with pytest.raises(RefusedError) as caught:
        fhir_services.import_patient_fhir(
            fake, target.clinician, KB, documents, copy.deepcopy(exported)
        )
    assert caught.value.code == "consent_form_conflict"
    assert caught.value.field is not None and caught.value.field.startswith("entry[")
    assert count_rows(lambda: fake, target.clinic.id) == rows


def test_a_lot_counted_in_another_unit_is_refused(exported: Bundle) -> None:
    fake, documents, _source, target, _patient = fake_world()
    treatments.receive_lot(
        fake, target.admin, **lot_values(quantity_unit="vial", quantity_received="5")
    )
    rows = count_rows(lambda: fake, target.clinic.id)
    with pytest.raises(RefusedError) as caught:
        fhir_services.import_patient_fhir(
            fake, target.clinician, KB, documents, copy.deepcopy(exported)
        )
    assert caught.value.code == "lot_conflict"
    assert count_rows(lambda: fake, target.clinic.id) == rows


def test_a_failed_commit_leaves_no_file_behind(exported: Bundle) -> None:
    fake, documents, _source, target, _patient = fake_world()
    files = dict(documents.files)

    class Failing(type(fake)):  # type: ignore[misc]
        def commit(self) -> None:
            assert len(documents.files) > len(files)  # the bytes were written first
            raise RuntimeError("the database went away")

    failing = Failing()
    failing.committed = fake.committed
    with pytest.raises(RuntimeError):
        fhir_services.import_patient_fhir(
            failing, target.clinician, KB, documents, copy.deepcopy(exported)
        )
    assert documents.files == files
