"""The clinic's results beside the evidence: the cohort page and its CSV export.

``GET /clinic/outcomes/cohort`` shows, per condition, option (and PRP preparation class, when
chosen) and measure, the clinic's treated, followed-up and lost patients, mean change, responder
share and adverse-event rates, each beside the published estimate the decision aid shows, with
the caveat that an uncontrolled cohort is not a trial. ``GET /clinic/outcomes/cohort.csv`` is
the same view as a file. Filters are query parameters (a GET form, so the page works without
script); an unknown value is answered 422 with the message beside its field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from regenaid.clinic.access import Action
from regenaid.clinic.cohort import (
    GRADES,
    NO_PUBLISHED,
    PRP_SPLIT_LABELS,
    CohortFilters,
    cohort_filters,
)
from regenaid.clinic.cohort_services import cohort_view, export_cohort_csv
from regenaid.clinic.courses import COURSE_TREATMENTS
from regenaid.clinic.outcomes import outcome_catalogue, unit_text
from regenaid.clinic.staff import SignedIn
from regenaid.errors import InvalidInputError
from regenaid.evidence.profile import plain_unit
from regenaid.web.clinic.auth import clinic_uow, signed_in
from regenaid.web.clinic.pages_common import ClinicPageRoute, actor_of, kb, page

router = APIRouter(prefix="/clinic", route_class=ClinicPageRoute, include_in_schema=False)

OPTION_LABELS = {"prp": "PRP", "exosome": "Exosome treatment", "combination": "PRP with exosomes"}
FILTER_NAMES = ("condition", "option", "measure", "prp_class")


def _filters(request: Request) -> CohortFilters:
    query = request.query_params
    return cohort_filters(
        outcome_catalogue(),
        **{name: (query.get(name) or "").strip()[:64] or None for name in FILTER_NAMES},
    )


def number(x: float) -> str:
    """A statistic as people read it: 3 significant figures, 0 decimals from 100 on."""
    return f"{x:.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _choices() -> dict[str, list[tuple[str, str]]]:
    knowledge = kb()
    return {
        "condition": [(c.id, c.name) for c in knowledge.conditions.values()],
        "option": [(t, OPTION_LABELS[t]) for t in COURSE_TREATMENTS],
        "measure": [
            (m.id, m.label) for m in outcome_catalogue().measures.values() if m.kind == "amount"
        ],
        "prp_class": list(PRP_SPLIT_LABELS.items()),
    }


@router.get("/outcomes/cohort")
def cohort_page(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    who.ctx.require(Action.VIEW_OUTCOMES)  # a role that may not: 403 before any filter check
    values = {name: request.query_params.get(name, "") for name in FILTER_NAMES}
    context: dict[str, Any] = {
        "title": "Our results beside the evidence",
        "choices": _choices(),
        "values": values,
        "view": None,
        "condition_names": {c.id: c.name for c in kb().conditions.values()},
        "option_labels": OPTION_LABELS,
        "unit_text": unit_text,
        "plain_unit": plain_unit,
        "number": number,
        "grades": GRADES,
        "no_published": NO_PUBLISHED,
        "csv_query": request.url.query,
    }
    try:
        filters = _filters(request)
    except InvalidInputError as err:
        context["errors"] = {err.field: err.message}
        return page(request, "clinic/cohort.html", context, status_code=422)
    context["view"] = cohort_view(clinic_uow(request), actor_of(request, who), kb(), filters)
    return page(request, "clinic/cohort.html", context)


@router.get("/outcomes/cohort.csv")
def cohort_csv_file(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    who.ctx.require(Action.VIEW_OUTCOMES)
    text = export_cohort_csv(clinic_uow(request), actor_of(request, who), kb(), _filters(request))
    return Response(
        content=text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="cohort.csv"',
            "Cache-Control": "no-store",
        },
    )
