"""Saved results: an unguessable link (no account) that the person can open, share and delete.

The link's secret is the only key; the database keeps only its hash and no name or contact
details (the intake has none). Unknown, malformed and deleted links all give the same 404.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from regenaid.reports.assessment_report import (
    render_assessment_html,
    report_style_hash,
)
from regenaid.reports.assessment_view import build_view
from regenaid.store import (
    SqlUnitOfWork,
    delete_result,
    load_result,
    save_result,
    update_choice,
)
from regenaid.store.records import SavedResult
from regenaid.web.choice_form import choice_from_form, leaning_options
from regenaid.web.pages.results import (
    _posted_intake,
    assess_intake,
    chart_costs,
    cost_chart_svg,
    ics_response,
    parse_days,
    parse_start,
    pdf_response,
    plan_calendar,
    plannable_options,
    render_results,
    svg_response,
)
from regenaid.web.security import CONTENT_SECURITY_POLICY, verified_form
from regenaid.web.templating import render

router = APIRouter(include_in_schema=False)


def _uow(request: Request) -> SqlUnitOfWork:
    return SqlUnitOfWork(request.app.state.session_factory)


def _load(request: Request, token: str) -> SavedResult:
    saved = load_result(_uow(request), token)
    if saved is None:
        raise HTTPException(status_code=404)
    return saved


@router.post("/saved")
async def save(request: Request) -> Response:
    """Save the posted answers' result, with the person's choice when the choice form
    (``_choice.html``) sent one; redirect to its private link."""
    intake, _ = await _posted_intake(request)
    form = await request.form()

    def store() -> str:
        assessment = assess_intake(intake)
        choice = choice_from_form(form, leaning_options(build_view(assessment)))
        return save_result(_uow(request), intake, assessment, choice=choice)

    token = await run_in_threadpool(store)
    return RedirectResponse(f"/r/{token}", status_code=303)


@router.get("/r/{token}", response_class=HTMLResponse)
def saved_page(request: Request, token: str) -> HTMLResponse:
    saved = _load(request, token)
    response = render_results(
        request,
        saved.intake,
        {},
        saved_token=token,
        assessment=saved.assessment,
        extra={"saved_until": saved.expires_at.strftime("%d %B %Y"), "choice": saved.choice},
    )
    response.headers["cache-control"] = "no-store"
    response.headers["x-robots-tag"] = "noindex"
    return response


@router.post("/r/{token}/choice")
async def save_choice(request: Request, token: str) -> Response:
    """Replace the saved choice (leaning + SURE answers) and go back to the saved page."""
    form = await verified_form(request)

    def store() -> bool:
        saved = _load(request, token)
        choice = choice_from_form(form, leaning_options(build_view(saved.assessment)))
        return update_choice(_uow(request), token, choice)

    if not await run_in_threadpool(store):
        raise HTTPException(status_code=404)
    return RedirectResponse(f"/r/{token}#choice", status_code=303)


@router.get("/r/{token}/report.pdf")
def saved_pdf(request: Request, token: str) -> Response:
    """The PDF of a saved result, with the choice saved with it (the same headers as the PDF
    of an unsaved result, ``results.pdf_response``)."""
    saved = _load(request, token)
    return pdf_response(saved.assessment, choice=saved.choice)


@router.get("/r/{token}/report", response_class=HTMLResponse)
def saved_report(request: Request, token: str) -> Response:
    """The printable page of a saved result, with its choice; its one inline stylesheet is
    allowed by hash (as ``results.report_response``)."""
    saved = _load(request, token)
    policy = CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", f"style-src 'self' {report_style_hash()}"
    )
    return HTMLResponse(
        render_assessment_html(saved.assessment, choice=saved.choice),
        headers={"content-security-policy": policy, "cache-control": "no-store"},
    )


@router.post("/r/{token}/delete", response_class=HTMLResponse)
async def delete(request: Request, token: str) -> Response:
    """Delete after a confirmation: the first post shows what will be removed and asks again
    (``confirm=yes`` deletes); nothing is removed by one stray click."""
    form = await verified_form(request)
    if form.get("confirm") != "yes":
        await run_in_threadpool(_load, request, token)  # 404 for an unknown link before asking
        return render(request, "delete_confirm.html", {"saved_token": token})
    if not await run_in_threadpool(delete_result, _uow(request), token):
        raise HTTPException(status_code=404)
    return render(request, "deleted.html")


@router.get("/r/{token}/plan.ics")
def saved_calendar(request: Request, token: str, option: str, start: str) -> Response:
    saved = _load(request, token)
    allowed = {o.id for o in plannable_options(build_view(saved.assessment))}
    if option not in allowed:
        raise HTTPException(status_code=404)
    days = parse_days(request.query_params.getlist("days"))
    return ics_response(plan_calendar(saved.intake, option, parse_start(start), days), option)


@router.get("/r/{token}/cost-chart.svg")
def saved_cost_chart(request: Request, token: str) -> Response:
    return svg_response(cost_chart_svg(chart_costs(build_view(_load(request, token).assessment))))
