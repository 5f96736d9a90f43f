"""Map bad input to HTTP 422 with the field path, for our errors and FastAPI's alike.

Body shape (FastAPI's usual ``detail`` list, with ``field`` and ``allowed`` added)::

    {"detail": [{"loc": ["body", "health", "anticoagulant"],
                 "field": "health.anticoagulant",
                 "msg": "input should be a valid boolean, got 'yes'",
                 "type": "invalid_input",
                 "allowed": null}]}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from regenaid.decide.intake import parse_intake
from regenaid.errors import InvalidInputError

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


def install_error_handlers(app: FastAPI) -> None:
    """Register the 422 handlers on ``app``."""
    app.add_exception_handler(InvalidInputError, _on_invalid_input)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
