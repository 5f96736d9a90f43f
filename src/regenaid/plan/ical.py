"""iCalendar (RFC 5545) export of a treatment plan with the ``icalendar`` package.

One all-day ``VEVENT`` per planned session (``UID``, ``DTSTAMP``, ``DTSTART;VALUE=DATE``,
``DTEND`` the next day, ``SUMMARY``, ``DESCRIPTION`` with the allowed window), as CONTRACT §6
asks; the follow-up assessment is a ``VTODO`` (a to-do with a ``DUE`` date), so the calendar
holds exactly one event per session. UIDs are stable for the same plan, so re-importing an
updated plan replaces the earlier events instead of duplicating them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, Todo

from regenaid.knowledge.model import TREATMENT_LABELS
from regenaid.plan.schedule import PlannedSession, TreatmentPlan

PRODID = "-//regenaid//treatment plan 1.0//EN"

# One name per option everywhere (knowledge.model.TREATMENT_LABELS).


def _label(plan: TreatmentPlan) -> str:
    return TREATMENT_LABELS.get(plan.treatment, plan.treatment)


def session_summary(plan: TreatmentPlan, session: PlannedSession, prefix: str) -> str:
    """E.g. ``"regenaid: PRP session 2 of 3 (initial course)"``."""
    visit = (
        "review visit"
        if plan.mode == "daily_home"
        else "visit"
        if plan.treatment == "conventional"
        else "session"
    )
    if session.kind == "initial":
        total = len(plan.initial_sessions)
        what = f"{visit} {session.course_number} of {total} (initial course)"
    else:
        what = f"maintenance {visit} {session.course_number}"
    return f"{prefix}{_label(plan)} {what}"


def session_description(session: PlannedSession) -> str:
    lines = [
        f"Planned for {session.planned.isoformat()}.",
        f"Allowed window: {session.earliest.isoformat()} to {session.latest.isoformat()}.",
    ]
    if session.note:
        lines.append(f"Note: {session.note}.")
    lines.append("Confirm the date with your clinic.")
    return "\n".join(lines)


def to_ical(
    plan: TreatmentPlan,
    *,
    summary_prefix: str = "regenaid: ",
    stamp: datetime | None = None,
) -> bytes:
    """The plan as an RFC 5545 calendar (see module docstring). ``stamp`` is the DTSTAMP
    (UTC; default now)."""
    stamp = (stamp or datetime.now(UTC)).astimezone(UTC)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{_label(plan)} plan ({plan.condition.replace('_', ' ')})")
    uid_base = f"{plan.treatment}-{plan.condition}-{plan.start.isoformat()}"
    for session in plan.sessions:
        event = Event()
        event.add("uid", f"{uid_base}-session-{session.number}@regenaid")
        event.add("dtstamp", stamp)
        event.add("dtstart", session.planned)
        event.add("dtend", session.planned + timedelta(days=1))
        event.add("summary", session_summary(plan, session, summary_prefix))
        event.add("description", session_description(session))
        event.add("transp", "TRANSPARENT")
        event.add("categories", [plan.treatment, session.kind])
        cal.add_component(event)
    todo = Todo()
    todo.add("uid", f"{uid_base}-follow-up@regenaid")
    todo.add("dtstamp", stamp)
    todo.add("due", plan.follow_up)
    todo.add("summary", f"{summary_prefix}follow-up assessment ({_label(plan)})")
    description = ["Review the results with your clinician."]
    if plan.results_earliest and plan.results_latest:
        description.append(
            "Visible results are expected between "
            f"{plan.results_earliest.isoformat()} and {plan.results_latest.isoformat()}."
        )
    todo.add("description", "\n".join(description))
    cal.add_component(todo)
    return bytes(cal.to_ical())
