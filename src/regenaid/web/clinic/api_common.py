"""What every route of the clinic's JSON API shares: who is asking, the CSRF check, the
unit of work, and how the clinic's errors become HTTP answers.

Statuses (each route lists its own in OpenAPI ``responses``):

- 401: no valid staff session (``NotSignedInBody``; raised by :func:`reader`);
- 403: the role may not do this, or a write without the session's ``X-CSRF-Token``;
- 404: no such record *in the signed-in clinic* — another clinic's record gives exactly the
  answer a record that does not exist gives, never 403;
- 409: a rule refuses a well-formed request (:class:`~regenaid.web.clinic.schemas.Refusal`),
  or a record stored meanwhile conflicts with it (``conflict``: a unique key of the store);
- 422: invalid input, ``detail[0].field`` naming the field path (as the rest of the API).

Route handlers are plain ``def`` functions: FastAPI runs them in its thread pool, so the
database and Argon2 never block the event loop.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Mapping
from typing import Annotated, Any, ClassVar

from fastapi import Depends, Header, HTTPException, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyCookie
from sqlalchemy.exc import IntegrityError
from starlette.types import Receive, Scope, Send

from regenaid.clinic.errors import PermissionDeniedError, RecordNotFoundError, RefusedError
from regenaid.clinic.services import Actor
from regenaid.clinic.staff import SignedIn
from regenaid.errors import InvalidInputError
from regenaid.knowledge import KnowledgeBase, load_knowledge
from regenaid.store.clinic_uow import SqlClinicUnitOfWork
from regenaid.store.files import FileDocumentStore
from regenaid.web.api.errors import (
    ERROR_RESPONSES,
    JsonApiRoute,
    invalid_input_doc,
    invalid_input_response,
)
from regenaid.web.clinic.auth import (
    STAFF_COOKIE,
    check_staff_csrf,
    client_address,
    clinic_uow,
    now,
    signed_in,
)
from regenaid.web.clinic.schemas import NotSignedInBody, Problem, Refusal

PREFIX = "/api/v1/clinic"

# --- who is asking --------------------------------------------------------------------------

# Declared as an OpenAPI security scheme so the document says how to authenticate; the check
# itself is :func:`reader`. The CSRF token is a required header of every write (:func:`writer`);
# the route class answers its absence with 403, not 422.
STAFF_SESSION = APIKeyCookie(
    name=STAFF_COOKIE,
    scheme_name="staffSession",
    description="The staff session cookie set by `POST /api/v1/clinic/session` (after the "
    "second factor where one is needed). HttpOnly, SameSite=Strict; 30 minutes idle, 12 hours "
    "at most.",
    auto_error=False,
)
CSRF_HEADER = "X-CSRF-Token"
CsrfToken = Annotated[
    str,
    Header(
        alias=CSRF_HEADER,
        description="The session's `csrf_token` (from `POST /session`, "
        "`POST /session/second-factor` or `GET /me`), required on every POST, PUT, PATCH and "
        "DELETE of a signed-in session; missing or wrong: 403.",
    ),
]


async def reader(
    request: Request, _cookie: Annotated[str | None, Security(STAFF_SESSION)] = None
) -> SignedIn:
    """The signed-in staff member (second factor done), or 401."""
    return await signed_in(request)


async def writer(who: Annotated[SignedIn, Depends(reader)], token: CsrfToken) -> SignedIn:
    """:func:`reader`, plus the session's CSRF token in ``X-CSRF-Token`` (else 403)."""
    check_staff_csrf(who, token)
    return who


Reader = Annotated[SignedIn, Depends(reader)]
Writer = Annotated[SignedIn, Depends(writer)]


def client_of(request: Request) -> str:
    """The client's IP address as the audit trail takes it."""
    return client_address(request)


def actor(request: Request, who: SignedIn) -> Actor:
    return Actor(who.ctx, client_of(request), now())


def uow(request: Request) -> SqlClinicUnitOfWork:
    """A fresh unit of work (each use case opens and commits its own transaction)."""
    return clinic_uow(request)


def documents(request: Request) -> FileDocumentStore:
    """The uploaded documents' folder (photos, certificates), outside the web root."""
    return FileDocumentStore(request.app.state.settings.files_dir)


def knowledge() -> KnowledgeBase:
    return load_knowledge()


# --- errors ---------------------------------------------------------------------------------

_ALLOWED = re.compile(r"'([^']*)'")
_INDEX = re.compile(r"\[(\d+)\]")
_PLACES = ("body", "query", "path", "header", "cookie")


def field_path(name: str) -> str:
    """A rule's field name as a path: ``spins[1].rpm`` -> ``spins.1.rpm``."""
    return _INDEX.sub(r".\1", name)


def refused(
    exc: RefusedError, status: int = 409, fields: Mapping[str, str] | None = None
) -> JSONResponse:
    field = exc.field if exc.field is None or fields is None else fields.get(exc.field, exc.field)
    body = Refusal(code=exc.code, reason=exc.reason, field=field)
    return JSONResponse(body.model_dump(), status_code=status)


def _csrf_missing(exc: RequestValidationError) -> bool:
    return any(
        tuple(error.get("loc", ())) == ("header", CSRF_HEADER) and error.get("type") == "missing"
        for error in exc.errors()
    )


def _validation_422(exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    first: Mapping[str, Any] = errors[0] if errors else {"loc": ("body",), "msg": "invalid"}
    loc = list(first.get("loc", ()))
    place = str(loc[0]) if loc and loc[0] in _PLACES else "body"
    inner = loc[1:] if loc and loc[0] in _PLACES else loc
    field = ".".join(str(part) for part in inner) or "body"
    msg = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    if first.get("type") == "json_invalid":
        msg = f"malformed JSON: {first.get('ctx', {}).get('error', msg)}"
    if len(errors) > 1:
        msg += f" ({len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    allowed = None
    if first.get("type") in ("literal_error", "enum"):
        allowed = _ALLOWED.findall(str(first.get("ctx", {}).get("expected", ""))) or None
    return invalid_input_response(InvalidInputError(field, msg, allowed), place)


class ClinicApiRoute(JsonApiRoute):
    """A clinic API route: the clinic's errors answered with their statuses (module doc), and
    a 405 whose ``Allow`` lists every method of the path (Starlette lists only those of the
    one route it tried, e.g. ``POST`` for ``/session``, which also has ``DELETE``)."""

    _methods_of_path: ClassVar[dict[str, set[str]]] = {}

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self._methods_of_path.setdefault(self.path, set()).update(self.methods or ())

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in (self.methods or ()):
            allowed = ", ".join(sorted(self._methods_of_path[self.path]))
            raise HTTPException(status_code=405, headers={"Allow": allowed})
        await super().handle(scope, receive, send)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                if _csrf_missing(exc):  # a write without the header is refused, not "invalid"
                    raise HTTPException(status_code=403, detail="csrf") from exc
                return _validation_422(exc)
            except InvalidInputError as exc:
                place = "query" if request.method == "GET" else "body"
                named = InvalidInputError(field_path(exc.field), exc.message, exc.allowed)
                return invalid_input_response(named, place)
            except PermissionDeniedError as exc:
                return JSONResponse({"detail": str(exc)}, status_code=403)
            except RecordNotFoundError as exc:
                return JSONResponse(
                    {"detail": f"no {exc.kind} with that id in this clinic"}, status_code=404
                )
            except RefusedError as exc:
                return refused(exc)
            except IntegrityError:  # a race the rules' own checks could not see: not a 500
                return refused(RefusedError("conflict", "conflicts with a record stored meanwhile"))

        return handle


# --- OpenAPI responses ----------------------------------------------------------------------

_DOCS: dict[int, dict[str, Any]] = {
    401: {
        "model": NotSignedInBody,
        "description": "Not signed in: no staff session cookie, or its session expired, was "
        "signed out, or still waits for the second factor.",
    },
    403: {
        "model": Problem,
        "description": "The signed-in role may not do this, or (on a write) the "
        "`X-CSRF-Token` header is missing or wrong (`detail` is `csrf`).",
    },
    404: {
        "model": Problem,
        "description": "No such record in the signed-in clinic (a record of another clinic "
        "gives this same answer).",
    },
    409: {
        "model": Refusal,
        "description": "A rule refuses the request (e.g. `contraindicated`, `consent_missing`, "
        "`lot_expired`, `lot_recalled`, `route_override_needed`); nothing was written.",
    },
    422: invalid_input_doc(
        "Invalid input: `detail[0].field` names the field path and `allowed` lists its values "
        "where finite."
    ),
}


def responses(*statuses: int, **overrides: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route: the app-wide errors, 401 and 422, and
    ``statuses`` (403, 404, 409); ``overrides`` (``r401=...``) replace an entry."""
    out: dict[int | str, dict[str, Any]] = dict(ERROR_RESPONSES)
    for status in (401, 422, *statuses):
        out[status] = _DOCS[status]
    for key, doc in overrides.items():
        out[int(key.removeprefix("r"))] = doc
    return out
