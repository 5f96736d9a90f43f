"""Assessments per second: in-process, and over HTTP against a real uvicorn server.

In-process: median time per ``assess(intake)`` over a fixed set of varied, valid intakes
(seeded), next to the anchor ``parse_intake`` on the same data, with warm caches, for new
people (the same answers with budget amounts nobody gave before: nothing is cached per person,
only per combination of condition, currency, horizon and earlier responses), and with every
cost cache cleared (the probabilistic cost model then runs in full). Goals: median < 2 ms;
fully cold < 5 ms. Also the first cost chart a new process draws (import and SVG, as the
results page's image request): goal < 50 ms.

HTTP: ``regenaid serve`` as an operator runs it (subprocess, free loopback port, temporary
SQLite database), with one worker and with the production default of one per CPU, side by
side; ``POST /api/v1/assessments`` against the same server's trivial ``GET /api/v1/health``,
the same number of requests each, from a few concurrent keep-alive clients (httpx, threads of
this process), alternating rounds; assessments of intakes the server has seen (caches warm)
and of fresh ones. The rounds start once the server is idle after its warm-up: its PDF render
processes import WeasyPrint and render a report each at start-up (about two CPUs for four
seconds here), which would otherwise share the CPUs with the first rounds. The client accepts
gzip like a browser (the app compresses responses over 1 KB; the health answer is smaller);
one more row asks for uncompressed answers to show what compression costs. Each row also gives
the server's CPU time per request (all its processes, from /proc): when the clients themselves
are the limit (the health rows on a 2-CPU machine, where this process and the server share the
CPUs), the throughput ratio is kinder than the ratio of server CPU per request, so both are
printed.
Goal: assessments reach at least half of the trivial endpoint's throughput (ratio >= 0.5).

Run: ``python -m benchmarks assess`` (or ``make bench``).
"""

from __future__ import annotations

import json
import os
import random
import secrets
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
from regenaid.decide.intake import PRIORITY_NAMES
from regenaid.knowledge.model import CONDITIONS_BY_CONCERN

SEED = 20261122
N_INTAKES = 400
ROUNDS = 7
HTTP_REQUESTS = 600  # per endpoint per round
HTTP_WORKERS = 4
HTTP_ROUNDS = 5

FLAGS = [
    "anticoagulant",
    "antiplatelet_or_nsaid",
    "pregnant_or_breastfeeding",
    "active_infection_at_site",
    "low_platelets",
    "needle_phobia",
    "keloid_tendency",
]


def make_intakes(n: int, seed: int = SEED) -> list[dict[str, Any]]:
    """``n`` varied valid intakes (seeded, so every run measures the same work)."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for _ in range(n):
        concern = rng.choice(["hair", "skin"])
        data: dict[str, Any] = {
            "concern": concern,
            "condition": rng.choice(CONDITIONS_BY_CONCERN[concern]),
            "age": rng.randint(18, 80),
            "sex": rng.choice(["female", "male", "other"]),
            "severity": rng.choice(["mild", "moderate", "advanced"]),
            "priorities": {p: rng.randint(0, 4) for p in PRIORITY_NAMES},
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


def _economics_modules() -> list[Any]:

    return [m for name, m in sys.modules.items() if name.startswith("regenaid.economics") and m]


def in_process() -> None:
    from regenaid.decide import assess, option_cost, parse_intake
    from regenaid.knowledge import load_knowledge

    kb = load_knowledge()
    raw = make_intakes(N_INTAKES)
    intakes = [parse_intake(d) for d in raw]

    # every cache in the cost model's modules (option_cost and regenaid.economics.*):
    # functools caches and byte-bounded ones (regenaid.caching) alike have cache_clear
    cost_model_caches = [
        obj
        for module in [option_cost, *_economics_modules()]
        for obj in vars(module).values()
        if callable(obj)
        and hasattr(obj, "cache_clear")
        and getattr(obj, "__module__", None) == module.__name__  # its own, not imported ones
    ]

    new_budgets = iter(range(1, 10**9))

    def new_person(i: Any) -> object:
        # the same answers with a budget amount nobody gave before (copying costs ~10 µs)
        if i.budget is not None:
            budget = i.budget.model_copy(update={"amount": i.budget.amount + next(new_budgets)})
            i = i.model_copy(update={"budget": budget})
        return assess(i, kb)

    def cold(i: Any) -> object:
        # every cache of the cost path cleared: the probabilistic cost model runs in full
        for cache in cost_model_caches:
            cache.cache_clear()
        return assess(i, kb)

    t_parse = _per_item(parse_intake, raw, ROUNDS)
    t_warm = _per_item(lambda i: assess(i, kb), intakes, ROUNDS)
    t_new = _per_item(new_person, intakes, ROUNDS)
    t_cold = _per_item(cold, intakes[:100], 3)
    t_json = _per_item(lambda d: assess(parse_intake(d), kb).model_dump_json(), raw, ROUNDS)
    print(f"in-process, {N_INTAKES} varied intakes, median of the rounds' mean per call")
    print(f"  (fully cold clears {len(cost_model_caches)} cost-model caches before every call):")
    print(f"  parse_intake (anchor)              {fmt_seconds(t_parse)} per intake")
    for label, t, goal in (
        ("assess, warm caches", t_warm, 2e-3),
        ("assess, new people (new budgets)", t_new, 2e-3),
        ("assess, fully cold cost model", t_cold, 5e-3),
        ("parse + assess + JSON, warm", t_json, 2e-3),
    ):
        verdict = "met" if t < goal else "NOT met"
        print(
            f"  {label:<34} {fmt_seconds(t)} = {1 / t:,.0f}/s  "
            f"({t / t_parse:.0f}x anchor; goal < {goal * 1e3:.0f} ms: {verdict})"
        )
    t_chart = first_chart()
    verdict = "met" if t_chart < 50e-3 else "NOT met"
    print(
        f"  {'first cost chart, fresh process':<34} {fmt_seconds(t_chart)}  "
        f"(import + draw, median of {CHART_PROCESSES} processes; goal < 50 ms: {verdict})"
    )


CHART_PROCESSES = 3
_FIRST_CHART = """
import json, time
from regenaid.decide import assess, parse_intake
from regenaid.knowledge import load_knowledge
from regenaid.web.chart_link import chart_payload
intake = {"concern": "hair", "condition": "androgenetic_alopecia", "age": 40, "sex": "male",
          "severity": "mild", "budget": {"amount": 3000, "currency": "USD", "horizon_months": 36}}
assessment = assess(parse_intake(intake), load_knowledge()).model_dump(mode="json")
costs = {o["treatment"]: o["cost"] for o in assessment["options"] if o.get("cost")}
payload = json.loads(json.dumps(chart_payload(costs)))  # what the image request carries
started = time.perf_counter()
from regenaid.reports.cost_charts import cumulative_cost_chart
assert "series-" in cumulative_cost_chart(payload).svg
print(time.perf_counter() - started)
"""


def first_chart() -> float:
    """The results page's cost chart as its first image request in a new worker draws it:
    importing the chart module and drawing the SVG (the assessment itself is not timed)."""
    times = []
    for _ in range(CHART_PROCESSES):
        done = subprocess.run(
            [sys.executable, "-c", _FIRST_CHART], capture_output=True, text=True, check=True
        )
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(port: int, db: Path, workers: int) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        REGENAID_DATABASE_URL=f"sqlite:///{db}",
        REGENAID_ENVIRONMENT="test",
        REGENAID_SECRET_KEY=secrets.token_urlsafe(32),
    )
    command = [str(Path(sys.executable).with_name("regenaid")), "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _tree_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of ``pid`` and its descendants so far; None off Linux.

    Descendants are found from every process's parent in /proc, not from
    ``/proc/PID/task/PID/children``, which lists only the children started by the main
    thread (the PDF render processes are started by another thread)."""
    parent_of: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return None
    for entry in entries:
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        parent_of[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    if pid not in times:
        return None
    total = 0.0
    for process, seconds in times.items():
        ancestor = process
        while ancestor > 1 and ancestor != pid:
            ancestor = parent_of.get(ancestor, 0)
        if ancestor == pid:
            total += seconds
    return total


def _wait_settled(pid: int, window: float = 0.5, idle: float = 0.05, timeout: float = 60.0) -> None:
    """Wait until the server (all its processes) uses less than ``idle`` of a CPU over
    ``window`` seconds: its start-up work in the background (the PDF render processes import
    WeasyPrint and render a report each, a few seconds of CPU) is done, so the rounds measure
    the steady state and the CPU per request is the requests' own."""
    deadline = time.monotonic() + timeout
    before = _tree_cpu_seconds(pid)
    while before is not None and time.monotonic() < deadline:
        time.sleep(window)
        after = _tree_cpu_seconds(pid)
        if after is None or after - before < idle * window:
            return
        before = after


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


def _throughput(
    base: str,
    requests: list[tuple[str, str, bytes | None]],
    extra_headers: dict[str, str] | None = None,
) -> float:
    """Requests per second for ``requests`` spread over HTTP_WORKERS keep-alive clients."""
    chunks = [requests[i::HTTP_WORKERS] for i in range(HTTP_WORKERS)]
    errors: list[str] = []

    def work(chunk: list[tuple[str, str, bytes | None]]) -> None:
        headers = {"content-type": "application/json", **(extra_headers or {})}
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


class _Row:
    """One endpoint's rounds: requests per second, and the server's CPU per request."""

    def __init__(self) -> None:
        self.rates: list[float] = []
        self.cpu: list[float] = []

    def measure(
        self,
        base: str,
        pid: int,
        requests: list[tuple[str, str, bytes | None]],
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        before = _tree_cpu_seconds(pid)
        self.rates.append(_throughput(base, requests, extra_headers))
        after = _tree_cpu_seconds(pid)
        if before is not None and after is not None:
            self.cpu.append((after - before) / len(requests))

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)

    @property
    def cpu_per_request(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu else None


def _serve_and_measure(workers: int, plain_row: bool) -> dict[str, _Row]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    health = [("GET", "/api/v1/health", None)] * HTTP_REQUESTS

    def posts(seed: int) -> list[tuple[str, str, bytes | None]]:
        bodies = [json.dumps(d).encode() for d in make_intakes(HTTP_REQUESTS, seed)]
        return [("POST", "/api/v1/assessments", b) for b in bodies]

    repeated = posts(SEED)
    rows = {name: _Row() for name in ("health", "seen", "fresh", "plain")}
    with tempfile.TemporaryDirectory() as tmp:
        proc = _start_server(port, Path(tmp) / "bench.db", workers)
        try:
            _wait_ready(base, proc)
            _throughput(base, health[:100])  # warm-up
            for _ in range(workers):  # warm-up: per-condition and cost caches, in each worker
                _throughput(base, repeated)
            _wait_settled(proc.pid)
            identity = {"accept-encoding": "identity"}
            for r in range(HTTP_ROUNDS):
                fresh = posts(SEED + 1 + r)  # intakes the server has not seen
                rows["health"].measure(base, proc.pid, health)
                rows["seen"].measure(base, proc.pid, repeated)
                rows["fresh"].measure(base, proc.pid, fresh)
                if plain_row:
                    rows["plain"].measure(base, proc.pid, repeated, identity)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    return rows


def over_http() -> None:
    workers_n = max(2, os.cpu_count() or 1)
    print(
        f"over HTTP (regenaid serve on 127.0.0.1, {HTTP_WORKERS} keep-alive clients, "
        f"{HTTP_REQUESTS} requests per endpoint, median of {HTTP_ROUNDS} rounds; "
        "server CPU = all its processes):"
    )
    for workers in (1, workers_n):
        rows = _serve_and_measure(workers, plain_row=workers == 1)
        h = rows["health"]
        anchor_cpu = h.cpu_per_request
        print(f"  {workers} worker(s):")
        print(
            f"    GET  /api/v1/health (anchor)               {h.rate:,.0f} requests/s"
            + (f", server CPU {anchor_cpu * 1e3:.2f} ms/request" if anchor_cpu else "")
        )
        labelled = [("POST /api/v1/assessments, seen intakes", "seen")]
        labelled.append(("POST /api/v1/assessments, fresh intakes", "fresh"))
        if rows["plain"].rates:
            labelled.append(("  same, seen, uncompressed (identity)", "plain"))
        for label, name in labelled:
            row = rows[name]
            ratio = row.rate / h.rate
            verdict = "met" if ratio >= 0.5 else "NOT met"
            cpu = row.cpu_per_request
            cpu_text = (
                f"; server CPU {cpu * 1e3:.2f} ms/request, CPU ratio {anchor_cpu / cpu:.2f}"
                if cpu and anchor_cpu
                else ""
            )
            print(
                f"    {label:<42} {row.rate:,.0f} requests/s, ratio {ratio:.2f} "
                f"(goal >= 0.5: {verdict}){cpu_text}"
            )


def main() -> None:
    in_process()
    over_http()


if __name__ == "__main__":
    main()
