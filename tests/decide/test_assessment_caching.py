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
