"""Every option's calendar: a consultation before a course of clinic procedures, monthly refill
reminders for daily home care, never on an excluded weekday, never before the start date.

The shipped protocols are planned and their .ics files parsed back with ``icalendar``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from regenaid.knowledge import load_knowledge
from regenaid.knowledge.model import TREATMENT_LABELS, Protocol
from regenaid.plan import add_months, build_plan, needs_consultation, to_ical

STAMP = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
START = date(2026, 6, 3)  # a Wednesday
WEEKEND = ("sat", "sun")


def _protocols() -> list[Protocol]:
    kb = load_knowledge()
    found = []
    for condition in kb.conditions:
        for treatment in ("prp", "exosome", "combination", "conventional"):
            protocol = kb.protocol(treatment, condition)
            if protocol is not None:
                found.append(protocol)
    return found


PROTOCOLS = _protocols()
PROCEDURES = [p for p in PROTOCOLS if p.mode == "clinic_course"]
HOME_CARE = [p for p in PROTOCOLS if p.mode == "daily_home"]


def _ids(protocol: Protocol) -> str:
    return f"{protocol.treatment}-{protocol.condition}"


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _events(data: bytes) -> list[dict[str, object]]:
    events = []
    for component in Calendar.from_ical(data).walk():
        # sessions are VEVENTs; the consultation and refill reminders dated VTODOs
        dated_todo = component.name == "VTODO" and "DTSTART" in component
        if component.name == "VEVENT" or dated_todo:
            events.append(
                {
                    "start": component.decoded("DTSTART"),
                    "end": component.decoded("DTEND" if component.name == "VEVENT" else "DUE"),
                    "component": component.name,
                    "summary": str(component["SUMMARY"]),
                    "categories": _text(component["CATEGORIES"].to_ical()).split(","),
                    "uid": str(component["UID"]),
                }
            )
    return events


def test_the_shipped_knowledge_has_both_kinds() -> None:
    assert len(PROCEDURES) >= 20 and len(HOME_CARE) >= 4
    assert {p.treatment for p in HOME_CARE} == {"conventional"}


@pytest.mark.parametrize("protocol", PROCEDURES, ids=_ids)
def test_consultation_comes_before_the_first_session(protocol: Protocol) -> None:
    plan = build_plan(protocol, START, 24, avoid_weekdays=WEEKEND)
    if not needs_consultation(protocol):
        # usual care for telogen effluvium: the first visit is itself the assessment
        assert (protocol.treatment, protocol.condition) == ("conventional", "telogen_effluvium")
        assert plan.consultation is None
        return
    consultation = plan.consultation
    assert consultation is not None and consultation.kind == "consultation"
    first = plan.sessions[0].planned
    assert START <= consultation.planned < first
    assert timedelta(weeks=1) <= first - consultation.planned <= timedelta(weeks=2)
    assert consultation.planned.weekday() < 5 and first.weekday() < 5
    events = _events(to_ical(plan, stamp=STAMP))
    consult_events = [e for e in events if "consultation" in e["categories"]]  # type: ignore[operator]
    assert len(consult_events) == 1
    assert consult_events[0]["start"] == consultation.planned
    assert min(e["start"] for e in events) == consultation.planned  # type: ignore[type-var]
    label = TREATMENT_LABELS[protocol.treatment]
    assert consult_events[0]["summary"] == (
        f"regenaid: {label} consultation (before "
        f"{'visit' if protocol.treatment == 'conventional' else 'session'} 1)"
    )
    assert any("consultation is planned" in n for n in plan.notes)
    assert plan.refills == ()  # nothing to refill for a clinic course


@pytest.mark.parametrize("protocol", HOME_CARE, ids=_ids)
def test_daily_home_care_has_monthly_refills_and_review_visits(protocol: Protocol) -> None:
    plan = build_plan(protocol, START, 24, avoid_weekdays=WEEKEND)
    assert plan.consultation is None  # home care starts at the first review visit
    first_visit = plan.sessions[0].planned
    assert first_visit == START
    refills = plan.refills
    if protocol.maintenance_interval_weeks is None:
        # a course of home care (silicone for a scar): refills until the results should show
        assert plan.results_latest is not None
        assert refills and refills[-1].ideal <= plan.results_latest < add_months(
            refills[-1].ideal, 1
        )
        assert any("They stop on" in n for n in plan.notes)
    else:
        # care that works while it is used: one a month for two years, the first supply
        # given at the first visit
        assert len(refills) == 23
    for number, refill in enumerate(refills, start=1):
        assert refill.number == number and refill.months == 1
        assert refill.ideal == add_months(first_visit, number)
        assert refill.ideal - timedelta(days=6) <= refill.planned <= refill.ideal  # never late
        assert refill.planned.weekday() < 5 and refill.constraint_met
        assert refill.planned <= plan.end
    events = _events(to_ical(plan, stamp=STAMP))
    label = TREATMENT_LABELS[protocol.treatment]
    refill_events = [e for e in events if "refill" in e["categories"]]  # type: ignore[operator]
    assert [e["start"] for e in refill_events] == [r.planned for r in refills]
    assert [e["summary"] for e in refill_events][:2] == [
        f"regenaid: {label} refill reminder 1",
        f"regenaid: {label} refill reminder 2",
    ]
    reviews = [e for e in events if "refill" not in e["categories"]]  # type: ignore[operator]
    assert len(reviews) == len(plan.sessions) >= 1  # the review visits are still there
    assert all("review visit" in str(e["summary"]) for e in reviews)
    assert any("Refill reminders" in n for n in plan.notes)


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=_ids)
def test_no_event_on_an_excluded_weekday_or_before_the_start(protocol: Protocol) -> None:
    avoid = ("mon", "wed", "sat", "sun")
    start = date(2026, 6, 4)  # a Thursday
    plan = build_plan(protocol, start, 36, avoid_weekdays=avoid)
    events = _events(to_ical(plan, stamp=STAMP))
    assert events
    for event in events:
        day = event["start"]
        assert type(day) is date  # all-day, as every event of the plan
        assert event["end"] == day + timedelta(days=1)
        assert day >= start, event
        assert day.weekday() not in (0, 2, 5, 6), event
        assert str(event["summary"]).startswith(
            f"regenaid: {TREATMENT_LABELS[protocol.treatment]} "
        )
    assert len({e["uid"] for e in events}) == len(events)


def test_consultation_and_refills_can_be_left_out() -> None:
    kb = load_knowledge()
    prp = kb.protocol("prp", "androgenetic_alopecia")
    home = kb.protocol("conventional", "androgenetic_alopecia")
    assert prp is not None and home is not None
    plan = build_plan(prp, START, 12, consultation=False)
    assert plan.consultation is None and plan.sessions[0].planned == START
    assert build_plan(home, START, 12, refills=False).refills == ()


def test_consultation_on_a_closed_start_moves_to_the_next_allowed_day() -> None:
    prp = load_knowledge().protocol("prp", "androgenetic_alopecia")
    assert prp is not None
    closed = (START, START + timedelta(days=1))
    plan = build_plan(prp, START, 12, avoid_weekdays=WEEKEND, closed_dates=closed)
    assert plan.consultation is not None
    assert plan.consultation.planned == date(2026, 6, 5)  # Friday
    assert plan.consultation.note is not None and "closed" in plan.consultation.note
    assert plan.sessions[0].planned == date(2026, 6, 19)  # two weeks later, same weekday


def test_a_refill_on_an_excluded_day_moves_earlier_not_later() -> None:
    home = load_knowledge().protocol("conventional", "androgenetic_alopecia")
    assert home is not None
    start = date(2026, 1, 2)  # Friday; 2 May 2026 is a Saturday
    plan = build_plan(home, start, 6, avoid_weekdays=WEEKEND)
    may = next(r for r in plan.refills if r.ideal == date(2026, 5, 2))
    assert may.planned == date(2026, 5, 1)
    assert may.note is not None and "Saturday is avoided" in may.note


@settings(max_examples=40, deadline=None)
@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2060, 1, 1)),
    months=st.integers(1, 48),
    avoid=st.sets(st.integers(0, 6), max_size=6),
    index=st.integers(0, len(PROTOCOLS) - 1),
)
def test_every_event_is_on_an_allowed_day_from_the_start(
    start: date, months: int, avoid: set[int], index: int
) -> None:
    protocol = PROTOCOLS[index]
    plan = build_plan(protocol, start, months, avoid_weekdays=avoid)
    visits = [*([plan.consultation] if plan.consultation else []), *plan.sessions]
    for visit in visits:
        assert visit.planned >= start
        if visit.constraint_met:
            assert visit.planned.weekday() not in avoid
    if plan.consultation is not None and plan.sessions:
        assert plan.consultation.planned < plan.sessions[0].planned
    for refill in plan.refills:
        assert start < refill.planned <= plan.end
        assert refill.constraint_met and refill.planned.weekday() not in avoid
    for event in _events(to_ical(plan, stamp=STAMP)):
        assert event["start"] >= start  # type: ignore[operator]
