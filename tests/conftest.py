"""Shared test fixtures: paths to the external reference vectors and the database URLs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Copies of ../shared/reference (metafor and health-economics vectors), kept in the repository
# so a fresh clone tests against them; see tests/reference/README.md for their provenance.
REFERENCE = Path(__file__).resolve().parent / "reference"
POSTGRES_URL = os.environ.get(
    "REGENAID_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """metafor and health-economics reference vectors. Missing is an error, never a skip."""
    if not REFERENCE.is_dir():
        raise RuntimeError(f"reference vectors not found at {REFERENCE}")
    return REFERENCE
