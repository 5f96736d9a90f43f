"""FHIR pages: a patient's whole record downloaded as a FHIR R4 Bundle, and a Bundle another
clinic exported imported as a new patient (a file upload; on success the new patient's page,
on a refusal the form again with the resource and element at fault).

The mapping is in ``docs/clinic-fhir.md``; the use cases in
:mod:`regenaid.clinic.fhir_services`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse

from regenaid.clinic import fhir_services
from regenaid.clinic.access import Action
from regenaid.clinic.errors import RefusedError
from regenaid.clinic.staff import SignedIn
from regenaid.errors import InvalidInputError
from regenaid.web.clinic.auth import clinic_uow, signed_in
from regenaid.web.clinic.pages_common import (
    ClinicPageRoute,
    actor_of,
    documents_of,
    kb,
    page,
    staff_form,
    uploaded,
)

router = APIRouter(prefix="/clinic", route_class=ClinicPageRoute, include_in_schema=False)

BUNDLE_MAX_BYTES = 40 * 1024 * 1024
"""The largest Bundle the import page takes (photos travel base64-encoded inside it)."""
FIELD = "bundle"


@router.get("/patients/{patient_id}/fhir.json")
def download(request: Request, patient_id: str, who: SignedIn = Depends(signed_in)) -> Response:
    """The patient's record as a FHIR Bundle file, photos and certificates included."""
    bundle = fhir_services.export_patient_fhir(
        clinic_uow(request), actor_of(request, who), patient_id, documents=documents_of(request)
    )
    return Response(
        content=json.dumps(bundle, ensure_ascii=False),
        media_type="application/fhir+json",
        headers={
            "Content-Disposition": f'attachment; filename="patient-{patient_id}.fhir.json"',
            "Cache-Control": "no-store",
        },
    )


def _form(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    path: str | None = None,
    status: int = 200,
) -> Response:
    return page(
        request,
        "clinic/fhir_import.html",
        {
            "title": "Import a patient's record (FHIR)",
            "errors": errors or {},
            "refusal": refusal,
            "path": path,
            "max_mb": BUNDLE_MAX_BYTES // (1024 * 1024),
        },
        status_code=status,
    )


@router.get("/fhir/import")
def import_page(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    who.ctx.require(Action.IMPORT_PATIENT)
    return _form(request)


async def _bundle(form: FormData) -> Any:
    upload = await uploaded(form, FIELD, BUNDLE_MAX_BYTES)
    if upload is None:
        raise InvalidInputError(FIELD, "choose the Bundle file (JSON) to import")
    content = upload.content
    if not content:
        raise InvalidInputError(FIELD, "the file is empty")
    if len(content) > BUNDLE_MAX_BYTES:
        raise InvalidInputError(FIELD, f"at most {BUNDLE_MAX_BYTES // (1024 * 1024)} MB")
    try:
        return json.loads(content)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInputError(FIELD, f"is not a JSON file ({exc})") from None
    except RecursionError:
        raise InvalidInputError(FIELD, "is not a JSON file (nested too deeply)") from None


@router.post("/fhir/import")
async def import_bundle(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    form = await staff_form(request, who, max_files=1)
    try:
        who.ctx.require(Action.IMPORT_PATIENT)
        try:
            data = await _bundle(form)
        except InvalidInputError as err:
            return await run_in_threadpool(_form, request, errors={FIELD: err.message}, status=422)
    finally:
        await form.close()

    def work() -> Response:
        try:
            result = fhir_services.import_patient_fhir(
                clinic_uow(request), actor_of(request, who), kb(), documents_of(request), data
            )
        except InvalidInputError as err:
            return _form(request, refusal=err.message, path=err.field, status=422)
        except RefusedError as err:
            return _form(request, refusal=err.reason, path=err.field, status=409)
        return RedirectResponse(f"/clinic/patients/{result.patient.id}", status_code=303)

    return await run_in_threadpool(work)
