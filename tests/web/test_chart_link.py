"""Issue 10: the cost chart of an unsaved result is drawn by whichever worker or instance gets
the image request: its link carries the chart's data, signed with the app's secret key."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from web_answers import BASE

from regenaid.config import Settings
from regenaid.web.app import create_app
from regenaid.web.chart_link import MAX_TOKEN, chart_data, chart_payload, chart_token

COSTS = {
    "prp": {
        "currency": "GBP",
        "cumulative_by_month": {
            "month": [0, 1, 2],
            "expected": [0.0, 410.4, 820.6],
            "low": [0.0, 300.2, 600.9],
            "high": [0.0, 500.5, 1000.1],
        },
        "break_even": [
            {"versus": "exosome", "month": 2},
            {"versus": "conventional", "month": None},
        ],
        "probability_within_budget": 0.4,
        "assumptions": ["Your budget of GBP 900 ..."],
    },
    "no_treatment": {"currency": "GBP"},
}


def test_the_link_round_trips_only_what_the_chart_draws() -> None:
    payload = chart_payload(COSTS)
    assert set(payload) == {"prp"}  # nothing to draw for an option without a curve
    assert payload["prp"]["cumulative_by_month"]["expected"] == [0, 410, 821]
    assert payload["prp"]["break_even"] == [{"versus": "exosome", "month": 2}]
    assert "assumptions" not in payload["prp"] and "probability_within_budget" not in payload["prp"]
    token = chart_token(payload, "key-one")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token) and len(token) < MAX_TOKEN
    assert chart_data(token, "key-one") == payload


def test_a_changed_or_foreign_link_is_refused() -> None:
    token = chart_token(chart_payload(COSTS), "key-one")
    assert chart_data(token, "key-two") is None  # another key
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    assert chart_data(flipped, "key-one") is None  # one character changed
    for junk in ("", "unknown", "!!!", "A" * (MAX_TOKEN + 1)):
        assert chart_data(junk, "key-one") is None


def _results(client: TestClient, csrf_from: Callable[[str], str]) -> str:
    token = csrf_from(client.get("/intake").text)
    data = {**BASE, "step": "values", "go": "finish", "csrf_token": token}
    return client.post("/intake", data=data).text


def test_another_instance_with_the_same_key_draws_the_chart(
    tmp_path: Path, csrf_from: Callable[[str], str]
) -> None:
    def app(name: str, key: str) -> TestClient:
        return TestClient(
            create_app(
                Settings(
                    environment="test",
                    database_url=f"sqlite:///{tmp_path / name / 'web.db'}",
                    secret_key=key,
                )
            )
        )

    with app("one", "shared-key") as first, app("two", "shared-key") as second:
        html = _results(first, csrf_from)
        match = re.search(r'<img class="chart" src="(/charts/cost/[A-Za-z0-9_-]+\.svg)"', html)
        assert match
        chart = second.get(match.group(1))
        assert chart.status_code == 200 and 'id="series-' in chart.text
    with app("three", "another-key") as other:
        assert other.get(match.group(1)).status_code == 404


def test_long_horizons_keep_at_most_61_points_and_the_last_month() -> None:
    months = list(range(241))
    costs = {
        "prp": {
            "currency": "USD",
            "cumulative_by_month": {
                "month": months,
                "expected": [10.0 * m for m in months],
                "low": [5.0 * m for m in months],
                "high": [20.0 * m for m in months],
            },
        }
    }
    curve = chart_payload(costs)["prp"]["cumulative_by_month"]
    assert len(curve["month"]) <= 61 and curve["month"][0] == 0 and curve["month"][-1] == 240
    assert curve["expected"][-1] == 2400
