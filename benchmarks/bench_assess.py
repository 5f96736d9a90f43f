"""Assessments per second: in-process, and over HTTP against a real uvicorn server.

In-process: median time per ``assess(intake)`` over a fixed set of varied, valid intakes
(seeded), next to the anchor ``parse_intake`` on the same data. Goal: median < 2 ms.

HTTP: a uvicorn server on a free loopback port (subprocess, temporary SQLite database);
``POST /api/v1/assessments`` against the same server's trivial ``GET /api/v1/health``, the same
number of requests each, from a few concurrent keep-alive clients (httpx), alternating rounds.
Goal: assessments reach at least half of the trivial endpoint's throughput (ratio >= 0.5).

Run: ``python -m benchmarks assess`` (or ``make bench``).
"""

from __future__ import annotations

import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from benchmarks.timing import fmt_seconds

SEED = 20261122
N_INTAKES = 400
ROUNDS = 7
HTTP_REQUESTS = 600  # per endpoint per round
HTTP_WORKERS = 4
HTTP_ROUNDS = 5

CONDITIONS = {
    "hair": [
        "androgenetic_alopecia",
        "female_pattern_hair_loss",
        "telogen_effluvium",
        "alopecia_areata",
    ],
    "skin": [
        "fine_lines_wrinkles",
        "volume_loss",
        "acne_scars",
        "scars",
        "pigmentation",
        "skin_rejuvenation",
    ],
}
FLAGS = [
    "anticoagulant",
    "antiplatelet_or_nsaid",
    "pregnant_or_breastfeeding",
    "active_infection_at_site",
    "low_platelets",
    "needle_phobia",
    "keloid_tendency",
]
PRIORITIES = [
    "cost",
    "speed",
    "fewer_sessions",
    "evidence",
    "autologous",
    "avoid_blood_draw",
    "low_maintenance",
]


def make_intakes(n: int, seed: int = SEED) -> list[dict[str, Any]]:
    """``n`` varied valid intakes (seeded, so every run measures the same work)."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for _ in range(n):
        concern = rng.choice(["hair", "skin"])
        data: dict[str, Any] = {
            "concern": concern,
            "condition": rng.choice(CONDITIONS[concern]),
            "age": rng.randint(18, 80),
            "sex": rng.choice(["female", "male", "other"]),
            "severity": rng.choice(["mild", "moderate", "advanced"]),
            "priorities": {p: rng.randint(0, 4) for p in PRIORITIES},
            "health": {f: rng.random() < 0.1 for f in FLAGS},
            "jurisdiction": rng.choice(["US", "GB", "DE", "PK", "JP", "AE", "AU", "BR"]),
        }
        if rng.random() < 0.5:
            data["budget"] = {
                "amount": rng.choice([1000, 3000, 8000, 20000]),
                "currency": rng.choice(["USD", "GBP", "EUR"]),
                "horizon_months": rng.choice([12, 24, 36]),
            }
        if rng.random() < 0.3:
            data["prior_treatments"] = [
                {"treatment": "prp", "response": rng.choice(["none", "partial", "good"])}
            ]
        out.append(data)
    return out


def _per_item(fn: Callable[[Any], object], items: Sequence[Any], rounds: int) -> float:
    """Median over rounds of (round time / items)."""
    for item in items:  # warm-up: imports, per-condition caches
        fn(item)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for item in items:
            fn(item)
        times.append((time.perf_counter() - started) / len(items))
    return statistics.median(times)


def in_process() -> None:
    from regenaid.decide import assess, parse_intake
    from regenaid.knowledge import load_knowledge

    kb = load_knowledge()
    raw = make_intakes(N_INTAKES)
    intakes = [parse_intake(d) for d in raw]
    t_parse = _per_item(parse_intake, raw, ROUNDS)
    t_assess = _per_item(lambda i: assess(i, kb), intakes, ROUNDS)
    from regenaid.decide import assessment as assessment_module

    def cold(i: Any) -> object:
        # every intake's cost model computed afresh (the per-condition caches stay warm)
        assessment_module.clear_cost_cache()
        return assess(i, kb)

    t_cold = _per_item(cold, intakes, 3)
    t_both = _per_item(lambda d: assess(parse_intake(d), kb).model_dump_json(), raw, ROUNDS)
    print(f"in-process, {N_INTAKES} varied intakes, median of {ROUNDS} rounds:")
    print(f"  parse_intake (anchor)        {fmt_seconds(t_parse)} per intake")
    print(
        f"  assess                       {fmt_seconds(t_assess)} per assessment "
        f"= {1 / t_assess:,.0f} assessments/s  (goal < 2 ms: "
        f"{'met' if t_assess < 2e-3 else 'NOT met'}); {t_assess / t_parse:.1f}x the anchor"
    )
    print(
        f"  assess, cost model uncached  {fmt_seconds(t_cold)} per assessment "
        f"= {1 / t_cold:,.0f}/s  (cost cache cleared before every call; goal < 2 ms: "
        f"{'met' if t_cold < 2e-3 else 'NOT met'})"
    )
    print(f"  parse + assess + JSON        {fmt_seconds(t_both)} per intake = {1 / t_both:,.0f}/s")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(port: int, db: Path) -> subprocess.Popen[bytes]:
    code = (
        "import uvicorn\n"
        "from regenaid.web.app import create_app\n"
        f"uvicorn.run(create_app(), host='127.0.0.1', port={port}, log_level='warning',"
        " access_log=False)\n"
    )
    env = dict(os.environ, REGENAID_DATABASE_URL=f"sqlite:///{db}", REGENAID_ENVIRONMENT="test")
    return subprocess.Popen([sys.executable, "-c", code], env=env)


def _wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not become ready")


def _throughput(base: str, requests: list[tuple[str, str, bytes | None]]) -> float:
    """Requests per second for ``requests`` spread over HTTP_WORKERS keep-alive clients."""
    chunks = [requests[i::HTTP_WORKERS] for i in range(HTTP_WORKERS)]
    errors: list[str] = []

    def work(chunk: list[tuple[str, str, bytes | None]]) -> None:
        headers = {"content-type": "application/json"}
        with httpx.Client(base_url=base, timeout=30.0) as client:
            for method, path, body in chunk:
                r = client.request(method, path, content=body, headers=headers)
                if r.status_code != 200:
                    errors.append(f"{method} {path}: {r.status_code}")

    threads = [threading.Thread(target=work, args=(c,)) for c in chunks]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, first: {errors[0]}")
    return len(requests) / elapsed


def over_http() -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    health = [("GET", "/api/v1/health", None)] * HTTP_REQUESTS

    def posts(seed: int) -> list[tuple[str, str, bytes | None]]:
        # fresh intakes every round, so the server's cost cache does not flatter the result
        bodies = [json.dumps(d).encode() for d in make_intakes(HTTP_REQUESTS, seed)]
        return [("POST", "/api/v1/assessments", b) for b in bodies]

    with tempfile.TemporaryDirectory() as tmp:
        proc = _start_server(port, Path(tmp) / "bench.db")
        try:
            _wait_ready(base, proc)
            _throughput(base, health[:100])  # warm-up
            _throughput(base, posts(SEED - 1))  # warm-up (per-condition caches)
            t_health, t_assess = [], []
            for r in range(HTTP_ROUNDS):
                batch = posts(SEED + 1 + r)
                t_health.append(_throughput(base, health))
                t_assess.append(_throughput(base, batch))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    h, a = statistics.median(t_health), statistics.median(t_assess)
    print(
        f"over HTTP (uvicorn on 127.0.0.1, {HTTP_WORKERS} keep-alive clients, "
        f"{HTTP_REQUESTS} requests per endpoint, median of {HTTP_ROUNDS} rounds):"
    )
    print(f"  GET  /api/v1/health (anchor)  {h:,.0f} requests/s")
    print(f"  POST /api/v1/assessments      {a:,.0f} requests/s")
    print(
        f"  ratio assessments/health      {a / h:.2f}  (goal >= 0.5: "
        f"{'met' if a / h >= 0.5 else 'NOT met'})"
    )


def main() -> None:
    in_process()
    over_http()


if __name__ == "__main__":
    main()
