"""What a render process (:class:`regenaid.web.limits.RenderProcesses`) runs before any render.

Kept apart from the web stack on purpose: a new render process imports only this module (and
the two package ``__init__`` files, which import nothing) before it lowers its priority, so it
competes with the server's requests for as little time as possible.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from contextlib import suppress

RENDER_NICENESS = 5  # added to the server's niceness
PARENT_CHECK_SECONDS = 1.0  # how often a render process looks whether its server still runs


def yield_to_requests() -> None:
    """What a render process does first: lower its priority a little (``nice`` +5: when
    requests and renders want the CPUs at once, the server's requests get about three times a
    render's share, while a render still progresses on a busy machine; the idle scheduling
    class, tried first, starved renders outright under a full test run), and leave when its
    server is gone (:func:`leave_with_parent`)."""
    with suppress(OSError):
        os.nice(RENDER_NICENESS)
    leave_with_parent(os.getppid())


def leave_with_parent(parent: int, every: float = PARENT_CHECK_SECONDS) -> threading.Thread:
    """Exit this process once its parent ``parent`` is gone (it then has another parent).

    A render process waits for work on a queue whose writing end it holds itself, so it never
    sees the server close it: when the server dies without stopping its pool (killed, or shut
    down by a signal that skips the interpreter's exit hooks, as uvicorn's graceful shutdown
    does when it re-raises SIGTERM) the render processes would wait forever, about 190 MB
    each. A daemon thread looks every ``every`` seconds."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(0)  # nothing to finish: the server that wanted the render is gone

    thread = threading.Thread(target=watch, name="leave-with-parent", daemon=True)
    thread.start()
    return thread


def warm_up(module: str) -> int:
    """Import ``module`` (the renderer) in this render process and run its ``warm_up()`` when
    it has one (a render thrown away: the libraries' imports, fonts and styles), so that the
    first render does not pay for them; this process's id."""
    warm = getattr(importlib.import_module(module), "warm_up", None)
    if callable(warm):
        warm()
    return os.getpid()
