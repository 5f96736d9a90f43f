"""Dated plans: intervals, windows, avoided days, horizon, results window and follow-up.

The course arithmetic is checked without the consultation that comes before a clinic course
(``consultation=False``: the first session is then on the start date); the consultation and
the refill reminders are checked in test_visits_and_refills.py."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regenaid.errors import InvalidInputError
from regenaid.knowledge.model import Protocol, Range
from regenaid.plan import add_months, build_plan

PRP = Protocol(
    treatment="prp",
    condition="androgenetic_alopecia",
    sessions=Range(3, 4),
    interval_weeks=Range(4, 6),
    maintenance_interval_weeks=Range(12, 26),
    time_to_results_weeks=Range(12, 26),
    duration_of_effect="months; maintenance needed",
    sources=("gupta-prp-ma",),
)
SINGLE = Protocol(
    treatment="exosome",
    condition="acne_scars",
    sessions=Range(1, 1),
    interval_weeks=Range(0, 0),
    maintenance_interval_weeks=None,
    time_to_results_weeks=Range(4, 12),
    duration_of_effect="unknown",
    sources=(),
)
START = date(2026, 1, 5)  # a Monday


def test_initial_course_follows_the_interval_middle() -> None:
    plan = build_plan(PRP, START, 12, consultation=False)
    initial = plan.initial_sessions
    assert [s.planned for s in initial] == [START, START + timedelta(35), START + timedelta(70)]
    for previous, session in pairwise(initial):
        assert session.earliest == previous.planned + timedelta(weeks=4)
        assert session.latest == previous.planned + timedelta(weeks=6)
        assert session.earliest <= session.planned <= session.latest
    assert any("up to 1 more" in note for note in plan.notes)


def test_maintenance_until_the_horizon() -> None:
    plan = build_plan(PRP, START, 24, consultation=False)
    maintenance = plan.maintenance_sessions
    # 19 weeks (133 days) apart after the last initial session on day 70, up to 2028-01-04
    # (day 729): days 203, 336, 469, 602; day 735 is past the horizon.
    assert [s.planned for s in maintenance] == [
        START + timedelta(days=70 + 133 * k) for k in (1, 2, 3, 4)
    ]
    assert all(s.planned <= plan.end for s in plan.sessions)
    assert plan.end == date(2028, 1, 4)
    assert [s.number for s in plan.sessions] == list(range(1, 8))


def test_results_window_and_follow_up() -> None:
    plan = build_plan(PRP, START, 24, consultation=False)
    assert plan.results_earliest == START + timedelta(weeks=12)
    assert plan.results_latest == START + timedelta(weeks=26)
    assert plan.follow_up == plan.results_latest


def test_avoided_weekdays_move_sessions_within_their_window() -> None:
    plan = build_plan(PRP, START, 24, avoid_weekdays=("monday", "tue"), consultation=False)
    assert all(s.planned.weekday() not in (0, 1) for s in plan.sessions)
    assert all(s.earliest <= s.planned <= s.latest for s in plan.sessions)
    assert plan.sessions[0].planned == date(2026, 1, 7)  # Wednesday, nearest allowed
    assert plan.sessions[0].note is not None and "Monday is avoided" in plan.sessions[0].note
    assert plan.follow_up.weekday() not in (0, 1)


def test_closed_dates_are_avoided() -> None:
    closed = (START, START + timedelta(days=1))
    plan = build_plan(PRP, START, 6, closed_dates=closed, consultation=False)
    assert plan.sessions[0].planned == START + timedelta(days=2)
    assert all(s.planned not in closed for s in plan.sessions)


def test_impossible_constraint_is_reported_not_hidden() -> None:
    narrow = Protocol(
        treatment="prp",
        condition="scars",
        sessions=Range(2, 2),
        interval_weeks=Range(4, 4),
        maintenance_interval_weeks=None,
        time_to_results_weeks=Range(8, 12),
        duration_of_effect="",
        sources=(),
    )
    # the 2nd session must fall exactly 28 days after the 1st, and that day is closed
    plan = build_plan(narrow, START, 6, closed_dates=(START + timedelta(28),), consultation=False)
    second = plan.sessions[1]
    assert second.constraint_met is False
    assert second.note is not None and "no allowed day" in second.note
    assert any("could not avoid" in n for n in plan.notes)


def test_single_session_without_maintenance() -> None:
    plan = build_plan(SINGLE, START, 12, consultation=False)
    assert len(plan.sessions) == 1
    assert plan.maintenance_sessions == ()
    assert plan.follow_up == START + timedelta(weeks=12)


def test_horizon_too_short_for_the_course_is_said() -> None:
    plan = build_plan(PRP, START, 1)
    assert len(plan.sessions) == 1
    assert any("does not fit" in n for n in plan.notes)


@pytest.mark.parametrize("bad", [0, 241])
def test_bad_horizon_names_the_field(bad: int) -> None:
    with pytest.raises(InvalidInputError) as err:
        build_plan(PRP, START, bad)
    assert err.value.field == "horizon_months"


def test_unknown_weekday_lists_the_allowed_names() -> None:
    with pytest.raises(InvalidInputError) as err:
        build_plan(PRP, START, 12, avoid_weekdays=("funday",))
    assert err.value.field == "avoid_weekdays"
    assert err.value.allowed is not None and "monday" in err.value.allowed


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 12, 15), 3) == date(2028, 3, 15)


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
    months=st.integers(1, 60),
    avoid=st.sets(st.integers(0, 6), max_size=5),
)
def test_never_before_start_and_always_in_window(start: date, months: int, avoid: set[int]) -> None:
    plan = build_plan(PRP, start, months, avoid_weekdays=avoid)
    for s in plan.sessions:
        assert s.planned >= start
        assert s.earliest <= s.planned <= s.latest
        assert s.planned <= plan.end
        if s.constraint_met:
            assert s.planned.weekday() not in avoid
    consultation = plan.consultation
    assert consultation is not None and start <= consultation.planned
    assert consultation.planned < plan.sessions[0].planned
