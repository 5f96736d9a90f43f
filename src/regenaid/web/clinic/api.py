"""The clinic's JSON API under ``/api/v1/clinic`` (same sessions and permissions as the pages).

The routes live in ``api_staff`` (session, ``/me``, staff, audit), ``api_patients``
(patients, consent, courses, sessions), ``api_treatments`` (PRP, exosome lots and
recalls, adverse events), ``api_outcomes`` (measurements, changes, photos) and
``api_cohort`` (the clinic's cohort beside the published evidence); ``api_common`` holds what
they share: who is asking, the CSRF check and how the clinic's errors become
statuses (401, 403, 404, 409, 422).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from regenaid.web.clinic import (
    api_cohort,
    api_fhir,
    api_outcomes,
    api_patients,
    api_staff,
    api_treatments,
)
from regenaid.web.clinic.api_common import PREFIX, ClinicApiRoute

router = APIRouter(prefix=PREFIX, tags=["clinic"])
for _module in (api_staff, api_patients, api_treatments, api_outcomes, api_cohort, api_fhir):
    router.include_router(_module.router)


def _no_such_path() -> JSONResponse:
    return JSONResponse({"detail": "Not Found"}, status_code=404)


# A path ending in "/" is no endpoint: 404, where Starlette would redirect "/patients/" (a
# patient id left empty) to "/patients", another endpoint with other methods (a PATCH meant
# for one patient would end as 405 on the list).
router.add_api_route(
    "/{rest:path}/",
    _no_such_path,
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
    route_class_override=ClinicApiRoute,
)
