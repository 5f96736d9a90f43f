"""Map bad input to HTTP 422 with the field path, for our errors and FastAPI's alike, and
document every status the API can answer (:data:`ERROR_RESPONSES`).

Body shape (FastAPI's usual ``detail`` list, with ``field`` and ``allowed`` added)::

    {"detail": [{"loc": ["body", "health", "anticoagulant"],
                 "field": "health.anticoagulant",
                 "msg": "input should be a valid boolean, got 'yes'",
                 "type": "invalid_input",
                 "allowed": null}]}

Malformed JSON is a 422 too, whatever is wrong with it: a syntax error, bytes that are not
UTF-8 or nesting deeper than the parser goes (FastAPI answers the last two with a bare 400;
:class:`JsonApiRoute` turns them into the 422 above).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException  # FastAPI raises Starlette's for this
from starlette.formparsers import MultiPartException

from regenaid.decide.intake import parse_intake
from regenaid.errors import InvalidInputError


class InvalidInputDetail(BaseModel):
    """One problem with the request: where it is and what is allowed there."""

    loc: list[str | int]
    field: str
    msg: str
    type: str
    allowed: list[str] | None


class InvalidInput(BaseModel):
    """The 422 body: the first problem found (its message counts any others)."""

    detail: list[InvalidInputDetail]


class HttpError(BaseModel):
    """FastAPI's error body for a status raised as an HTTP exception."""

    detail: str


_PLAIN_TEXT = {"text/plain": {"schema": {"type": "string"}}}


def invalid_input_doc(description: str) -> dict[str, Any]:
    """The OpenAPI entry of a route's 422."""
    return {"model": InvalidInput, "description": description}


# Statuses every API operation may answer besides its own 200 and 422 (OpenAPI ``responses``).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "The Host header is not one of `REGENAID_ALLOWED_HOSTS`.",
        "content": _PLAIN_TEXT,
    },
    413: {
        "description": "Request body over 64 KiB: plain text when `Content-Length` says so, "
        'otherwise `{"detail": "too_large"}` once the body has been read that far.',
        "model": HttpError,
        "content": _PLAIN_TEXT,
    },
    503: {
        "description": "The server has more open connections than it takes (`regenaid serve` "
        "limits them per worker); try again shortly.",
        "content": _PLAIN_TEXT,
    },
}

# Where each kind of request input lives; the rest of ``loc`` is the field path.
_PLACES = ("body", "query", "path", "header", "cookie")


def invalid_input_response(exc: InvalidInputError, place: str = "body") -> JSONResponse:
    """422 naming ``exc.field``; ``loc`` is the place followed by the field's parts."""
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in exc.field.split(".")]
    loc: list[str | int] = [place] if exc.field in ("intake", "body") else [place, *parts]
    detail = {
        "loc": loc,
        "field": exc.field,
        "msg": exc.message,
        "type": "invalid_input",
        "allowed": list(exc.allowed) if exc.allowed else None,
    }
    return JSONResponse(status_code=422, content={"detail": [detail]})


async def _on_invalid_input(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidInputError)
    return invalid_input_response(exc, "query" if request.method == "GET" else "body")


def _generic(first: Mapping[str, Any], count: int) -> InvalidInputError:
    loc = list(first.get("loc", ()))
    inner = loc[1:] if loc and loc[0] in _PLACES else loc
    field = ".".join(str(p) for p in inner) or "body"
    msg = str(first.get("msg", "invalid"))
    if first.get("type") == "json_invalid":
        msg = f"malformed JSON: {first.get('ctx', {}).get('error', msg)}"
    if count > 1:
        msg += f" ({count - 1} more problem{'s' if count > 2 else ''})"
    return InvalidInputError(field, msg)


async def _on_request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    first: Mapping[str, Any] = errors[0] if errors else {"loc": ("body",), "msg": "invalid"}
    loc = list(first.get("loc", ()))
    place = str(loc[0]) if loc and loc[0] in _PLACES else "body"
    if place == "body" and first.get("type") != "json_invalid" and exc.body is not None:
        # The intake's own parser names fields and allowed values the same way as the CLI.
        try:
            parse_intake(exc.body)
        except InvalidInputError as err:
            return invalid_input_response(err, "body")
    return invalid_input_response(_generic(first, len(errors)), place)


def _unparsable(cause: BaseException | None) -> str:
    if isinstance(cause, UnicodeDecodeError):
        return "the body is not UTF-8 text"
    if isinstance(cause, RecursionError):
        return "nested too deeply"
    return "the body could not be read as JSON"


_FASTAPI_BODY_ERROR = "There was an error parsing the body"


class JsonApiRoute(APIRoute):
    """An API route whose unreadable JSON body is a 422 like any other malformed JSON (and
    so is a multipart form that cannot be split into its parts).

    FastAPI answers a body that ``json.loads`` fails on with anything but a JSONDecodeError
    (bytes that are not UTF-8, a RecursionError) with an undocumented 400."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException as exc:
                if exc.status_code == 400 and isinstance(exc.__context__, MultiPartException):
                    # Starlette's 400 for a form it cannot split into parts
                    raise RequestValidationError(
                        [
                            {
                                "type": "multipart_invalid",
                                "loc": ("body",),
                                "msg": f"malformed multipart form: {exc.detail}",
                                "input": {},
                            }
                        ]
                    ) from exc
                if exc.status_code != 400 or exc.detail != _FASTAPI_BODY_ERROR:
                    raise
                error = {
                    "type": "json_invalid",
                    "loc": ("body",),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": _unparsable(exc.__cause__)},
                }
                raise RequestValidationError([error]) from exc

        return handle


def install_error_handlers(app: FastAPI) -> None:
    """Register the 422 handlers on ``app``."""
    app.add_exception_handler(InvalidInputError, _on_invalid_input)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
