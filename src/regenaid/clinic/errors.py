"""Errors the clinic's rules raise on purpose.

Bad values raise :class:`regenaid.errors.InvalidInputError` (field named). The classes here are
for requests that are well formed but not allowed: by the role (:class:`PermissionDeniedError`),
by a clinical or stock rule (:class:`RefusedError`, e.g. an expired lot or a contraindication),
or because the record is not visible to the signed-in clinic (:class:`RecordNotFoundError`,
which is also what a record of another clinic looks like: its existence is not revealed).
"""

from __future__ import annotations

from regenaid.errors import RegenaidError


class PermissionDeniedError(RegenaidError):
    """The signed-in role may not do this action."""

    def __init__(self, role: str, action: str) -> None:
        self.role = role
        self.action = action
        super().__init__(f"role {role!r} may not {action}")


class RefusedError(RegenaidError):
    """A rule refuses the request; ``code`` is stable for programs, ``reason`` is for people.

    ``field`` names the input the rule is about, when there is one.
    """

    def __init__(self, code: str, reason: str, field: str | None = None) -> None:
        self.code = code
        self.reason = reason
        self.field = field
        super().__init__(f"{field}: {reason}" if field else reason)


class RecordNotFoundError(RegenaidError):
    """No such record in the signed-in clinic (records of other clinics look the same)."""

    def __init__(self, kind: str, record_id: str) -> None:
        self.kind = kind
        self.record_id = record_id
        super().__init__(f"no {kind} with id {record_id!r} in this clinic")
