"""What a render process (:class:`regenaid.web.limits.RenderProcesses`) runs before any render.

Kept apart from the web stack on purpose: a new render process imports only this module (and
the two package ``__init__`` files, which import nothing) before it lowers its priority, so it
competes with the server's requests for as little time as possible.
"""

from __future__ import annotations

import importlib
import os
from contextlib import suppress


def yield_to_requests() -> None:
    """Run this process at the idle scheduling class (Linux ``SCHED_IDLE``), so that a render
    takes only CPU time no request is waiting for: with as many renders as CPUs, a request that
    wakes the server then finds a CPU at once instead of queueing behind a render's time slice.
    Elsewhere (or where the system refuses), renders keep the default priority."""
    policy = getattr(os, "SCHED_IDLE", None)
    if policy is None or not hasattr(os, "sched_setscheduler"):
        return
    with suppress(OSError):
        os.sched_setscheduler(0, policy, os.sched_param(0))


def warm_up(module: str) -> int:
    """Import ``module`` (the renderer) in this render process and run its ``warm_up()`` when
    it has one (a render thrown away: the libraries' imports, fonts and styles), so that the
    first render does not pay for them; this process's id."""
    warm = getattr(importlib.import_module(module), "warm_up", None)
    if callable(warm):
        warm()
    return os.getpid()
