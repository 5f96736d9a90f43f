"""The evidence profile of one option for one condition: pooled effect, certainty, plain summary.

For each (condition, treatment) the study table gives primary studies and published
meta-analyses. Primary studies with numbers are pooled here (our own pooling; published pooled
results are shown as cited and never mixed in). Pooling, chosen for small numbers of studies:
REML estimate of tau² with the Knapp-Hartung adjustment (IntHout, Ioannidis & Borm 2014, BMC
Med Res Methodol 14:25) and a prediction interval. Certainty comes from :mod:`.certainty`.

A pool of fewer than :data:`MIN_STUDIES_TO_POOL` (3) studies is never a result: with 2 studies
Knapp-Hartung has 1 degree of freedom (t = 12.7), between-study variance cannot be estimated
with any precision, and the interval says little (our first 2-trial pool of PRP vs placebo was
MD 34 hairs/cm², 95% CI -340 to 408). The profile then says there are too few studies to pool,
lists the single studies (``poolable`` keeps the ones with numbers, e.g. for a forest plot of
single studies without a pooled diamond) and leaves ``pooled`` empty.

Which body of evidence carries the headline (certainty, reasons, summary; ``headline``): GRADE
rates a body of evidence, so the more complete body speaks. Our own pool is the headline when
the table holds no rated published meta-analysis of the same comparison (same condition,
treatment, kind of comparator, measure and unit), or when our pool includes at least as many
studies as the largest such rated review (``k_studies``). Otherwise that review's printed rating
and result are the headline and our pool is still shown (``pooled``). A rated review that does
not say how many studies it pooled cannot be shown to be more complete and does not take the
headline from our pool.

Options without comparative trials of their own:

- ``conventional``: the rating printed by the cited guideline, Cochrane review or network
  meta-analysis (``pooled_published`` rows), else very low.
- ``no_treatment``: what happens without new treatment is seen in the control arms of
  placebo-controlled trials; its certainty is that of the best-rated placebo comparison for
  the condition, capped at moderate (control arms describe the natural course only indirectly),
  else very low.
- ``combination`` (PRP plus exosomes): rated from its own trials only; none were found.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from regenaid.errors import InvalidInputError
from regenaid.evidence.certainty import (
    MIN_STUDIES_FOR_PUBLICATION_BIAS,
    BodyOfEvidence,
    CertaintyRating,
    StudyWeight,
    rate_certainty,
)
from regenaid.evidence.rma import rma
from regenaid.evidence.summaries import yi_vi_from_ci
from regenaid.knowledge.model import TREATMENT_IDS, Certainty, StudyOutcome, TreatmentId

POOLING_METHOD = "REML"
POOLING_TEST = "knha"
# Our own pool is shown (and rated, and can carry the headline) only from this many studies on.
MIN_STUDIES_TO_POOL: Final = 3

# Where the headline certainty, reasons and summary come from: our own pool of primary studies,
# a published review's printed rating, or neither (single studies, placebo arms, nothing found).
Headline = Literal["ours", "published", "none"]

_TREATMENT_NAMES: dict[str, str] = {
    "prp": "PRP",
    "exosome": "exosome treatment",
    "combination": "PRP with exosomes",
    "conventional": "standard treatment",
    "no_treatment": "no new treatment",
}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True, slots=True)
class PooledEffect:
    """Our own random-effects pooling of primary studies (REML, Knapp-Hartung)."""

    measure: str
    unit: str
    outcome: str
    comparator: str
    estimate: float
    ci_lb: float
    ci_ub: float
    pi_lb: float
    pi_ub: float
    I2: float
    tau2: float
    k: int
    n: int
    method: str = POOLING_METHOD
    test: str = POOLING_TEST


@dataclass(frozen=True, slots=True)
class EvidenceProfile:
    condition: str
    treatment: TreatmentId
    certainty: Certainty
    certainty_reasons: tuple[str, ...]
    pooled: PooledEffect | None
    published: tuple[StudyOutcome, ...]
    studies: tuple[StudyOutcome, ...]
    summary: str
    sources: tuple[str, ...]
    headline: Headline = "none"
    # The published row whose rating (and result, when it prints one) is the headline; set
    # exactly when ``headline == "published"``.
    headline_review: StudyOutcome | None = None
    # The primary studies with usable numbers for the same comparison (``poolable_group``); they
    # are pooled only when there are at least MIN_STUDIES_TO_POOL of them (then ``pooled`` is
    # set), otherwise they are single studies: list or plot them one by one, never as a pool.
    poolable: tuple[StudyOutcome, ...] = ()


# --- helpers ----------------------------------------------------------------------------


def study_n(s: StudyOutcome) -> int:
    """People in a study: paired (split-scalp/face) trials count each person once."""
    if s.extra.get("n_total"):
        return int(s.extra["n_total"])
    treated, control = s.treated.n or 0, s.control.n or 0
    if s.extra.get("paired") == "yes":
        return max(treated, control)
    return treated + control


def effect_and_variance(s: StudyOutcome) -> tuple[float, float] | None:
    """``(yi, vi)`` of a primary study on its own scale, or None when it cannot be pooled.

    Mean differences come from per-arm means and SDs; otherwise a published effect with a 95%
    CI is used (ratio measures on the log scale). Paired trials are treated as independent
    groups, which overstates their variance (conservative) because the within-person
    correlation is not published.
    """
    measure = s.extra.get("measure", "")
    t, c = s.treated, s.control
    if (
        measure == "MD"
        and None not in (t.n, t.mean, t.sd, c.n, c.mean, c.sd)
        and t.n
        and c.n
        and t.sd
        and c.sd
    ):
        assert t.mean is not None and c.mean is not None
        return t.mean - c.mean, t.sd**2 / t.n + c.sd**2 / c.n
    if measure in ("MD", "SMD", "RD", "OR", "RR", "ROM") and s.effect is not None:
        if s.ci_low is None or s.ci_high is None:
            return None
        ratio = measure in ("OR", "RR", "ROM")
        if s.ci_high <= s.ci_low:
            return None
        return yi_vi_from_ci(s.effect, s.ci_low, s.ci_high, ratio=ratio)
    return None


def _randomised(s: StudyOutcome) -> bool:
    design = s.design.lower()
    return "rct" in design or "randomi" in design


def _plain_unit(unit: str) -> str:
    return unit.replace("hairs/cm2", "hairs per cm²").replace("/cm2", " per cm²")


def _plain_comparator(comparator: str) -> str:
    low = comparator.lower()
    if "saline" in low:
        return "salt-water (placebo) injections"
    if "placebo" in low:
        return "a placebo (dummy treatment)"
    return comparator


def _fmt(x: float) -> str:
    if abs(x) >= 10:
        return f"{x:.0f}"
    if abs(x) >= 1:
        return f"{x:.1f}".rstrip("0").rstrip(".")
    return f"{x:.2f}"


def _crosses(lb: float, ub: float, null: float) -> bool:
    return lb <= null <= ub


def _null_value(measure: str) -> float:
    return 1.0 if measure in ("OR", "RR", "ROM") else 0.0


def _comparator_class(comparator: str) -> str:
    """Placebo-type comparators (saline, placebo, sham) pool together; others only with the same."""
    low = comparator.lower()
    if any(word in low for word in ("saline", "placebo", "sham")):
        return "placebo"
    return low


def _group_key(s: StudyOutcome) -> tuple[str, str, str, str]:
    return (s.outcome, s.unit, s.extra.get("measure", ""), _comparator_class(s.comparator))


def poolable_group(primaries: Sequence[StudyOutcome]) -> list[StudyOutcome]:
    """The largest set of primary studies sharing outcome, unit, measure and kind of comparator
    (placebo-type or the same active comparator); the first such set wins ties."""
    groups: dict[tuple[str, str, str, str], list[StudyOutcome]] = {}
    for s in primaries:
        if effect_and_variance(s) is not None:
            groups.setdefault(_group_key(s), []).append(s)
    if not groups:
        return []
    return max(groups.values(), key=len)


def _describe_single(s: StudyOutcome) -> str:
    who = s.study
    size = study_n(s)
    people = f"{size} people" if size else "size not reported"
    text = f"{who}: {s.design}, {people}"
    if s.note:
        text += f"; {s.note.rstrip('.')}"
    return text


# --- the profile ------------------------------------------------------------------------


def _pool(group: Sequence[StudyOutcome]) -> tuple[PooledEffect, CertaintyRating]:
    pairs = [effect_and_variance(s) for s in group]
    yi = [p[0] for p in pairs if p is not None]
    vi = [p[1] for p in pairs if p is not None]
    res = rma(yi, vi, method=POOLING_METHOD, test=POOLING_TEST)
    pred = res.predict()
    measure = group[0].extra.get("measure", "MD")
    ratio = measure in ("OR", "RR", "ROM")
    back = math.exp if ratio else (lambda x: x)
    null = _null_value(measure)
    pooled = PooledEffect(
        measure=measure,
        unit=group[0].unit,
        outcome=group[0].outcome,
        comparator=group[0].comparator,
        estimate=back(res.estimate),
        ci_lb=back(res.ci_lb),
        ci_ub=back(res.ci_ub),
        pi_lb=back(pred.pi_lb),
        pi_ub=back(pred.pi_ub),
        I2=res.I2,
        tau2=res.tau2,
        k=res.k,
        n=sum(study_n(s) for s in group),
    )
    egger_p: float | None = None
    trimfill_crosses: bool | None = None
    if res.k >= MIN_STUDIES_FOR_PUBLICATION_BIAS:
        from regenaid.evidence.bias import regtest, trimfill

        egger_p = regtest(res).pval
        filled = trimfill(res)
        trimfill_crosses = filled.k0 > 0 and _crosses(filled.ci_lb, filled.ci_ub, 0.0)
    body = BodyOfEvidence(
        studies=[
            StudyWeight(
                weight=w,
                randomised=_randomised(s),
                risk_of_bias=s.risk_of_bias,
                indirect=bool(s.extra.get("indirectness")),
            )
            for w, s in zip(res.weights, group, strict=True)
        ],
        total_n=pooled.n,
        ci_crosses_null=_crosses(pooled.ci_lb, pooled.ci_ub, null),
        pi_crosses_null=_crosses(pooled.pi_lb, pooled.pi_ub, null),
        I2=res.I2,
        egger_p=egger_p,
        trimfill_crosses_null=trimfill_crosses,
    )
    return pooled, rate_certainty(body)


def _try_pool(group: Sequence[StudyOutcome]) -> tuple[PooledEffect, CertaintyRating] | None:
    """Pool, or None when the numbers cannot be pooled (e.g. a zero SD); the profile then
    falls back to listing the studies, so it never raises for a valid pair."""
    try:
        return _pool(group)
    except InvalidInputError:
        return None


def _single_rating(s: StudyOutcome) -> CertaintyRating:
    pair = effect_and_variance(s)
    crosses = True
    if pair is not None:
        yi, vi = pair
        crosses = abs(yi) < 1.959964 * math.sqrt(vi)
    body = BodyOfEvidence(
        studies=[
            StudyWeight(
                weight=1.0,
                randomised=_randomised(s),
                risk_of_bias=s.risk_of_bias,
                indirect=bool(s.extra.get("indirectness")),
            )
        ],
        total_n=study_n(s),
        ci_crosses_null=crosses,
        pi_crosses_null=None,
        I2=None,
        effect_known=pair is not None,
    )
    return rate_certainty(body)


def _best_published(published: Sequence[StudyOutcome]) -> StudyOutcome | None:
    """The published result whose rating the profile shows: rated rows only; those with a
    numeric effect first, then the most recent; file order breaks ties."""
    rated = [p for p in published if p.published_certainty is not None]
    if not rated:
        return None
    return max(rated, key=lambda p: (p.extra.get("measure") != "narrative", p.year or 0))


def k_studies(s: StudyOutcome) -> int | None:
    """How many studies a published review pooled (``k_studies``), or None when not recorded."""
    raw = s.extra.get("k_studies", "").strip()
    if not raw:
        return None
    try:
        return int(float(raw))
    except ValueError:
        return None


def same_comparison(review: StudyOutcome, pooled: PooledEffect) -> bool:
    """True when a published row answers the question our pool answers: same kind of comparator
    (placebo-type or the same active one), measure and unit. Condition and treatment are the
    profile's own (rows are selected by them)."""
    return (
        review.kind == "pooled_published"
        and review.extra.get("measure", "") == pooled.measure
        and review.unit == pooled.unit
        and _comparator_class(review.comparator) == _comparator_class(pooled.comparator)
    )


def larger_rated_review(
    published: Sequence[StudyOutcome], pooled: PooledEffect
) -> StudyOutcome | None:
    """The largest rated published review of the same comparison, when it pooled more studies
    than our pool (then its rating carries the headline); None when our pool carries it.

    Ties in size go to the most recent review, then to file order."""
    candidates = [
        (k, p)
        for p in published
        if p.published_certainty is not None
        and same_comparison(p, pooled)
        and (k := k_studies(p)) is not None
    ]
    if not candidates:
        return None
    k, largest = max(candidates, key=lambda kp: (kp[0], kp[1].year or 0))
    return largest if k > pooled.k else None


def _summary_published(name: str, best: StudyOutcome, certainty: Certainty) -> str:
    label = certainty.value.replace("_", " ")
    measure = best.extra.get("measure", "")
    k, n = best.extra.get("k_studies"), best.extra.get("n_total")
    size = f" of {k} trials" if k else ""
    size += f" ({n} people)" if n else ""
    when = f", {best.year}" if best.year and str(best.year) not in best.study else ""
    if measure == "MD" and best.effect is not None and best.ci_low is not None:
        assert best.ci_high is not None
        comparator = _plain_comparator(best.comparator)
        more = "more" if best.effect >= 0 else "less"
        text = (
            f"A published review{size} ({best.study}{when}) found that {name} gave about "
            f"{_fmt(abs(best.effect))} {_plain_unit(best.unit)} {more} than {comparator} "
            f"(could be {_fmt(best.ci_low)} to {_fmt(best.ci_high)})."
        )
    else:
        text = f"A published source{size} ({best.study}{when}): {best.note or best.outcome}"
        if not text.endswith("."):
            text += "."
    return f"{text} It rated the evidence {label} certainty."


def _range(pooled: PooledEffect) -> str:
    """The CI in words: 'could be 3 to 49', or 'anywhere from 15 fewer to 55 more'."""
    lb, ub = pooled.ci_lb, pooled.ci_ub
    if pooled.measure in ("OR", "RR", "ROM"):
        return f"could be {_fmt(lb)} to {_fmt(ub)} times"
    if lb < 0 < ub:
        return f"could be anywhere from {_fmt(-lb)} fewer to {_fmt(ub)} more"
    if ub <= 0:
        return f"could be {_fmt(-ub)} to {_fmt(-lb)} fewer"
    return f"could be {_fmt(lb)} to {_fmt(ub)}"


def _summary_pooled(
    name: str, pooled: PooledEffect, certainty: Certainty, reasons: Sequence[str]
) -> str:
    trials = "trial" if pooled.k == 1 else "trials"
    size = "small " if pooled.n < 400 else ""
    unit = _plain_unit(pooled.unit)
    comparator = _plain_comparator(pooled.comparator)
    if pooled.measure in ("OR", "RR", "ROM"):
        effect = (
            f"{name} changed the odds about {_fmt(pooled.estimate)}-fold compared with {comparator}"
        )
    elif pooled.estimate >= 0:
        effect = f"{name} added about {_fmt(pooled.estimate)} {unit} more than {comparator}"
    else:
        effect = f"{name} gave about {_fmt(-pooled.estimate)} {unit} less than {comparator}"
    text = f"In {pooled.k} {size}{trials} ({pooled.n} people), {effect} ({_range(pooled)})."
    label = certainty.value.replace("_", " ").capitalize()
    why = reasons[0].rstrip(".").lower() if reasons else "the trials were well done and agreed"
    return f"{_cap(text)} {label} certainty: {why}."


def _profile(
    studies: tuple[StudyOutcome, ...], condition: str, treatment: TreatmentId
) -> EvidenceProfile:
    rows = [s for s in studies if s.condition == condition and s.treatment == treatment]
    primaries = tuple(s for s in rows if s.kind == "primary")
    published = tuple(s for s in rows if s.kind == "pooled_published")
    name = _TREATMENT_NAMES.get(treatment, treatment)
    group = poolable_group(primaries)
    pooled: PooledEffect | None = None
    headline: Headline = "none"
    review: StudyOutcome | None = None
    attempt = _try_pool(group) if len(group) >= 2 else None
    if attempt is not None:
        pooled, rating = attempt
        review = larger_rated_review(published, pooled)
        if review is not None and review.published_certainty is not None:
            headline = "published"
            certainty, reasons = _published_over_pool(review, pooled, rating)
            summary = _summary_published(name, review, certainty)
        else:
            headline = "ours"
            certainty, reasons = rating.certainty, list(rating.reasons)
            summary = _summary_pooled(name, pooled, certainty, reasons)
            best = _best_published(published)
            if best is not None and best.published_certainty is not None:
                summary += (
                    f" A published review ({best.study}) rated the evidence "
                    f"{best.published_certainty.value.replace('_', ' ')} certainty."
                )
    else:
        certainty, reasons, summary, review = _unpooled(
            name, condition, treatment, primaries, published, studies
        )
        headline = "published" if review is not None else "none"
    sources = tuple(dict.fromkeys(src for s in (*primaries, *published) for src in s.sources))
    return EvidenceProfile(
        condition=condition,
        treatment=treatment,
        certainty=certainty,
        certainty_reasons=tuple(reasons),
        pooled=pooled,
        published=published,
        studies=primaries,
        summary=summary,
        sources=sources,
        headline=headline,
        headline_review=review,
    )


def _published_over_pool(
    review: StudyOutcome, pooled: PooledEffect, own: CertaintyRating
) -> tuple[Certainty, list[str]]:
    """Certainty and reasons when a larger rated review carries the headline over our pool."""
    assert review.published_certainty is not None
    k = k_studies(review)
    own_label = own.certainty.value.replace("_", " ")
    trials = "trial" if pooled.k == 1 else "trials"
    return review.published_certainty, [
        f"Rating as published by {review.study}, a review of {k} trials.",
        f"Our own pooling of the {pooled.k} {trials} with usable numbers in our table is shown "
        f"too (on its own it would be rated {own_label} certainty), but the published review "
        f"covers more trials ({k}), so its rating is used.",
    ]


def _unpooled(
    name: str,
    condition: str,
    treatment: TreatmentId,
    primaries: Sequence[StudyOutcome],
    published: Sequence[StudyOutcome],
    studies: Sequence[StudyOutcome],
) -> tuple[Certainty, list[str], str, StudyOutcome | None]:
    """Certainty, reasons and summary when we cannot pool, and the published row whose rating
    is used (None when the headline does not come from a published review)."""
    reasons: list[str] = []
    best = _best_published(published)
    if best is not None and best.published_certainty is not None:
        certainty = best.published_certainty
        poolable = len(poolable_group(primaries))
        reasons.append(
            f"Rating as published by {best.study}; the study table has {poolable} "
            f"{'trial' if poolable == 1 else 'trials'} with published per-group numbers, "
            "too few to pool ourselves."
        )
        return certainty, reasons, _summary_published(name, best, certainty), best
    if treatment == "no_treatment":
        return (*_no_treatment(condition, studies), None)
    if not primaries and not published:
        return (
            Certainty.VERY_LOW,
            ["No studies of this option for this condition were found."],
            f"We found no studies of {name} for this condition, so nobody knows "
            "how well it works here.",
            None,
        )
    if primaries:
        ratings = [_single_rating(s) for s in primaries]
        best_single = max(ratings, key=lambda r: r.certainty.level)
        certainty = best_single.certainty
        reasons = [
            f"Too few studies to pool: {len(primaries)} single "
            f"{'study' if len(primaries) == 1 else 'studies'}.",
            *best_single.reasons,
        ]
        listed = "; ".join(_describe_single(s) for s in primaries)
        summary = f"There are too few studies of {name} to combine. Single studies: {listed}"
        if not summary.endswith("."):
            summary += "."
        return certainty, reasons, summary, None
    return (
        Certainty.VERY_LOW,
        ["Only published summaries without a certainty rating were found."],
        f"Only published reviews without a certainty rating cover {name} here.",
        None,
    )


def _no_treatment(
    condition: str, studies: Sequence[StudyOutcome]
) -> tuple[Certainty, list[str], str]:
    levels: list[Certainty] = []
    for treatment in TREATMENT_IDS:
        if treatment == "no_treatment":
            continue
        rows = [
            s
            for s in studies
            if s.condition == condition
            and s.treatment == treatment
            and ("placebo" in s.comparator.lower() or "saline" in s.comparator.lower())
        ]
        for s in rows:
            if s.kind == "pooled_published" and s.published_certainty is not None:
                levels.append(s.published_certainty)
        group = poolable_group([s for s in rows if s.kind == "primary"])
        attempt = _try_pool(group) if len(group) >= 2 else None
        if attempt is not None:
            levels.append(attempt[1].certainty)
    if not levels:
        return (
            Certainty.VERY_LOW,
            ["No placebo-controlled trials describe the untreated course of this condition."],
            "We found no trials that show what happens without new treatment for this condition.",
        )
    best = max(levels, key=lambda c: c.level)
    certainty = Certainty.from_level(min(best.level, Certainty.MODERATE.level))
    return (
        certainty,
        [
            "Based on the placebo groups of trials, which show what happens without active "
            "treatment; capped at moderate because that was not their question."
        ],
        "What happens without new treatment is seen in the placebo groups of trials, who got "
        "a dummy treatment instead; hair or skin changed in some of them too.",
    )


def evidence_profile(
    studies: Sequence[StudyOutcome], condition: str, treatment: TreatmentId
) -> EvidenceProfile:
    """The evidence profile for ``treatment`` in ``condition`` (never raises for a valid pair).

    Results are cached per (study table, condition, treatment); the cache keeps the study
    records alive, so their identities cannot be reused while an entry exists.
    """
    table = tuple(studies)
    key = (tuple(id(s) for s in table), condition, treatment)
    hit = _CACHE.get(key)
    if hit is not None:
        return hit[1]
    profile = _profile(table, condition, treatment)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = (table, profile)
    return profile


_CACHE_SIZE = 512
_CACHE: dict[
    tuple[tuple[int, ...], str, str], tuple[tuple[StudyOutcome, ...], EvidenceProfile]
] = {}
