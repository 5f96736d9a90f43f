"""Server-rendered clinic pages under ``/clinic``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/clinic", include_in_schema=False)
