"""Security basics for the pages: response headers, a request-size limit and CSRF tokens.

- Headers: a strict Content-Security-Policy (no inline script or style), ``nosniff``,
  ``Referrer-Policy: no-referrer`` (share links are secrets), ``frame-ancestors 'none'`` and a
  Permissions-Policy that turns off powerful features, on every response: pages, static files,
  404/422 pages, the 400 for an unknown Host and the 500 for an unhandled error. A route may
  set its own CSP (e.g. the printable report allows its one inline stylesheet by hash); the
  middleware keeps it.
- Caching: every response except the app's own files (``/static/``, ``/docs-assets/``) gets
  ``Cache-Control: no-store`` unless the route set its own (pages, downloads and API answers
  may carry a person's answers).
- Hosts: only ``Settings.allowed_host_list`` (``REGENAID_ALLOWED_HOSTS``) are answered
  (Starlette's TrustedHostMiddleware, inside this one so its 400 gets the headers).
- Redirects: an absolute ``Location`` pointing at the request's own Host is made relative, so a
  forged Host header never ends up in a redirect.
- Errors: an unhandled exception is logged as its type and a request id only (no message: a
  database error's message holds SQL parameters) and answered with a plain 500 naming the id.
- Size: bodies larger than ``max_body_bytes`` get 413 before any parsing (uploads may be larger:
  ``UPLOAD_LIMITS``, a lot's certificate of up to 10 MB and a patient's FHIR Bundle to import of
  up to 40 MB; ``UPLOAD_PATH_LIMITS``, a patient's photo, page form or API, 16 MB).
- CSRF: a random cookie plus a form field holding HMAC-SHA256(secret_key, cookie) (a signed
  double-submit token). Every page form carries it; every page POST checks it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from starlette.datastructures import FormData
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import cookie_parser

from regenaid.web.logging_setup import log_failure

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSRF_COOKIE = "regenaid_csrf"
CSRF_FIELD = "csrf_token"
MAX_BODY_BYTES = 64 * 1024
# uploads: the receive-lot form carries a certificate of analysis (PDF, regenaid.clinic.documents)
UPLOAD_LIMITS: dict[tuple[str, str], int] = {("POST", "/clinic/lots"): 10 * 1024 * 1024 + 64 * 1024}
# a patient's FHIR Bundle to import (page form and API): photos travel base64 inside it
UPLOAD_LIMITS[("POST", "/clinic/fhir/import")] = 40 * 1024 * 1024 + 64 * 1024
UPLOAD_LIMITS[("POST", "/api/v1/clinic/fhir/import")] = 40 * 1024 * 1024
# uploads to a path holding a record id: a patient's photo (page form and API), at most 15 MB
# (regenaid.clinic.photos) plus room for the form's other fields
UPLOAD_PATH_LIMITS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    (
        "POST",
        re.compile(r"/(?:api/v1/)?clinic/patients/[A-Za-z0-9_-]{22}/photos"),
        16 * 1024 * 1024,
    ),
)
MAX_FORM_FIELDS = 200

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
CACHEABLE_PREFIXES = ("/static/", "/docs-assets/")  # files of the app, never anyone's answers
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "cross-origin-opener-policy": "same-origin",
}


def upload_limit(method: str, path: str, default: int) -> int:
    """The body limit of a request: an upload's own (``UPLOAD_LIMITS``, ``UPLOAD_PATH_LIMITS``)
    or ``default``."""
    exact = UPLOAD_LIMITS.get((method, path))
    if exact is not None:
        return exact
    for verb, pattern, limit in UPLOAD_PATH_LIMITS:
        if verb == method and pattern.fullmatch(path):
            return limit
    return default


def csrf_signature(secret_key: str, cookie_value: str) -> str:
    """The form token for a CSRF cookie value."""
    return hmac.new(secret_key.encode(), cookie_value.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token to put into a form on this page (the cookie is set by the middleware)."""
    cookie = request.scope.get("state", {}).get("csrf_cookie") or request.cookies.get(CSRF_COOKIE)
    if not cookie:
        raise RuntimeError("SecurityMiddleware is not installed")
    return csrf_signature(request.app.state.settings.secret_key, cookie)


async def verified_form(request: Request, max_files: int = 0) -> FormData:
    """Read a page form (bounded) and check its CSRF token; 403 when it does not match.
    ``max_files``: how many uploaded files the form may carry (multipart); their temporary
    files are closed when the check fails."""
    form = await request.form(max_files=max_files, max_fields=MAX_FORM_FIELDS)
    sent = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    expected = csrf_signature(request.app.state.settings.secret_key, cookie) if cookie else ""
    if not cookie or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        await form.close()
        raise HTTPException(status_code=403, detail="csrf")
    return form


class SecurityMiddleware:
    """Pure ASGI middleware: headers on every response, allowed hosts, relative redirects,
    error logging without details, body size limit, CSRF cookie.

    ``allowed_hosts``: None reads ``allowed_host_list`` from the app's settings on the first
    request (``scope["app"].state.settings``)."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int = MAX_BODY_BYTES,
        allowed_hosts: Sequence[str] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.allowed_hosts = list(allowed_hosts) if allowed_hosts is not None else None
        self._inner: ASGIApp | None = None

    def _host_checked(self, scope: Scope) -> ASGIApp:
        if self._inner is None:
            hosts = self.allowed_hosts
            if hosts is None:
                hosts = scope["app"].state.settings.allowed_host_list
            checker = TrustedHostMiddleware(self.app, allowed_hosts=hosts, www_redirect=False)
            self._inner = checker  # type: ignore[assignment]
        assert self._inner is not None
        return self._inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        app = self._host_checked(scope)
        request_id = secrets.token_hex(8)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        limit = upload_limit(scope.get("method", ""), scope.get("path", ""), self.max_body_bytes)
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _plain(send, 413, b"Request body too large")
            return

        # Starlette's lenient parser (as Request.cookies): a malformed Cookie header is no 500
        cookie = cookie_parser(headers.get("cookie", "")).get(CSRF_COOKIE)
        new_cookie = None if cookie else secrets.token_urlsafe(32)
        state = scope.setdefault("state", {})
        state["csrf_cookie"] = new_cookie or cookie

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(status_code=413, detail="too_large")
            return message

        path: str = scope.get("path", "")
        policy = CONTENT_SECURITY_POLICY  # the API docs pages set their own (web/api_docs.py)
        host = headers.get("host", "")
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                raw = [
                    (k, _relative_location(v, host) if k.lower() == b"location" else v)
                    for k, v in message.get("headers", [])
                ]
                present = {k.decode("latin-1").lower() for k, _ in raw}
                extra = dict(SECURITY_HEADERS)
                extra["content-security-policy"] = policy
                if not path.startswith(CACHEABLE_PREFIXES):
                    extra["cache-control"] = "no-store"
                for name, value in extra.items():
                    if name not in present:
                        raw.append((name.encode(), value.encode()))
                if new_cookie:
                    secure = "; Secure" if scope.get("scheme") == "https" else ""
                    raw.append(
                        (
                            b"set-cookie",
                            f"{CSRF_COOKIE}={new_cookie}; Path=/; HttpOnly; "
                            f"SameSite=Strict{secure}".encode(),
                        )
                    )
                message["headers"] = raw
            await send(message)

        try:
            await app(scope, limited_receive, send_with_headers)
        except Exception as error:
            log_failure(request_id, str(scope.get("method", "")), path, error)
            if not started:
                body = f"Something went wrong on our side (reference {request_id}).".encode()
                await _plain(send, 500, body)


def _relative_location(value: bytes, host: str) -> bytes:
    """``value`` without scheme and host when it points at the request's own Host (the only
    absolute redirects the app makes), so the Host header is never reflected; a leading
    ``//`` is collapsed so the result cannot become a protocol-relative link elsewhere."""
    location = value.decode("latin-1")
    parts = urlsplit(location)
    if not parts.scheme and not parts.netloc:
        return value
    if parts.netloc.lower() != host.lower():
        return value
    relative = "/" + parts.path.lstrip("/")
    if parts.query:
        relative += "?" + parts.query
    if parts.fragment:
        relative += "#" + parts.fragment
    return relative.encode("latin-1")


async def _plain(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8")]
    headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
    headers.append((b"cache-control", b"no-store"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
