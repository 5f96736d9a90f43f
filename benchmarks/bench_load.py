"""Load and slow clients (issue 10): ``regenaid serve`` under 200 concurrent clients.

For each database (SQLite, PostgreSQL) and worker count (1 and N = CPU count), side by side in
the same run: 200 clients for ``REGENAID_BENCH_LOAD_SECONDS`` (default 60) with mixed traffic —
start page, intake step, results page, API assessment, save + open a saved link, and now and
then a PDF — reporting requests per second, p50/p95/p99 and errors (transport errors and 5xx
other than the PDF gate's documented 503). Then 1,000 sockets that send half a request head and
stall are held open while 20 clients keep normal traffic going; errors are counted.

Run: ``python -m benchmarks load`` (or ``make bench``). PostgreSQL: REGENAID_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "web"))
from web_answers import BASE as FORM  # noqa: E402

from live_server import free_port, start, stop  # noqa: E402
from regenaid.store import make_engine  # noqa: E402

CLIENTS = 200
SLOW_SOCKETS = 1_000
POSTGRES_URL = os.environ.get(
    "REGENAID_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
API_INTAKE = {"concern": "hair", "condition": "androgenetic_alopecia", "age": 40, "sex": "male"}


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.refused = 0  # the PDF gate's documented 503

    def line(self, seconds: float) -> str:
        if len(self.latencies) < 2:
            return f"{len(self.latencies)} requests, {self.errors} errors"
        q = statistics.quantiles(self.latencies, n=100)
        return (
            f"{len(self.latencies) / seconds:7.1f} req/s  p50 {q[49] * 1e3:7.1f} ms  "
            f"p95 {q[94] * 1e3:7.1f} ms  p99 {q[98] * 1e3:7.1f} ms  errors {self.errors}  "
            f"PDF 503s {self.refused}"
        )


async def _request(tally: Tally, call: object, pdf: bool = False) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response: httpx.Response = await call  # type: ignore[misc]
    except httpx.HTTPError:
        tally.errors += 1
        return None
    tally.latencies.append(time.perf_counter() - started)
    if response.status_code == 503 and pdf:
        tally.refused += 1
    elif response.status_code >= 500:
        tally.errors += 1
    return response


async def _client(url: str, until: float, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        page = await _request(tally, client.get("/intake"))
        match = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text if page else "")
        if match is None:
            tally.errors += 1
            return
        form = {**FORM, "csrf_token": match[1]}
        while time.monotonic() < until:
            pick = rng.random()
            horizon = str(rng.randint(6, 36))
            if pick < 0.25:
                await _request(tally, client.get("/"))
            elif pick < 0.5:
                await _request(tally, client.post("/intake", data={**form, "step": "budget"}))
            elif pick < 0.7:
                data = {**form, "budget.horizon_months": horizon, "step": "values", "go": "finish"}
                await _request(tally, client.post("/intake", data=data))
            elif pick < 0.88:
                body = {
                    **API_INTAKE,
                    "budget": {"amount": 3000, "currency": "USD", "horizon_months": int(horizon)},
                }
                await _request(tally, client.post("/api/v1/assessments", json=body))
            elif pick < 0.98:
                saved = await _request(tally, client.post("/saved", data=form))
                if saved is not None and saved.status_code == 200:
                    pass  # followed the redirect to the saved page
            else:
                await _request(tally, client.post("/results/report.pdf", data=form), pdf=True)


async def _traffic(url: str, clients: int, seconds: float) -> Tally:
    tally = Tally()
    until = time.monotonic() + seconds
    await asyncio.gather(*(_client(url, until, tally, i) for i in range(clients)))
    return tally


def _server(database_url: str, workers: int, tmp: Path) -> tuple[object, str]:
    port = free_port()
    env = {
        **os.environ,
        "REGENAID_DATABASE_URL": database_url,
        "REGENAID_ENVIRONMENT": "test",
        "REGENAID_SECRET_KEY": "load-bench-secret-key-0123456789-abcdefghijklmnop",
    }
    command = [str(Path(sys.executable).with_name("regenaid")), "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    return start(command, env, tmp / f"server-{port}.log", port)


def _slow_sockets(port: int, count: int) -> list[socket.socket]:
    held = []
    for _ in range(count):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never finishes
            held.append(sock)
        except OSError:
            break
    return held


def main() -> None:
    seconds = float(os.environ.get("REGENAID_BENCH_LOAD_SECONDS", "60"))
    workers_n = max(2, os.cpu_count() or 1)
    schema = f"regenaid_load_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        with tempfile.TemporaryDirectory() as tmp_dir:
            tmp = Path(tmp_dir)
            databases = {
                "SQLite": f"sqlite:///{tmp / 'var' / 'load.db'}",
                "PostgreSQL": f"{POSTGRES_URL}?options=-csearch_path%3D{schema}",
            }
            for name, url in databases.items():
                for workers in (1, workers_n):
                    process, base = _server(url, workers, tmp)
                    try:
                        tally = asyncio.run(_traffic(base, CLIENTS, seconds))
                    finally:
                        stop(process)  # type: ignore[arg-type]
                    print(
                        f"{name:10s} {workers} worker(s), {CLIENTS} clients: {tally.line(seconds)}"
                    )
            process, base = _server(databases["SQLite"], workers_n, tmp)
            try:
                port = int(base.rsplit(":", 1)[1])
                held = _slow_sockets(port, SLOW_SOCKETS)
                tally = asyncio.run(_traffic(base, 20, min(seconds, 30)))
                print(
                    f"{len(held)} stalled sockets (the server drops them after its head timeout), "
                    "20 clients alongside: "
                    f"{tally.line(min(seconds, 30))}"
                )
                for sock in held:
                    sock.close()
            finally:
                stop(process)  # type: ignore[arg-type]
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
