"""Costs in the person's currency (issue 9): own price lists where published, else USD lists
converted at a dated, cited rate; budgets compared in that currency; one currency per result.

The rates in the arithmetic are typed from the pages read (ECB euro reference rates of
13 March 2026: 1 EUR = 1,1476 USD = 0,86503 GBP = 1711,87 KRW; State Bank of Pakistan,
2 December 2024: 1 USD = 277.9735 PKR), not taken from the code or the data file.
"""

from __future__ import annotations

from typing import Any, cast

import pytest

from regenaid.decide import Assessment, assess, parse_intake
from regenaid.decide.option_cost import estimate_costs
from regenaid.knowledge import KnowledgeBase, load_knowledge
from regenaid.reports.assessment_view import build_view

USD_PER_EUR = 1.1476
GBP_PER_EUR = 0.86503
KRW_PER_EUR = 1711.87
PKR_PER_USD = 277.9735
GBP_SENTENCE = (
    "Converted from US dollars at 1 USD = 0.7538 GBP, the cross rate of the European Central "
    "Bank's published rates of 13 Mar 2026 (1 EUR = 1.1476 USD = 0.86503 GBP)."
)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


def _intake(**extra: Any) -> Any:
    base: dict[str, Any] = {
        "concern": "hair",
        "condition": "androgenetic_alopecia",
        "age": 40,
        "sex": "male",
        "severity": "moderate",
    }
    return parse_intake({**base, **extra})


def _notice(a: Assessment, code: str) -> str | None:
    return next((n.text for n in a.notices if n.code == code), None)


def test_a_gbp_person_gets_every_option_in_gbp(kb: KnowledgeBase) -> None:
    intake = _intake(budget={"amount": 5000, "currency": "GBP"}, jurisdiction="GB")
    a = assess(intake, kb)
    for option in a.options:
        assert option.cost["currency"] == "GBP", option.treatment
        assert option.cost["probability_within_budget"] is not None, option.treatment
    costs = {o.treatment: o.cost for o in a.options}
    # the UK list is used for PRP as published; exosomes (no UK hair price) are converted
    assert costs["prp"]["exchange_rate"] is None
    assert cast(dict[str, Any], costs["prp"]["price_per_session"])["low"] == 300
    rate = cast(dict[str, Any], costs["exosome"]["exchange_rate"])
    assert rate["from"] == "USD" and rate["to"] == "GBP"
    assert rate["text"] == GBP_SENTENCE
    assert rate["sources"] == ["ecb-eurofxref-2026-03-13"]
    assert GBP_SENTENCE in cast(list[str], costs["exosome"]["assumptions"])
    # the page says it once, near the top, with the rate's source
    assert a.notices[1].code == "prices_converted" and a.notices[1].text == GBP_SENTENCE
    assert a.notices[1].sources == ["ecb-eurofxref-2026-03-13"]
    assert _notice(a, "prices_in_usd") is None


def test_conversion_arithmetic_matches_the_published_rates(kb: KnowledgeBase) -> None:
    costs = estimate_costs(
        kb, _intake(budget={"amount": 5000, "currency": "GBP"}), ("exosome", "conventional")
    )
    usd = kb.prices_for("exosome", "USD", "androgenetic_alopecia")
    assert usd is not None and (usd.low, usd.high) == (1500, 10000)
    per = cast(dict[str, Any], costs["exosome"]["price_per_session"])
    assert per["low"] == pytest.approx(1500 * GBP_PER_EUR / USD_PER_EUR)  # about GBP 1,131
    assert per["high"] == pytest.approx(10000 * GBP_PER_EUR / USD_PER_EUR)
    # the whole cost model runs in pounds: same draws, totals scaled by the same rate
    in_usd = estimate_costs(
        kb, _intake(budget={"amount": 5000, "currency": "USD"}), ("exosome", "conventional")
    )
    for t in ("exosome", "conventional"):
        gbp_total = cast(dict[str, float], costs[t]["horizon_total"])["expected"]
        usd_total = cast(dict[str, float], in_usd[t]["horizon_total"])["expected"]
        assert gbp_total == pytest.approx(usd_total * GBP_PER_EUR / USD_PER_EUR, rel=1e-4)


def test_a_budget_in_euros_is_compared(kb: KnowledgeBase) -> None:
    a = assess(_intake(budget={"amount": 4000, "currency": "EUR"}, jurisdiction="DE"), kb)
    for option in a.options:
        assert option.cost["currency"] == "EUR"
        share = option.cost["probability_within_budget"]
        assert isinstance(share, float) and 0.0 <= share <= 1.0
        assert isinstance(option.cost["within_budget"], bool)
    text = _notice(a, "prices_converted")
    assert text is not None and "1 USD = 0.8714 EUR" in text and "13 Mar 2026" in text
    assert pytest.approx(0.8714, abs=5e-5) == 1 / USD_PER_EUR
    # the budget line of every option says whether it fits, never "No budget given"
    for view in build_view(a).options:
        assert view.lines["budget"] != "No budget given", view.id
    # the ranking uses the budget too (cost fit is judged against it)
    assert a.recommended is not None


def test_a_korean_person_gets_the_korean_exosome_list(kb: KnowledgeBase) -> None:
    skin = {
        "concern": "skin",
        "condition": "skin_rejuvenation",
        "severity": "mild",
        "jurisdiction": "KR",
    }
    budgeted = estimate_costs(
        kb,
        _intake(**skin, budget={"amount": 3_000_000, "currency": "KRW", "horizon_months": 12}),
        ("exosome", "prp", "combination"),
    )
    # without a budget the country's currency is used all the same
    unbudgeted = estimate_costs(kb, _intake(**skin), ("exosome", "prp", "combination"))
    for costs in (budgeted, unbudgeted):
        exosome = costs["exosome"]
        assert exosome["currency"] == "KRW" and exosome["exchange_rate"] is None
        per = cast(dict[str, Any], exosome["price_per_session"])
        assert (per["low"], per["high"]) == (200_000, 500_000)  # the newspaper's prices
        for t in ("prp", "combination"):  # no Korean list: USD converted to won
            assert costs[t]["currency"] == "KRW"
            rate = cast(dict[str, Any], costs[t]["exchange_rate"])
            assert rate["rate"] == pytest.approx(KRW_PER_EUR / USD_PER_EUR, rel=1e-6)
            assert "1 USD = 1,491.7 KRW" in rate["text"]
    assert budgeted["prp"]["probability_within_budget"] is not None
    assert unbudgeted["prp"]["probability_within_budget"] is None


def test_a_pakistani_budget_uses_the_state_bank_rate(kb: KnowledgeBase) -> None:
    costs = estimate_costs(
        kb, _intake(budget={"amount": 500_000, "currency": "PKR"}), ("prp", "conventional")
    )
    per = cast(dict[str, Any], costs["prp"]["price_per_session"])
    assert per["low"] == pytest.approx(400 * PKR_PER_USD)
    rate = cast(dict[str, Any], costs["prp"]["exchange_rate"])
    assert "State Bank of Pakistan" in rate["text"] and "2 Dec 2024" in rate["text"]
    assert costs["prp"]["probability_within_budget"] is not None


def test_mixed_lists_end_in_one_currency_with_break_even(kb: KnowledgeBase) -> None:
    """UK list for PRP, converted US list for exosomes: comparable, so break-even works."""
    a = assess(_intake(budget={"amount": 5000, "currency": "GBP"}), kb)
    costs = {o.treatment: o.cost for o in a.options}
    assert {c["currency"] for c in costs.values()} == {"GBP"}
    versus = {
        cast(dict[str, Any], e)["versus"] for e in cast(list[Any], costs["exosome"]["break_even"])
    }
    assert "prp" in versus
    shares = [c["probability_cheapest"] for c in costs.values() if c["probability_cheapest"]]
    assert sum(cast(list[float], shares)) == pytest.approx(1.0, abs=0.01)


def test_a_currency_without_list_or_rate_stays_in_usd_and_says_so(kb: KnowledgeBase) -> None:
    a = assess(_intake(budget={"amount": 100_000, "currency": "KES"}), kb)
    assert _notice(a, "prices_in_usd") == (
        "We have no price list or exchange rate for KES: costs are shown in USD and are not "
        "compared with your budget."
    )
    for option in a.options:
        assert option.cost["currency"] == "USD"
        assert option.cost["probability_within_budget"] is None
    # the UAE dirham has no rate we could verify; a person there without a budget is told too
    uae = assess(_intake(jurisdiction="AE"), kb)
    assert _notice(uae, "prices_in_usd") == (
        "We have no price list or exchange rate for AED: costs are shown in USD."
    )
    # a country we do not map to a currency: USD, nothing to explain
    other = assess(_intake(jurisdiction="NG"), kb)
    assert _notice(other, "prices_in_usd") is None and _notice(other, "prices_converted") is None
