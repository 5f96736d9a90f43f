"""regenaid's cost model on hand-computable cases (schedules, response, discontinuation)."""

from __future__ import annotations

import numpy as np
import pytest

from regenaid.economics.distributions import Beta
from regenaid.economics.regen_model import (
    WEEKS_PER_MONTH,
    OptionInputs,
    break_even,
    probability_cheapest,
    simulate_option,
)
from regenaid.economics.regen_parameters import response_prior
from regenaid.knowledge.model import PriceRange, Protocol, Range


def _protocol(
    sessions: float, interval: float, maintenance: float | None, ttr: float, treatment: str = "prp"
) -> Protocol:
    return Protocol(
        treatment=treatment,  # type: ignore[arg-type]
        condition="androgenetic_alopecia",
        sessions=Range(sessions, sessions),
        interval_weeks=Range(interval, interval),
        maintenance_interval_weeks=None if maintenance is None else Range(maintenance, maintenance),
        time_to_results_weeks=Range(ttr, ttr),
        duration_of_effect="",
        sources=(),
    )


def _price(amount: float, treatment: str = "prp", unit: str = "session") -> PriceRange:
    return PriceRange(treatment, "USD", amount, amount, unit, ())  # type: ignore[arg-type]


def test_course_without_maintenance_costs_sessions_times_price() -> None:
    option = OptionInputs("prp", _protocol(3, 4, None, 12), _price(1000), Beta(5, 5), None)
    result = simulate_option(option, 12, n_draws=200)
    assert np.allclose(result.horizon_draws, 3000.0)
    assert result.first_year.mean == pytest.approx(3000.0)
    # sessions at weeks 0, 4, 8 -> months 0, 0, 1: paid by the end of months 1 and 2
    assert result.cumulative_mean[:3] == pytest.approx([0.0, 2000.0, 3000.0])
    assert result.response_draws is not None and result.cost_per_responder is not None
    assert result.cost_per_responder.mean == pytest.approx(np.mean(3000.0 / result.response_draws))


def test_maintenance_is_paid_by_responders_only() -> None:
    # maintenance every 3 months exactly; last initial session week 8 (month 1); maintenance at
    # weeks 8 + 3j months -> months 4, 7, 10 within 12 months; response check month 3.
    option = OptionInputs(
        "prp", _protocol(3, 4, 3 * WEEKS_PER_MONTH, 12), _price(1000), Beta(3, 2), None
    )
    result = simulate_option(option, 12, n_draws=500)
    assert result.response_draws is not None
    assert result.horizon_draws == pytest.approx(3000.0 + 3000.0 * result.response_draws)


def test_discontinuation_thins_maintenance() -> None:
    # annual stop probability ~0.2 (a very narrow Beta): monthly q = 1 - 0.8^(1/12); responders
    # still in maintenance at months 4, 7, 10 are p * (1-q)^(1, 4, 7) (judged at month 3).
    stop = Beta(0.2 * 2e6, 0.8 * 2e6)
    option = OptionInputs(
        "prp", _protocol(3, 4, 3 * WEEKS_PER_MONTH, 12), _price(1000), Beta(3, 2), stop
    )
    result = simulate_option(option, 12, n_draws=500)
    q = 1 - 0.8 ** (1 / 12)
    staying = sum((1 - q) ** k for k in (1, 4, 7))
    assert result.response_draws is not None
    assert result.horizon_draws == pytest.approx(
        3000.0 + 1000.0 * staying * result.response_draws, rel=1e-3
    )


def test_monthly_price_for_continuous_care() -> None:
    option = OptionInputs(
        "conventional",
        _protocol(0, 0, None, 4 * WEEKS_PER_MONTH, "conventional"),
        _price(30, "conventional", "month"),
        Beta(50, 50),
        None,
    )
    result = simulate_option(option, 12, n_draws=300)
    # 4 months for everyone, then 8 more months for responders
    assert result.response_draws is not None
    assert result.horizon_draws == pytest.approx(120.0 + 240.0 * result.response_draws)


def test_price_range_gives_an_interval_and_common_random_numbers() -> None:
    cheap = OptionInputs(
        "prp",
        _protocol(4, 4, None, 12),
        PriceRange("prp", "USD", 500, 2000, "session", ()),
        Beta(5, 5),
        None,
    )
    dear = OptionInputs(
        "exosome",
        _protocol(2, 4, None, 12, "exosome"),
        PriceRange("exosome", "USD", 1500, 5000, "session", ()),
        Beta(5, 5),
        None,
    )
    a, b = simulate_option(cheap, 12), simulate_option(dear, 12)
    # 2.5th/97.5th percentiles of 4 x U(500, 2000): 4 x (500 + 0.025 x 1500) and its mirror
    assert a.horizon_total.low == pytest.approx(4 * 537.5, rel=0.01)
    assert a.horizon_total.high == pytest.approx(4 * 1962.5, rel=0.01)
    assert a.horizon_total.mean == pytest.approx(4 * 1250, rel=0.03)
    # same seed: the k-th draws share their uniform price quantile
    assert np.allclose((a.horizon_draws / 4 - 500) / 1500, (b.horizon_draws / 2 - 1500) / 3500)
    # same u: exosome 2 x (1500 + 3500u) = 3000 + 7000u > PRP 4 x (500 + 1500u) = 2000 + 6000u,
    # so PRP is cheapest in every draw
    shares = probability_cheapest([a, b])
    assert shares == {"prp": 1.0, "exosome": 0.0}
    be = break_even(b, a)
    assert be.never and be.month is None and be.difference_at_horizon > 0


def test_break_even_month_when_fewer_sessions_pay_back() -> None:
    # A: one 3000 session then nothing; B: 1000 every month -> A is dearer in month 1 and 2,
    # equal at month 3 and cheaper afterwards: break-even month 3.
    a = OptionInputs(
        "exosome", _protocol(1, 0, None, 4, "exosome"), _price(3000, "exosome"), None, None
    )
    monthly = _protocol(12, WEEKS_PER_MONTH, None, 4)
    b = OptionInputs("prp", monthly, _price(1000), None, None)
    ra, rb = simulate_option(a, 12), simulate_option(b, 12)
    assert rb.cumulative_mean[1:4] == pytest.approx([1000, 2000, 3000])
    be = break_even(ra, rb)
    assert be.month == 3 and not be.never and not be.always_cheaper
    assert break_even(rb, ra).never


def test_response_priors_are_assumptions_and_follow_prior_response() -> None:
    prp = response_prior("prp")
    assert prp is not None and "assumption" in prp.basis
    assert prp.distribution.mean == pytest.approx(0.55)
    failed = response_prior("prp", "none")
    assert failed is not None and failed.distribution.mean == pytest.approx(0.275)
    assert response_prior("no_treatment") is None


def test_option_tornado_by_hand() -> None:
    """3..5 sessions at 1,000..2,000 and no maintenance: cost = sessions x price, so at the
    middle (4 sessions, 1,500) 6,000; price bar 4,000..8,000; sessions bar 4,500..7,500;
    response does not change what is paid (width 0)."""
    from regenaid.economics.regen_model import option_tornado

    protocol = Protocol(
        treatment="prp",
        condition="acne_scars",
        sessions=Range(3, 5),
        interval_weeks=Range(4, 4),
        maintenance_interval_weeks=None,
        time_to_results_weeks=Range(12, 26),
        duration_of_effect="",
        sources=(),
    )
    option = OptionInputs(
        "prp", protocol, PriceRange("prp", "USD", 1000, 2000, "session", ()), Beta(5, 5), None
    )
    bars = option_tornado(option, 24)
    assert [b.parameter for b in bars[:2]] == ["price per session", "initial sessions"]
    price, sessions = bars[0], bars[1]
    assert price.base_outcome == pytest.approx(6000.0)
    assert (price.outcome_at_low, price.outcome_at_high) == pytest.approx((4000.0, 8000.0))
    assert (sessions.outcome_at_low, sessions.outcome_at_high) == pytest.approx((4500.0, 7500.0))
    response = next(b for b in bars if b.parameter == "response probability")
    assert response.width == pytest.approx(0.0)


def test_options_as_psa_result_for_ceac() -> None:
    from regenaid.economics.regen_model import as_psa_result

    cheap = OptionInputs("prp", _protocol(3, 4, None, 12), _price(1000), Beta(2, 8), None)
    dear = OptionInputs(
        "exosome", _protocol(3, 4, None, 12, "exosome"), _price(2000, "exosome"), Beta(8, 2), None
    )
    psa = as_psa_result([simulate_option(cheap, 12, 500), simulate_option(dear, 12, 500)])
    assert psa.strategies == ("prp", "exosome")
    # costs are fixed (3,000 vs 6,000): at WTP 0 PRP always wins; at a very high WTP per
    # responder the option with the higher response wins whenever its draw is higher
    curves = psa.ceac([0.0, 1e9])
    assert curves[0].tolist() == [1.0, 0.0]
    assert curves[1][1] > 0.9
