"""Dated treatment plans from protocols, and their iCalendar export."""

from regenaid.plan.ical import to_ical
from regenaid.plan.schedule import (
    PlannedRefill,
    PlannedSession,
    TreatmentPlan,
    add_months,
    build_plan,
    needs_consultation,
    parse_weekday,
)

__all__ = [
    "PlannedRefill",
    "PlannedSession",
    "TreatmentPlan",
    "add_months",
    "build_plan",
    "needs_consultation",
    "parse_weekday",
    "to_ical",
]
