"""The API's interactive docs (``/docs``: Swagger UI, ``/redoc``: ReDoc) from this server only.

FastAPI's own docs pages load their script and style from a CDN without Subresource Integrity.
Here the same pages load the copies shipped in the PyPI package ``fastapi-offline`` (its
``static/`` folder: ``swagger-ui-bundle.js``, ``swagger-ui.css``, ``redoc.standalone.js``),
served under ``/docs-assets/``. Swagger UI's one inline start-up script is allowed by its
SHA-256 hash (ReDoc's page has none); nothing is loaded from elsewhere. Without the package
there are no ``/docs`` or ``/redoc`` pages (never a CDN); ``/openapi.json`` is always there.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS = "/docs-assets"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def assets_dir() -> Path | None:
    """The folder of self-hosted Swagger UI and ReDoc files, None when not installed."""
    try:
        import fastapi_offline  # type: ignore[import-untyped]
    except ImportError:
        return None
    folder = Path(fastapi_offline.__file__).parent / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def page_policy(html: str) -> str:
    """A CSP for a docs page: scripts from here plus its inline scripts by hash. Swagger UI
    and ReDoc set inline styles from script, and ReDoc runs its search in a blob worker."""
    scripts = " ".join(
        ["'self'"]
        + [
            "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
            for s in _INLINE_SCRIPT.findall(html)
        ]
    )
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _page(response: HTMLResponse) -> tuple[str, str]:
    html = bytes(response.body).decode()
    return html, page_policy(html)


def install_api_docs(app: FastAPI) -> None:
    """Add ``/docs`` and ``/redoc`` with self-hosted assets (create the app with
    ``docs_url=None, redoc_url=None`` so FastAPI's CDN pages are not there)."""
    folder = assets_dir()
    if folder is None or app.openapi_url is None:
        return
    app.mount(ASSETS, StaticFiles(directory=folder), name="docs-assets")
    title = f"{app.title} API"
    swagger = _page(
        get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=title,
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
        )
    )
    redoc = _page(
        get_redoc_html(
            openapi_url=app.openapi_url,
            title=title,
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
    )

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(swagger[0], headers={"content-security-policy": swagger[1]})

    @app.get("/redoc", include_in_schema=False)
    def redoc_page() -> HTMLResponse:
        return HTMLResponse(redoc[0], headers={"content-security-policy": redoc[1]})
