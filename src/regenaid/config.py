"""Settings from ``REGENAID_*`` environment variables, validated once at start-up.

Secrets: production refuses to start without a strong ``REGENAID_SECRET_KEY``; development
without one creates a random key once in ``var/secret_key`` (0600) and reuses it; the test
environment without one uses a random key for the process.
"""

from __future__ import annotations

import os
import secrets
import sys
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from regenaid.caching import DEFAULT_MAX_BYTES, MEGABYTE

# Published in this repository's history: never accepted as a key.
_PUBLIC_KEYS = frozenset({"dev-only-not-secret", "changeme", "secret", "test-secret-key"})
MIN_SECRET_KEY_CHARS = 43  # 32 random bytes as URL-safe base64 (secrets.token_urlsafe(32))
MAKE_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
MIN_SECRET_KEY_DISTINCT = 12  # a random 43-char URL-safe or 64-char hex key has far more
# Host names accepted without REGENAID_ALLOWED_HOSTS outside production ("testserver" is the
# host of Starlette's TestClient).
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "testserver")
DEFAULT_CACHE_MEGABYTES = DEFAULT_MAX_BYTES // MEGABYTE


class ConfigurationError(SystemExit):
    """A setting that makes the app refuse to start. A ``SystemExit`` so that whichever way the
    server is started (``regenaid serve``, ``uvicorn --factory``) prints one line and exits
    with status 1 instead of a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(f"regenaid: configuration error: {message}")
        self.message = message


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'var' / 'regenaid.db'}"


def _default_files_dir() -> Path:
    return Path.cwd() / "var" / "files"


def _default_secret_key_file() -> Path:
    return Path.cwd() / "var" / "secret_key"


def weak_secret_key_reason(key: str) -> str | None:
    """Why ``key`` is too weak for production, or None when it looks like 32 random bytes."""
    if key in _PUBLIC_KEYS:
        return "is a published example value"
    if len(key) < MIN_SECRET_KEY_CHARS:
        return (
            f"is {len(key)} characters; it needs at least {MIN_SECRET_KEY_CHARS} "
            f"(32 random bytes, e.g. {MAKE_KEY})"
        )
    if len(set(key)) < MIN_SECRET_KEY_DISTINCT:
        return "has too few different characters to be random"
    for unit in range(1, len(key) // 2 + 1):
        if len(key) % unit == 0 and key == key[:unit] * (len(key) // unit):
            return "is a repeated pattern, not random"
    return None


def development_secret_key(path: Path) -> str:
    """The development key in ``path``, created once (random, file 0600, folder 0700).

    Safe when several workers start at once: the file appears complete or not at all
    (written to a temporary file, then hard-linked into place, which fails if it exists)."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
    temporary = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
        os.link(temporary, path)
    except FileExistsError:
        pass  # another worker made it first; use theirs
    else:
        shown = os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)
        print(f"regenaid: created a development secret key in {shown}", file=sys.stderr)
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip()


class Settings(BaseSettings):
    """Application settings. ``database_url`` defaults to an embedded SQLite file under ``var/``;
    a ``postgresql+psycopg://`` URL selects PostgreSQL."""

    model_config = SettingsConfigDict(env_prefix="REGENAID_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(default_factory=_default_database_url)
    secret_key: str = ""
    secret_key_file: Path = Field(default_factory=_default_secret_key_file)
    # Uploaded documents (exosome lots' certificates of analysis), outside the web root;
    # made on the first upload (folder 0700, files 0600): regenaid.store.files.
    files_dir: Path = Field(default_factory=_default_files_dir)
    # Comma-separated Host names the app answers to ("*" for any; "*.example.org" for
    # subdomains). Empty: the local names outside production; required in production.
    allowed_hosts: str = ""
    # How often expired saved results are deleted while the server runs.
    purge_interval_seconds: float = Field(default=3600.0, gt=0)
    # Memory each worker may keep for the cost model's cached results (regenaid.caching);
    # 0 turns the cache off. The default keeps a worker well under 400 MB.
    cache_megabytes: int = Field(default=DEFAULT_CACHE_MEGABYTES, ge=0, le=65536)
    # Warm a new worker up in the background when it starts (regenaid.web.warmup): knowledge,
    # one assessment, templates, PDF render processes. The test suite turns it off.
    warm_up: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    @model_validator(mode="after")
    def _secret_key_and_hosts(self) -> Settings:
        if self.environment == "production":
            if not self.secret_key:
                raise ValueError(
                    "REGENAID_SECRET_KEY must be set when REGENAID_ENVIRONMENT=production "
                    f"(32 random bytes, e.g. {MAKE_KEY})"
                )
            reason = weak_secret_key_reason(self.secret_key)
            if reason:
                raise ValueError(f"REGENAID_SECRET_KEY {reason}")
            if not self.allowed_host_list:
                raise ValueError(
                    "REGENAID_ALLOWED_HOSTS must be set when REGENAID_ENVIRONMENT=production "
                    "(comma-separated host names, e.g. regenaid.example.org)"
                )
        elif not self.secret_key:
            if self.environment == "development":
                self.secret_key = development_secret_key(self.secret_key_file)
            else:
                self.secret_key = secrets.token_urlsafe(32)  # tests: new for each process
        return self

    @property
    def allowed_host_list(self) -> list[str]:
        """The Host names TrustedHostMiddleware accepts."""
        hosts = [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]
        if not hosts and self.environment != "production":
            return list(LOCAL_HOSTS)
        return hosts


def load_settings() -> Settings:
    """Settings from the environment; a bad value raises :class:`ConfigurationError` with one
    line naming the variable (not pydantic's multi-line report)."""
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        message = str(first.get("msg", error)).removeprefix("Value error, ")
        loc = first.get("loc") or ()
        if loc:
            message = f"REGENAID_{str(loc[0]).upper()}: {message}"
        raise ConfigurationError(message) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return load_settings()
