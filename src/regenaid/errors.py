"""Typed errors shared by every layer.

Entrypoints map them: the CLI to exit status 2 and one line on stderr, the API to HTTP 422
with the field path.
"""

from __future__ import annotations

from collections.abc import Sequence


class RegenaidError(Exception):
    """Base class for every error regenaid raises on purpose."""


class InvalidInputError(RegenaidError, ValueError):
    """Input that breaks a documented rule; names the field and, where finite, what is allowed."""

    def __init__(self, field: str, message: str, allowed: Sequence[str] | None = None) -> None:
        self.field = field
        self.message = message
        self.allowed = tuple(allowed) if allowed is not None else None
        text = f"{field}: {message}"
        if self.allowed:
            text += f" (allowed: {', '.join(self.allowed)})"
        super().__init__(text)


class KnowledgeError(RegenaidError):
    """The knowledge base's data files are inconsistent; names file, entry and field."""

    def __init__(self, file: str, entry: str, field: str, message: str) -> None:
        self.file = file
        self.entry = entry
        self.field = field
        super().__init__(f"{file}: entry {entry!r}, field {field!r}: {message}")
