"""Bounded rendering: PDFs are slow (WeasyPrint takes a good part of a second), so at most a few
render at once per worker and a few more wait; beyond that the server answers 503 with
``Retry-After`` at once instead of letting a queue of PDFs starve every other request.

The gate is used from worker threads (blocking work never runs on the event loop: async routes
hand it to Starlette's thread pool with ``run_in_threadpool``; plain ``def`` routes run there
already).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from fastapi import HTTPException

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
    the worker; in their own process they do not. Started on first use ("spawn": no copy of
    the server's threads or sockets), shut down with the process."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(self.processes, mp_context=context)
            pool = self._pool
        return pool.submit(fn, *args, **kwargs).result()


PDF_PROCESSES = RenderProcesses(processes=2)  # as many as the gate lets render at once
