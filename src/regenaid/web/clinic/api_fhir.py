"""FHIR R4: a patient's whole record as a Bundle, and a Bundle imported as a new patient.

The mapping (which record becomes which resource, the code systems and extensions) is in
``docs/clinic-fhir.md``; the use cases are :mod:`regenaid.clinic.fhir_services`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response
from pydantic import BaseModel

from regenaid.clinic import fhir_services
from regenaid.web.clinic.api_common import (
    ClinicApiRoute,
    Reader,
    Writer,
    actor,
    documents,
    knowledge,
    responses,
    uow,
)
from regenaid.web.clinic.schemas import ID_PATTERN, Refusal

router = APIRouter(route_class=ClinicApiRoute)

FHIR_JSON = "application/fhir+json"
PatientId = Annotated[str, Path(pattern=ID_PATTERN, description="A patient's id")]
_BUNDLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A FHIR R4 Bundle (type collection) of the patient's resources.",
    "properties": {"resourceType": {"type": "string", "enum": ["Bundle"]}},
}


class FhirImported(BaseModel):
    """The new patient, and the records the import wrote and found already in the clinic."""

    patient_id: str
    created: dict[str, int]
    reused: dict[str, int]


@router.get(
    "/patients/{patient_id}/fhir",
    summary="A patient's whole record as FHIR R4",
    response_class=Response,
    responses=responses(
        403,
        404,
        r200={
            "description": "A FHIR R4 `collection` Bundle of the patient's resources (valid "
            "against the R4B models): Patient, Condition, QuestionnaireResponse, Consent and "
            "its DocumentReference, CarePlan, Procedure, BiologicallyDerivedProduct, "
            "Observation, Medication, MedicationAdministration, AdverseEvent, PlanDefinition "
            "and photos as DocumentReference (with their bytes unless `files=false`). "
            "Audited as an export.",
            "content": {FHIR_JSON: {"schema": _BUNDLE_SCHEMA}},
        },
    ),
)
def export_patient(
    patient_id: PatientId,
    who: Reader,
    request: Request,
    files: Annotated[
        bool, Query(description="Include photo and certificate bytes (base64); default yes")
    ] = True,
) -> Response:
    bundle = fhir_services.export_patient_fhir(
        uow(request),
        actor(request, who),
        patient_id,
        documents=documents(request) if files else None,
    )
    return Response(
        content=json.dumps(bundle, ensure_ascii=False),
        media_type=FHIR_JSON,
        headers={"Content-Disposition": f'attachment; filename="patient-{patient_id}.fhir.json"'},
    )


@router.post(
    "/fhir/import",
    status_code=201,
    response_model=FhirImported,
    summary="Import a patient's record from a FHIR R4 Bundle",
    responses=responses(
        403,
        r409={
            "model": Refusal,
            "description": "The Bundle conflicts with the clinic's own records "
            "(`consent_form_conflict`: another text under the same consent version, or a "
            "newer text than the clinic's own; `lot_conflict`: the clinic's lot of the same "
            "maker and number counts in another unit); nothing was written.",
        },
    ),
)
def import_patient(
    bundle: Annotated[
        dict[str, Any],
        Body(
            description="A Bundle exported by regenaid (`GET /patients/{id}/fhir`), as "
            "`application/json` or `application/fhir+json`. It is validated whole first; "
            "a refusal (422) names the resource and element, e.g. "
            "`entry.3.resource(Observation/abc).valueQuantity.value`, and writes nothing.",
            media_type="application/json",
        ),
    ],
    who: Writer,
    request: Request,
) -> FhirImported:
    result = fhir_services.import_patient_fhir(
        uow(request), actor(request, who), knowledge(), documents(request), bundle
    )
    return FhirImported(
        patient_id=result.patient.id, created=dict(result.created), reused=dict(result.reused)
    )
