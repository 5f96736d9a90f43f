"""Server time and page weight of the web pages (in-process, FastAPI's TestClient).

Server time: median time to answer ``POST /intake`` (finish) — the results page: assessment,
Option Grid, icon arrays, timeline and template — for intakes the server has seen (caches
warm) and for fresh ones (the cost model runs), next to the anchors ``GET /`` (a static
template) and ``GET /api/v1/health``, alternating in the same process. Goal: results page
< 100 ms (warm). The cost chart is a separate image request and is timed on its own.

Page weight: bytes of each page's HTML plus the CSS, JS and images it loads (uncompressed and
gzip-compressed), as a browser would fetch them.

Run: ``python -m benchmarks web_pages`` (or ``make bench``).
"""

from __future__ import annotations

import gzip
import re
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from benchmarks.timing import fmt_seconds
from regenaid.config import Settings
from regenaid.web.app import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "web"))
from web_answers import BASE as ANSWERS

ROUNDS = 15
BASE = {**ANSWERS, "step": "values", "go": "finish"}


def _median(fn: Callable[[], object], rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _weight(client: TestClient, html: str) -> tuple[int, int]:
    """HTML plus every same-origin stylesheet, script and image it references."""
    raw = [html.encode()]
    for url in re.findall(r'(?:href|src)="(/(?:static|charts)/[^"]+)"', html):
        raw.append(client.get(url).content)
    return sum(len(r) for r in raw), sum(len(gzip.compress(r)) for r in raw)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}")
        client = TestClient(create_app(settings))
        token = re.search(r'name="csrf_token" value="(\w+)"', client.get("/intake").text)
        assert token is not None
        data = {**BASE, "csrf_token": token.group(1)}

        def results(extra: dict[str, str] | None = None) -> str:
            response = client.post("/intake", data={**data, **(extra or {})})
            assert response.status_code == 200
            return response.text

        html = results()  # warm
        horizons = iter(range(6, 6 + ROUNDS))
        warm = _median(results)
        # a new horizon is a new cost-model run (the probabilistic simulation is not cached)
        fresh = _median(lambda: results({"budget.horizon_months": str(next(horizons))}))
        start = _median(lambda: client.get("/"))
        health = _median(lambda: client.get("/api/v1/health"))
        chart_url = re.search(r'src="(/charts/cost/[^"]+)"', html)
        chart = (
            _median(lambda: client.get(chart_url.group(1)), rounds=1) if chart_url else float("nan")
        )
        print(f"results page, warm caches : {fmt_seconds(warm)}  (goal < 100 ms)")
        print(f"results page, fresh intake: {fmt_seconds(fresh)}")
        print(f"start page (anchor)       : {fmt_seconds(start)}   ratio {warm / start:.1f}x")
        print(f"/api/v1/health (anchor)   : {fmt_seconds(health)}   ratio {warm / health:.1f}x")
        print(f"cost chart image (1st draw): {fmt_seconds(chart)}")
        pages = {
            "start": client.get("/").text,
            "intake step 1": client.get("/intake").text,
            "results": results(),
            "evidence": client.get("/evidence?condition=androgenetic_alopecia&treatment=prp").text,
        }
        for name, page in pages.items():
            total, zipped = _weight(client, page)
            print(f"page weight {name:14s}: {total / 1024:6.1f} kB ({zipped / 1024:5.1f} kB gzip)")
