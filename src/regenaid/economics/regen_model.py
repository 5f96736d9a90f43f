"""regenaid's cost model: what each option may cost one person over a horizon, with uncertainty.

Structure (one cohort per option, monthly cycles, ``n = horizon_months``; see
``docs/economics.md``). Trace point ``t`` is the start of month ``t``:

    course ──(at the response check, month A)──> responding (maintenance) ──(monthly)──> stopped
       └──────────────────────────────────────> not responding (stops)

- Everybody starts in ``course``. Sessions are scheduled as the plan does: initial session
  ``k`` at week ``k * interval``, then maintenance every ``maintenance`` weeks after the last
  initial session. Sessions before month ``A`` are paid by everyone; from month ``A`` only by
  people in ``responding``.
- Month ``A``: the response check, at the protocol's time to visible results (and after the
  last initial session). A share ``p_response`` moves to ``responding``, the rest stop.
- People in ``responding`` stop maintenance with a constant monthly probability derived from
  an annual discontinuation probability.
- Prices are per session (or per month for continuous care such as conventional treatment,
  paid in every month spent in ``course`` or ``responding``).
- Costs are nominal money out of pocket, not discounted; the effect is the response
  (expected responders per person), used for cost per responder and the CEAC.

Uncertainty (PSA, common random numbers across options, fixed seed): price per session
``Uniform(low, high)`` over the price list's range (a list gives no mode, so every value in it
is treated as equally likely); initial sessions uniform on the protocol's integer range;
interval, maintenance interval and time to results uniform on their ranges; response
``Beta``; annual discontinuation ``Beta``. Each draw gives the *expected* cost per person for
those parameters; intervals are 2.5th-97.5th percentiles over draws (parameter uncertainty).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from regenaid.economics._types import FloatArray
from regenaid.economics.batch import cohort_totals
from regenaid.economics.distributions import Beta
from regenaid.economics.psa import Interval, PsaResult, summarise
from regenaid.economics.sensitivity import TornadoBar
from regenaid.knowledge.model import PriceRange, Protocol, Range, TreatmentId

WEEKS_PER_MONTH = 52.1775 / 12  # mean Gregorian year (365.2425 days) / 12
STATES = ("course", "responding", "not_responding", "stopped")
COURSE, RESPONDING, NOT_RESPONDING, STOPPED = range(4)
DEFAULT_DRAWS = 2000
DEFAULT_SEED = 20260101


@dataclass(frozen=True)
class OptionInputs:
    """Everything the model needs about one option (hashable, so results can be cached)."""

    treatment: TreatmentId
    protocol: Protocol | None
    price: PriceRange | None
    response: Beta | None  # None: the option has no response to pay for (no new treatment)
    discontinuation_per_year: Beta | None


@dataclass(frozen=True)
class OptionCosts:
    """PSA summary of one option (money in ``currency``)."""

    treatment: TreatmentId
    currency: str | None
    horizon_months: int
    first_year: Interval
    horizon_total: Interval
    cost_per_responder: Interval | None
    expected_responders: Interval | None
    cumulative_mean: FloatArray  # (n + 1,) cost paid by the end of month m, m = 0..n
    cumulative_low: FloatArray
    cumulative_high: FloatArray
    horizon_draws: FloatArray  # (draws,) expected cost per person over the horizon
    first_year_draws: FloatArray
    response_draws: FloatArray | None


@dataclass(frozen=True)
class BreakEven:
    """When ``option``'s cumulative cost stops exceeding ``versus``'s (expected curves)."""

    option: TreatmentId
    versus: TreatmentId
    month: int | None  # first month from which option costs no more than versus, to the horizon
    always_cheaper: bool
    never: bool
    probability_option_cheaper_at_horizon: float
    difference_at_horizon: float  # expected (option - versus) at the horizon


def _uniform(rng: np.random.Generator, low: float, high: float, n: int) -> FloatArray:
    return rng.uniform(low, high, size=n) if high > low else np.full(n, float(low))


# Unknown stays unknown, and is not priced as free. When no study of an option in a condition
# says when results show, the response is judged 12 to 26 weeks after the first session (the
# span the studied regenerative protocols in protocols.yaml use). When nobody knows whether
# top-ups are needed, the model assumes one every 26 to 52 weeks (what clinics claim for
# exosome and skin PRP top-ups: yearly or twice-yearly; claims.yaml). Both are labelled as
# assumptions in the cost block.
ASSUMED_RESULTS_WEEKS = Range(12, 26)
ASSUMED_MAINTENANCE_WEEKS = Range(26, 52)


def costed_times(protocol: Protocol) -> tuple[Range, Range | None]:
    """Time to results and maintenance interval as the cost model uses them: the protocol's,
    or the documented assumptions where they are not known."""
    ttr = protocol.time_to_results_weeks or ASSUMED_RESULTS_WEEKS
    maint = protocol.maintenance_interval_weeks
    if maint is None and not protocol.maintenance_known:
        maint = ASSUMED_MAINTENANCE_WEEKS
    return ttr, maint


@dataclass(frozen=True)
class OptionDraws:
    """Parameter values, one entry per draw (``(n,)`` arrays)."""

    price: FloatArray
    response: FloatArray | None
    stop_per_year: FloatArray
    initial_sessions: FloatArray
    interval_weeks: FloatArray
    results_weeks: FloatArray
    maintenance_weeks: FloatArray | None

    @property
    def n(self) -> int:
        return int(self.price.shape[0])


def draw_parameters(option: OptionInputs, n: int, seed: int = DEFAULT_SEED) -> OptionDraws:
    """``n`` seeded draws of the option's uncertain parameters (module docstring)."""
    rng = np.random.default_rng(seed)  # same seed for every option: common random numbers
    price = option.price
    per_session = _uniform(rng, price.low, price.high, n) if price is not None else np.zeros(n)
    response = option.response.sample(rng, n) if option.response is not None else None
    stop = (
        option.discontinuation_per_year.sample(rng, n)
        if option.discontinuation_per_year is not None
        else np.zeros(n)
    )
    protocol = option.protocol
    if protocol is None:
        zeros = np.zeros(n)
        return OptionDraws(per_session, response, stop, zeros, zeros, zeros, None)
    low, high = math.ceil(protocol.sessions.low), math.floor(protocol.sessions.high)
    initial = (
        rng.integers(low, high + 1, size=n).astype(np.float64)
        if high > low
        else np.full(n, float(max(low, 0)))
    )
    interval = _uniform(rng, protocol.interval_weeks.low, protocol.interval_weeks.high, n)
    ttr_range, maint = costed_times(protocol)
    ttr = _uniform(rng, ttr_range.low, ttr_range.high, n)
    if price is not None and price.unit == "syringe" and price.per_session is not None:
        syringes = _uniform(rng, price.per_session.low, price.per_session.high, n)
        per_session = per_session * syringes
    m = _uniform(rng, maint.low, maint.high, n) if maint is not None and maint.high > 0 else None
    return OptionDraws(per_session, response, stop, initial, interval, ttr, m)


def _schedule_counts(d: OptionDraws, n_months: int) -> tuple[FloatArray, FloatArray]:
    """Per draw: sessions falling in each month ``(n, n_months)`` and the response month A."""
    n = d.n
    initial = d.initial_sessions
    horizon_weeks = n_months * WEEKS_PER_MONTH
    last_initial = (initial - 1).clip(min=0) * d.interval_weeks
    k_initial = int(initial.max()) if n else 0
    weeks = [np.where(k < initial, k * d.interval_weeks, np.inf) for k in range(k_initial)]
    if d.maintenance_weeks is not None and float(d.maintenance_weeks.min()) > 0:
        m = d.maintenance_weeks
        for j in range(1, math.floor(horizon_weeks / float(m.min())) + 2):
            weeks.append(np.where(initial > 0, last_initial + j * m, np.inf))
    counts = np.zeros((n, n_months))
    if weeks:
        w = np.stack(weeks, axis=1)
        month = np.floor(w / WEEKS_PER_MONTH)
        inside = np.isfinite(month) & (month < n_months)
        rows = np.nonzero(inside)[0]
        np.add.at(counts, (rows, month[inside].astype(np.int64)), 1.0)
    last_month = np.floor(last_initial / WEEKS_PER_MONTH)
    check = np.maximum(np.ceil(d.results_weeks / WEEKS_PER_MONTH), last_month + 1).clip(min=1)
    return counts, check


def simulate_option(
    option: OptionInputs,
    horizon_months: int,
    n_draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> OptionCosts:
    """PSA of one option's cost (see module docstring). Deterministic for a given seed."""
    return run_option(option, draw_parameters(option, n_draws, seed), horizon_months)


def run_option(option: OptionInputs, draws: OptionDraws, horizon_months: int) -> OptionCosts:
    """The cohort model for each draw of the parameters (module docstring)."""
    if not 1 <= horizon_months <= 240:
        raise ValueError(f"horizon_months must be 1..240, got {horizon_months}")
    n, months = draws.n, horizon_months
    price = option.price
    per_session = draws.price
    p_resp = draws.response
    p_stop = 1.0 - (1.0 - draws.stop_per_year) ** (1.0 / 12.0)
    protocol = option.protocol
    active = protocol is not None and (
        protocol.sessions.high > 0 or (price is not None and price.unit == "month")
    )
    if protocol is None or not active:
        counts, check = np.zeros((n, months)), np.full(n, float(months + 1))
    else:
        counts, check = _schedule_counts(draws, months)

    month_index = np.arange(months)
    if price is not None and price.unit == "month":
        course_cost = np.where(active, per_session[:, None] * np.ones((1, months)), 0.0)
        maint_cost = course_cost
    else:
        before = month_index[None, :] < check[:, None]
        course_cost = per_session[:, None] * counts * before
        maint_cost = per_session[:, None] * counts * ~before
    responding = p_resp if p_resp is not None else np.zeros(n)

    # The matrices differ only in the cycle of each draw's response check: build the common
    # one once and a patched copy for each cycle in which some draw is judged.
    stay = np.zeros((4, 4, n))
    stay[COURSE, COURSE] = 1.0
    stay[RESPONDING, RESPONDING] = 1.0 - p_stop
    stay[RESPONDING, STOPPED] = p_stop
    stay[NOT_RESPONDING, NOT_RESPONDING] = 1.0
    stay[STOPPED, STOPPED] = 1.0
    judged_at: dict[int, FloatArray] = {}
    for month in np.unique(check):
        judged = check == month  # moving from month A - 1 to month A
        p = stay.copy()
        p[COURSE, COURSE] = np.where(judged, 0.0, 1.0)
        p[COURSE, RESPONDING] = np.where(judged, responding, 0.0)
        p[COURSE, NOT_RESPONDING] = np.where(judged, 1.0 - responding, 0.0)
        judged_at[int(month) - 1] = p

    def transitions(t: int) -> FloatArray:
        return judged_at.get(t, stay)

    reward = np.zeros((1, 4, n))  # one buffer: the engine uses it before asking for the next

    def rewards(t: int) -> FloatArray:
        if t < months:
            reward[0, COURSE] = course_cost[:, t]
            reward[0, RESPONDING] = maint_cost[:, t]
        else:
            reward.fill(0.0)
        return reward

    weights = np.ones((1, months + 1))
    weights[0, months] = 0.0  # point n is the end of the horizon: nothing more is paid
    run = cohort_totals(
        np.array([1.0, 0.0, 0.0, 0.0]),
        transitions,
        rewards,
        weights,
        n_cycles=months,
        keep_points=True,
    )
    assert run.by_point is not None
    monthly = run.by_point[0, :months].T  # (n, months): cost paid in month m
    cumulative = np.concatenate([np.zeros((n, 1)), np.cumsum(monthly, axis=1)], axis=1)
    # copies, not column views: a view would keep the whole (draws x months) matrix alive in
    # every cached result (about 4 MB per option over 20 years)
    horizon = cumulative[:, months].copy()
    first = cumulative[:, min(12, months)].copy()
    per_responder = None
    responders = None
    if p_resp is not None and active:
        per_responder = summarise(horizon / np.maximum(p_resp, 1e-9))
        responders = summarise(p_resp)
    lo, hi = np.quantile(np.ascontiguousarray(cumulative.T), [0.025, 0.975], axis=1)
    return OptionCosts(
        treatment=option.treatment,
        currency=price.currency if price is not None else None,
        horizon_months=months,
        first_year=summarise(first),
        horizon_total=summarise(horizon),
        cost_per_responder=per_responder,
        expected_responders=responders,
        cumulative_mean=cumulative.mean(axis=0),
        cumulative_low=np.asarray(lo),
        cumulative_high=np.asarray(hi),
        horizon_draws=horizon,
        first_year_draws=first,
        response_draws=p_resp,
    )


TORNADO_LABELS: dict[str, str] = {
    "price": "price per session",
    "initial_sessions": "initial sessions",
    "interval_weeks": "interval (weeks)",
    "maintenance_weeks": "maintenance interval (weeks)",
    "results_weeks": "time to results (weeks)",
    "response": "response probability",
    "stop_per_year": "stopping maintenance (per year)",
}


def option_tornado(option: OptionInputs, horizon_months: int) -> list[TornadoBar]:
    """One-way sensitivity of the expected horizon cost: each parameter at the ends of its range
    (price, sessions and intervals: the protocol's and price list's ranges; probabilities: their
    2.5th and 97.5th percentiles), the others at their middle / mean (sessions rounded up)."""
    protocol = option.protocol
    ranges: dict[str, tuple[float, float]] = {}
    base: dict[str, float] = {}

    def add(name: str, low: float, high: float, middle: float) -> None:
        base[name] = middle
        if high > low:
            ranges[name] = (low, high)

    if option.price is not None:
        low, high = option.price.low, option.price.high
        if option.price.per_session is not None:  # per syringe: price of a session's syringes
            low, high = low * option.price.per_session.low, high * option.price.per_session.high
        add("price", low, high, (low + high) / 2)
    if protocol is not None:
        ttr_range, maint_range = costed_times(protocol)
        lo_s, hi_s = math.ceil(protocol.sessions.low), math.floor(protocol.sessions.high)
        add("initial_sessions", lo_s, max(lo_s, hi_s), math.ceil((lo_s + max(lo_s, hi_s)) / 2))
        for name, rng_ in (
            ("interval_weeks", protocol.interval_weeks),
            ("results_weeks", ttr_range),
            ("maintenance_weeks", maint_range),
        ):
            if rng_ is not None:
                add(name, rng_.low, rng_.high, rng_.mid)
    for name, dist in (
        ("response", option.response),
        ("stop_per_year", option.discontinuation_per_year),
    ):
        if dist is not None:
            add(name, dist.ppf(0.025), dist.ppf(0.975), dist.mean)

    # every variant (base, then each parameter at its low and its high end) as one batch
    variants: list[Mapping[str, float]] = [base]
    for name, (low, high) in ranges.items():
        variants += [{**base, name: low}, {**base, name: high}]

    def column(name: str) -> FloatArray:
        return np.array([v.get(name, 0.0) for v in variants])

    draws = OptionDraws(
        price=column("price"),
        response=column("response") if option.response is not None else None,
        stop_per_year=column("stop_per_year"),
        initial_sessions=column("initial_sessions"),
        interval_weeks=column("interval_weeks"),
        results_weeks=column("results_weeks"),
        maintenance_weeks=column("maintenance_weeks") if "maintenance_weeks" in base else None,
    )
    cost = run_option(option, draws, horizon_months).horizon_draws
    bars = [
        TornadoBar(name, low, high, float(cost[1 + 2 * k]), float(cost[2 + 2 * k]), float(cost[0]))
        for k, (name, (low, high)) in enumerate(ranges.items())
    ]
    bars.sort(key=lambda b: b.width, reverse=True)
    return [replace(bar, parameter=TORNADO_LABELS[bar.parameter]) for bar in bars]


def probability_cheapest(results: Sequence[OptionCosts]) -> dict[TreatmentId, float]:
    """Share of draws in which each option has the lowest horizon cost (ties split evenly)."""
    if not results:
        return {}
    costs = np.stack([r.horizon_draws for r in results], axis=1)
    lowest = costs.min(axis=1, keepdims=True)
    winners = np.isclose(costs, lowest, rtol=0.0, atol=1e-6)
    share = winners / winners.sum(axis=1, keepdims=True)
    return {r.treatment: float(share[:, k].mean()) for k, r in enumerate(results)}


def break_even(option: OptionCosts, versus: OptionCosts) -> BreakEven:
    """Break-even month of ``option`` against ``versus`` on the expected cumulative curves.

    ``month`` is the first month ``m >= 1`` from which ``option``'s expected cumulative cost is
    no higher than ``versus``'s at every later month up to the horizon, provided it was higher
    before (otherwise ``always_cheaper``); ``never`` when it is still higher at the horizon.
    """
    diff = option.cumulative_mean[1:] - versus.cumulative_mean[1:]  # months 1..n
    tol = 1e-6
    cheaper_prob = float(np.mean(option.horizon_draws <= versus.horizon_draws + tol))
    at_horizon = float(diff[-1])
    if np.all(diff <= tol):
        return BreakEven(
            option.treatment, versus.treatment, None, True, False, cheaper_prob, at_horizon
        )
    if diff[-1] > tol:
        return BreakEven(
            option.treatment, versus.treatment, None, False, True, cheaper_prob, at_horizon
        )
    above = np.nonzero(diff > tol)[0]
    month = int(above[-1]) + 2  # index i is month i + 1; the month after the last one above
    return BreakEven(
        option.treatment, versus.treatment, month, False, False, cheaper_prob, at_horizon
    )


def as_psa_result(results: Sequence[OptionCosts]) -> PsaResult:
    """The options' draws as a :class:`PsaResult` (cost over the horizon; effect = response
    probability, 0 without a response), for the ICER table, CEAC and EVPI per responder."""
    costs = np.stack([r.horizon_draws for r in results], axis=1)
    effects = np.stack(
        [
            r.response_draws if r.response_draws is not None else np.zeros_like(r.horizon_draws)
            for r in results
        ],
        axis=1,
    )
    return PsaResult(tuple(r.treatment for r in results), costs, effects)
