"""The share-link service: save a result under an unguessable link, load it, delete it.

The link carries ``secrets.token_urlsafe(32)`` (256 random bits); the database stores only its
SHA-256, so ids cannot be enumerated or recovered from a copy of the database.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from regenaid.clinic.records import AuditEvent, SavedResult
from regenaid.clinic.unit_of_work import SqlUnitOfWork

_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
FORBIDDEN_INTAKE_KEYS = frozenset({"name", "email", "phone", "address", "contact"})
RETENTION = timedelta(days=365)  # saved results are deleted a year after saving


def lookup_hash(token: str) -> str:
    """SHA-256 hex digest of a link secret."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def is_well_formed_token(token: str) -> bool:
    """True for strings shaped like our tokens (43 URL-safe characters)."""
    return bool(_TOKEN_PATTERN.fullmatch(token))


def save_result(
    uow: SqlUnitOfWork,
    intake: Mapping[str, Any],
    assessment: Mapping[str, Any],
    now: datetime | None = None,
) -> str:
    """Store the result in one transaction (with its audit entry) and return the link secret.
    It expires ``RETENTION`` after ``now``."""
    personal = FORBIDDEN_INTAKE_KEYS.intersection(intake)
    if personal:
        raise ValueError(f"refusing to store personal details: {sorted(personal)}")
    token = secrets.token_urlsafe(32)
    now = now or datetime.now(UTC)
    with uow:
        row_id = uow.saved_results.add(
            lookup_hash(token),
            SavedResult(
                intake=dict(intake),
                assessment=dict(assessment),
                created_at=now,
                expires_at=now + RETENTION,
            ),
        )
        uow.audit.append(AuditEvent("saved_result.created", f"saved_result:{row_id}", now))
        uow.commit()
    return token


def load_result(uow: SqlUnitOfWork, token: str, now: datetime | None = None) -> SavedResult | None:
    """The saved result for a link secret, or None (unknown, deleted, expired or malformed)."""
    if not is_well_formed_token(token):
        return None
    with uow:
        return uow.saved_results.get(lookup_hash(token), now or datetime.now(UTC))


def purge_expired(uow: SqlUnitOfWork, now: datetime | None = None) -> int:
    """Delete every expired saved result (one transaction, audited); how many went."""
    now = now or datetime.now(UTC)
    with uow:
        removed = uow.saved_results.remove_expired(now)
        for row_id in removed:
            uow.audit.append(AuditEvent("saved_result.expired", f"saved_result:{row_id}", now))
        uow.commit()
    return len(removed)


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
