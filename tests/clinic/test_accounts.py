"""Staff accounts: e-mail, password policy and hashing, TOTP, throttling and sessions."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from argon2 import PasswordHasher

from regenaid.clinic.access import Role
from regenaid.clinic.accounts import (
    ABSOLUTE_TIMEOUT,
    IDLE_TIMEOUT,
    Clinic,
    LoginThrottle,
    StaffAccount,
    change_password,
    check_password_policy,
    complete_second_factor,
    csrf_valid,
    deactivate,
    dummy_verify,
    enrol_totp,
    hash_password,
    login_key,
    needs_rehash,
    new_clinic,
    new_session_token,
    new_staff_account,
    new_totp_secret,
    normalise_email,
    second_factor_required,
    session_state,
    session_token_hash,
    signed_in,
    start_session,
    totp_enrolment_required,
    totp_uri,
    touch,
    verify_password,
    verify_totp,
)
from regenaid.clinic.errors import RefusedError
from regenaid.errors import InvalidInputError

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
GOOD_PASSWORD = "otter lamp fig quilt"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def account(
    role: Role = Role.CLINICIAN, totp_secret: str | None = None, active: bool = True
) -> StaffAccount:
    """An account without the cost of Argon2 (the hash is never checked in these tests)."""
    return StaffAccount(
        id="staff000000000000000001",
        clinic_id="clinic00000000000000001",
        email="jo.nurse@clinic.example",
        display_name="Jo Nurse",
        role=role,
        password_hash="not-a-real-hash",
        totp_secret=totp_secret,
        totp_last_used_step=None,
        active=active,
        created_at=T0,
    )


# --- e-mail and accounts ---------------------------------------------------------------------


def test_email_is_trimmed_and_lower_cased() -> None:
    assert normalise_email("  Jo.Nurse@Clinic.EXAMPLE ") == "jo.nurse@clinic.example"
    assert normalise_email("a+tag@sub.clinic.example") == "a+tag@sub.clinic.example"


@pytest.mark.parametrize(
    "bad",
    [
        "no-at-sign",
        "jo@localhost",
        "jo@@clinic.example",
        "jo..nurse@clinic.example",
        ".jo@clinic.example",
        "jo@-clinic.example",
        "jo@clinic.123",
        "jo nurse@clinic.example",
        "@clinic.example",
        "a" * 65 + "@clinic.example",
        "jo@" + "a" * 250 + ".example",
    ],
)
def test_bad_email_is_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        normalise_email(bad)
    assert error.value.field == "email"


def test_login_key_matches_what_normalise_email_gives_for_valid_addresses() -> None:
    assert login_key(" Jo.Nurse@Clinic.Example ") == normalise_email("Jo.Nurse@Clinic.Example")
    assert login_key("not an email") == "not an email"


def test_account_repr_shows_no_password_hash_or_totp_secret() -> None:
    text = repr(account(totp_secret=SECRET))
    assert "not-a-real-hash" not in text
    assert SECRET not in text
    assert "jo.nurse@clinic.example" in text


def test_account_refuses_unnormalised_email_and_naive_time() -> None:
    with pytest.raises(InvalidInputError) as error:
        StaffAccount(
            id="s",
            clinic_id="c",
            email="Jo@Clinic.Example",
            display_name="Jo",
            role=Role.NURSE,
            password_hash="h",
            totp_secret=None,
            totp_last_used_step=None,
            active=True,
            created_at=T0,
        )
    assert error.value.field == "email"
    with pytest.raises(InvalidInputError) as naive:
        Clinic(id="c", name="Clinic", created_at=datetime(2026, 1, 1))
    assert naive.value.field == "created_at"


def test_new_clinic_trims_its_name_and_refuses_an_empty_one() -> None:
    clinic = new_clinic("  Hair   & Skin  Clinic ", T0)
    assert clinic.name == "Hair & Skin Clinic"
    assert clinic.created_at == T0
    with pytest.raises(InvalidInputError) as error:
        new_clinic("   ", T0)
    assert error.value.field == "name"


def test_new_staff_account_hashes_the_password_and_starts_without_totp() -> None:
    made = new_staff_account(
        clinic_id="clinic00000000000000001",
        email="Admin@Clinic.Example",
        display_name="Ada Admin",
        role="admin",
        password=GOOD_PASSWORD,
        now=T0,
    )
    assert made.email == "admin@clinic.example"
    assert made.role is Role.ADMIN
    assert made.active and made.totp_secret is None and made.totp_last_used_step is None
    assert made.password_hash.startswith("$argon2id$")
    assert verify_password(made.password_hash, GOOD_PASSWORD)
    assert not deactivate(made).active


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"role": "owner"}, "role"),
        ({"email": "nobody"}, "email"),
        ({"password": "short"}, "password"),
        ({"display_name": ""}, "display_name"),
    ],
)
def test_new_staff_account_names_the_bad_field(changes: dict[str, str], field: str) -> None:
    arguments = {
        "clinic_id": "c",
        "email": "jo@clinic.example",
        "display_name": "Jo",
        "role": "nurse",
        "password": GOOD_PASSWORD,
    } | changes
    with pytest.raises(InvalidInputError) as error:
        new_staff_account(now=T0, **arguments)
    assert error.value.field == field


# --- password policy ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "a" * 13 + "b",  # 14 characters
        "x" * 256 + "y",  # 257 characters
        "aaaaaaaaaaaaaaaaaaaa",
        "abababababababababab",
        "passwordpassword",
        "Summer2026!Summer2026!",
        "jo.nurse@clinic.example",
        "JO.NURSE@CLINIC.EXAMPLE",
        "correcthorse123456",  # on the caller's blocklist below
        "Jonathan Appleseed",  # the person's name, as a context word
    ],
)
def test_password_policy_refusals_name_the_password_field(password: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        check_password_policy(
            password,
            email="jo.nurse@clinic.example",
            context=("jonathanappleseed",),
            blocklist={"CorrectHorse123456"},
        )
    assert error.value.field == "password"


def test_the_local_part_of_the_email_is_refused_as_a_password() -> None:
    with pytest.raises(InvalidInputError, match="e-mail"):
        check_password_policy("jonathan.appleseed", email="jonathan.appleseed@clinic.example")


@pytest.mark.parametrize(
    "password",
    [
        "a" * 14 + "b",  # 15: exactly the minimum
        "x" * 255 + "y",  # 256: exactly the maximum
        "otter lamp fig q",  # no capitals, digits or symbols: no composition rules
        "839174620551837",  # all digits
        "日本語のパスワードです長いです",  # 15 Unicode code points
        "   spaces are fine   ",
    ],
)
def test_password_policy_accepts_long_passwords_without_composition_rules(password: str) -> None:
    check_password_policy(password, email="jo.nurse@clinic.example")


def test_length_counts_code_points_after_nfkc() -> None:
    # "ｆ" (fullwidth) is one code point and NFKC maps it to "f": still 15 characters.
    check_password_policy("ｆ" + "ox jumps high!")
    # A combining sequence is two code points; NFKC composes e + U+0301 into one "é".
    with pytest.raises(InvalidInputError):
        check_password_policy("cafe\u0301 au lait!!", email=None)  # 15 before, 14 after NFKC


# --- hashing --------------------------------------------------------------------------------


def test_hash_is_argon2id_with_rfc9106_low_memory_parameters_and_verifies() -> None:
    hashed = hash_password(GOOD_PASSWORD)
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(hashed, GOOD_PASSWORD)
    assert not verify_password(hashed, GOOD_PASSWORD + " ")
    assert not verify_password(hashed, "otter lamp fig quilT")
    assert hash_password(GOOD_PASSWORD) != hashed  # a fresh salt each time
    assert not needs_rehash(hashed)


def test_verify_normalises_like_hash() -> None:
    hashed = hash_password("ﬁsh and chips tonight")  # U+FB01 ligature
    assert verify_password(hashed, "fish and chips tonight")


def test_hash_with_weaker_parameters_needs_rehash_and_still_verifies() -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(GOOD_PASSWORD)
    assert needs_rehash(old)
    assert verify_password(old, GOOD_PASSWORD)


def test_an_unreadable_stored_hash_never_verifies() -> None:
    assert not verify_password("garbage", GOOD_PASSWORD)
    assert needs_rehash("garbage")


def test_dummy_verify_is_always_false() -> None:
    assert dummy_verify(GOOD_PASSWORD) is False


def test_change_password_checks_policy_and_replaces_the_hash() -> None:
    before = account()
    after = change_password(before, "a new long passphrase")
    assert verify_password(after.password_hash, "a new long passphrase")
    with pytest.raises(InvalidInputError) as error:
        change_password(before, "Jo Nurse")
    assert error.value.field == "password"


# --- TOTP ----------------------------------------------------------------------------------


def code_at(when: datetime) -> str:
    return pyotp.TOTP(SECRET).at(when)


def step_of(when: datetime) -> int:
    return int(when.timestamp()) // 30


RFC6238_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of ASCII "12345678901234567890"


@pytest.mark.parametrize(
    ("unix_time", "eight_digits"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
    ],
)
def test_rfc6238_appendix_b_sha1_vectors(unix_time: int, eight_digits: str) -> None:
    """RFC 6238 Appendix B (SHA-1 rows); a 6-digit code is the last six of the eight."""
    now = datetime.fromtimestamp(unix_time, UTC)
    check = verify_totp(RFC6238_SECRET, eight_digits[-6:], now)
    assert (check.accepted, check.step) == (True, unix_time // 30)


def test_current_code_is_accepted_and_its_step_returned() -> None:
    check = verify_totp(SECRET, code_at(T0), T0)
    assert (check.accepted, check.step, check.reason) == (True, step_of(T0), "ok")


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-60, False), (-30, True), (30, True), (60, False)]
)
def test_codes_one_step_either_side_are_accepted_two_steps_are_not(
    offset: int, accepted: bool
) -> None:
    check = verify_totp(SECRET, code_at(T0 + timedelta(seconds=offset)), T0)
    assert check.accepted is accepted
    if accepted:
        assert check.step == step_of(T0) + offset // 30
    else:
        assert check.reason == "wrong_code"


def test_a_code_cannot_be_used_twice() -> None:
    first = verify_totp(SECRET, code_at(T0), T0)
    again = verify_totp(SECRET, code_at(T0), T0 + timedelta(seconds=5), last_used_step=first.step)
    assert (again.accepted, again.reason) == (False, "replayed")
    next_code = verify_totp(
        SECRET, code_at(T0 + timedelta(seconds=30)), T0 + timedelta(seconds=30), first.step
    )
    assert next_code.accepted


def test_an_older_code_is_refused_after_a_newer_one_was_used() -> None:
    newer = verify_totp(SECRET, code_at(T0 + timedelta(seconds=30)), T0)  # phone clock ahead
    assert newer.accepted and newer.step == step_of(T0) + 1
    older = verify_totp(SECRET, code_at(T0), T0, last_used_step=newer.step)
    assert (older.accepted, older.reason) == (False, "replayed")


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "", "١٢٣٤٥٦"])
def test_malformed_codes_are_refused(code: str) -> None:
    check = verify_totp(SECRET, code, T0)
    assert (check.accepted, check.reason) == (False, "malformed")


def test_spaces_inside_a_code_are_ignored() -> None:
    code = code_at(T0)
    assert verify_totp(SECRET, f"{code[:3]} {code[3:]}", T0).accepted


def test_totp_needs_an_aware_time() -> None:
    with pytest.raises(InvalidInputError) as error:
        verify_totp(SECRET, "123456", datetime(2026, 3, 2, 9, 0))
    assert error.value.field == "now"


def test_new_secret_and_provisioning_uri() -> None:
    secret = new_totp_secret()
    assert len(secret) == 32 and set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert new_totp_secret() != secret
    uri = urlparse(totp_uri(secret, "jo.nurse@clinic.example"))
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert uri.path == "/regenaid:jo.nurse%40clinic.example"
    query = parse_qs(uri.query)
    assert query["secret"] == [secret]
    assert query["issuer"] == ["regenaid"]


def test_enrolment_needs_a_current_code() -> None:
    admin = account(Role.ADMIN)
    assert totp_enrolment_required(admin)
    with pytest.raises(RefusedError) as refused:
        enrol_totp(admin, SECRET, "000000" if code_at(T0) != "000000" else "111111", T0)
    assert refused.value.field == "totp_code"
    enrolled = enrol_totp(admin, SECRET, code_at(T0), T0)
    assert enrolled.totp_secret == SECRET
    assert enrolled.totp_last_used_step == step_of(T0)
    assert not totp_enrolment_required(enrolled)
    # the code used to enrol cannot be used again to sign in
    assert verify_totp(SECRET, code_at(T0), T0, enrolled.totp_last_used_step).reason == "replayed"


@pytest.mark.parametrize(
    ("role", "secret", "required", "enrol"),
    [
        (Role.ADMIN, None, True, True),
        (Role.ADMIN, SECRET, True, False),
        (Role.CLINICIAN, None, False, False),
        (Role.CLINICIAN, SECRET, True, False),
        (Role.NURSE, None, False, False),
        (Role.RECEPTION, SECRET, True, False),
    ],
)
def test_second_factor_required_for_admins_and_for_anyone_enrolled(
    role: Role, secret: str | None, required: bool, enrol: bool
) -> None:
    who = account(role, totp_secret=secret)
    assert second_factor_required(who) is required
    assert totp_enrolment_required(who) is enrol


# --- throttling ----------------------------------------------------------------------------

THROTTLE = LoginThrottle()


def minutes(*values: float) -> list[datetime]:
    return [T0 + timedelta(minutes=v) for v in values]


def test_four_failures_do_not_lock() -> None:
    decision = THROTTLE.decide(minutes(0, 1, 2, 3), [], T0 + timedelta(minutes=4))
    assert (decision.allowed, decision.retry_after_seconds) == (True, 0)


def test_fifth_failure_locks_the_email_for_fifteen_minutes_from_that_failure() -> None:
    failures = minutes(0, 1, 2, 3, 4)
    at_once = THROTTLE.decide(failures, [], T0 + timedelta(minutes=4))
    assert (at_once.allowed, at_once.retry_after_seconds, at_once.locked_by) == (
        False,
        15 * 60,
        "email",
    )
    later = THROTTLE.decide(failures, [], T0 + timedelta(minutes=10))
    assert later.retry_after_seconds == 9 * 60
    just_before = THROTTLE.decide(failures, [], T0 + timedelta(minutes=19, microseconds=-1))
    assert (just_before.allowed, just_before.retry_after_seconds) == (False, 1)
    assert THROTTLE.decide(failures, [], T0 + timedelta(minutes=19)).allowed


def test_five_failures_spread_over_exactly_fifteen_minutes_do_not_lock() -> None:
    spread = minutes(0, 5, 10, 12, 15)
    assert THROTTLE.decide(spread, [], T0 + timedelta(minutes=15)).allowed
    tighter = [*minutes(0, 5, 10, 12), T0 + timedelta(minutes=15, microseconds=-1)]
    assert not THROTTLE.decide(tighter, [], T0 + timedelta(minutes=15)).allowed


def test_old_failures_outside_the_window_do_not_count() -> None:
    failures = minutes(0, 1, 2, 3, 20)
    assert THROTTLE.decide(failures, [], T0 + timedelta(minutes=21)).allowed


def test_failures_in_the_future_are_ignored() -> None:
    assert THROTTLE.decide(minutes(1, 2, 3, 4, 5), [], T0).allowed


def test_address_locks_after_twenty_failures_not_nineteen() -> None:
    nineteen = minutes(*[i * 0.5 for i in range(19)])
    now = T0 + timedelta(minutes=10)
    assert THROTTLE.decide([], nineteen, now).allowed
    twenty = minutes(*[i * 0.5 for i in range(20)])
    decision = THROTTLE.decide([], twenty, now)
    assert (decision.allowed, decision.locked_by) == (False, "address")
    assert decision.retry_after_seconds == int((twenty[-1] + timedelta(minutes=15) - now).seconds)


def test_when_both_are_locked_the_longer_wait_is_given() -> None:
    email = minutes(0, 1, 2, 3, 4)  # locked until minute 19
    address = minutes(*[5 + i * 0.1 for i in range(20)])  # locked until minute 21.9
    decision = THROTTLE.decide(email, address, T0 + timedelta(minutes=8))
    assert decision.locked_by == "address"
    assert decision.retry_after_seconds == round((21.9 - 8) * 60)


def test_throttle_lookback_and_bad_settings() -> None:
    assert THROTTLE.lookback == timedelta(minutes=30)
    with pytest.raises(InvalidInputError) as error:
        LoginThrottle(email_limit=0)
    assert error.value.field == "email_limit"
    with pytest.raises(InvalidInputError):
        LoginThrottle(address_window=timedelta(0))


# --- sessions ------------------------------------------------------------------------------


def test_token_is_random_and_only_its_sha256_is_the_session_id() -> None:
    token = new_session_token()
    assert len(token) == 43 and token != new_session_token()
    # FIPS 180-2 test vector for SHA-256("abc")
    assert (
        session_token_hash("abc")
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    issued, session = start_session(account(), T0)
    assert session.id == hashlib.sha256(issued.encode()).hexdigest()
    assert issued not in repr(session) and session.id not in repr(session)
    assert session.csrf_token not in repr(session)


def test_start_session_records_who_and_when_and_second_factor_state() -> None:
    _, clinician = start_session(account(Role.CLINICIAN), T0)
    assert (clinician.staff_id, clinician.clinic_id) == (
        "staff000000000000000001",
        "clinic00000000000000001",
    )
    assert clinician.created_at == clinician.last_seen_at == T0
    assert clinician.second_factor_done and signed_in(clinician, T0)
    _, admin = start_session(account(Role.ADMIN), T0)
    assert not admin.second_factor_done and not signed_in(admin, T0)


def test_inactive_account_gets_no_session() -> None:
    with pytest.raises(RefusedError) as refused:
        start_session(account(active=False), T0)
    assert refused.value.code == "account_inactive"


def test_idle_expiry_is_exactly_thirty_minutes_after_the_last_request() -> None:
    _, session = start_session(account(), T0)
    assert timedelta(minutes=30) == IDLE_TIMEOUT
    assert session_state(session, T0 + IDLE_TIMEOUT - timedelta(microseconds=1)) == "active"
    assert session_state(session, T0 + IDLE_TIMEOUT) == "idle_expired"
    seen = touch(session, T0 + timedelta(minutes=20))
    assert session_state(seen, T0 + timedelta(minutes=49)) == "active"
    assert session_state(seen, T0 + timedelta(minutes=50)) == "idle_expired"


def test_absolute_expiry_is_exactly_twelve_hours_after_sign_in_however_busy() -> None:
    _, session = start_session(account(), T0)
    assert timedelta(hours=12) == ABSOLUTE_TIMEOUT
    when = T0
    while when + timedelta(minutes=20) < T0 + ABSOLUTE_TIMEOUT:
        when += timedelta(minutes=20)
        session = touch(session, when)
    assert session.created_at == T0
    assert session_state(session, T0 + ABSOLUTE_TIMEOUT - timedelta(microseconds=1)) == "active"
    assert session_state(session, T0 + ABSOLUTE_TIMEOUT) == "absolute_expired"
    # both limits passed: absolute is reported
    assert session_state(session, T0 + ABSOLUTE_TIMEOUT + timedelta(hours=1)) == (
        "absolute_expired"
    )


def test_an_expired_session_cannot_be_touched_back_to_life() -> None:
    _, session = start_session(account(), T0)
    with pytest.raises(RefusedError) as refused:
        touch(session, T0 + IDLE_TIMEOUT)
    assert refused.value.code == "session_expired"


def test_touch_never_moves_last_seen_backwards() -> None:
    _, session = start_session(account(), T0)
    later = touch(session, T0 + timedelta(minutes=10))
    assert touch(later, T0 + timedelta(minutes=5)).last_seen_at == T0 + timedelta(minutes=10)


def test_completing_the_second_factor_issues_a_new_token_and_keeps_the_sign_in_time() -> None:
    _, before = start_session(account(Role.ADMIN, totp_secret=SECRET), T0)
    token, after = complete_second_factor(before, T0 + timedelta(minutes=1))
    assert after.id == session_token_hash(token) != before.id
    assert after.csrf_token != before.csrf_token
    assert after.second_factor_done and signed_in(after, T0 + timedelta(minutes=1))
    assert after.created_at == T0
    assert after.last_seen_at == T0 + timedelta(minutes=1)
    with pytest.raises(RefusedError):
        complete_second_factor(before, T0 + IDLE_TIMEOUT)


def test_csrf_token_must_match_exactly() -> None:
    _, session = start_session(account(), T0)
    assert csrf_valid(session, session.csrf_token)
    assert not csrf_valid(session, session.csrf_token[:-1])
    assert not csrf_valid(session, "")
    assert not csrf_valid(session, None)
    _, other = start_session(account(), T0)
    assert not csrf_valid(session, other.csrf_token)
