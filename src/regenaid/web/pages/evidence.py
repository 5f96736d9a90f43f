"""The evidence page: per condition and treatment, the pooled effect with its forest plot,
certainty and reasons, the studies with links, and marketing claims beside the studies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from markupsafe import Markup
from starlette.responses import HTMLResponse

from regenaid.decide.disagreements import is_marketing
from regenaid.errors import InvalidInputError
from regenaid.evidence.profile import EvidenceProfile, evidence_profile
from regenaid.knowledge import load_knowledge
from regenaid.knowledge.model import TREATMENT_IDS, Claim, Source
from regenaid.web.templating import render, svg_image

router = APIRouter(include_in_schema=False)


@router.get("/evidence", response_class=HTMLResponse)
def evidence_page(
    request: Request, condition: str = "androgenetic_alopecia", treatment: str = "prp"
) -> HTMLResponse:
    kb = load_knowledge()
    if condition not in kb.conditions or treatment not in TREATMENT_IDS:
        raise HTTPException(status_code=404)
    profile = evidence_profile(kb.studies, condition, treatment)
    cited = {sid: kb.sources[sid] for sid in _study_source_ids(profile) if sid in kb.sources}
    claims = claims_by_topic([c for c in kb.claims if c.treatment == treatment], kb.sources)
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
            "forest": forest_plot(
                profile, request.app.state.templates.env.globals["t"]("evidence.forest_alt")
            ),
        },
    )


@dataclass(frozen=True)
class TopicClaims:
    """Claims on one topic, split into what adverts say and what studies/regulators say."""

    topic: str
    marketing: tuple[Claim, ...]
    evidence: tuple[Claim, ...]


def claims_by_topic(claims: list[Claim], sources: Mapping[str, Source]) -> list[TopicClaims]:
    """Group claims by topic (first-seen order); a claim is marketing when its sources are
    marketing sources (the clinic articles; the loader refuses claims that mix the two)."""
    topics = list(dict.fromkeys(c.topic for c in claims))
    return [
        TopicClaims(
            topic=topic.replace("_", " ").capitalize(),
            marketing=tuple(c for c in claims if c.topic == topic and is_marketing(c, sources)),
            evidence=tuple(c for c in claims if c.topic == topic and not is_marketing(c, sources)),
        )
        for topic in topics
    ]


def _study_source_ids(profile: EvidenceProfile) -> list[str]:
    ids = list(profile.sources)
    for study in (*profile.studies, *profile.published):
        ids += [s for s in study.sources if s not in ids]
    return ids


def forest_plot(profile: EvidenceProfile, alt: str) -> Markup | None:
    """E's forest plot as an ``<img>`` data URI (an image document, so matplotlib's own
    ``<style>`` is not inline style on our page), or None when fewer than two studies have
    numbers to plot."""
    from regenaid.reports.evidence_plots import forest_plot_of_studies

    try:
        plot = forest_plot_of_studies(profile.studies)
    except InvalidInputError:
        return None
    return svg_image(plot.svg, alt)


@router.get("/evidence/sources", response_class=HTMLResponse)
def sources_page(request: Request) -> HTMLResponse:
    """Every bibliography entry, with an anchor per id (citations on other pages link here)."""
    kb = load_knowledge()
    entries = sorted(kb.sources.values(), key=lambda s: s.id)
    return render(request, "sources.html", {"entries": entries})
