"""The results page and its downloads (PDF, printable report, calendar), all computed from the
answers posted back in hidden fields, so nothing about the person is kept unless they save."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from markupsafe import Markup
from starlette.responses import HTMLResponse, Response

from regenaid.reports.assessment_report import (
    render_assessment_html,
    render_assessment_pdf,
    report_style_hash,
)
from regenaid.reports.assessment_view import AssessmentView, build_view
from regenaid.reports.icon_array import icon_array_svg
from regenaid.reports.timeline_chart import timeline_svg
from regenaid.web import intake_form as form_model
from regenaid.web.security import CONTENT_SECURITY_POLICY, verified_form
from regenaid.web.templating import render, svg_image

router = APIRouter(include_in_schema=False)
SURE_KEYS = ("sure", "understand", "risk_benefit", "encouragement")
PLANNABLE = ("prp", "exosome", "combination")
MAX_START_DAYS = 366 * 2


def assess_intake(intake: dict[str, Any]) -> dict[str, Any]:
    """Run the decision core on a validated intake; the assessment's JSON form."""
    from regenaid.decide import assess, parse_intake

    return assess(parse_intake(intake)).model_dump(mode="json")


def option_grid(intake: dict[str, Any]) -> dict[str, Any]:
    """The Option Grid for the person's condition (and country, for regulatory status)."""
    from regenaid.decide import build_grid
    from regenaid.knowledge import load_knowledge

    grid = build_grid(load_knowledge(), intake["condition"], intake.get("jurisdiction"))
    return grid.model_dump(mode="json")


def cost_chart(view: AssessmentView, alt: str) -> Markup | None:
    """P's cumulative cost chart (band = 95% interval, break-even marks) for the options the
    person may choose now."""
    from regenaid.reports.cost_charts import cumulative_cost_chart

    costs = {o.id: o.cost for o in view.options if not o.blocked and o.cost}
    if not any("cumulative_by_month" in c for c in costs.values()):
        return None
    return svg_image(cumulative_cost_chart(costs).svg, alt)


def results_context(
    request: Request, intake: dict[str, Any], assessment: dict[str, Any]
) -> dict[str, Any]:
    """Everything the results template shows, built from the intake and its assessment."""
    t = request.app.state.templates.env.globals["t"]
    view = build_view(assessment)
    plannable = [o for o in view.options if not o.blocked and o.id in PLANNABLE]
    icon_rows = []
    for option in view.options:
        if option.blocked:
            continue
        for key, text_key in (
            ("probability_within_budget", "results.within_budget_count"),
            ("probability_cheapest", "results.cheapest_count"),
        ):
            count = view.percent(option, key)
            if count is not None:
                label = t(text_key, count=count)
                icon_rows.append(
                    {"option": option, "label": label, "svg": icon_array_svg(count, label)}
                )
    timeline_rows = []
    for option in view.options:
        ttr = option.plan.get("time_to_results_weeks")
        if option.id != "no_treatment" and isinstance(ttr, dict) and "low" in ttr:
            timeline_rows.append((option.short, float(ttr["low"]), float(ttr["high"])))
    return {
        "intake": intake,
        "view": view,
        "icon_rows": icon_rows,
        "timeline": timeline_svg(timeline_rows, t("results.timeline_heading")),
        "sure_keys": SURE_KEYS,
        "grid": option_grid(intake),
        "cost_chart": cost_chart(view, t("results.chart_alt")),
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
) -> HTMLResponse:
    """The results page for ``intake`` (assessed now unless a saved assessment is given)."""
    assessment = assessment if assessment is not None else assess_intake(intake)
    context = results_context(request, intake, assessment)
    context.update({"answers": answers, "hidden": answers, "saved_token": saved_token})
    return render(request, "results.html", context)


async def _posted_intake(request: Request) -> tuple[dict[str, Any], dict[str, str]]:
    form = await verified_form(request)
    answers = form_model.answers_from_form(form)
    messages = {k: "invalid" for k in ("required", "whole_number", "number")}
    intake, errors = form_model.validate(answers, form_model.STEPS[-1], messages)
    if errors or intake is None:
        raise HTTPException(
            status_code=422, detail="The answers are incomplete; please start again."
        )
    return intake, answers


@router.post("/results/report.pdf")
async def results_pdf(request: Request) -> Response:
    intake, _ = await _posted_intake(request)
    return pdf_response(assess_intake(intake))


@router.post("/results/report", response_class=HTMLResponse)
async def results_report(request: Request) -> Response:
    intake, _ = await _posted_intake(request)
    return report_response(assess_intake(intake))


def pdf_response(assessment: dict[str, Any]) -> Response:
    return Response(
        render_assessment_pdf(assessment),
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


def plan_calendar(intake: dict[str, Any], option: str, start: date) -> bytes:
    """The dated plan of ``option`` as an iCalendar file (P's ``build_plan``/``to_ical``)."""
    from regenaid.knowledge import load_knowledge
    from regenaid.plan import build_plan, to_ical

    protocol = load_knowledge().protocol(option, intake["condition"])  # type: ignore[arg-type]
    if protocol is None:
        raise HTTPException(status_code=404)
    horizon = int((intake.get("budget") or {}).get("horizon_months", 24))
    return to_ical(build_plan(protocol, start, horizon))


def parse_start(value: object) -> date:
    """A start date from the form: today..two years ahead; otherwise 422."""
    try:
        start = date.fromisoformat(str(value))
    except ValueError:
        raise HTTPException(status_code=422, detail="Please give a start date.") from None
    today = date.today()
    if not today - timedelta(days=1) <= start <= today + timedelta(days=MAX_START_DAYS):
        raise HTTPException(status_code=422, detail="Please pick a start date within two years.")
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
    assessment = build_view(assess_intake(intake))
    allowed = {o.id for o in assessment.options if not o.blocked and o.id in PLANNABLE}
    if option not in allowed:
        raise HTTPException(status_code=422, detail="That option has no plan for you now.")
    return ics_response(plan_calendar(intake, option, parse_start(form.get("start"))), option)
