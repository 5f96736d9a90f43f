"""GRADE-style certainty of a body of evidence, from documented rules (see docs/evidence.md).

The rules follow the GRADE handbook (Schünemann et al., eds., 2013) and its guideline series
(Guyatt et al. 2011, J Clin Epidemiol 64:383-394 and the articles that follow it), made
mechanical so the same table always gives the same rating:

1. Start: high (4) when every study is randomised, low (2) otherwise.
2. Risk of bias: down 1 when more than half of the weight comes from studies rated ``high`` or
   ``unclear``; down 2 when more than half comes from ``high`` alone.
3. Inconsistency: down 1 when I² > 50% or the prediction interval crosses no effect while the
   CI does not; down 2 when I² > 75% and the prediction interval crosses no effect.
4. Imprecision: down 1 when the CI crosses no effect (or no effect size with a CI was
   published); down 1 more when the total number of people is below the optimal information
   size of 400 (GRADE's rule of thumb for continuous outcomes, Guyatt et al. 2011, J Clin
   Epidemiol 64:1283-1293); down 1 more for a single study (not replicated). Up to 3 levels in
   all: GRADE guidance 34 (Zeng et al. 2022, J Clin Epidemiol 150:216-224) advises rating down
   two or three levels when the evidence is far short of the optimal information size, as a
   single small study without a published effect size and interval is.
5. Indirectness: down 1 when more than half of the weight comes from studies flagged as
   indirect (other population, product or outcome than the question).
6. Publication bias: only assessed with 10 or more studies (Sterne et al. 2011, BMJ 343:d4002):
   down 1 when Egger's test gives p < 0.10 or trim-and-fill imputes missing studies whose
   addition moves the estimate to the other side of no effect.

Each step that lowers the rating adds one plain-language reason. The evidence profile rates its
own pools only from 3 studies on (``profile.MIN_STUDIES_TO_POOL``); below that it rates the best
single study (k = 1) or uses a published review's printed rating.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from regenaid.knowledge.model import Certainty

OPTIMAL_INFORMATION_SIZE: Final = 400
MIN_STUDIES_FOR_PUBLICATION_BIAS: Final = 10


@dataclass(frozen=True, slots=True)
class StudyWeight:
    """What the rules need to know about one pooled study."""

    weight: float
    randomised: bool
    risk_of_bias: str  # low | some_concerns | high | unclear
    indirect: bool = False


@dataclass(frozen=True, slots=True)
class BodyOfEvidence:
    """Inputs to :func:`rate_certainty` for one comparison."""

    studies: Sequence[StudyWeight]
    total_n: int
    ci_crosses_null: bool
    pi_crosses_null: bool | None  # None when no prediction interval (k < 2)
    I2: float | None
    egger_p: float | None = None  # only when k >= 10
    trimfill_crosses_null: bool | None = None
    effect_known: bool = True  # False when the studies published no effect size with a range


@dataclass(frozen=True, slots=True)
class CertaintyRating:
    certainty: Certainty
    reasons: tuple[str, ...]


def _share(studies: Sequence[StudyWeight], flagged: Sequence[bool]) -> float:
    total = sum(s.weight for s in studies)
    if total <= 0:
        return 0.0
    return sum(s.weight for s, f in zip(studies, flagged, strict=True) if f) / total


def rate_certainty(body: BodyOfEvidence) -> CertaintyRating:
    """Apply the rules in the module docstring and say why each downgrade happened."""
    studies = body.studies
    k = len(studies)
    if k == 0:
        return CertaintyRating(Certainty.VERY_LOW, ("There are no studies to rate.",))
    all_randomised = all(s.randomised for s in studies)
    level = 4 if all_randomised else 2
    reasons: list[str] = []
    if not all_randomised:
        reasons.append("Some studies were not randomised, so the rating starts at low.")

    high = _share(studies, [s.risk_of_bias == "high" for s in studies])
    high_or_unclear = _share(studies, [s.risk_of_bias in ("high", "unclear") for s in studies])
    source = "The study has" if k == 1 else "Most of the evidence comes from studies with"
    if high > 0.5:
        level -= 2
        reasons.append(f"{source} a high risk of bias.")
    elif high_or_unclear > 0.5:
        level -= 1
        reasons.append(f"{source} flaws or unclear methods.")

    if body.I2 is not None and k >= 2:
        pi_crosses = bool(body.pi_crosses_null) and not body.ci_crosses_null
        if body.I2 > 75 and body.pi_crosses_null:
            level -= 2
            reasons.append(
                f"Results varied a lot between studies (I² {body.I2:.0f}%), and some studies "
                "could show no benefit at all."
            )
        elif body.I2 > 50 or pi_crosses:
            level -= 1
            reasons.append(f"Results varied between studies (I² {body.I2:.0f}%).")

    imprecision = 0
    if not body.effect_known:
        imprecision += 1
        reasons.append("No effect size with a range was published, so precision is unknown.")
    elif body.ci_crosses_null:
        imprecision += 1
        reasons.append("The range of likely effects includes no effect.")
    if body.total_n < OPTIMAL_INFORMATION_SIZE:
        imprecision += 1
        who = "one study" if k == 1 else f"{k} studies"
        reasons.append(f"Few people were studied ({body.total_n} in {who}).")
    if k == 1:
        imprecision += 1
        reasons.append("Only one study: its result has not been repeated.")
    level -= min(imprecision, 3)

    if _share(studies, [s.indirect for s in studies]) > 0.5:
        level -= 1
        who = "The study" if k == 1 else "Most studies"
        reasons.append(f"{who} tested a different product, group or outcome than asked.")

    if k >= MIN_STUDIES_FOR_PUBLICATION_BIAS:
        egger = body.egger_p is not None and body.egger_p < 0.10
        if egger or body.trimfill_crosses_null:
            level -= 1
            reasons.append(
                "Small studies showed bigger effects, a sign that some went unpublished."
            )
    return CertaintyRating(Certainty.from_level(level), tuple(reasons))
