"""``regenaid serve``: uvicorn with production limits.

Several worker processes (default: one per CPU in production, one otherwise) share nothing but
the database: charts travel in signed links, saved results live in the database, so any worker
or instance can answer any request. The schema is migrated once, here, before the workers
start. Limits per worker: concurrent connections (more get 503), a read timeout for the first
request head (stalled sockets are closed), keep-alive timeout, largest request head, request
recycling with jitter (a worker is replaced after about 10,000 requests
in production, so slow memory growth cannot build up), graceful shutdown. Behind a reverse
proxy, forwarded headers are trusted only from ``REGENAID_FORWARDED_ALLOW_IPS``.
"""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any

import typer
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

CONCURRENCY_PER_WORKER = 2048  # open connections and tasks; beyond this uvicorn answers 503
HEAD_TIMEOUT_SECONDS = 10.0  # a new connection must send its first request head by then
KEEP_ALIVE_SECONDS = 5
GRACEFUL_SHUTDOWN_SECONDS = 20
MAX_REQUESTS = 10_000  # per worker, production: then the worker is replaced
MAX_REQUESTS_JITTER = 1_000  # so workers are not all replaced at once
MAX_HEAD_BYTES = 16 * 1024  # request line + headers


class HeadTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol on httptools (llhttp, the C parser of Node.js) with a read
    timeout and a size limit for request heads, and ``TCP_NODELAY`` on every connection.

    Head timeout: a client that connects and does not finish its request line and headers
    within ``HEAD_TIMEOUT_SECONDS`` is disconnected (uvicorn's own keep-alive timer only starts
    after a response), so stalled or slowloris sockets cannot pile up.

    Head size: httptools has no limit of its own (uvicorn's ``h11_max_incomplete_event_size``
    applies to h11 only), so a head over ``MAX_HEAD_BYTES`` (request line and headers) is
    answered 431 and the connection closed: a head that arrives whole is measured from its
    parts as the parser reports them; one still arriving is measured by the bytes read while
    it is incomplete (a header line that never ends is buffered by the parser, not reported).

    ``TCP_NODELAY``: asyncio sets it only for sockets whose protocol number is TCP; with
    ``--workers`` above 1, uvicorn hands the listening socket to its worker processes as a
    socket of protocol 0, the connections they accept inherit that, and each answer written in
    two parts (head, then body) then waited for the client's delayed acknowledgement: about
    40 ms per keep-alive request (measured: 48 ms median for ``/api/v1/health`` with two
    workers against 2 ms with one).

    httptools and uvloop are uvicorn's fast options (``uvicorn[standard]``): measured with one
    worker, two runs each (2026-12-01, ``benchmarks/bench_assess.py``'s HTTP rows), the server's
    CPU per assessment fell from 2.52-2.77 ms (seen intakes) and 2.83-2.87 ms (fresh) with h11
    on asyncio's loop to 2.15-2.37 and 2.47-2.50 ms."""

    head_timeout = HEAD_TIMEOUT_SECONDS
    max_head_bytes = MAX_HEAD_BYTES

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        no_delay(transport)
        super().connection_made(transport)
        self._head_open = True  # a request head is being read (or awaited)
        self._head_read = 0  # bytes read while it was incomplete
        self._head_parts = 0  # length of its request line and headers as the parser reports them
        self._head_too_large = False
        self._head_timer: asyncio.TimerHandle | None = self.loop.call_later(
            self.head_timeout, self._head_timed_out
        )

    def data_received(self, data: bytes) -> None:
        if self._head_open:
            self._head_read += len(data)
        super().data_received(data)
        if self.cycle is not None and self._head_timer is not None:  # the head is complete
            self._head_timer.cancel()
            self._head_timer = None
        over = self._head_open and self._head_read > self.max_head_bytes
        if over and not self.transport.is_closing():
            self._head_too_large = True
            self.send_400_response("Request head too large.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_parts = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._count_head(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._count_head(len(name) + len(value) + 4)  # "name: value\r\n"

    def on_headers_complete(self) -> None:
        self._head_open = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head_open = True
        self._head_read = 0

    def _count_head(self, size: int) -> None:
        self._head_parts += size
        if self._head_parts > self.max_head_bytes:
            self._head_too_large = True
            raise ValueError("request head too large")  # the parser stops; answered below

    def send_400_response(self, msg: str) -> None:
        """uvicorn answers a request the parser refused with 400; a head too large gets 431."""
        if not self._head_too_large:
            super().send_400_response(msg)
            return
        text = b"Request head too large."
        self.transport.write(
            b"".join(
                [
                    STATUS_LINE[431],
                    *(
                        name + b": " + value + b"\r\n"
                        for name, value in self.server_state.default_headers
                    ),
                    b"content-type: text/plain; charset=utf-8\r\n",
                    b"content-length: %d\r\n" % len(text),
                    b"connection: close\r\n\r\n",
                    text,
                ]
            )
        )
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.cycle is None and not self.transport.is_closing():
            self.transport.close()


def no_delay(transport: asyncio.BaseTransport) -> None:
    """Send small writes at once on a TCP connection (``TCP_NODELAY``; see
    :class:`HeadTimeoutProtocol`). Other sockets (Unix) are left as they are."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def server_options(
    environment: str, workers: int | None, forwarded_allow_ips: str
) -> dict[str, Any]:
    """The uvicorn settings for ``environment`` (pure: the tests check them)."""
    production = environment == "production"
    count = workers if workers is not None else ((os.cpu_count() or 1) if production else 1)
    if count < 1:
        raise typer.BadParameter("must be 1 or more", param_hint="--workers")
    return {
        "workers": count,
        "limit_concurrency": CONCURRENCY_PER_WORKER,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        "limit_max_requests": MAX_REQUESTS if production else None,
        "limit_max_requests_jitter": MAX_REQUESTS_JITTER if production else 0,
        "http": HeadTimeoutProtocol,
        "loop": "uvloop",
        "proxy_headers": True,
        "forwarded_allow_ips": forwarded_allow_ips,
        "server_header": False,
    }


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int | None = typer.Option(
        None, help="Worker processes (default: one per CPU in production, else 1)."
    ),
) -> None:
    """Run the web app and JSON API (SQLite by default, created and migrated on first start)."""
    import uvicorn

    from regenaid.config import get_settings
    from regenaid.store.database import make_engine
    from regenaid.store.migrate import migrate_to_head

    settings = get_settings()
    options = server_options(
        settings.environment,
        workers,
        os.environ.get("REGENAID_FORWARDED_ALLOW_IPS", "127.0.0.1"),
    )
    engine = make_engine(settings.database_url)
    try:
        migrate_to_head(engine)  # once, before the workers start (they find it done)
    finally:
        engine.dispose()
    uvicorn.run(
        "regenaid.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_level="info",
        **options,
    )
