"""The choice form (leaning + SURE answers): saved with a result, updated on its link, checked
(422 naming the field, CSRF), shown again pre-checked, and printed in the report."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from web_answers import BASE

CHOICE = {
    "leaning": "prp",
    "sure.sure": "yes",
    "sure.understand": "no",
    "sure.risk_benefit": "yes",
    "sure.encouragement": "yes",
}


def _token(client: TestClient, csrf_from: Callable[[str], str]) -> str:
    token: str = csrf_from(client.get("/intake").text)
    return token


def _results_page(client: TestClient, csrf_from: Callable[[str], str]) -> str:
    data = {**BASE, "step": "values", "go": "finish", "csrf_token": _token(client, csrf_from)}
    response = client.post("/intake", data=data)
    assert response.status_code == 200, response.text[:300]
    return str(response.text)


def _save(client: TestClient, csrf_from: Callable[[str], str], **choice: str) -> tuple[str, str]:
    """Post the choice form of an unsaved result; the saved link and its page."""
    response = client.post(
        "/saved", data={**BASE, **choice, "csrf_token": _token(client, csrf_from)}
    )
    assert response.status_code == 200, response.text[:300]
    link = re.search(r'href="(/r/[A-Za-z0-9_-]{43})" data-testid="saved-link"', response.text)
    assert link
    return link.group(1), response.text


def _checked(html: str) -> dict[str, str]:
    """name -> value of every checked radio button."""
    found = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="radio"' in tag and " checked" in tag:
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]+)"', tag)
            assert name and value
            found[name.group(1)] = value.group(1)
    return found


def test_unsaved_results_offer_one_form_that_saves_results_and_choices(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    page = _results_page(client, csrf_from)
    form = re.search(
        r'<form method="post" action="/saved" class="choice-form">.*?</form>', page, re.S
    )
    assert form, "no choice form posting to /saved"
    body = form.group(0)
    assert 'name="condition" value="androgenetic_alopecia"' in body  # the answers travel along
    assert 'name="csrf_token"' in body
    assert 'name="leaning" value="unsure"' in body and 'name="leaning" value="prp"' in body
    for item in ("sure", "understand", "risk_benefit", "encouragement"):
        assert f'name="sure.{item}" value="yes"' in body
    assert "Save my results and choices" in body
    assert _checked(page) == {}
    assert "Your choices are saved" not in page


def test_saving_with_choices_shows_them_checked(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    link, page = _save(client, csrf_from, **CHOICE)
    again = TestClient(client.app).get(link)  # a fresh visitor with the link
    for html in (page, again.text):
        assert _checked(html) == CHOICE
        assert "Your choices are saved." in html
        assert f'action="{link}/choice"' in html
        # the SURE score line is written by the server too (no JavaScript needed)
        assert "You answered no to 1. That is normal." in html
    plain = _save(client, csrf_from)[1]  # the plain save button: nothing chosen
    assert _checked(plain) == {} and "Your choices are saved" not in plain


def test_choices_can_be_changed_on_the_saved_link(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    link, page = _save(client, csrf_from, leaning="exosome")
    assert _checked(page) == {"leaning": "exosome"}
    answers = {f"sure.{k}": "yes" for k in ("sure", "understand", "risk_benefit", "encouragement")}
    response = client.post(
        f"{link}/choice",
        data={"leaning": "unsure", **answers, "csrf_token": csrf_from(page)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].split("#")[0] == link
    shown = client.get(link).text
    assert _checked(shown) == {"leaning": "unsure", **answers}
    assert "Your choices are saved." in shown
    assert "You answered yes to all four." in shown
    # clearing every answer leaves nothing saved
    cleared = client.post(f"{link}/choice", data={"csrf_token": csrf_from(page)})
    assert cleared.status_code == 200 and _checked(cleared.text) == {}
    assert "Your choices are saved" not in cleared.text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("leaning", "miracle_cure"),
        ("sure.understand", "maybe"),
        ("sure.encouragement", "YES!"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field(
    client: TestClient, csrf_from: Callable[[str], str], field: str, value: str
) -> None:
    response = client.post(
        "/saved", data={**BASE, field: value, "csrf_token": _token(client, csrf_from)}
    )
    assert response.status_code == 422
    assert f"{field}:" in response.text
    link, page = _save(client, csrf_from, **CHOICE)
    update = client.post(f"{link}/choice", data={field: value, "csrf_token": csrf_from(page)})
    assert update.status_code == 422 and f"{field}:" in update.text
    assert _checked(client.get(link).text) == CHOICE  # nothing changed


def test_an_option_ruled_out_for_the_person_cannot_be_chosen(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    blocked = {**BASE, "health.low_platelets": "yes", "health.anticoagulant": "yes"}
    token = _token(client, csrf_from)
    page = client.post(
        "/intake", data={**blocked, "step": "values", "go": "finish", "csrf_token": token}
    )
    assert page.status_code == 200, page.text[:300]
    if 'name="leaning" value="prp"' in page.text:
        pytest.skip("PRP is not ruled out by these answers in this knowledge base")
    response = client.post("/saved", data={**blocked, "leaning": "prp", "csrf_token": token})
    assert response.status_code == 422 and "leaning:" in response.text


def test_updating_needs_the_form_token_and_a_live_link(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    link, page = _save(client, csrf_from, **CHOICE)
    assert client.post(f"{link}/choice", data={"leaning": "unsure"}).status_code == 403
    wrong = client.post(f"{link}/choice", data={"leaning": "unsure", "csrf_token": "0" * 64})
    assert wrong.status_code == 403
    assert _checked(client.get(link).text) == CHOICE
    gone = "/r/" + "A" * 43
    missing = client.post(
        f"{gone}/choice", data={"leaning": "unsure", "csrf_token": csrf_from(page)}
    )
    assert missing.status_code == 404


def test_the_report_shows_the_leaning_and_sure_answers(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    link, _ = _save(
        client, csrf_from, leaning="prp", **{"sure.sure": "yes", "sure.understand": "no"}
    )
    printable = client.get(f"{link}/report")
    assert printable.status_code == 200
    text = re.sub(r"<[^>]+>", " ", printable.text)
    text = re.sub(r"\s+", " ", text)
    assert "Leaning toward: PRP" in text
    assert "Do you feel SURE about the best choice for you? Yes" in text
    assert "Do you know the benefits and risks of each choice? No" in text
    assert "Are you clear about which benefits and risks matter most to you? not answered" in text
    assert "Is my diagnosis right?" in text  # the questions to ask
    assert "style-src 'self' 'sha256-" in printable.headers["content-security-policy"]
    pdf = client.get(f"{link}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("attachment")
    # an unsaved result's printable page: nothing was saved, so nothing is answered
    unsaved = client.post("/results/report", data={**BASE, "csrf_token": _token(client, csrf_from)})
    assert "Leaning toward: not answered" in re.sub(r"<[^>]+>", "", unsaved.text)
