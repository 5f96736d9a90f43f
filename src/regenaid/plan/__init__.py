"""Dated treatment plans from protocols, and their iCalendar export."""

from regenaid.plan.ical import to_ical
from regenaid.plan.schedule import (
    PlannedSession,
    TreatmentPlan,
    add_months,
    build_plan,
    parse_weekday,
)

__all__ = [
    "PlannedSession",
    "TreatmentPlan",
    "add_months",
    "build_plan",
    "parse_weekday",
    "to_ical",
]
