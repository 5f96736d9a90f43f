"""iCalendar (RFC 5545) export of a treatment plan with the ``icalendar`` package.

Exactly one all-day ``VEVENT`` per planned session (``UID``, ``DTSTAMP``,
``DTSTART;VALUE=DATE``, ``DTEND`` the next day, ``SUMMARY``, ``DESCRIPTION`` with the allowed
window), as CONTRACT §6 asks. Everything else is a ``VTODO`` (a to-do dated with ``DTSTART``
and ``DUE`` the next day): the consultation before a course of clinic procedures (category
``consultation``), the refill reminders of daily home care (category ``refill``) and the
follow-up assessment. Every title names the option by its one name. UIDs are stable for the
same plan, so re-importing an updated plan replaces the earlier events instead of duplicating
them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event, Todo

from regenaid.knowledge.model import TREATMENT_LABELS
from regenaid.plan.schedule import PlannedRefill, PlannedSession, TreatmentPlan

PRODID = "-//regenaid//treatment plan 1.0//EN"

# One name per option everywhere (knowledge.model.TREATMENT_LABELS).


def _label(plan: TreatmentPlan) -> str:
    return TREATMENT_LABELS.get(plan.treatment, plan.treatment)


def _visit_word(plan: TreatmentPlan) -> str:
    if plan.mode == "daily_home":
        return "review visit"
    return "visit" if plan.treatment == "conventional" else "session"


def session_summary(plan: TreatmentPlan, session: PlannedSession, prefix: str) -> str:
    """E.g. ``"regenaid: PRP session 2 of 3 (initial course)"``,
    ``"regenaid: PRP consultation (before session 1)"``."""
    visit = _visit_word(plan)
    if session.kind == "consultation":
        return f"{prefix}{_label(plan)} consultation (before {visit} 1)"
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


def refill_summary(plan: TreatmentPlan, refill: PlannedRefill, prefix: str) -> str:
    """E.g. ``"regenaid: Usual first care refill reminder 2"``."""
    return f"{prefix}{_label(plan)} refill reminder {refill.number}"


def refill_description(refill: PlannedRefill) -> str:
    supply = "month's" if refill.months == 1 else f"{refill.months} months'"
    lines = [
        "A reminder, not a visit.",
        f"Get your next {supply} supply of the care you use at home, so you do not run out.",
        "Your prescription or pack may last longer; ask your clinician or pharmacist.",
    ]
    if refill.note:
        lines.append(f"Note: {refill.note}.")
    return "\n".join(lines)


def consultation_description(plan: TreatmentPlan, session: PlannedSession) -> str:
    first = plan.initial_sessions[0].planned.isoformat() if plan.initial_sessions else None
    lines = [
        "Before the first treatment: the clinician checks that it suits you, explains it and "
        "answers your questions.",
    ]
    if first:
        lines.append(f"The first {_visit_word(plan)} is planned for {first}.")
    lines.append(session_description(session))
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

    def add_event(key: str, day: date, summary: str, description: str, kind: str) -> None:
        """A session is a VEVENT (one per session, CONTRACT §6); anything else a dated VTODO."""
        event = Event() if kind in ("initial", "maintenance") else Todo()
        event.add("uid", f"{uid_base}-{key}@regenaid")
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend" if isinstance(event, Event) else "due", day + timedelta(days=1))
        event.add("summary", summary)
        event.add("description", description)
        if isinstance(event, Event):
            event.add("transp", "TRANSPARENT")
        event.add("categories", [plan.treatment, kind])
        cal.add_component(event)

    if (c := plan.consultation) is not None:
        summary = session_summary(plan, c, summary_prefix)
        add_event("consultation", c.planned, summary, consultation_description(plan, c), c.kind)
    for s in plan.sessions:
        summary = session_summary(plan, s, summary_prefix)
        add_event(f"session-{s.number}", s.planned, summary, session_description(s), s.kind)
    for r in plan.refills:
        summary = refill_summary(plan, r, summary_prefix)
        add_event(f"refill-{r.number}", r.planned, summary, refill_description(r), "refill")
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
