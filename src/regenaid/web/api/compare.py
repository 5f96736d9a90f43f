"""``GET /api/v1/compare?condition=ID``: the Option Grid of a condition as JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from regenaid.decide import OptionGrid, build_grid
from regenaid.decide.codes import COUNTRY_CODES
from regenaid.errors import InvalidInputError
from regenaid.knowledge import load_knowledge

router = APIRouter(prefix="/api/v1", tags=["compare"])

DEFAULT_CONDITION = "androgenetic_alopecia"


@router.get(
    "/compare",
    response_model=OptionGrid,
    summary="Option Grid for a condition",
    responses={422: {"description": "Unknown condition or jurisdiction; lists what is allowed."}},
)
def compare(
    condition: Annotated[
        str, Query(description="Condition id, e.g. androgenetic_alopecia.")
    ] = DEFAULT_CONDITION,
    jurisdiction: Annotated[
        str | None, Query(description="ISO 3166-1 alpha-2 code for the regulatory row.")
    ] = None,
) -> Response:
    """Rows are the questions people ask; columns are the condition's options."""
    if jurisdiction is not None and jurisdiction not in COUNTRY_CODES:
        raise InvalidInputError(
            "jurisdiction", f"{jurisdiction!r} is not an ISO 3166-1 alpha-2 country code"
        )
    grid = build_grid(load_knowledge(), condition, jurisdiction)
    return Response(content=grid.model_dump_json(), media_type="application/json")
