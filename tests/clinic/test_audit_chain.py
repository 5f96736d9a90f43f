"""The audit trail's hash chain: an intact chain verifies; every kind of tampering is found at
the right sequence number; the entries refuse personal data in ``detail``."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from regenaid.clinic.audit import (
    GENESIS_HASH,
    SYSTEM_CHAIN,
    AuditAction,
    AuditEntry,
    ChainHead,
    append,
    canonical_fields,
    entry_hash,
    verify_chain,
    verify_chains,
)
from regenaid.errors import InvalidInputError

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
CLINIC = "clinicAAAAAAAAAAAAAAAAA"
OTHER = "clinicBBBBBBBBBBBBBBBBB"
STAFF = "staffAAAAAAAAAAAAAAAAAA"

STEPS: list[tuple[AuditAction, str, str | None, str]] = [
    (AuditAction.SIGN_IN, "staff", STAFF, ""),
    (AuditAction.CREATE, "patient", "patient000000000000001", ""),
    (AuditAction.READ, "patient", "patient000000000000001", "view=summary"),
    (AuditAction.UPDATE, "patient", "patient000000000000001", "fields=phone,email"),
    (AuditAction.EXPORT, "patient", "patient000000000000001", "format=fhir_json"),
    (AuditAction.SIGN_OUT, "staff", STAFF, ""),
]


def build_chain(clinic_id: str | None = CLINIC, n: int = len(STEPS)) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for i, (action, kind, record_id, detail) in enumerate(STEPS[:n]):
        entries.append(
            append(
                entries[-1] if entries else None,
                clinic_id=clinic_id,
                staff_id=STAFF,
                action=action,
                record_kind=kind,
                record_id=record_id,
                at=T0 + timedelta(minutes=i, microseconds=i),
                client="192.0.2.10",
                detail=detail,
            )
        )
    return entries


def at_seq(entries: list[AuditEntry], seq: int) -> int:
    return next(i for i, e in enumerate(entries) if e.seq == seq)


def tampered(entries: list[AuditEntry], seq: int, **changes: object) -> list[AuditEntry]:
    copy = list(entries)
    i = at_seq(copy, seq)
    copy[i] = replace(copy[i], **changes)  # type: ignore[arg-type]
    return copy


def rehash(entry: AuditEntry) -> AuditEntry:
    """What someone who knows the algorithm would do after changing a row."""
    return replace(entry, hash=entry_hash(entry.fields(), entry.prev_hash))


# --- an intact chain ------------------------------------------------------------------------


def test_intact_chain_verifies_and_reports_its_head() -> None:
    entries = build_chain()
    report = verify_chain(entries)
    assert report.ok and report.problem is None and report.first_bad_seq is None
    assert report.entries == 6
    assert report.head == ChainHead(chain=CLINIC, seq=6, hash=entries[-1].hash)
    assert report.summary().startswith("ok: 6 entries; head chain=" + CLINIC + " seq=6 sha256=")


def test_chain_links_each_entry_to_the_previous_hash() -> None:
    entries = build_chain()
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
    assert entries[0].prev_hash == GENESIS_HASH == "0" * 64
    for earlier, later in itertools.pairwise(entries):
        assert later.prev_hash == earlier.hash


def test_first_entry_hash_matches_the_documented_canonical_json() -> None:
    """Pinned by hand from the documented form: sorted keys, no spaces, UTC with µs."""
    first = build_chain(n=1)[0]
    text = (
        '{"action":"sign_in","at":"2026-03-02T09:00:00.000000+00:00","client":"192.0.2.10",'
        f'"clinic_id":"{CLINIC}","detail":"","prev_hash":"{"0" * 64}","record_id":"{STAFF}",'
        f'"record_kind":"staff","seq":1,"staff_id":"{STAFF}","v":1}}'
    )
    assert first.hash == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_same_instant_in_another_time_zone_still_verifies() -> None:
    entries = build_chain()
    plus_two = timezone(timedelta(hours=2))
    moved = [replace(e, at=e.at.astimezone(plus_two)) for e in entries]
    assert verify_chain(moved).ok


def test_empty_chain_is_ok_without_a_head() -> None:
    report = verify_chain([])
    assert report.ok and report.head is None and report.entries == 0
    assert report.summary() == "ok: 0 entries; head empty"


# --- tampering -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seq", "changes"),
    [
        (3, {"detail": "view=full"}),
        (4, {"at": T0 + timedelta(minutes=3, microseconds=4)}),  # one microsecond later
        (2, {"staff_id": "staffBBBBBBBBBBBBBBBBBB"}),
        (5, {"action": "read"}),  # an export disguised as a read
        (2, {"record_id": "patient000000000000002"}),
        (3, {"client": "198.51.100.7"}),
        (6, {"record_kind": "staff_account"}),
    ],
)
def test_a_changed_field_is_a_hash_mismatch_at_that_row(
    seq: int, changes: dict[str, object]
) -> None:
    report = verify_chain(tampered(build_chain(), seq, **changes))
    assert (report.ok, report.problem, report.first_bad_seq) == (False, "hash mismatch", seq)
    assert report.summary().startswith(f"FAILED at seq {seq}: hash mismatch")


def test_a_changed_row_with_a_recomputed_hash_breaks_the_next_link() -> None:
    entries = build_chain()
    i = at_seq(entries, 3)
    entries[i] = rehash(replace(entries[i], detail="view=full"))
    report = verify_chain(entries)
    assert (report.problem, report.first_bad_seq) == ("broken link", 4)


def test_a_changed_stored_hash_is_a_mismatch_at_that_row() -> None:
    entries = build_chain()
    report = verify_chain(tampered(entries, 5, hash="f" * 64))
    assert (report.problem, report.first_bad_seq) == ("hash mismatch", 5)


def test_a_changed_prev_hash_is_a_broken_link() -> None:
    report = verify_chain(tampered(build_chain(), 4, prev_hash="a" * 64))
    assert (report.problem, report.first_bad_seq) == ("broken link", 4)


def test_a_deleted_middle_row_is_a_gap_at_its_number() -> None:
    entries = build_chain()
    del entries[at_seq(entries, 3)]
    report = verify_chain(entries)
    assert (report.ok, report.problem, report.first_bad_seq) == (False, "gap in sequence", 3)


def test_a_deleted_first_row_is_a_gap_at_one() -> None:
    report = verify_chain(build_chain()[1:])
    assert (report.problem, report.first_bad_seq) == ("gap in sequence", 1)


def test_a_deleted_row_with_renumbered_successors_is_still_found() -> None:
    entries = build_chain()
    del entries[at_seq(entries, 3)]
    renumbered = [replace(e, seq=e.seq - 1) if e.seq > 3 else e for e in entries]
    report = verify_chain(renumbered)
    assert (report.problem, report.first_bad_seq) == ("broken link", 3)


def test_swapped_rows_keeping_their_numbers_break_the_link_at_the_first_of_them() -> None:
    """Rows 2 and 3 exchange everything but their sequence numbers."""
    entries = build_chain()
    two, three = entries[1], entries[2]
    entries[1] = replace(three, seq=2)
    entries[2] = replace(two, seq=3)
    report = verify_chain(entries)
    assert (report.problem, report.first_bad_seq) == ("broken link", 2)


def test_swapped_row_data_keeping_numbers_and_hashes_is_a_mismatch_at_the_first() -> None:
    """Rows 2 and 3 exchange their data columns; seq, prev_hash and hash stay in place."""
    entries = build_chain()
    two, three = entries[1], entries[2]
    data = ("action", "record_kind", "record_id", "at", "detail")
    entries[1] = replace(two, **{name: getattr(three, name) for name in data})
    entries[2] = replace(three, **{name: getattr(two, name) for name in data})
    report = verify_chain(entries)
    assert (report.problem, report.first_bad_seq) == ("hash mismatch", 2)


def test_swapped_rows_with_their_numbers_are_out_of_order() -> None:
    entries = build_chain()
    entries[1], entries[2] = entries[2], entries[1]  # seq 1, 3, 2, 4, ...
    report = verify_chain(entries)
    assert (report.problem, report.first_bad_seq) == ("out of order", 2)


def test_a_duplicated_row_is_out_of_order() -> None:
    entries = build_chain()
    entries.insert(3, entries[2])  # seq 1, 2, 3, 3, 4, ...
    report = verify_chain(entries)
    assert (report.problem, report.first_bad_seq) == ("out of order", 3)


def test_a_row_moved_to_another_clinic_is_missed_by_its_own_chain() -> None:
    entries = tampered(build_chain(), 3, clinic_id=OTHER)
    alone = verify_chain(entries)
    assert (alone.problem, alone.first_bad_seq) == ("mixed chains", 3)
    reports = verify_chains(entries)
    assert (reports[CLINIC].problem, reports[CLINIC].first_bad_seq) == ("gap in sequence", 3)
    assert (reports[OTHER].problem, reports[OTHER].first_bad_seq) == ("gap in sequence", 1)


def test_a_row_from_another_clinic_in_the_chain_is_reported() -> None:
    entries = build_chain()
    intruder = build_chain(OTHER)[3]
    entries[3] = intruder
    report = verify_chain(entries)
    assert (report.problem, report.first_bad_seq) == ("mixed chains", 4)


# --- what only an anchor can show ----------------------------------------------------------


def test_deleting_the_last_rows_is_invisible_without_a_head() -> None:
    """The documented limitation: a shorter chain is a valid chain."""
    entries = build_chain()
    assert verify_chain(entries[:-2]).ok


def test_deleting_the_last_rows_is_found_against_an_earlier_head() -> None:
    entries = build_chain()
    earlier = verify_chain(entries).head
    assert earlier is not None
    report = verify_chain(entries[:-2], expected_head=earlier)
    assert (report.ok, report.problem, report.first_bad_seq) == (False, "missing tail", 5)


def test_a_rewritten_tail_is_found_against_an_earlier_head() -> None:
    entries = build_chain()
    earlier = entries[-1].head()
    # rewrite from seq 3 on, recomputing every hash and link: verifies on its own
    rewritten = entries[:2]
    for entry in entries[2:]:
        changed = replace(entry, prev_hash=rewritten[-1].hash)
        if entry.seq == 3:
            changed = replace(changed, detail="view=full")
        rewritten.append(rehash(changed))
    assert verify_chain(rewritten).ok
    report = verify_chain(rewritten, expected_head=earlier)
    assert (report.problem, report.first_bad_seq) == ("head mismatch", 6)


def test_a_longer_chain_still_matches_an_earlier_head() -> None:
    entries = build_chain()
    earlier = entries[3].head()  # the head printed when the chain had 4 entries
    assert verify_chain(entries, expected_head=earlier).ok


def test_head_of_another_chain_is_refused() -> None:
    entries = build_chain()
    other_head = build_chain(OTHER)[-1].head()
    assert verify_chain(entries, expected_head=other_head).problem == "mixed chains"


def test_head_line_round_trips_and_refuses_junk() -> None:
    head = build_chain()[-1].head()
    assert ChainHead.parse(head.format()) == head
    assert ChainHead.parse(f"chain={SYSTEM_CHAIN} seq=1 sha256={'a' * 64}").chain == "system"
    for junk in ["", "chain=x seq=0 sha256=" + "a" * 64, "chain=x seq=1 sha256=abc", "seq=1"]:
        with pytest.raises(InvalidInputError) as error:
            ChainHead.parse(junk)
        assert error.value.field == "head"


# --- several chains ------------------------------------------------------------------------


def test_each_clinic_and_the_system_have_their_own_chain() -> None:
    a, b, system = build_chain(CLINIC), build_chain(OTHER, n=3), build_chain(None, n=2)
    assert system[0].chain == SYSTEM_CHAIN and system[0].seq == 1
    mixed = [a[0], b[0], system[0], a[1], b[1], a[2], system[1], b[2], *a[3:]]
    reports = verify_chains(mixed)
    assert set(reports) == {CLINIC, OTHER, SYSTEM_CHAIN}
    assert all(r.ok for r in reports.values())
    assert reports[OTHER].entries == 3

    broken = [replace(e, detail="x") if e is b[1] else e for e in mixed]
    reports = verify_chains(broken)
    assert reports[OTHER].problem == "hash mismatch" and reports[OTHER].first_bad_seq == 2
    assert reports[CLINIC].ok and reports[SYSTEM_CHAIN].ok


def test_a_chain_that_vanished_entirely_is_reported_against_its_head() -> None:
    a, b = build_chain(CLINIC), build_chain(OTHER, n=3)
    heads = {CLINIC: a[-1].head(), OTHER: b[-1].head()}
    reports = verify_chains(a, expected_heads=heads)
    assert reports[CLINIC].ok
    assert (reports[OTHER].problem, reports[OTHER].first_bad_seq) == ("missing tail", 1)


# --- what may be written ---------------------------------------------------------------------


def append_one(**changes: object) -> AuditEntry:
    arguments: dict[str, object] = {
        "clinic_id": CLINIC,
        "staff_id": STAFF,
        "action": "read",
        "record_kind": "patient",
        "record_id": "patient000000000000001",
        "at": T0,
        "client": "192.0.2.10",
        "detail": "",
    } | changes
    return append(None, **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"detail": "Jane Doe"}, "detail"),  # a space (and capitals): free text
        ({"detail": "email=jane@example.org"}, "detail"),
        ({"detail": "note=Allergic"}, "detail"),
        ({"detail": "a" * 201}, "detail"),
        ({"detail": "x\ny"}, "detail"),
        ({"action": "peek"}, "action"),
        ({"record_kind": "Patient"}, "record_kind"),
        ({"record_id": "id with spaces"}, "record_id"),
        ({"staff_id": "x" * 65}, "staff_id"),
        ({"clinic_id": ""}, "clinic_id"),
        ({"at": datetime(2026, 3, 2, 9, 0)}, "at"),
        ({"client": "somewhere"}, "client"),
        ({"client": "10.0.0.256"}, "client"),
    ],
)
def test_append_refuses_bad_values_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        append_one(**changes)
    assert error.value.field == field


def test_append_accepts_codes_cli_and_normalises_addresses() -> None:
    assert append_one(detail="a" * 200).detail == "a" * 200
    assert append_one(detail="fields=phone,email").detail == "fields=phone,email"
    assert append_one(client="cli").client == "cli"
    assert append_one(client="2001:DB8:0:0::0001").client == "2001:db8::1"
    assert append_one(at=datetime(2026, 3, 2, 11, 0, tzinfo=timezone(timedelta(hours=2)))).at == T0
    assert append_one(action=AuditAction.SIGN_IN_FAILED, staff_id=None, clinic_id=None).chain == (
        SYSTEM_CHAIN
    )


def test_append_refuses_a_previous_entry_from_another_chain() -> None:
    prev = build_chain(OTHER, n=1)[0]
    with pytest.raises(InvalidInputError) as error:
        append(
            prev,
            clinic_id=CLINIC,
            staff_id=STAFF,
            action=AuditAction.READ,
            record_kind="patient",
            record_id=None,
            at=T0,
            client="cli",
        )
    assert error.value.field == "clinic_id"


def test_canonical_fields_are_what_the_hash_covers() -> None:
    entry = build_chain(n=1)[0]
    fields = canonical_fields(
        seq=1,
        clinic_id=CLINIC,
        staff_id=STAFF,
        action="sign_in",
        record_kind="staff",
        record_id=STAFF,
        at=T0,
        client="192.0.2.10",
        detail="",
    )
    assert fields == entry.fields()
    assert entry_hash(fields, GENESIS_HASH) == entry.hash
    assert entry_hash(fields, "1" * 64) != entry.hash
