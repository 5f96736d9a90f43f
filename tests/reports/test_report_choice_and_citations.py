"""The report a clinician can use: the person's leaning and SURE answers, the questions to ask,
and numbered citations ([1], [2]) with each cited source listed once; at most three pages."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from report_people import PEOPLE

from regenaid.decide import assess, parse_intake
from regenaid.reports.assessment_report import (
    MAX_PAGES,
    SHORT_ENTRY,
    CitationNumbers,
    render_assessment_html,
    render_assessment_pdf,
    short_author,
)

CHOICE = {
    "leaning": "conventional",
    "sure": {"sure": "yes", "understand": "no", "risk_benefit": "yes", "encouragement": "yes"},
}


@pytest.fixture(params=sorted(PEOPLE))
def assessment(request: pytest.FixtureRequest) -> Any:
    return assess(parse_intake(PEOPLE[request.param]))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.parametrize("compact", [False, True])
def test_citations_are_numbered_and_each_source_is_listed_once(
    assessment: Any, compact: bool
) -> None:
    html = render_assessment_html(assessment, compact=compact)
    body, _, sources = html.partition('<section class="sources">')
    cited: set[int] = set()
    for group in re.findall(r'<span class="cite">\[([^\]]*)\]</span>', body):
        for part in group.split(", "):
            low, _, high = part.partition("–")
            cited.update(range(int(low), int(high or low) + 1))
    listed = [int(n) for n in re.findall(r'<li value="(\d+)"', sources)]
    assert listed == list(range(1, len(listed) + 1))  # in order, each once
    assert cited == set(listed) and listed  # every number cited is listed, and only those
    ids = re.findall(r'data-source="([^"]+)"', sources)
    assert len(ids) == len(set(ids))
    assert not re.search(r"\[(st|ev|fda)-", body)  # no raw source ids in the text
    entries = re.findall(r'<li value="\d+"[^>]*>(.*?)</li>', sources)
    for entry in entries:
        short = unescape(entry).split(" — ")[0]  # before the "marketing" label
        assert len(short) <= SHORT_ENTRY + 40, short  # long only for a long body name


def test_the_first_citation_is_number_one_and_numbers_grow_in_reading_order(
    assessment: Any,
) -> None:
    html = render_assessment_html(assessment)
    body = html.partition('<section class="sources">')[0]
    seen = 0
    for group in re.findall(r'class="cite">\[([^\]]*)\]', body):
        numbers: list[int] = []
        for part in group.split(", "):
            low, _, high = part.partition("–")
            numbers.extend(range(int(low), int(high or low) + 1))
        new = [n for n in numbers if n > seen]
        assert new == list(range(seen + 1, seen + 1 + len(new)))  # new ones come next, in turn
        seen = max(seen, *numbers)
    assert seen >= 1


def test_leaning_and_sure_answers_are_shown(assessment: Any) -> None:
    text = _text(render_assessment_html(assessment, choice=CHOICE))
    assert "Leaning toward: Usual first care" in text
    assert "Do you feel SURE about the best choice for you? Yes" in text
    assert "Do you know the benefits and risks of each choice? No" in text
    assert "No to 1 of the four SURE questions" in text
    assert "Is my diagnosis right?" in text and "What happens if I stop?" in text


def test_without_a_choice_everything_reads_not_answered(assessment: Any) -> None:
    text = _text(render_assessment_html(assessment))
    assert "Leaning toward: not answered" in text
    assert text.count("not answered") == 5  # the leaning and the four SURE items
    assert "SURE questions" not in text  # no score without answers
    unsure = _text(render_assessment_html(assessment, choice={"leaning": "unsure"}))
    assert "Leaning toward: Not sure yet" in unsure


@pytest.mark.parametrize("person", sorted(PEOPLE))
def test_pdf_with_a_choice_is_at_most_three_pages(person: str) -> None:
    from weasyprint import HTML

    assessment = assess(parse_intake(PEOPLE[person]))
    pdf = render_assessment_pdf(assessment, choice=CHOICE)
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    # render_assessment_pdf prints the full layout when it fits, else the compact one
    full = len(HTML(string=render_assessment_html(assessment, choice=CHOICE)).render().pages)
    compact = render_assessment_html(assessment, compact=True, choice=CHOICE)
    pages = full if full <= MAX_PAGES else len(HTML(string=compact).render().pages)
    print(f"{person}: full layout {full} pages, PDF {pages} pages")
    assert 1 <= pages <= MAX_PAGES, (full, pages)


def test_short_author_and_numbering() -> None:
    assert short_author("Cruciani M, et al.") == "Cruciani et al."
    assert short_author("Kar BR") == "Kar"
    assert short_author("US Food and Drug Administration (CBER)") == (
        "US Food and Drug Administration"
    )
    assert short_author(None) == ""
    cite = CitationNumbers({"a": {"title": "Alpha", "authors": "Smith J", "year": 2020}})
    assert str(cite(["a", "b", "a"])) == '<span class="cite">[1, 2]</span>'
    assert str(cite(["c", "b", "a"])) == '<span class="cite">[1–3]</span>'
    assert str(cite([])) == ""
    assert [e["text"] for e in cite.entries()] == ["Smith 2020. Alpha", "b", "c"]
