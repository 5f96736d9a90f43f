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

from regenaid.store.records import AuditEvent, SavedResult
from regenaid.store.unit_of_work import SqlUnitOfWork

_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
FORBIDDEN_INTAKE_KEYS = frozenset({"name", "email", "phone", "address", "contact"})
RETENTION = timedelta(days=365)  # saved results are deleted a year after saving
# The SURE test (Légaré et al.): four yes/no items on decisional conflict.
SURE_ITEMS = ("sure", "understand", "risk_benefit", "encouragement")
SURE_ANSWERS = ("yes", "no")
LEANING_UNSURE = "unsure"
_OPTION_ID = re.compile(r"^[a-z_]{1,32}$")


def check_choice(choice: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The choice in its stored shape (see ``SavedResult.choice``), None when nothing was
    answered. Anything else is refused with ValueError naming the field: only these answers
    are ever stored next to a result. (Which options a person may lean toward depends on
    their assessment; the page checks that before calling.)"""
    if choice is None:
        return None
    unknown = set(choice) - {"leaning", "sure"}
    if unknown:
        raise ValueError(f"choice: unknown field {sorted(unknown)[0]!r}")
    stored: dict[str, Any] = {}
    leaning = choice.get("leaning")
    if leaning is not None:
        if not isinstance(leaning, str) or not _OPTION_ID.fullmatch(leaning):
            raise ValueError("leaning: must be an option id or 'unsure'")
        stored["leaning"] = leaning
    sure = choice.get("sure") or {}
    if not isinstance(sure, Mapping):
        raise ValueError("sure: must map SURE items to yes or no")
    for key, value in sure.items():
        if key not in SURE_ITEMS:
            raise ValueError(f"sure.{key}: not a SURE item (allowed: {', '.join(SURE_ITEMS)})")
        if value not in SURE_ANSWERS:
            raise ValueError(f"sure.{key}: must be yes or no")
    if sure:
        stored["sure"] = {k: sure[k] for k in SURE_ITEMS if k in sure}
    return stored or None


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
    choice: Mapping[str, Any] | None = None,
) -> str:
    """Store the result in one transaction (with its audit entry) and return the link secret.
    It expires ``RETENTION`` after ``now``. ``choice``: see :func:`check_choice`."""
    personal = FORBIDDEN_INTAKE_KEYS.intersection(intake)
    if personal:
        raise ValueError(f"refusing to store personal details: {sorted(personal)}")
    stored_choice = check_choice(choice)
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
                choice=stored_choice,
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


def update_choice(
    uow: SqlUnitOfWork,
    token: str,
    choice: Mapping[str, Any] | None,
    now: datetime | None = None,
) -> bool:
    """Replace the choice saved with a result (one transaction, audited without the answers);
    False when the link is unknown, deleted, expired or malformed."""
    stored = check_choice(choice)
    if not is_well_formed_token(token):
        return False
    now = now or datetime.now(UTC)
    with uow:
        row_id = uow.saved_results.set_choice(lookup_hash(token), stored, now)
        if row_id is None:
            return False
        uow.audit.append(AuditEvent("saved_result.choice_updated", f"saved_result:{row_id}", now))
        uow.commit()
    return True


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
