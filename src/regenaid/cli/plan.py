"""``regenaid plan FILE|- --start YYYY-MM-DD``: the dated plan of an option (CONTRACT §6).

Reads an intake, assesses it, takes ``--option`` (default: the recommended option), refuses
an option that is contraindicated or deferred for this person (exit 2, one line), prints the
dated plan and, with ``--ics``, writes it as an RFC 5545 calendar.
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

import typer

from regenaid.cli.common import STDOUT, check_output, fail, guarded, read_input, write_output
from regenaid.errors import InvalidInputError, KnowledgeError

if TYPE_CHECKING:
    from regenaid.knowledge import KnowledgeBase
    from regenaid.knowledge.model import Protocol
    from regenaid.plan import TreatmentPlan


class PlanOption(StrEnum):
    prp = "prp"
    exosome = "exosome"
    combination = "combination"
    conventional = "conventional"
    no_treatment = "no_treatment"


class PlanFormat(StrEnum):
    text = "text"
    json = "json"


def _knowledge() -> KnowledgeBase:
    """The shipped knowledge base (a seam the tests replace)."""
    from regenaid.knowledge import load_knowledge

    return load_knowledge()


def _nothing_to_schedule(condition: str) -> Protocol:
    """No new treatment without a protocol: no sessions, only a follow-up check-in."""
    from regenaid.knowledge.model import Protocol, Range

    none = Range(0, 0)
    return Protocol("no_treatment", condition, none, none, None, none, "Natural course.", ())


FIRST_YEAR, LAST_YEAR = 1900, 2999
"""Dates the planner accepts (a plan runs up to 20 years past its start)."""


def _parse_date(option: str, value: str) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise fail(f"{option}: {value!r} is not a date; use YYYY-MM-DD") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise fail(f"{option}: {value!r} is outside the years {FIRST_YEAR}..{LAST_YEAR}")
    return day


def _split(values: list[str]) -> list[str]:
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def plan_text(plan: TreatmentPlan, name: str) -> str:
    """The plan as plain text, one session per line."""
    lines = [
        f"{name} plan for {plan.condition.replace('_', ' ')}: "
        f"{plan.start.isoformat()} to {plan.end.isoformat()} ({plan.horizon_months} months)",
        "",
    ]
    if plan.consultation is not None:
        c = plan.consultation
        lines.append(
            f"  -  {c.planned.isoformat()} {c.planned.strftime('%a')}  consultation (before "
            f"the first session)  window {c.earliest.isoformat()} .. {c.latest.isoformat()}"
        )
    if not plan.sessions:
        lines.append("No sessions are scheduled.")
    for s in plan.sessions:
        kind = "initial" if s.kind == "initial" else "maintenance"
        line = (
            f"{s.number:>3}. {s.planned.isoformat()} {s.planned.strftime('%a')}  "
            f"{kind} {s.course_number:<2} window {s.earliest.isoformat()} .. {s.latest.isoformat()}"
        )
        if s.note:
            line += f"  ({s.note})"
        lines.append(line)
    if plan.refills:
        dates = ", ".join(r.planned.isoformat() for r in plan.refills[:3])
        more = f" and {len(plan.refills) - 3} more" if len(plan.refills) > 3 else ""
        lines.append(f"Refill reminders ({len(plan.refills)}): {dates}{more}")
    lines.append("")
    if plan.results_earliest and plan.results_latest:
        lines.append(
            f"Visible results expected: {plan.results_earliest.isoformat()} .. "
            f"{plan.results_latest.isoformat()}"
        )
    lines.append(f"Follow-up assessment: {plan.follow_up.isoformat()}")
    lines.extend(f"Note: {n}" for n in plan.notes)
    if plan.schedule_note:
        lines.append(f"Where this schedule comes from: {plan.schedule_note}")
    if plan.sources:
        lines.append(f"Sources: {', '.join(plan.sources)}")
    lines.append("This plan is a starting point for the conversation with your clinician.")
    return "\n".join(lines) + "\n"


def plan_json(plan: TreatmentPlan) -> str:
    def iso(d: date | None) -> str | None:
        return d.isoformat() if d else None

    payload = {
        "treatment": plan.treatment,
        "condition": plan.condition,
        "start": iso(plan.start),
        "end": iso(plan.end),
        "horizon_months": plan.horizon_months,
        "sessions": [
            {
                "number": s.number,
                "kind": s.kind,
                "course_number": s.course_number,
                "planned": iso(s.planned),
                "earliest": iso(s.earliest),
                "latest": iso(s.latest),
                "constraint_met": s.constraint_met,
                "note": s.note,
            }
            for s in plan.sessions
        ],
        "results_window": {
            "earliest": iso(plan.results_earliest),
            "latest": iso(plan.results_latest),
        },
        "follow_up": iso(plan.follow_up),
        "notes": list(plan.notes),
        "schedule_note": plan.schedule_note,
        "sources": list(plan.sources),
    }
    return json.dumps(payload, indent=2) + "\n"


@guarded
def plan_cmd(
    file: str = typer.Argument(..., help="Intake file (YAML or JSON), or - to read stdin."),
    start: str = typer.Option(
        ..., "--start", help="First visit on or after this date (YYYY-MM-DD)."
    ),
    option: PlanOption | None = typer.Option(
        None, "--option", help="Option to plan (default: the recommended one)."
    ),
    ics: str | None = typer.Option(
        None, "--ics", help="Write an iCalendar (.ics) file here (- is stdout, with --out FILE)."
    ),
    avoid: list[str] = typer.Option(
        [], "--avoid", help="Weekdays to avoid, e.g. --avoid sat,sun (repeatable)."
    ),
    closed: list[str] = typer.Option(
        [], "--closed", help="Closed dates YYYY-MM-DD, comma-separated (repeatable)."
    ),
    format: PlanFormat = typer.Option(PlanFormat.text, "--format", help="Output format."),
    out: str | None = typer.Option(
        None, "--out", help="Write the plan here instead of stdout (- is stdout)."
    ),
) -> None:
    """The dated plan of an option: sessions with their windows, results window, follow-up."""
    from regenaid.decide import assess, load_intake_text
    from regenaid.decide.screening import advanced_care
    from regenaid.plan import build_plan, parse_weekday, to_ical

    check_output(ics, "--ics")
    check_output(out)
    if ics == STDOUT and out in (None, STDOUT):
        raise fail("--ics -: stdout already takes the plan; write the plan elsewhere with --out")
    start_date = _parse_date("--start", start)
    closed_dates = [_parse_date("--closed", c) for c in _split(closed)]
    try:
        weekdays = [parse_weekday(d) for d in _split(avoid)]
    except InvalidInputError as exc:
        raise fail(f"--avoid: {exc.message} (allowed: {', '.join(exc.allowed or ())})") from None
    text = read_input(file)
    try:
        intake = load_intake_text(text)
    except InvalidInputError as exc:
        raise fail(f"invalid intake: {exc}") from None
    try:
        kb = _knowledge()
        assessment = assess(intake, kb)
    except KnowledgeError as exc:
        raise fail(f"knowledge base error: {exc}", code=1) from None

    chosen = option.value if option is not None else assessment.recommended
    if chosen is None:
        raise fail(
            "no option is recommended for this intake now (see `regenaid assess`); "
            "choose one with --option"
        )
    found = [o for o in assessment.options if o.treatment == chosen]
    if not found:
        raise fail(f"--option {chosen}: not an option for {intake.condition}")
    assessed = found[0]
    if assessed.eligibility in ("contraindicated", "defer"):
        why = "; ".join(r.text for r in assessed.reasons) or assessed.eligibility
        raise fail(f"--option {chosen}: {assessed.eligibility} for this intake: {why}")
    # usual care for advanced disease has its own schedule (JAK tablets for alopecia areata)
    protocol = kb.protocol(assessed.treatment, intake.condition, advanced_care(kb, intake))
    if protocol is None and assessed.treatment == "no_treatment":
        protocol = _nothing_to_schedule(intake.condition)
    if protocol is None:
        raise fail(f"--option {chosen}: no treatment protocol to schedule for {intake.condition}")
    try:
        plan = build_plan(
            protocol,
            start_date,
            intake.horizon_months,
            avoid_weekdays=weekdays,
            closed_dates=closed_dates,
        )
    except InvalidInputError as exc:
        raise fail(
            f"--avoid: {exc.message}" if exc.field == "avoid_weekdays" else str(exc)
        ) from None
    except (ValueError, OverflowError) as exc:
        raise fail(f"--start: cannot plan from {start_date.isoformat()}: {exc}") from None
    if ics is not None:
        write_output(to_ical(plan), ics, "--ics")
    output = plan_json(plan) if format is PlanFormat.json else plan_text(plan, assessed.name)
    if assessed.eligibility == "caution":
        reasons = "; ".join(r.text for r in assessed.reasons)
        output = f"Caution: {reasons}\n\n{output}" if format is PlanFormat.text else output
    write_output(output, out)
