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
from dataclasses import dataclass, field, replace

from regenaid.decide.intake import Intake, PriorTreatmentId
from regenaid.decide.screening import PRIOR_LABEL, ScreeningResult, UsualCarePart
from regenaid.knowledge.model import (
    ADDED_TO_WORDS,
    PRIOR_CARE_TAGS,
    Certainty,
    Range,
    TreatmentId,
)

BENEFIT_WEIGHT = 0.4
CAUTION_PENALTY = 0.05
# Harms count too: an option with serious harms reported to regulators or in case series and
# no established long-term safety (``OptionFacts.safety_signal``: exosome products, and the
# combination through them; treatments.yaml ``safety_signal`` cites why) loses this much fit,
# three times the caution penalty: what nobody has shown to be safe is not scored as if it were.
SAFETY_SIGNAL_PENALTY = 0.15
# Usual care that is the natural course plus a work-up for a treatable cause (telogen effluvium:
# explanation and blood tests for iron and thyroid) is never expected to do less than waiting,
# and a little more: it finds triggers that waiting leaves in place.
WORK_UP_BONUS = 0.1
# ... and where usual care is that work-up, PRP, exosomes and the combination never fit better
# than it: they are not an alternative to looking for the cause, at most something to add
# after it (their score is held just below usual care's, with a why line).
WORK_UP_FIRST_GAP = 0.01
# Fits closer than this to the best one are too close to choose by (scores are 0..1, built
# from ranges and ratings on a 0-4 scale); the best fit is then named with the others (the
# assessment's close-call notice), and nothing held below waiting sits among them.
CLOSE_CALL = 0.03
REGENERATIVE: tuple[TreatmentId, ...] = ("prp", "exosome", "combination")
WHY_THRESHOLD = 0.01  # contributions smaller than this are not worth a line
SPEED_HORIZON_WEEKS = 52.0  # results later than a year score 0 on speed
SESSIONS_CAP = 12.0  # 12 or more clinic sessions over the horizon score 0
MAINTENANCE_FULL_WEEKS = 52.0  # maintenance once a year or less often scores 1
# Care used daily at home (minoxidil, retinoid creams, silicone) keeps working only while it is
# used: that daily upkeep is maintenance, scored like a top-up about every 13 weeks (0.25),
# never as "no maintenance" however rarely the clinician reviews it.
DAILY_HOME_MAINTENANCE = 0.25
# An unknown attribute scores the least favourable known value in the comparison, and never more
# than this (the middle of the scale): uncertainty is never scored as a strength.
UNKNOWN_NEUTRAL = 0.5
# Exact ties (same score, same evidence score) go to the option that asks less of the person:
# no new treatment, then usual first care, then the newer treatments by how established they are.
TIE_ORDER: tuple[TreatmentId, ...] = (
    "no_treatment",
    "conventional",
    "prp",
    "exosome",
    "combination",
)

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
# A scar's natural fading "can take up to two years" (NHS 111 Wales, scars): an older scar is
# not expected to change much more by itself, so waiting gets what it gets elsewhere.
MATURE_SCAR_MONTHS = 24
CHRONIC_TE_MONTHS = 6  # telogen effluvium lasting longer is called chronic (same source)
CHRONIC_TE_BENEFIT = 0.2
# Shedding settles "once the trigger is gone" (same source): with anaemia, a classic trigger that
# waiting does not remove (finding and treating it is the usual care), waiting alone is as
# unlikely to be enough as in chronic shedding.
ONGOING_TRIGGER_TE_BENEFIT = 0.2

# Multipliers on expected benefit from an earlier response to the same treatment.
PRIOR_RESPONSE_FACTOR: dict[str, float] = {"none": 0.5, "partial": 0.85, "good": 1.25}
# For the combination, an earlier response to one of its two parts counts half as much.
PARTIAL_PRIOR_WEIGHT = 0.5
# The combination's parts: it is never credited more benefit than the weaker of them.
COMBINATION_PARTS: tuple[TreatmentId, ...] = ("prp", "exosome")
# Multipliers for advanced disease (few follicles left / deep scarring; see docs/ranking.md).
ADVANCED_FACTOR: dict[str, dict[TreatmentId, float]] = {
    "hair": {"prp": 0.6, "exosome": 0.6, "combination": 0.6, "conventional": 0.8},
    "skin": {"prp": 0.8, "exosome": 0.8, "combination": 0.8, "conventional": 0.9},
}


HAIR_MEDICINE_PARTS: tuple[UsualCarePart, ...] = (
    UsualCarePart("minoxidil", ("minoxidil",)),
    UsualCarePart("finasteride or dutasteride", ("finasteride", "dutasteride")),
)


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
    # Serious harms reported and long-term safety not established (see SAFETY_SIGNAL_PENALTY).
    safety_signal: bool = False
    # Usual care that includes the natural course plus a work-up (see WORK_UP_BONUS).
    includes_work_up: bool = False
    # The aid advises blood tests for a cause whatever the person chooses (telogen effluvium):
    # they are not this option's blood draw, and its description says so.
    blood_tests_advised: bool = False
    # Care tags of the usual-care procedures every trial gave this option with
    # (``Protocol.added_to``): an extra to usual care, held below it (docs/ranking.md 3.2).
    added_to: tuple[str, ...] = ()
    # Of ``horizon_cost``, what the usual-care procedures an add-on is given with cost (set by
    # ``_with_procedure_costs``; 0 for every other option).
    procedure_cost: float = 0.0
    # For usual care: its main parts for this person (not its add-ons), each with the earlier
    # treatments that are that part (screening.usual_care_parts). None: the hair medicines
    # (HAIR_MEDICINE_PARTS), for facts built by hand.
    usual_care_parts: tuple[UsualCarePart, ...] | None = None
    # False when the price is a list price of another country (``PriceRange.only_in``): what the
    # option costs where the person lives is not known (``horizon_cost`` is that list price).
    cost_known: bool = True


@dataclass(frozen=True, slots=True)
class RankedOption:
    """The ranking result for one option; ``score``/``rank`` are None when not ranked."""

    treatment: TreatmentId
    score: float | None
    rank: int | None
    benefit: float
    attributes: Mapping[str, float]
    why: tuple[str, ...] = field(default_factory=tuple)
    unknown: tuple[str, ...] = ()  # attributes scored as unknown (see ``resolve_unknowns``)
    # Placed just below another option by rule (after usual care: a work-up comes first, an
    # add-on is an extra to it; after no new treatment: nothing more is expected from it than
    # from waiting), so never "about as good as" that option.
    held_below: bool = False


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
    """No maintenance needed (known) scores 1; otherwise the midpoint interval / 52 weeks,
    clamped. Not for an unknown need of maintenance: that is resolved by ``resolve_unknowns``."""
    if maintenance_interval_weeks is None:
        return 1.0
    return _clamp(maintenance_interval_weeks.mid / MAINTENANCE_FULL_WEEKS)


def option_evidence_score(facts: OptionFacts) -> float:
    """The evidence attribute: ``evidence_score`` of the option's certainty, but 0 for no new
    treatment (being sure of the natural course is not evidence that waiting helps), for an
    option that no study tested in this condition in people like the person, and for an option
    whose best estimate includes no effect (certainty that it may not work is no reason to
    choose it)."""
    if facts.treatment == "no_treatment" or not facts.studied or facts.null_effect:
        return 0.0
    return evidence_score(facts.certainty)


def cost_score(cost: float, budget: float | None, most_expensive: float) -> float:
    """Against a budget: 1 - cost / (2 * budget), clamped (free 1, at budget 0.5, twice the
    budget or more 0). Without a comparable budget: 1 - cost / the dearest option's cost."""
    if budget is not None:
        return _clamp(1 - cost / (2 * budget))
    if most_expensive <= 0:
        return 1.0
    return _clamp(1 - cost / most_expensive)


def unknown_attributes(facts: OptionFacts) -> frozenset[str]:
    """The attributes nobody knows for this option: ``speed`` when no study measured the time
    to results (an active option without one), ``low_maintenance`` and ``fewer_sessions`` when
    nobody knows whether or how often top-ups are needed (sessions over the horizon are then
    known only to be at least the initial course), ``cost`` when the only price is a list price
    of another country."""
    unknown: set[str] = set()
    if facts.treatment != "no_treatment" and facts.time_to_results_weeks is None:
        unknown.add("speed")
    if not facts.cost_known:
        unknown.add("cost")
    if not facts.maintenance_known:
        unknown.update(("low_maintenance", "fewer_sessions"))
    return frozenset(unknown)


def attribute_scores(
    facts: OptionFacts, budget: float | None, most_expensive: float
) -> dict[str, float]:
    """All seven attribute scores of one option, each in 0..1, as if every value were known.

    For an attribute in ``unknown_attributes`` the number is only an upper bound (for
    ``fewer_sessions``: the initial course alone); ``resolve_unknowns`` replaces it."""
    ttr_unknown = facts.treatment != "no_treatment" and facts.time_to_results_weeks is None
    return {
        "evidence": option_evidence_score(facts),
        "speed": 1.0 if ttr_unknown else speed_score(facts.time_to_results_weeks),
        "fewer_sessions": sessions_score(facts.sessions_over_horizon),
        "low_maintenance": (
            min(DAILY_HOME_MAINTENANCE, maintenance_score(facts.maintenance_interval_weeks))
            if facts.mode == "daily_home"
            else maintenance_score(facts.maintenance_interval_weeks)
        ),
        # (not known: 1, an upper bound that resolve_unknowns replaces)
        "cost": cost_score(facts.horizon_cost, budget, most_expensive) if facts.cost_known else 1.0,
        "autologous": _clamp(facts.autologous),
        "avoid_blood_draw": 0.0 if facts.blood_draw else 1.0,
    }


def resolve_unknowns(
    scores: Mapping[TreatmentId, Mapping[str, float]],
    unknown: Mapping[TreatmentId, frozenset[str]],
) -> dict[TreatmentId, dict[str, float]]:
    """Score every unknown attribute as the least favourable value among the options compared
    (known values, and the upper bounds of unknown ones), and never above ``UNKNOWN_NEUTRAL``.

    So an unknown is never better than any option's known value: it cannot raise an option's fit
    above the others'. With nothing known, it scores ``UNKNOWN_NEUTRAL`` (0.5)."""
    resolved = {t: dict(s) for t, s in scores.items()}
    anywhere = frozenset().union(*unknown.values())
    for a in ATTRIBUTES:
        if a not in anywhere:  # (the usual case: skip looking for holders)
            continue
        holders = [t for t in scores if a in unknown.get(t, frozenset())]
        if not holders:
            continue
        value = min(UNKNOWN_NEUTRAL, *(s[a] for s in scores.values()))
        for t in holders:
            resolved[t][a] = value
    return resolved


# --- expected benefit ----------------------------------------------------------------------------


PRIOR_PARTS: dict[TreatmentId, tuple[tuple[PriorTreatmentId, float], ...]] = {
    "prp": (("prp", 1.0),),
    "exosome": (("exosome", 1.0),),
    "combination": (("prp", PARTIAL_PRIOR_WEIGHT), ("exosome", PARTIAL_PRIOR_WEIGHT)),
}  # usual care: _usual_care_history


def expected_benefit(
    facts: OptionFacts, intake: Intake, parts_benefit: float | None = None
) -> tuple[float, tuple[str, ...]]:
    """Expected benefit in 0..1 and plain lines saying what changed it.

    ``parts_benefit`` (for the combination): the lower expected benefit of its parts for this
    person; the combination is never credited more. An option that no study tested in this
    condition in people like the person (``facts.studied`` False) is credited no more than the
    natural course, what no new treatment brings this person."""
    lines: list[str] = []
    if facts.treatment == "no_treatment":
        return _natural_course_benefit(facts, intake)
    natural = natural_course_benefit(intake)
    if not facts.studied:  # what no new treatment gets (3.2), and nothing else moves it: a
        # line about an earlier response or severity would show a number that is not used
        return _with_work_up(
            facts,
            natural,
            [
                f"No study has tested {facts.name} for this condition in people like you, so "
                f"we expect from it what waiting brings ({natural:.2f})."
            ],
            intake,
        )
    benefit = BASE_BENEFIT[facts.certainty]
    if facts.null_effect:  # against a placebo: no better founded than an untested option, and
        # like it nothing else moves it (an earlier response lowered it, then the floor of
        # waiting raised it back: three lines for a number that did not change)
        return _with_work_up(
            facts,
            natural,
            [
                f"The best available estimate for {facts.name}, against a placebo or no "
                f"treatment, includes no effect, so we expect no more from it than from waiting "
                f"({natural:.2f})."
            ],
            intake,
        )
    if facts.treatment == "conventional":
        benefit, said_lines = _usual_care_history(facts, intake, benefit)
        lines += said_lines
    for prior, weight in PRIOR_PARTS.get(facts.treatment, ()):
        known = intake.prior_response(prior)
        if known is None or known not in PRIOR_RESPONSE_FACTOR:
            continue
        factor = 1 + weight * (PRIOR_RESPONSE_FACTOR[known] - 1)
        before = benefit
        benefit = _clamp(benefit * factor)
        verb = "lowered" if benefit < before else "raised"
        lines.append(
            f"You said {PRIOR_LABEL[prior]} {_SAID[known]} before: "
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
    if parts_benefit is not None and benefit > parts_benefit:
        benefit = parts_benefit
        lines.append(
            f"We expect no more from {facts.name} than from the weaker of its parts "
            f"({benefit:.2f}): no study shows that together they do more than each alone."
        )
    if benefit < natural and not facts.includes_work_up:  # (that floor is higher: below)
        # nothing here says the option stops the recovery that waiting brings this person
        # (recent telogen effluvium, small alopecia areata patches, young scars): the evidence
        # or the person's history may credit it with little, never with less than waiting
        benefit = natural
        lines.append(
            f"Waiting alone is expected to bring {natural:.2f} for your condition, and nothing "
            f"shows {facts.name} stops that, so we expect at least as much from it."
        )
    return _with_work_up(facts, benefit, lines, intake)


def _with_work_up(
    facts: OptionFacts, benefit: float, lines: list[str], intake: Intake
) -> tuple[float, tuple[str, ...]]:
    """The benefit, raised to the work-up floor for usual care that includes waiting and looks
    for a treatable cause, with its line. The floor is the natural course once a known trigger
    (anaemia) is treated, plus ``WORK_UP_BONUS``: treating the cause is what usual care does."""
    if facts.includes_work_up:
        floor = _clamp(natural_course_benefit(intake, trigger_treated=True) + WORK_UP_BONUS)
        if floor > benefit:
            benefit = floor
            if _te_trigger_ongoing(intake):
                lines.append(
                    f"{facts.name} looks for and treats the cause: you have anaemia, and hair "
                    "usually grows back once the trigger is gone, so we expect more from it "
                    f"than from waiting alone ({benefit:.2f})."
                )
            else:
                lines.append(
                    f"{facts.name} includes waiting for natural recovery and treats a cause if "
                    "one is found (such as iron tablets for low iron), so we expect a little "
                    f"more from it than from waiting alone ({benefit:.2f})."
                )
    return benefit, tuple(lines)


_SAID = {"none": "did not help you", "partial": "helped you partly", "good": "worked well"}
_RESPONSE_ORDER = ("none", "partial", "good")  # least to most favourable


def _usual_care_history(
    facts: OptionFacts, intake: Intake, benefit: float
) -> tuple[float, list[str]]:
    """Usual care's expected benefit after the person's earlier responses to its parts, and the
    line saying so (docs/ranking.md §3.2). Usual care is several parts, and a person keeps the
    ones that worked: the most favourable response to a main part counts. A part that worked
    well raises it. When none did, the failure lowers it, by half as much while other main
    parts are still untried (a failed minoxidil says little about finasteride). Add-ons (a
    laser for wrinkles) do not move it."""
    parts = facts.usual_care_parts if facts.usual_care_parts is not None else HAIR_MEDICINE_PARTS
    known: dict[PriorTreatmentId, str] = {}
    for part in parts:
        for prior in part.priors:
            response = intake.prior_response(prior)
            if response in PRIOR_RESPONSE_FACTOR:
                assert response is not None
                known[prior] = response
    tried = [p for p in parts if any(prior in known for prior in p.priors)]
    if not tried:
        return benefit, []
    best = max(known.values(), key=_RESPONSE_ORDER.index)
    said = [prior for prior in known if known[prior] == best]
    # a part not tried at all, or a choice within a tried part that was not tried (laser
    # treatment when only microneedling of "microneedling, laser, subcision or peels" failed)
    # (dutasteride tried counts for finasteride: the same kind of medicine, PRIOR_CARE_TAGS)
    untried = [p.name for p in parts if p not in tried] + [
        PRIOR_LABEL[prior]
        for p in tried
        for prior in p.priors
        if not any(
            set(PRIOR_CARE_TAGS[prior]) & set(PRIOR_CARE_TAGS[k]) for k in p.priors if k in known
        )
    ]
    factor = PRIOR_RESPONSE_FACTOR[best]
    if best != "good" and untried:
        factor = 1 + PARTIAL_PRIOR_WEIGHT * (factor - 1)
    before = benefit
    benefit = _clamp(benefit * factor)
    verb = "lowered" if benefit < before else "raised"
    labels = " and ".join(PRIOR_LABEL[prior] for prior in said)
    line = (
        f"You said {labels} {_SAID[best]} before: we {verb} the benefit we expect from "
        f"{facts.name} from {before:.2f} to {benefit:.2f}"
    )
    if best == "good":
        line += ", because it is part of it and you can keep it."
    elif untried:
        line += (
            ", by half as much as if all of it had not helped, because other parts of it are "
            f"not tried yet: {'; '.join(dict.fromkeys(untried))}."
        )
    else:
        line += "."
    return benefit, [line]


def natural_course_benefit(intake: Intake, trigger_treated: bool = False) -> float:
    """What no new treatment brings this person: the condition's natural course (3.2).
    ``trigger_treated``: as it is once a known trigger (anaemia) is treated, which is what
    usual care's work-up does."""
    table = NATURAL_RECOVERY_BENEFIT.get(intake.condition)
    if table is None:
        return NO_TREATMENT_BENEFIT
    benefit = table[intake.resolved_severity]
    if _mature_scar(intake):
        benefit = min(benefit, NO_TREATMENT_BENEFIT)
    if chronic_te(intake):
        benefit = min(benefit, CHRONIC_TE_BENEFIT)
    if _te_trigger_ongoing(intake) and not trigger_treated:
        benefit = min(benefit, ONGOING_TRIGGER_TE_BENEFIT)
    return benefit


def _mature_scar(intake: Intake) -> bool:
    """A scar older than ``MATURE_SCAR_MONTHS``: its natural fading is over."""
    return (
        intake.condition == "scars"
        and intake.duration_months is not None
        and intake.duration_months > MATURE_SCAR_MONTHS
    )


def _te_trigger_ongoing(intake: Intake) -> bool:
    return intake.condition == "telogen_effluvium" and intake.health.anemia


def chronic_te(intake: Intake) -> bool:
    """Telogen effluvium that has lasted more than 6 months (chronic; Ozlu & Karadag 2017)."""
    return (
        intake.condition == "telogen_effluvium"
        and intake.duration_months is not None
        and intake.duration_months > CHRONIC_TE_MONTHS
    )


def _natural_course_benefit(facts: OptionFacts, intake: Intake) -> tuple[float, tuple[str, ...]]:
    """No new treatment: what the natural course brings by itself (usually nothing new)."""
    course = f" Natural course: {facts.natural_course}" if facts.natural_course else ""
    table = NATURAL_RECOVERY_BENEFIT.get(intake.condition)
    if table is None:
        return NO_TREATMENT_BENEFIT, (
            "No new treatment adds nothing new: the condition follows its natural course. We "
            f"score that {NO_TREATMENT_BENEFIT:.2f}, as we score an option that no study has "
            f"tested in people like you.{course}",
        )
    benefit = table[intake.resolved_severity]
    if benefit <= NO_TREATMENT_BENEFIT:  # advanced alopecia areata: "less likely when widespread"
        lines = [
            "This condition can improve by itself when it is limited, but that is less likely "
            f"when it is widespread like yours, so we expect little ({benefit:.2f}) from "
            f"waiting.{course}"
        ]
    else:
        lines = [
            f"This condition often improves by itself, so we expect some benefit "
            f"({benefit:.2f}) from waiting.{course}"
        ]
    if _mature_scar(intake):
        benefit = min(benefit, NO_TREATMENT_BENEFIT)
        lines.append(
            f"Your scar is {intake.duration_months} months old: a scar's natural fading can "
            f"take up to two years, so we expect little more from waiting ({benefit:.2f})."
        )
    if chronic_te(intake):
        benefit = min(benefit, CHRONIC_TE_BENEFIT)
        lines.append(
            f"Your shedding has lasted {intake.duration_months} months (chronic), so waiting "
            f"is less likely to be enough ({benefit:.2f})."
        )
    if _te_trigger_ongoing(intake):
        benefit = min(benefit, ONGOING_TRIGGER_TE_BENEFIT)
        lines.append(
            "You have anaemia, a common trigger of shedding that waiting does not remove; hair "
            "grows back once the trigger is gone, so waiting alone is less likely to be enough "
            f"({benefit:.2f})."
        )
    return benefit, tuple(lines)


# --- ranking -------------------------------------------------------------------------------------


def _describe(
    attribute: str,
    facts: OptionFacts,
    months: int,
    budget: float | None,
    unknowns: frozenset[str] | None = None,
) -> str:
    """A plain phrase with the fact behind the attribute score; an unknown is called unknown,
    and daily care at home is described as such (its sessions are review visits).
    ``unknowns``: :func:`unknown_attributes` of ``facts``, when the caller has them."""
    name = facts.name
    if facts.treatment == "no_treatment" and attribute in _NOTHING:
        if attribute == "avoid_blood_draw" and facts.blood_tests_advised:
            return (
                "no new treatment needs no blood draw beyond the blood tests we advise "
                "whatever you choose"
            )
        return _NOTHING[attribute]
    unknown = attribute in (unknown_attributes(facts) if unknowns is None else unknowns)
    daily = facts.mode == "daily_home"
    if attribute == "evidence":
        if not facts.studied:
            return f"no study has tested {name} for this condition in people like you"
        if facts.null_effect:
            return (
                f"the best evidence for {name} ({CERTAINTY_WORDS[facts.certainty]} certainty) "
                "found no clear effect"
            )
        return f"the evidence for {name} is of {CERTAINTY_WORDS[facts.certainty]} certainty"
    if attribute == "speed":
        ttr = facts.time_to_results_weeks
        if unknown or ttr is None:
            if facts.studied and not facts.null_effect and facts.certainty == Certainty.VERY_LOW:
                return f"the evidence for {name} is too uncertain to say how soon it shows results"
            return f"nobody knows how soon {name} shows results for this condition"
        return f"{name} shows results in about {_span(ttr)} weeks"
    if attribute == "fewer_sessions":
        sessions = _span(facts.sessions_over_horizon)
        if unknown:
            return (
                f"{name} means at least {sessions} clinic sessions in {months} months, "
                "and nobody knows how many top-ups come after"
            )
        if daily:
            return (
                f"{name} means daily use at home with about {sessions} review visits "
                f"in {months} months"
            )
        return f"{name} means about {sessions} clinic sessions in {months} months"
    if attribute == "low_maintenance":
        m = facts.maintenance_interval_weeks
        if unknown:
            return f"nobody knows whether or how often {name} needs top-ups"
        if daily:
            if m is None:
                return f"{name} is daily care at home for as long as you want the effect"
            return (
                f"{name} is daily care at home for as long as you want the effect, with a "
                f"check-up every {_span(m)} weeks"
            )
        if m is None:
            return f"{name} needs no maintenance sessions"
        return f"{name} needs maintenance every {_span(m)} weeks"
    if attribute == "cost" and unknown:
        return (
            f"nobody knows what {name} costs where you live (we have only a list price from "
            "another country)"
        )
    if attribute == "cost":
        with_sessions = f" with the {_sessions_of(facts)} sessions" if facts.procedure_cost else ""
        text = (
            f"{name}{with_sessions} costs about {facts.currency} {facts.horizon_cost:,.0f} over "
            f"{months} months"
        )
        if budget is not None:
            text += ", within your budget" if facts.horizon_cost <= budget else ", over your budget"
        return text
    if attribute == "autologous":
        if facts.autologous >= 1 and facts.treatment == "conventional":
            if facts.includes_work_up:
                return f"{name} (tests and advice) puts nothing into your body"
            return f"{name} can be done without putting anything into your body"
        if facts.autologous > 0 and facts.treatment == "conventional":
            return f"some parts of {name} put nothing into your body, others use a product"
        if facts.autologous >= 1:
            return f"{name} uses only your own body's material"
        if facts.autologous > 0:
            return f"{name} uses partly your own material and partly material from elsewhere"
        return f"{name} uses material that does not come from your body"
    if facts.blood_draw:
        return f"{name} needs a blood draw"
    if facts.blood_tests_advised:
        return f"{name} needs no blood draw beyond the blood tests we advise whatever you choose"
    return f"{name} needs no blood draw"


_NOTHING: dict[str, str] = {
    "evidence": "waiting is not a treatment with evidence of benefit",
    "speed": "no new treatment does not speed anything up",
    "fewer_sessions": "no new treatment means no clinic sessions",
    "low_maintenance": "no new treatment needs no maintenance",
    "cost": "no new treatment costs nothing",
    "autologous": "no new treatment puts nothing into your body",
    "avoid_blood_draw": "no new treatment needs no blood draw",
}


def _span(r: Range) -> str:
    lo, hi = f"{r.low:g}", f"{r.high:g}"
    return lo if lo == hi else f"{lo}-{hi}"


def _rated_text(attribute: str, priority: int) -> str:
    """The start of a rated attribute's why line."""
    return f"You rated {PRIORITY_LABEL[attribute]} {priority}/4: "


# the constant ends of why lines (written once)
_SHARES_LINE = (
    " (what the evidence lets us expect for you) "
    f"makes up {BENEFIT_WEIGHT:.0%} of the score; the priorities you rated make up "
    f"the other {1 - BENEFIT_WEIGHT:.0%}."
)
_CAUTION_LINE = (
    f"Needs a clinician's check first (caution), which lowered its fit ({-CAUTION_PENALTY:+.2f})."
)


def _effect_words(delta: float) -> str:
    size = abs(delta)
    amount = "a lot" if size >= 0.08 else "somewhat" if size >= 0.03 else "a little"
    # contributions are measured against the average of the options offered, so the words say
    # so: "over your budget, which raised its fit" alone would read as a contradiction
    direction = "raised" if delta > 0 else "lowered"
    return f"{direction} its fit {amount} compared with the other options ({delta:+.2f})"


def _budget_but(attribute: str, facts: OptionFacts, budget: float | None, delta: float) -> str:
    """For cost against a budget, when the budget and the comparison point different ways:
    "over your budget but cheaper than average, which raised its fit" (an option over the
    budget can still be among the cheaper ones), and "within your budget but dearer than
    average, which lowered its fit"; else nothing. (The average of the options' cost scores,
    which fall in a straight line from free to twice the budget.)"""
    if attribute != "cost" or budget is None or not facts.cost_known:
        return ""
    over = facts.horizon_cost > budget
    if over and delta > 0:
        return "but cheaper than average, "
    if not over and delta < 0:
        return "but dearer than average, "
    return ""


def rank_options(
    facts: Sequence[OptionFacts],
    screening: Mapping[TreatmentId, ScreeningResult],
    intake: Intake,
    budget: float | None = None,
) -> dict[TreatmentId, RankedOption]:
    """Score and rank ``facts`` for ``intake``. ``budget`` is the budget amount when it is in
    the options' currency (else None: cost is scored relative to the dearest option)."""
    facts = _with_procedure_costs(facts)
    months = intake.horizon_months
    weights = intake.priorities.weights()
    any_rated = bool(intake.priorities.rated)
    total_priority = sum(weights[a] for a in ATTRIBUTES)
    # (a list price from another country sets no scale for the others)
    most_expensive = max((f.horizon_cost for f in facts if f.cost_known), default=0.0)

    unknown = {f.treatment: unknown_attributes(f) for f in facts}
    scored = resolve_unknowns(
        {f.treatment: attribute_scores(f, budget, most_expensive) for f in facts}, unknown
    )
    benefits = _benefits(facts, intake)

    ranked = [f for f in facts if screening[f.treatment].ranked]
    means = {
        a: sum(scored[f.treatment][a] for f in ranked) / len(ranked) if ranked else 0.0
        for a in ATTRIBUTES
    }
    unrated_line = _unrated_line(intake)
    # the rated attributes (weight above 0): their order, name, share of the score per unit
    # of difference from the mean (as (1 - B) * p / total * difference, in that order) and
    # the start of their why line
    rated = [
        (index, a, (1 - BENEFIT_WEIGHT) * weights[a] / total_priority, _rated_text(a, weights[a]))
        for index, a in enumerate(ATTRIBUTES)
        if weights[a] != 0
    ]

    scores: dict[TreatmentId, float] = {}
    whys: dict[TreatmentId, tuple[str, ...]] = {}
    for f in ranked:
        attrs = scored[f.treatment]
        benefit, benefit_lines = benefits[f.treatment]
        lines = list(benefit_lines)
        if total_priority > 0:
            values = sum(weights[a] * attrs[a] for a in ATTRIBUTES) / total_priority
            score = BENEFIT_WEIGHT * benefit + (1 - BENEFIT_WEIGHT) * values
            lines.append(f"Expected benefit {benefit:.2f}{_SHARES_LINE}")
        else:
            score = benefit
            because = (
                "you did not rate any priority"
                if not any_rated
                else "no priority you rated is above 0"
            )
            lines.append(
                f"Expected benefit {benefit:.2f} (what the evidence lets us expect for you) "
                f"is all the score is made of before any penalty below, because {because}."
            )
        if screening[f.treatment].eligibility == "caution":
            extras = _cautions_on_extras_only(f, screening[f.treatment])
            if extras:
                lines.append(
                    f"The check first concerns only parts it can go without ({extras}), so it "
                    "did not lower its fit."
                )
            else:
                score -= CAUTION_PENALTY
                lines.append(_CAUTION_LINE)
        if f.safety_signal:
            score -= SAFETY_SIGNAL_PENALTY
            lines.append(
                f"Serious harms have been reported with {f.name} and its long-term safety is "
                f"not known, which lowered its fit ({-SAFETY_SIGNAL_PENALTY:+.2f})."
            )
        scores[f.treatment] = _clamp(score)
        contributions: list[tuple[float, int, str]] = []
        if total_priority > 0:
            unknowns = unknown[f.treatment]
            for index, a, share, rated_text in rated:
                delta = share * (attrs[a] - means[a])
                is_unknown = a in unknowns
                if abs(delta) < WHY_THRESHOLD and is_unknown:
                    effect = "so it gets no credit for it"
                elif abs(delta) < WHY_THRESHOLD:
                    # a rated priority is never silently dropped: say it made little difference
                    # (near the average of the options: not "about the same" as each of them,
                    # PRP at USD 3,098 sits near the average of 270 and 24,691)
                    effect = "near the middle of the options on this, so it changed little"
                else:
                    effect = f"{_budget_but(a, f, budget, delta)}which {_effect_words(delta)}"
                text = f"{rated_text}{_describe(a, f, months, budget, unknowns)}, {effect}."
                contributions.append((-abs(delta), index, text))
        lines.extend(text for _, _, text in sorted(contributions))
        if unrated_line and any_rated:
            lines.append(unrated_line)
        whys[f.treatment] = tuple(lines)

    held = _work_up_first(facts, scores, whys) | _add_ons_after_usual_care(facts, scores, whys)
    held |= _no_more_than_waiting(facts, scores, whys, benefits, held)
    _meanwhile(facts, screening, whys)
    evidence_of = {f.treatment: scored[f.treatment]["evidence"] for f in facts}
    order = sorted(
        scores,
        key=lambda t: (-round(scores[t], 9), -round(evidence_of[t], 9), TIE_ORDER.index(t)),
    )
    ranks = {t: i + 1 for i, t in enumerate(order)}

    result: dict[TreatmentId, RankedOption] = {}
    for f in facts:
        t = f.treatment
        known_not = tuple(a for a in ATTRIBUTES if a in unknown[t])
        if t in scores:
            result[t] = RankedOption(
                t,
                round(scores[t], 4),
                ranks[t],
                benefits[t][0],
                scored[t],
                whys[t],
                known_not,
                held_below=t in held,
            )
        else:
            result[t] = RankedOption(
                t,
                None,
                None,
                benefits[t][0],
                scored[t],
                (_not_ranked_line(f.name, screening[t]),),
                known_not,
            )
    return result


def _benefits(
    facts: Sequence[OptionFacts], intake: Intake
) -> dict[TreatmentId, tuple[float, tuple[str, ...]]]:
    """Expected benefit of every option; the combination's after its parts' (it is capped by
    the weaker of them)."""
    out: dict[TreatmentId, tuple[float, tuple[str, ...]]] = {
        f.treatment: expected_benefit(f, intake) for f in facts if f.treatment != "combination"
    }
    parts = [out[t][0] for t in COMBINATION_PARTS if t in out]
    for f in facts:
        if f.treatment == "combination":
            out[f.treatment] = expected_benefit(f, intake, min(parts) if parts else None)
    return out


def _unrated_line(intake: Intake) -> str | None:
    """One line naming the priorities the person did not rate (they count 0), or None."""
    not_rated = set(intake.priorities.unrated)
    unrated = [PRIORITY_LABEL[a] for a in ATTRIBUTES if a in not_rated]
    if not unrated:
        return None
    they = "it does" if len(unrated) == 1 else "they do"
    return f"You did not rate {_or_list(unrated)}, so {they} not count."


def _work_up_first(
    facts: Sequence[OptionFacts],
    scores: dict[TreatmentId, float],
    whys: dict[TreatmentId, tuple[str, ...]],
) -> set[TreatmentId]:
    """Where usual care is a work-up for a treatable cause (``includes_work_up``) and may be
    offered, hold PRP, exosomes and the combination just below it (docs/ranking.md 3.2)."""
    usual = next((f for f in facts if f.treatment == "conventional" and f.includes_work_up), None)
    if usual is None or usual.treatment not in scores:
        return set()
    ceiling = _clamp(scores["conventional"] - WORK_UP_FIRST_GAP)
    held = {t for t in REGENERATIVE if t in scores}
    for t in REGENERATIVE:
        if t in scores and scores[t] > ceiling:
            scores[t] = ceiling
            whys[t] = (
                *whys[t],
                f"Comes after {usual.name}: shedding needs its cause looked for first (such as "
                "low iron or thyroid disease), so we placed it just below that.",
            )
    return held


def _add_ons_after_usual_care(
    facts: Sequence[OptionFacts],
    scores: dict[TreatmentId, float],
    whys: dict[TreatmentId, tuple[str, ...]],
) -> set[TreatmentId]:
    """An option that trials gave mainly added to a procedure of usual care (``added_to``: PRP
    with microneedling or a laser for acne scars) is an extra to that care, not a replacement:
    say so, and hold it just below usual care when usual care may be offered (docs/ranking.md
    3.2). Its cost for ranking includes usual care's (:func:`_with_procedure_costs`)."""
    usual = next((f for f in facts if f.treatment == "conventional"), None)
    held: set[TreatmentId] = set()
    for f in facts:
        if not f.added_to or f.treatment not in scores:
            continue
        procedures = _or_list([ADDED_TO_WORDS[t] for t in f.added_to])
        line = (
            f"Like its parts in their trials, {f.name} is given as an addition to {procedures}"
            if f.treatment == "combination"  # never tested itself
            else f"In the trials, {f.name} was tested mainly as an addition to {procedures}"
        )
        if usual is not None and usual.treatment in scores:
            held.add(f.treatment)
            line += f": it is an extra to {usual.name}, not a replacement"
            ceiling = _clamp(scores["conventional"] - WORK_UP_FIRST_GAP)
            if scores[f.treatment] > ceiling:
                scores[f.treatment] = ceiling
                line += ", so we placed it just below that"
        if f.procedure_cost:
            line += (
                f". The cost in the table is for {f.name} alone; with the "
                f"{_sessions_of(f)} sessions it is about {f.currency} {f.horizon_cost:,.0f}"
            )
        whys[f.treatment] = (*whys[f.treatment], f"{line}.")
    return held


def _no_more_than_waiting(
    facts: Sequence[OptionFacts],
    scores: dict[TreatmentId, float],
    whys: dict[TreatmentId, tuple[str, ...]],
    benefits: Mapping[TreatmentId, tuple[float, tuple[str, ...]]],
    held: set[TreatmentId],
) -> set[TreatmentId]:
    """PRP, exosomes or the combination from which we expect no more than waiting brings this
    person (untested in the condition in people like them, a null result against placebo, or
    simply no higher an expected benefit: 3.2) add sessions, cost and risks to what waiting
    gives, so they are held just below no new treatment when it may be chosen, and below the
    options that fit about as well as waiting (within ``CLOSE_CALL`` below it), so that such an
    option never sits between two options named as a close call (docs/ranking.md 3.2)."""
    if "no_treatment" not in scores or "no_treatment" not in benefits:
        return set()
    waiting = benefits["no_treatment"][0]
    mine = {
        f.treatment
        for f in facts
        if f.treatment in REGENERATIVE
        and f.treatment in scores
        and benefits[f.treatment][0] <= waiting + 1e-9
    }
    w = scores["no_treatment"]
    peers = [
        scores[t]
        for t in scores
        if t != "no_treatment"
        and t not in mine
        and t not in held
        and 0 <= w - scores[t] < CLOSE_CALL
    ]
    ceiling = _clamp(min([w, *peers]) - WORK_UP_FIRST_GAP)
    for f in facts:
        t = f.treatment
        if t not in mine or scores[t] <= ceiling:
            continue
        scores[t] = ceiling
        below = (
            "no new treatment and the options that fit about as well as it"
            if ceiling < w - WORK_UP_FIRST_GAP
            else "no new treatment"
        )
        whys[t] = (
            *whys[t],
            f"We expect no more from {f.name} than from waiting ({waiting:.2f}), and it adds "
            f"sessions, cost and risks, so we placed it just below {below}.",
        )
    return mine


def _cautions_on_extras_only(facts: OptionFacts, screening: ScreeningResult) -> str | None:
    """For usual care whose cautions all concern add-on parts (fillers for wrinkles, minoxidil
    for shedding), not its main parts: those parts' names; else None. Usual care can go ahead
    without them, so the caution does not lower its fit."""
    if facts.treatment != "conventional" or facts.usual_care_parts is None:
        return None
    main = {p.name for p in facts.usual_care_parts}
    cautions = [r for r in screening.reasons if r.level == "caution"]
    if not cautions or any(not r.concerns or main.intersection(r.concerns) for r in cautions):
        return None
    return "; ".join(dict.fromkeys(n for r in cautions for n in r.concerns)).lower()


def _sessions_of(facts: OptionFacts) -> str:
    """The procedures an add-on option is given with, as in "microneedling or laser"."""
    return _or_list([ADDED_TO_WORDS[t].removeprefix("a ") for t in facts.added_to])


def _with_procedure_costs(facts: Sequence[OptionFacts]) -> list[OptionFacts]:
    """Add-on options (``added_to``) with usual care's cost added to theirs: what the person
    would pay for the option as it was tested, with the procedure sessions (priced as usual
    care) that it is added to. Without it, leaving those sessions out made an add-on look
    cheaper than usual care."""
    usual = next((f for f in facts if f.treatment == "conventional"), None)
    if usual is None:
        return list(facts)
    return [
        replace(
            f, horizon_cost=f.horizon_cost + usual.horizon_cost, procedure_cost=usual.horizon_cost
        )
        if f.added_to and f.currency == usual.currency
        else f
        for f in facts
    ]


def _meanwhile(
    facts: Sequence[OptionFacts],
    screening: Mapping[TreatmentId, ScreeningResult],
    whys: dict[TreatmentId, tuple[str, ...]],
) -> None:
    """When usual care waits (pregnancy) but its supportive parts can start now (sunscreen),
    no new treatment says so: waiting for the rest is not doing nothing."""
    usual = next((f for f in facts if f.treatment == "conventional"), None)
    held = screening.get("conventional")
    if usual is None or held is None or held.eligibility != "defer" or "no_treatment" not in whys:
        return
    going_on = held.meanwhile
    if going_on:
        whys["no_treatment"] = (
            *whys["no_treatment"],
            f"While {usual.name} waits, {'; '.join(going_on)}, a part of it, can start now or "
            "go on.",
        )


def _or_list(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _not_ranked_line(name: str, screening: ScreeningResult) -> str:
    """Why an option has no score: not offered, or not now (with when to come back)."""
    if screening.eligibility == "defer":
        # one "come back" per reason, without repeats ("once the infection has cleared" is
        # already said by "once the infection has cleared and you feel well again")
        backs = list(dict.fromkeys(screening.come_back))
        backs = [b for b in backs if not any(o != b and o.startswith(b) for o in backs)]
        when = "; ".join(backs) or "ask your clinician when"
        return f"Not ranked: {name} is not offered now. Come back {when}."
    return f"Not ranked: {name} is not offered to you (see the reasons)."
