"""Small helpers shared by the assessment and the Option Grid: cached evidence profiles and
claims turned into labelled output records."""

from __future__ import annotations

import functools
import re
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


LEAD_WORDS = 25  # a grid cell leads with one plain sentence of at most this many words
_CITATION_ASIDE = r"\b(?:19|20)\d\d\b|\bstudies\b|\bpeople\b|\btrials\b"


def _drop_asides(text: str, pattern: str = r"\d") -> str:
    """``text`` without bracketed asides matching ``pattern`` (by default any holding a number:
    citations, years, intervals, study sizes); asides in words ("men only", "when it is
    advanced") stay, since they qualify."""
    spans: list[tuple[int, int]] = []
    stack: list[int] = []
    for i, ch in enumerate(text):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            start = stack.pop()
            if not stack and re.search(pattern, text[start:i]):
                spans.append((start, i + 1))
    for start, end in reversed(spans):
        text = text[:start] + text[end:]
    return re.sub(r"\s+([,.;:])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()


def _outside_brackets(text: str, mark: str) -> int:
    """Index of the first ``mark`` not inside brackets (-1 when there is none)."""
    depth = 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == mark and depth == 0:
            return i
    return -1


def lead_sentence(text: str, limit: int = LEAD_WORDS) -> str:
    """The first sentence of ``text`` in at most ``limit`` words: without citation asides; if
    still too long, without asides holding numbers, then without any aside; then up to its first
    semicolon, else cut at the last comma (or word) that fits outside brackets, ending in an
    ellipsis. The whole text stays behind "More", so nothing is lost; the lead adds no words."""
    sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip(), maxsplit=1)[0]
    # citations first ("(Kieling 2024)", "(13 studies, 431 people)"), then any number aside
    first = _drop_asides(sentence, _CITATION_ASIDE)
    for pattern in (r"\d", r"."):  # then asides with numbers, then any aside
        if len(first.split()) > limit:
            first = _drop_asides(first, pattern)
    if len(first.split()) <= limit:
        return first
    semi = _outside_brackets(first, ";")
    if semi > 0 and 5 <= len(first[:semi].split()) <= limit:
        return first[:semi].rstrip(".") + "."
    cut = " ".join(first.split()[: limit - 1])
    if cut.count("(") > cut.count(")"):  # an aside left open: cut before it
        cut = cut[: cut.rfind("(")]
    comma = cut.rfind(",")
    if comma > len(cut) // 2:
        cut = cut[:comma]
    return cut.rstrip(",;: ") + " …"
