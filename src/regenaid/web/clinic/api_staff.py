"""Signing in and out, the signed-in member (``/me``) and staff accounts (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, Security
from starlette.concurrency import run_in_threadpool

from regenaid.clinic import staff
from regenaid.clinic.access import PERMISSIONS
from regenaid.clinic.accounts import (
    StaffAccount,
    new_totp_secret,
    totp_enrolment_required,
    totp_uri,
)
from regenaid.clinic.audit import ChainHead
from regenaid.clinic.errors import RefusedError
from regenaid.clinic.overview import read_audit
from regenaid.clinic.staff import SignedIn, resolve_session
from regenaid.web.clinic.api_common import (
    STAFF_SESSION,
    ClinicApiRoute,
    CsrfToken,
    Reader,
    Writer,
    actor,
    client_of,
    refused,
    responses,
    uow,
)
from regenaid.web.clinic.auth import (
    STAFF_COOKIE,
    NotSignedIn,
    check_staff_csrf,
    clear_staff_cookie,
    now,
    set_staff_cookie,
)
from regenaid.web.clinic.schemas import (
    ID_PATTERN,
    AuditEntryOut,
    AuditPage,
    ChainCheck,
    ChainHeadOut,
    Items,
    Me,
    Refusal,
    SecondFactorBody,
    SignInAnswer,
    SignInBody,
    StaffBody,
    StaffMember,
    TotpEnrolment,
)

router = APIRouter(route_class=ClinicApiRoute)

StaffId = Annotated[str, Path(pattern=ID_PATTERN, description="A staff account's id")]


def me_of(who: SignedIn) -> Me:
    account = who.account
    return Me(
        staff_id=account.id,
        display_name=account.display_name,
        email=account.email,
        role=account.role,
        clinic_id=who.clinic.id,
        clinic_name=who.clinic.name,
        clinic_jurisdiction=who.clinic.jurisdiction,
        permissions=sorted(action.value for action in PERMISSIONS[account.role]),
        totp_enrolled=account.totp_secret is not None,
        csrf_token=who.session.csrf_token,
    )


def member(account: StaffAccount) -> StaffMember:
    return StaffMember(
        id=account.id,
        email=account.email,
        display_name=account.display_name,
        role=account.role,
        active=account.active,
        totp_enrolled=account.totp_secret is not None,
        created_at=account.created_at,
    )


# --- the session ----------------------------------------------------------------------------


async def pending_session(
    request: Request, _cookie: Annotated[str | None, Security(STAFF_SESSION)] = None
) -> SignedIn:
    """The session in the cookie, its second factor done or not (else 401)."""
    who = await run_in_threadpool(
        resolve_session,
        uow(request),
        token=request.cookies.get(STAFF_COOKIE),
        now=now(),
        allow_pending=True,
    )
    if who is None:
        raise NotSignedIn()
    return who


@router.post(
    "/session",
    response_model=SignInAnswer,
    summary="Sign in with e-mail and password",
    responses=responses(
        409,
        r401={
            "model": Refusal,
            "description": "E-mail or password not recognised (`sign_in_refused`: the same "
            "answer for an unknown e-mail, a wrong password and an inactive account).",
        },
        r429={
            "model": Refusal,
            "description": "Too many failed sign-ins for this e-mail or from this address "
            "(`throttled`; `reason` says when to try again).",
        },
    ),
)
def sign_in(body: SignInBody, request: Request, response: Response) -> SignInAnswer | Response:
    """Start a staff session: sets the `regenaid_staff` cookie and returns the session's CSRF
    token. When `second_factor_needed`, finish with `POST /session/second-factor`; an admin
    without an authenticator gets a key to enrol in `totp_enrolment`."""
    try:
        started = staff.sign_in(
            uow(request),
            email=body.email,
            password=body.password,
            client=client_of(request),
            now=now(),
        )
    except RefusedError as exc:
        return refused(exc, 429 if exc.code == "throttled" else 401)
    set_staff_cookie(response, request, started.token)
    enrolment = None
    if totp_enrolment_required(started.account):
        secret = new_totp_secret()
        enrolment = TotpEnrolment(secret=secret, uri=totp_uri(secret, started.account.email))
    return SignInAnswer(
        second_factor_needed=started.needs_second_factor,
        csrf_token=started.session.csrf_token,
        totp_enrolment=enrolment,
    )


@router.post(
    "/session/second-factor",
    response_model=Me,
    summary="Finish signing in with an authenticator code",
    responses=responses(403, 409),
)
def second_factor(
    body: SecondFactorBody,
    pending: Annotated[SignedIn, Depends(pending_session)],
    token: CsrfToken,
    request: Request,
    response: Response,
) -> Me | Response:
    """Check a TOTP code for the session in the cookie (with `new_secret`: enrol that key
    first, proven by the code). The session is renewed: a new cookie and a new CSRF token.
    Needs the pending session's `X-CSRF-Token`. A signed-in member may enrol a key this way."""
    check_staff_csrf(pending, token)
    try:
        done = staff.second_factor(
            uow(request),
            token=request.cookies.get(STAFF_COOKIE, ""),
            code=body.code,
            client=client_of(request),
            now=now(),
            new_secret=body.new_secret,
        )
    except RefusedError as exc:
        if exc.code == "session_expired":
            raise NotSignedIn() from exc
        return refused(exc, fields={"totp_code": "code", "totp_secret": "new_secret"})
    set_staff_cookie(response, request, done.token)
    who = resolve_session(uow(request), token=done.token, now=now())
    if who is None:  # pragma: no cover - the session was just made
        raise NotSignedIn()
    return me_of(who)


@router.delete(
    "/session",
    status_code=204,
    response_class=Response,
    summary="Sign out",
    responses=responses(409, 403),
)
def sign_out(who: Writer, request: Request) -> Response:
    """End the session in the cookie (the server forgets it) and clear the cookie."""
    staff.sign_out(
        uow(request),
        token=request.cookies.get(STAFF_COOKIE, ""),
        client=client_of(request),
        now=now(),
    )
    answer = Response(status_code=204)
    clear_staff_cookie(answer)
    return answer


@router.get("/me", response_model=Me, summary="Who is signed in", responses=responses())
def me(who: Reader) -> Me:
    """The signed-in member, their clinic, the actions their role may do, and the session's
    CSRF token."""
    return me_of(who)


# --- staff accounts -------------------------------------------------------------------------


@router.get(
    "/staff",
    response_model=Items[StaffMember],
    summary="The clinic's staff accounts",
    responses=responses(403),
)
def list_staff(who: Reader, request: Request) -> Items[StaffMember]:
    """Every account of the clinic, active or not (admin)."""
    accounts = staff.staff_list(uow(request), actor(request, who))
    return Items[StaffMember](items=[member(a) for a in accounts])


@router.post(
    "/staff",
    status_code=201,
    response_model=StaffMember,
    summary="Add a staff account",
    responses=responses(409, 403),
)
def add_staff(body: StaffBody, who: Writer, request: Request) -> StaffMember:
    """A new account of the clinic with a checked password (at least 15 characters, not the
    e-mail or name; NIST SP 800-63B-4). Admins enrol an authenticator at first sign-in."""
    account = staff.add_staff(
        uow(request),
        actor(request, who),
        email=body.email,
        display_name=body.display_name,
        role=body.role.value,
        password=body.password,
    )
    return member(account)


@router.post(
    "/staff/{staff_id}/deactivation",
    response_model=StaffMember,
    summary="Deactivate a staff account",
    responses=responses(403, 404, 409),
)
def deactivate_staff(staff_id: StaffId, who: Writer, request: Request) -> StaffMember:
    """The account can no longer sign in and its sessions end (kept: the audit refers to it).
    Your own account is refused (`self_deactivation`)."""
    return member(staff.deactivate_staff(uow(request), actor(request, who), staff_id))


# --- the audit trail ------------------------------------------------------------------------


@router.get(
    "/audit",
    response_model=AuditPage,
    summary="The clinic's audit trail, verified",
    responses=responses(403),
)
def audit_trail(
    who: Reader,
    request: Request,
    head: Annotated[
        str | None,
        Query(
            max_length=200,
            description="An earlier head of this clinic's chain, as printed "
            "(`chain=<id> seq=<n> sha256=<64 hex>`): a missing tail or a rewritten entry up "
            "to it is reported.",
        ),
    ] = None,
) -> AuditPage:
    """Who did what to which record, when and from where (ids only), newest first (the
    newest 200), with the clinic's hash chain recomputed (admin). This read is audited
    first, so the head reported includes it: keep it to compare next time."""
    expected = None if head is None else ChainHead.parse(head)
    view = read_audit(uow(request), actor(request, who), expected)
    report = view.report
    return AuditPage(
        items=[
            AuditEntryOut(
                seq=e.seq,
                staff_id=e.staff_id,
                action=e.action,
                record_kind=e.record_kind,
                record_id=e.record_id,
                at=e.at,
                client=e.client,
                detail=e.detail,
                prev_hash=e.prev_hash,
                hash=e.hash,
            )
            for e in view.entries
        ],
        total=view.total,
        staff_names=view.staff_names,
        verification=ChainCheck(
            ok=report.ok,
            first_bad_seq=report.first_bad_seq,
            problem=report.problem,
            entries=report.entries,
            head=None
            if report.head is None
            else ChainHeadOut(chain=report.head.chain, seq=report.head.seq, hash=report.head.hash),
            summary=report.summary(),
        ),
    )
