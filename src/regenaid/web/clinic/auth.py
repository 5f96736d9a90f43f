"""Who is asking: the staff session behind a request, as FastAPI dependencies.

The session cookie is ``HttpOnly; SameSite=Strict; Path=/`` (``Secure`` in production). Every
state-changing request also carries the session's own CSRF token: pages in the form field
``staff_csrf`` (besides the site-wide double-submit token ``csrf_token``), the API in the
header ``X-CSRF-Token``. A request without a valid session gets 401 on the API and a redirect
to the sign-in page for pages; a role without the permission gets 403.
"""

from __future__ import annotations

import hmac
import ipaddress
from datetime import UTC, datetime

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from regenaid.clinic.services import Actor
from regenaid.clinic.staff import SignedIn, resolve_session
from regenaid.store.clinic_uow import SqlClinicUnitOfWork

STAFF_COOKIE = "regenaid_staff"
STAFF_CSRF_FIELD = "staff_csrf"
STAFF_CSRF_HEADER = "x-csrf-token"


def clinic_uow(request: Request) -> SqlClinicUnitOfWork:
    return SqlClinicUnitOfWork(request.app.state.session_factory)


UNKNOWN_CLIENT = "0.0.0.0"  # the "unspecified" address


def client_address(request: Request) -> str:
    """The client's IP address (after the proxy-headers middleware), as the audit trail takes
    it: ``0.0.0.0`` when the peer has none (a Unix socket, a test client)."""
    host = request.client.host if request.client else ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return UNKNOWN_CLIENT


def now() -> datetime:
    return datetime.now(UTC)


def set_staff_cookie(response: object, request: Request, token: str) -> None:
    """Put the session token into the staff cookie (on a Starlette response)."""
    secure = request.app.state.settings.environment == "production"
    response.set_cookie(  # type: ignore[attr-defined]
        STAFF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/"
    )


def clear_staff_cookie(response: object) -> None:
    response.delete_cookie(STAFF_COOKIE, path="/")  # type: ignore[attr-defined]


class NotSignedIn(Exception):
    """No valid staff session: pages redirect to the sign-in page, the API answers 401."""


async def signed_in(request: Request) -> SignedIn:
    """The signed-in staff member (second factor done), or :class:`NotSignedIn`."""
    token = request.cookies.get(STAFF_COOKIE)
    who = await run_in_threadpool(resolve_session, clinic_uow(request), token=token, now=now())
    if who is None:
        raise NotSignedIn()
    request.state.staff = who
    return who


def actor(request: Request, who: SignedIn) -> Actor:
    return Actor(who.ctx, client_address(request), now())


def check_staff_csrf(who: SignedIn, sent: str | None) -> None:
    """403 unless ``sent`` is the session's CSRF token."""
    if not sent or not hmac.compare_digest(sent.encode(), who.session.csrf_token.encode()):
        raise HTTPException(status_code=403, detail="csrf")
