"""``POST /api/v1/assessments``: an intake in (CONTRACT §1), an assessment out (§2).

Assessments are large JSON documents (about 70 KB: every option with its evidence, claims and
costs). When the client accepts gzip, the route compresses the answer itself with ISA-L
(``isal``, level 1): about 3.8 times smaller, in a fifth of the time zlib takes at its fastest
level (0.1 ms against 0.55 ms for 70 KB), and a little smaller than zlib's level 1. Pages are
compressed by the app's GZip middleware; the API is not (``PageGZipMiddleware``).

The assessment is CPU work under the interpreter lock, so each worker process computes them in
one thread of its own (``ASSESSOR``), off the event loop, one after another: several threads
would not run them any faster, and each time one released the lock (the compression does) it
waited for another thread's whole assessment before going on. Measured in the server with 4
clients (2026-11-30): the compression's wait fell from 2.3 ms to 1.3 ms and the server's CPU
per seen intake from 4.35 to 4.00 ms.

A body sent as ``application/json`` is read by pydantic's own JSON parser in that thread too
(:class:`AssessmentRoute`): FastAPI would parse it with ``json`` and validate the objects on the
event loop, work the loop then cannot give to other requests. Anything that path does not
accept (not valid, or not plain JSON) goes the usual FastAPI way, which answers it exactly as
before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter, Request, Response
from isal import igzip
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from regenaid.decide import Assessment, Intake
from regenaid.decide.assessment import assessment_json
from regenaid.web.api.errors import ERROR_RESPONSES, JsonApiRoute, invalid_input_doc


class AssessmentRoute(JsonApiRoute):
    """The assessment's route: a JSON body is parsed, validated and assessed in ``ASSESSOR``
    (module docstring); whatever that cannot take is answered by FastAPI's usual handling."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        usual = super().get_route_handler()

        async def handle(request: Request) -> Response:
            if request.headers.get("content-type", "").lower() != JSON:
                return await usual(request)
            try:
                body = await request.body()
            except HTTPException:  # too large: answered as FastAPI would
                raise
            except Exception:  # (the client went away) FastAPI's answer for a broken body
                return await usual(request)
            gzip = accepts_gzip(request.headers.get("accept-encoding", ""))
            loop = asyncio.get_running_loop()
            answer = await loop.run_in_executor(ASSESSOR, _answer_body, body, gzip)
            return answer if answer is not None else await usual(request)

        return handle


JSON = "application/json"

router = APIRouter(prefix="/api/v1", tags=["assessments"], route_class=AssessmentRoute)

GZIP_LEVEL = 1  # ISA-L's levels are 0-3
GZIP_MINIMUM_BYTES = 1024


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an ``Accept-Encoding`` header allows gzip (RFC 9110 §12.5.3: q=0 means "not
    acceptable"; ``*`` stands for any coding not listed)."""
    weights: dict[str, float] = {}
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        coding = coding.strip().lower()
        if not coding:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[coding] = q
    if "gzip" in weights:
        return weights["gzip"] > 0
    if "x-gzip" in weights:
        return weights["x-gzip"] > 0
    return weights.get("*", 0.0) > 0


@router.post(
    "/assessments",
    response_model=Assessment,
    summary="Assess an intake",
    responses={
        **ERROR_RESPONSES,
        422: invalid_input_doc(
            "Invalid intake, or a body that is not JSON (malformed, not UTF-8, not an object); "
            "`detail[0].field` names the field and `allowed` lists its values where finite."
        ),
    },
)
async def create_assessment(intake: Intake, request: Request) -> Response:
    """Screen, rank and explain every option of the intake's condition.

    The assessment is computed, not stored. Invalid input gives 422 naming the field.
    """
    gzip = accepts_gzip(request.headers.get("accept-encoding", ""))
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(ASSESSOR, _answer, intake, gzip)


# The one thread of this worker process that computes assessments (module docstring).
ASSESSOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="regenaid-assess")


def _answer_body(body: bytes, gzip: bool) -> Response | None:
    """The answer for a JSON body that is a valid intake; None for any other body (FastAPI's
    handling then answers it, its 422 naming the field)."""
    try:
        intake = Intake.model_validate_json(body)
    except (ValidationError, ValueError, RecursionError):
        return None
    return _answer(intake, gzip)


def _answer(intake: Intake, gzip: bool) -> Response:
    # The assessment's JSON (assess(intake).model_dump_json(), the same bytes), written without
    # building the model and with the parts that do not depend on the person written once;
    # no response re-validation.
    body = assessment_json(intake)
    if len(body) >= GZIP_MINIMUM_BYTES and gzip:
        return Response(
            content=igzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0),
            media_type="application/json",
            headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )
    return Response(
        content=body, media_type="application/json", headers={"Vary": "Accept-Encoding"}
    )
