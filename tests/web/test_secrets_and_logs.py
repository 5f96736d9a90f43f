"""Issue 10 (deliverables 6 and 7): secrets required, nothing private in logs, no-store and
security headers everywhere, no Host reflected in redirects, expired results purged while
running, database file private.

The log tests run a whole journey (answer, save, open, download, change the choice, database
failures, delete) and then look for the link secret, its SHA-256 and distinctive answers in
everything logged: once through TestClient (every logger captured) and once against a real
uvicorn started like the browser tests start it, with its access log on.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from web_answers import BASE

from live_server import free_port, start, stop, uvicorn_command
from regenaid.config import (
    ConfigurationError,
    Settings,
    load_settings,
    weak_secret_key_reason,
)
from regenaid.store import SqlUnitOfWork, save_result
from regenaid.store.shared_results import lookup_hash
from regenaid.web.app import create_app
from regenaid.web.logging_setup import RedactSecretPaths, install_log_redaction

STRONG_KEY = "Vq3x8ZkP0rT2yL5nW9bC4dF7gH1jM6sA8uE0iO2pQ4w"  # 43 URL-safe characters
# Answers nobody else would log: a budget amount and the condition's id.
DISTINCTIVE_AMOUNT = "28463"
ANSWERS = {**BASE, "budget.amount": DISTINCTIVE_AMOUNT, "priorities.cost": "4"}
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": f"sqlite:///{tmp_path / 'db' / 'web.db'}",
        "secret_key": "test-secret-key",
        **overrides,
    }
    return Settings(**values)


# ---------------------------------------------------------------- secrets and settings


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("", "must be set"),
        ("x", "1 characters"),
        ("dev-only-not-secret", "published"),
        ("a" * 64, "too few different"),
        ("0123456789abcdef" * 4, "repeated pattern"),
    ],
)
def test_production_refuses_a_missing_or_weak_secret_key_in_one_line(
    monkeypatch: pytest.MonkeyPatch, key: str, why: str
) -> None:
    monkeypatch.setenv("REGENAID_ENVIRONMENT", "production")
    monkeypatch.setenv("REGENAID_ALLOWED_HOSTS", "regenaid.example.org")
    monkeypatch.setenv("REGENAID_SECRET_KEY", key)
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    message = str(raised.value.code)
    assert "\n" not in message and "REGENAID_SECRET_KEY" in message and why in message


def test_production_accepts_random_keys_and_needs_allowed_hosts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REGENAID_ENVIRONMENT", "production")
    monkeypatch.setenv("REGENAID_SECRET_KEY", STRONG_KEY)
    with pytest.raises(ConfigurationError, match="REGENAID_ALLOWED_HOSTS"):
        load_settings()
    monkeypatch.setenv("REGENAID_ALLOWED_HOSTS", "regenaid.example.org, www.regenaid.example.org")
    settings = load_settings()
    assert settings.secret_key == STRONG_KEY
    assert settings.allowed_host_list == ["regenaid.example.org", "www.regenaid.example.org"]
    assert weak_secret_key_reason(os.urandom(32).hex()) is None  # 64 hex characters


def test_production_server_exits_with_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "REGENAID_ENVIRONMENT": "production",
        "REGENAID_SECRET_KEY": "x",
        "REGENAID_ALLOWED_HOSTS": "regenaid.example.org",
        "REGENAID_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "uvicorn", "--factory", "regenaid.web.app:create_app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "regenaid: configuration error: REGENAID_SECRET_KEY is 1 characters; it needs at least "
        "43 (32 random bytes, e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
    ]
    assert not (tmp_path / "p.db").exists()


def test_development_creates_a_private_key_once_and_reuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("REGENAID_SECRET_KEY", "REGENAID_ENVIRONMENT", "REGENAID_SECRET_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    first = Settings(database_url="sqlite://")
    assert "created a development secret key in var/secret_key" in capsys.readouterr().err
    key_file = tmp_path / "var" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert weak_secret_key_reason(first.secret_key) is None
    second = Settings(database_url="sqlite://")
    assert second.secret_key == first.secret_key
    assert capsys.readouterr().err == ""  # said once


def test_test_environment_without_a_key_gets_a_random_one(tmp_path: Path) -> None:
    one = Settings(environment="test", database_url="sqlite://", secret_key_file=tmp_path / "k")
    two = Settings(environment="test", database_url="sqlite://", secret_key_file=tmp_path / "k")
    assert one.secret_key != two.secret_key and len(one.secret_key) >= 43
    assert not (tmp_path / "k").exists()


def test_sqlite_file_is_private(tmp_path: Path) -> None:
    create_app(_settings(tmp_path))
    database = tmp_path / "db" / "web.db"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700
    database.chmod(0o644)  # an older, readable file is tightened on the next start
    create_app(_settings(tmp_path))
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


# ---------------------------------------------------------------- the journey


def _csrf(client: Any) -> str:
    match = CSRF.search(client.get("/intake").text)
    assert match
    return match.group(1)


def journey(client: Any, break_database: Callable[[bool], None]) -> str:
    """Answer, see results, save, open every view of the saved link, change the choice, hit
    database failures on opening and saving, delete. The link's secret."""
    results = client.post(
        "/intake", data={**ANSWERS, "step": "values", "go": "finish", "csrf_token": _csrf(client)}
    )
    assert results.status_code == 200
    assert results.headers["cache-control"] == "no-store"
    saved = client.post("/saved", data={**ANSWERS, "csrf_token": _csrf(client)})
    assert saved.status_code == 200 and saved.url.path.startswith("/r/")
    link = saved.url.path
    token = link.removeprefix("/r/")
    for path in ("", "/report", "/report.pdf", "/cost-chart.svg"):
        assert client.get(link + path).status_code == 200, path
    start = datetime.now(UTC).date().isoformat()
    ics = client.get(f"{link}/plan.ics", params={"option": "prp", "start": start})
    assert ics.status_code == 200
    page = client.get(link).text
    csrf = CSRF.search(page)
    assert csrf
    chosen = client.post(f"{link}/choice", data={"leaning": "unsure", "csrf_token": csrf[1]})
    assert chosen.status_code == 200
    break_database(True)
    try:
        failed_open = client.get(link)
        assert failed_open.status_code == 500
        assert "reference" in failed_open.text and token not in failed_open.text
        failed_save = client.post("/saved", data={**ANSWERS, "csrf_token": _csrf(client)})
        assert failed_save.status_code == 500
    finally:
        break_database(False)
    ask = client.post(f"{link}/delete", data={"csrf_token": csrf[1]})
    assert ask.status_code == 200
    gone = client.post(f"{link}/delete", data={"csrf_token": csrf[1], "confirm": "yes"})
    assert gone.status_code == 200
    assert client.get(link).status_code == 404
    return token


def _table_switch(database: Path) -> Callable[[bool], None]:
    """Renaming the results table makes every query on it fail with an error whose message
    (SQLAlchemy's) carries the statement's parameters: the link's hash, the answers."""

    def switch(broken: bool) -> None:
        old, new = ("saved_results", "saved_results_off")
        if not broken:
            old, new = new, old
        with sqlite3.connect(database) as connection:
            connection.execute(f"ALTER TABLE {old} RENAME TO {new}")

    return switch


def private_values(token: str) -> dict[str, str]:
    return {
        "token": token,
        "token hash": lookup_hash(token),
        "budget amount": DISTINCTIVE_AMOUNT,
        "condition": "androgenetic_alopecia",
    }


def leaks(text: str, token: str) -> dict[str, int]:
    return {name: text.count(value) for name, value in private_values(token).items()}


def test_journey_logs_nothing_private(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Everything at DEBUG except SQLAlchemy's statement echo, an explicit debugging switch
    # (echo=True) that is off unless an operator turns it on.
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="sqlalchemy")
    with TestClient(create_app(_settings(tmp_path))) as client:
        token = journey(client, _table_switch(tmp_path / "db" / "web.db"))
    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.exc_info or ''}" for r in caplog.records
    )
    assert leaks(logged, token) == dict.fromkeys(private_values(token), 0), logged
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert len(failures) == 2
    for record in failures:
        assert record.exc_info is None
        assert re.fullmatch(
            r"request [0-9a-f]{16} failed: (GET|POST) /(r/<redacted>|saved) raised \w+",
            record.getMessage(),
        )


def test_access_log_filter_redacts_link_secrets(tmp_path: Path) -> None:
    create_app(_settings(tmp_path))
    access = logging.getLogger("uvicorn.access")
    assert sum(isinstance(f, RedactSecretPaths) for f in access.filters) == 1
    install_log_redaction()  # idempotent
    assert sum(isinstance(f, RedactSecretPaths) for f in access.filters) == 1
    token = "A" * 21 + "b_-" + "C" * 19
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", f"/r/{token}/plan.ics?option=prp", "1.1", 200),
        None,
    )
    assert access.filters[-1].filter(record)
    assert (
        record.getMessage() == '127.0.0.1:5 - "GET /r/<redacted>/plan.ics?option=prp HTTP/1.1" 200'
    )


def test_real_server_access_and_error_logs_hold_no_secrets(tmp_path: Path) -> None:
    """uvicorn started as tests/browser/conftest.py starts it, but with ``--log-level info``
    so that every request is in the access log."""
    port = free_port()
    database = tmp_path / "var" / "server.db"
    env = {
        **os.environ,
        "REGENAID_DATABASE_URL": f"sqlite:///{database}",
        "REGENAID_ENVIRONMENT": "test",
        "REGENAID_SECRET_KEY": "log-test-secret",
    }
    log_path = tmp_path / "server.log"
    process, url = start(uvicorn_command(port, log_level="info"), env, log_path, port)
    try:
        with httpx.Client(base_url=url, follow_redirects=True, timeout=60) as client:
            token = journey(client, _table_switch(database))
    finally:
        stop(process)
    text = log_path.read_text()
    assert leaks(text, token) == dict.fromkeys(private_values(token), 0), text
    assert text.count("/r/<redacted>") >= 10  # the access log was on and saw the link
    assert len(re.findall(r"request [0-9a-f]{16} failed: .* raised OperationalError", text)) == 2
    assert "Traceback" not in text and "Exception in ASGI application" not in text


# ---------------------------------------------------------------- headers, hosts, redirects


def _assert_security_headers(response: httpx.Response) -> None:
    csp = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, response.request.url
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert "camera=()" in response.headers["permissions-policy"]


def test_security_headers_on_errors_and_static_files(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path))

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError(f"answers {DISTINCTIVE_AMOUNT}")

    with TestClient(app) as client:
        checks = {
            "/static/site.css": 200,
            "/nope": 404,
            "/api/v1/nope": 404,
            "/api/v1/compare?condition=nope": 422,
            "/r/" + "A" * 43: 404,
            "/api/v1/boom": 500,
        }
        for path, status in checks.items():
            response = client.get(path)
            assert response.status_code == status, path
            _assert_security_headers(response)
        assert DISTINCTIVE_AMOUNT not in client.get("/api/v1/boom").text
        bad_form = client.post("/intake", data={"step": "concern"})  # no CSRF token: 403
        assert bad_form.status_code == 403
        _assert_security_headers(bad_form)


def test_no_store_on_everything_that_carries_answers(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path))) as client:
        token = _csrf(client)
        start = datetime.now(UTC).date().isoformat()
        posts = {
            "/intake": {**ANSWERS, "step": "health", "go": "next"},  # hidden answers
            "/results/report": ANSWERS,
            "/results/report.pdf": ANSWERS,
            "/results/plan.ics": {**ANSWERS, "option": "prp", "start": start},
        }
        for path, data in posts.items():
            response = client.post(path, data={**data, "csrf_token": token})
            assert response.status_code == 200, path
            assert response.headers["cache-control"] == "no-store", path
        intake = {
            "concern": "hair",
            "condition": "androgenetic_alopecia",
            "age": 40,
            "sex": "male",
            "scale": {"name": "norwood", "grade": "III"},
        }
        api = client.post("/api/v1/assessments", json=intake)
        assert api.status_code == 200 and api.headers["cache-control"] == "no-store"
        saved = client.post("/saved", data={**ANSWERS, "csrf_token": token})
        assert saved.headers["cache-control"] == "no-store"
        assert "cache-control" not in client.get("/static/site.css").headers


def test_forged_host_is_refused_and_never_reflected(tmp_path: Path) -> None:
    evil = {"host": "evil.example"}
    with TestClient(create_app(_settings(tmp_path)), follow_redirects=False) as client:
        refused = client.get("/", headers=evil)
        assert refused.status_code == 400
        _assert_security_headers(refused)
        assert client.get("/", headers={"host": "localhost:8000"}).status_code == 200
    # Even where any Host is accepted (behind a proxy that checks it), redirects are relative.
    anywhere = _settings(tmp_path, allowed_hosts="*")
    with TestClient(create_app(anywhere), follow_redirects=False) as client:
        for path in ("/intake/", "/static"):
            moved = client.get(path, headers=evil)
            assert moved.status_code in (307, 308), path
            assert moved.headers["location"].startswith("/"), moved.headers["location"]
            assert "evil" not in moved.headers["location"]
        saved = client.post("/saved", data={**ANSWERS, "csrf_token": _csrf(client)}, headers=evil)
        assert saved.status_code == 303 and saved.headers["location"].startswith("/r/")
        sneaky = client.get("//evil.example/intake/", headers=evil)
        assert not sneaky.headers.get("location", "/").startswith("//")


# ---------------------------------------------------------------- purge while running


def test_expired_results_are_purged_while_running(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, purge_interval_seconds=0.05))
    database = tmp_path / "db" / "web.db"
    intake = {"condition": "androgenetic_alopecia", "age": 40, "sex": "male"}
    long_ago = datetime.now(UTC) - timedelta(days=400)

    def rows() -> int:
        with sqlite3.connect(database) as connection:
            return int(connection.execute("SELECT count(*) FROM saved_results").fetchone()[0])

    with TestClient(app):
        save_result(SqlUnitOfWork(app.state.session_factory), intake, {}, now=long_ago)
        save_result(SqlUnitOfWork(app.state.session_factory), intake, {})  # still valid
        deadline = time.monotonic() + 10
        while rows() > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert rows() == 1


# ---------------------------------------------------------------- API docs without a CDN


def test_api_docs_are_served_from_here(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path))) as client:
        assert client.get("/openapi.json").status_code == 200
        for path in ("/docs", "/redoc"):
            page = client.get(path)
            assert page.status_code == 200, path
            assert "http" not in re.sub(r"https?://(www\.)?(swagger\.io|redoc\.ly)", "", page.text)
            policy = page.headers["content-security-policy"]
            assert "http" not in policy
            if path == "/docs":  # Swagger UI's start-up script, allowed by its hash
                assert "script-src 'self' 'sha256-" in policy
            assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
            for asset in re.findall(r'(?:src|href)="(/docs-assets/[^"]+)"', page.text):
                fetched = client.get(asset)
                assert fetched.status_code == 200 and len(fetched.content) > 1000, asset
