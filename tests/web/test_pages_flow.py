"""The wizard, results, downloads and share links through TestClient (no browser)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date

from fastapi.testclient import TestClient
from web_answers import BASE as ANSWERS

from regenaid.reports.i18n import catalogue

BASE = {**ANSWERS, "priorities.cost": "4"}


def _post(client: TestClient, csrf_from: Callable[[str], str], path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get("/intake").text)
    return client.post(path, data={**data, "csrf_token": token})


def results(client: TestClient, csrf_from: Callable[[str], str], **extra: str) -> str:
    data = {**BASE, **extra, "step": "values", "go": "finish"}
    response = _post(client, csrf_from, "/intake", data)
    assert response.status_code == 200, response.text[:500]
    return response.text


def test_every_step_renders_and_keeps_answers(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    html = client.get("/intake").text
    for step in ("concern", "condition", "health", "prior", "budget"):
        response = _post(client, csrf_from, "/intake", {**BASE, "step": step, "go": "next"})
        assert response.status_code == 200, (step, response.text[:300])
        html = response.text
        # answers from other steps travel in hidden fields
        assert 'name="age" value="40"' in html or 'id="f-age" value="40"' in html
    assert "What matters to you" in html
    back = _post(client, csrf_from, "/intake", {**BASE, "step": "budget", "go": "back"})
    assert "Treatments you have tried" in back.text
    assert 'name="budget.amount" value="3000"' in back.text


def test_error_is_shown_beside_the_field_and_input_is_kept(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    response = _post(
        client, csrf_from, "/intake", {**BASE, "age": "15", "step": "condition", "go": "next"}
    )
    assert response.status_code == 422
    assert 'id="f-age-err"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert '<a href="#f-age">Your age in years: This aid is for adults' in response.text
    assert 'value="15"' in response.text
    assert re.search(r'value="androgenetic_alopecia"[^>]*checked', response.text)


def test_missing_answers_send_the_person_back_to_that_step(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    data = {k: v for k, v in BASE.items() if k != "sex"}
    response = _post(client, csrf_from, "/intake", {**data, "step": "values", "go": "finish"})
    assert response.status_code == 422
    assert 'id="f-sex-err"' in response.text
    assert "Your condition" in response.text


def test_results_page_shows_the_decision_aid_parts(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    html = results(client, csrf_from)
    for text in [
        "Your results",
        "not a prescription",
        "Which choices your answers rule out",
        "How the choices fit what matters to you",
        "Compare the choices",
        "When you might see a change",
        "Your plan",
        "Cost",
        "SURE test",
        "Questions to ask a doctor or nurse",
    ]:
        assert text in html, text
    assert re.search(r"certainty-(high|moderate|low|very_low)", html)
    assert '<table class="grid">' in html


def test_results_page_server_time(client: TestClient, csrf_from: Callable[[str], str]) -> None:
    """Reported, not asserted: timing belongs in benchmarks (benchmarks/bench_web.py)."""
    results(client, csrf_from)  # warm caches
    started = time.perf_counter()
    results(client, csrf_from)
    print(f"results page round trip {1000 * (time.perf_counter() - started):.0f} ms")


def test_pdf_and_printable_report(client: TestClient, csrf_from: Callable[[str], str]) -> None:
    pdf = _post(client, csrf_from, "/results/report.pdf", BASE)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    page = _post(client, csrf_from, "/results/report", BASE)
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "style-src 'self' 'sha256-" in csp and "unsafe-inline" not in csp


def test_calendar_download(client: TestClient, csrf_from: Callable[[str], str]) -> None:
    start = date.today().isoformat()
    response = _post(
        client, csrf_from, "/results/plan.ics", {**BASE, "option": "prp", "start": start}
    )
    assert response.status_code == 200, response.text[:300]
    body = response.text
    assert body.startswith("BEGIN:VCALENDAR") and body.count("BEGIN:VEVENT") >= 1
    dates = re.findall(r"DTSTART(?:;VALUE=DATE)?:(\d{8})", body)
    assert dates and min(dates) >= date.today().strftime("%Y%m%d")
    bad = _post(client, csrf_from, "/results/plan.ics", {**BASE, "option": "x", "start": start})
    assert bad.status_code == 422


def _weekdays(body: str) -> set[int]:
    days = re.findall(r"DTSTART(?:;VALUE=DATE)?:(\d{8})", body)
    return {date(int(d[:4]), int(d[4:6]), int(d[6:])).weekday() for d in days}


def test_every_option_has_a_calendar_on_weekdays_unless_chosen(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    start = date.today().isoformat()
    for option in ("prp", "exosome", "conventional"):
        response = _post(
            client, csrf_from, "/results/plan.ics", {**BASE, "option": option, "start": start}
        )
        assert response.status_code == 200, (option, response.text[:200])
        assert response.text.count("BEGIN:VEVENT") >= 1
        assert _weekdays(response.text) <= {0, 1, 2, 3, 4}, option  # no weekend by default
    usual = _post(
        client, csrf_from, "/results/plan.ics", {**BASE, "option": "conventional", "start": start}
    )
    assert "review visit" in usual.text  # daily care at home: the visits are reviews
    saturday_only = _post(
        client,
        csrf_from,
        "/results/plan.ics",
        {**BASE, "option": "prp", "start": start, "days": ["sat"]},  # type: ignore[dict-item]
    )
    assert _weekdays(saturday_only.text) == {5}


def test_a_start_date_in_the_past_is_refused_naming_the_field(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    page = results(client, csrf_from)
    assert f'min="{date.today().isoformat()}"' in page  # the browser says so beside the field
    past = date.fromordinal(date.today().toordinal() - 30).isoformat()
    response = _post(
        client, csrf_from, "/results/plan.ics", {**BASE, "option": "prp", "start": past}
    )
    assert response.status_code == 422
    assert "start" in response.text and "past" in response.text


def test_save_open_delete(client: TestClient, csrf_from: Callable[[str], str]) -> None:
    saved = _post(client, csrf_from, "/saved", BASE)
    assert saved.status_code == 200  # followed the 303
    match = re.search(r'href="(/r/[A-Za-z0-9_-]{43})" data-testid="saved-link"', saved.text)
    assert match
    link = match.group(1)
    other = TestClient(client.app)
    opened = other.get(link)
    assert opened.status_code == 200 and "Your results" in opened.text
    assert "This link works until" in opened.text
    assert opened.headers["cache-control"] == "no-store"
    assert other.get(f"{link}/report.pdf").content.startswith(b"%PDF")
    start = date.today().isoformat()
    calendar = other.get(f"{link}/plan.ics", params={"option": "prp", "start": start})
    assert calendar.status_code == 200 and "BEGIN:VEVENT" in calendar.text
    assert other.get(f"{link}/cost-chart.svg").headers["content-type"] == "image/svg+xml"
    # deleting needs the CSRF token of the page it was opened from
    assert other.post(f"{link}/delete", data={}).status_code == 403
    token = csrf_from(opened.text)
    ask = other.post(f"{link}/delete", data={"csrf_token": token})
    assert ask.status_code == 200 and 'name="confirm" value="yes"' in ask.text
    assert other.get(link).status_code == 200  # asking deletes nothing
    assert (
        other.post(f"{link}/delete", data={"csrf_token": token, "confirm": "yes"}).status_code
        == 200
    )
    assert other.get(link).status_code == 404
    assert (
        other.post(f"{link}/delete", data={"csrf_token": token, "confirm": "yes"}).status_code
        == 404
    )


def test_pregnant_person_is_told_to_wait(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    html = results(client, csrf_from, **{"health.pregnant_or_breastfeeding": "yes"})
    assert "Wait before you have this" in html
    assert re.search(r"When to come back:</strong> \w+", html)


def test_blood_thinners_prp_not_recommended(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    html = results(client, csrf_from, **{"health.anticoagulant": "yes"})
    recommended = re.search(r'data-testid="recommended">([^<]*)<', html)
    assert recommended and "PRP" not in recommended.group(1)


def test_evidence_pages_for_every_condition_and_option(client: TestClient) -> None:
    from regenaid.errors import InvalidInputError
    from regenaid.evidence.profile import evidence_profile
    from regenaid.knowledge import load_knowledge
    from regenaid.knowledge.model import TREATMENT_IDS
    from regenaid.reports.evidence_plots import forest_plot_of_studies

    kb = load_knowledge()
    for condition in kb.conditions:
        for treatment in TREATMENT_IDS:
            response = client.get(f"/evidence?condition={condition}&treatment={treatment}")
            assert response.status_code == 200, (condition, treatment)
            profile = evidence_profile(kb.studies, condition, treatment)
            assert profile.summary.split(".")[0].replace("'", "&#39;") in response.text
            try:
                forest_plot_of_studies(profile.studies)
                plottable = True
            except InvalidInputError:
                plottable = False
            shown = 'src="data:image/svg+xml;base64,' in response.text
            assert shown == plottable, (condition, treatment)
            # no new treatment: how well the untreated course is known, not a certainty of benefit
            heading = response.text.split('<h3 id="cert-h">')[1].split("</h3>")[0]
            assert ("natural course" in heading) == (treatment == "no_treatment"), heading
    assert client.get("/evidence?condition=nope&treatment=prp").status_code == 404
    sources = client.get("/evidence/sources")
    assert sources.status_code == 200 and 'id="src-' in sources.text


def test_results_show_cost_chart_and_icon_arrays(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    html = results(client, csrf_from)
    assert 'class="icon-array"' in html
    match = re.search(r'<img class="chart" src="(/charts/cost/[A-Za-z0-9_-]+\.svg)"', html)
    assert match
    chart = client.get(match.group(1))
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/svg+xml"
    assert 'id="series-' in chart.text and 'id="band-' in chart.text
    assert client.get("/charts/cost/unknown.svg").status_code == 404


PRIORITY_RADIO = re.compile(r'<input type="radio" name="priorities\.([a-z_]+)" value="(\d)"[^>]*>')


def checked_priorities(html: str) -> dict[str, str]:
    """The priorities step's radios that are checked, as {name: value}."""
    radios = [m for m in PRIORITY_RADIO.finditer(html)]
    assert radios, "no priority radios on the page"
    return {m.group(1): m.group(2) for m in radios if " checked" in m.group(0)}


def test_priorities_step_preselects_nothing(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    data = {k: v for k, v in BASE.items() if not k.startswith("priorities.")}
    html = _post(client, csrf_from, "/intake", {**data, "step": "budget", "go": "next"}).text
    assert "What matters to you" in html
    assert checked_priorities(html) == {}
    assert "does not count" in html  # the help says a skipped row does not count


def test_priorities_round_trip_keeps_answered_and_unanswered(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    data = {k: v for k, v in BASE.items() if not k.startswith("priorities.")}
    answered = {**data, "priorities.cost": "0", "priorities.evidence": "4"}
    back = _post(client, csrf_from, "/intake", {**answered, "step": "values", "go": "back"})
    assert "Budget and place" in back.text
    hidden = dict(
        re.findall(r'<input type="hidden" name="(priorities\.[a-z_]+)" value="(\d)">', back.text)
    )
    assert hidden == {"priorities.cost": "0", "priorities.evidence": "4"}
    again = _post(client, csrf_from, "/intake", {**answered, "step": "budget", "go": "next"})
    assert checked_priorities(again.text) == {"cost": "0", "evidence": "4"}


def test_results_list_unrated_priorities_as_not_rated(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    html = results(client, csrf_from, **{"priorities.speed": "0"})
    matters = html.split('id="matters-h"')[1].split("</ul>")[0]
    items = dict(re.findall(r'<li data-priority="([a-z_]+)">(.*?)</li>', matters, re.DOTALL))
    assert set(items) == {"cost", "speed"}  # the rated ones, each with its answer
    assert "4 – matters a great deal" in items["cost"]
    assert "0 – does not matter" in items["speed"]  # an explicit 0 is a choice
    # the five unrated ones on one line that says they do not count
    unrated = re.search(r'<li class="not-rated">(.*?)</li>', matters, re.DOTALL)
    assert unrated and "Not rated, so they do not count:" in unrated.group(1)
    labels = catalogue("en").section("intake.priorities")
    for name in ("fewer_sessions", "evidence", "autologous", "avoid_blood_draw", "low_maintenance"):
        assert labels[name] in unrated.group(1), name
    assert "2/4" not in html and "2 – matters some" not in html


def _eligibility_item(html: str, option: str) -> str:
    match = re.search(
        rf'<li class="elig elig-([a-z]+)" data-option="{option}">(.*?)</li>\n', html, re.DOTALL
    )
    assert match, option
    return f"class={match.group(1)} {match.group(2)}"


def test_us_exosome_is_not_ruled_out_but_not_approved(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    html = results(client, csrf_from, jurisdiction="US")
    assert "You can have this" not in html
    exosome = _eligibility_item(html, "exosome")
    assert "Not ruled out by your answers" in exosome
    assert "— but there are no FDA-approved exosome products" in exosome
    assert "class=restricted" in exosome  # not the green "eligible" look
    assert "FDA-approved" in _eligibility_item(html, "combination")
    conventional = _eligibility_item(html, "conventional")
    assert "class=eligible" in conventional and "— but" not in conventional
    # the plan card says the same next to the option
    card = html.split('<div class="card option-card elig-restricted" data-option="exosome">')[1]
    assert "no FDA-approved exosome products" in card.split("</div>")[0]


def test_saved_results_keep_unrated_priorities_unrated(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    saved = _post(client, csrf_from, "/saved", {**BASE, "jurisdiction": "GB"})
    assert saved.status_code == 200
    matters = saved.text.split('id="matters-h"')[1].split("</ul>")[0]
    unrated = re.search(r'<li class="not-rated">(.*?)</li>', matters, re.DOTALL)
    assert unrated and unrated.group(1).count(";") == 5  # the six unrated, on one line
    exosome = _eligibility_item(saved.text, "exosome")
    assert "Not ruled out by your answers" in exosome and "— but human-derived exosome" in exosome


def test_a_borrowed_schedule_says_so_beside_its_sources(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    # no trial of PRP plus exosomes for shedding exists: its schedule is the PRP trial's, and
    # the plan card says so before citing that trial
    html = results(client, csrf_from, condition="telogen_effluvium", severity="moderate")
    card = re.split(r'<div class="card option-card [^"]*" data-option="combination">', html)[1]
    card = card.split("</div>")[0]
    note = card.split('<p class="plan-note">')[1].split("</p>")[0]
    assert note.startswith("No trial found; follows the PRP schedule of the telogen effluvium")
    number = re.search(r'href="#ref-(\d+)"', note)
    assert number is not None  # and the reference it points to is that trial
    assert re.search(
        rf'<li id="ref-{number[1]}"><a href="/evidence/sources#src-st-ezz-el-dawla-2023">', html
    )


def test_no_new_treatments_certainty_is_of_the_natural_course(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    # the placebo groups of pattern-hair-loss trials show the untreated course (moderate): the
    # page must not label waiting "Moderate certainty" as if it were evidence that it works
    html = results(client, csrf_from, condition="androgenetic_alopecia", severity="moderate")
    item = html.split('<li data-option="no_treatment">')[1].split("</li>")[0]
    assert "How sure we are of the natural course: moderate" in item
    assert "Moderate certainty" not in item
    prp = html.split('<li data-option="prp">')[1].split("</li>")[0]
    assert "certainty" in prp.lower() and "natural course" not in prp


def test_a_dark_spot_is_checked_before_any_treatment_first_on_the_page(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    # a lightening cream or a laser on an unexamined spot can hide a melanoma (Mayo Clinic's
    # age-spot page; American Cancer Society): the notice is shown, not folded away
    html = results(client, csrf_from, concern="skin", condition="pigmentation", age="63")
    shown = re.search(r'<ul class="notices">(.*?)</ul>', html, re.S)
    assert shown and 'data-code="check_first"' in shown.group(1)
    assert "signs of melanoma" in shown.group(1)
    hair = results(client, csrf_from)
    assert 'data-code="check_first"' not in hair


def test_a_close_call_is_the_first_thing_said(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    html = results(
        client,
        csrf_from,
        condition="female_pattern_hair_loss",
        sex="female",
        age="24",
        **{"budget.amount": "300", "priorities.evidence": "2"},
    )
    shown = re.search(r'<ul class="notices">(.*?)</ul>', html, re.S)
    assert shown and 'data-code="close_call"' in shown.group(1)
    assert "about equally well" in shown.group(1)
