"""The clinic's results beside the evidence: a cohort view per condition, option (and PRP
preparation class) and measure, with the published estimate the decision aid shows.

The rules, in the order they are applied (docs/clinic-outcomes.md explains each choice):

- **Treated**: a course with at least one treatment session (``initial`` or ``maintenance``)
  recorded as done. A patient counts once per condition and option: with two such courses, the
  one treated first. ``first_treated_on`` is the day of its first done treatment session.
- **Whose measurements**: a measurement recorded for the course (``course_id``), or recorded
  without a course when the patient has exactly one course (then it can only be for that one).
- **One value per patient and measure**: the patient's *primary* series of the measure, the
  (site, method) series measured first; other sites and methods are not averaged in, so a
  patient measured at three sites weighs as much as one measured at one.
- **Baseline**: the first measurement of that series, on or before ``first_treated_on``.
  **Follow-up**: the latest measurement of the series, at least :data:`FOLLOW_UP_DAYS` (12
  weeks) after the baseline. **Followed up**: both exist. **Lost**: treated minus followed up
  (no baseline before treatment, or no measurement 12 weeks or more after it).
- **Mean change** (absolute, in the measure's unit; and relative, in % of baseline) with a 95%
  Student-t interval over the per-patient changes: with one value per patient this is what a
  random-intercept mixed model gives too, without its assumptions about several sites.
- **Responder** (:data:`RESPONDER_RULE`): the change is an improvement beyond the method's
  published error (:func:`regenaid.clinic.outcomes.judge_change` says ``improved``) *and*,
  where a smallest noticeable change is published for the measure (hair density: 22.78%, Oh
  2025), it reaches it. Patients whose method has no known error cannot be judged and are left
  out of the denominator (``judged``). Proportion with a Wilson 95% interval.
- **Adverse events** per 100 done treatment sessions by CTCAE grade (events linked to a session
  of the group's courses), with an exact (Garwood) Poisson 95% interval.
- **Small cells** (:data:`MIN_PATIENTS`): a group of 1-4 treated patients shows "<5" and no
  other number; a measure followed up in 1-4 patients shows "<5" followed up, lost as a bound
  (">N"), and no statistics; a responder proportion needs 5 judged patients. When the view is
  split by PRP class and exactly one class of a condition and option is suppressed, the
  smallest other class is suppressed too, so that the unsplit view minus the shown classes
  does not give the hidden one back (the same for each measure's statistics).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Literal, cast, get_args

from scipy import stats

from regenaid.clinic.courses import COURSE_TREATMENTS
from regenaid.clinic.outcomes import Measure, Method, OutcomeCatalogue, Verdict
from regenaid.errors import InvalidInputError
from regenaid.evidence.profile import evidence_profile, k_studies, plain_unit
from regenaid.knowledge.model import CONDITIONS_BY_CONCERN, StudyOutcome

FOLLOW_UP_DAYS = 84  # 12 weeks, our choice (the pooled PRP trials compared at 3-6 months)
MIN_PATIENTS = 5  # a cell of fewer patients shows no numbers
CONFIDENCE = 0.95
TREATMENT_SESSION_KINDS = ("initial", "maintenance")
GRADES = (1, 2, 3, 4, 5)

PrpSplit = Literal["none", "concentration", "spins", "protocol"]
PRP_SPLITS: tuple[str, ...] = get_args(PrpSplit)
PRP_SPLIT_LABELS: Mapping[str, str] = {
    "none": "All preparations together",
    "concentration": "Concentration-factor band",
    "spins": "Spin protocol (single or double spin)",
    "protocol": "The clinic's PRP protocol",
}
# Concentration factor (PRP platelets / whole-blood platelets) bands: upper limit (exclusive)
# and label. Our own round-number bands for grouping; no published banding was verified.
CONCENTRATION_BANDS: tuple[tuple[float, str], ...] = (
    (2.0, "concentration below 2×"),
    (4.0, "concentration 2× to below 4×"),
    (6.0, "concentration 4× to below 6×"),
    (math.inf, "concentration 6× or more"),
)
ALL_CLASSES = "all"
NOT_PRP = "not PRP"

RESPONDER_RULE = (
    "A responder improved by more than the measuring method's published error and, where a "
    "smallest noticeable change is published for the measure, by at least that much."
)
CAVEAT = (
    "An uncontrolled clinic cohort is not a trial. Without a control group, the change from "
    "baseline also holds regression to the mean (people often start treatment when their hair "
    "or skin is at its worst), the placebo response and the natural course; patients lost to "
    "follow-up may have done worse than those who came back; and every measurement has an "
    "error. The published number is a difference against placebo in randomised trials; the "
    "cohort's number is a change from baseline. They are not comparable like for like: the "
    "cohort's number does not show how well the treatment works."
)
NO_PUBLISHED = "no pooled published estimate"

# Which published outcome answers the question a clinic measure asks: the study table's unit
# and words of its outcome. Only mean differences against placebo-type comparators with a 95%
# CI are shown beside a cohort.
PUBLISHED_OUTCOMES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "hair_density": ("hairs/cm2", ("hair density",)),
    "shaft_diameter": ("um", ("hair diameter",)),
}
_PLACEBO_WORDS = ("placebo", "saline", "sham")
_CONDITIONS = tuple(c for group in CONDITIONS_BY_CONCERN.values() for c in group)


# --- filters ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CohortFilters:
    condition: str | None = None
    option: str | None = None  # a course treatment: prp | exosome | combination
    measure: str | None = None
    prp_class: PrpSplit = "none"  # how PRP courses are split into classes


def cohort_filters(
    catalogue: OutcomeCatalogue,
    *,
    condition: str | None = None,
    option: str | None = None,
    measure: str | None = None,
    prp_class: str | None = None,
) -> CohortFilters:
    """Checked filters (empty text means no filter); an unknown value raises
    :class:`InvalidInputError` naming the field and the allowed values."""
    condition, option, measure = (v or None for v in (condition, option, measure))
    if condition is not None and condition not in _CONDITIONS:
        raise InvalidInputError("condition", f"unknown condition {condition!r}", _CONDITIONS)
    if option is not None and option not in COURSE_TREATMENTS:
        raise InvalidInputError("option", f"not a clinic course: {option!r}", COURSE_TREATMENTS)
    amounts = [m.id for m in catalogue.measures.values() if m.kind == "amount"]
    if measure is not None and measure not in amounts:
        raise InvalidInputError("measure", f"not a measure with a baseline: {measure!r}", amounts)
    split = prp_class or "none"
    if split not in PRP_SPLITS:
        raise InvalidInputError("prp_class", f"unknown split {split!r}", PRP_SPLITS)
    return CohortFilters(condition, option, measure, cast(PrpSplit, split))


# --- what storage gives (regenaid.clinic.ports.OutcomeQueries) ---------------------------------


@dataclass(frozen=True, slots=True)
class CourseRow:
    """One course with at least one done treatment session, aggregated by the database."""

    course_id: str
    patient_id: str
    condition: str
    treatment: str
    first_treated_on: date
    sessions: int  # done treatment sessions
    prp_records: int = 0  # PRP preparations recorded at its sessions
    cf_recorded: int = 0  # ... of which with a concentration factor
    cf_min: float | None = None
    cf_max: float | None = None
    spins_min: int | None = None  # spins per preparation (0: none recorded)
    spins_max: int | None = None
    protocol_recorded: int = 0  # ... of which made to a saved protocol of the clinic
    protocol_min: str | None = None
    protocol_max: str | None = None
    events: Mapping[int, int] = field(default_factory=dict)  # CTCAE grade -> events


@dataclass(frozen=True, slots=True)
class SeriesRow:
    """The first and the latest measurement of one course's (measure, site, method) series."""

    course_id: str
    measure: str
    site: str
    method: str
    first_value: float
    first_on: date
    first_at: datetime  # when the first one was recorded (orders series measured the same day)
    last_value: float
    last_on: date
    count: int


@dataclass(frozen=True, slots=True)
class CohortRows:
    courses: Sequence[CourseRow]
    series: Sequence[SeriesRow]
    unlinked_events: int  # adverse events recorded without a session: not in any rate


# --- statistics ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Interval:
    estimate: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Proportion:
    count: int
    total: int
    interval: Interval  # of the proportion, 0-1


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    """Mean of ``values`` with its Student-t interval (n - 1 degrees of freedom)."""
    n = len(values)
    if n < 2:
        raise ValueError("a t-interval needs at least 2 values")
    mean = math.fsum(values) / n
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in values) / (n - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half)


def wilson_interval(count: int, total: int, confidence: float = CONFIDENCE) -> Interval:
    """The proportion ``count / total`` with Wilson's score interval (Wilson 1927; method 3 of
    Newcombe 1998)."""
    if total < 1 or not 0 <= count <= total:
        raise ValueError("need 0 <= count <= total and total >= 1")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = count / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def poisson_rate_interval(
    events: int, exposure: float, per: float = 100.0, confidence: float = CONFIDENCE
) -> Interval:
    """Events per ``per`` units of ``exposure`` with the exact (Garwood 1936) Poisson interval:
    chi-square quantiles with 2x and 2x + 2 degrees of freedom."""
    if events < 0 or exposure <= 0:
        raise ValueError("need events >= 0 and exposure > 0")
    alpha = 1 - confidence
    low = 0.0 if events == 0 else float(stats.chi2.ppf(alpha / 2, 2 * events)) / 2
    high = float(stats.chi2.ppf(1 - alpha / 2, 2 * events + 2)) / 2
    scale = per / exposure
    return Interval(events * scale, low * scale, high * scale)


# --- the published estimate ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublishedEstimate:
    """The pooled number the decision aid shows for the same condition, option and outcome."""

    study: str  # e.g. "Kieling 2024", or "our pool of 4 trials"
    row_id: str | None  # the study table's row (None for our own pool)
    comparator: str
    estimate: float  # mean difference, in ``unit``
    low: float
    high: float
    unit: str  # as the study table writes it
    k: int | None
    i2: float | None
    certainty: str | None
    sources: tuple[str, ...]
    text: str


def _placebo(comparator: str) -> bool:
    return any(word in comparator.lower() for word in _PLACEBO_WORDS)


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 100 else f"{x:.0f}"


def _estimate_text(
    who: str, option: str, comparator: str, est: float, lo: float, hi: float, unit: str
) -> str:
    return (
        f"{who}: {option.upper() if option == 'prp' else option} vs {comparator}, mean "
        f"difference {_fmt(est)} {plain_unit(unit)} (95% CI {_fmt(lo)} to {_fmt(hi)})"
    )


def _from_row(row: StudyOutcome, option: str) -> PublishedEstimate:
    assert row.effect is not None and row.ci_low is not None and row.ci_high is not None
    k = k_studies(row)
    i2_text = row.extra.get("i2", "").strip()
    i2 = float(i2_text) if i2_text else None
    certainty = row.published_certainty.value.replace("_", " ") if row.published_certainty else None
    text = _estimate_text(
        row.study, option, row.comparator, row.effect, row.ci_low, row.ci_high, row.unit
    )
    details = [f"{k} studies" if k else "", f"I² {i2:.0f}%" if i2 is not None else ""]
    details.append(f"{certainty} certainty" if certainty else "certainty not rated")
    text += "; " + ", ".join(d for d in details if d) + "."
    return PublishedEstimate(
        study=row.study,
        row_id=row.id,
        comparator=row.comparator,
        estimate=row.effect,
        low=row.ci_low,
        high=row.ci_high,
        unit=row.unit,
        k=k,
        i2=i2,
        certainty=certainty,
        sources=row.sources,
        text=text,
    )


def published_estimate(
    studies: Sequence[StudyOutcome], condition: str, option: str, measure: str
) -> PublishedEstimate | None:
    """The pooled estimate the decision aid shows for (condition, option) when it answers the
    measure's question (:data:`PUBLISHED_OUTCOMES`: same unit and outcome, a mean difference
    against a placebo-type comparator with a 95% CI), from the same evidence profile the aid
    shows (:func:`regenaid.evidence.profile.evidence_profile`): its headline review when that
    matches, else our own pool when it carries the headline and matches, else the matching
    published review (rated first, then the one that pooled most studies, then the newest).
    None when nothing matches."""
    wanted = PUBLISHED_OUTCOMES.get(measure)
    if wanted is None or option not in COURSE_TREATMENTS:
        return None
    unit, words = wanted
    profile = evidence_profile(studies, condition, option)

    def answers(outcome: str, row_unit: str, kind: str, comparator: str) -> bool:
        return (
            row_unit == unit
            and kind == "MD"
            and _placebo(comparator)
            and any(w in outcome.lower() for w in words)
        )

    def usable(s: StudyOutcome) -> bool:
        return (
            s.kind == "pooled_published"
            and None not in (s.effect, s.ci_low, s.ci_high)
            and answers(s.outcome, s.unit, s.extra.get("measure", ""), s.comparator)
        )

    review = profile.headline_review
    if review is not None and usable(review):
        return _from_row(review, option)
    pool = profile.pooled
    if (
        profile.headline == "ours"
        and pool is not None
        and answers(pool.outcome, pool.unit, pool.measure, pool.comparator)
    ):
        who = f"Our pool of {pool.k} trials ({pool.n} people)"
        text = _estimate_text(
            who, option, pool.comparator, pool.estimate, pool.ci_lb, pool.ci_ub, pool.unit
        )
        return PublishedEstimate(
            study=who,
            row_id=None,
            comparator=pool.comparator,
            estimate=pool.estimate,
            low=pool.ci_lb,
            high=pool.ci_ub,
            unit=pool.unit,
            k=pool.k,
            i2=pool.I2,
            certainty=None,
            sources=profile.sources,
            text=text + f"; I² {pool.I2:.0f}%.",
        )
    candidates = [s for s in profile.published if usable(s)]
    if not candidates:
        return None
    best = max(
        candidates,
        key=lambda s: (s.published_certainty is not None, k_studies(s) or 0, s.year or 0),
    )
    return _from_row(best, option)


# --- the view -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shown:
    """A count as shown: the number, or hidden ("<5", or a bound such as ">15")."""

    value: int | None  # None when hidden
    text: str

    @classmethod
    def exact(cls, n: int) -> Shown:
        return cls(n, str(n))


HIDDEN = Shown(None, "suppressed")
FEW = Shown(None, f"<{MIN_PATIENTS}")


@dataclass(frozen=True, slots=True)
class EventRate:
    grade: int | None  # None: any grade
    events: int
    rate: Interval  # per 100 done treatment sessions


@dataclass(frozen=True, slots=True)
class MeasureResult:
    measure: str
    label: str
    unit: str  # UCUM
    followed_up: Shown
    lost: Shown
    change: Interval | None  # mean change, in the unit
    percent: Interval | None  # mean change, % of baseline
    percent_n: int  # patients in the % mean (a baseline of 0 has no %)
    responders: Proportion | None
    judged: int  # followed-up patients whose method has a known error
    published: PublishedEstimate | None
    note: str = ""  # why numbers are missing

    @property
    def shows_statistics(self) -> bool:
        return self.change is not None


@dataclass(frozen=True, slots=True)
class CohortGroup:
    condition: str
    option: str
    prp_class: str  # ALL_CLASSES when not split
    treated: Shown
    sessions: int | None  # None when hidden
    events: tuple[EventRate, ...]  # any grade first, then grades 1-5; empty when hidden
    measures: tuple[MeasureResult, ...]
    note: str = ""

    @property
    def suppressed(self) -> bool:
        return self.treated.value is None


@dataclass(frozen=True, slots=True)
class CohortView:
    filters: CohortFilters
    groups: tuple[CohortGroup, ...]
    unlinked_events: int
    follow_up_days: int = FOLLOW_UP_DAYS
    min_patients: int = MIN_PATIENTS
    responder_rule: str = RESPONDER_RULE
    caveat: str = CAVEAT

    @property
    def patients(self) -> int:
        """Treated patients counted in shown groups (for the audit entry)."""
        return sum(g.treated.value or 0 for g in self.groups)


def concentration_band(factor: float) -> str:
    return next(label for limit, label in CONCENTRATION_BANDS if factor < limit)


def prp_class_of(course: CourseRow, split: str, protocol_names: Mapping[str, str]) -> str:
    """The course's PRP preparation class under ``split``: one class when every preparation
    of the course falls in it; "mixed ..." when they differ; "... not recorded" when any
    preparation lacks the value."""
    if split == "none":
        return ALL_CLASSES
    if course.treatment not in ("prp", "combination"):
        return NOT_PRP
    if course.prp_records == 0:
        return "no preparation recorded"
    if split == "concentration":
        if course.cf_recorded < course.prp_records or course.cf_min is None:
            return "concentration factor not recorded"
        assert course.cf_max is not None
        low, high = concentration_band(course.cf_min), concentration_band(course.cf_max)
        return low if low == high else "mixed concentration bands"
    if split == "spins":
        if not course.spins_min:
            return "spins not recorded"
        if course.spins_min != course.spins_max:
            return "mixed spin protocols"
        return {1: "single spin", 2: "double spin"}.get(
            course.spins_min, f"{course.spins_min} spins"
        )
    if course.protocol_recorded < course.prp_records or course.protocol_min is None:
        return "not made to a saved protocol"
    if course.protocol_min != course.protocol_max:
        return "mixed protocols"
    return "protocol: " + protocol_names.get(course.protocol_min, course.protocol_min)


def _first_courses(courses: Iterable[CourseRow]) -> list[CourseRow]:
    """One course per patient, condition and option: the one treated first."""
    first: dict[tuple[str, str, str], CourseRow] = {}
    for c in sorted(courses, key=lambda c: (c.first_treated_on, c.course_id)):
        first.setdefault((c.patient_id, c.condition, c.treatment), c)
    return list(first.values())


def _primary_series(series: Iterable[SeriesRow]) -> dict[tuple[str, str], SeriesRow]:
    """(course, measure) -> the series measured first (site and method break ties)."""
    out: dict[tuple[str, str], SeriesRow] = {}
    for s in sorted(series, key=lambda s: (s.first_on, s.first_at, s.site, s.method)):
        out.setdefault((s.course_id, s.measure), s)
    return out


@dataclass(frozen=True, slots=True)
class Judged:
    """What :func:`regenaid.clinic.outcomes.judge_change` says about a change, computed
    without building the two records (the cohort judges thousands; a test checks that both
    always agree)."""

    difference: float
    percent: float | None
    verdict: Verdict
    noticeable: bool | None


def judge(spec: Measure, method: Method, baseline: float, later: float) -> Judged:
    difference = later - baseline
    percent = difference / baseline * 100 if baseline else None
    error = method.error_for(spec.id)
    if error is not None and error.percent is not None and baseline == 0:
        error = None  # a share of nothing: as judge_change
    verdict: Verdict
    if error is None:
        verdict = "error_unknown"
    else:
        half = error.half_width(baseline)
        low, high = difference - half, difference + half
        if low <= 0 <= high:
            verdict = "no_measurable_change"
        elif spec.better == "none":
            verdict = "increased" if difference > 0 else "decreased"
        else:
            good = difference > 0 if spec.better == "higher" else difference < 0
            verdict = "improved" if good else "worsened"
    noticeable = None
    if spec.noticeable is not None and percent is not None:
        noticeable = abs(percent) >= spec.noticeable.percent and verdict not in (
            "no_measurable_change",
            "error_unknown",
        )
    return Judged(difference, percent, verdict, noticeable)


def _measure_result(
    spec: Measure,
    courses: Sequence[CourseRow],
    primary: Mapping[tuple[str, str], SeriesRow],
    catalogue: OutcomeCatalogue,
    published: PublishedEstimate | None,
) -> MeasureResult:
    treated = len(courses)
    changes: list[float] = []
    percents: list[float] = []
    judged = responders = 0
    for course in courses:
        s = primary.get((course.course_id, spec.id))
        if s is None or s.first_on > course.first_treated_on:
            continue  # no baseline before treatment
        if (s.last_on - s.first_on).days < FOLLOW_UP_DAYS:
            continue  # no follow-up 12 weeks or more after it
        # a method no longer in the catalogue has no known error: followed up, not judged
        method = catalogue.methods.get(s.method) or Method(s.method, s.method, ())
        change = judge(spec, method, s.first_value, s.last_value)
        changes.append(change.difference)
        if change.percent is not None:
            percents.append(change.percent)
        if change.verdict != "error_unknown":
            judged += 1
            reaches = spec.noticeable is None or change.noticeable is True
            responders += change.verdict == "improved" and reaches
    followed = len(changes)
    lost = treated - followed
    base = MeasureResult(
        measure=spec.id,
        label=spec.label,
        unit=spec.unit,
        followed_up=Shown.exact(followed),
        lost=Shown.exact(lost),
        change=None,
        percent=None,
        percent_n=0,
        responders=None,
        judged=judged,
        published=published,
    )
    if followed == 0:
        return replace(base, note="nobody followed up 12 weeks or more after a baseline")
    if followed < MIN_PATIENTS:
        return _few_followed(base, treated)
    note = ""
    proportion = None
    if spec.better == "none":
        note = "this measure has no direction of improvement: no responders"
    elif judged < MIN_PATIENTS:
        note = (
            f"responders not shown: fewer than {MIN_PATIENTS} patients measured by a method "
            "whose error is known"
        )
    else:
        proportion = Proportion(responders, judged, wilson_interval(responders, judged))
    return replace(
        base,
        change=t_interval(changes),
        percent=t_interval(percents) if len(percents) >= MIN_PATIENTS else None,
        percent_n=len(percents),
        responders=proportion,
        note=note,
    )


def _few_followed(result: MeasureResult, treated: int) -> MeasureResult:
    return replace(
        result,
        followed_up=FEW,
        lost=Shown(None, f">{treated - MIN_PATIENTS}"),
        change=None,
        percent=None,
        percent_n=0,
        responders=None,
        judged=0,
        note=f"fewer than {MIN_PATIENTS} followed up: no statistics",
    )


def _events(courses: Sequence[CourseRow], sessions: int) -> tuple[EventRate, ...]:
    if sessions == 0:
        return ()
    by_grade = {g: sum(c.events.get(g, 0) for c in courses) for g in GRADES}
    total = sum(by_grade.values())
    rates = [EventRate(None, total, poisson_rate_interval(total, sessions))]
    rates.extend(EventRate(g, n, poisson_rate_interval(n, sessions)) for g, n in by_grade.items())
    return tuple(rates)


def _measures_for(
    condition: str, filters: CohortFilters, catalogue: OutcomeCatalogue
) -> list[Measure]:
    concern = next(c for c, group in CONDITIONS_BY_CONCERN.items() if condition in group)
    return [
        m
        for m in catalogue.measures_for(concern, condition)
        if m.kind == "amount" and (filters.measure is None or m.id == filters.measure)
    ]


def build_cohort(
    rows: CohortRows,
    filters: CohortFilters,
    studies: Sequence[StudyOutcome],
    catalogue: OutcomeCatalogue,
    protocol_names: Mapping[str, str] | None = None,
) -> CohortView:
    """The cohort view from the database's aggregates (see the module docstring)."""
    names = protocol_names or {}
    courses = [
        c
        for c in _first_courses(rows.courses)
        if (filters.condition is None or c.condition == filters.condition)
        and (filters.option is None or c.treatment == filters.option)
        and c.condition in _CONDITIONS
    ]
    groups: dict[tuple[str, str, str], list[CourseRow]] = {}
    for c in courses:
        key = (c.condition, c.treatment, prp_class_of(c, filters.prp_class, names))
        groups.setdefault(key, []).append(c)
    primary = _primary_series(rows.series)
    measures_of: dict[str, set[str]] = {}
    for course_id, measure in primary:
        measures_of.setdefault(course_id, set()).add(measure)
    out: list[CohortGroup] = []
    order: dict[str, int] = {t: i for i, t in enumerate(COURSE_TREATMENTS)}
    ranked = sorted(groups.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 9), kv[0][2]))
    for (condition, option, klass), members in ranked:
        measured = {m for c in members for m in measures_of.get(c.course_id, ())}
        measures = tuple(
            _measure_result(
                spec,
                members,
                primary,
                catalogue,
                published_estimate(studies, condition, option, spec.id),
            )
            for spec in _measures_for(condition, filters, catalogue)
            if spec.id in measured
        )
        sessions = sum(c.sessions for c in members)
        out.append(
            CohortGroup(
                condition=condition,
                option=option,
                prp_class=klass,
                treated=Shown.exact(len(members)),
                sessions=sessions,
                events=_events(members, sessions),
                measures=measures,
            )
        )
    shown = tuple(_protect(out))
    return CohortView(filters, shown, rows.unlinked_events)


# --- small cells --------------------------------------------------------------------------------


def _hide_group(group: CohortGroup, treated: Shown, note: str) -> CohortGroup:
    return replace(group, treated=treated, sessions=None, events=(), measures=(), note=note)


def _protect(groups: Sequence[CohortGroup]) -> list[CohortGroup]:
    """Primary suppression of small groups and small measures, then complementary suppression
    among the PRP classes of one condition and option (see the module docstring)."""
    few = f"fewer than {MIN_PATIENTS} patients: no numbers shown"
    out = [_hide_group(g, FEW, few) if (g.treated.value or 0) < MIN_PATIENTS else g for g in groups]
    siblings: dict[tuple[str, str], list[int]] = {}
    for i, g in enumerate(out):
        siblings.setdefault((g.condition, g.option), []).append(i)
    protect = "suppressed so that a smaller class cannot be worked out from the totals"
    for members in siblings.values():
        if len(members) < 2:
            continue
        hidden = [i for i in members if out[i].suppressed]
        if len(hidden) == 1:
            rest = [i for i in members if not out[i].suppressed]
            smallest = min(rest, key=lambda i: (groups[i].treated.value or 0, i))
            out[smallest] = _hide_group(out[smallest], HIDDEN, protect)
        for measure in sorted({m.measure for i in members for m in out[i].measures}):
            small = [
                i
                for i in members
                if any(m.measure == measure and m.followed_up == FEW for m in out[i].measures)
            ]
            if len(small) != 1:
                continue
            shown = [
                (m.followed_up.value or 0, i)
                for i in members
                for m in out[i].measures
                if m.measure == measure and m.shows_statistics
            ]
            if not shown:
                continue
            _, smallest = min(shown)
            out[smallest] = replace(
                out[smallest],
                measures=tuple(
                    replace(
                        _few_followed(m, 0),
                        followed_up=HIDDEN,
                        lost=HIDDEN,
                        note=protect,
                    )
                    if m.measure == measure
                    else m
                    for m in out[smallest].measures
                ),
            )
    return out


# --- CSV ----------------------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    text = str(value)
    if text and text[0] in "=+-@\t\r" and not _is_number(text):
        return "'" + text  # a spreadsheet would run it as a formula
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


CSV_COLUMNS = (
    "condition",
    "option",
    "prp_class",
    "treated",
    "done_treatment_sessions",
    "measure",
    "unit",
    "followed_up",
    "lost",
    "mean_change",
    "mean_change_low",
    "mean_change_high",
    "mean_change_percent",
    "mean_change_percent_low",
    "mean_change_percent_high",
    "responders",
    "judged",
    "responder_proportion",
    "responder_low",
    "responder_high",
    *(
        f"adverse_events_{g}_{part}"
        for g in ("any", *map(str, GRADES))
        for part in ("count", "per_100_sessions", "low", "high")
    ),
    "published_estimate",
    "published_low",
    "published_high",
    "published_unit",
    "published_comparator",
    "published_source",
    "note",
)


def cohort_csv(view: CohortView) -> str:
    """The view as CSV (RFC 4180): one row per group and measure (one row for a group without
    measures); hidden numbers stay hidden ("<5", ">N", "suppressed" or empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for g in view.groups:
        head: list[object] = [
            g.condition,
            g.option,
            g.prp_class,
            g.treated.text,
            g.sessions,
        ]
        events: list[object] = []
        for rate in g.events:
            events += [rate.events, rate.rate.estimate, rate.rate.low, rate.rate.high]
        events += [None] * (4 * (len(GRADES) + 1) - len(events))
        for m in g.measures or (None,):
            if m is None:
                writer.writerow(map(_cell, [*head, *[None] * 15, *events, *[None] * 6, g.note]))
                continue
            stat: list[object] = [m.measure, m.unit, m.followed_up.text, m.lost.text]
            for interval in (m.change, m.percent):
                stat += [interval.estimate, interval.low, interval.high] if interval else [None] * 3
            if m.responders:
                r = m.responders
                stat += [r.count, r.total, r.interval.estimate, r.interval.low, r.interval.high]
            else:
                stat += [None, m.judged if m.shows_statistics else None, None, None, None]
            p = m.published
            pub: list[object] = (
                [p.estimate, p.low, p.high, p.unit, p.comparator, p.study]
                if p
                else [NO_PUBLISHED, None, None, None, None, None]
            )
            note = "; ".join(n for n in (g.note, m.note) if n)
            writer.writerow(map(_cell, [*head, *stat, *events, *pub, note]))
    return out.getvalue()
