"""``regenaid clinic create-admin`` and ``regenaid clinic verify-audit``.

create-admin runs end to end on a temporary SQLite file (and the admin then signs in through
the use case the web app calls). verify-audit runs on SQLite and PostgreSQL, on an intact
trail and after rows are tampered with by raw SQL, as someone with write access to the
database would: each tampering exits 1 and names the first bad seq.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, Table, func, select, text
from typer.testing import CliRunner, Result

from regenaid.cli.main import app
from regenaid.clinic import staff
from regenaid.clinic.accounts import new_clinic
from regenaid.clinic.audit import AuditEntry, ChainHead, entry_hash, verify_chain
from regenaid.clinic.errors import RefusedError
from regenaid.store import make_engine, make_session_factory, migrate_to_head
from regenaid.store.clinic_audit import SqlAuditTrail
from regenaid.store.clinic_tables import audit_entries, clinics, staff_accounts
from regenaid.store.clinic_uow import SqlClinicUnitOfWork

POSTGRES_URL = os.environ.get(
    "REGENAID_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PASSWORD = "maple quartz lantern river"
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
CLINIC_ENTRIES = 6
SYSTEM_ENTRIES = 2

runner = CliRunner()


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'var' / 'regenaid.db'}"


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = _sqlite_url(tmp_path)
    _environment(monkeypatch, tmp_path, url)
    return url


def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REGENAID_DATABASE_URL", url)
    monkeypatch.setenv("REGENAID_ENVIRONMENT", "test")
    monkeypatch.delenv("REGENAID_ADMIN_PASSWORD", raising=False)
    for name in ("REGENAID_HOST", "REGENAID_PORT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The URL the CLI reads from REGENAID_DATABASE_URL: a SQLite file, or a fresh PostgreSQL
    schema (dropped afterwards; an unreachable server fails the test)."""
    if request.param == "sqlite":
        url = _sqlite_url(tmp_path)
        _environment(monkeypatch, tmp_path, url)
        yield url
        return
    schema = f"regenaid_cli_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    _environment(monkeypatch, tmp_path, url)
    try:
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate_to_head(engine)
    yield engine
    engine.dispose()


def one_line_failure(result: Result, code: int, starts: str) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"regenaid: {starts}"), lines[0]
    assert "Traceback" not in result.output + result.stderr
    return lines[0]


def create_admin(*extra: str, email: str = "Admin@Example.org", **kwargs: object) -> Result:
    args = [
        "clinic",
        "create-admin",
        "--clinic-name",
        "Hair & Skin Clinic",
        "--jurisdiction",
        "gb",
        "--email",
        email,
        "--name",
        "Ada Admin",
        *extra,
    ]
    return runner.invoke(app, args, **kwargs)  # type: ignore[arg-type]


def count(engine: Engine, table: Table) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


# --- create-admin --------------------------------------------------------------------------


def test_create_admin_then_sign_in_and_verify(sqlite_url: str) -> None:
    result = create_admin("--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.stderr
    clinic_id = re.search(r"with id ([A-Za-z0-9_-]{22})", result.stdout)
    assert clinic_id, result.stdout
    assert "http://127.0.0.1:8000/clinic/sign-in" in result.stdout
    assert "TOTP" in result.stdout
    assert PASSWORD not in result.output + result.stderr

    engine = make_engine(sqlite_url)
    try:
        uow = SqlClinicUnitOfWork(make_session_factory(engine))
        signed = staff.sign_in(
            uow, email="admin@example.org", password=PASSWORD, client="127.0.0.1", now=NOW
        )
        assert signed.account.clinic_id == clinic_id[1]
        assert signed.account.role == "admin"
        assert signed.account.display_name == "Ada Admin"
        assert signed.needs_second_factor  # every admin enrols TOTP at the first sign-in
        with uow:
            assert uow.directory.clinic(clinic_id[1]).jurisdiction == "GB"
        with pytest.raises(RefusedError):
            staff.sign_in(
                uow, email="admin@example.org", password="wrong" * 4, client="::1", now=NOW
            )

        # the same e-mail again: refused, naming the option, nothing more written
        again = create_admin("--password-stdin", input=PASSWORD + "\n")
        line = one_line_failure(again, 2, "--email:")
        assert "already exists" in line
        assert count(engine, clinics) == 1 and count(engine, staff_accounts) == 1
    finally:
        engine.dispose()

    verified = runner.invoke(app, ["clinic", "verify-audit"])
    assert verified.exit_code == 0, verified.stdout + verified.stderr
    # create + sign-in + failed sign-in on the clinic's chain
    assert f"chain {clinic_id[1]} (Hair & Skin Clinic): ok, 3 entries" in verified.stdout


def test_create_admin_asks_for_the_password_twice_hidden(sqlite_url: str) -> None:
    mismatch = create_admin(input=f"{PASSWORD}\n{PASSWORD}x\n")
    assert mismatch.exit_code != 0  # asked again, then stdin ran out
    assert "do not match" in mismatch.output
    result = create_admin(input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.stderr
    assert result.output.count("Password") >= 1 and "Repeat for confirmation" in result.output
    assert PASSWORD not in result.output


def test_create_admin_reads_the_password_from_the_environment(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGENAID_ADMIN_PASSWORD", PASSWORD)
    result = create_admin(email="second@example.org")
    assert result.exit_code == 0, result.stderr
    assert "Password" not in result.output


@pytest.mark.parametrize(
    ("changes", "password", "starts"),
    [
        ({}, "too short", "password: at least 15 characters"),
        ({}, "regenaid", "password:"),
        ({"--email": "admin@localhost"}, PASSWORD, "--email: not an e-mail address"),
        ({"--email": "no at sign"}, PASSWORD, "--email:"),
        ({"--jurisdiction": "XX"}, PASSWORD, "--jurisdiction: 'XX' is not an ISO 3166-1"),
        ({"--jurisdiction": "Atlantis"}, PASSWORD, "--jurisdiction:"),
        ({"--clinic-name": "   "}, PASSWORD, "--clinic-name: must not be empty"),
        ({"--name": "\x00"}, PASSWORD, "--name:"),
    ],
)
def test_create_admin_bad_input_exits_2_naming_the_field(
    sqlite_url: str, changes: dict[str, str], password: str, starts: str
) -> None:
    args = {
        "--clinic-name": "Hair Clinic",
        "--jurisdiction": "GB",
        "--email": "admin@example.org",
        "--name": "Ada Admin",
        **changes,
    }
    flat = [item for pair in args.items() for item in pair]
    result = runner.invoke(
        app, ["clinic", "create-admin", *flat, "--password-stdin"], input=password + "\n"
    )
    one_line_failure(result, 2, starts)
    assert result.stdout == ""
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    if "--name" not in changes:  # checked before the database is opened
        assert not database.exists()
    else:  # the person's name is checked by the use case itself
        engine = make_engine(sqlite_url)
        assert count(engine, clinics) == 0 and count(engine, staff_accounts) == 0
        engine.dispose()


# --- verify-audit --------------------------------------------------------------------------


def seed_chains(engine: Engine) -> str:
    """A clinic with a chain of 6 entries and a system chain of 2; returns the clinic id."""
    clinic = new_clinic("Clinic A", NOW, "GB")
    with SqlClinicUnitOfWork(make_session_factory(engine)) as uow:
        uow.directory.add_clinic(clinic)
        for i in range(CLINIC_ENTRIES):
            uow.audit.append(
                clinic_id=clinic.id,
                staff_id="staff_1",
                action="read",
                record_kind="patient",
                record_id=f"patient_{i}",
                at=NOW + timedelta(seconds=i),
                client="192.0.2.7",
                detail=f"n={i}",
            )
        for i in range(SYSTEM_ENTRIES):
            uow.audit.append(
                clinic_id=None,
                staff_id=None,
                action="sign_in_failed",
                record_kind="staff_account",
                record_id=None,
                at=NOW + timedelta(minutes=i),
                client="198.51.100.1",
            )
        uow.commit()
    return clinic.id


def verify(*heads: str) -> Result:
    args = ["clinic", "verify-audit"]
    for head in heads:
        args += ["--expect-head", head]
    return runner.invoke(app, args)


def printed_heads(result: Result) -> dict[str, ChainHead]:
    found = [
        ChainHead.parse(line) for line in result.stdout.splitlines() if line.startswith("chain=")
    ]
    return {head.chain: head for head in found}


def execute(engine: Engine, sql: str, **params: object) -> None:
    with engine.begin() as connection:
        connection.execute(text(sql), params)


def entries(engine: Engine, chain: str) -> list[AuditEntry]:
    with make_session_factory(engine)() as session:
        return list(SqlAuditTrail(session).entries(chain))


def rewrite_from(engine: Engine, chain: str, seq: int, detail: str) -> None:
    """Change row ``seq`` and recompute every hash from there, as an attacker who knows the
    algorithm would (``update_heads``: the stored head too)."""
    rows = entries(engine, chain)
    previous = rows[seq - 2].hash if seq > 1 else "0" * 64
    with engine.begin() as connection:
        for row in rows[seq - 1 :]:
            changed = replace(
                row, detail=detail if row.seq == seq else row.detail, prev_hash=previous
            )
            digest = entry_hash(changed.fields(), previous)
            connection.execute(
                audit_entries.update()
                .where(audit_entries.c.chain == chain, audit_entries.c.seq == changed.seq)
                .values(detail=changed.detail, prev_hash=previous, hash=digest)
            )
            previous = digest
        connection.execute(
            text("UPDATE clinic_audit_heads SET hash = :h WHERE chain = :c"),
            {"h": previous, "c": chain},
        )


def test_verify_audit_on_an_intact_trail(db: Engine) -> None:
    clinic_id = seed_chains(db)
    result = verify()
    assert result.exit_code == 0, result.stdout + result.stderr
    assert f"chain {clinic_id} (Clinic A): ok, 6 entries, head seq 6" in result.stdout
    assert "chain system: ok, 2 entries, head seq 2" in result.stdout
    assert "Audit trail intact: 2 chains, 8 entries." in result.stdout
    heads = printed_heads(result)
    assert set(heads) == {clinic_id, "system"} and heads[clinic_id].seq == CLINIC_ENTRIES
    assert verify_chain(entries(db, clinic_id), expected_head=heads[clinic_id]).ok
    # the heads printed earlier are accepted back, also after the chain grew
    seed_more = SqlClinicUnitOfWork(make_session_factory(db))
    with seed_more as uow:
        uow.audit.append(
            clinic_id=clinic_id,
            staff_id=None,
            action="read",
            record_kind="patient_list",
            record_id=None,
            at=NOW + timedelta(hours=1),
            client="cli",
        )
        uow.commit()
    again = verify(*(h.format() for h in heads.values()))
    assert again.exit_code == 0, again.stdout + again.stderr
    assert "ok, 7 entries, head seq 7" in again.stdout


def test_verify_audit_on_an_empty_database(db: Engine) -> None:
    result = verify()
    assert result.exit_code == 0, result.stderr
    assert "No audit entries yet." in result.stdout


def _tampered(result: Result, chain: str, seq: int, problem: str) -> None:
    line = one_line_failure(result, 1, "audit trail tampered with")
    assert f"chain {chain} first bad seq {seq}: {problem}" in line, line
    assert re.search(
        rf"chain {re.escape(chain)}( \(.*\))?: TAMPERED at seq {seq}: {re.escape(problem)}",
        result.stdout,
    )
    assert "chain system: ok, 2 entries" in result.stdout  # the other chain is still fine
    assert "Heads to keep" not in result.stdout


def test_changed_detail_is_a_hash_mismatch(db: Engine) -> None:
    clinic_id = seed_chains(db)
    execute(db, "UPDATE clinic_audit SET detail = 'n=99' WHERE chain = :c AND seq = 3", c=clinic_id)
    _tampered(verify(), clinic_id, 3, "hash mismatch")


def test_changed_row_with_its_hash_recomputed_breaks_the_next_link(db: Engine) -> None:
    clinic_id = seed_chains(db)
    row = entries(db, clinic_id)[2]
    changed = replace(row, detail="n=99")
    digest = entry_hash(changed.fields(), changed.prev_hash)
    execute(
        db,
        "UPDATE clinic_audit SET detail = 'n=99', hash = :h WHERE chain = :c AND seq = 3",
        h=digest,
        c=clinic_id,
    )
    _tampered(verify(), clinic_id, 4, "broken link")


def test_deleted_middle_row_is_a_gap(db: Engine) -> None:
    clinic_id = seed_chains(db)
    execute(db, "DELETE FROM clinic_audit WHERE chain = :c AND seq = 3", c=clinic_id)
    _tampered(verify(), clinic_id, 3, "gap in sequence")


def test_deleted_last_row_is_seen_against_the_stored_head(db: Engine) -> None:
    clinic_id = seed_chains(db)
    execute(db, "DELETE FROM clinic_audit WHERE chain = :c AND seq = 6", c=clinic_id)
    _tampered(verify(), clinic_id, 6, "missing tail (against the stored head)")


def test_deleted_last_row_and_rewritten_head_is_seen_against_an_expected_head(
    db: Engine,
) -> None:
    clinic_id = seed_chains(db)
    kept = printed_heads(verify())
    rows = entries(db, clinic_id)
    execute(db, "DELETE FROM clinic_audit WHERE chain = :c AND seq = 6", c=clinic_id)
    execute(
        db,
        "UPDATE clinic_audit_heads SET seq = 5, hash = :h WHERE chain = :c",
        h=rows[4].hash,
        c=clinic_id,
    )
    alone = verify()  # the database agrees with itself: what a chain cannot show on its own
    assert alone.exit_code == 0, alone.stdout
    result = verify(kept[clinic_id].format(), kept["system"].format())
    _tampered(result, clinic_id, 6, f"missing tail (against --expect-head seq {CLINIC_ENTRIES})")


def test_chain_rewritten_with_its_head_is_seen_against_an_expected_head(db: Engine) -> None:
    clinic_id = seed_chains(db)
    kept = printed_heads(verify())
    rewrite_from(db, clinic_id, 3, "n=99")
    assert verify().exit_code == 0
    result = verify(kept[clinic_id].format())
    _tampered(result, clinic_id, 6, "head mismatch (against --expect-head seq 6)")


def test_row_added_after_the_stored_head_is_seen(db: Engine) -> None:
    clinic_id = seed_chains(db)
    last = entries(db, clinic_id)[-1]
    forged = replace(last, seq=7, detail="n=7", prev_hash=last.hash)
    digest = entry_hash(forged.fields(), forged.prev_hash)
    with db.begin() as connection:
        connection.execute(
            audit_entries.insert().values(
                chain=clinic_id,
                seq=7,
                clinic_id=clinic_id,
                staff_id=forged.staff_id,
                action=forged.action,
                record_kind=forged.record_kind,
                record_id=forged.record_id,
                at=forged.at,
                client=forged.client,
                detail=forged.detail,
                prev_hash=forged.prev_hash,
                hash=digest,
            )
        )
    _tampered(verify(), clinic_id, 7, "entries after the stored head")


def test_removed_head_row_is_seen(db: Engine) -> None:
    clinic_id = seed_chains(db)
    execute(db, "DELETE FROM clinic_audit_heads WHERE chain = :c", c=clinic_id)
    _tampered(verify(), clinic_id, 6, "no stored head for this chain")


def test_expected_head_of_a_chain_that_is_gone(db: Engine) -> None:
    seed_chains(db)
    ghost = ChainHead(chain="A" * 22, seq=4, hash="ab" * 32)
    result = verify(ghost.format())
    _tampered(result, ghost.chain, 1, "missing tail (against --expect-head seq 4)")


@pytest.mark.parametrize(
    ("heads", "starts"),
    [
        (["chain=system seq=0 sha256=" + "0" * 64], "--expect-head: expected 'chain="),
        (["chain=system seq=2"], "--expect-head: expected"),
        (["seq=2 sha256=" + "a" * 64], "--expect-head: expected"),
        (["chain=system seq=2 sha256=" + "G" * 64], "--expect-head: expected"),
        (
            ["chain=system seq=2 sha256=" + "a" * 64, "chain=system seq=1 sha256=" + "b" * 64],
            "--expect-head: chain system is given twice",
        ),
    ],
)
def test_verify_audit_bad_expected_head_exits_2(
    sqlite_url: str, heads: list[str], starts: str
) -> None:
    result = verify(*heads)
    one_line_failure(result, 2, starts)
