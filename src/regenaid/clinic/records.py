"""Domain records for persisted things, independent of the ORM."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class SavedResult:
    """An intake and its assessment, saved so the person can come back via a link."""

    intake: dict[str, Any]
    assessment: dict[str, Any]
    created_at: datetime
    expires_at: datetime
    contract: str = "regenaid.assessment/1"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One audit entry: an action on a subject (e.g. ``saved_result`` and its row number)."""

    action: str
    subject: str
    at: datetime
    detail: str = field(default="")
