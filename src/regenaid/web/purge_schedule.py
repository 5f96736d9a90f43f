"""Expired saved results are deleted while the server runs, not only at start-up.

:func:`install_purge_schedule` wraps the app's lifespan: an asyncio task deletes expired saved
results (and expired staff sessions and old sign-in failures) every
``Settings.purge_interval_seconds`` (an hour by default) in a worker thread, and is cancelled
at shutdown. A failing purge is logged (type only) and tried again next time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from regenaid.store import SqlUnitOfWork, purge_expired
from regenaid.store.clinic_directory import purge_stale_sign_ins
from regenaid.web.lifespan import add_to_lifespan

logger = logging.getLogger("regenaid.web")


async def purge_periodically(app: FastAPI, interval_seconds: float) -> None:
    """Forever: wait ``interval_seconds``, then delete expired saved results."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            factory = app.state.session_factory
            removed = await run_in_threadpool(purge_expired, SqlUnitOfWork(factory))
            await run_in_threadpool(purge_stale_sign_ins, factory, datetime.now(UTC))
        except Exception as error:  # keep purging; the message may hold data
            logger.error("purge of expired saved results failed: %s", type(error).__name__)
        else:
            if removed:
                logger.info("purged %d expired saved result(s)", removed)


def install_purge_schedule(app: FastAPI, interval_seconds: float) -> None:
    """Run :func:`purge_periodically` for as long as the app's lifespan lasts (around any
    lifespan the app already has)."""

    @asynccontextmanager
    async def purging() -> AsyncIterator[None]:
        task = asyncio.create_task(purge_periodically(app, interval_seconds))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    add_to_lifespan(app, purging)
