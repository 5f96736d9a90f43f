"""The share-link service: save a result under an unguessable link, load it, delete it.

The link carries ``secrets.token_urlsafe(32)`` (256 random bits); the database stores only its
SHA-256, so ids cannot be enumerated or recovered from a copy of the database.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from regenaid.clinic.records import AuditEvent, SavedResult
from regenaid.clinic.unit_of_work import SqlUnitOfWork

_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
FORBIDDEN_INTAKE_KEYS = frozenset({"name", "email", "phone", "address", "contact"})


def lookup_hash(token: str) -> str:
    """SHA-256 hex digest of a link secret."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def is_well_formed_token(token: str) -> bool:
    """True for strings shaped like our tokens (43 URL-safe characters)."""
    return bool(_TOKEN_PATTERN.fullmatch(token))


def save_result(
    uow: SqlUnitOfWork, intake: Mapping[str, Any], assessment: Mapping[str, Any]
) -> str:
    """Store the result in one transaction (with its audit entry) and return the link secret."""
    personal = FORBIDDEN_INTAKE_KEYS.intersection(intake)
    if personal:
        raise ValueError(f"refusing to store personal details: {sorted(personal)}")
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with uow:
        row_id = uow.saved_results.add(
            lookup_hash(token),
            SavedResult(intake=dict(intake), assessment=dict(assessment), created_at=now),
        )
        uow.audit.append(AuditEvent("saved_result.created", f"saved_result:{row_id}", now))
        uow.commit()
    return token


def load_result(uow: SqlUnitOfWork, token: str) -> SavedResult | None:
    """The saved result for a link secret, or None (unknown, deleted or malformed)."""
    if not is_well_formed_token(token):
        return None
    with uow:
        return uow.saved_results.get(lookup_hash(token))


def delete_result(uow: SqlUnitOfWork, token: str) -> bool:
    """Delete the saved result; True when something was deleted."""
    if not is_well_formed_token(token):
        return False
    now = datetime.now(UTC)
    with uow:
        row_id = uow.saved_results.remove(lookup_hash(token))
        if row_id is None:
            return False
        uow.audit.append(AuditEvent("saved_result.deleted", f"saved_result:{row_id}", now))
        uow.commit()
    return True
