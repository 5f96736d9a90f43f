"""Server-rendered pages. :func:`install_pages` wires them, the static files, the security
middleware and the database (migrated on start-up) into the app made by ``create_app``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from regenaid.config import Settings
from regenaid.store import (
    SqlUnitOfWork,
    make_engine,
    make_session_factory,
    migrate_to_head,
    purge_expired,
)
from regenaid.web.pages import evidence, intake, results, saved, start
from regenaid.web.security import SecurityMiddleware
from regenaid.web.templating import STATIC_DIR, make_templates, render, strings


def install_pages(app: FastAPI, settings: Settings) -> None:
    """Add pages, static files, security middleware and the migrated database to ``app``."""
    engine = make_engine(settings.database_url)
    migrate_to_head(engine)
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    purge_expired(SqlUnitOfWork(app.state.session_factory))  # saved results past retention
    app.state.templates = make_templates()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (start, intake, results, saved, evidence):
        app.include_router(module.router)
    app.add_middleware(SecurityMiddleware)
    # Compression: pages reflect only answers posted with a valid CSRF token (SameSite=Strict
    # cookie), so an attacker cannot mix chosen text with the token in one response (BREACH).
    # The JSON API negotiates its own compression (web/api), so only pages go through gzip.
    app.add_middleware(PageGZipMiddleware)
    app.add_exception_handler(StarletteHTTPException, _page_errors)  # type: ignore[arg-type]


class PageGZipMiddleware:
    """Starlette's gzip for everything except ``/api/`` (which compresses by itself)."""

    def __init__(self, app: ASGIApp, minimum_size: int = 1024) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not str(scope.get("path", "")).startswith("/api/"):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


async def _page_errors(request: Request, exc: StarletteHTTPException) -> Response:
    """JSON for the API (FastAPI's default); a plain page for everything else."""
    if request.url.path.startswith("/api/"):
        return await http_exception_handler(request, exc)
    t = strings(request)
    if exc.status_code == 404:
        title, message = t("errors.not_found_title"), t("errors.not_found")
    elif exc.status_code == 403:
        title, message = t("errors.bad_request_title"), t("errors.csrf")
    elif exc.status_code == 413:
        title, message = t("errors.bad_request_title"), t("errors.too_large")
    else:
        title, message = t("errors.bad_request_title"), str(exc.detail)
    response = render(
        request, "error.html", {"title": title, "message": message}, status_code=exc.status_code
    )
    response.headers.update(exc.headers or {})  # e.g. Retry-After on 503
    return response
