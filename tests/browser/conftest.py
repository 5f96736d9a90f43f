"""Browser tests: one real uvicorn server (temp SQLite) and one Chromium for the session.

Chromium is Debian's (/usr/bin/chromium) driven by Playwright's sync API. Every test gets a
fresh browser context (own cookies, downloads accepted). Screenshots go to
``test-output/screenshots/`` so a person can look at them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    sync_playwright,
)

from live_server import free_port, start, stop, uvicorn_command

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uvicorn server running the real app on a free loopback port."""
    tmp = tmp_path_factory.mktemp("server")
    port = free_port()
    env = {
        **os.environ,
        "REGENAID_DATABASE_URL": f"sqlite:///{tmp / 'var' / 'browser.db'}",
        "REGENAID_ENVIRONMENT": "test",
        "REGENAID_SECRET_KEY": "browser-test-secret",
    }
    process, url = start(uvicorn_command(port), env, tmp / "server.log", port)
    try:
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make system-deps`")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=base_url, accept_downloads=True)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page that records script errors, CSP violations and failed sub-resources (style,
    script, image); the test fails on any. Pages themselves may answer 404/422 on purpose."""
    new_page = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response: Response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            errors.append(f"{response.status} {response.url}")

    new_page.on("console", on_console)
    new_page.on("pageerror", lambda e: errors.append(str(e)))
    new_page.on("response", on_response)

    def on_failed(request: Request) -> None:
        # a download ends its navigation request as "failed"; a sub-resource still loading when
        # the test moves on (often the favicon) is cancelled by the navigation: ERR_ABORTED is not
        # a broken resource (a missing one is a 404 above); any other failure is
        if request.resource_type != "document" and request.failure != "net::ERR_ABORTED":
            errors.append(f"failed {request.url}: {request.failure}")

    new_page.on("requestfailed", on_failed)
    yield new_page
    assert errors == [], f"browser errors: {errors}"


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
