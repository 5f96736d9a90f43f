"""The cost model's closed-form fast path against the general cohort engine (issue 10).

``regen_model.run_option`` computes each option's monthly costs in closed form, sums and
summarises only the months in which somebody pays and reads the percentiles off the order
statistics of those rows (``psa.order_statistics``); ``simulate_many`` runs several options and
their tornados as the columns of the same arrays. The reference below is the straightforward
implementation it replaced, kept verbatim: the schedule counted with ``np.add.at``, the
four-state cohort run through the general engine (:func:`regenaid.economics.batch.cohort_totals`,
itself validated against the published models), ``np.cumsum`` and ``np.quantile``/``summarise``
over draws. Both run on the same seeded draws; the results must agree to rounding noise, and
the cost blocks people see must be the same.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from regenaid.decide import option_cost, parse_intake
from regenaid.decide.option_cost import estimate_costs
from regenaid.economics import regen_model
from regenaid.economics._types import FloatArray
from regenaid.economics.batch import cohort_totals
from regenaid.economics.distributions import Beta
from regenaid.economics.psa import Interval, quantiles_of_sorted
from regenaid.economics.regen_model import (
    COURSE,
    NOT_RESPONDING,
    RESPONDING,
    STOPPED,
    WEEKS_PER_MONTH,
    OptionCosts,
    OptionDraws,
    OptionInputs,
    draw_parameters,
    run_option,
)
from regenaid.knowledge import load_knowledge
from regenaid.knowledge.model import PriceRange, Protocol, Range, TreatmentId

# --- the reference: the implementation before the fast path, unchanged -------------------


def summarise(values: FloatArray, level: float = 0.95) -> Interval:
    v = np.asarray(values, dtype=np.float64)
    lo, hi = np.quantile(v, [(1 - level) / 2, (1 + level) / 2])
    return Interval(float(v.mean()), float(lo), float(hi))


def _reference_schedule_counts(d: OptionDraws, n_months: int) -> tuple[FloatArray, FloatArray]:
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


def reference_monthly(option: OptionInputs, draws: OptionDraws, horizon_months: int) -> FloatArray:
    """``(n, months)``: cost paid in month m, from the general cohort engine."""
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
        counts, check = _reference_schedule_counts(draws, months)

    month_index = np.arange(months)
    if price is not None and price.unit == "month":
        course_cost = np.where(active, per_session[:, None] * np.ones((1, months)), 0.0)
        maint_cost = course_cost
    else:
        before = month_index[None, :] < check[:, None]
        course_cost = per_session[:, None] * counts * before
        maint_cost = per_session[:, None] * counts * ~before
    responding = p_resp if p_resp is not None else np.zeros(n)

    stay = np.zeros((4, 4, n))
    stay[COURSE, COURSE] = 1.0
    stay[RESPONDING, RESPONDING] = 1.0 - p_stop
    stay[RESPONDING, STOPPED] = p_stop
    stay[NOT_RESPONDING, NOT_RESPONDING] = 1.0
    stay[STOPPED, STOPPED] = 1.0
    judged_at: dict[int, FloatArray] = {}
    for month in np.unique(check):
        judged = check == month
        p = stay.copy()
        p[COURSE, COURSE] = np.where(judged, 0.0, 1.0)
        p[COURSE, RESPONDING] = np.where(judged, responding, 0.0)
        p[COURSE, NOT_RESPONDING] = np.where(judged, 1.0 - responding, 0.0)
        judged_at[int(month) - 1] = p

    def transitions(t: int) -> FloatArray:
        return judged_at.get(t, stay)

    reward = np.zeros((1, 4, n))

    def rewards(t: int) -> FloatArray:
        if t < months:
            reward[0, COURSE] = course_cost[:, t]
            reward[0, RESPONDING] = maint_cost[:, t]
        else:
            reward.fill(0.0)
        return reward

    weights = np.ones((1, months + 1))
    weights[0, months] = 0.0
    run = cohort_totals(
        np.array([1.0, 0.0, 0.0, 0.0]),
        transitions,
        rewards,
        weights,
        n_cycles=months,
        keep_points=True,
    )
    assert run.by_point is not None
    return np.asarray(run.by_point[0, :months].T)


def reference_run_option(
    option: OptionInputs, draws: OptionDraws, horizon_months: int
) -> OptionCosts:
    months = horizon_months
    n = draws.n
    monthly = reference_monthly(option, draws, months)
    protocol, price, p_resp = option.protocol, option.price, draws.response
    active = protocol is not None and (
        protocol.sessions.high > 0 or (price is not None and price.unit == "month")
    )
    cumulative = np.concatenate([np.zeros((n, 1)), np.cumsum(monthly, axis=1)], axis=1)
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


def reference_cumulative_costs(
    option: OptionInputs, draws: OptionDraws, horizon_months: int
) -> tuple[FloatArray, Any]:
    """What ``cumulative_costs`` returns, from the reference engine."""
    monthly = reference_monthly(option, draws, horizon_months)
    cumulative = np.concatenate([np.zeros((draws.n, 1)), np.cumsum(monthly, axis=1)], axis=1)
    return np.ascontiguousarray(cumulative.T), monthly.any(axis=0)


def reference_probability_cheapest(results: list[OptionCosts]) -> dict[TreatmentId, float]:
    costs = np.stack([r.horizon_draws for r in results], axis=1)
    lowest = costs.min(axis=1, keepdims=True)
    winners = np.isclose(costs, lowest, rtol=0.0, atol=1e-6)
    share = winners / winners.sum(axis=1, keepdims=True)
    return {r.treatment: float(share[:, k].mean()) for k, r in enumerate(results)}


# --- hand-made options covering every branch of the schedule -----------------------------


def _protocol(
    sessions: tuple[float, float],
    interval: tuple[float, float],
    maintenance: tuple[float, float] | None,
    ttr: tuple[float, float] | None,
    maintenance_known: bool = True,
) -> Protocol:
    return Protocol(
        treatment="prp",
        condition="androgenetic_alopecia",
        sessions=Range(*sessions),
        interval_weeks=Range(*interval),
        maintenance_interval_weeks=None if maintenance is None else Range(*maintenance),
        time_to_results_weeks=None if ttr is None else Range(*ttr),
        duration_of_effect="",
        sources=(),
        maintenance_known=maintenance_known,
    )


def _price(low: float, high: float, unit: str = "session", per: Range | None = None) -> PriceRange:
    return PriceRange("prp", "USD", low, high, unit, (), per_session=per)  # type: ignore[arg-type]


OPTIONS = {
    "course and maintenance": OptionInputs(
        "prp",
        _protocol((3, 6), (4, 6), (12, 26), (12, 26)),
        _price(300, 900),
        Beta(5, 4),
        Beta(3, 9),
    ),
    "one session, unknown times": OptionInputs(
        "exosome",
        _protocol((1, 1), (0, 0), None, None, maintenance_known=False),
        _price(2500, 3500),
        Beta(2, 2),
        Beta(3, 9),
    ),
    "no maintenance": OptionInputs(
        "prp", _protocol((3, 3), (4, 4), None, (12, 12)), _price(1000, 1000), Beta(5, 5), None
    ),
    "monthly price": OptionInputs(
        "conventional",
        _protocol((1, 1), (4, 4), None, (16, 24)),
        _price(20, 60, "month"),
        Beta(6, 4),
        Beta(3, 9),
    ),
    "per syringe": OptionInputs(
        "prp",
        _protocol((2, 4), (2, 8), (26, 52), (8, 30)),
        _price(200, 400, "syringe", Range(1, 3)),
        Beta(3, 3),
        Beta(3, 9),
    ),
    "no sessions, monthly price zero": OptionInputs(
        "no_treatment",
        _protocol((0, 0), (0, 0), None, None),
        _price(0, 0, "month"),
        None,
        Beta(3, 9),
    ),
    "no protocol": OptionInputs("prp", None, _price(100, 200), Beta(5, 5), Beta(3, 9)),
    "no price": OptionInputs(
        "prp", _protocol((3, 5), (4, 4), (12, 12), (12, 12)), None, Beta(5, 5), None
    ),
}


def _assert_same_costs(fast: OptionCosts, slow: OptionCosts) -> None:
    """Equal to the bit, except the expected curve, whose mean over draws NumPy sums in another
    order (pairwise along a row instead of row after row): equal to ~1e-15 relative."""
    for name in ("first_year", "horizon_total", "cost_per_responder", "expected_responders"):
        assert getattr(fast, name) == getattr(slow, name), name
    for name in ("cumulative_low", "cumulative_high", "horizon_draws", "first_year_draws"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)
    np.testing.assert_allclose(fast.cumulative_mean, slow.cumulative_mean, rtol=1e-12, atol=1e-9)
    assert (fast.treatment, fast.currency, fast.horizon_months) == (
        slow.treatment,
        slow.currency,
        slow.horizon_months,
    )
    if slow.response_draws is None:
        assert fast.response_draws is None
    else:
        np.testing.assert_array_equal(fast.response_draws, slow.response_draws)


@pytest.mark.parametrize("name", list(OPTIONS))
@pytest.mark.parametrize("months", [1, 5, 12, 13, 36, 240])
def test_fast_path_gives_the_reference_engine_results(name: str, months: int) -> None:
    option = OPTIONS[name]
    draws = draw_parameters(option, 500, seed=7)
    _assert_same_costs(
        run_option(option, draws, months), reference_run_option(option, draws, months)
    )
    # simulate_option (cached draws; free options without draws) against the reference too
    fast = regen_model.simulate_option(option, months, 500, 7)
    _assert_same_costs(fast, reference_run_option(option, draws, months))


def test_fast_path_rejects_the_same_horizons() -> None:
    option = OPTIONS["course and maintenance"]
    draws = draw_parameters(option, 10)
    for months in (0, 241):
        with pytest.raises(ValueError):
            run_option(option, draws, months)
        with pytest.raises(ValueError):
            reference_run_option(option, draws, months)


def test_quantiles_of_sorted_rows_are_numpys() -> None:
    rng = np.random.default_rng(11)
    for n in (1, 2, 3, 15, 2000, 2001):
        values = rng.gamma(2.0, 900.0, size=(6, n)) * rng.integers(0, 3, size=(6, 1))
        ordered = np.sort(values, axis=1)
        for q in (0.0, 0.025, (1 - 0.95) / 2, 0.5, 0.975, (1 + 0.95) / 2, 1.0):
            np.testing.assert_array_equal(
                quantiles_of_sorted(ordered, q), np.quantile(values, q, axis=1)
            )


def test_beta_ppf_is_scipys() -> None:
    rng = np.random.default_rng(5)
    for a, b in [(5.0, 4.0), (2.0, 2.0), *rng.uniform(0.3, 40.0, size=(200, 2)).tolist()]:
        for q in (0.0, 0.025, 0.5, 0.975, 1.0):
            assert Beta(a, b).ppf(q) == float(stats.beta.ppf(q, a, b))


def _intakes() -> list[Any]:
    """Varied intakes over the shipped knowledge base: every condition, several currencies,
    horizons and earlier responses."""
    kb = load_knowledge()
    horizons = (1, 12, 24, 36, 120)
    currencies = ("USD", "GBP", "EUR", "JPY")
    priors = (None, "none", "good", "partial")
    out = []
    for k, condition in enumerate(kb.conditions.values()):
        data: dict[str, Any] = {
            "concern": condition.concern,
            "condition": condition.id,
            "age": 45,
            "sex": "female",
            "severity": "moderate",
            "jurisdiction": ("US", "GB", "DE", "JP")[k % 4],
        }
        if k % 3:
            data["budget"] = {
                "amount": (1000, 3000, 8000, 20000)[k % 4],
                "currency": currencies[k % 4],
                "horizon_months": horizons[k % 5],
            }
        if priors[k % 4] is not None:
            data["prior_treatments"] = [{"treatment": "prp", "response": priors[k % 4]}]
        out.append((condition.treatments, parse_intake(data)))
    return out


def _clear() -> None:
    option_cost.clear_cost_model_cache()  # prepared blocks, runs per option and draws


def _blocks() -> list[Any]:
    kb = load_knowledge()
    _clear()
    try:
        return [estimate_costs(kb, intake, treatments) for treatments, intake in _intakes()]
    finally:
        _clear()


def _same_block(fast: Any, slow: Any, path: str = "") -> None:
    if isinstance(slow, dict):
        assert fast.keys() == slow.keys(), path
        for key in slow:
            _same_block(fast[key], slow[key], f"{path}.{key}")
    elif isinstance(slow, list) and path.endswith("cumulative_by_month.expected"):
        # the mean over draws is summed in another order: at most a cent of rounding apart
        assert len(fast) == len(slow) and max(map(abs, np.subtract(fast, slow)), default=0) <= 0.01
    elif isinstance(slow, list):
        assert len(fast) == len(slow), path
        for k, (a, b) in enumerate(zip(fast, slow, strict=True)):
            _same_block(a, b, f"{path}[{k}]")
    else:
        assert fast == slow, path


def test_cost_blocks_are_those_of_the_reference_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """What people see (intervals, probability within budget and cheapest, break-even, the
    tornado, the curves) from the fast path and from the reference path, on the shipped kb."""
    fast = _blocks()
    with monkeypatch.context() as patch:
        patch.setattr(
            option_cost,
            "simulate_option",
            lambda option, months, n, seed: reference_run_option(
                option, draw_parameters(option, n, seed), months
            ),
        )
        # the options run together (and the tornado with them) in the fast path; one by one,
        # each tornado from the reference engine's costs, here
        patch.setattr(
            option_cost,
            "simulate_many",
            lambda options, months, n, seed: [
                (
                    reference_run_option(option, draw_parameters(option, n, seed), months),
                    regen_model.option_tornado(option, months),
                )
                for option in options
            ],
        )
        patch.setattr(regen_model, "cumulative_costs", reference_cumulative_costs)
        patch.setattr(option_cost, "probability_cheapest", reference_probability_cheapest)
        patch.setattr(Beta, "ppf", lambda self, q: float(stats.beta.ppf(q, self.a, self.b)))
        slow = _blocks()
    assert len(fast) == len(slow) > 5
    for a, b in zip(fast, slow, strict=True):
        _same_block(a, b)


# --- the options run together, and their draws --------------------------------------------


def reference_draw_parameters(option: OptionInputs, n: int, seed: int) -> OptionDraws:
    """The draws as drawn without sharing anything: one stream, in order (stopping first, then
    ``n`` doubles for the price whether it varies or not, then the response and the rest)."""
    rng = np.random.default_rng(seed)
    price = option.price

    def uniform(low: float, high: float) -> FloatArray:
        return rng.uniform(low, high, size=n) if high > low else np.full(n, float(low))

    stop = (
        option.discontinuation_per_year.sample(rng, n)
        if option.discontinuation_per_year is not None
        else np.zeros(n)
    )
    doubles = rng.random(n)
    per_session = (
        price.low + (price.high - price.low) * doubles  # as rng.uniform makes its values
        if price is not None and price.high > price.low
        else np.full(n, float(price.low) if price is not None else 0.0)
    )
    response = option.response.sample(rng, n) if option.response is not None else None
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
    interval = uniform(protocol.interval_weeks.low, protocol.interval_weeks.high)
    ttr_range, maint = regen_model.costed_times(protocol)
    ttr = uniform(ttr_range.low, ttr_range.high)
    if price is not None and price.unit == "syringe" and price.per_session is not None:
        per_session = per_session * uniform(price.per_session.low, price.per_session.high)
    m = uniform(maint.low, maint.high) if maint is not None and maint.high > 0 else None
    return OptionDraws(per_session, response, stop, initial, interval, ttr, m)


def _same_draws(a: OptionDraws, b: OptionDraws) -> None:
    for name, value in vars(b).items():
        if value is None:
            assert getattr(a, name) is None, name
        else:
            np.testing.assert_array_equal(getattr(a, name), value, err_msg=name)


@pytest.mark.parametrize("name", list(OPTIONS))
def test_draws_are_those_of_one_stream_in_order(name: str) -> None:
    option = OPTIONS[name]
    for n, seed in ((500, 7), (2000, regen_model.DEFAULT_SEED), (3, 11)):
        regen_model.clear_draws_cache()
        first = draw_parameters(option, n, seed)
        again = draw_parameters(option, n, seed)  # the probability draws from the cache
        _same_draws(first, reference_draw_parameters(option, n, seed))
        _same_draws(again, reference_draw_parameters(option, n, seed))


def test_every_option_draws_the_same_stopping_probabilities() -> None:
    """The yearly chance of stopping top-ups is one uncertain quantity for everybody: in draw
    ``i`` every option uses the same value of it (joint parameter uncertainty), and the prices
    of options come from the same uniform numbers (common random numbers)."""
    regen_model.clear_draws_cache()
    drawn = {name: draw_parameters(option, 2000) for name, option in OPTIONS.items()}
    stopping = [
        d.stop_per_year for name, d in drawn.items() if OPTIONS[name].discontinuation_per_year
    ]
    assert len(stopping) >= 3
    for other in stopping[1:]:
        np.testing.assert_array_equal(other, stopping[0])
    assert float(np.std(stopping[0])) > 0  # drawn, not a constant
    uniforms = [
        (d.price - o.price.low) / (o.price.high - o.price.low)
        for name, d in drawn.items()
        if (o := OPTIONS[name]).price is not None
        and o.price.high > o.price.low
        and o.price.unit != "syringe"
    ]
    assert len(uniforms) >= 2
    for other in uniforms[1:]:
        np.testing.assert_allclose(other, uniforms[0], atol=1e-9)


def _identical(fast: OptionCosts, slow: OptionCosts) -> None:
    for name, value in vars(slow).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(fast, name), value, err_msg=name)
        else:
            assert getattr(fast, name) == value, name


@pytest.mark.parametrize("months", [1, 5, 12, 13, 36, 240])
def test_options_run_together_give_what_each_gives_alone(months: int) -> None:
    """simulate_many runs the options (and their tornados) as columns of the same arrays; each
    result is the one of simulate_option and option_tornado, to the bit."""
    options = list(OPTIONS.values())
    for chosen in (options, options[::-1], options[:1], options[2:5]):
        together = regen_model.simulate_many(chosen, months, 500, 7)
        for option, (costs, bars) in zip(chosen, together, strict=True):
            _identical(costs, regen_model.simulate_option(option, months, 500, 7))
            assert bars == regen_model.option_tornado(option, months)
            _identical(costs, reference_like(option, months))


@pytest.mark.parametrize("horizons", [[1], [5, 12, 13], [12, 24, 36], [1, 36, 240], [240, 7, 7]])
def test_horizons_run_together_give_what_each_gives_alone(horizons: list[int]) -> None:
    """simulate_horizons runs the options once up to the longest horizon; each horizon's
    results are simulate_many's at that horizon, to the bit."""
    options = list(OPTIONS.values())
    for chosen in (options, options[::-1], options[2:5]):
        together = regen_model.simulate_horizons(chosen, horizons, 500, 7)
        assert sorted(together) == sorted(set(horizons))
        for months, results in together.items():
            alone = regen_model.simulate_many(chosen, months, 500, 7)
            for option, (costs, bars), (costs_alone, bars_alone) in zip(
                chosen, results, alone, strict=True
            ):
                _identical(costs, costs_alone)
                _identical(costs, reference_like(option, months))
                assert bars == bars_alone


def reference_like(option: OptionInputs, months: int) -> OptionCosts:
    """run_option on the draws, alone (the path the reference engine is compared with)."""
    if regen_model._is_free(option):
        return regen_model.simulate_option(option, months, 500, 7)
    return run_option(option, draw_parameters(option, 500, 7), months)


@pytest.mark.parametrize("months", [1, 5, 12, 36, 240])
def test_break_evens_are_break_even_of_each_pair(months: int) -> None:
    results = [regen_model.simulate_option(o, months, 500, 7) for o in OPTIONS.values()]
    together = regen_model.break_evens(results)
    assert len(together) == len(results) * (len(results) - 1)
    for i, a in enumerate(results):
        for j, b in enumerate(results):
            if i != j:
                assert together[i, j] == regen_model.break_even(a, b)
    assert regen_model.break_evens(results[:1]) == {}
