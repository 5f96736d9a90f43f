"""Outcomes: measurements, a patient's judged changes from baseline, photos (uploaded as
multipart, served as bytes, their marketing consent set one by one).

A photo upload is the API's one multipart request: at most 16 MB of body (the security
middleware's ``UPLOAD_PATH_LIMITS``), the image checked by its bytes (JPEG, PNG or WebP, the
declared type and name are not trusted) and stored re-encoded without EXIF under an
unguessable key. Photo bytes are served ``no-store`` and ``nosniff``, each read audited.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Path, Request, Response, UploadFile

from regenaid.clinic import outcome_services
from regenaid.clinic.outcomes import Measurement, outcome_catalogue
from regenaid.clinic.photos import PHOTO_MAX_BYTES
from regenaid.web.clinic.api_common import (
    PREFIX,
    ClinicApiRoute,
    Reader,
    Writer,
    actor,
    documents,
    responses,
    uow,
)
from regenaid.web.clinic.schemas import ID_PATTERN
from regenaid.web.clinic.schemas_outcomes import (
    MarketingConsentBody,
    MeasurementBody,
    PatientOutcomes,
    PhotoOut,
    change_out,
    photo_out,
)

router = APIRouter(route_class=ClinicApiRoute)

PatientId = Annotated[str, Path(pattern=ID_PATTERN, description="A patient's id")]
PhotoId = Annotated[str, Path(pattern=ID_PATTERN, description="A photo's id")]
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


def concern_of_view(view: str) -> str | None:
    """The concern whose standard views include ``view`` (hair and skin views differ)."""
    return next((c for c, views in outcome_catalogue().views.items() if view in views), None)


@router.post(
    "/measurements",
    status_code=201,
    response_model=Measurement,
    summary="Record an outcome measurement",
    responses=responses(403, 404),
)
def record_measurement(body: MeasurementBody, who: Writer, request: Request) -> Measurement:
    """A value outside the measure's plausible range, a method that does not measure it, a
    measure of another concern or condition than the course's, or a day in the future is
    refused (422) with the field named; the patient and course must be this clinic's (404)."""
    values = body.model_dump(exclude={"concern"})
    return outcome_services.record_measurement(
        uow(request), actor(request, who), concern=body.concern, **values
    )


@router.get(
    "/patients/{patient_id}/outcomes",
    response_model=PatientOutcomes,
    summary="A patient's measurements, judged changes and photos",
    responses=responses(403, 404),
)
def patient_outcomes(patient_id: PatientId, who: Reader, request: Request) -> PatientOutcomes:
    """Every measurement (oldest first); each later amount's change from its baseline judged
    against the method's published error (`no_measurable_change` when the error could explain
    it, `error_unknown` when the error is not known), with the error's and the noticeable
    threshold's sources; the photos' metadata. Audited as a read."""
    progress = outcome_services.patient_progress(uow(request), actor(request, who), patient_id)
    ordered = sorted(progress.measurements, key=lambda m: (m.measured_on, m.recorded_at))
    photos = sorted(progress.photos, key=lambda p: (p.taken_on, p.recorded_at))
    return PatientOutcomes(
        patient_id=patient_id,
        measurements=ordered,
        changes=[change_out(c) for c in progress.changes],
        photos=[photo_out(p, PREFIX) for p in photos],
    )


@router.post(
    "/patients/{patient_id}/photos",
    status_code=201,
    response_model=PhotoOut,
    summary="Upload a photo (multipart)",
    responses=responses(
        403,
        404,
        r413={
            "description": "Request body over 16 MB (plain text when `Content-Length` says "
            'so, otherwise `{"detail": "too_large"}`); the photo itself may be 15 MB.',
            "content": {
                "text/plain": {"schema": {"type": "string"}},
                "application/json": {
                    "schema": {"type": "object", "properties": {"detail": {"type": "string"}}}
                },
            },
        },
    ),
)
def upload_photo(
    patient_id: PatientId,
    who: Writer,
    request: Request,
    photo: Annotated[
        UploadFile,
        File(description="JPEG, PNG or WebP, at most 15 MB: checked by its bytes"),
    ],
    view: Annotated[
        str,
        Form(
            min_length=1,
            max_length=40,
            description="A standard view: hair "
            + ", ".join(outcome_catalogue().views["hair"])
            + "; skin "
            + ", ".join(outcome_catalogue().views["skin"]),
        ),
    ],
    taken_on: Annotated[date, Form(description="The day the photo was taken")],
    course_id: Annotated[str | None, Form(pattern=ID_PATTERN)] = None,
    concern: Annotated[
        Literal["hair", "skin"] | None,
        Form(description="Without a course: hair or skin (default: the view's)"),
    ] = None,
    marketing_consent: Annotated[
        bool, Form(description="The patient agreed to marketing use of this photo")
    ] = False,
    note: Annotated[str | None, Form(max_length=500)] = None,
) -> PhotoOut:
    """Stored without EXIF (location, camera, time), XMP or comments, re-encoded upright; a
    file that is not a JPEG, PNG or WebP image by its bytes is refused (422, `photo`).
    Marketing consent is off unless sent as true."""
    content = photo.file.read(PHOTO_MAX_BYTES + 1)
    stored = outcome_services.record_photo(
        uow(request),
        actor(request, who),
        documents(request),
        patient_id=patient_id,
        content=content,
        view=view,
        taken_on=taken_on,
        concern=concern or (None if course_id else concern_of_view(view)),
        course_id=course_id,
        marketing_consent=marketing_consent,
        note=note,
    )
    return photo_out(stored, PREFIX)


@router.get(
    "/photos/{photo_id}",
    summary="A photo's bytes",
    response_class=Response,
    responses=responses(
        403,
        404,
        409,
        r200={
            "description": "The stored image (without metadata), `Cache-Control: no-store`.",
            "content": {
                kind: {"schema": {"type": "string", "format": "binary"}} for kind in IMAGE_TYPES
            },
        },
    ),
)
def photo_bytes(photo_id: PhotoId, who: Reader, request: Request) -> Response:
    """Audited as a read; bytes that no longer match the upload's SHA-256 are refused (409,
    `photo_altered`)."""
    found = outcome_services.photo_content(
        uow(request), actor(request, who), documents(request), photo_id
    )
    photo = found.photo
    extension = photo.file_key.rsplit(".", 1)[-1]
    return Response(
        found.content,
        media_type=photo.content_type,
        headers={
            "content-disposition": (
                f'inline; filename="{photo.view}-{photo.taken_on.isoformat()}.{extension}"'
            ),
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
        },
    )


@router.patch(
    "/photos/{photo_id}",
    response_model=PhotoOut,
    summary="Set a photo's marketing consent",
    responses=responses(403, 404),
)
def set_marketing_consent(
    photo_id: PhotoId, body: MarketingConsentBody, who: Writer, request: Request
) -> PhotoOut:
    """Audited as an update of the photo."""
    photo = outcome_services.set_marketing_consent(
        uow(request), actor(request, who), photo_id, body.marketing_consent
    )
    return photo_out(photo, PREFIX)
