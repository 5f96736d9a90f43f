"""A world of two clinics per test module (accounts are made and signed in once: Argon2)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from clinic_api_world import World


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("clinic-api")
    built = World(f"sqlite:///{folder / 'clinic.db'}")
    yield built
    built.close()


@pytest.fixture(scope="module")
def openapi(world: World) -> Any:
    """The app's OpenAPI document, to check answers against what it promises."""
    return schemathesis.openapi.from_dict(world.app.openapi())
