"""Issue 10: stateless instances. `regenaid serve --workers 2` on SQLite, and two separate
server processes on one PostgreSQL database: a whole journey works whichever process answers
(results page, its chart image, save, the saved page, its PDF and chart, delete).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket as sockets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from uvicorn.protocols.http.h11_impl import H11Protocol
from web_answers import BASE

from live_server import free_port, start, stop
from regenaid.cli.serve import MAX_HEAD_BYTES, MAX_REQUESTS, HeadTimeoutProtocol, server_options
from regenaid.config import Settings
from regenaid.store import make_engine
from regenaid.web.app import create_app

POSTGRES_URL = os.environ.get(
    "REGENAID_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
KEY = "a-shared-test-secret-key-that-is-long-enough-0123456789"


def _start(database_url: str, log: Path, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "REGENAID_DATABASE_URL": database_url,
        "REGENAID_ENVIRONMENT": "test",
        "REGENAID_SECRET_KEY": KEY,
    }
    regenaid = str(Path(sys.executable).with_name("regenaid"))  # the installed command
    command = [regenaid, "serve", "--port", str(port), "--workers", str(workers)]
    return start(command, env, log, port)


def _journey(first: str, second: str) -> None:
    """Each step may be answered by another process; every one must work."""
    with (
        httpx.Client(base_url=first, timeout=60) as a,
        httpx.Client(base_url=second, timeout=60) as b,
    ):
        token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', a.get("/intake").text)
        assert token
        form = {**BASE, "csrf_token": token[1]}
        page = a.post("/intake", data={**form, "step": "values", "go": "finish"})
        assert page.status_code == 200 and "Your results" in page.text
        chart = re.search(r'<img class="chart" src="(/charts/cost/[A-Za-z0-9_-]+\.svg)"', page.text)
        assert chart and b.get(chart[1]).status_code == 200  # drawn by the other process
        saved = a.post("/saved", data=form, follow_redirects=False)
        assert saved.status_code == 303
        link = saved.headers["location"]
        assert re.fullmatch(r"/r/[A-Za-z0-9_-]{43}", link)
        assert b.get(link).status_code == 200
        assert b.get(f"{link}/cost-chart.svg").status_code == 200
        assert a.get(f"{link}/report.pdf").content.startswith(b"%PDF")
        b_token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', b.get("/intake").text)
        assert b_token
        gone = b.post(f"{link}/delete", data={"csrf_token": b_token[1], "confirm": "yes"})
        assert gone.status_code == 200
        assert a.get(link).status_code == 404


def test_server_options_by_environment() -> None:
    production = server_options("production", None, "10.0.0.1")
    assert production["workers"] == (os.cpu_count() or 1)
    assert production["limit_max_requests"] == MAX_REQUESTS
    assert production["limit_max_requests_jitter"] > 0  # workers are not recycled together
    assert production["forwarded_allow_ips"] == "10.0.0.1" and production["proxy_headers"]
    development = server_options("development", None, "127.0.0.1")
    assert development["workers"] == 1 and development["limit_max_requests"] is None
    assert server_options("development", 3, "127.0.0.1")["workers"] == 3
    for options in (production, development):
        assert options["limit_concurrency"] > 0 and options["timeout_keep_alive"] > 0


def test_two_workers_on_sqlite(tmp_path: Path) -> None:
    process, url = _start(f"sqlite:///{tmp_path / 'var' / 'two.db'}", tmp_path / "log", workers=2)
    try:
        for _ in range(3):  # the kernel spreads connections over both workers
            _journey(url, url)
    finally:
        stop(process)


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    schema = f"regenaid_web_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.postgres
def test_two_server_processes_on_one_postgresql_database(
    tmp_path: Path, postgres_schema: str
) -> None:
    one, first = _start(postgres_schema, tmp_path / "one.log")
    try:
        two, second = _start(postgres_schema, tmp_path / "two.log")
        try:
            _journey(first, second)
            _journey(second, first)
        finally:
            stop(two)
    finally:
        stop(one)


@contextlib.contextmanager
def _server_in_thread(
    protocol: type[asyncio.Protocol],
    tmp_path: Path,
    listening: sockets.socket | None = None,
    loop: str = "uvloop",
) -> Iterator[int]:
    """The app under uvicorn with ``protocol`` and ``loop``, in a thread of this process, on a
    free port or on ``listening``; yields the port once it serves."""
    settings = Settings(
        environment="test",
        database_url=f"sqlite:///{tmp_path / 'db' / f'{uuid.uuid4().hex}.db'}",
        secret_key="test-secret-key",
    )
    port = listening.getsockname()[1] if listening is not None else free_port()
    config = uvicorn.Config(
        create_app(settings), port=port, http=protocol, loop=loop, log_level="error"
    )
    server = uvicorn.Server(config)
    run = {"sockets": [listening]} if listening is not None else {}
    thread = threading.Thread(target=server.run, kwargs=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(30)


def test_a_stalled_socket_is_closed_and_others_are_served(tmp_path: Path) -> None:
    """A connection that never finishes its request head is dropped after the head timeout
    (here shortened) while complete requests are answered."""

    class Quick(HeadTimeoutProtocol):
        head_timeout = 0.5

    with _server_in_thread(Quick, tmp_path) as port:
        stalled = sockets.create_connection(("127.0.0.1", port), timeout=10)
        stalled.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=10).status_code == 200
        assert stalled.recv(1024) == b""  # closed by the server, with no answer
        stalled.close()


def _connection_no_delay(protocol: type[asyncio.Protocol], tmp_path: Path, loop: str) -> int:
    """Serve one request through ``protocol`` on a listening socket of protocol number 0 (what
    uvicorn's worker processes are handed) and read ``TCP_NODELAY`` of the server's end."""
    seen: list[sockets.socket] = []

    class Watched(protocol):  # type: ignore[valid-type, misc]
        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            seen.append(transport.get_extra_info("socket"))

    with sockets.socket(sockets.AF_INET, sockets.SOCK_STREAM, 0) as listening:
        listening.bind(("127.0.0.1", 0))
        assert listening.proto == 0
        with (
            _server_in_thread(Watched, tmp_path, listening, loop) as port,
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client,
        ):
            assert client.get("/api/v1/health").status_code == 200
            return seen[0].getsockopt(sockets.IPPROTO_TCP, sockets.TCP_NODELAY)


def test_worker_connections_send_without_waiting_for_acknowledgements(tmp_path: Path) -> None:
    """With --workers above 1 the listening socket reaches the workers as protocol 0, and
    asyncio then leaves Nagle's algorithm on: every answer waited ~40 ms for the client's
    delayed ACK. regenaid's protocol turns it off, on either loop; uvicorn's own on asyncio's
    loop does not (the control)."""
    assert _connection_no_delay(H11Protocol, tmp_path, "asyncio") == 0
    assert _connection_no_delay(HeadTimeoutProtocol, tmp_path, "asyncio") != 0
    assert _connection_no_delay(HeadTimeoutProtocol, tmp_path, "uvloop") != 0


def _exchange(port: int, chunks: list[bytes], pause: float = 0.05) -> bytes:
    """Send ``chunks`` one by one (a pause between) and read until the server closes or goes
    quiet; what the server answered (b"" when it closed without an answer)."""
    with sockets.create_connection(("127.0.0.1", port), timeout=10) as conn:
        answer = b""
        try:
            for chunk in chunks:
                conn.sendall(chunk)
                time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed by the server meanwhile: read what it said
        conn.settimeout(3)
        try:
            while part := conn.recv(65536):
                answer += part
        except (TimeoutError, ConnectionResetError):
            pass
        return answer


def test_request_heads_over_the_limit_are_refused_and_others_served(tmp_path: Path) -> None:
    """httptools has no head limit of its own: regenaid's protocol answers 431 and closes for a
    head over MAX_HEAD_BYTES, whether it arrives whole or as a header line that never ends,
    and serves heads under it however they are split, and bodies of any size."""
    big = b"x" * (MAX_HEAD_BYTES + 100)
    near = b"y" * (MAX_HEAD_BYTES - 400)  # with the rest of the head, just under the limit
    health = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    with _server_in_thread(HeadTimeoutProtocol, tmp_path) as port:
        whole = _exchange(port, [health + b"X-Big: " + big + b"\r\n\r\n"])
        assert whole.startswith(b"HTTP/1.1 431 ") and b"connection: close" in whole
        pieces = [health, b"X-Endless: "] + [b"z" * 4096] * 64  # 256 KB, no line end
        endless = _exchange(port, pieces, pause=0.01)
        assert endless.startswith(b"HTTP/1.1 431 ")
        long_url = _exchange(port, [b"GET /?q=" + big + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"])
        assert long_url.startswith(b"HTTP/1.1 431 ")
        halves = [
            health + b"X-Near: " + near[:8000],
            near[8000:] + b"\r\nConnection: close\r\n\r\n",
        ]
        split = _exchange(port, halves)
        assert split.startswith(b"HTTP/1.1 200 "), split[:80]
        body = b'{"concern": "hair", "pad": "' + b"p" * 60_000 + b'"}'
        post = (
            b"POST /api/v1/assessments HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
        )
        answered = _exchange(port, [post + body])  # head and a large body in one write
        assert answered.startswith(b"HTTP/1.1 422 "), answered[:80]  # judged, not refused
