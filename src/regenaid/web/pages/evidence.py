"""The evidence page: per condition and treatment, the pooled effect with its forest plot,
certainty and reasons, the studies with links, and marketing claims beside the studies."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import HTMLResponse

from regenaid.knowledge import load_knowledge
from regenaid.knowledge.model import TREATMENT_IDS
from regenaid.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/evidence", response_class=HTMLResponse)
def evidence_page(
    request: Request, condition: str = "androgenetic_alopecia", treatment: str = "prp"
) -> HTMLResponse:
    kb = load_knowledge()
    if condition not in kb.conditions or treatment not in TREATMENT_IDS:
        raise HTTPException(status_code=404)
    return render(
        request,
        "evidence.html",
        {
            "conditions": list(kb.conditions.values()),
            "treatments": TREATMENT_IDS,
            "condition": kb.conditions[condition],
            "treatment": treatment,
        },
    )
