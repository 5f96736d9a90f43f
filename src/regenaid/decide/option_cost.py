"""The ``cost`` block of each assessed option: price per session, first-year and horizon totals.

First, simple deterministic version (engineer D): totals are sessions over the horizon
(:mod:`regenaid.decide.course`) times the price range per session from the knowledge base;
``expected`` uses the middle of both ranges, ``low``/``high`` pair the low and high ends
(a plain range, not a statistical interval). Engineer P owns this module from here on and may
replace the internals with the economics model, keeping :func:`estimate_costs`' signature and
keys.
"""

from __future__ import annotations

from collections.abc import Sequence

from regenaid.decide.course import sessions_over_horizon
from regenaid.decide.intake import Intake
from regenaid.knowledge.base import KnowledgeBase
from regenaid.knowledge.model import PriceRange, TreatmentId


def _totals(
    price: PriceRange | None, sessions_low: float, sessions_high: float, months: int
) -> dict[str, float]:
    if price is None:
        return {"expected": 0.0, "low": 0.0, "high": 0.0}
    if price.unit == "month":
        low, high = months * price.low, months * price.high
        expected = months * (price.low + price.high) / 2
    else:
        low, high = sessions_low * price.low, sessions_high * price.high
        expected = (sessions_low + sessions_high) / 2 * (price.low + price.high) / 2
    return {"expected": round(expected, 2), "low": round(low, 2), "high": round(high, 2)}


def estimate_costs(
    kb: KnowledgeBase, intake: Intake, treatments: Sequence[TreatmentId]
) -> dict[TreatmentId, dict[str, object]]:
    """Cost of each option over the intake's horizon, in the budget's currency where the
    knowledge base has a price list in it, otherwise in USD."""
    months = intake.horizon_months
    wanted = intake.budget.currency if intake.budget else None
    out: dict[TreatmentId, dict[str, object]] = {}
    for treatment in treatments:
        protocol = kb.protocol(treatment, intake.condition)
        price = kb.prices_for(treatment, wanted)
        currency = price.currency if price else (wanted or "USD")
        horizon = sessions_over_horizon(protocol, months)
        first = sessions_over_horizon(protocol, min(12, months))
        horizon_total = _totals(price, horizon.low, horizon.high, months)
        within: bool | None = None
        if intake.budget is not None and currency == intake.budget.currency:
            within = horizon_total["expected"] <= intake.budget.amount
        out[treatment] = {
            "currency": currency,
            "price_per_session": {
                "low": price.low if price else 0.0,
                "high": price.high if price else 0.0,
                "unit": price.unit if price else "session",
                "sources": list(price.sources) if price else [],
            },
            "horizon_months": months,
            "sessions_over_horizon": {"low": horizon.low, "high": horizon.high},
            "first_year": _totals(price, first.low, first.high, min(12, months)),
            "horizon_total": horizon_total,
            "within_budget": within,
            "probability_within_budget": None,
            "break_even": [],
            "probability_cheapest": None,
            "cost_per_responder": None,
            "assumptions": [
                "Totals are sessions over the horizon times the price range per session; "
                "the middle of both ranges gives the expected figure.",
            ],
        }
    for treatment, block in out.items():
        block["break_even"] = [
            {
                "versus": other,
                "month": None,
                "text": "Not computed: the first cost model does not value benefits in money.",
            }
            for other in out
            if other != treatment
        ]
    return out
