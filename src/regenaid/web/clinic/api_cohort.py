"""The clinic's cohort beside the published evidence (:mod:`regenaid.clinic.cohort`), as JSON
or CSV: ``GET /api/v1/clinic/outcomes/cohort``.

Statuses: 200; 401 not signed in; 403 for a role that may not see outcomes (admin, reception);
422 for an unknown filter value, ``detail[0].field`` naming it. The answer names no patient:
counts, means and intervals only, small cells suppressed exactly as on the page.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from regenaid.clinic.access import Action
from regenaid.clinic.cohort import (
    CONCENTRATION_BANDS,
    PRP_SPLIT_LABELS,
    CohortView,
    cohort_filters,
)
from regenaid.clinic.cohort_services import cohort_view, export_cohort_csv
from regenaid.clinic.courses import COURSE_TREATMENTS
from regenaid.clinic.outcomes import outcome_catalogue
from regenaid.knowledge.model import CONDITIONS_BY_CONCERN
from regenaid.web.clinic.api_common import ClinicApiRoute, Reader, actor, knowledge, responses, uow

router = APIRouter(route_class=ClinicApiRoute)

_CONDITIONS = ", ".join(f"`{c}`" for group in CONDITIONS_BY_CONCERN.values() for c in group)
_MEASURES = ", ".join(
    f"`{m.id}`" for m in outcome_catalogue().measures.values() if m.kind == "amount"
)
_SPLITS = "; ".join(f"`{k}`: {v.lower()}" for k, v in PRP_SPLIT_LABELS.items())
_BANDS = ", ".join(label.removeprefix("concentration ") for _, label in CONCENTRATION_BANDS)


@router.get(
    "/outcomes/cohort",
    response_model=CohortView,
    summary="The clinic's cohort beside the published estimate",
    responses=responses(
        403,
        r200={
            "description": "Per condition, option (and PRP class) and measure: treated, "
            "followed up and lost; mean change with a 95% t-interval; responders with a "
            "Wilson interval; adverse events per 100 treatment sessions by CTCAE grade with an "
            "exact Poisson interval; the published pooled estimate the decision aid shows "
            "(or none); the caveat. JSON, or with `format=csv` the same as an RFC 4180 file. "
            "Counts of 1 to 4 patients are shown as `<5` with no statistics.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
    ),
)
def cohort(
    who: Reader,
    request: Request,
    condition: Annotated[
        str | None, Query(max_length=64, description=f"One condition: {_CONDITIONS}")
    ] = None,
    option: Annotated[
        str | None,
        Query(max_length=64, description=f"One option: {', '.join(COURSE_TREATMENTS)}"),
    ] = None,
    measure: Annotated[
        str | None, Query(max_length=64, description=f"One measure: {_MEASURES}")
    ] = None,
    prp_class: Annotated[
        str | None,
        Query(
            max_length=64,
            description=f"How PRP courses are split: {_SPLITS} (bands: {_BANDS}).",
        ),
    ] = None,
    format: Annotated[Literal["json", "csv"], Query(description="`json` or `csv`")] = "json",
) -> CohortView | Response:
    """Role first (403), then the filters (422). Audited as a read (JSON) or an export (CSV),
    with counts only."""
    the_actor = actor(request, who)
    the_actor.ctx.require(Action.VIEW_OUTCOMES)
    filters = cohort_filters(
        outcome_catalogue(),
        condition=condition,
        option=option,
        measure=measure,
        prp_class=prp_class,
    )
    if format == "csv":
        text = export_cohort_csv(uow(request), the_actor, knowledge(), filters)
        return Response(
            content=text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="cohort.csv"'},
        )
    return cohort_view(uow(request), the_actor, knowledge(), filters)
