"""The intake wizard: one step per page, answers carried in hidden fields (no account, no
server-side state), errors shown beside their field, Back and Next keep every answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, Response

from regenaid.decide.intake import HEALTH_FLAGS, PRIORITY_NAMES
from regenaid.knowledge import load_knowledge
from regenaid.knowledge.model import CONDITIONS_BY_CONCERN
from regenaid.web import intake_form as form_model
from regenaid.web.intake_form import STEP_FIELDS, STEPS, FieldError
from regenaid.web.pages.results import render_results
from regenaid.web.security import verified_form
from regenaid.web.templating import render, strings

router = APIRouter(include_in_schema=False)


def _messages(request: Request) -> dict[str, str]:
    t = strings(request)
    return {k: t(f"intake.{k}") for k in ("required", "whole_number", "number", "age_range")}


FIELD_LABELS = {
    "concern": "intake.concern_legend",
    "condition": "intake.condition_legend",
    "age": "intake.age",
    "sex": "intake.sex",
    "severity": "intake.severity_legend",
    "scale": "intake.scale_legend",
    "duration_months": "intake.duration",
    "budget.amount": "intake.budget_amount",
    "budget.currency": "intake.budget_currency",
    "budget.horizon_months": "intake.budget_horizon",
    "jurisdiction": "intake.jurisdiction",
}


def field_label(field: str, t: Any) -> str:
    """The question a form field belongs to, for the error summary."""
    if field in FIELD_LABELS:
        return str(t(FIELD_LABELS[field]))
    group, _, name = field.partition(".")
    key = {
        "health": "intake.health_flags.",
        "prior": "intake.prior_treatments.",
        "priorities": "intake.priorities.",
    }.get(group)
    return str(t(key + name)) if key and t.has(key + name) else field


def render_step(
    request: Request,
    step: str,
    answers: dict[str, str],
    errors: list[FieldError] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render one wizard step; the other steps' answers go into hidden fields."""
    kb = load_knowledge()
    concern = answers.get("concern", "hair")
    conditions = [
        kb.conditions[c] for c in CONDITIONS_BY_CONCERN.get(concern, ()) if c in kb.conditions
    ]
    own = set(STEP_FIELDS[step])
    context: dict[str, Any] = {
        "step": step,
        "step_number": STEPS.index(step) + 1,
        "steps": STEPS,
        "answers": answers,
        "hidden": {k: v for k, v in sorted(answers.items()) if k not in own},
        "errors": {e.field: e.message for e in errors or []},
        "error_labels": {e.field: field_label(e.field, strings(request)) for e in errors or []},
        "conditions": conditions,
        "health_flags": HEALTH_FLAGS,
        "priority_names": PRIORITY_NAMES,
        "prior_treatments": form_model.PRIOR_TREATMENTS,
        "responses": form_model.RESPONSES,
        "currencies": form_model.CURRENCIES,
        "jurisdictions": form_model.JURISDICTIONS,
        "scales": form_model.SCALES,
    }
    return render(request, "intake.html", context, status_code=status_code)


@router.get("/intake", response_class=HTMLResponse)
def intake_start(request: Request) -> HTMLResponse:
    return render_step(request, STEPS[0], {})


@router.post("/intake", response_class=HTMLResponse)
async def intake_step(request: Request) -> Response:
    """Move between steps. ``go`` is ``next``, ``back``, ``finish`` or ``edit``."""
    form = await verified_form(request)
    # validating, assessing and rendering are CPU work: off the event loop
    return await run_in_threadpool(_step, request, form)


def _step(request: Request, form: FormData) -> Response:
    answers = form_model.answers_from_form(form)
    current = str(form.get("step", STEPS[0]))
    if current not in STEPS:
        current = STEPS[0]
    go = str(form.get("go", "next"))
    index = STEPS.index(current)
    if go == "edit":
        return render_step(request, STEPS[0], answers)
    if go == "back":
        return render_step(request, STEPS[max(0, index - 1)], answers)
    last = index == len(STEPS) - 1 or go == "finish"
    target = STEPS[-1] if last else current
    intake, errors = form_model.validate(answers, target, _messages(request))
    if errors:
        step = form_model.first_step_with_error(errors)
        return render_step(request, step, answers, errors, status_code=422)
    if last and intake is not None:
        return render_results(request, intake, answers)
    return render_step(request, STEPS[index + 1], answers)
