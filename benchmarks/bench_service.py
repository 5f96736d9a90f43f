"""The service under load (issue 10): health while PDFs render, and memory after many people.

1. ``/api/v1/health`` latency (p50/p95/p99) on a real uvicorn server (one worker, SQLite)
   while 8 clients loop on ``POST /results/report.pdf``, side by side with the same server
   idle (the anchor). Goal: p99 under load < 100 ms. Also counted: PDFs made and 503 answers
   (the PDF gate refusing beyond its queue).
2. Resident memory of one process after N distinct assessments (default 10,000; set
   ``REGENAID_BENCH_ASSESSMENTS``), each with its own age, severity and budget amount, five at
   a time over each of 2,000 distinct runs of the cost model (every condition, five
   currencies, horizons of 12 to 240 months, with and without an earlier PRP course): more
   than its cache holds. Goal < 400 MB. Reported with the RSS after the first 100 as the
   anchor, and what the byte-bounded cost-model cache (``regenaid.caching``) holds then.
3. The pause of a full garbage collection in a worker after start-up and 600 assessments
   (median of 5 ``gc.collect()``), without and with the warm-up's ``gc.freeze`` side by side:
   every thread, the event loop's included, stops for it.

Run: ``python -m benchmarks service`` (or ``make bench``).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "web"))
from web_answers import BASE as FORM  # noqa: E402

from live_server import free_port, start, stop, uvicorn_command  # noqa: E402

PDF_CLIENTS = 8
SECONDS = 15.0


def _percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100)
    return f"p50 {q[49] * 1e3:6.1f} ms  p95 {q[94] * 1e3:6.1f} ms  p99 {q[98] * 1e3:6.1f} ms"


def _health_latencies(url: str, seconds: float) -> list[float]:
    samples = []
    with httpx.Client(base_url=url, timeout=30) as client:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            started = time.perf_counter()
            client.get("/api/v1/health").raise_for_status()
            samples.append(time.perf_counter() - started)
            time.sleep(0.01)
    return samples


def _pdf_loop(url: str, stop_at: float, counts: dict[str, int], lock: threading.Lock) -> None:
    with httpx.Client(base_url=url, timeout=120) as client:
        token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', client.get("/intake").text)
        assert token
        while time.monotonic() < stop_at:
            response = client.post("/results/report.pdf", data={**FORM, "csrf_token": token[1]})
            with lock:
                counts[str(response.status_code)] = counts.get(str(response.status_code), 0) + 1
            if response.status_code == 503:
                time.sleep(0.2)


def health_under_pdf_load() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {
            **os.environ,
            "REGENAID_DATABASE_URL": f"sqlite:///{Path(tmp) / 'var' / 'bench.db'}",
            "REGENAID_ENVIRONMENT": "test",
            "REGENAID_SECRET_KEY": "bench-secret-key",
        }
        process, url = start(uvicorn_command(port, "error"), env, Path(tmp) / "log", port)
        try:
            idle = _health_latencies(url, 5.0)
            counts: dict[str, int] = {}
            lock = threading.Lock()
            stop_at = time.monotonic() + SECONDS
            clients = [
                threading.Thread(target=_pdf_loop, args=(url, stop_at, counts, lock))
                for _ in range(PDF_CLIENTS)
            ]
            for c in clients:
                c.start()
            time.sleep(1.0)  # let the PDF queue fill
            loaded = _health_latencies(url, SECONDS - 2.0)
            for c in clients:
                c.join()
        finally:
            stop(process)
    print(f"/api/v1/health idle (anchor)           : {_percentiles(idle)}")
    print(f"/api/v1/health, {PDF_CLIENTS} clients on PDFs    : {_percentiles(loaded)}")
    ratio = statistics.quantiles(loaded, n=100)[98] / statistics.quantiles(idle, n=100)[98]
    verdict = "met" if statistics.quantiles(loaded, n=100)[98] < 0.1 else "NOT met"
    print(f"  p99 ratio loaded/idle {ratio:.1f}x; goal p99 < 100 ms: {verdict}")
    print(f"  PDF answers in {SECONDS:.0f} s: {dict(sorted(counts.items()))}")


_RSS_SCRIPT = """
import os, sys
from regenaid.decide import assess, parse_intake
from regenaid.knowledge.model import CONDITIONS_BY_CONCERN

def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
total = int(sys.argv[1])
COST_RUNS = 2000
first = None
places = [(concern, c) for concern, cs in sorted(CONDITIONS_BY_CONCERN.items()) for c in cs]
for i in range(total):
    run = i // 5 % COST_RUNS  # the cost-model run (condition, currency, earlier PRP, horizon)
    concern, condition = places[run % len(places)]
    k = run // len(places)
    intake = {"concern": concern, "condition": condition, "age": 18 + i % 80, "sex": "female",
              "severity": ("mild", "moderate", "advanced")[i % 3],
              "budget": {"amount": 500 + i, "currency": ("USD", "GBP", "EUR", "JPY", "AUD")[k % 5],
                         "horizon_months": 240 - 12 * (k // 10 % 20)}}
    if k // 5 % 2:
        intake["prior_treatments"] = [{"treatment": "prp", "response": "partial"}]
    assess(parse_intake(intake))
    if i == 99:
        first = rss_mb()
from regenaid.caching import SHARED
info = SHARED.info()
print(f"{first:.0f} {rss_mb():.0f} {info.bytes} {info.max_bytes} {info.entries} {info.evictions}")
"""


def memory_after_many_assessments() -> None:
    total = int(os.environ.get("REGENAID_BENCH_ASSESSMENTS", "10000"))
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, str(total)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    first, last = float(out[0]), float(out[1])
    cached, budget, entries, evictions = (int(x) for x in out[2:])
    verdict = "met" if last < 400 else "NOT met"
    print(f"RSS after 100 assessments (anchor)     : {first:.0f} MB")
    print(
        f"RSS after {total:,} distinct assessments : {last:.0f} MB "
        f"(goal < 400 MB: {verdict}; {time.perf_counter() - started:.0f} s)"
    )
    print(
        f"  cost-model cache then holds {cached / 2**20:.0f} MB of its {budget / 2**20:.0f} MB "
        f"budget in {entries:,} entries ({evictions:,} evicted)"
    )


_GC_SCRIPT = """
import gc, os, statistics, sys, time
os.environ.setdefault("REGENAID_ENVIRONMENT", "test")
os.environ.setdefault("REGENAID_SECRET_KEY", "b" * 43)
sys.path.insert(0, sys.argv[1])
from benchmarks.bench_assess import SEED, make_intakes
from regenaid.decide import parse_intake
from regenaid.decide.assessment import assessment_json
from regenaid.web.app import create_app
from regenaid.web.warmup import assess_once, compile_public_templates

app = create_app()
assess_once()
compile_public_templates(app)

def pause(seed):
    for data in make_intakes(600, seed):
        assessment_json(parse_intake(data))
    times = []
    for _ in range(5):
        started = time.perf_counter()
        gc.collect()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e3, len(gc.get_objects())

before = pause(SEED)
gc.freeze()  # as the warm-up does (regenaid.web.warmup)
after = pause(SEED + 1)
print(*before, *after)
"""


def gc_pause() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _GC_SCRIPT, str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])},
    ).stdout.split()
    before_ms, before_objects, after_ms, after_objects = map(float, out)
    print(
        f"full garbage collection, start-up + 600 assessments (anchor): {before_ms:7.1f} ms "
        f"over {before_objects:,.0f} objects"
    )
    print(
        f"same after the warm-up's gc.freeze, + 600 more             : {after_ms:7.1f} ms "
        f"over {after_objects:,.0f} objects (ratio {after_ms / before_ms:.3f})"
    )


def main() -> None:
    health_under_pdf_load()
    memory_after_many_assessments()
    gc_pause()
