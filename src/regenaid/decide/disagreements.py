"""Claims as claims, and where sources disagree.

Claims about the same treatment and topic, from different sources, disagree when

- two of them give numbers (same unit) that are not the same range ("8 to 12 weeks" vs
  "3 to 6 months"), or one gives a number and another, on a topic where numbers are given,
  does not ("1 to 3 sessions" vs "multiple sessions");
- on a topic without numbers, clinic pages claim one thing and studies or regulators say
  another (a marketing and a non-marketing claim side by side), or we have noted that the
  evidence contradicts one of the claims.

Every claim of the topic is then shown with its sources; the aid does not pick one.
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


def _says_same(a: Claim, b: Claim) -> bool:
    if a.value is None or b.value is None:
        return False
    return (a.value.low, a.value.high, a.unit) == (b.value.low, b.value.high, b.unit)


def _topic_disagrees(group: Sequence[Claim], sources: Mapping[str, Source] | None) -> bool:
    pairs = [
        (a, b)
        for i, a in enumerate(group)
        for b in group[i + 1 :]
        if set(a.sources) != set(b.sources)
    ]
    if not pairs:
        return False
    if any(c.value is not None for c in group):
        return any(not _says_same(a, b) for a, b in pairs)
    if any(c.note for c in group):
        return True
    if sources is None:
        return True
    kinds = {is_marketing(c, sources) for c in group}
    return len(kinds) == 2


def find_disagreements(
    claims: Iterable[Claim], sources: Mapping[str, Source] | None = None
) -> tuple[Disagreement, ...]:
    """Disagreements per topic, in the order topics first appear in ``claims``.

    Without ``sources`` (the bibliography), claims without numbers that differ always count
    as disagreeing, since who makes them cannot be told apart.
    """
    by_topic: dict[str, list[Claim]] = {}
    for claim in claims:
        by_topic.setdefault(claim.topic, []).append(claim)
    return tuple(
        Disagreement(topic, tuple(group))
        for topic, group in by_topic.items()
        if len(group) >= 2 and _topic_disagrees(group, sources)
    )


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
