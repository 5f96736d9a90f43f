"""The results page and its downloads (PDF, printable report, calendar), all computed from the
answers posted back in hidden fields, so nothing about the person is kept unless they save."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from regenaid.reports.assessment_report import (
    render_assessment_html,
    render_assessment_pdf,
    report_style_hash,
)
from regenaid.reports.assessment_view import AssessmentView, OptionView, build_view
from regenaid.reports.i18n import Catalogue
from regenaid.reports.icon_array import icon_array_svg
from regenaid.reports.outcome_view import outcome_table
from regenaid.reports.timeline_chart import timeline_svg
from regenaid.web import intake_form as form_model
from regenaid.web.chart_link import chart_data, chart_payload, chart_token
from regenaid.web.limits import PDF_GATE, PDF_PROCESSES
from regenaid.web.security import CONTENT_SECURITY_POLICY, verified_form
from regenaid.web.templating import PageCitations, render, strings

router = APIRouter(include_in_schema=False)
SURE_KEYS = ("sure", "understand", "risk_benefit", "encouragement")
# Every option with a dated plan: usual care too (daily care at home with review visits, or a
# course of clinic procedures); "no new treatment" has nothing to schedule.
PLANNABLE = ("prp", "exosome", "combination", "conventional")
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_DAYS = ("mon", "tue", "wed", "thu", "fri")  # no weekend unless the person picks one
MAX_START_DAYS = 366 * 2
# Notices about money are shown where the costs are, not in "In short".
COST_NOTICES = ("prices_converted", "prices_in_usd")


def assess_intake(intake: dict[str, Any]) -> dict[str, Any]:
    """Run the decision core on a validated intake; the assessment's JSON form."""
    from regenaid.decide import assess, parse_intake

    return assess(parse_intake(intake)).model_dump(mode="json")


def same_reasons(view: AssessmentView) -> dict[str, str]:
    """Reasons given word for word for an earlier option ("option/index" -> that option's
    name): the page says "Same reason as for ..." instead of repeating the paragraph."""
    first: dict[str, str] = {}
    same: dict[str, str] = {}
    for option in view.options:
        for i, reason in enumerate(option.reasons):
            text = str(reason.get("text", ""))
            if text in first:
                same[f"{option.id}/{i}"] = first[text]
            else:
                first[text] = option.name
    return same


def summary_notices(view: AssessmentView) -> list[dict[str, Any]]:
    """The notices "In short" shows: money notices go to the costs; what to have checked before
    any treatment (``check_first``: a dark spot that may be melanoma) comes first, then options
    too close to choose by (``close_call``), then "not now, come back when"; notices about an
    option the person cannot have now come last (the first one is shown, the rest are
    folded)."""
    blocked = {f"regulatory_{o.id}" for o in view.options if o.blocked}
    kept = [n for n in view.notices if n.get("code") not in COST_NOTICES]
    return sorted(
        kept,
        key=lambda n: (
            n.get("code") != "check_first",
            n.get("code") != "close_call",
            not str(n.get("code")).startswith("defer_"),
            n.get("code") in blocked,
        ),
    )


def plannable_options(view: AssessmentView) -> list[OptionView]:
    """The options the person may choose now that have a dated plan (calendar download)."""
    return [o for o in view.options if not o.blocked and o.id in PLANNABLE]


def condition_facts(intake: dict[str, Any]) -> Any:
    """The person's condition from the knowledge base (plain description, natural course)."""
    from regenaid.knowledge import load_knowledge

    return load_knowledge().conditions.get(intake.get("condition", ""))


# Grid rows the outcome table above already answers, with the outcome each belongs to: on the
# page they are not repeated; where sources truly conflict on them, the conflict is shown in
# that outcome's cell (the CLI and API grids keep every row).
ROWS_IN_OUTCOME_TABLE = {
    "evidence": "measure",
    "side_effects": "serious_harms",
    "duration": "lasting",
}


def option_grid(intake: dict[str, Any]) -> dict[str, Any]:
    """The Option Grid for the person's condition (and country, for regulatory status)."""
    from regenaid.decide import build_grid
    from regenaid.knowledge import load_knowledge

    grid = build_grid(load_knowledge(), intake["condition"], intake.get("jurisdiction"))
    return grid.model_dump(mode="json")


def page_grid(
    grid: dict[str, Any], view: AssessmentView
) -> tuple[dict[str, Any], dict[tuple[str, str], list[Any]]]:
    """The grid without the rows the outcome table answers, and those rows' conflicts keyed by
    (option, outcome) for the outcome table's cells. The cost row leads with the price in the
    person's currency (the assessment's, converted where needed); the price list as quoted
    stays under "More"."""
    conflicts: dict[tuple[str, str], list[Any]] = {}
    for row in grid["rows"]:
        outcome = ROWS_IN_OUTCOME_TABLE.get(row["id"])
        for cell in row["cells"] if outcome else ():
            if cell["disagreement"]:
                conflicts[(cell["treatment"], outcome)] = cell["disagreement"]
    # the price in the person's currency; who quoted it and when stays under "More"
    prices = {
        o.id: re.sub(r" \([^()]*\)$", "", o.lines["per_session"]) + "."
        for o in view.options
        if o.id != "no_treatment" and o.lines.get("per_session")
    }
    rows = []
    for row in grid["rows"]:
        if row["id"] in ROWS_IN_OUTCOME_TABLE:
            continue
        if row["id"] == "cost":
            cells = [{**c, "lead": prices.get(c["treatment"], c["lead"])} for c in row["cells"]]
            row = {**row, "cells": cells}
        rows.append(row)
    return {**grid, "rows": rows}, conflicts


def chance_pictures(view: AssessmentView, t: Catalogue) -> tuple[list[dict[str, Any]], list[str]]:
    """Icon arrays (same 100-figure denominator for every option) for the chance of staying
    within budget, or for the chance of being cheapest when no budget was given; the other
    chance is listed as text. Only options the person may choose now are shown."""
    open_options = [o for o in view.options if not o.blocked]
    measures = [
        ("probability_within_budget", "results.within_budget_count"),
        ("probability_cheapest", "results.cheapest_count"),
    ]
    if not any(view.percent(o, measures[0][0]) is not None for o in open_options):
        measures.reverse()
    (key, text_key), (other_key, other_text) = measures
    rows = []
    lines = []
    for option in open_options:
        count = view.percent(option, key)
        if count is not None:
            label = t(text_key, count=count)
            svg = icon_array_svg(count, label, uid=f"person-{option.id}")
            rows.append({"option": option, "label": label, "svg": svg})
        other = view.percent(option, other_key)
        if other is not None:
            lines.append(f"{option.name}: {t(other_text, count=other)}")
    return rows, lines


def cost_chart_url(request: Request, view: AssessmentView) -> str | None:
    """Where the page's cost chart image is fetched from (None when there is nothing to draw).
    A saved result draws from the database; an unsaved one from a signed link that carries the
    chart's data (``web.chart_link``), so any worker can draw it."""
    payload = chart_payload(chart_costs(view))
    if not payload:
        return None
    token = request.path_params.get("token")
    if token:
        return f"/r/{token}/cost-chart.svg"
    return f"/charts/cost/{chart_token(payload, request.app.state.settings.secret_key)}.svg"


def chart_costs(view: AssessmentView) -> dict[str, Any]:
    """The cost blocks of the options the person may choose now (what the chart draws)."""
    return {o.id: dict(o.cost) for o in view.options if not o.blocked and o.cost}


def cost_chart_svg(costs: dict[str, Any]) -> str:
    """P's cumulative cost chart (line = expected, band = 95% interval, break-even marks)."""
    from regenaid.reports.cost_charts import cumulative_cost_chart

    return cumulative_cost_chart(costs).svg


def svg_response(svg: str) -> Response:
    """A drawing served as an image document; its own inline styles need their own CSP."""
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={
            "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
            "cache-control": "private, max-age=900",
        },
    )


@router.get("/charts/cost/{token}.svg")
def cost_chart_image(request: Request, token: str) -> Response:
    data = chart_data(token, request.app.state.settings.secret_key)
    if data is None:
        raise HTTPException(status_code=404)
    return svg_response(cost_chart_svg(data))


def results_context(
    request: Request, intake: dict[str, Any], assessment: dict[str, Any]
) -> dict[str, Any]:
    """Everything the results template shows, built from the intake and its assessment."""
    t = strings(request)
    view = build_view(assessment)
    plannable = plannable_options(view)
    icon_rows, chance_lines = chance_pictures(view, t)
    timeline_rows = []
    for option in view.options:
        ttr = option.plan.get("time_to_results_weeks")
        if option.id != "no_treatment" and isinstance(ttr, dict) and "low" in ttr:
            timeline_rows.append((option.name, float(ttr["low"]), float(ttr["high"])))
    grid, conflicts = page_grid(option_grid(intake), view)
    outcomes = outcome_table(view, t)
    for row in outcomes["rows"]:
        for cell in row["cells"]:
            cell["disagreement"] = conflicts.get((row["id"], cell["key"]), [])
    return {
        "refs": PageCitations(),
        "same_reason": same_reasons(view),
        "cost_notices": COST_NOTICES,
        "summary_notices": summary_notices(view),
        "intake": intake,
        "view": view,
        "outcome_table": outcomes,
        "icon_rows": icon_rows,
        "chance_lines": chance_lines,
        "timeline": timeline_svg(timeline_rows, t("results.timeline_heading")),
        "sure_keys": SURE_KEYS,
        "grid": grid,
        "condition": condition_facts(intake),
        "cost_chart_url": cost_chart_url(request, view),
        "plannable": plannable,
        "today": date.today().isoformat(),
        "questions": t.section("results")["questions"],
    }


def render_results(
    request: Request,
    intake: dict[str, Any],
    answers: dict[str, str],
    saved_token: str | None = None,
    assessment: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The results page for ``intake`` (assessed now unless a saved assessment is given)."""
    assessment = assessment if assessment is not None else assess_intake(intake)
    context = results_context(request, intake, assessment)
    context.update({"answers": answers, "hidden": answers, "saved_token": saved_token})
    context.update(extra or {})
    return render(request, "results.html", context)


async def _posted_intake(request: Request) -> tuple[dict[str, Any], dict[str, str]]:
    form = await verified_form(request)
    answers = form_model.answers_from_form(form)
    messages = {k: "invalid" for k in ("required", "whole_number", "number", "age_range")}
    intake, errors = form_model.validate(answers, form_model.STEPS[-1], messages)
    if errors or intake is None:
        raise HTTPException(
            status_code=422, detail="The answers are incomplete; please start again."
        )
    return intake, answers


@router.post("/results/report.pdf")
async def results_pdf(request: Request) -> Response:
    intake, _ = await _posted_intake(request)
    return await run_in_threadpool(lambda: pdf_response(assess_intake(intake)))


@router.post("/results/report", response_class=HTMLResponse)
async def results_report(request: Request) -> Response:
    intake, _ = await _posted_intake(request)
    return await run_in_threadpool(lambda: report_response(assess_intake(intake)))


def render_pdf(assessment: dict[str, Any], choice: dict[str, Any] | None) -> bytes:
    """The report as PDF bytes, made in a render process (``web.limits.PDF_PROCESSES``)."""
    body: bytes = PDF_PROCESSES.run(render_assessment_pdf, assessment, choice=choice)
    return body


def pdf_response(assessment: dict[str, Any], choice: dict[str, Any] | None = None) -> Response:
    """The PDF download (rendered through the PDF gate: 503 + Retry-After when it is full)."""
    with PDF_GATE.slot():
        body = render_pdf(assessment, choice)
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "content-disposition": 'attachment; filename="regenaid-results.pdf"',
            "cache-control": "no-store",
        },
    )


def report_response(assessment: dict[str, Any]) -> Response:
    """The printable page; its one inline stylesheet is allowed by hash, nothing else."""
    policy = CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", f"style-src 'self' {report_style_hash()}"
    )
    return HTMLResponse(
        render_assessment_html(assessment),
        headers={"content-security-policy": policy, "cache-control": "no-store"},
    )


def plan_calendar(
    intake: dict[str, Any], option: str, start: date, days: tuple[str, ...] = DEFAULT_DAYS
) -> bytes:
    """The dated plan of ``option`` as an iCalendar file (P's ``build_plan``/``to_ical``), on
    the weekdays the person picked (``days``; weekdays only by default)."""
    from regenaid.decide import parse_intake
    from regenaid.decide.screening import advanced_care
    from regenaid.knowledge import load_knowledge
    from regenaid.plan import build_plan, to_ical

    kb = load_knowledge()
    # usual care for advanced disease has its own schedule (JAK tablets for alopecia areata)
    advanced = advanced_care(kb, parse_intake(intake))
    protocol = kb.protocol(option, intake["condition"], advanced)  # type: ignore[arg-type]
    if protocol is None:
        raise HTTPException(status_code=404)
    horizon = int((intake.get("budget") or {}).get("horizon_months", 24))
    avoid = [d for d in WEEKDAY_KEYS if d not in days]
    return to_ical(build_plan(protocol, start, horizon, avoid_weekdays=avoid))


def parse_days(values: list[str]) -> tuple[str, ...]:
    """The weekdays the person picked (mon..sun); none picked means weekdays; unknown: 422."""
    if not values:
        return DEFAULT_DAYS
    unknown = [v for v in values if v not in WEEKDAY_KEYS]
    if unknown:
        raise HTTPException(
            status_code=422, detail=f"days: unknown day {unknown[0]!r} (allowed: mon..sun)"
        )
    return tuple(d for d in WEEKDAY_KEYS if d in values)


def parse_start(value: object) -> date:
    """A start date from the form: today..two years ahead; otherwise 422."""
    try:
        start = date.fromisoformat(str(value))
    except ValueError:
        raise HTTPException(status_code=422, detail="Please give a start date.") from None
    today = date.today()
    if start < today - timedelta(days=1):
        raise HTTPException(
            status_code=422,
            detail="start: the first visit cannot be in the past; pick today or later.",
        )
    if start > today + timedelta(days=MAX_START_DAYS):
        raise HTTPException(status_code=422, detail="start: please pick a date within two years.")
    return start


def ics_response(body: bytes, option: str) -> Response:
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="regenaid-{option}-plan.ics"',
            "cache-control": "no-store",
        },
    )


@router.post("/results/plan.ics")
async def results_calendar(request: Request) -> Response:
    intake, _ = await _posted_intake(request)
    form = await request.form()
    option = str(form.get("option", ""))
    days = parse_days([str(v) for v in form.getlist("days")])
    start = parse_start(form.get("start"))

    def calendar() -> Response:
        allowed = {o.id for o in plannable_options(build_view(assess_intake(intake)))}
        if option not in allowed:
            raise HTTPException(status_code=422, detail="That option has no plan for you now.")
        return ics_response(plan_calendar(intake, option, start, days), option)

    return await run_in_threadpool(calendar)
