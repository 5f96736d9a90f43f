"""Logs without secrets or answers.

- Access log: uvicorn logs every request's path. A saved result's path carries its link secret
  (``/r/<token>...``) and an unsaved result's chart its short-lived id (``/charts/cost/<id>``);
  :class:`RedactSecretPaths` rewrites both to ``<redacted>`` on the ``uvicorn.access`` logger.
  :func:`install_log_redaction` adds it (once) and is called by ``create_app``, so it works
  however uvicorn is started (``regenaid serve``, ``uvicorn --factory``, several workers).
- Errors: :func:`log_failure` logs the exception's type and the request's id, never its message
  or traceback (a database error's message holds the SQL parameters: link hashes, answers).
"""

from __future__ import annotations

import logging
import re
from typing import Any

ACCESS_LOGGER = "uvicorn.access"
ERROR_LOGGER = "regenaid.web"
REDACTED = "<redacted>"
# The secret part of a path: a saved result's link, an unsaved chart's id.
_SECRET_IN_PATH = re.compile(r"(/r/|/charts/cost/)[^/?#\s\"]+")

logger = logging.getLogger(ERROR_LOGGER)


def redact_path(text: str) -> str:
    """``text`` with every link secret in a path replaced by ``<redacted>``."""
    return _SECRET_IN_PATH.sub(lambda m: m.group(1) + REDACTED, text)


class RedactSecretPaths(logging.Filter):
    """Rewrites link secrets in a record's message and arguments (uvicorn's access record is
    ``'%s - "%s %s HTTP/%s" %d'`` with the path as third argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_path(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redact_arg(v) for k, v in record.args.items()}
        return True


def _redact_arg(value: Any) -> Any:
    return redact_path(value) if isinstance(value, str) else value


def install_log_redaction() -> None:
    """Add :class:`RedactSecretPaths` to uvicorn's access logger (idempotent). Logger filters
    survive uvicorn's ``dictConfig``, which replaces handlers but keeps filters."""
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactSecretPaths) for f in access.filters):
        access.addFilter(RedactSecretPaths())


def log_failure(request_id: str, method: str, path: str, error: BaseException) -> None:
    """One line for an unhandled error: request id, method, redacted path, exception type."""
    logger.error(
        "request %s failed: %s %s raised %s",
        request_id,
        method,
        redact_path(path),
        type(error).__name__,
    )
