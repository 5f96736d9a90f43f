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
``Beta``; annual discontinuation ``Beta`` (one quantity, the same for every option: draw ``i``
of every option uses the same value of it). Each draw gives the *expected* cost per person for
those parameters; intervals are 2.5th-97.5th percentiles over draws (parameter uncertainty).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from regenaid.caching import ARRAY_OVERHEAD, bytes_cached
from regenaid.economics._types import BoolArray, FloatArray, IntArray
from regenaid.economics.distributions import Beta
from regenaid.economics.psa import (
    Interval,
    PsaResult,
    interval_levels,
    order_statistics,
    quantile_positions,
    quantiles_of_statistics,
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
    """``n`` seeded draws of the option's uncertain parameters (module docstring), in this
    order from one stream: stopping, price, response, sessions, interval, time to results,
    syringes, maintenance interval.

    The stopping probability is one uncertain quantity that every option shares (the same
    distribution, the same people), so it comes first and every option gets the same draws of
    it: draw ``i`` of each option uses the same value, as a probabilistic sensitivity analysis
    must for a shared parameter. The price comes next from ``n`` doubles of the stream (drawn
    whether the price varies or not, so what follows starts at the same place for every
    option): each option's price is ``low + (high - low) * u`` with the same ``u`` (common
    random numbers). The stream's start and the Beta draws (most of the time spent here) are
    drawn once and kept (read-only): the start per seed, the response per prior."""
    stop, doubles, _ = _shared_draws(option.discontinuation_per_year, n, seed)
    price = option.price
    if price is not None and price.high > price.low:  # as rng.uniform(low, high, n)
        per_session = price.low + (price.high - price.low) * doubles
    else:
        per_session = np.full(n, float(price.low)) if price is not None else np.zeros(n)
    response, state = _response_draws(option.response, option.discontinuation_per_year, n, seed)
    protocol = option.protocol
    if protocol is None:
        zeros = np.zeros(n)
        return OptionDraws(per_session, response, stop, zeros, zeros, zeros, None)
    rng = _generator_at(state)  # the stream from where the response leaves it
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


_THREAD = threading.local()


def _generator_at(state: Mapping[str, Any]) -> np.random.Generator:
    """A generator whose stream goes on from ``state`` (a PCG64 state), on this thread's own
    bit generator (made once: seeding a new one costs more than the draws that follow)."""
    bits = getattr(_THREAD, "bits", None)
    if bits is None:
        bits = _THREAD.bits = np.random.PCG64(0)
    bits.state = state
    return np.random.Generator(bits)


def _shared_draws_size(value: tuple[FloatArray, FloatArray, object]) -> int:
    stop, doubles, _ = value
    return 2 * ARRAY_OVERHEAD + stop.nbytes + doubles.nbytes + 1000  # and the generator's state


@bytes_cached(_shared_draws_size)  # 32 kB for 2,000 draws; one stopping distribution in use
def _shared_draws(
    stop: Beta | None, n: int, seed: int
) -> tuple[FloatArray, FloatArray, Mapping[str, Any]]:
    """The start of the seeded stream, the same for every option: the stopping probability's
    ``n`` draws (zeros without a distribution, which draws nothing), then the ``n`` doubles the
    prices are made from, and the generator's state after them. Read-only."""
    rng = np.random.default_rng(seed)
    stop_draws = stop.sample(rng, n) if stop is not None else np.zeros(n)
    doubles = rng.random(n)
    for value in (stop_draws, doubles):
        value.flags.writeable = False
    return stop_draws, doubles, rng.bit_generator.state


def _response_draws_size(value: tuple[FloatArray | None, object]) -> int:
    response, _ = value
    return (ARRAY_OVERHEAD + response.nbytes if response is not None else 0) + 1000


@bytes_cached(_response_draws_size)  # 16 kB each, a few dozen in all (one per prior)
def _response_draws(
    response: Beta | None, stop: Beta | None, n: int, seed: int
) -> tuple[FloatArray | None, Mapping[str, Any]]:
    """The response as :func:`draw_parameters` draws it, after :func:`_shared_draws`, and the
    generator's state after it. It depends on nothing else, so options with the same response
    prior share it: read-only."""
    rng = _generator_at(_shared_draws(stop, n, seed)[2])
    response_draws = response.sample(rng, n) if response is not None else None
    if response_draws is not None:
        response_draws.flags.writeable = False
    return response_draws, rng.bit_generator.state


def _last_initial(d: OptionDraws) -> FloatArray:
    """Per draw, the week of the last initial session (week 0 without any)."""
    return np.asarray((d.initial_sessions - 1).clip(min=0) * d.interval_weeks)


def _check_month(d: OptionDraws, last_initial: FloatArray | None = None) -> FloatArray:
    """Per draw, the month A of the response check: at the time to results, and after the
    month of the last initial session (at least month 1). ``last_initial``: the draws'
    :func:`_last_initial`, when already known."""
    if last_initial is None:
        last_initial = _last_initial(d)
    last_month = np.floor(last_initial / WEEKS_PER_MONTH)
    check = np.maximum(np.ceil(d.results_weeks / WEEKS_PER_MONTH), last_month + 1).clip(min=1)
    return np.asarray(check)


_NEVER = 1e12  # weeks: a session that does not happen (months after any horizon)


def _count_sessions(
    groups: Sequence[OptionDraws],
    initial: FloatArray,
    interval: FloatArray,
    last_initial: FloatArray,
    n_months: int,
    total: FloatArray,
) -> None:
    """Adds to ``total`` (``(n_months + 2, width)``, C-contiguous, the columns of ``groups``
    side by side from column 0) the number of sessions each draw of ``groups`` has in each
    month: month ``t`` in row ``t + 1``. Sessions after the horizon (and those that do not
    happen) land in the last row, which is not used. Initial session ``k`` at week
    ``k * interval``, maintenance ``j`` at week ``last initial + j * maintenance`` (module
    docstring), in a group whose every maintenance interval is positive. ``initial``,
    ``interval`` and ``last_initial`` (:func:`_last_initial`): the groups' side by side.

    One scattered sum of ones over the (month, draw) cells (``np.add.at`` on the flat matrix:
    small whole numbers, exact in floating point). A session's month is the whole part of its
    week over :data:`WEEKS_PER_MONTH` (weeks are not negative)."""
    n = initial.size
    width = total.shape[1]
    flat = total.reshape(-1)  # a view: total is contiguous
    # the cell of month t, draw c is (t + 1) * width + c, computed in floating point (exact:
    # whole numbers far below 2**53), with one conversion to integers at the end
    columns = np.arange(width, width + n, dtype=np.float64)

    def add(weeks: FloatArray) -> None:
        weeks /= WEEKS_PER_MONTH
        np.minimum(weeks, n_months, out=weeks)  # after the horizon, or never: month n_months
        np.floor(weeks, out=weeks)  # the month of each session (weeks are not negative)
        weeks *= width
        weeks += columns
        np.add.at(flat, weeks.astype(np.intp).reshape(-1), 1.0)

    k_initial = int(initial.max()) if n else 0
    if k_initial:
        k = np.arange(k_initial, dtype=np.float64)[:, None]
        weeks = k * interval
        weeks[k >= initial] = _NEVER  # draws with fewer sessions
        add(weeks)
    # the maintenance intervals the schedule uses: a group's, when every one is positive
    shortest = [
        float(g.maintenance_weeks.min()) if g.maintenance_weeks is not None else 0.0 for g in groups
    ]
    if any(low > 0 for low in shortest):
        parts = [
            g.maintenance_weeks
            if low > 0 and g.maintenance_weeks is not None
            else np.full(g.n, _NEVER)
            for g, low in zip(groups, shortest, strict=True)
        ]
        m = parts[0] if len(parts) == 1 else np.concatenate(parts)
        horizon_weeks = n_months * WEEKS_PER_MONTH
        every = min(low for low in shortest if low > 0)
        j = np.arange(1, math.floor(horizon_weeks / every) + 2, dtype=np.float64)
        weeks = j[:, None] * m
        weeks += last_initial  # after the last initial one
        weeks[:, initial <= 0] = _NEVER  # no course, no maintenance
        add(weeks)


def clear_draws_cache() -> None:
    """Forget the cached draws (the stream's start, the responses)."""
    _shared_draws.cache_clear()
    _response_draws.cache_clear()


def _is_free(option: OptionInputs) -> bool:
    """An option that costs nothing and has no response to draw (e.g. no new treatment)."""
    price = option.price
    return option.response is None and (price is None or price.low == price.high == 0)


def simulate_option(
    option: OptionInputs,
    horizon_months: int,
    n_draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> OptionCosts:
    """PSA of one option's cost (see module docstring). Deterministic for a given seed."""
    if _is_free(option):
        return _free_option(option, horizon_months, n_draws)
    return run_option(option, draw_parameters(option, n_draws, seed), horizon_months)


def simulate_many(
    options: Sequence[OptionInputs],
    horizon_months: int,
    n_draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> list[tuple[OptionCosts, list[TornadoBar]]]:
    """:func:`simulate_option` and :func:`option_tornado` of each option, with the same
    results, computed together: the options' draws and the tornado's parameter sets are the
    columns of one set of arrays (every column's arithmetic is its own), so the monthly loop and
    the percentiles run once for all of them instead of twice per option."""
    return simulate_horizons(options, (horizon_months,), n_draws, seed)[horizon_months]


def simulate_horizons(
    options: Sequence[OptionInputs],
    horizons: Sequence[int],
    n_draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> dict[int, list[tuple[OptionCosts, list[TornadoBar]]]]:
    """:func:`simulate_many` at each of ``horizons``, with the same results, computed once up to
    the longest. A month's costs, running totals and percentiles do not depend on the horizon
    (it only decides where the months stop), so the months of the shorter horizons are those of
    the longest: what each horizon adds is its own end (the draws there, the cost per responder,
    the tornado's outcomes)."""
    wanted = sorted(set(horizons))
    for months in wanted:
        _check_horizon(months)
    out: dict[int, list[tuple[OptionCosts, list[TornadoBar]] | None]] = {
        months: [None] * len(options) for months in wanted
    }
    jobs: list[tuple[OptionInputs, OptionDraws, OptionDraws | None]] = []
    placed: list[tuple[int, Mapping[str, tuple[float, float]]]] = []
    ends: dict[Beta, tuple[float, float]] = {}  # the percentiles the options' tornados share
    for k, option in enumerate(options):
        if _is_free(option):
            for months in wanted:
                free = _free_option(option, months, n_draws)
                out[months][k] = free, option_tornado(option, months)
            continue
        ranges, variants = _tornado_variants(option, ends)
        jobs.append((option, draw_parameters(option, n_draws, seed), variants))
        placed.append((k, ranges))
    for months, ran in _run_many(jobs, wanted).items():
        for (k, ranges), (costs, outcomes) in zip(placed, ran, strict=True):
            out[months][k] = costs, _tornado_bars(ranges, outcomes)
    return {
        months: [item for item in results if item is not None] for months, results in out.items()
    }


def _free_option(option: OptionInputs, horizon_months: int, n_draws: int) -> OptionCosts:
    """What :func:`run_option` gives an option that costs nothing and has no response to draw:
    zeros (no draws needed)."""
    _check_horizon(horizon_months)
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


def _check_horizon(horizon_months: int) -> None:
    if not 1 <= horizon_months <= 240:
        raise ValueError(f"horizon_months must be 1..240, got {horizon_months}")


def _active(option: OptionInputs) -> bool:
    """Whether the model has anything to pay for: sessions, or a monthly price."""
    protocol, price = option.protocol, option.price
    return protocol is not None and (
        protocol.sessions.high > 0 or (price is not None and price.unit == "month")
    )


def _monthly_price(option: OptionInputs) -> bool:
    return option.price is not None and option.price.unit == "month"


def _monthly_matrix(
    groups: Sequence[tuple[OptionInputs, OptionDraws]],
    months: int,
    empty: Callable[[tuple[int, int]], FloatArray] = np.empty,
) -> tuple[FloatArray, list[slice]]:
    """``(months + 1, columns)``: in row ``t + 1`` the expected cost of month ``t`` per draw,
    row 0 zeros, for the draws of each group (:func:`_active` options) side by side, and the
    columns of each group. Every column as :func:`cumulative_costs` computes its option's
    alone: the arithmetic is per column, and where the groups differ (the months of the loop,
    how many sessions to place) the others only add work that changes nothing (a factor of 1
    before a draw's check, sessions after the horizon, which are dropped)."""
    # the groups priced per month last (their columns are filled alike)
    order = sorted(range(len(groups)), key=lambda i: _monthly_price(groups[i][0]))
    slices: list[slice] = [slice(0)] * len(groups)
    width = 0
    for i in order:
        slices[i] = slice(width, width + groups[i][1].n)
        width += groups[i][1].n
    drawn = [groups[i][1] for i in order]

    def joined(values: list[FloatArray]) -> FloatArray:
        return values[0] if len(values) == 1 else np.concatenate(values)

    draws = OptionDraws(
        price=joined([d.price for d in drawn]),
        response=joined([d.response if d.response is not None else np.zeros(d.n) for d in drawn]),
        stop_per_year=joined([d.stop_per_year for d in drawn]),
        initial_sessions=joined([d.initial_sessions for d in drawn]),
        interval_weeks=joined([d.interval_weeks for d in drawn]),
        results_weeks=joined([d.results_weeks for d in drawn]),
        maintenance_weeks=None,  # only the sessions use it, group by group
    )
    # one more row at the end: sessions after the horizon are counted there (not returned)
    whole = empty((months + 2, width))
    total = whole[: months + 1]
    total[0] = 0.0
    # sessions x price per session, for every group priced per session at once (their columns
    # come first); the groups priced per month pay in every month in the course or responding
    per_session = [groups[i][1] for i in order if not _monthly_price(groups[i][0])]
    sessions = slice(0, sum(d.n for d in per_session))
    last_initial = _last_initial(draws)
    if per_session:
        whole[1:, sessions] = 0.0
        _count_sessions(
            per_session,
            draws.initial_sessions[sessions],  # theirs are the first columns
            draws.interval_weeks[sessions],
            last_initial[sessions],
            months,
            whole,
        )
        total[1:, sessions] *= draws.price[sessions]
    total[1:, sessions.stop :] = draws.price[sessions.stop :]
    n = width
    check = _check_month(draws, last_initial)
    assert draws.response is not None
    responding = draws.response
    keep = 1.0 - (1.0 - (1.0 - draws.stop_per_year) ** (1.0 / 12.0))  # stay responding
    first_check, last_check = int(check.min()), int(check.max())
    still = np.zeros(n)  # share in ``responding`` at point t
    for t in range(first_check, months):  # before the first check everybody pays in full
        still *= keep
        if t <= last_check:  # some are judged now, some later
            judged = np.flatnonzero(check == t)
            still[judged] = responding[judged]  # (those judged later: still 0, times keep)
            # times still, or times 1 for those judged later (their still is 0): exact
            total[t + 1] *= still + (check > t)
        else:
            total[t + 1] *= still
    return total, slices


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
    _check_horizon(horizon_months)
    n, months = draws.n, horizon_months
    if not _active(option):
        return np.zeros((months + 1, n)), np.zeros(months, dtype=bool)
    total = _monthly_matrix([(option, draws)], months)[0]
    paid: BoolArray = np.asarray(total[1:].any(axis=1))
    for t in range(months):  # running totals, row by row (cumsum(axis=0) is much slower)
        total[t + 1] += total[t]
    return total, paid


def _months_paid(paying: BoolArray) -> IntArray:
    """Row 0 and the rows (months ``t + 1``) in which anybody pays (``paying``: whether each
    draw pays in each month ``t``): the running total changes only there."""
    return np.concatenate(([0], np.flatnonzero(paying.any(axis=1)) + 1))


def run_option(option: OptionInputs, draws: OptionDraws, horizon_months: int) -> OptionCosts:
    """The cohort model for each draw of the parameters (module docstring)."""
    return _run_many([(option, draws, None)], [horizon_months])[horizon_months][0][0]


@dataclass
class _Rows:
    """One option's running totals at one horizon in the table of :func:`_run_many`:
    ``cumulative`` at months ``distinct`` (row 0, all zeros, is not in the table), from row
    ``start``; then, when ``summarised``, its cost per responder (row ``per_responder``) and
    its response draws (row ``response``)."""

    distinct: IntArray
    start: int
    horizon: FloatArray
    first: FloatArray
    summarised: bool
    per_responder: int = 0
    response: int = 0


class _Workspace:
    """Memory kept for the large arrays of one :func:`_run_many` at a time (its monthly costs
    and its table of running totals, a few megabytes for an assessment's options). Fresh memory
    costs more than the arithmetic done in it: every new page is a fault (several microseconds
    each on a virtual machine), and the allocator hands arrays this large back to the system
    when they are freed. Holds at most ``limit`` bytes; a call that needs more, or that comes
    while another thread uses it, gets fresh arrays."""

    def __init__(self, limit: int) -> None:
        self._limit = limit // 8  # float64 values
        self._lock = threading.Lock()
        self._buffer = np.empty(0)
        self._wanted = 0

    @contextmanager
    def lend(self) -> Iterator[Callable[[tuple[int, int]], FloatArray]]:
        """An ``np.empty`` whose arrays use the kept memory until the block ends."""
        if not self._lock.acquire(blocking=False):
            yield np.empty
            return
        used = 0

        def empty(shape: tuple[int, int]) -> FloatArray:
            nonlocal used
            size = shape[0] * shape[1]
            if used + size > self._buffer.size:  # more next time (within the limit)
                self._wanted = max(self._wanted, min(used + size, self._limit))
                return np.empty(shape)
            view = self._buffer[used : used + size].reshape(shape)
            used += size
            return view

        try:
            yield empty
        finally:
            if self._wanted > self._buffer.size:
                self._buffer = np.empty(self._wanted)
            self._lock.release()


_WORKSPACE = _Workspace(8 * 2**20)  # an assessment's options over 36 months take about 5 MB


def _run_many(
    jobs: Sequence[tuple[OptionInputs, OptionDraws, OptionDraws | None]], horizons: Sequence[int]
) -> dict[int, list[tuple[OptionCosts, list[float]]]]:
    """:func:`run_option` for each ``(option, draws, extra)`` at each of ``horizons`` (in
    increasing order), and the expected cost over each horizon for each parameter set in
    ``extra`` (the tornado's, or None): all in one :func:`_monthly_matrix` up to the longest
    horizon, and the percentiles of every option's months in one call."""
    for months in horizons:
        _check_horizon(months)
    n = jobs[0][1].n if jobs else 0
    if any(draws.n != n for _, draws, _ in jobs):
        raise ValueError("every option needs the same number of draws")
    with _WORKSPACE.lend() as empty:
        return _run_in(jobs, horizons, n, empty)


def _run_in(
    jobs: Sequence[tuple[OptionInputs, OptionDraws, OptionDraws | None]],
    horizons: Sequence[int],
    n: int,
    empty: Callable[[tuple[int, int]], FloatArray],
) -> dict[int, list[tuple[OptionCosts, list[float]]]]:
    """:func:`_run_many` with its large arrays from ``empty``: nothing returned keeps them."""
    laid, outcomes, table = _lay_out(jobs, horizons, empty)
    for (_, draws, _), by_horizon in zip(jobs, laid, strict=True):
        for placed in by_horizon.values():
            if placed.summarised:  # summarise()'s draws: cost per responder, responders
                assert draws.response is not None
                responding = np.maximum(draws.response, 1e-9)
                np.divide(placed.horizon, responding, out=table[placed.per_responder])
                table[placed.response] = draws.response  # (one row for every horizon)

    # The means (as summarise()'s, pairwise along each row), then the percentiles of every row
    # (np.quantile's values, as summarise() gives them: its levels are 0.025 and 0.975
    # computed as (1 -/+ 0.95) / 2), from the order statistics they read: the table is
    # partitioned in place for them (it is scratch memory, and the means are taken).
    height = table.shape[0]
    means = table.mean(axis=1) if height else np.empty(0)
    low_q, high_q = interval_levels()
    positions = quantile_positions(n, (0.025, 0.975, low_q, high_q)) if n else []
    found = (
        order_statistics(table, positions, in_place=True)
        if height
        else {p: np.empty(0) for p in positions}
    )
    # every row's mean and percentiles side by side, after a column of zeros (row 0 of every
    # option: nothing paid yet): the mean, the two ends of the curves, the two of the intervals
    found_at = np.zeros((5, height + 1))
    found_at[0, 1:] = means
    for k, q in enumerate((0.025, 0.975, low_q, high_q), start=1):
        if height:
            found_at[k, 1:] = quantiles_of_statistics(found, n, q)
    return {
        months: [
            (_summary(option, draws, months, by_horizon[months], found_at), extra[months])
            for (option, draws, _), by_horizon, extra in zip(jobs, laid, outcomes, strict=True)
        ]
        for months in horizons
    }


def _lay_out(
    jobs: Sequence[tuple[OptionInputs, OptionDraws, OptionDraws | None]],
    horizons: Sequence[int],
    empty: Callable[[tuple[int, int]], FloatArray],
) -> tuple[list[dict[int, _Rows]], list[dict[int, list[float]]], FloatArray]:
    """For :func:`_run_many`: each option's rows in one table at each horizon (the running
    totals at the months in which somebody pays, up to the longest horizon, then room for a
    cost per responder per horizon and the responses), the tornado's outcomes at each horizon,
    and the table. The monthly matrix is gone when this returns (less memory at once).

    A shorter horizon's months are the first ones of the longest: the same costs (sessions
    after a horizon only land in a row that is not used), the same running totals (the same
    additions in the same order), so its rows are read from the longest's."""
    longest = horizons[-1]
    groups: list[tuple[OptionInputs, OptionDraws]] = []
    own: list[int] = []  # the groups that are options' draws (the others: their tornados')
    for option, draws, extra in jobs:
        if _active(option):
            own.append(len(groups))
            groups.append((option, draws))
            if extra is not None:
                groups.append((option, extra))
    total, slices = _monthly_matrix(groups, longest, empty) if groups else (np.zeros((1, 0)), [])
    paying = total[1:] != 0  # whether each draw pays in each month
    paid = {k: _months_paid(paying[:, slices[k]]) for k in own}  # the months each one pays in
    rows = _months_paid(paying)  # anybody
    for k in range(1, rows.size):  # running totals, in place, at the months paid in
        total[rows[k]] += total[rows[k - 1]]
    # each horizon's last row of running totals (nobody pays after it up to the horizon)
    last = {months: rows[np.searchsorted(rows, months, side="right") - 1] for months in horizons}
    n = jobs[0][1].n if jobs else 0
    laid: list[dict[int, _Rows]] = []
    outcomes: list[dict[int, list[float]]] = []
    height = 0
    at = 0  # the next group
    for option, draws, extra in jobs:
        if not _active(option):  # nothing is ever paid: every month is row 0
            laid.append({})
            outcomes.append({})
            for months in horizons:
                zeros = np.zeros(n)
                nothing = np.zeros(1, dtype=np.intp)
                laid[-1][months] = _Rows(nothing, height, zeros, zeros.copy(), False)
                outcomes[-1][months] = [0.0] * (extra.n if extra is not None else 0)
            continue
        distinct = paid[at]
        summarised = draws.response is not None
        after = height + distinct.size - 1  # the option's rows after its months
        by_horizon: dict[int, _Rows] = {}
        for i, months in enumerate(horizons):
            upto = distinct[: np.searchsorted(distinct, months, side="right")]
            first_row = upto[np.searchsorted(upto, min(12, months), side="right") - 1]
            # copies, not views: a view would keep the whole matrix alive in every cached result
            horizon = total[last[months], slices[at]].copy()
            first = total[first_row, slices[at]].copy()
            by_horizon[months] = _Rows(
                upto, height, horizon, first, summarised, after + i, after + len(horizons)
            )
        laid.append(by_horizon)
        height = after + (len(horizons) + 1 if summarised else 0)
        outcomes.append(
            {
                months: total[last[months], slices[at + 1]].tolist() if extra is not None else []
                for months in horizons
            }
        )
        at += 2 if extra is not None else 1
    table = empty((height, n))
    at = 0
    for (option, _, extra), by_horizon in zip(jobs, laid, strict=True):
        if _active(option):
            placed = by_horizon[longest]
            months_paid = placed.distinct[1:]  # row 0 (all zeros) is not in the table
            # (np.take would first copy the option's columns of every month: not contiguous)
            table[placed.start : placed.start + months_paid.size] = total[months_paid, slices[at]]
            at += 2 if extra is not None else 1
    return laid, outcomes, table


def _summary(
    option: OptionInputs,
    draws: OptionDraws,
    months: int,
    placed: _Rows,
    found_at: FloatArray,
) -> OptionCosts:
    """One option's PSA summary from its rows of :func:`_run_many`'s table: ``found_at`` holds
    for every row of the table (column ``r + 1`` for row ``r``; column 0 is zeros) its mean,
    its 2.5th and 97.5th percentiles (the curves) and the two percentiles of an interval
    (:func:`interval_levels`). Row 0 of the option (nothing paid yet) is zeros, and so are its
    percentiles (as computed from zeros) and its mean."""
    # the option's row each month equals (the last month paid in up to it), as a column
    latest = np.searchsorted(placed.distinct, np.arange(months + 1), side="right") - 1
    columns = latest + placed.start
    columns[latest == 0] = 0
    curves = found_at[:3, columns]  # the mean and the two ends, month by month
    wanted = [int(columns[min(12, months)]), int(columns[months])]
    if placed.summarised:  # then the cost per responder and the responders
        wanted += [placed.per_responder + 1, placed.response + 1]
    picked = found_at[[0, 3, 4]][:, wanted].T.tolist()  # (mean, low, high) of each
    intervals = [Interval(mean, low, high) for mean, low, high in picked]
    price = option.price
    return OptionCosts(
        treatment=option.treatment,
        currency=price.currency if price is not None else None,
        horizon_months=months,
        first_year=intervals[0],
        horizon_total=intervals[1],
        cost_per_responder=intervals[2] if placed.summarised else None,
        expected_responders=intervals[3] if placed.summarised else None,
        cumulative_mean=curves[0],
        cumulative_low=curves[1],
        cumulative_high=curves[2],
        horizon_draws=placed.horizon,
        first_year_draws=placed.first,
        response_draws=draws.response,
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
    ranges, variants = _tornado_variants(option)
    cost = cumulative_costs(option, variants, horizon_months)[0][horizon_months]
    return _tornado_bars(ranges, cost.tolist())


def _tornado_variants(
    option: OptionInputs, ends: dict[Beta, tuple[float, float]] | None = None
) -> tuple[Mapping[str, tuple[float, float]], OptionDraws]:
    """The tornado's ranges, and its parameter sets as draws: the base (every parameter at its
    middle), then each parameter of ``ranges`` at its low and at its high end. ``ends`` keeps
    the probabilities' 2.5th and 97.5th percentiles for the other options of one call (the
    options share the stopping probability's distribution)."""
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
            found = ends.get(dist) if ends is not None else None
            if found is None:
                found = dist.ppf(0.025), dist.ppf(0.975)
                if ends is not None:
                    ends[dist] = found
            add(name, found[0], found[1], dist.mean)

    count = 1 + 2 * len(ranges)
    names = (
        "price",
        "response",
        "stop_per_year",
        "initial_sessions",
        "interval_weeks",
        "results_weeks",
        "maintenance_weeks",
    )
    # each parameter in each set: at its middle, but at its ends in its own two sets
    values = {name: [base.get(name, 0.0)] * count for name in names}
    for k, (varied, (low, high)) in enumerate(ranges.items()):
        values[varied][1 + 2 * k], values[varied][2 + 2 * k] = low, high
    price, response, stop, initial, interval, results, maintenance = np.array(
        [values[name] for name in names], dtype=np.float64
    )  # one array, a row per parameter
    draws = OptionDraws(
        price=price,
        response=response if option.response is not None else None,
        stop_per_year=stop,
        initial_sessions=initial,
        interval_weeks=interval,
        results_weeks=results,
        maintenance_weeks=maintenance if "maintenance_weeks" in base else None,
    )
    return ranges, draws


def _tornado_bars(
    ranges: Mapping[str, tuple[float, float]], outcomes: list[float]
) -> list[TornadoBar]:
    """Bars from the outcomes of :func:`_tornado_variants`' parameter sets, widest first."""
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
    costs = np.stack([r.horizon_draws for r in results])  # an option per row
    lowest = costs.min(axis=0)
    winners = costs - lowest <= 1e-6  # np.isclose(rtol=0, atol=1e-6): costs >= lowest
    share = winners / np.count_nonzero(winners, axis=0)
    means = share.mean(axis=1).tolist()  # each row's own mean (pairwise, as share[k].mean())
    return {r.treatment: means[k] for k, r in enumerate(results)}


def break_even(option: OptionCosts, versus: OptionCosts) -> BreakEven:
    """Break-even month of ``option`` against ``versus`` on the expected cumulative curves.

    ``month`` is the first month ``m >= 1`` from which ``option``'s expected cumulative cost is
    no higher than ``versus``'s at every later month up to the horizon, provided it was higher
    before (otherwise ``always_cheaper``); ``never`` when it is still higher at the horizon.
    """
    diff = option.cumulative_mean[1:] - versus.cumulative_mean[1:]  # months 1..n
    tol = 1e-6
    cheaper = int(np.count_nonzero(option.horizon_draws <= versus.horizon_draws + tol))
    cheaper_prob = cheaper / option.horizon_draws.size  # np.mean's value, as a Python float
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


def break_evens(results: Sequence[OptionCosts]) -> dict[tuple[int, int], BreakEven]:
    """:func:`break_even` of ``results[i]`` against ``results[j]`` for every ``i != j`` (the
    same values), computed for all the pairs at once. The curves must cover the same months."""
    k = len(results)
    if k < 2:
        return {}
    tol = 1e-6
    horizon = np.stack([r.horizon_draws for r in results])
    cheaper = np.count_nonzero(horizon[:, None, :] <= horizon[None, :, :] + tol, axis=2).tolist()
    curves = np.stack([r.cumulative_mean[1:] for r in results])  # months 1..n
    diff = curves[:, None, :] - curves[None, :, :]
    never_above = np.all(diff <= tol, axis=2).tolist()
    at_horizon = diff[:, :, -1].tolist()
    size = horizon.shape[1]
    out: dict[tuple[int, int], BreakEven] = {}
    for i, option in enumerate(results):
        for j, versus in enumerate(results):
            if i == j:
                continue
            ids = (option.treatment, versus.treatment)
            cheaper_prob = cheaper[i][j] / size  # np.mean's value, as a Python float
            last = at_horizon[i][j]
            if never_above[i][j]:
                out[i, j] = BreakEven(*ids, None, True, False, cheaper_prob, last)
            elif last > tol:
                out[i, j] = BreakEven(*ids, None, False, True, cheaper_prob, last)
            else:
                above = np.nonzero(diff[i, j] > tol)[0]
                month = int(above[-1]) + 2  # index i is month i + 1; the month after
                out[i, j] = BreakEven(*ids, month, False, False, cheaper_prob, last)
    return out


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
