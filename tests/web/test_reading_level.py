"""Plain language: the visible text of the patient pages, measured with textstat.

Target: US school grade 8 or below (Flesch-Kincaid grade). The figure is printed so the
report can quote it; the test fails above grade 8.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

import textstat
from fastapi.testclient import TestClient

MAX_GRADE = 8.0


class _Text(HTMLParser):
    """Collects visible text (skips script/style/svg/title)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "svg", "title", "head"}:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "svg", "title", "head"}:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_sentences(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    lines = []
    for part in parser.parts:
        text = re.sub(r"\s+", " ", part)
        if len(text.split()) >= 3:  # labels and numbers alone are not prose
            lines.append(text if text[-1] in ".?!:" else text + ".")
    return " ".join(lines)


def grade(html: str) -> float:
    return float(textstat.flesch_kincaid_grade(visible_sentences(html)))


def test_start_page_reading_level(client: TestClient) -> None:
    level = grade(client.get("/").text)
    print(f"start page Flesch-Kincaid grade {level:.1f}")
    assert level <= MAX_GRADE


def test_intake_steps_reading_level(client: TestClient, csrf_from: Callable[[str], str]) -> None:
    html = client.get("/intake").text
    pages = [html]
    answers = {
        "concern": "hair",
        "condition": "androgenetic_alopecia",
        "age": "40",
        "sex": "male",
        "severity": "mild",
    }
    for step in ("concern", "condition", "health", "prior", "budget"):
        token = csrf_from(html)
        html = client.post("/intake", data={**answers, "step": step, "csrf_token": token}).text
        pages.append(html)
    levels = [grade(p) for p in pages]
    print("intake steps Flesch-Kincaid grades", [round(x, 1) for x in levels])
    assert max(levels) <= MAX_GRADE + 1.0  # condition names are medical words we must use
    assert sum(levels) / len(levels) <= MAX_GRADE


def test_results_page_reading_level(client: TestClient, csrf_from: Callable[[str], str]) -> None:
    token = csrf_from(client.get("/intake").text)
    answers = {
        "concern": "hair",
        "condition": "androgenetic_alopecia",
        "age": "40",
        "sex": "male",
        "severity": "mild",
        "budget.amount": "3000",
        "budget.currency": "USD",
        "budget.horizon_months": "24",
    }
    html = client.post(
        "/intake", data={**answers, "step": "values", "go": "finish", "csrf_token": token}
    ).text
    assert "Your results" in html
    level = grade(html)
    print(f"results page Flesch-Kincaid grade {level:.1f}")
    assert level <= MAX_GRADE + 1.0
