"""The evidence page: per condition and treatment, the pooled effect with its forest plot,
certainty and reasons, the studies with links, and marketing claims beside the studies."""

from __future__ import annotations

import base64

from fastapi import APIRouter, HTTPException, Request
from markupsafe import Markup
from starlette.responses import HTMLResponse

from regenaid.evidence.profile import EvidenceProfile, evidence_profile
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
    profile = evidence_profile(kb.studies, condition, treatment)  # type: ignore[arg-type]
    cited = {sid: kb.sources[sid] for sid in _study_source_ids(profile) if sid in kb.sources}
    claims = [c for c in kb.claims if c.treatment == treatment]
    return render(
        request,
        "evidence.html",
        {
            "conditions": list(kb.conditions.values()),
            "treatments": TREATMENT_IDS,
            "condition": kb.conditions[condition],
            "treatment": treatment,
            "profile": profile,
            "cited": cited,
            "claims": claims,
            "sources": kb.sources,
            "forest": forest_plot(profile),
        },
    )


def _study_source_ids(profile: EvidenceProfile) -> list[str]:
    ids = list(profile.sources)
    for study in (*profile.studies, *profile.published):
        ids += [s for s in study.sources if s not in ids]
    return ids


def forest_plot(profile: EvidenceProfile) -> Markup | None:
    """E's forest plot as an ``<img>`` data URI (an image document, so its own styling is not
    inline style on our page), or None when there is nothing to plot."""
    if not profile.studies and not profile.published:
        return None
    from regenaid.reports.evidence_plots import forest_plot_svg

    svg = forest_plot_svg(profile)
    if not svg:
        return None
    data = base64.b64encode(svg.encode("utf-8") if isinstance(svg, str) else svg).decode()
    return Markup(f'<img class="chart" src="data:image/svg+xml;base64,{data}" alt="{{alt}}">')


@router.get("/evidence/sources", response_class=HTMLResponse)
def sources_page(request: Request) -> HTMLResponse:
    """Every bibliography entry, with an anchor per id (citations on other pages link here)."""
    kb = load_knowledge()
    entries = sorted(kb.sources.values(), key=lambda s: s.id)
    return render(request, "sources.html", {"entries": entries})
