"""Signing in and out: e-mail and password, then the authenticator code where one is needed
(admins set theirs up at their first sign-in: the page shows the secret as text, its
``otpauth://`` link and a QR code of it).

Unknown e-mail and wrong password get the same message (401); too many failures get the
throttle's message with the wait (429). A wrong code is 401 with the message beside the field.
"""

from __future__ import annotations

import base64

import segno
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse

from regenaid.clinic.accounts import new_totp_secret, totp_uri
from regenaid.clinic.errors import RefusedError
from regenaid.clinic.staff import SignedIn, resolve_session, second_factor, sign_in, sign_out
from regenaid.web.clinic import forms
from regenaid.web.clinic.auth import (
    STAFF_COOKIE,
    STAFF_CSRF_FIELD,
    check_staff_csrf,
    clear_staff_cookie,
    client_address,
    clinic_uow,
    now,
    set_staff_cookie,
)
from regenaid.web.clinic.pages_common import ClinicPageRoute, page
from regenaid.web.security import verified_form

router = APIRouter(prefix="/clinic", route_class=ClinicPageRoute, include_in_schema=False)


def _session(request: Request, *, allow_pending: bool) -> SignedIn | None:
    return resolve_session(
        clinic_uow(request),
        token=request.cookies.get(STAFF_COOKIE),
        now=now(),
        allow_pending=allow_pending,
    )


def _sign_in_page(
    request: Request, email: str = "", message: str | None = None, status: int = 200
) -> Response:
    response = page(
        request,
        "clinic/sign_in.html",
        {"title": "Sign in", "email": email, "message": message},
        status_code=status,
    )
    return response


@router.get("/sign-in")
def sign_in_page(request: Request) -> Response:
    if _session(request, allow_pending=False) is not None:
        return RedirectResponse("/clinic", status_code=303)
    return _sign_in_page(request)


@router.post("/sign-in")
async def sign_in_post(request: Request) -> Response:
    form = await verified_form(request)
    email = forms.raw(form, "email").strip()[:254]
    password = forms.raw(form, "password")[:1024]

    def work() -> Response:
        try:
            started = sign_in(
                clinic_uow(request),
                email=email,
                password=password,
                client=client_address(request),
                now=now(),
            )
        except RefusedError as err:
            status = 429 if err.code == "throttled" else 401
            return _sign_in_page(request, email, err.reason, status)
        target = "/clinic/second-factor" if started.needs_second_factor else "/clinic"
        response = RedirectResponse(target, status_code=303)
        set_staff_cookie(response, request, started.token)
        return response

    return await run_in_threadpool(work)


def _qr_image(uri: str) -> str:
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _second_factor_page(
    request: Request,
    who: SignedIn,
    *,
    secret: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    enrol = who.account.totp_secret is None
    context: dict[str, object] = {
        "title": "Authenticator code",
        "pending": who,
        "pending_csrf": who.session.csrf_token,
        "enrol": enrol,
        "errors": {"totp_code": error} if error else {},
    }
    if enrol:
        secret = secret or new_totp_secret()
        uri = totp_uri(secret, who.account.email)
        context.update(
            secret=secret,
            secret_groups=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            uri=uri,
            qr=_qr_image(uri),
        )
    return page(request, "clinic/second_factor.html", context, status_code=status)


@router.get("/second-factor")
def second_factor_page(request: Request) -> Response:
    who = _session(request, allow_pending=True)
    if who is None:
        return RedirectResponse("/clinic/sign-in", status_code=303)
    if who.session.second_factor_done:
        return RedirectResponse("/clinic", status_code=303)
    return _second_factor_page(request, who)


@router.post("/second-factor")
async def second_factor_post(request: Request) -> Response:
    form: FormData = await verified_form(request)

    def work() -> Response:
        who = _session(request, allow_pending=True)
        if who is None:
            return RedirectResponse("/clinic/sign-in", status_code=303)
        sent = form.get(STAFF_CSRF_FIELD)
        check_staff_csrf(who, sent if isinstance(sent, str) else None)
        if who.session.second_factor_done:
            return RedirectResponse("/clinic", status_code=303)
        code = forms.raw(form, "totp_code").strip()[:20]
        secret = forms.raw(form, "new_secret").strip()[:128] or None
        try:
            finished = second_factor(
                clinic_uow(request),
                token=request.cookies.get(STAFF_COOKIE, ""),
                code=code,
                client=client_address(request),
                now=now(),
                new_secret=secret if who.account.totp_secret is None else None,
            )
        except RefusedError as err:
            if err.code == "session_expired":
                return _sign_in_page(request, "", err.reason, 401)
            return _second_factor_page(
                request, who, secret=secret, error="That code was not accepted.", status=401
            )
        response = RedirectResponse("/clinic", status_code=303)
        set_staff_cookie(response, request, finished.token)
        return response

    return await run_in_threadpool(work)


@router.post("/sign-out")
async def sign_out_post(request: Request) -> Response:
    form = await verified_form(request)

    def work() -> Response:
        who = _session(request, allow_pending=True)
        token = request.cookies.get(STAFF_COOKIE)
        if who is not None and token:
            sent = form.get(STAFF_CSRF_FIELD)
            check_staff_csrf(who, sent if isinstance(sent, str) else None)
            sign_out(clinic_uow(request), token=token, client=client_address(request), now=now())
        response = RedirectResponse("/clinic/sign-in", status_code=303)
        clear_staff_cookie(response)
        return response

    return await run_in_threadpool(work)
