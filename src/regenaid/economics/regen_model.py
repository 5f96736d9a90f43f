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
from dataclasses import dataclass

import numpy as np

from regenaid.caching import bytes_cached
from regenaid.economics._types import BoolArray, FloatArray
from regenaid.economics.distributions import Beta
from regenaid.economics.psa import (
    Interval,
    PsaResult,
    interval_levels,
    quantiles_of_sorted,
    summarise,
)
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


def _check_month(d: OptionDraws) -> FloatArray:
    """Per draw, the month A of the response check: at the time to results, and after the
    month of the last initial session (at least month 1)."""
    last_initial = (d.initial_sessions - 1).clip(min=0) * d.interval_weeks
    last_month = np.floor(last_initial / WEEKS_PER_MONTH)
    check = np.maximum(np.ceil(d.results_weeks / WEEKS_PER_MONTH), last_month + 1).clip(min=1)
    return np.asarray(check)


def _add_session_counts(d: OptionDraws, n_months: int, out: FloatArray) -> None:
    """Add to ``out[t + 1]`` (``out``: zeros, ``(n_months + 1, n)``) the number of sessions
    each draw has in month ``t``: initial session ``k`` at week ``k * interval``, maintenance
    ``j`` at week ``last initial + j * maintenance`` (module docstring).

    Done in place, one group of sessions at a time, as a histogram of (month, draw) cells:
    sessions after the horizon (and the ``inf`` of sessions that do not happen) land in row 0,
    which is cleared at the end. Large temporaries cost more than the arithmetic here (fresh
    pages from the allocator), so there are few of them."""
    n = d.n
    initial = d.initial_sessions
    flat = out.reshape(-1)
    columns = np.arange(n, dtype=np.float64)

    def add(weeks: FloatArray) -> None:
        weeks /= WEEKS_PER_MONTH
        np.floor(weeks, out=weeks)  # month of each session
        weeks += 1.0  # its row in ``out``
        weeks[weeks > n_months] = 0.0  # after the horizon, or never
        weeks *= n
        weeks += columns  # exact: whole numbers far below 2**53
        np.add.at(flat, weeks.astype(np.intp), 1.0)

    k_initial = int(initial.max()) if n else 0
    if k_initial:
        k = np.arange(k_initial, dtype=np.float64)[:, None]
        weeks = k * d.interval_weeks
        weeks[k >= initial] = np.inf  # draws with fewer sessions
        add(weeks)
    m = d.maintenance_weeks
    if m is not None and float(m.min()) > 0:
        horizon_weeks = n_months * WEEKS_PER_MONTH
        j = np.arange(1, math.floor(horizon_weeks / float(m.min())) + 2, dtype=np.float64)
        weeks = j[:, None] * m
        weeks += (initial - 1).clip(min=0) * d.interval_weeks  # after the last initial one
        weeks[:, initial <= 0] = np.inf  # no course, no maintenance
        add(weeks)
    out[0] = 0.0


@bytes_cached()  # in the shared byte-bounded cache: 2,000 draws are about 110 kB per option
def _cached_draws(option: OptionInputs, n: int, seed: int) -> OptionDraws:
    """:func:`draw_parameters`, kept per (option, draws, seed): the draws do not depend on the
    horizon or the budget, so a new intake for an option already seen reuses them. Read-only."""
    draws = draw_parameters(option, n, seed)
    for value in vars(draws).values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return draws


def clear_draws_cache() -> None:
    """Forget the cached parameter draws."""
    _cached_draws.cache_clear()


def simulate_option(
    option: OptionInputs,
    horizon_months: int,
    n_draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> OptionCosts:
    """PSA of one option's cost (see module docstring). Deterministic for a given seed."""
    price = option.price
    if option.response is None and (price is None or price.low == price.high == 0):
        return _free_option(option, horizon_months, n_draws)  # e.g. no new treatment
    return run_option(option, _cached_draws(option, n_draws, seed), horizon_months)


def _free_option(option: OptionInputs, horizon_months: int, n_draws: int) -> OptionCosts:
    """What :func:`run_option` gives an option that costs nothing and has no response to draw:
    zeros (no draws needed)."""
    if not 1 <= horizon_months <= 240:
        raise ValueError(f"horizon_months must be 1..240, got {horizon_months}")
    nothing = Interval(0.0, 0.0, 0.0)
    curve = np.zeros(horizon_months + 1)
    return OptionCosts(
        treatment=option.treatment,
        currency=option.price.currency if option.price is not None else None,
        horizon_months=horizon_months,
        first_year=nothing,
        horizon_total=nothing,
        cost_per_responder=None,
        expected_responders=None,
        cumulative_mean=curve,
        cumulative_low=curve.copy(),
        cumulative_high=curve.copy(),
        horizon_draws=np.zeros(n_draws),
        first_year_draws=np.zeros(n_draws),
        response_draws=None,
    )


def cumulative_costs(
    option: OptionInputs, draws: OptionDraws, horizon_months: int
) -> tuple[FloatArray, BoolArray]:
    """Expected cost paid by one person by the end of month ``m``, ``m = 0..n``, per draw, as
    ``(n + 1, draws)`` (each month a contiguous row), and for each month ``t < n`` whether
    anybody pays in it (else row ``t + 1`` equals row ``t``).

    The cohort model of the module docstring in closed form. Its trace has the person in
    ``course`` until the check in month A (``t < A``); from A on, ``responding`` holds ``p``,
    which loses ``p_stop`` every month: ``p``, ``p (1 - p_stop)``, ``p (1 - p_stop)^2`` ...
    (``not_responding`` and ``stopped`` pay nothing). So the cost of month ``t`` is
    ``price x sessions(t)`` (or the monthly price) times 1 before A and times the responding
    share from A on, with the same products and sums in the same order as the general engine
    (:func:`regenaid.economics.batch.cohort_totals`; tests compare the two).
    """
    if not 1 <= horizon_months <= 240:
        raise ValueError(f"horizon_months must be 1..240, got {horizon_months}")
    n, months = draws.n, horizon_months
    price = option.price
    protocol = option.protocol
    total = np.zeros((months + 1, n))
    active = protocol is not None and (
        protocol.sessions.high > 0 or (price is not None and price.unit == "month")
    )
    if not active:
        return total, np.zeros(months, dtype=bool)
    check = _check_month(draws)
    if price is not None and price.unit == "month":
        total[1:] = draws.price  # paid in every month in the course or responding
    else:
        _add_session_counts(draws, months, total)
        total[1:] *= draws.price  # sessions x price per session
    responding = draws.response if draws.response is not None else np.zeros(n)
    keep = 1.0 - (1.0 - (1.0 - draws.stop_per_year) ** (1.0 / 12.0))  # stay responding
    first_check, last_check = int(check.min()), int(check.max())
    still = np.zeros(n)  # share in ``responding`` at point t
    for t in range(first_check, months):  # before the first check everybody pays in full
        still *= keep
        if t <= last_check:  # some are judged now, some later
            np.copyto(still, responding, where=check == t)
            total[t + 1] *= np.where(check > t, 1.0, still)
        else:
            total[t + 1] *= still
    paid: BoolArray = np.asarray(total[1:].any(axis=1))
    for t in range(months):  # running totals, row by row (cumsum(axis=0) is much slower)
        total[t + 1] += total[t]
    return total, paid


_ROWS_PER_SORT = 8  # rows sorted at a time: small temporaries (8 x 2,000 draws = 128 kB)


def run_option(option: OptionInputs, draws: OptionDraws, horizon_months: int) -> OptionCosts:
    """The cohort model for each draw of the parameters (module docstring)."""
    months = horizon_months
    cumulative, paid = cumulative_costs(option, draws, months)
    # copies, not row views: a view would keep the whole (months x draws) matrix alive in
    # every cached result (about 4 MB per option over 20 years)
    horizon = cumulative[months].copy()
    first_month = min(12, months)
    first = cumulative[first_month].copy()

    # Percentiles by month (np.quantile's values): only months in which somebody pays differ
    # from the month before, so sort those rows and carry their percentiles over the others.
    distinct = np.concatenate(([0], np.flatnonzero(paid) + 1))
    latest = np.zeros(months + 1, dtype=np.intp)
    latest[distinct] = np.arange(distinct.size)
    latest = np.maximum.accumulate(latest)  # the paid-in row each month equals
    # the first year's and the horizon's intervals as summarise() gives them (its percentiles
    # are 0.025 and 0.975 computed as (1 -/+ 0.95) / 2), read off the same sorted rows
    low_q, high_q = interval_levels()
    wanted = {int(latest[first_month]), int(latest[months])}
    summary: dict[int, tuple[float, float]] = {}
    lo_distinct = np.empty(distinct.size)
    hi_distinct = np.empty(distinct.size)
    for start in range(0, distinct.size, _ROWS_PER_SORT):
        block = cumulative[distinct[start : start + _ROWS_PER_SORT]]
        block.sort(axis=1)
        stop = start + block.shape[0]
        lo_distinct[start:stop] = quantiles_of_sorted(block, 0.025)
        hi_distinct[start:stop] = quantiles_of_sorted(block, 0.975)
        for row in wanted:
            if start <= row < stop:
                ordered = block[row - start]
                summary[row] = (
                    float(quantiles_of_sorted(ordered, low_q)),
                    float(quantiles_of_sorted(ordered, high_q)),
                )
    means = cumulative.mean(axis=1)  # as summarise()'s mean of each row (pairwise sums)

    def interval(month: int) -> Interval:
        return Interval(float(means[month]), *summary[int(latest[month])])

    p_resp = draws.response
    price = option.price
    protocol = option.protocol
    active = protocol is not None and (
        protocol.sessions.high > 0 or (price is not None and price.unit == "month")
    )
    per_responder = None
    responders = None
    if p_resp is not None and active:
        per_responder = summarise(horizon / np.maximum(p_resp, 1e-9))
        responders = summarise(p_resp)
    return OptionCosts(
        treatment=option.treatment,
        currency=price.currency if price is not None else None,
        horizon_months=months,
        first_year=interval(first_month),
        horizon_total=interval(months),
        cost_per_responder=per_responder,
        expected_responders=responders,
        cumulative_mean=means,
        cumulative_low=lo_distinct[latest],
        cumulative_high=hi_distinct[latest],
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
    cost = cumulative_costs(option, draws, horizon_months)[0][horizon_months]
    outcomes = cost.tolist()
    bars = [
        TornadoBar(
            TORNADO_LABELS[name], low, high, outcomes[1 + 2 * k], outcomes[2 + 2 * k], outcomes[0]
        )
        for k, (name, (low, high)) in enumerate(ranges.items())
    ]
    bars.sort(key=lambda b: b.width, reverse=True)
    return bars


def probability_cheapest(results: Sequence[OptionCosts]) -> dict[TreatmentId, float]:
    """Share of draws in which each option has the lowest horizon cost (ties split evenly)."""
    if not results:
        return {}
    costs = np.stack([r.horizon_draws for r in results], axis=1)
    lowest = costs.min(axis=1, keepdims=True)
    winners = costs - lowest <= 1e-6  # np.isclose(rtol=0, atol=1e-6): costs >= lowest
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
