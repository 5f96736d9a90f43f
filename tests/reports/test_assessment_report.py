"""The printable report and its PDF: content, escaping, page count (1-2 A4 pages)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from report_people import PEOPLE

from regenaid.decide import assess, parse_intake
from regenaid.reports.assessment_report import (
    render_assessment_html,
    render_assessment_pdf,
    report_style_hash,
)


@pytest.fixture(params=sorted(PEOPLE))
def assessment(request: pytest.FixtureRequest) -> Any:
    return assess(parse_intake(PEOPLE[request.param]))


def test_html_report_shows_every_option_and_the_not_a_prescription_line(assessment: Any) -> None:
    html = render_assessment_html(assessment)
    data = assessment.model_dump(mode="json")
    assert "not a prescription" in html
    for option in data["options"]:
        assert f'class="elig-{option["eligibility"]}"' in html
    assert html.count('<tr class="elig-') == len(data["options"])
    for reason in (r for o in data["options"] for r in o["reasons"]):
        text = reason["text"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert text.replace("'", "&#39;").replace('"', "&#34;") in html or text in html


def test_report_names_the_condition_and_what_matters() -> None:
    intake = {**PEOPLE["budget"], "priorities": {"cost": 4, "evidence": 3, "speed": 0}}
    html = render_assessment_html(assess(parse_intake(intake)))
    assert "For: Pattern hair loss" in html or "For: " in html
    assert "keeping the cost low (4/4), strong proof from studies (3/4)" in html
    assert "seeing results soon" not in html.split("What matters most to you")[1][:200]


def test_report_accepts_the_json_form_too(assessment: Any) -> None:
    from_model = render_assessment_html(assessment)
    from_json = render_assessment_html(assessment.model_dump(mode="json"))
    strip = re.compile(r"Made on [^.]*\.")
    assert strip.sub("", from_model) == strip.sub("", from_json)


def test_report_escapes_text() -> None:
    hostile = {
        "contract": "regenaid.assessment/1",
        "options": [
            {
                "treatment": "prp",
                "eligibility": "caution",
                "reasons": [{"code": "x", "text": "<script>alert(1)</script>", "sources": []}],
                "score": None,
                "rank": None,
                "why": [],
                "certainty": "low",
                "plan": {},
                "cost": {},
            }
        ],
        "recommended": None,
        "notices": [],
    }
    html = render_assessment_html(hostile)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_pdf_is_at_most_three_pages(assessment: Any) -> None:
    from weasyprint import HTML

    pdf = render_assessment_pdf(assessment)
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    pages = len(HTML(string=render_assessment_html(assessment)).render().pages)
    compact = len(HTML(string=render_assessment_html(assessment, compact=True)).render().pages)
    # the PDF uses the full layout when it fits three pages, else the compact one
    assert 1 <= min(pages, compact) <= 3, (pages, compact)


def test_report_shows_benefits_and_harms_of_every_option(assessment: Any) -> None:
    html = render_assessment_html(assessment)
    assert "What each choice may do, and its harms" in html
    for option in assessment.options if hasattr(assessment, "options") else assessment["options"]:
        harms = option.harms if hasattr(option, "harms") else option.get("harms", [])
        if harms:
            first = harms[0].text if hasattr(harms[0], "text") else harms[0]["text"]
            assert first.split(".")[0][:40].replace("'", "&#39;") in html


def test_compact_layout_is_shorter(assessment: Any) -> None:
    full = render_assessment_html(assessment)
    compact = render_assessment_html(assessment, compact=True)
    assert len(compact) < len(full)
    # both cite by number ([1], [2]) and list each cited source once; compact cites fewer
    assert '<ol class="refs">' in compact and '<span class="cite">[st-' not in compact
    assert compact.count('<li value="') <= full.count('<li value="')


def test_style_hash_matches_the_inline_style(assessment: Any) -> None:
    import base64
    import hashlib

    html = render_assessment_html(assessment)
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert report_style_hash() == f"'sha256-{digest}'"


def test_us_exosome_is_not_ruled_out_but_not_approved_in_the_report() -> None:
    intake = parse_intake({**PEOPLE["budget"], "jurisdiction": "US"})
    html = render_assessment_html(assess(intake))
    assert "You can have this" not in html and "Safe now?" not in html
    row = html.split('<tr class="elig-eligible">\n    <th scope="row">Exosome therapy</th>')[1]
    row = row.split("</tr>")[0]
    assert "Not ruled out by your answers" in row
    assert "— but there are no FDA-approved exosome products." in row


def test_report_names_unrated_priorities_when_it_has_the_intake() -> None:
    intake = parse_intake({**PEOPLE["budget"], "priorities": {"cost": 4, "speed": 0}})
    html = render_assessment_html(assess(intake), intake=intake)
    assert "What matters most to you: keeping the cost low (4/4)." in html
    assert (
        "Not rated, so they do not count: fewer visits, strong proof from studies, using only "
        "material from my own body, not having blood taken, little upkeep after the first course."
    ) in html
    # seeing results soon was rated 0: a choice, not "not rated"
    assert "seeing results soon" not in html.split("Not rated")[1][:400]
    # a JSON intake (as the web app keeps it) lists only the rated priorities
    as_json = {**PEOPLE["budget"], "priorities": {"cost": 4, "speed": 0}}
    assert "Not rated, so they do not count: fewer visits" in render_assessment_html(
        assess(intake), intake=as_json
    )
