"""Claims as claims, and where sources truly disagree.

Claims about the same treatment and topic, from different sources, conflict when

- two of them give ranges in the same unit that do not overlap ("1 to 2 weeks" vs "13 to 26
  weeks"); ranges that overlap or repeat each other ("every 3 to 6 months" twice) agree;
- or one of them says the opposite of the evidence: we marked it ``contradicted`` and the note
  says what the evidence shows (for example "no complications reported" against the FDA's
  notice of serious adverse events).

Different wording, one number beside no number, or a clinic page beside a study that says
something else without contradicting it are not conflicts: those claims are still listed with
their sources, but the aid does not flag them. Where a conflict is found, the conflicting
claims are shown side by side; the aid does not pick one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from regenaid.knowledge.model import Claim, Source

TOPIC_LABEL: dict[str, str] = {
    "time_to_results": "how soon results show",
    "sessions": "how many sessions are needed",
    "interval": "how far apart sessions are",
    "maintenance": "how often maintenance is needed",
    "duration": "how long results last",
    "price": "the price",
    "efficacy": "how well it works",
    "safety": "how safe it is",
    "side_effects": "side effects",
    "mechanism": "how it works",
    "suitability": "who it suits",
    "consistency": "how consistent products are",
    "invasiveness": "how invasive it is",
    "regulatory": "its approval status",
}


@dataclass(frozen=True, slots=True)
class Disagreement:
    """Claims on one topic that do not agree, each with its sources."""

    topic: str
    claims: tuple[Claim, ...]

    @property
    def text(self) -> str:
        """One plain sentence naming the topic and how many claims differ."""
        label = TOPIC_LABEL.get(self.topic, self.topic.replace("_", " "))
        return f"Sources disagree about {label} ({len(self.claims)} different claims)."


def _overlap(a: Claim, b: Claim) -> bool:
    """True when the two claims' ranges share a value (same unit) or cannot be compared."""
    if a.value is None or b.value is None or a.unit != b.unit:
        return True
    return a.value.low <= b.value.high and b.value.low <= a.value.high


def _conflicting(group: Sequence[Claim]) -> tuple[Claim, ...]:
    """The claims of one topic that conflict with another claim from a different source."""
    hits: list[Claim] = []
    for i, a in enumerate(group):
        for b in group[i + 1 :]:
            if set(a.sources) == set(b.sources):
                continue
            if not _overlap(a, b) or a.contradicted or b.contradicted:
                hits.extend(c for c in (a, b) if c not in hits)
    return tuple(c for c in group if c in hits)


def find_disagreements(claims: Iterable[Claim]) -> tuple[Disagreement, ...]:
    """Conflicts per topic, in the order topics first appear in ``claims``; each holds only
    the conflicting claims (their ranges and contradiction marks decide, not who said them)."""
    by_topic: dict[str, list[Claim]] = {}
    for claim in claims:
        by_topic.setdefault(claim.topic, []).append(claim)
    found = ((topic, _conflicting(group)) for topic, group in by_topic.items())
    return tuple(Disagreement(topic, hits) for topic, hits in found if hits)


def is_marketing(claim: Claim, sources: Mapping[str, Source]) -> bool:
    """True when any source of the claim is a marketing page (clinic article)."""
    return any(sources[s].is_marketing for s in claim.sources if s in sources)


def claim_label(claim: Claim, sources: Mapping[str, Source]) -> str:
    """How the claim is introduced: "Clinic claim" for marketing, else by source type."""
    types = {sources[s].type for s in claim.sources if s in sources}
    if "marketing" in types:
        return "Clinic claim"
    if claim.derived:
        return "Our calculation from published figures"
    if types & {"vendor", "trade_press"}:
        return "Industry claim"
    if types & {"peer_reviewed", "regulator", "society", "guideline"}:
        return "Published finding"
    return "Claim"
