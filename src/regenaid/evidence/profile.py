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


def _studies_word(k: int, randomised: bool) -> str:
    """'trials' only for randomised trials; a cohort or a retrospective series is a study."""
    if randomised:
        return "trial" if k == 1 else "trials"
    return "study" if k == 1 else "studies"


def plain_unit(unit: str) -> str:
    """A unit in words: 'hairs/cm2' -> 'hairs per cm²'."""
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


_INACTIVE_WORDS = (
    "saline",
    "placebo",
    "sham",
    "vehicle",
    "control",
    "no treatment",
    "none",
    "alone",
)


def head_to_head(comparator: str) -> bool:
    """Whether ``comparator`` is another active treatment given instead (triamcinolone
    injections, a placental extract), so that an interval including no difference says the two
    do about as well, not that the treatment does nothing. Placebo-type comparators (saline,
    placebo, sham, vehicle, no treatment, controls), before-and-after comparisons and add-on
    designs (PRP with a laser against the laser alone) are not; nor is an unstated one."""
    low = comparator.lower().strip()
    return bool(low) and low != "n/a" and not any(word in low for word in _INACTIVE_WORDS)


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
    """The published result whose rating the profile shows: rated rows only; direct evidence
    first (a row with ``indirectness``, e.g. a result only for severe disease, speaks for
    everyone only when nothing direct is rated), then those with a numeric effect, then the
    most recent; file order breaks ties."""
    rated = [p for p in published if p.published_certainty is not None]
    if not rated:
        return None
    return max(
        rated,
        key=lambda p: (
            not p.extra.get("indirectness"),
            # a study of severe disease only, when it is direct (the reader's disease is
            # severe: decide.views.profile_for clears its indirectness), is the closer match
            p.extra.get("stage") == "severe",
            p.extra.get("measure") != "narrative",
            p.year or 0,
        ),
    )


def rating_origin(row: StudyOutcome) -> str:
    """Whose rating the certainty is (see :func:`rating_words` for ``rating_scale``)."""
    scale = row.extra.get("rating_scale", "").strip()
    if not scale or scale.startswith("GRADE,"):
        return f"Rating as published by {row.study}"
    if scale.lower().startswith("our reading"):
        return f"Our own reading of {row.study}, which gave no GRADE rating we could use"
    return f"Our reading on the GRADE scale of {row.study}'s own grade ({scale})"


def rating_words(row: StudyOutcome, certainty: Certainty) -> str:
    """Who rated the certainty, as ``rating_scale`` records it: empty, the source's own GRADE
    rating; ``GRADE, <detail>``, a GRADE rating with a detail (e.g. a range, the lower shown);
    ``our reading ...``, the source gave no GRADE rating we could use and the certainty is our
    reading; anything else names the source's own scale, which is not GRADE."""
    label = certainty.value.replace("_", " ")
    scale = row.extra.get("rating_scale", "").strip()
    if not scale:
        return f"It rated the evidence {label} certainty."
    if scale.startswith("GRADE,"):
        return (
            f"It rated the evidence with GRADE ({scale.removeprefix('GRADE,').strip()}); "
            f"we show {label} certainty."
        )
    if scale.lower().startswith("our reading"):
        return f"It gave no GRADE rating we could use; our own reading of it is {label} certainty."
    return (
        f"It graded the evidence on its own scale ({scale}), not GRADE; our reading on the "
        f"GRADE scale is {label} certainty."
    )


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


def _size_phrase(s: StudyOutcome) -> str:
    """' of 13 studies (431 people)' from a published row's k_studies/n_total, as recorded."""
    k, n = s.extra.get("k_studies"), s.extra.get("n_total")
    size = f" of {k} {'study' if k == '1' else 'studies'}" if k else ""
    return size + (f" ({n} people)" if n else "")


def _summary_published(name: str, best: StudyOutcome, certainty: Certainty) -> str:
    """The published result in words. Ratios are worded for what they are: an odds ratio
    multiplies the odds (not the chance), a risk ratio the chance; a risk difference is read
    per 100 people."""
    measure = best.extra.get("measure", "")
    name = best.extra.get("intervention") or name  # what the review's treated arm was
    size = _size_phrase(best)
    when = f", {best.year}" if best.year and str(best.year) not in best.study else ""
    who = f"A published review{size} ({best.study}{when})"
    comparator = _plain_comparator(best.comparator)
    has_ci = best.effect is not None and best.ci_low is not None and best.ci_high is not None
    if has_ci and measure == "MD":
        assert best.effect is not None and best.ci_low is not None and best.ci_high is not None
        more = "more" if best.effect >= 0 else "less"
        text = (
            f"{who} found that {name} gave about {_fmt(abs(best.effect))} "
            f"{plain_unit(best.unit)} {more} than {comparator} "
            f"(could be {_fmt(best.ci_low)} to {_fmt(best.ci_high)})."
        )
    elif has_ci and measure in ("OR", "RR", "RD"):
        assert best.effect is not None and best.ci_low is not None and best.ci_high is not None
        text = f"{who} found that, with {name} instead of {comparator}, " + ratio_words(
            measure, best.outcome, best.effect, best.ci_low, best.ci_high
        )
    else:
        text = f"A published source{size} ({best.study}{when}): {best.note or best.outcome}"
        if not text.endswith("."):
            text += "."
    return f"{text} {rating_words(best, certainty)}"


def ratio_words(measure: str, outcome: str, est: float, lb: float, ub: float) -> str:
    """A published OR, RR or RD in plain words (the clause after 'with X instead of Y, ')."""
    if measure == "OR":
        return (
            f"the odds of {outcome} were about {_fmt(est)} times as high (odds ratio "
            f"{_fmt(est)}, could be {_fmt(lb)} to {_fmt(ub)}; odds are not the same as chances)."
        )
    if measure == "RR":
        return (
            f"{outcome} was about {_fmt(est)} times as likely (risk ratio {_fmt(est)}, "
            f"could be {_fmt(lb)} to {_fmt(ub)})."
        )

    def per100(x: float) -> str:
        n = round(abs(x) * 100)
        return f"{n} {'more' if x >= 0 else 'fewer'}"

    return (
        f"{per100(est)} in 100 people had {outcome} (could be anywhere from {per100(lb)} to "
        f"{per100(ub)} in 100)."
    )


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
    name: str,
    pooled: PooledEffect,
    certainty: Certainty,
    reasons: Sequence[str],
    randomised: bool = True,
) -> str:
    trials = _studies_word(pooled.k, randomised)
    size = "small " if pooled.n < 400 else ""
    unit = plain_unit(pooled.unit)
    comparator = _plain_comparator(pooled.comparator)
    if pooled.measure == "OR":
        effect = (
            f"the odds of {pooled.outcome} with {name} were about {_fmt(pooled.estimate)} times "
            f"the odds with {comparator} (an odds ratio; odds are not the same as chances)"
        )
    elif pooled.measure == "RR":
        effect = (
            f"{pooled.outcome} was about {_fmt(pooled.estimate)} times as likely with {name} "
            f"as with {comparator}"
        )
    elif pooled.measure == "ROM":
        effect = (
            f"the average {pooled.outcome} with {name} was about {_fmt(pooled.estimate)} times "
            f"that with {comparator}"
        )
    elif pooled.estimate >= 0:
        effect = f"{name} added about {_fmt(pooled.estimate)} {unit} more than {comparator}"
    else:
        effect = f"{name} gave about {_fmt(-pooled.estimate)} {unit} less than {comparator}"
    text = (
        f"Our own calculation from {pooled.k} {size}{trials} ({pooled.n} people): {effect} "
        f"({_range(pooled)})."
    )
    label = certainty.value.replace("_", " ").capitalize()
    why = reasons[0].rstrip(".") if reasons else "the trials were well done and agreed"
    why = why[:1].lower() + why[1:]  # keep "I²" and names as written
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
    attempt = _try_pool(group) if len(group) >= MIN_STUDIES_TO_POOL else None
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
            randomised = all(_randomised(s) for s in group)
            summary = _summary_pooled(name, pooled, certainty, reasons, randomised)
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
    if treatment == "no_treatment" and not sources:
        # what no new treatment brings is read from the placebo groups of the condition's trials
        sources = tuple(
            dict.fromkeys(
                src
                for s in studies
                if s.condition == condition and _placebo_controlled(s)
                for src in s.sources
            )
        )
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
        poolable=tuple(group),
    )


def _published_over_pool(
    review: StudyOutcome, pooled: PooledEffect, own: CertaintyRating
) -> tuple[Certainty, list[str]]:
    """Certainty and reasons when a larger rated review carries the headline over our pool."""
    assert review.published_certainty is not None
    k = k_studies(review)
    own_label = own.certainty.value.replace("_", " ")
    return review.published_certainty, [
        f"{rating_origin(review)}, a review that pooled {k} studies.",
        f"Our own pooling of the {pooled.k} studies with usable numbers in our table is shown "
        f"too (on its own it would be rated {own_label} certainty), but the published review "
        f"pooled more studies ({k}), so its rating is used.",
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
        if poolable:
            reasons.append(
                f"{rating_origin(best)}; too few studies to pool ourselves: the "
                f"study table has {poolable} {'study' if poolable == 1 else 'studies'} with "
                f"usable numbers for one comparison, and we pool only {MIN_STUDIES_TO_POOL} or "
                "more."
            )
        else:
            reasons.append(
                f"{rating_origin(best)}; the study table has no primary studies "
                "with usable numbers to pool ourselves."
            )
        summary = _summary_published(name, best, certainty)
        if poolable == 1:
            summary += (
                " Our table has 1 study with usable numbers, too few studies to pool; it is "
                "listed on its own."
            )
        elif poolable:
            summary += (
                f" Our table has {poolable} studies with usable numbers, too few studies to "
                "pool; they are listed one by one."
            )
        return certainty, reasons, summary, best
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
        # each study is rated on its primary outcome (its first row in the study table), never
        # on a secondary outcome that happens to look more precise
        main_rows = {s.study: s for s in reversed(primaries)}.values()
        ratings = [_single_rating(s) for s in main_rows]
        best_single = max(ratings, key=lambda r: r.certainty.level)
        certainty = best_single.certainty
        count = len({s.study for s in primaries})  # one study may report several outcomes
        reasons = [
            f"Too few studies to pool: {count} single {'study' if count == 1 else 'studies'}.",
            *best_single.reasons,
        ]
        listed = "; ".join(_describe_single(s) for s in primaries)
        summary = f"We have too few studies of {name} here to combine. Single studies: {listed}"
        if not summary.endswith("."):
            summary += "."
        return certainty, reasons, summary, None
    return (
        Certainty.VERY_LOW,
        ["Only published summaries without a certainty rating were found."],
        f"Only published reviews without a certainty rating cover {name} here.",
        None,
    )


def _placebo_controlled(s: StudyOutcome) -> bool:
    comparator = s.comparator.lower()
    return "placebo" in comparator or "saline" in comparator


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
            if s.condition == condition and s.treatment == treatment and _placebo_controlled(s)
        ]
        for s in rows:
            if s.kind == "pooled_published" and s.published_certainty is not None:
                levels.append(s.published_certainty)
        group = poolable_group([s for s in rows if s.kind == "primary"])
        attempt = _try_pool(group) if len(group) >= MIN_STUDIES_TO_POOL else None
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


# Who a person of each recorded sex can be matched with in the ``population`` column (empty =
# not recorded, read as any).
_POPULATIONS_FOR_SEX: Final[dict[str, tuple[str, ...]]] = {
    "male": ("men", "both", ""),
    "female": ("women", "both", ""),
    "other": ("men", "women", "both", ""),
}


def studied_in(
    studies: Sequence[StudyOutcome],
    condition: str,
    treatment: str,
    sex: str,
    *,
    chronic: bool = True,
) -> bool:
    """True when at least one primary or published pooled row for (``condition``,
    ``treatment``) studied people of ``sex``: its ``population`` is ``both``, not recorded, or
    the matching one (``male`` -> ``men``, ``female`` -> ``women``; ``other`` matches any).
    A row of a study that enrolled only chronic disease (``stage: chronic``) counts only when
    the person's condition is ``chronic``.

    The ranking credits no benefit to an option that was never studied in the person's group.
    Raises InvalidInputError for a sex other than ``male``, ``female`` or ``other``.
    """
    wanted = _POPULATIONS_FOR_SEX.get(sex)
    if wanted is None:
        raise InvalidInputError("sex", f"{sex!r} is not allowed", tuple(_POPULATIONS_FOR_SEX))
    return any(
        s.condition == condition
        and s.treatment == treatment
        and s.kind in ("primary", "pooled_published")
        and s.extra.get("population", "") in wanted
        and (chronic or s.extra.get("stage") != "chronic")
        for s in studies
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


__all__ = [
    "MIN_STUDIES_TO_POOL",
    "POOLING_METHOD",
    "POOLING_TEST",
    "EvidenceProfile",
    "Headline",
    "PooledEffect",
    "effect_and_variance",
    "evidence_profile",
    "k_studies",
    "larger_rated_review",
    "poolable_group",
    "same_comparison",
    "studied_in",
    "study_n",
]
