"""Bounded rendering: PDFs are slow (WeasyPrint takes a good part of a second), so at most a few
render at once per worker and a few more wait; beyond that the server answers 503 with
``Retry-After`` at once instead of letting a queue of PDFs starve every other request.

The gate is used from worker threads (blocking work never runs on the event loop: async routes
hand it to Starlette's thread pool with ``run_in_threadpool``; plain ``def`` routes run there
already).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from fastapi import FastAPI, HTTPException

from regenaid.web.lifespan import add_to_lifespan
from regenaid.web.render_worker import warm_up, yield_to_requests

RETRY_AFTER_SECONDS = 5


class RenderGate:
    """At most ``running`` renders at once and ``waiting`` more queued; a request beyond that
    is refused with 503 and ``Retry-After`` (nothing is rendered for it)."""

    def __init__(self, running: int = 2, waiting: int = 4) -> None:
        if running < 1 or waiting < 0:
            raise ValueError("running must be >= 1 and waiting >= 0")
        self._slots = threading.BoundedSemaphore(running)
        self._lock = threading.Lock()
        self._admitted = 0
        self.capacity = running + waiting

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._lock:
            if self._admitted >= self.capacity:
                raise HTTPException(
                    status_code=503,
                    detail="Many reports are being made right now; please try again in a moment.",
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
            self._admitted += 1
        try:
            with self._slots:
                yield
        finally:
            with self._lock:
                self._admitted -= 1

    @property
    def admitted(self) -> int:
        with self._lock:
            return self._admitted


PDF_GATE = RenderGate()


class RenderProcesses:
    """A small pool of separate processes for renders that are pure CPU (WeasyPrint): in a
    thread of the server they would hold the interpreter lock and slow every other request of
    the worker; in their own process they do not, and they run at a lower priority
    (:func:`regenaid.web.render_worker.yield_to_requests`), so requests go first. "spawn": no
    copy of the server's threads or sockets. :meth:`warm` starts them and has each render once
    (the server does it when it starts: :mod:`regenaid.web.warmup`); otherwise they start on
    first use. Shut down with the process."""

    def __init__(self, processes: int, renderer: str | None = None) -> None:
        self.processes = processes
        self.renderer = renderer  # the module whose warm_up() a process runs when warming up
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._warmed: set[int] = set()

    def _started(self, stop: threading.Event | None = None) -> ProcessPoolExecutor:
        with self._lock:
            if stop is not None and stop.is_set():  # checked under the lock shutdown takes
                raise RuntimeError("the render processes are being stopped")
            if self._pool is None:
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(
                    self.processes, mp_context=context, initializer=yield_to_requests
                )
            return self._pool

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self._started().submit(fn, *args, **kwargs).result()

    def warm(self, stop: threading.Event | None = None) -> set[int]:
        """Start every process and have it warm up (:func:`render_worker.warm_up` of the
        renderer), once; the processes' ids. Submitted at once, the warm-ups make the pool
        start all its processes. Once ``stop`` is set (the app is stopping: see
        :func:`stop_with_app`) no process is started any more."""
        if self.renderer is None:
            return set()
        pool = self._started(stop)
        if len(self._warmed) >= self.processes:
            return set(self._warmed)
        futures = [pool.submit(warm_up, self.renderer) for _ in range(self.processes)]
        pids = {future.result() for future in futures}
        self._warmed |= pids
        return pids

    @property
    def warmed(self) -> frozenset[int]:
        """The ids of the processes :meth:`warm` has warmed up."""
        return frozenset(self._warmed)

    def shutdown(self) -> None:
        """Stop the processes (a later :meth:`run` starts new ones); renders not started yet
        are cancelled, those under way are waited for."""
        with self._lock:
            pool, self._pool = self._pool, None
            self._warmed = set()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


# as many as the gate lets render at once; warming up renders one PDF report in each
PDF_PROCESSES = RenderProcesses(processes=2, renderer="regenaid.reports.assessment_report")


def stop_with_app(app: FastAPI, processes: RenderProcesses = PDF_PROCESSES) -> threading.Event:
    """Stop ``processes`` when the app's lifespan ends (after uvicorn has finished the
    requests under way), so a server that stops leaves no render process behind. Interpreter
    exit hooks cannot be relied on for it: uvicorn ends a graceful shutdown by raising the
    signal it caught again, and the process then dies without running them. Returns the event
    set when stopping begins (the warm-up starts no process after it)."""
    stopping = threading.Event()

    @asynccontextmanager
    async def running() -> AsyncIterator[None]:
        stopping.clear()
        try:
            yield
        finally:
            stopping.set()
            await asyncio.to_thread(processes.shutdown)

    add_to_lifespan(app, running)
    return stopping
