"""Caches in assess() never change an answer."""

from __future__ import annotations

import pytest

from regenaid.decide import assess, parse_intake
from regenaid.decide.assessment import _regulatory_key
from regenaid.decide.codes import COUNTRY_CODES
from regenaid.decide.option_cost import clear_cost_model_cache
from regenaid.knowledge import load_knowledge

KB = load_knowledge()


@pytest.mark.parametrize("jurisdiction", [None, *sorted(COUNTRY_CODES)])
def test_regulatory_key_gives_the_same_status_as_the_country(jurisdiction: str | None) -> None:
    key = _regulatory_key(KB, jurisdiction)
    for treatment in KB.treatments:
        for condition in (None, *KB.conditions):
            assert KB.regulatory_status(treatment, jurisdiction, condition) == (
                KB.regulatory_status(treatment, key, condition)
            )


@pytest.mark.parametrize("jurisdiction", ["US", "FR", "DE", "GB", "NG", "PK"])
def test_assessment_regulatory_matches_kb(jurisdiction: str) -> None:
    intake = parse_intake(
        {
            "concern": "hair",
            "condition": "androgenetic_alopecia",
            "age": 40,
            "sex": "male",
            "severity": "mild",
            "jurisdiction": jurisdiction,
        }
    )
    for option in assess(intake, KB).options:
        status = KB.regulatory_status(option.treatment, jurisdiction, "androgenetic_alopecia")
        assert (option.regulatory.jurisdiction, option.regulatory.status) == (
            status.jurisdiction,
            status.status,
        )
        assert option.regulatory.text == status.text


def test_cost_cache_does_not_change_the_answer() -> None:
    data = {
        "concern": "skin",
        "condition": "acne_scars",
        "age": 30,
        "sex": "female",
        "severity": "moderate",
        "budget": {"amount": 2500, "currency": "USD", "horizon_months": 18},
        "prior_treatments": [{"treatment": "prp", "response": "partial"}],
    }
    warm = assess(parse_intake(data), KB).model_dump_json()
    clear_cost_model_cache()
    cold = assess(parse_intake(data), KB).model_dump_json()
    assert warm == cold
    # the cost blocks depend on the concern, condition, earlier treatments, budget and
    # jurisdiction only: intakes that differ elsewhere get the same blocks (both computed cold)
    changed = {**data, "age": 70, "sex": "male", "severity": "advanced", "jurisdiction": "GB"}
    changed["health"] = {"needle_phobia": True}
    changed["priorities"] = {"cost": 4, "speed": 0}
    clear_cost_model_cache()
    first = [o.cost for o in assess(parse_intake(data), KB).options]
    clear_cost_model_cache()
    second = [o.cost for o in assess(parse_intake(changed), KB).options]
    assert first == second


VARIED = [
    {
        "concern": "hair",
        "condition": "androgenetic_alopecia",
        "age": 40,
        "sex": "male",
        "severity": "mild",
    },
    {
        "concern": "hair",
        "condition": "androgenetic_alopecia",
        "age": 52,
        "sex": "female",
        "severity": "advanced",
        "jurisdiction": "GB",
        "budget": {"amount": 4000, "currency": "GBP", "horizon_months": 36},
        "prior_treatments": [{"treatment": "prp", "response": "none"}],
    },
    {
        "concern": "skin",
        "condition": "acne_scars",
        "age": 30,
        "sex": "female",
        "severity": "moderate",
        "jurisdiction": "JP",
        "budget": {"amount": 300000, "currency": "JPY", "horizon_months": 240},
    },
    {
        "concern": "skin",
        "condition": "acne_scars",
        "age": 33,
        "sex": "male",
        "severity": "mild",
        "jurisdiction": "PK",
        "budget": {"amount": 900, "currency": "EUR", "horizon_months": 1},
    },
]


@pytest.mark.parametrize("budget", [0, 200_000])
def test_answers_do_not_depend_on_the_cache_budget(budget: int) -> None:
    """With the cost model's cache off (0 bytes) or too small for one assessment's results
    (evicting all the time), every assessment is the same as with a roomy cache."""
    from regenaid.caching import SHARED

    roomy = [assess(parse_intake(d), KB).model_dump_json() for d in VARIED]
    before = SHARED.max_bytes
    try:
        SHARED.resize(budget)
        for _ in range(2):
            assert [assess(parse_intake(d), KB).model_dump_json() for d in VARIED] == roomy
        assert SHARED.info().bytes <= budget
    finally:
        SHARED.resize(before)


def test_people_with_and_without_a_budget_share_the_cost_model_where_it_says_the_same() -> None:
    from regenaid.decide.option_cost import _prepare

    base = {
        "concern": "hair",
        "condition": "androgenetic_alopecia",
        "age": 40,
        "sex": "male",
        "severity": "mild",
        "jurisdiction": "US",
    }
    budgeted = {**base, "budget": {"amount": 3000, "currency": "USD", "horizon_months": 24}}
    clear_cost_model_cache()
    with_budget = assess(parse_intake(budgeted), KB)
    misses = _prepare.cache_info().misses
    without = assess(parse_intake(base), KB)
    assert parse_intake(base).horizon_months == 24
    assert _prepare.cache_info().misses == misses  # the same prepared blocks
    for a, b in zip(with_budget.options, without.options, strict=True):
        shown_a = {k: v for k, v in a.cost.items() if "budget" not in k}
        shown_b = {k: v for k, v in b.cost.items() if "budget" not in k}
        assert shown_a == shown_b
    # computed cold, the unbudgeted answer is the same
    clear_cost_model_cache()
    assert assess(parse_intake(base), KB).model_dump_json() == without.model_dump_json()


def test_a_budget_in_a_currency_without_a_rate_is_still_said_not_to_be_compared() -> None:
    # where a price cannot be converted the cost notes differ with and without a budget, so
    # those people do not share the prepared blocks (AED: no list and no rate)
    data = {
        "concern": "hair",
        "condition": "androgenetic_alopecia",
        "age": 40,
        "sex": "male",
        "severity": "mild",
        "jurisdiction": "AE",
    }
    budgeted = {**data, "budget": {"amount": 3000, "currency": "AED", "horizon_months": 24}}
    for first, second, said in ((data, budgeted, True), (budgeted, data, False)):
        clear_cost_model_cache()
        assess(parse_intake(first), KB)
        notes = [n for o in assess(parse_intake(second), KB).options for n in o.cost["assumptions"]]
        no_rate = [n for n in notes if "no price list or exchange rate for AED" in n]
        assert no_rate
        assert all(("not compared with your budget" in n) == said for n in no_rate)
