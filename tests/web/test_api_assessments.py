"""JSON API: POST /api/v1/assessments and GET /api/v1/compare (CONTRACT §4)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from regenaid.config import Settings
from regenaid.web.app import create_app

GOOD: dict[str, Any] = {
    "concern": "hair",
    "condition": "androgenetic_alopecia",
    "age": 38,
    "sex": "male",
    "scale": {"name": "norwood", "grade": "III"},
    "health": {"anticoagulant": True},
    "priorities": {"cost": 4},
    "jurisdiction": "US",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = Path(tmp_path_factory.mktemp("api")) / "api.db"
    settings = Settings(environment="test", database_url=f"sqlite:///{db}")
    with TestClient(create_app(settings)) as c:
        yield c


def test_good_intake_gives_assessment(client: TestClient) -> None:
    response = client.post("/api/v1/assessments", json=GOOD)
    assert response.status_code == 200
    body = response.json()
    assert body["contract"] == "regenaid.assessment/1"
    by_id = {o["treatment"]: o for o in body["options"]}
    assert by_id["prp"]["eligibility"] == "contraindicated"
    assert by_id["prp"]["rank"] is None
    assert body["recommended"] not in ("prp", "combination")
    assert body["severity"] == "moderate"


def test_same_intake_same_answer(client: TestClient) -> None:
    first = client.post("/api/v1/assessments", json=GOOD).content
    assert client.post("/api/v1/assessments", json=GOOD).content == first


def test_the_answer_is_the_assessment_model_as_json(client: TestClient) -> None:
    """The route writes the JSON without building the model (assessment_json): the same bytes
    as the model's, for intakes with and without a budget."""
    from regenaid.decide import assess, parse_intake

    for extra in ({}, {"budget": {"amount": 2500, "currency": "GBP", "horizon_months": 12}}):
        body = {**GOOD, **extra}
        answer = client.post("/api/v1/assessments", json=body)
        assert answer.status_code == 200
        assert answer.content == assess(parse_intake(body)).model_dump_json().encode()


def _detail(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and len(detail) == 1
    return detail[0]


@pytest.mark.parametrize(
    ("changes", "field", "loc"),
    [
        ({"favourite_colour": "blue"}, "favourite_colour", ["body", "favourite_colour"]),
        ({"age": 12}, "age", ["body", "age"]),
        ({"priorities": {"cost": 9}}, "priorities.cost", ["body", "priorities", "cost"]),
        (
            {"health": {"anticoagulant": "yes"}},
            "health.anticoagulant",
            ["body", "health", "anticoagulant"],
        ),
        ({"concern": "skin"}, "condition", ["body", "condition"]),
        ({"jurisdiction": "ZZ"}, "jurisdiction", ["body", "jurisdiction"]),
        (
            {"prior_treatments": [{"treatment": "prp", "response": "meh"}]},
            "prior_treatments.0.response",
            ["body", "prior_treatments", 0, "response"],
        ),
    ],
)
def test_bad_intake_is_422_naming_the_field(
    client: TestClient, changes: dict[str, Any], field: str, loc: list[Any]
) -> None:
    detail = _detail(client.post("/api/v1/assessments", json={**GOOD, **changes}))
    assert detail["field"] == field
    assert detail["loc"] == loc
    assert detail["msg"]


def test_wrong_concern_lists_allowed_conditions(client: TestClient) -> None:
    detail = _detail(client.post("/api/v1/assessments", json={**GOOD, "concern": "skin"}))
    assert "acne_scars" in detail["allowed"]


def test_missing_severity_and_scale(client: TestClient) -> None:
    data = {k: v for k, v in GOOD.items() if k != "scale"}
    detail = _detail(client.post("/api/v1/assessments", json=data))
    assert detail["field"] == "severity"
    assert detail["allowed"] == ["mild", "moderate", "advanced"]


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/api/v1/assessments",
        content=b'{"concern": "hair",',
        headers={"content-type": "application/json"},
    )
    detail = _detail(response)
    assert detail["loc"][0] == "body"
    assert "JSON" in detail["msg"]


def test_body_not_an_object_is_422(client: TestClient) -> None:
    detail = _detail(client.post("/api/v1/assessments", json=[1, 2]))
    assert detail["loc"][0] == "body"


def test_compare_returns_grid(client: TestClient) -> None:
    response = client.get(
        "/api/v1/compare", params={"condition": "acne_scars", "jurisdiction": "US"}
    )
    assert response.status_code == 200
    grid = response.json()
    assert grid["condition"] == "acne_scars"
    ids = [r["id"] for r in grid["rows"]]
    for required in (
        "material",
        "procedure",
        "sessions",
        "time_to_results",
        "duration",
        "side_effects",
        "cost",
        "evidence",
        "regulatory",
    ):
        assert required in ids
    options = [o["treatment"] for o in grid["options"]]
    assert "conventional" in options and "no_treatment" in options
    for row in grid["rows"]:
        assert [c["treatment"] for c in row["cells"]] == options


def test_compare_unknown_condition_names_allowed(client: TestClient) -> None:
    detail = _detail(client.get("/api/v1/compare", params={"condition": "baldness"}))
    assert detail["field"] == "condition"
    assert detail["loc"] == ["query", "condition"]
    assert "androgenetic_alopecia" in detail["allowed"]


def test_compare_bad_jurisdiction(client: TestClient) -> None:
    detail = _detail(client.get("/api/v1/compare", params={"jurisdiction": "usa"}))
    assert detail["field"] == "jurisdiction"


def test_openapi_lists_both_routes_with_separate_schemas(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/api/v1/assessments"]["post"]
    request_ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    response_ref = post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert request_ref.endswith("/Intake") and response_ref.endswith("/Assessment")
    assert "/api/v1/compare" in spec["paths"]
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize(
    ("header", "compressed"),
    [
        ("gzip, deflate", True),
        ("br;q=1.0, gzip;q=0.5", True),
        ("*", True),
        ("identity", False),
        ("*;q=0", False),
        ("", False),
    ],
)
def test_assessment_compression_follows_accept_encoding(
    client: TestClient, header: str, compressed: bool
) -> None:
    response = client.post("/api/v1/assessments", json=GOOD, headers={"accept-encoding": header})
    assert response.status_code == 200
    assert (response.headers.get("content-encoding") == "gzip") is compressed
    assert response.json()["contract"] == "regenaid.assessment/1"  # httpx decodes gzip


def test_compressed_and_plain_answers_are_the_same(client: TestClient) -> None:
    plain = client.post("/api/v1/assessments", json=GOOD, headers={"accept-encoding": "identity"})
    packed = client.post("/api/v1/assessments", json=GOOD, headers={"accept-encoding": "gzip"})
    assert plain.content == packed.content  # .content is decoded


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("GZIP", True),
        ("x-gzip", True),
        ("deflate, gzip;q=0.1", True),
        ("gzip;q=0", False),
        ("gzip;q=0.0, *;q=1", False),
        ("br, *;q=0.5", True),
        ("identity", False),
        ("gzip;q=abc", False),
    ],
)
def test_accepts_gzip(header: str, expected: bool) -> None:
    from regenaid.web.api.assessments import accepts_gzip

    assert accepts_gzip(header) is expected


def test_cache_budget_comes_from_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """REGENAID_CACHE_MEGABYTES sets how much each worker keeps for the cost model's cached
    results (the core cannot read settings: the app sets the budget when it starts)."""
    from regenaid.caching import MEGABYTE, SHARED
    from regenaid.config import DEFAULT_CACHE_MEGABYTES, ConfigurationError, load_settings

    before = SHARED.max_bytes
    monkeypatch.setenv("REGENAID_CACHE_MEGABYTES", "3")
    try:
        settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'c.db'}")
        assert settings.cache_megabytes == 3
        with TestClient(create_app(settings)) as c:
            assert SHARED.max_bytes == 3 * MEGABYTE
            assert c.post("/api/v1/assessments", json=GOOD).status_code == 200
            assert 0 < SHARED.info().bytes <= 3 * MEGABYTE
    finally:
        SHARED.resize(before)
    monkeypatch.setenv("REGENAID_CACHE_MEGABYTES", "-1")
    with pytest.raises(ConfigurationError, match="REGENAID_CACHE_MEGABYTES"):
        load_settings()
    monkeypatch.delenv("REGENAID_CACHE_MEGABYTES")
    assert Settings(environment="test").cache_megabytes == DEFAULT_CACHE_MEGABYTES


def _where() -> tuple[str, bool]:
    """The calling thread's name, and whether an event loop runs in it."""
    import asyncio
    import threading

    try:
        asyncio.get_running_loop()
        on_loop = True
    except RuntimeError:
        on_loop = False
    return threading.current_thread().name, on_loop


def test_assessments_run_in_the_one_assessment_thread_not_on_the_event_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10, item 1: the assessment (CPU work) runs in the worker's one assessment thread,
    never in the thread of the event loop that answers the other requests."""
    from regenaid.web.api import assessments

    seen: list[tuple[str, bool]] = []
    real = assessments.assessment_json

    def watched(intake: Any) -> bytes:
        seen.append(_where())
        return real(intake)

    monkeypatch.setattr(assessments, "assessment_json", watched)
    assert client.post("/api/v1/assessments", json=GOOD).status_code == 200
    assert client.post("/api/v1/assessments", json={**GOOD, "age": 50}).status_code == 200
    assert len(seen) == 2
    for name, on_loop in seen:
        assert not on_loop
        assert name.startswith("regenaid-assess")


def test_a_json_body_is_read_and_validated_in_the_assessment_thread(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain JSON body is parsed and validated off the event loop too (pydantic's parser in
    the assessment thread); a body with another content type takes FastAPI's usual way."""
    from regenaid.web.api import assessments

    seen: list[tuple[str, bool]] = []
    real = assessments.Intake.model_validate_json

    class Watched(assessments.Intake):
        @classmethod
        def model_validate_json(cls, data: Any, **kwargs: Any) -> Any:
            seen.append(_where())
            return real(data, **kwargs)

    monkeypatch.setattr(assessments, "Intake", Watched)
    assert client.post("/api/v1/assessments", json=GOOD).status_code == 200
    assert len(seen) == 1 and seen[0][0].startswith("regenaid-assess") and not seen[0][1]
    other = {"content-type": "application/json; charset=utf-8"}
    answer = client.post("/api/v1/assessments", content=json.dumps(GOOD), headers=other)
    assert answer.status_code == 200 and len(seen) == 1


TRICKY_BODIES = [
    json.dumps(GOOD),
    json.dumps({**GOOD, "age": 38.0}),  # a whole float for an integer
    json.dumps({**GOOD, "age": "38"}),  # a number in a string
    json.dumps({**GOOD, "age": 38.5}),
    json.dumps({**GOOD, "health": {"anticoagulant": "true"}}),  # a boolean in a string
    json.dumps({**GOOD, "health": {"anticoagulant": 1}}),
    json.dumps({**GOOD, "health": {"anticoagulant": "yes"}}),
    json.dumps({**GOOD, "priorities": {"cost": 4.0}}),
    json.dumps({**GOOD, "priorities": {"cost": "4"}}),
    json.dumps({**GOOD, "jurisdiction": "no"}),
    json.dumps({**GOOD, "budget": {"amount": "2500", "currency": "gbp", "horizon_months": 12}}),
    json.dumps({**GOOD, "budget": {"amount": 1e400, "currency": "USD", "horizon_months": 12}}),
    json.dumps({**GOOD, "unknown_field": 1}),
    json.dumps({**GOOD, "sex": "M\u00e4nnlich"}),
    '{"concern": "hair", "concern": "skin", ' + json.dumps(GOOD)[1:],  # a repeated key
    json.dumps(GOOD).replace('"age": 38', '"age": NaN'),
    json.dumps(GOOD).replace('"age": 38', '"age": Infinity'),
    json.dumps(GOOD).replace('"age": 38', '"age": 380000000000000000000000000000'),
    json.dumps(GOOD).replace('"male"', '"\\ud800"'),  # a lone surrogate
    json.dumps(GOOD) + " ",
    json.dumps(GOOD) + " x",
    "[]",
    "null",
    "",
    "{",
    "\ufeff" + json.dumps(GOOD),  # a byte order mark
]


@pytest.mark.parametrize("body", TRICKY_BODIES)
def test_both_ways_of_reading_the_body_give_the_same_answer(client: TestClient, body: str) -> None:
    """The assessment thread's reading of a JSON body (pydantic's parser) answers exactly as
    FastAPI's usual reading (``json`` then validation), which a content type with a charset
    takes: the same status and the same bytes, valid or not."""
    quick = client.post(
        "/api/v1/assessments", content=body.encode(), headers={"content-type": "application/json"}
    )
    usual = client.post(
        "/api/v1/assessments",
        content=body.encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert (quick.status_code, quick.content) == (usual.status_code, usual.content)
