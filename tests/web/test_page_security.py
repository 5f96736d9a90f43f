"""Security basics of the pages: headers, CSRF, size limits, escaping, unguessable links."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

PAGES = ["/", "/intake", "/static/site.css"]


def test_security_headers_on_pages(client: TestClient) -> None:
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "camera=()" in response.headers["permissions-policy"]


def test_pages_have_no_inline_script_or_style(client: TestClient) -> None:
    html = client.get("/").text
    assert "<style" not in html and " style=" not in html
    assert "<script>" not in html and '<script src="/static/site.js" defer></script>' in html
    assert 'onclick="' not in html


def test_csrf_cookie_is_http_only_and_strict(client: TestClient) -> None:
    cookie = client.get("/").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_post_without_or_with_wrong_csrf_token_is_rejected(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    client.get("/intake")
    assert client.post("/intake", data={"step": "concern", "concern": "hair"}).status_code == 403
    bad = client.post(
        "/intake", data={"step": "concern", "concern": "hair", "csrf_token": "0" * 64}
    )
    assert bad.status_code == 403
    assert "expired" in bad.text
    token = csrf_from(client.get("/intake").text)
    ok = client.post("/intake", data={"step": "concern", "concern": "hair", "csrf_token": token})
    assert ok.status_code == 200


def test_token_from_another_browser_is_rejected(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    token = csrf_from(client.get("/intake").text)
    client.cookies.clear()
    client.get("/")  # a fresh cookie, as a different browser would have
    response = client.post("/intake", data={"step": "concern", "csrf_token": token})
    assert response.status_code == 403


def test_oversized_body_is_refused(client: TestClient) -> None:
    response = client.post("/intake", data={"step": "concern", "x": "a" * 70_000})
    assert response.status_code == 413


def test_hostile_input_is_escaped(client: TestClient, csrf_from: Callable[[str], str]) -> None:
    token = csrf_from(client.get("/intake").text)
    hostile = '"><script>alert(1)</script>'
    response = client.post(
        "/intake",
        data={"step": "condition", "concern": "hair", "age": hostile, "csrf_token": token},
    )
    assert response.status_code == 422
    assert "<script>alert(1)</script>" not in response.text
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in response.text


def test_unknown_malformed_and_numeric_links_are_404(client: TestClient) -> None:
    for path in ["/r/1", "/r/abc", "/r/" + "A" * 43, "/r/../etc/passwd", "/r/%00"]:
        response = client.get(path)
        assert response.status_code == 404, path
    assert "not find" in client.get("/r/1").text


def test_api_errors_stay_json(client: TestClient) -> None:
    response = client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")


def test_pages_are_compressed_but_the_api_negotiates_its_own(client: TestClient) -> None:
    page = client.get("/", headers={"accept-encoding": "gzip"})
    assert page.headers.get("content-encoding") == "gzip"
    health = client.get("/api/v1/health", headers={"accept-encoding": "gzip"})
    assert health.headers.get("content-encoding") is None
