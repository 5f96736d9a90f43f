"""The people whose reports the report tests render (shared by the report test modules)."""

from __future__ import annotations

from typing import Any

PEOPLE: dict[str, dict[str, Any]] = {
    "budget": {
        "concern": "hair",
        "condition": "androgenetic_alopecia",
        "age": 27,
        "sex": "male",
        "severity": "mild",
        "budget": {"amount": 1500, "currency": "USD", "horizon_months": 24},
    },
    "blood_thinners": {
        "concern": "hair",
        "condition": "female_pattern_hair_loss",
        "age": 61,
        "sex": "female",
        "severity": "moderate",
        "health": {"anticoagulant": True},
    },
    "pregnant": {
        "concern": "skin",
        "condition": "acne_scars",
        "age": 31,
        "sex": "female",
        "severity": "moderate",
        "health": {"pregnant_or_breastfeeding": True},
    },
}
