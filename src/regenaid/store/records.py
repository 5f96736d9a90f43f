"""Domain records for persisted things, independent of the ORM."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class SavedResult:
    """An intake and its assessment, saved so the person can come back via a link.

    ``choice`` is what the person said about deciding, or None when they said nothing:
    ``{"leaning": <option id or "unsure">, "sure": {<SURE item>: "yes" | "no"}}``, each part
    present only when answered (see :func:`regenaid.store.shared_results.check_choice`).
    """

    intake: dict[str, Any]
    assessment: dict[str, Any]
    created_at: datetime
    expires_at: datetime
    contract: str = "regenaid.assessment/1"
    choice: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One audit entry: an action on a subject (e.g. ``saved_result`` and its row number)."""

    action: str
    subject: str
    at: datetime
    detail: str = field(default="")
