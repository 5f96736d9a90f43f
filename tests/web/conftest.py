"""A TestClient on a fresh app with its own temporary SQLite database."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from regenaid.config import Settings
from regenaid.web.app import create_app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        environment="test",
        database_url=f"sqlite:///{tmp_path / 'db' / 'web.db'}",
        secret_key="test-secret-key",
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def csrf_from() -> Callable[[str], str]:
    """Extracts the CSRF token embedded in a page's form."""
    return _csrf_from
