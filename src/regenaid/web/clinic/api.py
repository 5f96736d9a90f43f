"""The clinic's JSON API under ``/api/v1/clinic`` (same sessions and permissions as the pages)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/clinic", tags=["clinic"])
