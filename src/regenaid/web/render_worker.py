"""What a render process (:class:`regenaid.web.limits.RenderProcesses`) runs before any render.

Kept apart from the web stack on purpose: a new render process imports only this module (and
the two package ``__init__`` files, which import nothing) before it lowers its priority, so it
competes with the server's requests for as little time as possible.
"""

from __future__ import annotations

import importlib
import os
from contextlib import suppress

RENDER_NICENESS = 5  # added to the server's niceness


def yield_to_requests() -> None:
    """Lower this process's priority a little (``nice`` +5): when requests and renders want
    the CPUs at once, the server's requests get about three times a render's share, while a
    render still progresses on a busy machine (the idle scheduling class, tried first, starved
    renders outright under a full test run)."""
    with suppress(OSError):
        os.nice(RENDER_NICENESS)


def warm_up(module: str) -> int:
    """Import ``module`` (the renderer) in this render process and run its ``warm_up()`` when
    it has one (a render thrown away: the libraries' imports, fonts and styles), so that the
    first render does not pay for them; this process's id."""
    warm = getattr(importlib.import_module(module), "warm_up", None)
    if callable(warm):
        warm()
    return os.getpid()
