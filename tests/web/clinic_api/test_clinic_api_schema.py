"""The clinic API is true to its OpenAPI document when signed in, too.

``tests/web/test_api_schema.py`` fuzzes every operation without a session (401 everywhere
here). This run sends schemathesis' generated requests with a clinician's or an admin's
session and CSRF token, with path ids replaced by real records of the clinic, so requests
get past the 401 and the 404 into the rules: no server error, only documented statuses,
bodies and content types. (Checks that would need the fuzzer to hold the session itself,
such as removing the cookie, are left to the unauthenticated run.)
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from clinic_api_world import World
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi import checks

from regenaid.config import Settings
from regenaid.web.app import create_app
from regenaid.web.clinic.auth import STAFF_COOKIE

EXAMPLES = 15  # per operation; `make fuzz`-style long runs raise it

# Built at collection, as schemathesis makes one test per operation from the schema.
_DB_DIR = tempfile.TemporaryDirectory(prefix="regenaid-clinic-schema-")
APP = create_app(
    Settings(
        environment="test",
        database_url=f"sqlite:///{Path(_DB_DIR.name) / 'clinic.db'}",
        secret_key="test-secret",
        files_dir=Path(_DB_DIR.name) / "files",
    )
)
schema = (
    schemathesis.openapi.from_asgi("/openapi.json", APP)
    .include(path_regex="^/api/v1/clinic/")
    .exclude(path_regex="^/api/v1/clinic/session($|/)")  # signing in: the other run
)
_TURNS = itertools.cycle([True, False])  # admin-only paths: admin and clinician in turn
NOT_WITH_A_FIXED_SESSION = [
    checks.negative_data_rejection,  # "no cookie" is generated, yet the header holds one
    checks.positive_data_acceptance,  # random ids in bodies are "not found" (404)
    checks.ignored_auth,
    checks.missing_required_header,
    checks.use_after_free,
    checks.ensure_resource_availability,
]


@pytest.fixture(scope="module")
def signed_in() -> tuple[World, dict[str, dict[str, str]], dict[str, Callable[[], str]]]:
    world = World(app=APP)
    world.a.seed()
    headers = {}
    for role in ("clinician", "admin"):
        client = world.direct_client(world.a.accounts[role])
        token = client.http.cookies.get(STAFF_COOKIE)
        headers[role] = {"Cookie": f"{STAFF_COOKIE}={token}", "X-CSRF-Token": client.csrf or ""}
    side = world.a
    treatments = itertools.cycle(["prp", "exosome"])
    records: dict[str, Callable[[], str]] = {
        "patient_id": lambda: side.patient().id,
        "session_id": lambda: side.treatment_session(next(treatments)).id,
        "consent_id": side.consent,
        "course_id": lambda: side.course("prp")[0],
        "lot_id": lambda: side.lot().id,
        "staff_id": lambda: side.add_account("nurse").id,
        "photo_id": lambda: side.photo().id,
    }
    return world, headers, records


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_signed_in_answers_conform_to_the_schema(case: Any, signed_in: Any) -> None:
    world, headers, records = signed_in
    world.a.forget_forms()  # the fuzzer may have added newer consent texts
    if case.path_parameters:
        case.path_parameters = {name: records[name]() for name in case.path_parameters}
    admin_only = any(part in case.path for part in ("/staff", "/audit", "/lots"))
    role = "admin" if admin_only and next(_TURNS) else "clinician"
    case.call_and_validate(headers=headers[role], excluded_checks=NOT_WITH_A_FIXED_SESSION)
