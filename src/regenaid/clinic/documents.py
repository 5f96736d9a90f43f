"""Uploaded documents: the rules for an exosome lot's certificate of analysis (a PDF).

What the clinic uploads is checked here, by its content, before anything is stored:

- it must be a PDF: its bytes start with ``%PDF-`` (the client's content type and the file's
  name are not trusted, they are only what the browser says);
- it must not be empty nor larger than :data:`CERTIFICATE_MAX_BYTES`;
- it is stored under a new unguessable key (:func:`new_document_key`: 24 random bytes as
  URL-safe text, then ``.pdf``), never under the name it came with: the original file name
  is kept only as display text (:func:`display_name`: no folders, no control characters, at
  most :data:`DISPLAY_NAME_MAX` characters);
- its SHA-256 is kept with the lot, so what is served later can be checked against what was
  received.

Every refusal is an :class:`~regenaid.errors.InvalidInputError` naming ``coa_file`` (the
form's field). Where the bytes go is a :class:`~regenaid.clinic.ports.DocumentStore`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from regenaid.errors import InvalidInputError

FIELD = "coa_file"
PDF_SIGNATURE = b"%PDF-"
CERTIFICATE_MAX_BYTES = 10 * 1024 * 1024
DISPLAY_NAME_MAX = 200
DEFAULT_DISPLAY_NAME = "certificate.pdf"
KEY_RANDOM_BYTES = 24
KEY_EXTENSIONS = ("pdf", "jpg", "png", "webp")
DOCUMENT_KEY = re.compile(r"^[A-Za-z0-9_-]{32}\.(?:pdf|jpg|png|webp)$")
"""A storage key: ``secrets.token_urlsafe(24)`` (32 characters) and one of the extensions.
Nothing else is a key: no folders, no other dots, so no path can be made from one."""
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class CheckedDocument:
    """An upload that passed the rules: where to store it, what to show, its fingerprint."""

    key: str
    display_name: str
    sha256: str
    content: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.content)


def new_document_key(extension: str = "pdf") -> str:
    """A new storage key that cannot be guessed (192 random bits)."""
    if extension not in KEY_EXTENSIONS:
        raise ValueError(f"no document key for .{extension}")
    return f"{secrets.token_urlsafe(KEY_RANDOM_BYTES)}.{extension}"


def is_document_key(key: object) -> bool:
    """True when ``key`` has the shape of a key made by :func:`new_document_key`."""
    return isinstance(key, str) and DOCUMENT_KEY.fullmatch(key) is not None


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def display_name(filename: str | None) -> str:
    """The uploaded file's name as display text only: its last path part (``/`` or ``\\``),
    without control or formatting characters, spaces collapsed, at most
    :data:`DISPLAY_NAME_MAX` characters; :data:`DEFAULT_DISPLAY_NAME` when nothing is left."""
    text = unicodedata.normalize("NFC", filename or "")
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
        for c in text
        if unicodedata.category(c) not in ("Cf", "Cs", "Co", "Cn")
    )
    text = " ".join(text.split()).strip(" .")
    if len(text) > DISPLAY_NAME_MAX:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = stem[: DISPLAY_NAME_MAX - len(ext) - 1].rstrip() + "." + ext
        else:
            text = text[:DISPLAY_NAME_MAX].rstrip()
    return text or DEFAULT_DISPLAY_NAME


def check_certificate(
    content: bytes,
    filename: str | None,
    *,
    max_bytes: int = CERTIFICATE_MAX_BYTES,
    new_key: Callable[[], str] = new_document_key,
) -> CheckedDocument:
    """The certificate of analysis ready to store, or :class:`InvalidInputError` on
    ``coa_file``: not bytes, empty, larger than ``max_bytes``, or not a PDF by its content."""
    if not isinstance(content, bytes | bytearray):
        raise InvalidInputError(FIELD, "must be the file's content")
    content = bytes(content)
    if not content:
        raise InvalidInputError(FIELD, "the file is empty")
    if len(content) > max_bytes:
        raise InvalidInputError(FIELD, f"the file is larger than {_size(max_bytes)}")
    if not content.startswith(PDF_SIGNATURE):
        raise InvalidInputError(FIELD, "must be a PDF file (its content is not a PDF)")
    key = new_key()
    if not is_document_key(key):
        raise ValueError(f"not a document key: {key!r}")
    return CheckedDocument(
        key=key, display_name=display_name(filename), sha256=sha256_of(content), content=content
    )


def _size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MB"
    if limit >= 1024 and limit % 1024 == 0:
        return f"{limit // 1024} KB"
    return f"{limit:,} bytes"
