"""A fresh app and clinic per test (see ``clinic_pages_world``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from clinic_pages_world import CLIENT, World, make_world
from fastapi.testclient import TestClient

from regenaid.config import Settings
from regenaid.web.app import create_app


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings = Settings(
        environment="test",
        database_url=f"sqlite:///{tmp_path / 'db' / 'clinic-pages.db'}",
        secret_key="clinic-pages-test-secret",
    )
    app = create_app(settings)
    with TestClient(app, client=CLIENT):  # runs the app's start-up and shut-down
        yield make_world(app)
