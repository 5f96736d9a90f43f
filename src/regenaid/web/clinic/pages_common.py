"""What every clinic page shares: the route class that turns the clinic's errors into pages,
rendering with the signed-in staff member, the two CSRF checks of a form, and the 422/409
re-rendering of a form whose input a rule refused.

Errors and their pages:

- :class:`~regenaid.errors.InvalidInputError` — 422, the form again with the message beside
  the field it names (``aria-describedby``, ``aria-invalid``) and an error summary on top;
- :class:`~regenaid.clinic.errors.RefusedError` — 409, the form again with the rule's reason
  in plain words at the top (and beside its field, when it names one);
- :class:`~regenaid.clinic.errors.PermissionDeniedError` — 403 page saying the role may not;
- :class:`~regenaid.clinic.errors.RecordNotFoundError` — 404 (a record of another clinic looks
  the same as one that does not exist).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import HTMLResponse, RedirectResponse

from regenaid.clinic.access import ACTION_DESCRIPTIONS, Action
from regenaid.clinic.errors import PermissionDeniedError, RecordNotFoundError, RefusedError
from regenaid.clinic.services import Actor
from regenaid.clinic.staff import SignedIn
from regenaid.clinic.treatments import Upload
from regenaid.errors import InvalidInputError
from regenaid.knowledge import KnowledgeBase, load_knowledge
from regenaid.store.files import FileDocumentStore
from regenaid.web.clinic.auth import STAFF_CSRF_FIELD, check_staff_csrf, now
from regenaid.web.clinic.auth import actor as make_actor
from regenaid.web.security import verified_form
from regenaid.web.templating import render

ROLE_NAMES = {
    "admin": "Administrator",
    "clinician": "Clinician",
    "nurse": "Nurse",
    "reception": "Reception",
}

# Notes shown after a post/redirect/get: the page reads a fixed key, never echoed text.
NOTICES = {
    "patient_saved": "The patient's details are saved.",
    "health_saved": "The health answers are saved. They are the patient's current answers.",
    "result_attached": "The decision-aid result is attached. Its health answers are now the "
    "patient's current answers.",
    "consent_saved": "The consent is recorded.",
    "consent_withdrawn": "The withdrawal is recorded. The consent is kept, marked withdrawn.",
    "course_started": "The course is planned. Its sessions are listed below.",
    "session_done": "The session is recorded as done.",
    "session_missed": "The session is recorded as missed.",
    "session_moved": "The session is moved.",
    "prp_saved": "The PRP session is recorded. What was derived from it is below.",
    "exosome_saved": "The exosome session is recorded and the lot's stock reduced.",
    "event_saved": "The adverse event is recorded.",
    "staff_added": "The account is created. Give the person their password in person.",
    "staff_deactivated": "The account is deactivated and its sessions ended.",
    "lot_received": "The lot is received into stock.",
    "lot_recalled": "The lot is recalled: it can no longer be used. Contact every patient below.",
    "protocol_saved": "The protocol is saved.",
    "consent_form_saved": "The consent text is saved as a new version.",
}


def plain(number: Decimal | float | int) -> str:
    """A quantity without trailing zeros or exponent (``Decimal("10.000")`` -> ``10``)."""
    value = number if isinstance(number, Decimal) else Decimal(str(number))
    text = format(value.normalize(), "f")
    return text


def kb() -> KnowledgeBase:
    return load_knowledge()


def today() -> date:
    return now().date()


@dataclass(frozen=True, slots=True)
class NavItem:
    href: str
    label: str
    action: Action | None


NAV = (
    NavItem("/clinic", "Schedule", None),
    NavItem("/clinic/patients", "Patients", Action.VIEW_PATIENT_DEMOGRAPHICS),
    NavItem("/clinic/adverse-events", "Adverse events", Action.VIEW_ADVERSE_EVENTS),
    NavItem("/clinic/lots", "Exosome lots", Action.VIEW_LOTS),
    NavItem("/clinic/outcomes/cohort", "Our results", Action.VIEW_OUTCOMES),
    NavItem("/clinic/protocols", "Protocols and consent texts", Action.MANAGE_PROTOCOLS),
    NavItem("/clinic/staff", "Staff", Action.MANAGE_STAFF),
    NavItem("/clinic/audit", "Audit trail", Action.VIEW_AUDIT),
)


def staff_of(request: Request) -> SignedIn | None:
    who = getattr(request.state, "staff", None)
    return who if isinstance(who, SignedIn) else None


def page(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a clinic template with the signed-in staff member, the menu their role may use,
    the session's CSRF token and the note of a post/redirect/get (``?done=<key>``)."""
    who = staff_of(request)
    ctx: dict[str, Any] = {
        "who": who,
        "role_name": ROLE_NAMES.get(str(who.ctx.role), "") if who else "",
        "staff_csrf": who.session.csrf_token if who else "",
        "staff_csrf_field": STAFF_CSRF_FIELD,
        "can": who.ctx.can if who else (lambda _action: False),
        "nav": [i for i in NAV if who and (i.action is None or who.ctx.can(i.action))],
        "current": request.url.path,
        "notice": NOTICES.get(request.query_params.get("done", "")),
        "errors": {},
        "values": {},
        "refusal": None,
        "today": today(),
        "plain": plain,
    }
    ctx.update(context or {})
    response = render(request, name, ctx, status_code=status_code)
    response.headers["cache-control"] = "no-store"
    response.headers["x-robots-tag"] = "noindex"
    return response


def done(url: str, key: str) -> RedirectResponse:
    """Post/redirect/get: back to ``url`` with the note ``key`` (one of :data:`NOTICES`)."""
    sep = "&" if "?" in url else "?"
    anchor = ""
    if "#" in url:
        url, anchor = url.split("#", 1)
        anchor = "#" + anchor
    return RedirectResponse(f"{url}{sep}done={key}{anchor}", status_code=303)


async def staff_form(request: Request, who: SignedIn, max_files: int = 0) -> FormData:
    """The posted form after both checks: the site-wide double-submit token and the staff
    session's own token (403 when either is wrong). ``max_files``: the uploads a multipart
    form may carry (closed again when a check fails); the body's size is bounded by the
    security middleware (``UPLOAD_LIMITS``), each file's by the use case reading it."""
    form = await verified_form(request, max_files)
    sent = form.get(STAFF_CSRF_FIELD)
    try:
        check_staff_csrf(who, sent if isinstance(sent, str) else None)
    except BaseException:
        await form.close()
        raise
    return form


async def uploaded(form: FormData, field: str, limit: int) -> Upload | None:
    """The file sent in ``field``, or None when no file was chosen (a browser then sends an
    empty part without a name). At most one byte more than ``limit`` is read, so the rule
    that checks the file can refuse it by size."""
    part = form.get(field)
    if not isinstance(part, UploadFile):
        return None
    content = await part.read(limit + 1)
    if not content and not part.filename:
        return None
    return Upload(content=content, filename=part.filename)


def documents_of(request: Request) -> FileDocumentStore:
    """The uploaded documents' folder (``REGENAID_FILES_DIR``: certificates, photos), outside
    the web root."""
    return FileDocumentStore(request.app.state.settings.files_dir)


def actor_of(request: Request, who: SignedIn) -> Actor:
    return make_actor(request, who)


def refused(
    err: InvalidInputError | RefusedError,
    again: Callable[[dict[str, str], str | None, int], Response],
    names: Mapping[str, str] | None = None,
) -> Response:
    """The form again: 422 with the field named, or 409 with the rule's reason."""
    rename = dict(names or {})
    if isinstance(err, InvalidInputError):
        message = err.message
        if err.allowed and len(err.allowed) <= 12:
            message += f" (allowed: {', '.join(err.allowed)})"
        return again({rename.get(err.field, err.field): message}, None, 422)
    errors = {rename.get(err.field, err.field): err.reason} if err.field else {}
    return again(errors, err.reason, 409)


def attempt(
    work: Callable[[], Response],
    again: Callable[[dict[str, str], str | None, int], Response],
    names: Mapping[str, str] | None = None,
) -> Response:
    """Run ``work`` (a write ending in a redirect); on a refused input or rule, ``again``."""
    try:
        return work()
    except (InvalidInputError, RefusedError) as err:
        return refused(err, again, names)


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return page(
        request, "clinic/error.html", {"title": title, "message": message}, status_code=status
    )


class ClinicPageRoute(APIRoute):
    """A clinic page route: the clinic's errors that reach it become pages (see the module
    docstring); anything else goes on to the app's handlers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except PermissionDeniedError as err:
                what = ACTION_DESCRIPTIONS.get(Action(err.action), err.action)
                role = ROLE_NAMES.get(err.role, err.role)
                return await run_in_threadpool(
                    error_page,
                    request,
                    403,
                    "Not allowed for your role",
                    f"{role} accounts may not {what}. Ask a colleague whose role may.",
                )
            except RecordNotFoundError:
                return await run_in_threadpool(
                    error_page,
                    request,
                    404,
                    "Not found",
                    "There is no such record in this clinic.",
                )
            except RefusedError as err:
                return await run_in_threadpool(error_page, request, 409, "Not recorded", err.reason)
            except InvalidInputError as err:
                return await run_in_threadpool(
                    error_page, request, 422, "Please check the request", str(err)
                )

        return handle
