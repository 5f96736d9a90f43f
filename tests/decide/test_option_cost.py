"""The assessment's ``cost`` block from the economics model (engineer P), on the tiny test kb."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from tiny_kb import tiny_kb

from regenaid.decide import parse_intake
from regenaid.decide.option_cost import cost_blocks, estimate_costs
from regenaid.knowledge import load_knowledge
from regenaid.knowledge.model import TreatmentId

KEYS = {
    "currency",
    "price_per_session",
    "horizon_months",
    "first_year",
    "horizon_total",
    "within_budget",
    "probability_within_budget",
    "break_even",
    "probability_cheapest",
    "cost_per_responder",
    "assumptions",
}
ALL = ("prp", "exosome", "combination", "conventional", "no_treatment")


def _intake(**extra: Any) -> Any:
    base = {
        "concern": "hair",
        "condition": "androgenetic_alopecia",
        "age": 40,
        "sex": "male",
        "severity": "moderate",
    }
    return parse_intake({**base, **extra})


def test_keys_intervals_and_probabilities() -> None:
    costs = estimate_costs(tiny_kb(), _intake(), ALL)
    assert set(costs) == set(ALL)
    shares = 0.0
    for treatment, block in costs.items():
        assert set(block) >= KEYS, treatment
        assert block["horizon_months"] == 24
        for key in ("first_year", "horizon_total"):
            b = block[key]
            assert b["low"] <= b["expected"] <= b["high"], (treatment, key)
        assert block["first_year"]["expected"] <= block["horizon_total"]["expected"]
        assert block["within_budget"] is None and block["probability_within_budget"] is None
        assert block["assumptions"]
        if block["probability_cheapest"] is not None:
            shares += block["probability_cheapest"]
    assert shares == pytest.approx(1.0, abs=0.002)
    assert costs["no_treatment"]["horizon_total"]["expected"] == 0.0
    assert costs["no_treatment"]["cost_per_responder"] is None
    assert costs["prp"]["price_per_session"]["low"] == 500


def test_break_even_entries_name_the_other_options() -> None:
    costs = estimate_costs(tiny_kb(), _intake(), ALL)
    versus = {e["versus"] for e in costs["exosome"]["break_even"]}
    assert versus == {"prp", "combination", "conventional"}
    for entry in costs["exosome"]["break_even"]:
        assert entry["text"] and (entry["month"] is None or 1 <= entry["month"] <= 24)


def test_budget_in_a_listed_currency() -> None:
    costs = estimate_costs(
        tiny_kb(), _intake(budget={"amount": 4000, "currency": "GBP", "horizon_months": 12}), ALL
    )
    prp = costs["prp"]
    assert prp["currency"] == "GBP" and prp["horizon_months"] == 12
    assert prp["within_budget"] == (prp["horizon_total"]["expected"] <= 4000)
    assert 0.0 <= prp["probability_within_budget"] <= 1.0
    assert costs["conventional"]["within_budget"] is True


def test_budget_in_a_currency_without_list_or_rate_falls_back_to_usd_and_says_so() -> None:
    # the tiny kb has no exchange rates: a EUR budget cannot be converted or compared
    costs = estimate_costs(
        tiny_kb(), _intake(budget={"amount": 4000, "currency": "EUR", "horizon_months": 12}), ALL
    )
    prp = costs["prp"]
    assert prp["currency"] == "USD" and prp["exchange_rate"] is None
    assert prp["within_budget"] is None and prp["probability_within_budget"] is None
    assert (
        "We have no price list or exchange rate for EUR: costs are shown in USD and are not "
        "compared with your budget."
    ) in prp["assumptions"]


def test_deterministic_and_prior_failure_raises_cost_per_responder() -> None:
    kb = tiny_kb()
    first = estimate_costs(kb, _intake(), ("prp",))
    assert first == estimate_costs(kb, _intake(), ("prp",))
    failed = estimate_costs(
        kb, _intake(prior_treatments=[{"treatment": "prp", "response": "none"}]), ("prp",)
    )
    assert (
        failed["prp"]["cost_per_responder"]["expected"]
        > first["prp"]["cost_per_responder"]["expected"]
    )


def test_plan_summary_keys_and_timeline() -> None:
    from regenaid.decide.option_plan import plan_summary

    protocol = tiny_kb().protocol("prp", "androgenetic_alopecia")
    block = plan_summary(protocol)
    assert protocol is not None
    assert block["sessions"] == {"low": protocol.sessions.low, "high": protocol.sessions.high}
    timeline = block["timeline"]
    assert isinstance(timeline, dict)
    # tiny kb: 3..4 sessions 4..6 weeks apart -> planned at weeks 0, 5, 10 (interval middle)
    assert timeline["initial_weeks"] == [0.0, 5.0, 10.0]
    assert all(w > 10.0 for w in timeline["maintenance_weeks"])
    assert plan_summary(None)["timeline"] is None


def test_shipped_knowledge_base_every_condition() -> None:
    """Every condition and option of the real knowledge base gives ordered, finite intervals."""
    from regenaid.knowledge import load_knowledge

    kb = load_knowledge()
    for condition in kb.conditions.values():
        intake = parse_intake(
            {
                "concern": condition.concern,
                "condition": condition.id,
                "age": 30,
                "sex": "female",
                "severity": "mild",
                "budget": {"amount": 3000, "currency": "GBP", "horizon_months": 18},
            }
        )
        costs = estimate_costs(kb, intake, condition.treatments)
        for treatment, block in costs.items():
            for key in ("first_year", "horizon_total"):
                b = block[key]
                assert 0 <= b["low"] <= b["expected"] <= b["high"] < 1e7, (condition.id, treatment)
            price = kb.prices_for(treatment, "GBP", condition.id)
            assert price is not None
            # a UK list where there is one, else the USD list converted at a published rate:
            # every option in pounds, compared with the budget (issue 9)
            assert block["currency"] == "GBP"
            assert (block["exchange_rate"] is None) == (price.currency == "GBP")
            assert block["within_budget"] is not None


def test_cached_results_are_not_shared_with_callers() -> None:
    kb = tiny_kb()
    first = estimate_costs(kb, _intake(), ("prp",))
    first["prp"]["horizon_total"]["expected"] = -1  # type: ignore[index]
    first["prp"]["assumptions"].append("edited")  # type: ignore[attr-defined]
    again = estimate_costs(kb, _intake(), ("prp",))
    assert again["prp"]["horizon_total"]["expected"] > 0  # type: ignore[index]
    assert "edited" not in again["prp"]["assumptions"]  # type: ignore[operator]


def test_each_person_gets_their_own_budget_comparison() -> None:
    """Blocks are cached per combination, not per person: people with the same answers but
    other budgets share the cached values and still get their own comparison."""
    kb = tiny_kb()

    def budget(amount: int) -> dict[str, Any]:
        return {"amount": amount, "currency": "USD", "horizon_months": 24}

    poor, rich = _intake(budget=budget(100)), _intake(budget=budget(10**7))
    first = cost_blocks(kb, poor, ALL)
    second = cost_blocks(kb, rich, ALL)
    again = cost_blocks(kb, poor, ALL)
    assert first["prp"]["within_budget"] is False
    assert first["prp"]["probability_within_budget"] == 0.0
    assert second["prp"]["within_budget"] is True
    assert second["prp"]["probability_within_budget"] == 1.0
    assert again == first
    # the values are the cache's own (read-only), each block a dict of its own
    assert first["prp"] is not again["prp"]
    assert first["prp"]["horizon_total"] is second["prp"]["horizon_total"]
    assert estimate_costs(kb, poor, ALL) == first  # the same numbers, as fresh copies


def test_what_the_cache_charges_is_close_to_the_measured_size() -> None:
    """The cost model's cache charges runs and prepared blocks by quick estimates (their
    arrays exactly, the rest by constants): within 20% of approximate_size, over every
    condition, two currencies, short and long horizons, with and without an earlier response.
    Prepared blocks are measured with the JSON they keep once an assessment has been written
    (charged when they are stored), and without the parts they share with their runs (the
    runs are charged for those)."""
    from regenaid.caching import approximate_size
    from regenaid.decide.option_cost import (
        _prepare,
        _prepared_size,
        _run_size,
        _simulated,
    )
    from regenaid.knowledge import load_knowledge

    kb = load_knowledge()
    checked = 0
    for condition in kb.conditions.values():
        treatments = tuple(sorted(condition.treatments))
        for currency in ("USD", "JPY"):
            for months in (1, 24, 240):
                for prior in (None, "good"):
                    priors = tuple(prior if t == "prp" else None for t in treatments)
                    args = (kb, condition.id, treatments, currency, months, priors)
                    runs = [run for run, *_ in _simulated(*args, True, False)]
                    for run in runs:
                        assert _run_size(run) == pytest.approx(approximate_size(run), rel=0.2)
                    prepared = _prepare(*args)
                    for item in prepared:  # with the JSON an assessment's first writing adds
                        item.json_parts()
                    shared = [shown for _, _, shown in runs]
                    measured = approximate_size((prepared, shared)) - approximate_size(shared)
                    assert _prepared_size(prepared) == pytest.approx(measured, rel=0.2)
                    checked += 1
    assert checked >= 40


def test_what_the_cache_charges_for_comparisons_is_close_to_the_measured_size() -> None:
    """The cached comparison of a combination's priced options (probabilities of being the
    cheapest, break-even rows) is charged by constants: within 20% of approximate_size, for
    every condition with two priced options or more, short and long horizons."""
    from regenaid.caching import approximate_size
    from regenaid.decide.option_cost import _compare, _comparison_size, _simulated
    from regenaid.knowledge import load_knowledge

    kb = load_knowledge()
    checked = 0
    for condition in kb.conditions.values():
        treatments = tuple(sorted(condition.treatments))
        for months in (1, 24, 240):
            args = (kb, condition.id, treatments, "USD", months, (None,) * len(treatments))
            runs = [
                run[0]
                for run, inputs, *_ in _simulated(*args, True, False)
                if run[0].treatment != "no_treatment" and inputs.price is not None
            ]
            if len(runs) < 2:
                continue
            compared = _compare(runs, "USD", months)
            assert len(compared[1]) == len(runs) * (len(runs) - 1)
            assert _comparison_size(compared) == pytest.approx(approximate_size(compared), rel=0.2)
            checked += 1
    assert checked >= 10


def test_a_cached_comparison_is_the_one_of_its_runs() -> None:
    """The comparison _prepare stores (made from the runs at hand) is what _comparison gives
    for the same peers' inputs when it works it out itself (their cached runs)."""
    from regenaid.decide.option_cost import _compared, _comparison, _simulated
    from regenaid.knowledge import load_knowledge

    kb = load_knowledge()
    treatments: tuple[TreatmentId, ...] = ("prp", "exosome", "combination", "no_treatment")
    args = (kb, "androgenetic_alopecia", treatments, "USD", 36, (None,) * 4)
    peers = [
        (run[0], inputs)
        for run, inputs, *_ in _simulated(*args, True, False)
        if run[0].treatment != "no_treatment" and inputs.price is not None
    ]
    assert len(peers) >= 2
    _comparison.cache_clear()
    stored = _compared(peers, "USD", 36)
    _comparison.cache_clear()
    worked_out = _comparison(tuple(inputs for _, inputs in peers), "USD", 36)
    assert worked_out == stored
    assert stored[1][0, 1]["versus"] == peers[1][0].treatment


def test_curves_are_rounded_as_round_does() -> None:
    """_rounded rounds a curve at once: the floats round(v, 2) gives, ties and near-ties
    included (where it asks round itself)."""
    import math

    from regenaid.decide.option_cost import _rounded

    rng = np.random.default_rng(5)
    near_ties = np.array([(k + 0.5) / 100 for k in range(-3000, 3000)])
    curves = [
        rng.uniform(0, 1e5, 20_000),
        rng.exponential(3000.0, 20_000),
        rng.uniform(-10, 10, 20_000),
        near_ties,
        np.nextafter(near_ties, np.inf),
        np.nextafter(near_ties, -np.inf),
        np.round(rng.uniform(0, 1e4, 20_000), 3),
        np.array([0.0, -0.0, 0.125, 0.375, 2.675, 1.005, 1e20, 1e300, 5e-324, math.inf, -math.inf]),
        np.array([math.nan, 1.0]),
        np.empty(0),
    ]
    for values in curves:
        got = _rounded(values)
        expected = [round(v, 2) for v in values.tolist()]
        assert len(got) == len(expected)
        for a, b in zip(got, expected, strict=True):
            assert type(a) is float
            assert (math.isnan(a) and math.isnan(b)) or (
                a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
            )


def test_cost_block_json_is_what_pydantic_writes() -> None:
    """cost_block_json reuses the cached block's JSON; the bytes are those pydantic writes for
    the block (as an assessment's cost), also once a block was changed (then written whole)."""
    from pydantic import TypeAdapter

    from regenaid.decide.option_cost import CostBlock, cost_block_json, cost_blocks

    written = TypeAdapter(dict[str, object])
    kb = load_knowledge()
    checked = 0
    for condition in kb.conditions.values():
        treatments = sorted(condition.treatments)
        for budget in (None, (3000, "USD", 24), (20000, "JPY", 12), (800, "GBP", 36)):
            data: dict[str, Any] = {
                "concern": condition.concern,
                "condition": condition.id,
                "age": 40,
                "sex": "female",
                "severity": "moderate",
                "jurisdiction": "GB",
            }
            if budget is not None:
                amount, currency, months = budget
                data["budget"] = {
                    "amount": amount,
                    "currency": currency,
                    "horizon_months": months,
                }
            for block in cost_blocks(kb, parse_intake(data), treatments).values():
                assert isinstance(block, CostBlock)
                assert cost_block_json(block) == written.dump_json(dict(block))
                changed = CostBlock(block.prepared)
                changed["currency"] = "XXX"  # not the cached value any more
                assert cost_block_json(changed) == written.dump_json(dict(changed))
                extra = CostBlock(block.prepared)
                extra["note"] = "added"
                assert cost_block_json(extra) == written.dump_json(dict(extra))
                checked += 1
    assert checked > 50
