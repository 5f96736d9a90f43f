"""Signing in and out of the clinic pages: one message for unknown e-mail and wrong password,
the throttle, the admin's authenticator set-up, both CSRF checks, and the redirect to sign in."""

from __future__ import annotations

import base64
import re

import pyotp
from clinic_pages_world import PASSWORD, World, error_for, form_tokens, sign_in

from regenaid.clinic.staff import SIGN_IN_REFUSED


def _post_sign_in(world: World, email: str, password: str) -> tuple[int, str]:
    client = world.browser()
    page = client.get("/clinic/sign-in")
    csrf, _ = form_tokens(page.text)
    response = client.post(
        "/clinic/sign-in",
        data={"csrf_token": csrf, "email": email, "password": password},
        follow_redirects=False,
    )
    return response.status_code, response.text


def test_pages_need_a_signed_in_session(world: World) -> None:
    client = world.browser()
    for url in ("/clinic", "/clinic/patients", "/clinic/audit", "/clinic/lots"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/clinic/sign-in"
    page = client.get("/clinic/sign-in")
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.text
    assert page.headers["cache-control"] == "no-store"


def test_unknown_email_and_wrong_password_get_the_same_answer(world: World) -> None:
    unknown = _post_sign_in(world, "nobody@riverside.example", PASSWORD)
    wrong = _post_sign_in(world, world.accounts["nurse"].email, "not the password at all")
    assert unknown[0] == wrong[0] == 401
    assert SIGN_IN_REFUSED in unknown[1]
    assert SIGN_IN_REFUSED in wrong[1]
    # the e-mail typed is kept, the password never
    assert 'value="nobody@riverside.example"' in unknown[1]
    assert "not the password at all" not in wrong[1]


def test_too_many_failures_are_throttled_with_the_wait(world: World) -> None:
    statuses = [
        _post_sign_in(world, world.accounts["reception"].email, f"wrong guess number {i}")[0]
        for i in range(12)
    ]
    assert statuses[0] == 401
    assert statuses[-1] == 429
    status, text = _post_sign_in(world, world.accounts["reception"].email, PASSWORD)
    assert status == 429, "the right password waits too while the e-mail is locked"
    assert re.search(r"try again in \d+ seconds", text)


def test_admin_sets_up_the_authenticator_at_first_sign_in(world: World) -> None:
    client = world.browser()
    page = client.get("/clinic/sign-in")
    csrf, _ = form_tokens(page.text)
    response = client.post(
        "/clinic/sign-in",
        data={"csrf_token": csrf, "email": world.accounts["admin"].email, "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/clinic/second-factor"
    # a pending session reaches nothing else
    assert client.get("/clinic", follow_redirects=False).status_code == 303
    page = client.get("/clinic/second-factor")
    secret = re.search(r'data-secret="([A-Z2-7]{32})"', page.text)
    assert secret
    assert "otpauth://totp/regenaid:admin%40riverside.example?secret=" in page.text
    qr = re.search(r'<img class="totp-qr" src="data:image/svg\+xml;base64,([^"]+)"', page.text)
    assert qr and base64.b64decode(qr.group(1)).startswith(b"<svg")
    _, pending = form_tokens(page.text)
    wrong = client.post(
        "/clinic/second-factor",
        data={
            "csrf_token": csrf,
            "staff_csrf": pending,
            "new_secret": secret.group(1),
            "totp_code": "000000" if pyotp.TOTP(secret.group(1)).now() != "000000" else "111111",
        },
    )
    assert wrong.status_code == 401
    assert error_for(wrong.text, "f-totp_code") == "! That code was not accepted."
    assert secret.group(1) in wrong.text, "the same secret is offered again"
    right = client.post(
        "/clinic/second-factor",
        data={
            "csrf_token": csrf,
            "staff_csrf": pending,
            "new_secret": secret.group(1),
            "totp_code": pyotp.TOTP(secret.group(1)).now(),
        },
        follow_redirects=False,
    )
    assert right.status_code == 303 and right.headers["location"] == "/clinic"
    home = client.get("/clinic")
    assert home.status_code == 200
    assert "Admin Person, Administrator at Riverside Hair Clinic" in home.text
    assert 'href="/clinic/audit"' in home.text


def test_sign_out_ends_the_session(world: World) -> None:
    nurse = world.as_role("nurse")
    response = nurse.post("/clinic/sign-out")
    assert response.status_code == 303
    assert response.headers["location"] == "/clinic/sign-in"
    assert nurse.get("/clinic").status_code == 303


def test_forms_need_both_csrf_tokens(world: World) -> None:
    clinician = world.as_role("clinician")
    data = {
        "given_name": "Eve",
        "family_name": "Stone",
        "birth_date": "1980-01-01",
        "sex": "female",
    }
    no_staff_token = clinician.client.post(
        "/clinic/patients", data={"csrf_token": clinician.csrf, **data}, follow_redirects=False
    )
    assert no_staff_token.status_code == 403
    other = world.as_role("nurse")
    wrong_staff_token = clinician.client.post(
        "/clinic/patients",
        data={"csrf_token": clinician.csrf, "staff_csrf": other.staff_csrf, **data},
        follow_redirects=False,
    )
    assert wrong_staff_token.status_code == 403
    no_site_token = clinician.client.post(
        "/clinic/patients",
        data={"staff_csrf": clinician.staff_csrf, **data},
        follow_redirects=False,
    )
    assert no_site_token.status_code == 403
    assert "Stone" not in clinician.get("/clinic/patients").text
    assert clinician.post("/clinic/patients", data).status_code == 303


def test_a_second_sign_in_is_a_new_session(world: World) -> None:
    first = world.as_role("clinician")
    second = sign_in(world.browser(), world.accounts["clinician"])
    assert first.staff_csrf != second.staff_csrf
    assert first.get("/clinic").status_code == 200
