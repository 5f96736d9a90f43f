"""What a new worker does right after it starts, in the background, so that its first visitors
do not pay for it (and, while they would, every other request of the worker waits: the work
holds the interpreter lock or a CPU).

- The knowledge base is read and one assessment is made (the first read takes about 0.14 s;
  the first assessment fills the cost model's shared draws).
- The public pages' templates are compiled (Jinja compiles a template on first use: about
  0.1 s for the intake form, 0.15 s for the results page on a slow machine).
- What start-up made (modules, the knowledge base, templates, the first caches) is frozen
  (``gc.freeze``): it lives as long as the worker, and the collector no longer walks it. A
  full collection over it took about 200 ms (350,000 objects), every thread of the worker
  stopped meanwhile, event loop included; the caches that fill as people come make such
  collections happen now and then.
- The PDF render processes are started and render one report each
  (:meth:`regenaid.web.limits.RenderProcesses.warm`: WeasyPrint's import, fonts and styles,
  a few seconds of CPU at a lower priority).

Start-up does not wait for it (``REGENAID_WARM_UP=0`` turns it off); a failure is logged (its
type only) and the work then happens on first use, as it would without this.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from regenaid.web.lifespan import add_to_lifespan
from regenaid.web.limits import PDF_PROCESSES, RenderProcesses

logger = logging.getLogger("regenaid.web")

STAFF_TEMPLATES = "clinic/"  # compiled on first use: staff pages, few and known visitors


def compile_public_templates(app: FastAPI) -> int:
    """Compile (and cache) every page template but the clinic's; how many."""
    env = app.state.templates.env
    names = [n for n in env.list_templates() if not n.startswith(STAFF_TEMPLATES)]
    for name in names:
        env.get_template(name)
    return len(names)


def assess_once() -> None:
    """Read the knowledge base and make one assessment (thrown away)."""
    from regenaid.decide import assess, parse_intake
    from regenaid.knowledge import load_knowledge
    from regenaid.reports.assessment_report import WARM_UP_INTAKE

    assess(parse_intake(WARM_UP_INTAKE), load_knowledge())


def install_warmup(
    app: FastAPI,
    processes: RenderProcesses = PDF_PROCESSES,
    stop: threading.Event | None = None,
) -> None:
    """Warm the app up in a background thread when its lifespan starts (module docstring).
    Once ``stop`` is set (the app is stopping) no further step starts."""

    def warm() -> None:
        steps = (
            assess_once,
            lambda: compile_public_templates(app),
            gc.freeze,
            lambda: processes.warm(stop),
        )
        for step in steps:
            if stop is not None and stop.is_set():
                return
            try:
                step()
            except Exception as error:  # then it happens on first use
                logger.error("warm-up step failed: %s", type(error).__name__)

    @asynccontextmanager
    async def warming() -> AsyncIterator[None]:
        threading.Thread(target=warm, name="warmup", daemon=True).start()
        yield

    add_to_lifespan(app, warming)
