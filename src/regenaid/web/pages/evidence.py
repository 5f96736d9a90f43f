"""The evidence page: per condition and treatment, the pooled effect with its forest plot,
certainty and reasons, the studies with links, and marketing claims beside the studies."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import HTMLResponse

from regenaid.decide.disagreements import is_marketing
from regenaid.errors import InvalidInputError
from regenaid.evidence.profile import EvidenceProfile, evidence_profile
from regenaid.knowledge import KnowledgeBase, load_knowledge
from regenaid.knowledge.model import TREATMENT_IDS, Claim, Source, TreatmentId
from regenaid.web.templating import render, strings, svg_image

router = APIRouter(include_in_schema=False)


@router.get("/evidence", response_class=HTMLResponse)
def evidence_page(
    request: Request, condition: str = "androgenetic_alopecia", treatment: str = "prp"
) -> HTMLResponse:
    kb = load_knowledge()
    if condition not in kb.conditions or treatment not in TREATMENT_IDS:
        raise HTTPException(status_code=404)
    profile = evidence_profile(kb.studies, condition, treatment)
    forest = forest_svg(kb, condition, treatment)
    t = strings(request)
    cited = {sid: kb.sources[sid] for sid in _study_source_ids(profile) if sid in kb.sources}
    # claims about the other concern (hair claims on an acne-scar page) are left out
    claims = claims_by_topic(list(kb.claims_about(treatment, condition=condition)), kb.sources)
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
            "forest": None if forest is None else svg_image(forest, t("evidence.forest_alt")),
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


@functools.lru_cache(maxsize=64)
def forest_svg(kb: KnowledgeBase, condition: str, treatment: TreatmentId) -> str | None:
    """E's forest plot of the studies the page lists, as SVG text, or None when fewer than two
    studies have numbers to plot. Drawn once per (knowledge base, condition, treatment): a
    matplotlib drawing takes about a tenth of a second and the studies do not change."""
    from regenaid.reports.evidence_plots import forest_plot_of_studies

    profile = evidence_profile(kb.studies, condition, treatment)
    try:
        return forest_plot_of_studies(profile.studies).svg
    except InvalidInputError:
        return None


@router.get("/evidence/sources", response_class=HTMLResponse)
def sources_page(request: Request) -> HTMLResponse:
    """Every bibliography entry, with an anchor per id (citations on other pages link here)."""
    kb = load_knowledge()
    entries = sorted(kb.sources.values(), key=lambda s: s.id)
    return render(request, "sources.html", {"entries": entries})
