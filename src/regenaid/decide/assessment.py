"""intake -> screening -> values-weighted ranking -> explanation: :func:`assess`.

Deterministic: the same intake and knowledge base always give the same assessment. What does
not depend on the person (names, regulatory status, evidence profiles, claims) is cached per
(knowledge base, condition, regulatory key); the cost model's results are cached by
:mod:`regenaid.decide.option_cost` (all but the budget comparison), so no cache holds anything
per person. An option's ``cost`` block is its own dict, but the values in it (curves,
intervals, notes) are shared with that cache: read them, do not change them.

:func:`assessment_json` writes the same assessment as JSON (the bytes of
``assess(...).model_dump_json()``) without building it, from JSON kept with those caches for
the parts that do not depend on the person; the API answers with it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

from pydantic import TypeAdapter
from pydantic_core import to_json

from regenaid.decide.course import sessions_over_horizon
from regenaid.decide.disagreements import TOPIC_LABEL, find_disagreements
from regenaid.decide.intake import Intake
from regenaid.decide.option_cost import cost_block_json, cost_blocks, price_in, wanted_currency
from regenaid.decide.option_plan import plan_summary
from regenaid.decide.outcomes import outcome_outs
from regenaid.decide.ranking import (
    CLOSE_CALL,
    REGENERATIVE,
    OptionFacts,
    RankedOption,
    chronic_te,
    rank_options,
)
from regenaid.decide.results import (
    Assessment,
    CitedOut,
    ClaimOut,
    DisagreementOut,
    EvidenceOut,
    Notice,
    OptionAssessment,
    ReasonOut,
    RegulatoryOut,
)
from regenaid.decide.screening import (
    HAIR_MEDICINES,
    Reason,
    ScreeningResult,
    UsualCarePart,
    advanced_parts_left_out,
    screen,
    usual_care_parts_for,
)
from regenaid.decide.views import claim_out, profile_for
from regenaid.evidence.profile import EvidenceProfile, head_to_head, studied_in
from regenaid.knowledge import KnowledgeBase, load_knowledge
from regenaid.knowledge.exchange import no_rate_sentence
from regenaid.knowledge.jurisdictions import FALLBACK, lookup_order
from regenaid.knowledge.model import (
    TREATMENT_IDS,
    Certainty,
    CitedText,
    Condition,
    Eligibility,
    FirstLineCare,
    Protocol,
    Range,
    TreatmentId,
)

CostBlocks = Mapping[TreatmentId, dict[str, object]]

# Regulatory statuses that deserve a notice at the top, not only in the option's details.
WARN_STATUSES = frozenset({"not_approved", "not_verified", "route_prohibited"})
# Statuses under which the option, as clinics give it, is not permitted where the person lives:
# it is not offered (never ranked), with the regulator's words as the reason.
NOT_PERMITTED_STATUSES = frozenset({"route_prohibited"})
UNKNOWN_STATUSES = frozenset({"check_local_rules", "unknown"})

DECISION_AID_NOTICE = Notice(
    code="decision_aid",
    text=(
        "This is a decision aid, not a prescription. Use it to prepare for a conversation "
        "with a qualified clinician, who can examine you and answer your questions."
    ),
)


@dataclass(frozen=True, slots=True)
class _OptionStatic:
    """The parts of an option that do not depend on the person."""

    treatment: TreatmentId
    name: str
    protocol: Protocol | None
    profile: EvidenceProfile
    autologous: float
    blood_draw: bool
    null_effect: bool
    plan: dict[str, object]
    regulatory: RegulatoryOut
    evidence: EvidenceOut
    benefits: tuple[CitedOut, ...]
    harms: tuple[CitedOut, ...]
    unknowns: tuple[CitedOut, ...]
    claims: tuple[ClaimOut, ...]
    disagreements: tuple[DisagreementOut, ...]
    # the JSON of the fields an OptionAssessment takes from this as they are (and of the harms
    # listed here, without the brackets), made once: see assessment_json
    json: Mapping[str, bytes] = field(default_factory=dict)
    # its regulatory and sources-disagree notices, when it has them (_option_notices)
    notices: tuple[Notice | None, Notice | None] = (None, None)
    # sessions over a horizon, by its months, counted on first use (at most 240 entries)
    sessions: dict[int, Range] = field(default_factory=dict, compare=False)

    def sessions_over(self, months: int) -> Range:
        """:func:`sessions_over_horizon` of the option's protocol."""
        counted = self.sessions.get(months)
        if counted is None:
            counted = self.sessions[months] = sessions_over_horizon(self.protocol, months)
        return counted


def _cited(items: Sequence[CitedText]) -> tuple[CitedOut, ...]:
    return tuple(CitedOut(text=c.text, sources=list(c.sources)) for c in items)


_RATIO_MEASURES = frozenset({"RR", "OR", "HR", "ROM"})


def _null_effect(profile: EvidenceProfile) -> bool:
    """True when the 95% interval of the estimate that carries the headline includes no effect,
    against a placebo-type comparator: against another treatment given instead (PRP against
    triamcinolone injections for alopecia areata), no clear difference is not "no effect"
    (:func:`~regenaid.evidence.profile.head_to_head`).

    That is our pooled interval when our pool is the headline (``headline == "ours"``), and the
    published review's printed interval when its rating is the headline; a review that prints no
    interval (or no numeric effect) gives no cap. Without either, single studies count as no
    effect when each one's primary outcome showed no difference.
    """
    if profile.headline == "ours" and profile.pooled is not None:
        if head_to_head(profile.pooled.comparator):
            return False
        measure = profile.pooled.measure
        lb, ub = profile.pooled.ci_lb, profile.pooled.ci_ub
    elif profile.headline == "published" and profile.headline_review is not None:
        review = profile.headline_review
        if head_to_head(review.comparator):  # "about as good as steroid injections"
            return False
        measure = review.extra.get("measure", "")
        if measure == "narrative" or review.ci_low is None or review.ci_high is None:
            return False
        lb, ub = review.ci_low, review.ci_high
    else:
        return _single_studies_null(profile)
    null = 1.0 if measure.upper() in _RATIO_MEASURES else 0.0
    return bool(lb <= null <= ub)


def _single_studies_null(profile: EvidenceProfile) -> bool:
    """Without a pooled or rated published estimate: True when every single study's primary
    outcome (its first row in the study table) is recorded as showing no difference (e.g. a
    split-face trial whose blinded raters saw none, even if a secondary outcome did)."""
    first: dict[str, str] = {}
    for s in profile.studies:
        first.setdefault(s.study, "" if head_to_head(s.comparator) else s.extra.get("finding", ""))
    return bool(first) and all(f == "no_difference" for f in first.values())


def _pooled_dict(profile: EvidenceProfile) -> dict[str, object] | None:
    pooled = profile.pooled
    if pooled is None:
        return None
    return {
        "measure": pooled.measure,
        "unit": pooled.unit,
        "estimate": pooled.estimate,
        "ci_lb": pooled.ci_lb,
        "ci_ub": pooled.ci_ub,
        "pi_lb": pooled.pi_lb,
        "pi_ub": pooled.pi_ub,
        "I2": pooled.I2,
        "tau2": pooled.tau2,
        "k": pooled.k,
        "n": pooled.n,
    }


def _benefits_and_harms(
    kb: KnowledgeBase, condition: Condition, treatment: TreatmentId, profile: EvidenceProfile
) -> tuple[tuple[CitedOut, ...], tuple[CitedOut, ...]]:
    """Benefits and harms in equal detail (IPDAS 2.1.1): each a list of cited statements."""
    t = kb.treatments[treatment]
    course = CitedOut(
        text=condition.natural_course.text, sources=list(condition.natural_course.sources)
    )
    stated = tuple(b for b in t.benefits if b.applies_to(condition.id))
    if treatment == "no_treatment":
        return _cited(stated), (course,)
    evidence = CitedOut(text=profile.summary, sources=list(profile.sources))
    if treatment == "conventional":
        care = condition.conventional_care
        benefits = (
            CitedOut(text=care.text, sources=list(care.sources)),
            evidence,
            *_cited(stated),
        )
        # the label warnings of its parts are added per person (only the parts offered to them)
        harms = _cited(
            condition.conventional_side_effects_common + condition.conventional_side_effects_serious
        )
        return benefits, harms
    stated_harms = t.side_effects_common + t.side_effects_serious
    return (evidence, *_cited(stated)), _cited(
        tuple(h for h in stated_harms if h.applies_to(condition.id))
    )


# Counted, not sized, like the other small caches of this module: keys are bounded by the
# knowledge base (conditions, validated country codes, sexes, severities) and the values are
# small or shared with it; only the cost model's results need a byte budget (option_cost).
@functools.lru_cache(maxsize=1024)
def _regulatory_key(kb: KnowledgeBase, jurisdiction: str | None) -> str | None:
    """The most specific jurisdiction the kb has entries for, on ``jurisdiction``'s lookup path
    (e.g. FR -> EU, NG -> None): places with the same key get the same regulatory answers, so
    the per-person-independent parts are cached per condition and key, not per country."""
    with_entries = {r.jurisdiction for r in kb.regulatory}
    for code in lookup_order(jurisdiction):
        if code in with_entries:
            return None if code == FALLBACK else code
    return None


@functools.lru_cache(maxsize=256)
def _statics(
    kb: KnowledgeBase, condition_id: str, jurisdiction: str | None, severe: bool = False
) -> tuple[_OptionStatic, ...]:
    condition = kb.conditions[condition_id]
    out: list[_OptionStatic] = []
    for treatment in sorted(condition.treatments, key=TREATMENT_IDS.index):
        t = kb.treatments[treatment]
        protocol = kb.protocol(treatment, condition_id, advanced=severe)
        profile = profile_for(kb, condition_id, treatment, severe)
        reg = kb.regulatory_status(treatment, jurisdiction, condition_id)
        claims = kb.claims_about(treatment, condition=condition_id)
        benefits, harms = _benefits_and_harms(kb, condition, treatment, profile)
        autologous = 1.0 if (t.autologous or treatment == "no_treatment") else 0.0
        blood_draw = t.blood_draw
        if treatment == "combination":
            autologous = 0.5  # the PRP part is the person's own blood, the exosomes are not
        if treatment == "conventional":
            autologous = _usual_care_material(kb, condition_id)
        out.append(
            _OptionStatic(
                treatment=treatment,
                name=t.name,
                protocol=protocol,
                profile=profile,
                autologous=autologous,
                blood_draw=blood_draw,
                null_effect=_null_effect(profile),
                plan=plan_summary(protocol),
                regulatory=RegulatoryOut(
                    jurisdiction=reg.jurisdiction,
                    status=reg.status,
                    text=reg.text,
                    sources=list(reg.sources),
                    note=reg.note,
                ),
                evidence=EvidenceOut(
                    certainty=profile.certainty,
                    certainty_reasons=list(profile.certainty_reasons),
                    summary=profile.summary,
                    sources=list(profile.sources),
                    pooled=_pooled_dict(profile),
                ),
                benefits=benefits,
                harms=harms,
                unknowns=_cited(tuple(u for u in t.uncertainties if u.applies_to(condition_id))),
                claims=tuple(claim_out(c, kb) for c in claims),
                disagreements=tuple(
                    DisagreementOut(topic=d.topic, text=d.text, claim_ids=[c.id for c in d.claims])
                    for d in find_disagreements(claims)
                ),
            )
        )
    return tuple(replace(s, json=_static_json(s), notices=_option_notices(s)) for s in out)


# The fields of an OptionAssessment that come from _OptionStatic as they are.
_STATIC_FIELDS = (
    "certainty",
    "plan",
    "name",
    "regulatory",
    "evidence",
    "benefits",
    "unknowns",
    "claims",
    "disagreements",
)


def _static_json(s: _OptionStatic) -> dict[str, bytes]:
    values = {
        "certainty": s.profile.certainty,
        "plan": s.plan,
        "name": s.name,
        "regulatory": s.regulatory,
        "evidence": s.evidence,
        "benefits": list(s.benefits),
        "unknowns": list(s.unknowns),
        "claims": list(s.claims),
        "disagreements": list(s.disagreements),
    }
    out = {name: _OPTION_JSON[name].dump_json(value) for name, value in values.items()}
    out["harms"] = _OPTION_JSON["harms"].dump_json(list(s.harms))[1:-1]  # without [ ]
    return out


def _costs_in_one_currency(
    kb: KnowledgeBase, intake: Intake, treatments: tuple[TreatmentId, ...], advanced: bool
) -> CostBlocks:
    # read-only values, shared with the cache
    costs = cost_blocks(kb, intake, treatments, advanced)
    if intake.budget is None or not _mixed_currencies(costs, _expected(costs)):
        return costs
    # Lists in the person's currency and USD lists are converted into one currency with a
    # published rate (option_cost). Only when some options have a list in the budget's currency
    # and there is no rate to convert the others do costs end up in two currencies, which cannot
    # be compared: then price every option in USD and do not compare with the budget (its
    # amount is in another currency).
    in_usd = intake.model_copy(
        update={"budget": intake.budget.model_copy(update={"currency": "USD"})}
    )
    costs = cost_blocks(kb, in_usd, treatments, advanced)
    return {
        t: {**c, "within_budget": None, "probability_within_budget": None} for t, c in costs.items()
    }


def _mixed_currencies(
    costs: Mapping[TreatmentId, Mapping[str, object]], expected: Mapping[TreatmentId, float]
) -> bool:
    """True when options that cost something are priced in more than one currency."""
    return len({str(c.get("currency")) for t, c in costs.items() if expected[t] > 0}) > 1


def _reason_out(r: Reason) -> ReasonOut:
    return ReasonOut(
        code=r.code, text=r.text, sources=list(r.sources), level=r.level, come_back=r.come_back
    )


def _horizon_expected(cost: Mapping[str, object]) -> float:
    total = cost.get("horizon_total")
    if isinstance(total, Mapping):
        value = total.get("expected")
        if isinstance(value, (int, float)):  # (a tuple: quicker than int | float)
            return float(value)
    return 0.0


def _expected(costs: Mapping[TreatmentId, Mapping[str, object]]) -> dict[TreatmentId, float]:
    """Each option's expected cost over the horizon (:func:`_horizon_expected`)."""
    return {t: _horizon_expected(c) for t, c in costs.items()}


def _main_currency(
    costs: Mapping[TreatmentId, Mapping[str, object]], expected: Mapping[TreatmentId, float]
) -> str:
    """The currency most options are priced in (options that cost nothing do not count)."""
    counts: dict[str, int] = {}
    for t, cost in costs.items():
        if expected[t] > 0:
            code = str(cost.get("currency", "USD"))
            counts[code] = counts.get(code, 0) + 1
    if not counts:
        return next((str(c.get("currency", "USD")) for c in costs.values()), "USD")
    return max(sorted(counts), key=lambda code: counts[code])


def _medicines_that_helped(intake: Intake) -> Notice | None:
    """For pattern hair loss, when the person said a hair medicine helped: choosing no new
    treatment is not stopping it (those medicines work only while used). Never in pregnancy or
    breastfeeding, whose rules say not to use them; finasteride and dutasteride only for men,
    the only people usual care offers them to."""
    if intake.condition not in ("androgenetic_alopecia", "female_pattern_hair_loss"):
        return None
    if intake.health.pregnant_or_breastfeeding:
        return None
    helped = [
        m
        for m in HAIR_MEDICINES
        if intake.prior_response(m) in ("good", "partial")
        and (m == "minoxidil" or intake.sex == "male")
    ]
    if not helped:
        return None
    names = " and ".join(helped)
    text = (
        f"You said {names} helped you. Choosing no new treatment does not mean stopping "
        f"{'it' if len(helped) == 1 else 'them'}: hair-loss medicines work only while they are "
        "used"
    )
    text += (
        ", and hair kept by minoxidil can be lost within three to six months of stopping."
        if "minoxidil" in helped
        else "."
    )
    return Notice(
        code="keep_what_helps", text=text, sources=["healthxchange-minoxidil-continuous-use"]
    )


def _notices(
    kb: KnowledgeBase,
    intake: Intake,
    statics: Sequence[_OptionStatic],
    screening: Mapping[TreatmentId, ScreeningResult],
    ranked: Mapping[TreatmentId, RankedOption],
    currency: str,
    blood_tests_advised: bool = False,
) -> list[Notice]:
    """The assessment's notices; ``blood_tests_advised`` is :func:`_blood_tests_advised`.
    Those that depend only on the condition, the options or the person's usual care are made
    once (:func:`_condition_notices`, :func:`_care_notices`, ``_OptionStatic.notices``)."""
    notices = [DECISION_AID_NOTICE]
    check_first, check_the_cause = _condition_notices(kb, intake.condition)
    if check_first is not None:  # before any treatment, whatever is chosen
        notices.append(check_first)
    names = {s.treatment: s.name for s in statics}
    # per health flag, the options it defers grouped by when to come back: each option once,
    # with the come-back of its first deferring rule (a PRP deferred "after pregnancy and
    # breastfeeding" is not told "after the baby is born" because a cream of usual care is)
    deferred: dict[str, dict[str, list[str]]] = {}
    for s in statics:
        if screening[s.treatment].eligibility != "defer":
            continue  # a contraindicated option is not "for later"
        seen: set[str] = set()
        for r in screening[s.treatment].reasons:
            if r.level == "defer" and r.code not in seen:
                seen.add(r.code)
                when = (r.come_back or "when your clinician says so").rstrip(".")
                deferred.setdefault(r.code, {}).setdefault(when, []).append(names[s.treatment])
    going_on = screening["conventional"].meanwhile if "conventional" in screening else ()
    for code, by_time in deferred.items():
        for when, treatments in by_time.items():
            text = f"Not now: {', '.join(treatments)}. Come back {when}."
            if going_on and names.get("conventional") in treatments:
                # waiting for usual care is not doing nothing: sunscreen starts now
                text += f" Meanwhile, {'; '.join(going_on)} can start now or go on."
                going_on = ()
            notices.append(Notice(code=f"defer_{code}", text=text))
    if intake.condition == "androgenetic_alopecia" and intake.sex == "female":
        # the study table's pattern-hair-loss rows are mostly men's or do not say (studies.csv:
        # 9 PRP rows in men, 3 in both, 13 unstated); its women's rows are under FPHL
        notices.append(
            Notice(
                code="evidence_from_men",
                text=(
                    "In women, pattern hair loss is usually called female pattern hair loss. "
                    "Most trials of pattern hair loss were in men, so what is shown here may "
                    "overstate what is known for women: choosing female pattern hair loss "
                    "shows the trials in women."
                ),
            )
        )
    close = _close_call(statics, ranked)
    if close is not None:
        notices.append(close)
    kept = _medicines_that_helped(intake)
    if kept:
        notices.append(kept)
    if all(r.rank is None for r in ranked.values()):
        notices.append(
            Notice(
                code="nothing_to_offer_now",
                text="None of the options can be offered to you now; see the reasons below.",
            )
        )
    if (
        intake.scale is not None
        and not intake.severity_from_scale
        and intake.scale.severity != intake.resolved_severity
    ):
        notices.append(
            Notice(
                code="severity_differs_from_scale",
                text=(
                    f"You said your condition is {intake.resolved_severity}, but "
                    f"{intake.scale.name.capitalize()} grade {intake.scale.grade} usually means "
                    f"{intake.scale.severity}. We used {intake.resolved_severity}; check with "
                    "your clinician."
                ),
            )
        )
    if intake.scale is not None and intake.severity_from_scale:
        notices.append(
            Notice(
                code="severity_from_scale",
                text=(
                    f"Your {intake.scale.name.capitalize()} grade {intake.scale.grade} was read "
                    f"as {intake.resolved_severity}; check this with your clinician."
                ),
            )
        )
    notices += [s.notices[0] for s in statics if s.notices[0] is not None]
    unknown = [s.name for s in statics if s.regulatory.status in UNKNOWN_STATUSES]
    if unknown:
        where = intake.jurisdiction or "your country (you did not say where you live)"
        notices.append(
            Notice(
                code="regulatory_check_local_rules",
                text=(
                    f"We have no regulatory information for {', '.join(unknown)} in {where}: "
                    "check local rules with your regulator or clinician."
                ),
            )
        )
    notices += [s.notices[1] for s in statics if s.notices[1] is not None]
    if blood_tests_advised:
        assert check_the_cause is not None
        notices.append(check_the_cause)
    notices += _care_notices(kb, intake.condition, intake.resolved_severity, intake.sex)
    return notices


def _advanced_price_notice(kb: KnowledgeBase, intake: Intake, advanced: bool) -> list[Notice]:
    """What the cost of usual care for advanced disease is (its price list's note: the US list
    price of the tablets, before any cover), and outside the US that we have no local price:
    a drug's list price is not what most people pay, so the page says so where it is read."""
    price = kb.prices_for("conventional", "USD", intake.condition, advanced) if advanced else None
    if price is None or not price.advanced or not price.note:
        return []
    text = price.note
    if intake.jurisdiction != "US":
        status = kb.regulatory_status("conventional", intake.jurisdiction, intake.condition)
        if intake.condition in status.conditions:  # we looked up this place for this condition
            text += (
                " What the tablets cost where you live we do not know; what your health "
                "service decided about them is in usual care's regulatory status."
            )
        else:
            text += (
                " What the tablets cost where you live, and whether a health service or "
                "insurer pays for them, we do not know."
            )
    return [Notice(code="usual_care_price", text=text, sources=list(price.sources))]


def _option_notices(s: _OptionStatic) -> tuple[Notice | None, Notice | None]:
    """The option's notices, when it has them: its regulatory status warns
    (``regulatory_<option>``), sources disagree about it (``sources_disagree_<option>``)."""
    regulatory = None
    if s.regulatory.status in WARN_STATUSES:
        regulatory = Notice(
            code=f"regulatory_{s.treatment}",
            text=f"{s.name}: {s.regulatory.text}",
            sources=s.regulatory.sources,
        )
    disagree = None
    if s.disagreements:
        topics = " and ".join(
            TOPIC_LABEL.get(d.topic, d.topic.replace("_", " ")) for d in s.disagreements
        )
        disagree = Notice(
            code=f"sources_disagree_{s.treatment}",
            text=(
                f"Sources disagree about {s.name}: {topics}. "
                "The comparison shows both sides with their sources."
            ),
        )
    return regulatory, disagree


@functools.lru_cache(maxsize=64)  # one entry per condition
def _condition_notices(kb: KnowledgeBase, condition: str) -> tuple[Notice | None, Notice | None]:
    """The condition's ``check_first`` notice, and its ``check_the_cause`` notice (for whom
    blood tests are advised: its usual care has a part with blood tests), or None."""
    check_first = kb.conditions[condition].check_first
    first = None
    if check_first is not None:
        first = Notice(code="check_first", text=check_first.text, sources=list(check_first.sources))
    care = kb.first_line.get(condition)
    work_up = next((c for c in care.components if "blood_tests" in c.care), None) if care else None
    cause = None
    if work_up is not None:
        cause = Notice(
            code="check_the_cause",
            text=(
                "Shedding often has a cause that can be treated, such as low iron or thyroid "
                "disease. Whatever you choose, even waiting, ask a doctor to check for it."
            ),
            sources=list(work_up.sources),
        )
    return first, cause


@functools.lru_cache(maxsize=512)
def _care_notices(kb: KnowledgeBase, condition: str, severity: str, sex: str) -> tuple[Notice, ...]:
    """``cost_not_included_<part>``: a part of usual care offered to this person whose cost
    the cost shown does not include."""
    care = kb.first_line.get(condition)
    return tuple(
        Notice(
            code=f"cost_not_included_{part.id}",
            text=(
                f"The cost shown for usual care does not include {part.name}: {part.cost_note.text}"
            ),
            sources=list(part.cost_note.sources),
        )
        for part in (care.for_severity(severity, sex) if care else ())
        if part.cost_note is not None
    )


def _currency_notice(
    intake: Intake,
    costs: Mapping[TreatmentId, Mapping[str, object]],
    expected: Mapping[TreatmentId, float],
    currency: str,
) -> Notice | None:
    """One plain sentence on the currency of the costs: the rate prices were converted at
    (with its source and date), or that there is no list or rate in the person's currency."""
    wanted = wanted_currency(intake)
    if wanted is not None and currency != wanted:
        return Notice(
            code="prices_in_usd",
            text=no_rate_sentence(wanted, currency, intake.budget is not None),
        )
    texts: dict[str, None] = {}
    sources: dict[str, None] = {}
    for t, cost in costs.items():
        rate = cost.get("exchange_rate")
        if isinstance(rate, Mapping) and expected[t] > 0:
            texts.setdefault(str(rate.get("text")), None)
            for source in rate.get("sources") or ():
                sources.setdefault(str(source), None)
    if not texts:
        return None
    return Notice(code="prices_converted", text=" ".join(texts), sources=list(sources))


def _with_currency_notice(notices: list[Notice], currency: Notice | None) -> list[Notice]:
    """``notices`` with the currency sentence second, right after the decision-aid notice,
    so that it is read before the numbers it explains."""
    if currency is None:
        return notices
    return [*notices[:1], currency, *notices[1:]]


@functools.lru_cache(maxsize=512)
def _studied_cached(
    kb: KnowledgeBase, condition: str, treatment: TreatmentId, sex: str, chronic: bool
) -> bool:
    return studied_in(kb.studies, condition, treatment, sex, chronic=chronic)


WORK_UP_TAGS = frozenset({"blood_tests", "reassurance"})
# Care that puts nothing into the body: tests, advice, and procedures that only work on the
# skin itself (a needle roller, a laser, cutting under a scar, freezing, surgery).
NOTHING_PUT_IN_TAGS = WORK_UP_TAGS | {"microneedling", "laser", "subcision", "cryotherapy"}


def _usual_care_material(kb: KnowledgeBase, condition: str) -> float:
    """How much of usual care is the person's own material, from its first-line parts: 1.0
    when every part can be done without putting anything into the body (tests and advice;
    a procedure part whose choices include microneedling, a laser or subcision), 0.5 when some
    can, else 0.0.

    Its blood tests (the work-up for a cause of shedding) are not counted as a blood draw: the
    aid advises them whatever the person chooses, waiting included (notice ``check_the_cause``),
    so they do not set usual care apart from the other options."""
    care = kb.first_line.get(condition)
    if care is None:
        return 0.0
    parts = [set(c.care) for c in care.components if c.role == "first_line"]
    clean = [bool(tags & NOTHING_PUT_IN_TAGS) for tags in parts]
    return 1.0 if all(clean) else 0.5 if any(clean) else 0.0


def _close_call(
    statics: Sequence[_OptionStatic], ranked: Mapping[TreatmentId, RankedOption]
) -> Notice | None:
    """A notice when other options fit almost as well as the best one: the rank alone would
    make a difference of 0.01 look like a choice."""
    scored = sorted(
        (
            (r.score, r.rank, s.name)
            for s in statics
            # an option placed below another by rule is not "as good as" it
            if (r := ranked[s.treatment]).score is not None and not r.held_below
        ),
        key=lambda x: x[1] or 0,
    )
    if len(scored) < 2:
        return None
    best = scored[0][0]
    level = [(score, name) for score, _, name in scored if best - score < CLOSE_CALL]
    if len(level) < 2:
        return None
    names = [name for _, name in level]
    listed = f"{', '.join(names[:-1])} and {names[-1]}"
    fits = ", ".join(f"{score:.2f}" for score, _ in level)
    return Notice(
        code="close_call",
        text=(
            f"{listed} fit what you said about equally well ({fits}): too close to choose by "
            "the score alone. Weigh them with your clinician."
        ),
    )


def _blood_tests_advised(intake: Intake, care: FirstLineCare | None) -> bool:
    """True when the person's usual care includes blood tests for a cause: the aid then advises
    them whatever the person chooses (notice ``check_the_cause``)."""
    return care is not None and "blood_tests" in care.tags(intake.resolved_severity, intake.sex)


@functools.lru_cache(maxsize=512)
def _includes_work_up(kb: KnowledgeBase, condition: str, severity: str, sex: str) -> bool:
    """True when the condition's usual care is the natural course explained plus a work-up
    for a treatable cause (parts tagged ``reassurance`` and ``blood_tests``)."""
    care = kb.first_line.get(condition)
    tags = care.tags(severity, sex) if care else frozenset()
    return tags >= WORK_UP_TAGS


def _studied(kb: KnowledgeBase, intake: Intake, treatment: TreatmentId) -> bool:
    """True when the study table has a study of ``treatment`` for the intake's condition that
    included people of the intake's sex (a row without a recorded population counts for all)
    and, for a study of chronic disease only, when the person's condition is known to be
    chronic (telogen effluvium lasting more than 6 months)."""
    if treatment == "no_treatment":
        return True
    return _studied_cached(kb, intake.condition, treatment, intake.sex, chronic_te(intake))


def _care_severity(intake: Intake, treatment: TreatmentId, left_out: bool) -> str:
    """The severity whose care, outcomes and warnings an option shows: the person's, except
    usual care for advanced disease whose parts for it are all left out (JAK tablets in
    pregnancy), which is the care for milder disease (injections into patches) and shows
    that care's outcomes, not the tablets'."""
    if treatment == "conventional" and left_out:
        return "moderate"
    return intake.resolved_severity


@dataclass(frozen=True, slots=True)
class _Warnings:
    """Label warnings added to an option's harms, and their JSON without the brackets."""

    items: tuple[CitedOut, ...]
    json: bytes


_NO_WARNINGS = _Warnings((), b"")


@functools.lru_cache(maxsize=512)
def _usual_care_parts(
    kb: KnowledgeBase, condition: str, severity: str, sex: str
) -> tuple[UsualCarePart, ...] | None:
    """:func:`~regenaid.decide.screening.usual_care_parts` of the condition's usual care."""
    return usual_care_parts_for(kb.first_line.get(condition), severity, sex)


@functools.lru_cache(maxsize=512)
def _part_warnings(kb: KnowledgeBase, condition: str, severity: str, sex: str) -> _Warnings:
    """The label warnings of the parts of usual care offered to this person (by severity and
    sex: no finasteride warnings for a woman, JAK boxed warnings only for severe disease)."""
    care = kb.first_line.get(condition)
    if care is None:
        return _NO_WARNINGS
    items = _cited(care.part_warnings(severity, sex))
    return _Warnings(items, _OPTION_JSON["harms"].dump_json(list(items))[1:-1] if items else b"")


def _with_local_rules(
    screening: Mapping[TreatmentId, ScreeningResult], statics: Sequence[_OptionStatic]
) -> dict[TreatmentId, ScreeningResult]:
    """Options that are not permitted, as clinics give them, where the person lives (e.g.
    exosome cosmetics injected or microneedled in South Korea) are not offered: screening's
    result plus a ``not_permitted_here`` reason with the regulator's words."""
    out = dict(screening)
    for s in statics:
        if s.regulatory.status not in NOT_PERMITTED_STATUSES:
            continue
        result = screening[s.treatment]
        reason = Reason(
            code="not_permitted_here",
            text=f"Not permitted where you live ({s.regulatory.jurisdiction}): {s.regulatory.text}",
            sources=tuple(s.regulatory.sources),
            level="contraindicated",
        )
        out[s.treatment] = replace(
            result, eligibility="contraindicated", reasons=(reason, *result.reasons)
        )
    return out


def assess(intake: Intake, kb: KnowledgeBase | None = None) -> Assessment:
    """Screen, rank and explain every option of the intake's condition (CONTRACT §2)."""
    return _assessed(intake, kb or load_knowledge()).model()


def assessment_json(intake: Intake, kb: KnowledgeBase | None = None) -> bytes:
    """``assess(intake, kb).model_dump_json().encode()``, the same bytes, written without
    building the model: what does not depend on the person (the options' evidence, claims,
    harms, outcome tables: most of the text) and the cost blocks are written once and kept
    with their caches; only the rest is written per call."""
    return _assessed(intake, kb or load_knowledge()).json()


@functools.lru_cache(maxsize=4096)
def _cost_known(
    kb: KnowledgeBase,
    condition: str,
    treatment: TreatmentId,
    wanted: str | None,
    advanced: bool,
    jurisdiction: str | None,
) -> bool:
    """False when the option's price is a list price that holds only in another country
    (``PriceRange.only_in``: the US list price of JAK tablets for someone in the UK)."""
    listed, _ = price_in(kb, treatment, condition, wanted, advanced)
    return listed is None or listed.only_in is None or listed.only_in == jurisdiction


def _assessed(intake: Intake, kb: KnowledgeBase) -> _Assessed:
    """What an assessment holds (:func:`assess`), before it is built or written."""
    condition = kb.conditions[intake.condition]
    statics = _statics(
        kb,
        intake.condition,
        _regulatory_key(kb, intake.jurisdiction),
        intake.resolved_severity == "advanced",
    )
    treatments = tuple(s.treatment for s in statics)
    screening = _with_local_rules(screen(intake, kb), statics)
    # parts of usual care for advanced disease: None (none), left out (JAK tablets in
    # pregnancy: True) or given (False: usual care is the care for advanced disease)
    parts_left_out = advanced_parts_left_out(kb, intake, screening)
    left_out = parts_left_out is True
    if left_out:
        # usual care goes ahead without its parts for advanced disease (JAK tablets in
        # pregnancy): its evidence is that of the parts the person can have
        milder = _statics(kb, intake.condition, _regulatory_key(kb, intake.jurisdiction), False)
        statics = tuple(
            m if s.treatment == "conventional" else s for s, m in zip(statics, milder, strict=True)
        )
    advanced = parts_left_out is False  # as screening.advanced_care
    costs = _costs_in_one_currency(kb, intake, treatments, advanced)
    months = intake.horizon_months
    expected = _expected(costs)
    currency = _main_currency(costs, expected)

    studied = {s.treatment: _studied(kb, intake, s.treatment) for s in statics}
    care = kb.first_line.get(intake.condition)
    blood_tests_advised = _blood_tests_advised(intake, care)
    facts = [
        OptionFacts(
            treatment=s.treatment,
            name=s.name,
            certainty=s.profile.certainty,
            # an option no study tested in people like this person: when results show is not
            # known for them either (a study in another population does not tell); nor when
            # the best estimate, against a placebo, includes no effect (no result was shown);
            # nor for PRP or exosomes on evidence of very low certainty, whose times are when
            # small, mostly uncontrolled studies looked, not when results were shown to appear
            time_to_results_weeks=(
                None
                if s.treatment == "no_treatment"
                or s.protocol is None
                or not studied[s.treatment]
                or s.null_effect
                or (s.treatment in REGENERATIVE and s.profile.certainty == Certainty.VERY_LOW)
                else s.protocol.time_to_results_weeks
            ),
            sessions_over_horizon=s.sessions_over(months),
            maintenance_interval_weeks=s.protocol.maintenance_interval_weeks
            if s.protocol
            else None,
            horizon_cost=expected[s.treatment],
            currency=str(costs[s.treatment].get("currency", currency)),
            autologous=s.autologous,
            blood_draw=s.blood_draw,
            null_effect=s.null_effect,
            natural_course=condition.natural_course.text if s.treatment == "no_treatment" else None,
            maintenance_known=s.protocol.maintenance_known if s.protocol else True,
            studied=studied[s.treatment],
            mode=s.protocol.mode if s.protocol else "clinic_course",
            safety_signal=kb.treatments[s.treatment].safety_signal is not None,
            usual_care_parts=(
                _usual_care_parts(kb, intake.condition, intake.resolved_severity, intake.sex)
                if s.treatment == "conventional"
                else None
            ),
            includes_work_up=s.treatment == "conventional"
            and _includes_work_up(kb, intake.condition, intake.resolved_severity, intake.sex),
            blood_tests_advised=blood_tests_advised,
            added_to=s.protocol.added_to if s.protocol else (),
            cost_known=_cost_known(
                kb,
                intake.condition,
                s.treatment,
                wanted_currency(intake),
                advanced,
                intake.jurisdiction,
            ),
        )
        for s in statics
    ]
    budget = (
        intake.budget.amount
        if intake.budget is not None and intake.budget.currency == currency
        else None
    )
    ranked = rank_options(facts, screening, intake, budget)

    options = []
    for s in statics:
        screened, rank = screening[s.treatment], ranked[s.treatment]
        person = {
            "treatment": s.treatment,
            "eligibility": screened.eligibility,
            "reasons": screened.reasons,
            "score": rank.score,
            "rank": rank.rank,
            "why": list(rank.why),
            "come_back": list(screened.come_back),
            "notes": screened.notes,
            "expected_benefit": round(rank.benefit, 4),
            "attribute_scores": {k: round(v, 4) for k, v in rank.attributes.items()},
        }
        severity = _care_severity(intake, s.treatment, left_out)
        warnings = (
            _part_warnings(kb, intake.condition, severity, intake.sex)
            if s.treatment == "conventional"
            else _NO_WARNINGS
        )
        options.append(_OptionParts(s, person, costs[s.treatment], warnings, severity))
    recommended = next((o.static.treatment for o in options if o.person["rank"] == 1), None)
    return _Assessed(
        kb=kb,
        intake=intake,
        options=options,
        top={
            "recommended": recommended,
            "notices": _with_currency_notice(
                _notices(kb, intake, statics, screening, ranked, currency, blood_tests_advised)
                + _advanced_price_notice(kb, intake, advanced),
                _currency_notice(intake, costs, expected, currency),
            ),
            "concern": intake.concern,
            "condition": intake.condition,
            "condition_name": condition.name,
            "severity": intake.resolved_severity,
            "jurisdiction": intake.jurisdiction,
            "horizon_months": months,
            "priorities": intake.priorities.model_dump(),
            "priorities_rated": list(intake.priorities.rated),
        },
    )


@dataclass(frozen=True, slots=True)
class _OptionParts:
    """One option of an assessment: what does not depend on the person, what does (the fields
    of an OptionAssessment by name), its cost block and the label warnings of the parts of
    usual care offered to this person."""

    static: _OptionStatic
    person: dict[str, Any]  # ``reasons`` and ``notes`` as screening's Reasons (_REASON_FIELDS)
    cost: Mapping[str, object]
    warnings: _Warnings
    severity: str  # of the care the option shows (_care_severity)

    def model(self, kb: KnowledgeBase, intake: Intake) -> OptionAssessment:
        s = self.static
        person = {
            k: [_reason_out(r) for r in v] if k in _REASON_FIELDS else v
            for k, v in self.person.items()
        }
        return OptionAssessment(
            **person,
            certainty=s.profile.certainty,
            plan=s.plan,
            cost=self.cost,
            name=s.name,
            regulatory=s.regulatory,
            evidence=s.evidence,
            benefits=list(s.benefits),
            harms=[*s.harms, *self.warnings.items],
            unknowns=list(s.unknowns),
            claims=list(s.claims),
            disagreements=list(s.disagreements),
            outcomes=outcome_outs(kb, intake.condition, s.treatment, intake.sex, self.severity),
        )

    def write(self, out: list[bytes], kb: KnowledgeBase, intake: Intake) -> None:
        """Append the option's JSON, as pydantic writes it in an assessment, to ``out`` (in
        pieces: see _OPTION_PLAN)."""
        s = self.static
        person = self.person
        out.append(b"{")
        for k, (kind, names) in enumerate(_OPTION_PLAN):
            if k:
                out.append(b",")
            if kind == "person":
                # plain values, as pydantic writes them in their fields' types (str, float,
                # int, None, lists and dicts of them): no model needed
                out.append(to_json({name: person[name] for name in names})[1:-1])
            elif kind == "reasons":
                reasons = b",".join([_reason_json(r) for r in person[names[0]]])
                out += (_KEYS[names[0]], b"[", reasons, b"]")
            elif kind == "static":
                out += (_KEYS[names[0]], s.json[names[0]])
            elif kind == "cost":
                out += (_KEYS["cost"], cost_block_json(self.cost))
            elif kind == "harms":
                listed = s.json["harms"]
                added = self.warnings.json
                inner = listed + b"," + added if listed and added else listed or added
                out += (_KEYS["harms"], b"[", inner, b"]")
            else:  # outcomes
                out += (
                    _KEYS["outcomes"],
                    _outcomes_json(kb, intake.condition, s.treatment, intake.sex, self.severity),
                )
        out.append(b"}")


@dataclass(frozen=True, slots=True)
class _Assessed:
    """An assessment before it is built (:meth:`model`) or written (:meth:`json`)."""

    kb: KnowledgeBase
    intake: Intake
    options: list[_OptionParts]
    top: dict[str, Any]  # the Assessment's fields but ``options`` (and ``contract``)

    def model(self) -> Assessment:
        return Assessment(options=[o.model(self.kb, self.intake) for o in self.options], **self.top)

    def json(self) -> bytes:
        if _ASSESSMENT_PLAN is None:  # results.py has fields this does not know: build it
            return self.model().model_dump_json().encode()
        before, after = _ASSESSMENT_PLAN
        out = [before, b'"options":[']
        for k, option in enumerate(self.options):
            if k:
                out.append(b",")
            option.write(out, self.kb, self.intake)
        top = self.top
        out += (b"],", to_json({name: top[name] for name in after})[1:])
        return b"".join(out)


# How pydantic writes each field of an OptionAssessment (the field's own type).
_OPTION_JSON: dict[str, TypeAdapter[Any]] = {
    name: TypeAdapter(cast(Any, info.annotation))
    for name, info in OptionAssessment.model_fields.items()
}
_PERSON_FIELDS = frozenset(
    {
        "treatment",
        "eligibility",
        "reasons",
        "score",
        "rank",
        "why",
        "come_back",
        "notes",
        "expected_benefit",
        "attribute_scores",
    }
)
_OTHER_FIELDS = frozenset({*_STATIC_FIELDS, "cost", "harms", "outcomes"})
_KEYS = {name: b'"' + name.encode() + b'":' for name in OptionAssessment.model_fields}


def _option_plan() -> list[tuple[str, tuple[str, ...]]]:
    """How :meth:`_OptionParts.write` writes an option: OptionAssessment's fields in order, the
    person's consecutive plain ones written together (``person``), their lists of reasons
    each from its own cached JSON (``reasons``)."""
    plan: list[tuple[str, tuple[str, ...]]] = []
    run: list[str] = []

    def close() -> None:
        if run:
            plan.append(("person", tuple(run)))
            run.clear()

    for name in OptionAssessment.model_fields:
        if name in _REASON_FIELDS:
            close()
            plan.append(("reasons", (name,)))
        elif name in _PERSON_FIELDS:
            run.append(name)
        else:
            close()
            kind = "static" if name in _STATIC_FIELDS else name
            plan.append((kind, (name,)))
    close()
    return plan


# The person's fields, with their types: their values are written as pydantic writes them
# only while they are these plain types (checked by _assessment_plan).
_PLAIN_TYPES: dict[str, object] = {
    "treatment": TreatmentId,
    "eligibility": Eligibility,
    "score": float | None,
    "rank": int | None,
    "why": list[str],
    "come_back": list[str],
    "expected_benefit": float,
    "attribute_scores": dict[str, float],
}
_REASON_FIELDS = frozenset({"reasons", "notes"})
_REST_TYPES: dict[str, object] = {
    "recommended": TreatmentId | None,
    "notices": list[Notice],
    "concern": str,
    "condition": str,
    "condition_name": str,
    "severity": str,
    "jurisdiction": str | None,
    "horizon_months": int,
    "priorities": dict[str, int],
    "priorities_rated": list[str],
}


def _assessment_plan() -> tuple[bytes, tuple[str, ...]] | None:
    """The JSON of Assessment's fields before ``options`` (its contract), and the names of
    those after it; None when Assessment or OptionAssessment has fields :func:`assess` does
    not set, or fields of other types than those written here (then the JSON is written from
    the model)."""
    fields = list(Assessment.model_fields)
    known_option = _PERSON_FIELDS | _OTHER_FIELDS
    if set(OptionAssessment.model_fields) != known_option or fields[:2] != [
        "contract",
        "options",
    ]:
        return None
    option_types = OptionAssessment.model_fields
    rest_types = Assessment.model_fields
    if any(option_types[name].annotation != t for name, t in _PLAIN_TYPES.items()) or any(
        option_types[name].annotation != list[ReasonOut] for name in _REASON_FIELDS
    ):
        return None
    if set(fields[2:]) != set(_REST_TYPES) or any(
        rest_types[name].annotation != t for name, t in _REST_TYPES.items()
    ):
        return None
    contract = Assessment.model_fields["contract"].get_default()
    before = b'{"contract":' + TypeAdapter(str).dump_json(contract) + b","
    return before, tuple(fields[2:])


@functools.lru_cache(maxsize=2048)  # reasons come from the rules and earlier responses: few
def _reason_json(reason: Reason) -> bytes:
    out = _reason_out(reason)
    return out.__pydantic_serializer__.to_json(out)


_OPTION_PLAN = _option_plan()
_ASSESSMENT_PLAN = _assessment_plan()


@functools.lru_cache(maxsize=2048)  # as outcome_outs' own cache: a few short rows each
def _outcomes_json(
    kb: KnowledgeBase, condition: str, treatment: TreatmentId, sex: str, severity: str
) -> bytes:
    return _OPTION_JSON["outcomes"].dump_json(outcome_outs(kb, condition, treatment, sex, severity))
