"""How many sessions a protocol takes over a planning horizon (initial course + maintenance).

Used by ranking (``fewer_sessions``) and by the first cost model. Counting rule:
the initial course is ``sessions`` visits ``interval_weeks`` apart; after the last initial
visit, a maintenance visit falls every ``maintenance_interval_weeks`` until the horizon ends.
Only visits inside the horizon count. The low count pairs the fewest initial sessions with the
longest maintenance interval; the high count the most sessions with the shortest interval.
"""

from __future__ import annotations

import math

from regenaid.knowledge.model import Protocol, Range

WEEKS_PER_MONTH = 52.1775 / 12  # mean Gregorian year of 365.2425 days


def horizon_weeks(months: int) -> float:
    """``months`` in weeks."""
    return months * WEEKS_PER_MONTH


def _visits(initial: float, interval: float, maintenance: float | None, weeks: float) -> int:
    if initial <= 0:
        return 0
    count = int(initial)
    if interval > 0:
        count = min(count, math.floor(weeks / interval) + 1)
    last = (count - 1) * interval
    if maintenance is not None and maintenance > 0 and weeks > last:
        count += math.floor((weeks - last) / maintenance)
    return count


def sessions_over_horizon(protocol: Protocol | None, months: int) -> Range:
    """Clinic sessions (initial + maintenance) within ``months``; 0..0 without a protocol."""
    if protocol is None:
        return Range(0, 0)
    weeks = horizon_weeks(months)
    maint = protocol.maintenance_interval_weeks
    low = _visits(
        protocol.sessions.low,
        protocol.interval_weeks.high,
        maint.high if maint else None,
        weeks,
    )
    high = _visits(
        protocol.sessions.high,
        protocol.interval_weeks.low,
        maint.low if maint else None,
        weeks,
    )
    return Range(min(low, high), max(low, high))
