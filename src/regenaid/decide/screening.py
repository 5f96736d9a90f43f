"""Screening: which options are open to this person now, and why not.

Every :class:`~regenaid.knowledge.model.Contraindication` rule in the knowledge base is applied:
when the intake's ``health.<code>`` flag is true, each treatment the rule names gets the rule's
level. Levels combine as "worst wins": contraindicated > defer > caution > eligible. A deferred
option carries the rule's ``come_back`` text (when to return).

Earlier treatments do not change eligibility; they add notes (e.g. PRP gave no response before)
that ranking turns into a lower expected benefit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from regenaid.decide.intake import Intake, PriorTreatmentId
from regenaid.knowledge.base import KnowledgeBase
from regenaid.knowledge.model import Contraindication, Eligibility, TreatmentId

SEVERITY_OF_LEVEL: dict[Eligibility, int] = {
    "eligible": 0,
    "caution": 1,
    "defer": 2,
    "contraindicated": 3,
}
NOT_RANKED: frozenset[Eligibility] = frozenset({"contraindicated", "defer"})

# Earlier treatments whose response tells us something about an option (by treatment id).
PRIOR_EVIDENCE_FOR: dict[TreatmentId, tuple[PriorTreatmentId, ...]] = {
    "prp": ("prp",),
    "exosome": ("exosome",),
    "combination": ("prp", "exosome"),
    "conventional": ("minoxidil", "finasteride", "dutasteride"),
}


@dataclass(frozen=True, slots=True)
class Reason:
    """Why an option has its eligibility (or a note that affects expectations)."""

    code: str
    text: str
    sources: tuple[str, ...] = ()
    level: Eligibility = "eligible"
    come_back: str | None = None


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """The eligibility of one option with its reasons (worst first) and notes."""

    treatment: TreatmentId
    eligibility: Eligibility
    reasons: tuple[Reason, ...]
    notes: tuple[Reason, ...] = ()

    @property
    def ranked(self) -> bool:
        """False for contraindicated and deferred options: they are never ranked."""
        return self.eligibility not in NOT_RANKED

    @property
    def come_back(self) -> tuple[str, ...]:
        """When to come back, for each deferral reason."""
        return tuple(r.come_back for r in self.reasons if r.come_back)


def worst(levels: Iterable[Eligibility]) -> Eligibility:
    """The most restrictive level (contraindicated > defer > caution > eligible)."""
    result: Eligibility = "eligible"
    for level in levels:
        if SEVERITY_OF_LEVEL[level] > SEVERITY_OF_LEVEL[result]:
            result = level
    return result


def screen_contraindications(
    flags_on: Iterable[str],
    rules: Sequence[Contraindication],
    treatments: Sequence[TreatmentId],
) -> dict[TreatmentId, tuple[Reason, ...]]:
    """Reasons per treatment from every rule whose health flag is on, in rule order."""
    on = set(flags_on)
    found: dict[TreatmentId, list[Reason]] = {t: [] for t in treatments}
    for rule in rules:
        if rule.code not in on:
            continue
        for treatment in rule.treatments:
            if treatment in found:
                found[treatment].append(
                    Reason(rule.code, rule.text, rule.sources, rule.level, rule.come_back)
                )
    return {t: tuple(rs) for t, rs in found.items()}


def prior_treatment_notes(intake: Intake, treatment: TreatmentId) -> tuple[Reason, ...]:
    """Notes from earlier treatments that bear on this option's expected benefit."""
    notes: list[Reason] = []
    for prior in PRIOR_EVIDENCE_FOR.get(treatment, ()):
        response = intake.prior_response(prior)
        if response is None or response == "unknown":
            continue
        label = PRIOR_LABEL[prior]
        text = {
            "none": f"You said {label} did not help you before, so we expect less from it now.",
            "partial": f"You said {label} helped you partly before.",
            "good": f"You said {label} worked well for you before, so we expect more from it.",
        }[response]
        notes.append(Reason(f"prior_{prior}_{response}", text))
    return tuple(notes)


PRIOR_LABEL: dict[str, str] = {
    "prp": "PRP",
    "exosome": "exosome therapy",
    "minoxidil": "minoxidil",
    "finasteride": "finasteride",
    "dutasteride": "dutasteride",
}


def screen_options(
    intake: Intake,
    rules: Sequence[Contraindication],
    treatments: Sequence[TreatmentId],
) -> dict[TreatmentId, ScreeningResult]:
    """Screen each of ``treatments`` against the ``rules`` that cover the intake's condition
    (pure; the records are arguments). A rule limited to some conditions is skipped elsewhere."""
    covering = [r for r in rules if r.applies_to(intake.condition)]
    by_treatment = screen_contraindications(intake.health.flags_on(), covering, treatments)
    results: dict[TreatmentId, ScreeningResult] = {}
    for treatment in treatments:
        reasons = tuple(sorted(by_treatment[treatment], key=lambda r: -SEVERITY_OF_LEVEL[r.level]))
        results[treatment] = ScreeningResult(
            treatment=treatment,
            eligibility=worst(r.level for r in reasons),
            reasons=reasons,
            notes=prior_treatment_notes(intake, treatment),
        )
    return results


def screen(intake: Intake, kb: KnowledgeBase) -> dict[TreatmentId, ScreeningResult]:
    """Screen the options of the intake's condition against every rule in ``kb``."""
    condition = kb.conditions[intake.condition]
    return screen_options(intake, kb.contraindications, condition.treatments)
