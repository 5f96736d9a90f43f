"""assessment_json writes an assessment without building it: the bytes must be those of
assess(...).model_dump_json(), whatever the intake (the API answers with them)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from regenaid.decide import assess, parse_intake
from regenaid.decide.assessment import _ASSESSMENT_PLAN, assessment_json
from regenaid.decide.intake import PRIORITY_NAMES
from regenaid.knowledge import KnowledgeBase, load_knowledge
from regenaid.knowledge.model import CONDITIONS_BY_CONCERN

FLAGS = (
    "anticoagulant",
    "antiplatelet_or_nsaid",
    "pregnant_or_breastfeeding",
    "active_infection_at_site",
    "low_platelets",
    "needle_phobia",
    "keloid_tendency",
)
# currencies with a list, with a published rate, and without either (USD, not compared)
CURRENCIES = ("USD", "GBP", "EUR", "JPY", "KRW", "PKR", "KES", "AED")
COUNTRIES = ("US", "GB", "DE", "FR", "KR", "PK", "JP", "AE", "AU", "BR", "NG", None)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


def _intakes(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        concern = rng.choice(["hair", "skin"])
        data: dict[str, Any] = {
            "concern": concern,
            "condition": rng.choice(CONDITIONS_BY_CONCERN[concern]),
            "age": rng.randint(18, 85),
            "sex": rng.choice(["female", "male", "other"]),
            "severity": rng.choice(["mild", "moderate", "advanced"]),
            "priorities": {p: rng.randint(0, 4) for p in PRIORITY_NAMES if rng.random() < 0.8},
            "health": {f: rng.random() < 0.15 for f in FLAGS},
        }
        country = rng.choice(COUNTRIES)
        if country is not None:
            data["jurisdiction"] = country
        if rng.random() < 0.6:
            data["budget"] = {
                "amount": rng.choice([300, 1000, 2999.99, 8000, 20000, 1_000_000]),
                "currency": rng.choice(CURRENCIES),
                "horizon_months": rng.choice([1, 6, 12, 24, 36, 60]),
            }
        if rng.random() < 0.4:
            data["prior_treatments"] = [
                {"treatment": t, "response": rng.choice(["none", "partial", "good", "unknown"])}
                for t in rng.sample(["prp", "exosome"], rng.randint(1, 2))
            ]
        out.append(data)
    return out


def test_every_field_is_written_by_parts() -> None:
    assert _ASSESSMENT_PLAN is not None  # else every call builds the model (still right)


@pytest.mark.parametrize("seed", range(4))
def test_the_json_is_the_models(kb: KnowledgeBase, seed: int) -> None:
    checked = 0
    for data in _intakes(150, seed):
        try:
            intake = parse_intake(data)
        except ValueError:
            continue  # e.g. a condition of the other concern; the parser says why
        expected = assess(intake, kb).model_dump_json().encode()
        assert assessment_json(intake, kb) == expected
        assert assessment_json(intake, kb) == expected  # and again, from the caches
        checked += 1
    assert checked > 100


def test_the_json_is_the_models_with_a_scale_and_mixed_currencies(kb: KnowledgeBase) -> None:
    base = {"concern": "hair", "condition": "androgenetic_alopecia", "age": 40, "sex": "male"}
    for extra in (
        {"scale": {"name": "norwood", "grade": "IV"}},
        {"severity": "mild", "scale": {"name": "norwood", "grade": "VI"}},
        {"severity": "moderate", "budget": {"amount": 5000, "currency": "KRW"}},
        {"severity": "moderate", "budget": {"amount": 100_000, "currency": "KES"}},
        {
            "severity": "moderate",
            "jurisdiction": "KR",
            "budget": {"amount": 9e6, "currency": "KRW"},
        },
    ):
        try:
            intake = parse_intake({**base, **extra})
        except ValueError:
            continue
        assert assessment_json(intake, kb) == assess(intake, kb).model_dump_json().encode()
