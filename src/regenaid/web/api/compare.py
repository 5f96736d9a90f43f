"""``GET /api/v1/compare?condition=ID``: the Option Grid of a condition as JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from regenaid.decide import OptionGrid, build_grid
from regenaid.decide.codes import COUNTRY_CODES
from regenaid.decide.intake import ALL_CONDITIONS
from regenaid.errors import InvalidInputError
from regenaid.knowledge import load_knowledge
from regenaid.web.api.errors import ERROR_RESPONSES, JsonApiRoute, invalid_input_doc

router = APIRouter(prefix="/api/v1", tags=["compare"], route_class=JsonApiRoute)

DEFAULT_CONDITION = "androgenetic_alopecia"


@router.get(
    "/compare",
    response_model=OptionGrid,
    summary="Option Grid for a condition",
    responses={
        **ERROR_RESPONSES,
        422: invalid_input_doc("Unknown condition or jurisdiction; lists what is allowed."),
    },
)
def compare(
    # Plain strings checked here (not Literals), so a 422 lists the allowed values; the enums
    # put those values in the schema.
    condition: Annotated[
        str,
        Query(
            description="Condition id, e.g. androgenetic_alopecia.",
            json_schema_extra={"enum": list(ALL_CONDITIONS)},
        ),
    ] = DEFAULT_CONDITION,
    jurisdiction: Annotated[
        str | None,
        Query(
            description="ISO 3166-1 alpha-2 code for the regulatory row.",
            json_schema_extra={"enum": sorted(COUNTRY_CODES)},
        ),
    ] = None,
) -> Response:
    """Rows are the questions people ask; columns are the condition's options."""
    if jurisdiction is not None and jurisdiction not in COUNTRY_CODES:
        raise InvalidInputError(
            "jurisdiction", f"{jurisdiction!r} is not an ISO 3166-1 alpha-2 country code"
        )
    grid = build_grid(load_knowledge(), condition, jurisdiction)
    return Response(content=grid.model_dump_json(), media_type="application/json")
