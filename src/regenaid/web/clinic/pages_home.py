"""The clinic's home (the schedule, for every role), staff accounts (admin) and the audit
trail with its verification (admin); the reads are use cases of :mod:`regenaid.clinic.overview`.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from regenaid.clinic.access import ROLE_DESCRIPTIONS, Action, Role
from regenaid.clinic.audit import ChainHead
from regenaid.clinic.overview import clinic_schedule, read_audit
from regenaid.clinic.staff import SignedIn, add_staff, deactivate_staff, staff_list
from regenaid.errors import InvalidInputError
from regenaid.web.clinic import forms
from regenaid.web.clinic.auth import clinic_uow, signed_in
from regenaid.web.clinic.pages_common import (
    ROLE_NAMES,
    ClinicPageRoute,
    actor_of,
    attempt,
    done,
    page,
    staff_form,
    today,
)

router = APIRouter(prefix="/clinic", route_class=ClinicPageRoute, include_in_schema=False)

UPCOMING_DAYS = 14


@router.get("")
def home(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    schedule = clinic_schedule(clinic_uow(request), actor_of(request, who), today(), UPCOMING_DAYS)
    return page(
        request,
        "clinic/home.html",
        {
            "title": "Schedule",
            "schedule": schedule,
            "days": UPCOMING_DAYS,
            "clinical": who.ctx.can(Action.VIEW_CLINICAL),
        },
    )


# --- staff ----------------------------------------------------------------------------------

STAFF_LABELS = {
    "email": "E-mail",
    "display_name": "Name",
    "role": "Role",
    "password": "First password",
}


def _staff_page(
    request: Request,
    who: SignedIn,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    status: int = 200,
    values: dict[str, object] | None = None,
) -> Response:
    accounts = staff_list(clinic_uow(request), actor_of(request, who))
    return page(
        request,
        "clinic/staff.html",
        {
            "title": "Staff",
            "accounts": accounts,
            "roles": [(r.value, f"{ROLE_NAMES[r.value]}: {ROLE_DESCRIPTIONS[r]}") for r in Role],
            "labels": STAFF_LABELS,
            "errors": errors or {},
            "refusal": refusal,
            "values": values or {},
        },
        status_code=status,
    )


@router.get("/staff")
def staff_page(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    return _staff_page(request, who)


@router.post("/staff")
async def staff_add(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    form = await staff_form(request, who)

    def work() -> Response:
        add_staff(
            clinic_uow(request),
            actor_of(request, who),
            email=forms.raw(form, "email").strip()[:254],
            display_name=forms.raw(form, "display_name")[:200],
            role=forms.raw(form, "role"),
            password=forms.raw(form, "password")[:1024],
        )
        return done("/clinic/staff", "staff_added")

    def again(errors: dict[str, str], refusal: str | None, status: int) -> Response:
        values = forms.echo(form, ("email", "display_name", "role"))
        return _staff_page(request, who, errors, refusal, status, values)

    return await run_in_threadpool(attempt, work, again)


@router.post("/staff/{staff_id}/deactivate")
async def staff_deactivate(
    request: Request, staff_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    await staff_form(request, who)

    def work() -> Response:
        deactivate_staff(clinic_uow(request), actor_of(request, who), staff_id)
        return done("/clinic/staff", "staff_deactivated")

    def again(errors: dict[str, str], refusal: str | None, status: int) -> Response:
        return _staff_page(request, who, errors, refusal, status)

    return await run_in_threadpool(attempt, work, again)


# --- audit trail ----------------------------------------------------------------------------


@router.get("/audit")
def audit_page(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    head_text = (request.query_params.get("head") or "").strip()[:200]
    errors: dict[str, str] = {}
    expected = None
    if head_text:
        try:
            expected = ChainHead.parse(head_text)
        except InvalidInputError as err:
            errors["head"] = err.message
    status = 422 if errors else 200
    try:
        view = read_audit(clinic_uow(request), actor_of(request, who), expected)
    except InvalidInputError as err:
        errors[err.field] = err.message
        status = 422
        view = read_audit(clinic_uow(request), actor_of(request, who), None)
    return page(
        request,
        "clinic/audit.html",
        {
            "title": "Audit trail",
            "view": view,
            "errors": errors,
            "values": {"head": head_text},
            "compared": expected is not None,
        },
        status_code=status,
    )
