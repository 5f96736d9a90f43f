"""Small helpers shared by the assessment and the Option Grid: cached evidence profiles and
claims turned into labelled output records."""

from __future__ import annotations

import functools
from dataclasses import replace

from regenaid.decide.disagreements import claim_label, is_marketing
from regenaid.decide.results import ClaimOut, RangeOut
from regenaid.evidence.profile import EvidenceProfile, evidence_profile
from regenaid.knowledge import KnowledgeBase
from regenaid.knowledge.model import Claim, PriceRange, StudyOutcome, TreatmentId

_PRICE_KIND = {
    "clinic": "clinic prices",
    "consumer": "prices on consumer pages",
    "press": "prices reported in the press",
    "retail": "pharmacy or shop prices",
}


def price_basis(price: PriceRange) -> str:
    """Who quoted a price and when, e.g. 'clinic prices, 2026' ('' when neither is known)."""
    return ", ".join(x for x in (_PRICE_KIND.get(price.kind or ""), price.as_of) if x)


@functools.cache
def profile_for(
    kb: KnowledgeBase, condition: str, treatment: TreatmentId, severe: bool = False
) -> EvidenceProfile:
    """E's evidence profile of (condition, treatment) from ``kb.studies``, computed once.

    With ``severe`` (the person's disease is advanced), rows of studies that enrolled only
    severe disease (``stage: severe``, e.g. baricitinib for severe alopecia areata) are direct
    evidence for them, not indirect, so they may carry the headline."""
    return evidence_profile(_severe_table(kb) if severe else kb.studies, condition, treatment)


@functools.cache
def _severe_table(kb: KnowledgeBase) -> tuple[StudyOutcome, ...]:
    """The study table as a person with severe disease reads it (see :func:`profile_for`)."""
    return tuple(
        replace(s, extra={k: v for k, v in s.extra.items() if k != "indirectness"})
        if s.extra.get("stage") == "severe"
        else s
        for s in kb.studies
    )


def claim_out(claim: Claim, kb: KnowledgeBase) -> ClaimOut:
    """A claim with who makes it ("Clinic claim" for marketing pages) and its sources."""
    return ClaimOut(
        id=claim.id,
        topic=claim.topic,
        label=claim_label(claim, kb.sources),
        marketing=is_marketing(claim, kb.sources),
        text=claim.text,
        sources=list(claim.sources),
        value=RangeOut(low=claim.value.low, high=claim.value.high) if claim.value else None,
        unit=claim.unit,
        note=claim.note,
    )
