"""Values-weighted ranking: a simple additive multi-criteria score with reasons.

The method (documented with each scoring function's reasoning in ``docs/ranking.md``)::

    score = B * benefit + (1 - B) * sum_i(p_i * a_i) / sum_i(p_i)        (B = BENEFIT_WEIGHT)

- ``a_i`` in 0..1 is the option's score on attribute i (evidence, speed, fewer_sessions,
  low_maintenance, cost, autologous, avoid_blood_draw), higher = better for the person;
- ``p_i`` in 0..4 is the person's priority for that attribute (0 = does not matter). A priority
  the person did not rate counts 0 (CONTRACT §1): there is no default weight, and the why lines
  name the priorities that were not rated;
- ``benefit`` in 0..1 is the expected benefit: what the evidence for this condition, in people
  like the person, lets us expect, lowered or raised by the person's earlier response to the
  same treatment and by severity. It is always counted, because it is why anyone chooses a
  treatment at all; when no priority counts the score is the benefit alone. An option that no
  study tested in this condition in people like the person is credited no more than the
  natural course (what waiting brings); the combination no more than its weaker part.
- an option with ``caution`` loses ``CAUTION_PENALTY`` (it needs a clinician's check first).

Unknown stays unknown: an attribute whose value nobody knows (time to results, whether and how
often top-ups are needed, and so the number of sessions) scores the least favourable value
among the options in this comparison, and never more than ``UNKNOWN_NEUTRAL``: it can never
raise an option's fit above the others', and the why line says "nobody knows".

This is the weighted-sum (simple additive weighting) model of multi-attribute value theory
(Keeney & Raiffa 1976; Belton & Stewart 2002, ch. 5), with swing-free direct ratings: the
intake's 0..4 ratings are the weights. Contraindicated and deferred options are not scored.
Ties are broken by the evidence score, then by ``TIE_ORDER`` (the option that asks less of the
person first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from regenaid.decide.intake import Intake, PriorTreatmentId
from regenaid.decide.screening import ScreeningResult
from regenaid.knowledge.model import TREATMENT_IDS, Certainty, Range, TreatmentId

BENEFIT_WEIGHT = 0.4
CAUTION_PENALTY = 0.05
WHY_THRESHOLD = 0.01  # contributions smaller than this are not worth a line
SPEED_HORIZON_WEEKS = 52.0  # results later than a year score 0 on speed
SESSIONS_CAP = 12.0  # 12 or more clinic sessions over the horizon score 0
MAINTENANCE_FULL_WEEKS = 52.0  # maintenance once a year or less often scores 1
# An unknown attribute scores the least favourable known value in the comparison, and never more
# than this (the middle of the scale): uncertainty is never scored as a strength.
UNKNOWN_NEUTRAL = 0.5
# Exact ties (same score, same evidence score) go to the option that asks less of the person:
# no new treatment, then usual first care, then the newer treatments by how established they are.
TIE_ORDER: tuple[TreatmentId, ...] = ("no_treatment", "conventional", "prp", "exosome", "combination")

ATTRIBUTES: tuple[str, ...] = (
    "evidence",
    "speed",
    "fewer_sessions",
    "low_maintenance",
    "cost",
    "autologous",
    "avoid_blood_draw",
)
PRIORITY_LABEL: dict[str, str] = {
    "evidence": "strong evidence",
    "speed": "seeing results soon",
    "fewer_sessions": "fewer sessions",
    "low_maintenance": "little maintenance",
    "cost": "cost",
    "autologous": "using only your own body's material",
    "avoid_blood_draw": "avoiding a blood draw",
}
CERTAINTY_LEVEL: dict[Certainty, int] = {c: c.level for c in Certainty}
CERTAINTY_WORDS: dict[Certainty, str] = {
    Certainty.HIGH: "high",
    Certainty.MODERATE: "moderate",
    Certainty.LOW: "low",
    Certainty.VERY_LOW: "very low",
}

# Expected benefit before personal adjustments, by certainty of evidence. A treatment whose
# benefit is better established is a safer expectation; no new treatment adds no benefit.
BASE_BENEFIT: dict[Certainty, float] = {
    Certainty.HIGH: 0.8,
    Certainty.MODERATE: 0.7,
    Certainty.LOW: 0.55,
    Certainty.VERY_LOW: 0.4,
}
NO_TREATMENT_BENEFIT = 0.1
# Conditions whose natural course (as cited in conditions.yaml) is often recovery: there, no new
# treatment is expected to bring some benefit by itself. By severity; see docs/ranking.md.
NATURAL_RECOVERY_BENEFIT: dict[str, dict[str, float]] = {
    # "usually temporary: ... hair grows back over several months" (Ozlu & Karadag 2017)
    "telogen_effluvium": {"mild": 0.5, "moderate": 0.5, "advanced": 0.4},
    # "small patches often regrow on their own ... less likely when widespread" (MSD Manual)
    "alopecia_areata": {"mild": 0.4, "moderate": 0.25, "advanced": 0.1},
    # "most scars ... flatten and fade over months as they mature" (Westra 2016)
    "scars": {"mild": 0.3, "moderate": 0.25, "advanced": 0.15},
}
CHRONIC_TE_MONTHS = 6  # telogen effluvium lasting longer is called chronic (same source)
CHRONIC_TE_BENEFIT = 0.2
NULL_EFFECT_CAP = 0.35  # when the headline estimate's interval includes no effect

# Multipliers on expected benefit from an earlier response to the same treatment.
PRIOR_RESPONSE_FACTOR: dict[str, float] = {"none": 0.5, "partial": 0.85, "good": 1.25}
# For the combination, an earlier response to one of its two parts counts half as much.
PARTIAL_PRIOR_WEIGHT = 0.5
# Multipliers for advanced disease (few follicles left / deep scarring; see docs/ranking.md).
ADVANCED_FACTOR: dict[str, dict[TreatmentId, float]] = {
    "hair": {"prp": 0.6, "exosome": 0.6, "combination": 0.6, "conventional": 0.8},
    "skin": {"prp": 0.8, "exosome": 0.8, "combination": 0.8, "conventional": 0.9},
}


@dataclass(frozen=True, slots=True)
class OptionFacts:
    """What ranking needs to know about one option (built from the knowledge base)."""

    treatment: TreatmentId
    name: str
    certainty: Certainty
    time_to_results_weeks: Range | None  # None: brings no new results (no treatment)
    sessions_over_horizon: Range
    maintenance_interval_weeks: Range | None
    horizon_cost: float  # expected total over the horizon, in ``currency``
    currency: str
    autologous: float  # 1 = only own material, 0.5 = partly, 0 = none of it
    blood_draw: bool
    null_effect: bool = False  # the headline estimate's 95% interval includes no effect
    natural_course: str | None = None  # for no_treatment: the condition's cited natural course
    # Unknown stays unknown: False when nobody knows whether or how often maintenance is needed
    # (``maintenance_interval_weeks`` is then None too). For an active option,
    # ``time_to_results_weeks is None`` means no study in this condition measured it.
    maintenance_known: bool = True
    # True when at least one study of this option in this condition included people like the
    # person (by sex); without any, no more benefit than the natural course is credited.
    studied: bool = True
    mode: str = "clinic_course"  # "daily_home": sessions are review visits, care is daily


@dataclass(frozen=True, slots=True)
class RankedOption:
    """The ranking result for one option; ``score``/``rank`` are None when not ranked."""

    treatment: TreatmentId
    score: float | None
    rank: int | None
    benefit: float
    attributes: Mapping[str, float]
    why: tuple[str, ...] = field(default_factory=tuple)


# --- attribute scores -------------------------------------------------------------------------


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def evidence_score(certainty: Certainty) -> float:
    """high 1, moderate 2/3, low 1/3, very low 0 (linear in GRADE levels)."""
    return (CERTAINTY_LEVEL[certainty] - 1) / 3


def speed_score(time_to_results_weeks: Range | None) -> float:
    """1 - midpoint weeks / 52, clamped; no new treatment (no new results) scores 0."""
    if time_to_results_weeks is None:
        return 0.0
    return _clamp(1 - time_to_results_weeks.mid / SPEED_HORIZON_WEEKS)


def sessions_score(sessions: Range) -> float:
    """1 - midpoint sessions over the horizon / 12, clamped (no sessions scores 1)."""
    return _clamp(1 - sessions.mid / SESSIONS_CAP)


def maintenance_score(maintenance_interval_weeks: Range | None) -> float:
    """No maintenance scores 1; otherwise the midpoint interval / 52 weeks, clamped."""
    if maintenance_interval_weeks is None:
        return 1.0
    return _clamp(maintenance_interval_weeks.mid / MAINTENANCE_FULL_WEEKS)


def cost_score(cost: float, budget: float | None, most_expensive: float) -> float:
    """Against a budget: 1 - cost / (2 * budget), clamped (free 1, at budget 0.5, twice the
    budget or more 0). Without a comparable budget: 1 - cost / the dearest option's cost."""
    if budget is not None:
        return _clamp(1 - cost / (2 * budget))
    if most_expensive <= 0:
        return 1.0
    return _clamp(1 - cost / most_expensive)


def attribute_scores(
    facts: OptionFacts, budget: float | None, most_expensive: float
) -> dict[str, float]:
    """All seven attribute scores of one option, each in 0..1."""
    return {
        "evidence": evidence_score(facts.certainty),
        "speed": speed_score(facts.time_to_results_weeks),
        "fewer_sessions": sessions_score(facts.sessions_over_horizon),
        "low_maintenance": maintenance_score(facts.maintenance_interval_weeks),
        "cost": cost_score(facts.horizon_cost, budget, most_expensive),
        "autologous": _clamp(facts.autologous),
        "avoid_blood_draw": 0.0 if facts.blood_draw else 1.0,
    }


# --- expected benefit ----------------------------------------------------------------------------


PRIOR_PARTS: dict[TreatmentId, tuple[tuple[PriorTreatmentId, float], ...]] = {
    "prp": (("prp", 1.0),),
    "exosome": (("exosome", 1.0),),
    "combination": (("prp", PARTIAL_PRIOR_WEIGHT), ("exosome", PARTIAL_PRIOR_WEIGHT)),
    "conventional": (("minoxidil", 1.0), ("finasteride", 1.0), ("dutasteride", 1.0)),
}
PRIOR_NAME: dict[str, str] = {
    "prp": "PRP",
    "exosome": "exosome therapy",
    "minoxidil": "minoxidil",
    "finasteride": "finasteride",
    "dutasteride": "dutasteride",
}


def expected_benefit(facts: OptionFacts, intake: Intake) -> tuple[float, tuple[str, ...]]:
    """Expected benefit in 0..1 and plain lines saying what changed it."""
    lines: list[str] = []
    if facts.treatment == "no_treatment":
        return _natural_course_benefit(facts, intake)
    benefit = BASE_BENEFIT[facts.certainty]
    if facts.null_effect:
        benefit = min(benefit, NULL_EFFECT_CAP)
        lines.append(
            f"The best available estimate for {facts.name} includes no effect, "
            "so we expect little from it."
        )
    # Conventional care is several medicines: use the most informative earlier response.
    parts = PRIOR_PARTS.get(facts.treatment, ())
    factors: list[tuple[str, str, float]] = []
    for part, weight in parts:
        known = intake.prior_response(part)
        if known is not None and known in PRIOR_RESPONSE_FACTOR:
            factor = 1 + weight * (PRIOR_RESPONSE_FACTOR[known] - 1)
            factors.append((part, known, factor))
    if facts.treatment == "conventional" and factors:
        factors = [max(factors, key=lambda f: (abs(f[2] - 1), f[0]))]
    for prior, response, factor in factors:
        before = benefit
        benefit = _clamp(benefit * factor)
        verb = "lowered" if benefit < before else "raised"
        said = {"none": "did not help you", "partial": "helped you partly", "good": "worked well"}
        lines.append(
            f"You said {PRIOR_NAME[prior]} {said[response]} before: "
            f"we {verb} the benefit we expect from {facts.name} "
            f"from {before:.2f} to {benefit:.2f}."
        )
    if intake.resolved_severity == "advanced":
        factor = ADVANCED_FACTOR[intake.concern].get(facts.treatment, 1.0)
        if factor != 1.0:
            before = benefit
            benefit = _clamp(benefit * factor)
            lines.append(
                f"Your condition is advanced: we expect less from {facts.name} "
                f"({before:.2f} lowered to {benefit:.2f})."
            )
    return benefit, tuple(lines)


def _natural_course_benefit(facts: OptionFacts, intake: Intake) -> tuple[float, tuple[str, ...]]:
    """No new treatment: what the natural course brings by itself (usually nothing new)."""
    course = f" Natural course: {facts.natural_course}" if facts.natural_course else ""
    table = NATURAL_RECOVERY_BENEFIT.get(intake.condition)
    if table is None:
        return NO_TREATMENT_BENEFIT, (
            f"No new treatment adds no new benefit; the condition follows its natural course."
            f"{course}",
        )
    benefit = table[intake.resolved_severity]
    lines = [
        f"This condition often improves by itself, so we expect some benefit ({benefit:.2f}) "
        f"from waiting.{course}"
    ]
    chronic = (
        intake.condition == "telogen_effluvium"
        and intake.duration_months is not None
        and intake.duration_months > CHRONIC_TE_MONTHS
    )
    if chronic:
        benefit = min(benefit, CHRONIC_TE_BENEFIT)
        lines.append(
            f"Your shedding has lasted {intake.duration_months} months (chronic), so waiting "
            f"is less likely to be enough ({benefit:.2f})."
        )
    return benefit, tuple(lines)


# --- ranking -------------------------------------------------------------------------------------


def _describe(attribute: str, facts: OptionFacts, months: int, budget: float | None) -> str:
    """A plain phrase with the fact behind the attribute score."""
    name = facts.name
    if facts.treatment == "no_treatment" and attribute in _NOTHING:
        return _NOTHING[attribute]
    if attribute == "evidence":
        return f"the evidence for {name} is of {CERTAINTY_WORDS[facts.certainty]} certainty"
    if attribute == "speed":
        ttr = facts.time_to_results_weeks
        if ttr is None:
            return f"{name} does not speed anything up"
        return f"{name} shows results in about {_span(ttr)} weeks"
    if attribute == "fewer_sessions":
        sessions = _span(facts.sessions_over_horizon)
        return f"{name} means about {sessions} clinic sessions in {months} months"
    if attribute == "low_maintenance":
        m = facts.maintenance_interval_weeks
        if m is None:
            return f"{name} needs no maintenance sessions"
        return f"{name} needs maintenance every {_span(m)} weeks"
    if attribute == "cost":
        text = f"{name} costs about {facts.currency} {facts.horizon_cost:,.0f} over {months} months"
        if budget is not None:
            text += ", within your budget" if facts.horizon_cost <= budget else ", over your budget"
        return text
    if attribute == "autologous":
        if facts.autologous >= 1:
            return f"{name} uses only your own body's material"
        if facts.autologous > 0:
            return f"{name} uses partly your own material and partly material from elsewhere"
        return f"{name} uses material that does not come from your body"
    return f"{name} needs a blood draw" if facts.blood_draw else f"{name} needs no blood draw"


_NOTHING: dict[str, str] = {
    "fewer_sessions": "no new treatment means no clinic sessions",
    "low_maintenance": "no new treatment needs no maintenance",
    "cost": "no new treatment costs nothing",
    "autologous": "no new treatment puts nothing into your body",
    "avoid_blood_draw": "no new treatment needs no blood draw",
}


def _span(r: Range) -> str:
    lo, hi = f"{r.low:g}", f"{r.high:g}"
    return lo if lo == hi else f"{lo}-{hi}"


def _effect_words(delta: float) -> str:
    size = abs(delta)
    amount = "a lot" if size >= 0.08 else "somewhat" if size >= 0.03 else "a little"
    return f"{'raised' if delta > 0 else 'lowered'} its fit {amount} ({delta:+.2f})"


def rank_options(
    facts: Sequence[OptionFacts],
    screening: Mapping[TreatmentId, ScreeningResult],
    intake: Intake,
    budget: float | None = None,
) -> dict[TreatmentId, RankedOption]:
    """Score and rank ``facts`` for ``intake``. ``budget`` is the budget amount when it is in
    the options' currency (else None: cost is scored relative to the dearest option)."""
    months = intake.horizon_months
    priorities = intake.priorities.model_dump()
    given = intake.priorities.model_fields_set
    total_priority = sum(priorities[a] for a in ATTRIBUTES)
    most_expensive = max((f.horizon_cost for f in facts), default=0.0)

    scored: dict[TreatmentId, dict[str, float]] = {}
    benefits: dict[TreatmentId, tuple[float, tuple[str, ...]]] = {}
    for f in facts:
        scored[f.treatment] = attribute_scores(f, budget, most_expensive)
        benefits[f.treatment] = expected_benefit(f, intake)

    ranked = [f for f in facts if screening[f.treatment].ranked]
    means = {
        a: sum(scored[f.treatment][a] for f in ranked) / len(ranked) if ranked else 0.0
        for a in ATTRIBUTES
    }

    scores: dict[TreatmentId, float] = {}
    whys: dict[TreatmentId, tuple[str, ...]] = {}
    for f in ranked:
        attrs = scored[f.treatment]
        benefit, benefit_lines = benefits[f.treatment]
        if total_priority > 0:
            values = sum(priorities[a] * attrs[a] for a in ATTRIBUTES) / total_priority
            score = BENEFIT_WEIGHT * benefit + (1 - BENEFIT_WEIGHT) * values
        else:
            score = benefit
        lines = list(benefit_lines)
        if screening[f.treatment].eligibility == "caution":
            score -= CAUTION_PENALTY
            lines.append(
                f"Needs a clinician's check first (caution), which lowered its fit "
                f"({-CAUTION_PENALTY:+.2f})."
            )
        scores[f.treatment] = _clamp(score)
        contributions: list[tuple[float, int, str]] = []
        if total_priority > 0:
            for index, a in enumerate(ATTRIBUTES):
                p = priorities[a]
                if p == 0:
                    continue
                delta = (1 - BENEFIT_WEIGHT) * p / total_priority * (attrs[a] - means[a])
                if abs(delta) < WHY_THRESHOLD:
                    continue
                rated = (
                    f"You rated {PRIORITY_LABEL[a]} {p}/4"
                    if a in given
                    else f"{PRIORITY_LABEL[a].capitalize()} (you did not rate it; default {p}/4)"
                )
                text = f"{rated}: {_describe(a, f, months, budget)}, which {_effect_words(delta)}."
                contributions.append((-abs(delta), index, text))
        lines.extend(text for _, _, text in sorted(contributions))
        if total_priority == 0:
            lines.append("You rated every priority 0, so only the expected benefit counts.")
        whys[f.treatment] = tuple(lines)

    order = sorted(
        scores,
        key=lambda t: (
            -round(scores[t], 9),
            -CERTAINTY_LEVEL[_certainty_of(facts, t)],
            TREATMENT_IDS.index(t),
        ),
    )
    ranks = {t: i + 1 for i, t in enumerate(order)}

    result: dict[TreatmentId, RankedOption] = {}
    for f in facts:
        t = f.treatment
        if t in scores:
            result[t] = RankedOption(
                t, round(scores[t], 4), ranks[t], benefits[t][0], scored[t], whys[t]
            )
        else:
            result[t] = RankedOption(
                t,
                None,
                None,
                benefits[t][0],
                scored[t],
                (_not_ranked_line(f.name, screening[t]),),
            )
    return result


def _not_ranked_line(name: str, screening: ScreeningResult) -> str:
    """Why an option has no score: not offered, or not now (with when to come back)."""
    if screening.eligibility == "defer":
        when = "; ".join(screening.come_back) or "ask your clinician when"
        return f"Not ranked: {name} is not offered now. Come back {when}."
    return f"Not ranked: {name} is not offered to you (see the reasons)."


def _certainty_of(facts: Sequence[OptionFacts], treatment: TreatmentId) -> Certainty:
    for f in facts:
        if f.treatment == treatment:
            return f.certainty
    raise KeyError(treatment)
