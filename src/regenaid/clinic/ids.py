"""Record identifiers: random and unguessable, never sequential, safe in URLs."""

from __future__ import annotations

import re
import secrets

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22}$")


def new_id() -> str:
    """A fresh identifier: 16 random bytes, URL-safe base64 without padding (22 characters)."""
    return secrets.token_urlsafe(16)


def is_id(text: str) -> bool:
    """True when ``text`` has the shape of an identifier made by :func:`new_id`."""
    return bool(ID_PATTERN.match(text))
