"""``regenaid clinic ...``: set up a clinic and check its audit trail, on the app's database.

``create-admin``
    The one command a new clinic runs after ``make run``: a clinic and its first admin account
    in the database the server uses (``REGENAID_DATABASE_URL``; migrated to the newest schema
    first). The password is asked twice with hidden input, or read from
    ``REGENAID_ADMIN_PASSWORD`` or (``--password-stdin``) from the first line of stdin, for
    scripts. The admin enrols a TOTP second factor at the first sign-in.

``verify-audit``
    Recomputes every audit chain (one per clinic and ``system``) and compares each with its
    stored head, and with heads written down earlier (``--expect-head``, repeatable). Prints
    one line per chain and the heads to keep. Exit 0: intact; 1: tampering found (the line
    names the chain, the first bad seq and the problem); 2: bad input.

A rewrite of a chain from some row onward with recomputed hashes, done together with its
stored head, is visible only against a head kept away from the database: keep the printed
heads somewhere else (a ticket, a printout) and pass them back with ``--expect-head``.

``export-fhir``
    The whole clinic as FHIR R4 NDJSON, one ``<ResourceType>.ndjson`` per type in ``--out``,
    with a progress bar on stderr (``regenaid.cli.clinic_fhir``; mapping in
    ``docs/clinic-fhir.md``). Exit 2 with one line for an unknown clinic or an ``--out`` that
    cannot be written.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

import typer

from regenaid.cli.common import fail, guarded
from regenaid.errors import InvalidInputError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from regenaid.clinic.audit import AuditEntry, ChainHead
    from regenaid.clinic.ports import ClinicUnitOfWork

PASSWORD_ENV = "REGENAID_ADMIN_PASSWORD"

clinic_app = typer.Typer(
    name="clinic",
    help="The clinic's records: create the first admin, verify the audit trail, export FHIR.",
    no_args_is_help=True,
    add_completion=False,
)


def _option_error(exc: InvalidInputError, options: dict[str, str]) -> InvalidInputError:
    """``exc`` naming the command-line option the field came from (``email`` -> ``--email``)."""
    option = options.get(exc.field)
    if option is None:
        return exc
    return InvalidInputError(option, exc.message, exc.allowed)


def _database(url: str | None = None) -> Engine:
    """The app's database (``REGENAID_DATABASE_URL``), migrated to the newest schema."""
    from regenaid.config import load_settings
    from regenaid.store import make_engine, migrate_to_head

    engine = make_engine(url if url is not None else load_settings().database_url)
    migrate_to_head(engine)
    return engine


def _read_password(password_stdin: bool) -> str:
    """From stdin's first line (``--password-stdin``), the environment, or a hidden prompt."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        return from_env
    password: str = typer.prompt(
        "Password (15 or more characters)", hide_input=True, confirmation_prompt=True
    )
    return password


@clinic_app.command("create-admin")
@guarded
def create_admin(
    clinic_name: str = typer.Option(..., "--clinic-name", help="The clinic's name."),
    jurisdiction: str | None = typer.Option(
        None,
        "--jurisdiction",
        help="Country code (ISO 3166-1, e.g. GB, US) for regulatory status and reporting.",
    ),
    email: str = typer.Option(..., "--email", help="The admin's e-mail (their sign-in name)."),
    name: str = typer.Option(..., "--name", help="The admin's name as staff see it."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
) -> None:
    """Create a clinic and its first admin account (run once, after the first `make run`)."""
    from regenaid.clinic import accounts
    from regenaid.clinic.staff import create_clinic_with_admin
    from regenaid.config import load_settings
    from regenaid.store import make_session_factory
    from regenaid.store.clinic_uow import SqlClinicUnitOfWork

    now = datetime.now(UTC)
    try:  # everything but the password first, so a typo costs no password typing
        accounts.new_clinic(clinic_name, now, jurisdiction)
    except InvalidInputError as exc:
        raise _option_error(
            exc, {"name": "--clinic-name", "jurisdiction": "--jurisdiction"}
        ) from None
    options = {"email": "--email", "display_name": "--name"}
    try:
        normalised = accounts.normalise_email(email)
    except InvalidInputError as exc:
        raise _option_error(exc, options) from None
    password = _read_password(password_stdin)
    accounts.check_password_policy(password, email=normalised, context=(name,))
    settings = load_settings()
    engine = _database(settings.database_url)
    try:
        clinic, admin = create_clinic_with_admin(
            # the store's audit trail returns the entry it wrote; the port asks for nothing
            cast("ClinicUnitOfWork", SqlClinicUnitOfWork(make_session_factory(engine))),
            clinic_name=clinic_name,
            jurisdiction=jurisdiction,
            email=email,
            display_name=name,
            password=password,
            now=now,
        )
    except InvalidInputError as exc:
        raise _option_error(exc, options) from None
    finally:
        engine.dispose()
    where = engine.url.render_as_string(hide_password=True)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host  # IPv6
    sign_in = f"http://{host}:{settings.port}/clinic/sign-in"
    typer.echo(f"Created clinic {clinic.name!r} with id {clinic.id}")
    typer.echo(f"Admin account {admin.email} (id {admin.id}) in {where}")
    typer.echo(f"Next: with the server running (make run), sign in at {sign_in}")
    typer.echo(
        "At the first sign-in the admin enrols a TOTP second factor "
        "(an authenticator app scans a QR code)."
    )


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """What ``verify-audit`` found for one chain."""

    chain: str
    ok: bool
    entries: int
    head: ChainHead | None
    first_bad_seq: int | None = None
    problem: str | None = None

    def line(self, label: str) -> str:
        if self.ok:
            seq = self.head.seq if self.head else 0
            return f"{label}: ok, {_count(self.entries, 'entry', 'entries')}, head seq {seq}"
        return f"{label}: TAMPERED at seq {self.first_bad_seq}: {self.problem}"


def check_chain(
    chain: str,
    entries: list[AuditEntry],
    stored: ChainHead | None,
    expected: ChainHead | None,
) -> ChainCheck:
    """The chain recomputed, then held against its stored head, then against ``expected``.

    Appends write the entry and the head in one transaction, so the stored head must be the
    chain's last entry exactly: entries beyond it were added outside regenaid, and entries
    without a head row mean the head row was removed.
    """
    from regenaid.clinic.audit import verify_chain

    report = verify_chain(entries, expected_head=stored)
    head = report.head
    if not report.ok:
        anchor = " (against the stored head)" if report.problem in _HEAD_PROBLEMS else ""
        return ChainCheck(
            chain, False, report.entries, head, report.first_bad_seq, f"{report.problem}{anchor}"
        )
    if entries and stored is None:
        return ChainCheck(
            chain,
            False,
            len(entries),
            head,
            len(entries),
            "no stored head for this chain (its clinic_audit_heads row was removed)",
        )
    if stored is not None and len(entries) > stored.seq:
        return ChainCheck(
            chain,
            False,
            len(entries),
            head,
            stored.seq + 1,
            "entries after the stored head (added outside regenaid)",
        )
    if expected is not None:
        again = verify_chain(entries, expected_head=expected)
        if not again.ok:
            return ChainCheck(
                chain,
                False,
                again.entries,
                head,
                again.first_bad_seq,
                f"{again.problem} (against --expect-head seq {expected.seq})",
            )
    return ChainCheck(chain, True, len(entries), head)


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


_HEAD_PROBLEMS = frozenset({"missing tail", "head mismatch", "mixed chains"})


def _expected_heads(texts: list[str]) -> dict[str, ChainHead]:
    from regenaid.clinic.audit import ChainHead

    heads: dict[str, ChainHead] = {}
    for text in texts:
        try:
            head = ChainHead.parse(text)
        except InvalidInputError as exc:
            raise InvalidInputError("--expect-head", exc.message) from None
        if head.chain in heads:
            raise InvalidInputError("--expect-head", f"chain {head.chain} is given twice")
        heads[head.chain] = head
    return heads


@clinic_app.command("verify-audit")
@guarded
def verify_audit(
    expect_head: list[str] = typer.Option(
        [],
        "--expect-head",
        help="A head printed earlier: 'chain=<id> seq=<n> sha256=<hex>' (repeatable).",
    ),
) -> None:
    """Verify every audit chain against its stored head (and heads written down earlier)."""
    from regenaid.store import make_session_factory
    from regenaid.store.clinic_audit import SqlAuditTrail
    from regenaid.store.clinic_directory import SqlStaffDirectory

    expected = _expected_heads(expect_head)
    engine = _database()
    try:
        with make_session_factory(engine)() as session:
            trail = SqlAuditTrail(session)
            stored = trail.heads()
            names = {c.id: c.name for c in SqlStaffDirectory(session).all_clinics()}
            checks = [
                check_chain(key, list(trail.entries(key)), stored.get(key), expected.get(key))
                for key in sorted(set(trail.chains()) | set(expected))
            ]
    finally:
        engine.dispose()
    for check in checks:
        label = f"chain {check.chain}"
        if check.chain in names:
            label += f" ({names[check.chain]})"
        typer.echo(check.line(label))
    chains = _count(len(checks), "chain", "chains")
    bad = [c for c in checks if not c.ok]
    if bad:
        first = bad[0]
        raise fail(
            f"audit trail tampered with in {len(bad)} of {chains}; chain {first.chain} "
            f"first bad seq {first.first_bad_seq}: {first.problem}",
            code=1,
        )
    total = sum(c.entries for c in checks)
    if not checks:
        typer.echo("No audit entries yet.")
        return
    typer.echo(f"Audit trail intact: {chains}, {_count(total, 'entry', 'entries')}.")
    typer.echo("Heads to keep away from this database (pass them back with --expect-head):")
    for check in checks:
        if check.head is not None:
            typer.echo(check.head.format())


@clinic_app.command("export-fhir")
@guarded
def export_fhir(
    clinic_id: str = typer.Option(..., "--clinic-id", help="The clinic to export (its id)."),
    out: str = typer.Option(
        ..., "--out", help="Folder for the NDJSON files, one per resource type (made if missing)."
    ),
    with_files: bool = typer.Option(
        False, "--with-files", help="Put photo and certificate bytes (base64) in the files."
    ),
) -> None:
    """Export a whole clinic as FHIR R4 NDJSON: <ResourceType>.ndjson files in --out."""
    from regenaid.cli.clinic_fhir import export_clinic

    export_clinic(clinic_id, out, with_files, _database)
