"""The FastAPI application factory: JSON API under ``/api/v1`` and server-rendered pages."""

from __future__ import annotations

from fastapi import FastAPI

from regenaid import __version__
from regenaid.config import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Nothing happens at import time; engines and caches are made here."""
    settings = settings or get_settings()
    app = FastAPI(
        title="regenaid",
        version=__version__,
        description="Evidence-graded decision aid for PRP, exosome therapy and alternatives.",
        docs_url=None,  # /docs and /redoc come from web/api_docs.py: self-hosted, no CDN
        redoc_url=None,
    )
    app.state.settings = settings

    from regenaid.caching import MEGABYTE, set_cache_budget

    set_cache_budget(settings.cache_megabytes * MEGABYTE)  # the cost model's caches, per worker

    from regenaid.web.api.errors import ERROR_RESPONSES

    @app.get("/api/v1/health", tags=["meta"], responses=ERROR_RESPONSES)
    def health() -> dict[str, str]:
        """Trivial endpoint: liveness check and the HTTP benchmark's anchor."""
        return {"status": "ok"}

    from regenaid.web.api import assessments, compare, errors

    app.include_router(assessments.router)  # POST /api/v1/assessments
    app.include_router(compare.router)  # GET /api/v1/compare
    errors.install_error_handlers(app)  # bad input -> 422 naming the field

    from regenaid.web.pages import install_pages

    install_pages(app, settings)  # pages, static files, security middleware, DB migration

    from regenaid.web.clinic.install import install_clinic

    install_clinic(app)  # /clinic pages and /api/v1/clinic: staff sign-in, records, audit

    from regenaid.web.api_docs import install_api_docs
    from regenaid.web.limits import stop_with_app
    from regenaid.web.logging_setup import install_log_redaction
    from regenaid.web.purge_schedule import install_purge_schedule
    from regenaid.web.warmup import install_warmup

    install_api_docs(app)  # /docs, /redoc with their scripts served from here
    install_log_redaction()  # no link secrets in uvicorn's access log, however it is started
    install_purge_schedule(app, settings.purge_interval_seconds)  # expired results, hourly
    stopping = stop_with_app(app)  # no PDF render process outlives the app
    if settings.warm_up:  # templates compiled, PDF render processes warm, before first use
        install_warmup(app, stop=stopping)
    return app
