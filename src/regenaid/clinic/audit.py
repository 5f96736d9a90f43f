"""The audit trail: who did what to which record, when and from where — append-only, chained.

Every create, read, update, export and sign-in touching patient data is one :class:`AuditEntry`:
clinic, staff account, action, record kind and id, time (UTC), client (IP address or ``cli``)
and a short code-like ``detail``. The entry holds no personal data and no secrets: ids only,
and ``detail`` is limited to ``[a-z0-9_:=.,-]`` (no spaces, capitals or ``@``), at most 200
characters, so a name, an e-mail address or a sentence of notes cannot be written into it by
mistake (OWASP ASVS 4.0 V7.1.1–V7.1.2, V8.3.5: audit access to sensitive data without logging
the data).

**Hash chain.** Each entry's ``hash`` is SHA-256 over a canonical JSON form of its fields and the
previous entry's hash (:func:`entry_hash`); the first entry links to :data:`GENESIS_HASH`.
:func:`verify_chain` recomputes the chain and reports the first bad sequence number: a changed
row (``hash mismatch``), a changed row whose hash was recomputed (``broken link`` at the next
row), a deleted row (``gap in sequence``), rows out of order or duplicated (``out of order``).

**One chain per clinic**, plus a ``system`` chain for events no clinic owns (a failed sign-in
for an unknown e-mail, maintenance from the command line). A single global chain would make
every write in every clinic wait for the one newest row, and a clinic could not verify or hand
over its own trail without reading the other clinics' rows; per-clinic chains avoid both. The
store keeps a unique index on (chain key, seq) so two concurrent writers cannot fork a chain:
the loser's insert fails and is retried on the new last entry.

**What a chain cannot show on its own.** The hash is unkeyed, so someone who can write to the
database and knows this algorithm can rewrite a chain from any row onward, and deleting the
*last* rows leaves a shorter but valid chain. Both are caught only against an anchor kept
elsewhere: :class:`ChainHead` (chain, last seq, last hash). ``regenaid clinic verify-audit``
prints each chain's head; compare it with a head printed (or stored off the database) earlier
by passing it as ``expected_head``: a missing or different head is reported.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from regenaid.errors import InvalidInputError

__all__ = [
    "CLIENT_CLI",
    "CLIENT_SYSTEM",
    "DETAIL_PATTERN",
    "GENESIS_HASH",
    "SYSTEM_CHAIN",
    "AuditAction",
    "AuditEntry",
    "ChainHead",
    "ChainProblem",
    "ChainReport",
    "append",
    "canonical_fields",
    "chain_key",
    "entry_hash",
    "verify_chain",
    "verify_chains",
]

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of a chain's first entry."""
SYSTEM_CHAIN = "system"
"""Chain key for entries with no clinic (cannot collide with a 22-character clinic id)."""
CLIENT_CLI = "cli"
CLIENT_SYSTEM = "system"
DETAIL_PATTERN = re.compile(r"^[a-z0-9_:=.,-]{0,200}$")
HASH_FORMAT_VERSION = 1

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class AuditAction(StrEnum):
    """What happened. Corrections are ``update``; clinical records are not deleted."""

    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SECOND_FACTOR_FAILED = "second_factor_failed"
    SIGN_OUT = "sign_out"
    ACCESS_DENIED = "access_denied"
    OVERRIDE = "override"
    RECALL = "recall"


def chain_key(clinic_id: str | None) -> str:
    """The chain an entry belongs to: its clinic id, or :data:`SYSTEM_CHAIN`."""
    return clinic_id if clinic_id is not None else SYSTEM_CHAIN


def _utc_text(at: datetime) -> str:
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return aware.isoformat(timespec="microseconds")


def canonical_fields(
    *,
    seq: int,
    clinic_id: str | None,
    staff_id: str | None,
    action: str,
    record_kind: str,
    record_id: str | None,
    at: datetime,
    client: str,
    detail: str,
) -> dict[str, str | int | None]:
    """The fields the hash covers, as JSON-ready values (``at`` as UTC ISO 8601 with µs)."""
    return {
        "v": HASH_FORMAT_VERSION,
        "seq": seq,
        "clinic_id": clinic_id,
        "staff_id": staff_id,
        "action": str(action),
        "record_kind": record_kind,
        "record_id": record_id,
        "at": _utc_text(at),
        "client": client,
        "detail": detail,
    }


def entry_hash(fields: Mapping[str, str | int | None], prev_hash: str) -> str:
    """SHA-256 hex of ``fields`` plus ``prev_hash`` as canonical JSON.

    Canonical: keys sorted, no whitespace (``","`` and ``":"``), UTF-8, non-ASCII kept as is.
    """
    payload = dict(fields)
    payload["prev_hash"] = prev_hash
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainHead:
    """A chain's last entry (seq and hash): an anchor to compare later verifications with."""

    chain: str
    seq: int
    hash: str

    def format(self) -> str:
        """One line, e.g. ``chain=system seq=42 sha256=ab12…``; :meth:`parse` reads it back."""
        return f"chain={self.chain} seq={self.seq} sha256={self.hash}"

    @classmethod
    def parse(cls, text: str) -> ChainHead:
        parts = dict(part.partition("=")[::2] for part in text.split())
        chain, seq, digest = parts.get("chain", ""), parts.get("seq", ""), parts.get("sha256", "")
        if not (
            (chain == SYSTEM_CHAIN or _ID.match(chain))
            and seq.isdigit()
            and int(seq) >= 1
            and _HEX64.match(digest)
            and set(parts) == {"chain", "seq", "sha256"}
        ):
            raise InvalidInputError("head", "expected 'chain=<id> seq=<n> sha256=<64 hex>'")
        return cls(chain=chain, seq=int(seq), hash=digest)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of the audit trail.

    Built by :func:`append` (which validates) or by the store from a row (which must not:
    a tampered row has to reach :func:`verify_chain` to be reported). ``action`` is an
    :class:`AuditAction` value; ``at`` must round-trip with microseconds and UTC.
    """

    seq: int
    clinic_id: str | None
    staff_id: str | None
    action: str
    record_kind: str
    record_id: str | None
    at: datetime
    client: str
    detail: str
    prev_hash: str
    hash: str

    @property
    def chain(self) -> str:
        return chain_key(self.clinic_id)

    def fields(self) -> dict[str, str | int | None]:
        return canonical_fields(
            seq=self.seq,
            clinic_id=self.clinic_id,
            staff_id=self.staff_id,
            action=self.action,
            record_kind=self.record_kind,
            record_id=self.record_id,
            at=self.at,
            client=self.client,
            detail=self.detail,
        )

    def head(self) -> ChainHead:
        return ChainHead(chain=self.chain, seq=self.seq, hash=self.hash)


def _optional_id(field: str, value: str | None) -> None:
    if value is not None and not _ID.match(value):
        raise InvalidInputError(field, "must be a record id ([A-Za-z0-9_-], 1-64 characters)")


def _client(client: str) -> str:
    if client in (CLIENT_CLI, CLIENT_SYSTEM):
        return client
    try:
        return str(ipaddress.ip_address(client))
    except ValueError:
        raise InvalidInputError(
            "client", "must be an IP address, 'cli' or 'system'", ["<ip address>", "cli", "system"]
        ) from None


def append(
    prev: AuditEntry | None,
    *,
    clinic_id: str | None,
    staff_id: str | None,
    action: AuditAction | str,
    record_kind: str,
    record_id: str | None,
    at: datetime,
    client: str,
    detail: str = "",
) -> AuditEntry:
    """The entry that follows ``prev`` (None: the chain's first entry), hashed and linked.

    ``prev`` must be the newest entry of the same chain (same ``clinic_id``). Raises
    InvalidInputError naming the field for an unknown action, a malformed id or kind, a naive
    ``at``, a client that is not an IP address / ``cli`` / ``system``, or a ``detail`` outside
    :data:`DETAIL_PATTERN`.
    """
    try:
        the_action = AuditAction(action)
    except ValueError:
        raise InvalidInputError(
            "action", f"unknown audit action {action!r}", [a.value for a in AuditAction]
        ) from None
    _optional_id("clinic_id", clinic_id)
    _optional_id("staff_id", staff_id)
    _optional_id("record_id", record_id)
    if not _KIND.match(record_kind):
        raise InvalidInputError("record_kind", "must match [a-z][a-z0-9_]{0,39}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInputError("at", "must be a timezone-aware datetime (UTC)")
    if not DETAIL_PATTERN.match(detail):
        raise InvalidInputError(
            "detail", "only codes: a-z 0-9 _ : = . , - (no spaces), at most 200 characters"
        )
    if prev is not None and prev.clinic_id != clinic_id:
        raise InvalidInputError("clinic_id", "prev belongs to another chain")
    seq = 1 if prev is None else prev.seq + 1
    prev_hash = GENESIS_HASH if prev is None else prev.hash
    at_utc = at.astimezone(UTC)
    normalised_client = _client(client)
    fields = canonical_fields(
        seq=seq,
        clinic_id=clinic_id,
        staff_id=staff_id,
        action=the_action.value,
        record_kind=record_kind,
        record_id=record_id,
        at=at_utc,
        client=normalised_client,
        detail=detail,
    )
    return AuditEntry(
        seq=seq,
        clinic_id=clinic_id,
        staff_id=staff_id,
        action=the_action.value,
        record_kind=record_kind,
        record_id=record_id,
        at=at_utc,
        client=normalised_client,
        detail=detail,
        prev_hash=prev_hash,
        hash=entry_hash(fields, prev_hash),
    )


ChainProblem = Literal[
    "hash mismatch",
    "broken link",
    "gap in sequence",
    "out of order",
    "mixed chains",
    "missing tail",
    "head mismatch",
]


@dataclass(frozen=True, slots=True)
class ChainReport:
    """Result of :func:`verify_chain`.

    ``first_bad_seq`` is the first sequence number that is missing or wrong; ``entries`` the
    number of entries given; ``head`` the last entry as stored (None for an empty chain) —
    print it, keep it, pass it as ``expected_head`` next time.
    """

    ok: bool
    first_bad_seq: int | None
    problem: ChainProblem | None
    entries: int
    head: ChainHead | None

    def summary(self) -> str:
        head = self.head.format() if self.head else "empty"
        if self.ok:
            return f"ok: {self.entries} entries; head {head}"
        return f"FAILED at seq {self.first_bad_seq}: {self.problem}; stored head {head}"


def _bad(
    problem: ChainProblem, seq: int, entries: list[AuditEntry], head: ChainHead | None
) -> ChainReport:
    return ChainReport(
        ok=False, first_bad_seq=seq, problem=problem, entries=len(entries), head=head
    )


def verify_chain(
    entries: Iterable[AuditEntry], *, expected_head: ChainHead | None = None
) -> ChainReport:
    """Check one chain, given in ascending ``seq`` order (as the store reads it).

    Stops at the first problem. With ``expected_head`` (an earlier head of this chain), also
    reports ``missing tail`` when the chain no longer reaches that seq and ``head mismatch``
    when the entry at that seq has another hash.
    """
    items = list(entries)
    head = items[-1].head() if items else None
    for index, entry in enumerate(items):
        if entry.chain != items[0].chain:
            return _bad("mixed chains", entry.seq, items, head)
        expected = index + 1
        if entry.seq != expected:
            later = items[index + 1 :]
            if entry.seq < expected:
                return _bad("out of order", entry.seq, items, head)
            if any(expected <= other.seq < entry.seq for other in later):
                return _bad("out of order", expected, items, head)
            return _bad("gap in sequence", expected, items, head)
        link = GENESIS_HASH if index == 0 else items[index - 1].hash
        if entry.prev_hash != link:
            return _bad("broken link", entry.seq, items, head)
        if entry_hash(entry.fields(), entry.prev_hash) != entry.hash:
            return _bad("hash mismatch", entry.seq, items, head)
    if expected_head is not None:
        if head is not None and expected_head.chain != head.chain:
            return _bad("mixed chains", expected_head.seq, items, head)
        if len(items) < expected_head.seq:
            return _bad("missing tail", len(items) + 1, items, head)
        if items[expected_head.seq - 1].hash != expected_head.hash:
            return _bad("head mismatch", expected_head.seq, items, head)
    return ChainReport(ok=True, first_bad_seq=None, problem=None, entries=len(items), head=head)


def verify_chains(
    entries: Iterable[AuditEntry], expected_heads: Mapping[str, ChainHead] | None = None
) -> dict[str, ChainReport]:
    """:func:`verify_chain` for every chain present (entries grouped by chain key, order kept).

    A chain named in ``expected_heads`` but absent is reported as ``missing tail`` at seq 1.
    """
    groups: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.chain, []).append(entry)
    heads = dict(expected_heads or {})
    for key in heads:
        groups.setdefault(key, [])
    return {key: verify_chain(group, expected_head=heads.get(key)) for key, group in groups.items()}
