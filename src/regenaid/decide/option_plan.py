"""The ``plan`` block of an assessed option: a protocol summarised for the person.

Owner: engineer P. Keys (INTERFACES): ``sessions``, ``interval_weeks``,
``maintenance_interval_weeks``, ``time_to_results_weeks``, ``duration_of_effect``, ``sources``,
``mode`` and ``maintenance_known`` (unknown stays unknown: see :class:`Protocol`);
``note``: where the schedule comes from, in the knowledge base's words (what was studied, what is
borrowed from another condition or treatment, what was not verified), shown beside the sources
so that a borrowed schedule is never read as one its sources tested (None: nothing to add);
plus ``timeline``: when the sessions of the first ``TIMELINE_MONTHS`` months fall, in weeks
from the first session, as :func:`regenaid.plan.build_plan` schedules them (the dated plan
itself needs a start date: ``regenaid plan``).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from regenaid.knowledge.model import Protocol, Range
from regenaid.plan import build_plan

TIMELINE_MONTHS = 12
_NOMINAL_START = date(2001, 1, 1)  # any date: only week offsets are reported


def _range(value: Range | None) -> dict[str, float] | None:
    return None if value is None else {"low": value.low, "high": value.high}


def _weeks(day: date) -> float:
    return round((day - _NOMINAL_START).days / 7, 1)


# Counted, not sized: one entry per protocol of the knowledge base, a few numbers each.
@lru_cache(maxsize=512)
def _schedule(
    protocol: Protocol,
) -> tuple[tuple[float, ...], tuple[float, ...], float, tuple[str, ...]]:
    # the course itself: the consultation before it and refill reminders belong to the dated plan
    plan = build_plan(protocol, _NOMINAL_START, TIMELINE_MONTHS, consultation=False, refills=False)
    return (
        tuple(_weeks(s.planned) for s in plan.initial_sessions),
        tuple(_weeks(s.planned) for s in plan.maintenance_sessions),
        _weeks(plan.follow_up),
        plan.notes,
    )


def _timeline(protocol: Protocol) -> dict[str, object]:
    initial, maintenance, follow_up, notes = _schedule(protocol)
    return {
        "months": TIMELINE_MONTHS,
        "initial_weeks": list(initial),
        "maintenance_weeks": list(maintenance),
        "sessions_in_first_year": len(initial) + len(maintenance),
        "follow_up_week": follow_up,
        "notes": list(notes),
    }


def plan_summary(protocol: Protocol | None) -> dict[str, object]:
    """Sessions, interval, maintenance, time to visible results and duration, with sources.

    ``protocol`` is None for an option without a protocol (only ``no_treatment`` may lack one):
    then every count is zero and nothing is scheduled.
    """
    if protocol is None:
        return {
            "sessions": {"low": 0, "high": 0},
            "interval_weeks": {"low": 0, "high": 0},
            "maintenance_interval_weeks": None,
            "time_to_results_weeks": None,
            "duration_of_effect": "No new treatment: the condition follows its natural course.",
            "sources": [],
            "note": None,
            "timeline": None,
            "mode": None,
            "maintenance_known": True,
        }
    return {
        "sessions": _range(protocol.sessions),
        "interval_weeks": _range(protocol.interval_weeks),
        "maintenance_interval_weeks": _range(protocol.maintenance_interval_weeks),
        "time_to_results_weeks": _range(protocol.time_to_results_weeks),
        "duration_of_effect": protocol.duration_of_effect,
        "sources": list(protocol.sources),
        "note": protocol.note,
        "timeline": _timeline(protocol),
        # "daily_home": used daily at home, sessions are review visits; "clinic_course": a
        # course of clinic sessions. maintenance_known False: whether top-ups are needed, and
        # how often, is not known (maintenance_interval_weeks is then null).
        # time_to_results_weeks null: no study of this option for this condition measured it.
        "mode": protocol.mode,
        "maintenance_known": protocol.maintenance_known,
    }
