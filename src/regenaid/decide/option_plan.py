"""The ``plan`` block of an assessed option: a protocol summarised for the person.

First, simple version (engineer D); engineer P owns this module from here on and may replace
the internals, keeping :func:`plan_summary`'s signature and keys.
"""

from __future__ import annotations

from regenaid.knowledge.model import Protocol, Range


def _range(value: Range | None) -> dict[str, float] | None:
    return None if value is None else {"low": value.low, "high": value.high}


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
        }
    return {
        "sessions": _range(protocol.sessions),
        "interval_weeks": _range(protocol.interval_weeks),
        "maintenance_interval_weeks": _range(protocol.maintenance_interval_weeks),
        "time_to_results_weeks": _range(protocol.time_to_results_weeks),
        "duration_of_effect": protocol.duration_of_effect,
        "sources": list(protocol.sources),
    }
