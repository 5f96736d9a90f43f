"""Dated treatment plans: the initial course and maintenance of a protocol over a horizon.

Rules (documented in ``docs/plans.md``):

- The first session is planned on ``start`` (window ``start .. start + 6 days``), or two weeks
  after the consultation that opens a course of clinic procedures (below); each next
  session is planned the middle of the protocol's interval after the previous *planned* session,
  with the window ``previous + interval.low .. previous + interval.high``.
- The initial course has ``sessions`` visits (default: the low end of the protocol's range,
  the regimen most sources describe; the plan notes how many more the range allows).
- Maintenance follows the last initial session at the middle of the maintenance interval (window
  from its low to its high end) until the horizon ends; sessions after the horizon are dropped.
- A date on an avoided weekday or a closed date moves to the nearest allowed date inside its
  window (ties go to the earlier date). When the window has none, the date stays and the
  session says so (``constraint_met=False``).
- Expected time to visible results: the protocol's range counted from the first session.
  Follow-up assessment: the end of that window (or the end of the initial course, if later),
  moved forward to the next allowed day.
- No session is ever planned before ``start``.
- Clinic procedures (PRP, exosomes, the combination, and usual care given as a course of clinic
  procedures, ``mode: clinic_course``) begin with a consultation: it takes the first session's
  place (``start`` .. ``start + 6 days``), and the first session follows it
  ``CONSULTATION_LEAD_DAYS`` later (window 1 to 2 weeks after it). Not for daily home care (its
  first review visit is where it starts) nor where the first visit is itself the assessment.
- Daily home care (``mode: daily_home``) gets refill reminders: one a month from the first
  review visit (home care is priced and usually dispensed a month at a time; nothing in the
  knowledge base says otherwise), each moved *earlier* to the nearest allowed day (at most
  ``REFILL_EARLY_DAYS``) so the supply never runs out, until the horizon ends; for care
  without maintenance (a course, e.g. silicone for a scar) until the results window ends.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from regenaid.errors import InvalidInputError
from regenaid.knowledge.model import Protocol, Range, TreatmentId

WEEKDAY_NAMES: tuple[str, ...] = tuple(calendar.day_name)  # Monday .. Sunday
FIRST_SESSION_WINDOW_DAYS = 6
MAX_HORIZON_MONTHS = 240

# Clinic procedures get a consultation 1 to 2 weeks before the first session (planned 2 weeks
# before: the same weekday, so an allowed day stays allowed).
CONSULTATION_LEAD_DAYS = (7, 14)
CONSULTATION_TREATMENTS = frozenset({"prp", "exosome", "combination", "conventional"})
# Usual care whose first clinic visit is itself the assessment (telogen effluvium: "one visit to
# find the cause", protocols.yaml), so no separate consultation goes before it.
FIRST_VISIT_IS_CONSULTATION = frozenset({("conventional", "telogen_effluvium")})
REFILL_INTERVAL_MONTHS = 1
REFILL_EARLY_DAYS = 6

SessionKind = Literal["consultation", "initial", "maintenance"]


@dataclass(frozen=True, slots=True)
class PlannedSession:
    """One clinic visit: planned date and the window the protocol allows."""

    number: int  # 1-based over the whole plan
    kind: SessionKind
    course_number: int  # 1-based within its kind
    planned: date
    earliest: date
    latest: date
    ideal: date  # before moving off avoided days
    constraint_met: bool
    note: str | None = None

    @property
    def moved(self) -> bool:
        return self.planned != self.ideal


@dataclass(frozen=True, slots=True)
class PlannedRefill:
    """A reminder to get the next supply of daily home care (not a visit)."""

    number: int  # 1-based
    planned: date
    ideal: date  # a whole number of months after home care began
    months: int  # how much supply the reminder is for
    constraint_met: bool
    note: str | None = None


@dataclass(frozen=True, slots=True)
class TreatmentPlan:
    """The dated plan of one option for one person."""

    treatment: TreatmentId
    condition: str
    start: date
    end: date  # last day of the horizon
    horizon_months: int
    sessions: tuple[PlannedSession, ...]
    results_earliest: date | None
    results_latest: date | None
    follow_up: date
    notes: tuple[str, ...]
    sources: tuple[str, ...]
    # "daily_home": care used every day at home; the dated sessions are review visits
    mode: str = "clinic_course"
    # clinic procedures: the consultation before the first session (kind "consultation")
    consultation: PlannedSession | None = None
    # daily home care: reminders to get the next supply
    refills: tuple[PlannedRefill, ...] = ()
    # where the schedule comes from (the protocol's note): said beside ``sources``, so that a
    # schedule borrowed from another condition or treatment is not read as one they tested
    schedule_note: str | None = None

    @property
    def initial_sessions(self) -> tuple[PlannedSession, ...]:
        return tuple(s for s in self.sessions if s.kind == "initial")

    @property
    def maintenance_sessions(self) -> tuple[PlannedSession, ...]:
        return tuple(s for s in self.sessions if s.kind == "maintenance")


def add_months(day: date, months: int) -> date:
    """``day`` plus calendar months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_weekday(value: int | str) -> int:
    """0..6 (Monday = 0) from an int or an English day name / 3-letter abbreviation."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        for index, name in enumerate(WEEKDAY_NAMES):
            if text in (name.lower(), name[:3].lower()):
                return index
    raise InvalidInputError(
        "avoid_weekdays", f"unknown weekday {value!r}", allowed=[n.lower() for n in WEEKDAY_NAMES]
    )


def _days(weeks: float) -> int:
    return round(weeks * 7)


class _Calendar:
    """Which days are allowed, and the nearest allowed day in a window."""

    def __init__(self, avoid_weekdays: Iterable[int | str], closed_dates: Iterable[date]) -> None:
        self.avoid = frozenset(parse_weekday(d) for d in avoid_weekdays)
        self.closed = frozenset(closed_dates)
        if len(self.avoid) == 7:
            raise InvalidInputError("avoid_weekdays", "every weekday is avoided; leave one free")

    def allowed(self, day: date) -> bool:
        return day.weekday() not in self.avoid and day not in self.closed

    def why_not(self, day: date) -> str:
        if day in self.closed:
            return f"{day.isoformat()} is closed"
        return f"{WEEKDAY_NAMES[day.weekday()]} is avoided"

    def nearest(self, ideal: date, earliest: date, latest: date) -> date | None:
        """The allowed day in ``earliest..latest`` nearest to ``ideal`` (earlier on ties)."""
        span = max((ideal - earliest).days, (latest - ideal).days)
        for offset in range(span + 1):
            for day in (ideal - timedelta(days=offset), ideal + timedelta(days=offset)):
                if earliest <= day <= latest and self.allowed(day):
                    return day
        return None

    def next_allowed(self, day: date) -> date:
        while not self.allowed(day):
            day += timedelta(days=1)
        return day


def _place(
    cal: _Calendar,
    number: int,
    kind: SessionKind,
    course_number: int,
    ideal: date,
    earliest: date,
    latest: date,
) -> PlannedSession:
    if cal.allowed(ideal):
        return PlannedSession(number, kind, course_number, ideal, earliest, latest, ideal, True)
    found = cal.nearest(ideal, earliest, latest)
    if found is None:
        note = (
            f"{cal.why_not(ideal)} and no allowed day exists between {earliest.isoformat()} "
            f"and {latest.isoformat()}; kept on {ideal.isoformat()}"
        )
        return PlannedSession(
            number, kind, course_number, ideal, earliest, latest, ideal, False, note
        )
    note = f"moved from {ideal.isoformat()} ({cal.why_not(ideal)})"
    return PlannedSession(number, kind, course_number, found, earliest, latest, ideal, True, note)


def needs_consultation(protocol: Protocol) -> bool:
    """True for a course of clinic procedures, which starts with a consultation."""
    return (
        protocol.mode == "clinic_course"
        and protocol.treatment in CONSULTATION_TREATMENTS
        and protocol.sessions.low > 0
        and (protocol.treatment, protocol.condition) not in FIRST_VISIT_IS_CONSULTATION
    )


def _refills(cal: _Calendar, first_visit: date, end: date, months: int) -> list[PlannedRefill]:
    """A reminder every ``months`` from ``first_visit`` until ``end``, moved earlier only."""
    found: list[PlannedRefill] = []
    while True:
        ideal = add_months(first_visit, months * (len(found) + 1))
        if ideal > end:
            return found
        number = len(found) + 1
        if cal.allowed(ideal):
            found.append(PlannedRefill(number, ideal, ideal, months, True))
            continue
        earliest = max(first_visit + timedelta(days=1), ideal - timedelta(days=REFILL_EARLY_DAYS))
        day = cal.nearest(ideal, earliest, ideal)
        if day is None:
            note = f"{cal.why_not(ideal)} and no allowed day in the week before; kept"
            found.append(PlannedRefill(number, ideal, ideal, months, False, note))
        else:
            note = f"moved from {ideal.isoformat()} ({cal.why_not(ideal)})"
            found.append(PlannedRefill(number, day, ideal, months, True, note))


def _check_range(name: str, value: Range) -> None:
    if value.low < 0:
        raise InvalidInputError(name, f"must not be negative, got {value.low}")


def build_plan(
    protocol: Protocol,
    start: date,
    horizon_months: int,
    *,
    avoid_weekdays: Iterable[int | str] = (),
    closed_dates: Iterable[date] = (),
    sessions: int | None = None,
    consultation: bool | None = None,
    refills: bool | None = None,
) -> TreatmentPlan:
    """The dated plan of ``protocol`` from ``start`` over ``horizon_months`` (module docstring).

    ``consultation`` and ``refills`` default to what the protocol needs
    (:func:`needs_consultation`; refills for ``daily_home`` care); False leaves them out."""
    if not 1 <= horizon_months <= MAX_HORIZON_MONTHS:
        raise InvalidInputError(
            "horizon_months", f"must be 1..{MAX_HORIZON_MONTHS}, got {horizon_months}"
        )
    for name in ("sessions", "interval_weeks", "time_to_results_weeks"):
        if getattr(protocol, name) is not None:
            _check_range(f"protocol.{name}", getattr(protocol, name))
    cal = _Calendar(avoid_weekdays, closed_dates)
    end = add_months(start, horizon_months) - timedelta(days=1)
    notes: list[str] = []

    low, high = math.ceil(protocol.sessions.low), math.floor(protocol.sessions.high)
    count = low if sessions is None else sessions
    if sessions is not None and not (low <= sessions <= max(high, low)):
        raise InvalidInputError(
            "sessions", f"the protocol gives {low}..{high} initial sessions, got {sessions}"
        )
    if sessions is None and high > low:
        notes.append(
            f"The protocol gives {low} to {high} initial sessions; {low} "
            f"{'is' if low == 1 else 'are'} planned and your clinician may add up to "
            f"{high - low} more."
        )

    planned: list[PlannedSession] = []
    consult: PlannedSession | None = None
    if (needs_consultation(protocol) if consultation is None else consultation) and count > 0:
        window = start + timedelta(days=FIRST_SESSION_WINDOW_DAYS)
        consult = _place(cal, 0, "consultation", 0, start, start, window)
    interval = protocol.interval_weeks
    for k in range(count):
        if k == 0 and consult is not None:
            low_lead, high_lead = CONSULTATION_LEAD_DAYS
            ideal = consult.planned + timedelta(days=high_lead)
            earliest = consult.planned + timedelta(days=low_lead)
            latest = ideal
        elif k == 0:
            ideal = start
            earliest, latest = start, start + timedelta(days=FIRST_SESSION_WINDOW_DAYS)
        else:
            previous = planned[-1].planned
            ideal = previous + timedelta(days=_days(interval.mid))
            earliest = previous + timedelta(days=_days(interval.low))
            latest = previous + timedelta(days=_days(interval.high))
        session = _place(cal, len(planned) + 1, "initial", k + 1, ideal, earliest, latest)
        if session.planned > end:
            notes.append(
                f"The initial course does not fit in {horizon_months} months: "
                f"{count - k} session(s) fall after {end.isoformat()}."
            )
            break
        planned.append(session)

    maintenance = protocol.maintenance_interval_weeks
    if maintenance is not None and maintenance.high > 0 and planned:
        k = 0
        while True:
            previous = planned[-1].planned
            ideal = previous + timedelta(days=_days(maintenance.mid))
            if ideal > end:
                break
            k += 1
            earliest = previous + timedelta(days=_days(maintenance.low))
            latest = previous + timedelta(days=_days(maintenance.high))
            session = _place(cal, len(planned) + 1, "maintenance", k, ideal, earliest, latest)
            if session.planned > end:
                break
            planned.append(session)
    elif maintenance is None and count > 0 and protocol.maintenance_known:
        notes.append("No maintenance sessions are part of this protocol.")
    elif maintenance is None and count > 0:
        notes.append(
            "Whether top-up sessions are needed later, and how often, is not known: no study "
            "followed people long enough. None are planned; ask your clinician."
        )
    if protocol.mode == "daily_home" and count > 0:
        notes.append(
            "This care is used every day at home; the dates are review visits with your "
            "clinician, not treatment sessions."
        )
    if consult is not None:
        notes.append(
            f"A consultation is planned on {consult.planned.isoformat()}, before the first "
            "treatment: the clinician checks that this treatment suits you and answers your "
            "questions. Some clinics do this on the day of the first treatment; ask yours."
        )

    first = planned[0].planned if planned else start
    ttr = protocol.time_to_results_weeks
    known = ttr is not None and ttr.high > 0
    results_earliest = first + timedelta(days=_days(ttr.low)) if ttr and known else None
    results_latest = first + timedelta(days=_days(ttr.high)) if ttr and known else None
    if ttr is None and count > 0:
        notes.append(
            "When results might show is not known: no study of this option for this "
            "condition measured it."
        )
    refill_list: list[PlannedRefill] = []
    wants_refills = protocol.mode == "daily_home" if refills is None else refills
    # care with no maintenance (e.g. silicone for a scar) is used until the results window
    # ends; care that works only while it is used goes on to the end of the horizon
    refill_end = end
    if protocol.maintenance_interval_weeks is None and results_latest is not None:
        refill_end = min(end, results_latest)
    if wants_refills and planned:
        refill_list = _refills(cal, planned[0].planned, refill_end, REFILL_INTERVAL_MONTHS)
    if refill_list:
        notes.append(
            "Refill reminders are planned once a month, a month's supply at a time; your "
            "prescription or pack may last longer, so ask your clinician or pharmacist."
            + (
                f" They stop on {refill_end.isoformat()}, when results should show; ask "
                "whether to go on."
                if refill_end < end
                else ""
            )
        )
    initial = [s for s in planned if s.kind == "initial"]
    follow = max(
        d
        for d in (results_latest, initial[-1].planned if initial else None, start)
        if d is not None
    )
    if follow == start:
        follow = start + timedelta(weeks=12)
        notes.append("No sessions are planned; a check-in is suggested after 12 weeks.")
    follow_up = cal.next_allowed(follow)
    if any(not s.constraint_met for s in (*planned, *([consult] if consult else []))):
        notes.append("Some sessions could not avoid the days you asked to avoid (see each one).")
    return TreatmentPlan(
        treatment=protocol.treatment,
        condition=protocol.condition,
        start=start,
        end=end,
        horizon_months=horizon_months,
        sessions=tuple(planned),
        results_earliest=results_earliest,
        results_latest=results_latest,
        follow_up=follow_up,
        notes=tuple(notes),
        sources=protocol.sources,
        mode=protocol.mode,
        consultation=consult,
        refills=tuple(refill_list),
        schedule_note=protocol.note,
    )
