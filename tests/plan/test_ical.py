"""The iCalendar export parsed back with ``icalendar``: one VEVENT per planned session (plus
the consultation before a clinic course: tests/plan/test_visits_and_refills.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from icalendar import Calendar

from regenaid.knowledge.model import Protocol, Range
from regenaid.plan import build_plan, to_ical

PRP = Protocol(
    treatment="prp",
    condition="androgenetic_alopecia",
    sessions=Range(3, 4),
    interval_weeks=Range(4, 6),
    maintenance_interval_weeks=Range(12, 26),
    time_to_results_weeks=Range(12, 26),
    duration_of_effect="",
    sources=(),
)
START = date(2026, 3, 2)


def _events(data: bytes) -> tuple[Calendar, list[object]]:
    """The calendar and its session events (not the consultation or refill reminders)."""
    cal = Calendar.from_ical(data)
    return cal, [c for c in cal.walk() if c.name == "VEVENT" and "-session-" in str(c["UID"])]


def test_calendar_round_trip() -> None:
    plan = build_plan(PRP, START, 24, avoid_weekdays=("saturday", "sunday"))
    data = to_ical(plan, stamp=datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    cal, events = _events(data)
    assert str(cal["VERSION"]) == "2.0"
    assert "regenaid" in str(cal["PRODID"])
    assert len(events) == len(plan.sessions) > 3
    every = [c for c in cal.walk() if c.name == "VEVENT"]
    assert len(every) == len(plan.sessions)  # CONTRACT §6: one VEVENT per planned session
    starts = [e.decoded("DTSTART") for e in events]  # type: ignore[attr-defined]
    assert starts == [s.planned for s in plan.sessions]
    assert all(type(d) is date and d >= START for d in starts)
    assert all(d.weekday() < 5 for d in starts)
    # initial course: each gap inside the protocol's 4..6 weeks
    for a, b in pairwise(starts[:3]):
        assert timedelta(weeks=4) <= b - a <= timedelta(weeks=6)
    uids = [str(e["UID"]) for e in events]  # type: ignore[index]
    assert len(set(uids)) == len(uids)
    for e, s in zip(events, plan.sessions, strict=True):
        assert e.decoded("DTSTAMP") == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)  # type: ignore[attr-defined]
        assert s.earliest.isoformat() in str(e["DESCRIPTION"])  # type: ignore[index]
        assert s.latest.isoformat() in str(e["DESCRIPTION"])  # type: ignore[index]
        assert "PRP" in str(e["SUMMARY"])  # type: ignore[index]
    todos = [c for c in cal.walk() if c.name == "VTODO"]
    assert len(todos) == 2  # the consultation before the first session, and the follow-up
    consultation, follow_up = todos
    assert plan.consultation is not None
    assert consultation.decoded("DTSTART") == plan.consultation.planned < starts[0]
    assert follow_up.decoded("DUE") == plan.follow_up


def test_same_plan_same_uids() -> None:
    plan = build_plan(PRP, START, 12)
    first, second = to_ical(plan), to_ical(plan)
    uid = [str(e["UID"]) for e in _events(first)[1]]  # type: ignore[index]
    assert uid == [str(e["UID"]) for e in _events(second)[1]]  # type: ignore[index]
