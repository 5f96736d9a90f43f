"""Form answers the web tests post: a man of 40 with mild pattern hair loss and a budget."""

from __future__ import annotations

BASE = {
    "concern": "hair",
    "condition": "androgenetic_alopecia",
    "age": "40",
    "sex": "male",
    "severity": "mild",
    "budget.amount": "3000",
    "budget.currency": "USD",
    "budget.horizon_months": "24",
}
