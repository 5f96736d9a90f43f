"""The JSON API is true to its OpenAPI document (CONTRACT §4).

A bounded schemathesis run (examples, coverage and fuzzing phases; positive and negative data)
sends requests to every ``/api/`` operation and applies every built-in check: no server
errors, only documented statuses, content types, headers and bodies, schema-valid requests
accepted and schema-invalid ones refused. The long run (10,000+ requests against a real
server) is ``make fuzz``. The tests below it pin what the probe of issue 10 found: requests
the schema allows that were refused, and a 400 the schema did not mention.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from api_fuzz_config import CHECKS_CONFIG
from regenaid.config import Settings
from regenaid.web.app import create_app

# Fuzzing examples per operation; the coverage phase adds its own (about 800 for the intake).
IN_SUITE_EXAMPLES = 60

GOOD: dict[str, Any] = {
    "concern": "hair",
    "condition": "androgenetic_alopecia",
    "age": 38,
    "sex": "male",
    "severity": "moderate",
}


# Schemathesis makes one test per operation when the module is collected, so the app (with
# its own SQLite file, removed at exit) is built then; ``from_fixture`` would defer it but
# does not work with pytest 9 (schemathesis 4.32: no ``Function._nodeid``).
_DB_DIR = tempfile.TemporaryDirectory(prefix="regenaid-api-schema-")
APP: FastAPI = create_app(
    Settings(
        environment="test",
        database_url=f"sqlite:///{Path(_DB_DIR.name) / 'api.db'}",
        secret_key="test-secret",
    )
)
# Every built-in check with its defaults but 413 among the rejections (api_fuzz_config).
_CONFIG = SchemathesisConfig.from_dict({"checks": CHECKS_CONFIG})
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=_CONFIG).include(
    path_regex="^/api/"
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(APP) as test_client:
        yield test_client


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=IN_SUITE_EXAMPLES,
    deadline=None,  # an assessment takes tens of milliseconds; a loaded CI box is slower
    suppress_health_check=[HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case: Any) -> None:
    case.call_and_validate()  # every built-in check (see _CONFIG for the one setting)


# --- what the probe found ----------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"severity": None, "scale": {"name": "norwood", "grade": "III"}},  # null severity
        {"severity": "mild", "scale": None},
        {"age": 55.0, "duration_months": 12.0, "priorities": {"cost": 4.0}},  # whole numbers
        {"budget": {"amount": 900, "currency": "EUR", "horizon_months": 12.0}},
        {"severity": None, "scale": {"name": "sinclair", "grade": 3}},  # YAML-style grade
        {"severity": None, "scale": {"name": "ludwig", "grade": " ii\n"}},  # pattern allows
        {"concern": "skin", "condition": "acne_scars", "scale": None},
    ],
)
def test_schema_valid_intakes_are_accepted(client: TestClient, changes: dict[str, Any]) -> None:
    response = client.post("/api/v1/assessments", json={**GOOD, **changes})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"concern": "skin"}, "condition"),  # a hair condition; the schema's oneOf says so
        (
            {"concern": "skin", "condition": "scars", "scale": {"name": "norwood", "grade": "I"}},
            "scale",
        ),
        ({"severity": None}, "severity"),
        ({"severity": None, "scale": {"name": "norwood", "grade": 3}}, "scale.grade"),
        ({"age": 55.5}, "age"),
        ({"age": "55"}, "age"),
    ],
)
def test_schema_invalid_intakes_are_refused(
    client: TestClient, changes: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/assessments", json={**GOOD, **changes})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == field


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"concern": "hair",', "malformed JSON"),
        (b'{"concern": "\xff"}', "not UTF-8"),
        (b"[" * 30_000 + b"]" * 30_000, "nested too deeply"),
    ],
)
def test_unreadable_json_is_the_documented_422(
    client: TestClient, body: bytes, message: str
) -> None:
    response = client.post(
        "/api/v1/assessments", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"][0] == "body"
    assert message in detail["msg"]


def test_every_status_the_api_gives_is_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, method in (("/api/v1/assessments", "post"), ("/api/v1/compare", "get")):
        responses = spec["paths"][path][method]["responses"]
        assert set(responses) == {"200", "400", "413", "422", "503"}, path
        assert responses["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
            "/InvalidInput"
        )
        assert set(responses["413"]["content"]) == {"application/json", "text/plain"}


def test_too_large_and_unknown_host_answer_as_documented(client: TestClient) -> None:
    big = client.post(
        "/api/v1/assessments",
        content=b" " * (64 * 1024 + 1),
        headers={"content-type": "application/json"},
    )
    assert big.status_code == 413
    assert big.headers["content-type"].startswith("text/plain")
    host = client.get("/api/v1/compare", headers={"host": "attacker.example"})
    assert host.status_code == 400
    assert host.headers["content-type"].startswith("text/plain")


def test_compare_parameters_are_enums(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    params = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/compare"]["get"]["parameters"]}
    assert "acne_scars" in params["condition"]["enum"]
    assert "GB" in params["jurisdiction"]["enum"]
