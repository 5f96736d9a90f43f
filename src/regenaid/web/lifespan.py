"""Work that lasts as long as the app runs: added around the app's lifespan.

Several parts of the app need something done when it starts and undone when it stops (the
purge schedule, the warm-up, stopping the PDF render processes). :func:`add_to_lifespan` puts
each around the lifespan the app already has, so they nest: the last one added starts first
and ends last.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI


def add_to_lifespan(app: FastAPI, around: Callable[[], AbstractAsyncContextManager[None]]) -> None:
    """Enter ``around()`` when the app's lifespan starts, before the lifespan it already has,
    and leave it after that one has ended (whether it ended well or not)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with around(), inner(application) as state:
            yield state

    app.router.lifespan_context = lifespan
