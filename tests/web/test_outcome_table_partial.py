"""The outcome table partial (``_outcomes.html``) rendered from ``reports.outcome_view``:
an accessible table (header scopes, labelled pictures), citations linked to the Sources page,
plain words where nothing was measured, cards on narrow screens."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from regenaid.decide import assess, parse_intake
from regenaid.reports.i18n import catalogue
from regenaid.reports.outcome_view import outcome_table
from regenaid.web.templating import STATIC_DIR, PageCitations, make_templates


def _render(intake: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    assessment = assess(parse_intake(intake)).model_dump(mode="json")
    table = outcome_table(assessment, catalogue("en"))
    template = make_templates().env.get_template("_outcomes.html")
    refs = PageCitations()
    html = template.render(outcome_table=table, refs=refs)
    # the page lists the cited sources at its foot; the partial's numbers point there
    listed = "".join(
        f'<li id="ref-{n}"><a href="/evidence/sources#src-{i}">' for n, i, _ in refs.entries()
    )
    return html + listed, assessment


@pytest.fixture(scope="module")
def woman_with_thinning() -> tuple[str, dict[str, Any]]:
    return _render(
        {
            "concern": "hair",
            "condition": "female_pattern_hair_loss",
            "age": 44,
            "sex": "female",
            "severity": "moderate",
            "health": {"anticoagulant": True},
        }
    )


def test_table_has_scoped_headers_and_one_row_per_option(
    woman_with_thinning: tuple[str, dict[str, Any]],
) -> None:
    html, assessment = woman_with_thinning
    assert '<section aria-labelledby="outcomes-h" class="outcomes' in html
    assert 'id="outcomes-h">What each option is likely to do<' in html
    assert html.count('<th scope="col">') == 6
    assert html.count('<th scope="row">') == len(assessment["options"])
    assert 'class="outcome-table"' in html


def test_pictures_are_labelled_images_with_the_numbers(
    woman_with_thinning: tuple[str, dict[str, Any]],
) -> None:
    html, _ = woman_with_thinning
    svgs = re.findall(r'<svg[^>]*role="img"[^>]*aria-label="([^"]+)"', html)
    assert svgs, "no icon arrays"
    # van Zuuren 2016: 26 in 100 on minoxidil vs 14 in 100 on placebo
    assert any("26 with usual first care" in label and "14" in label for label in svgs)
    assert "26 in 100 with usual first care, 14 in 100 with placebo (dummy liquid)" in html


def test_unmeasured_cells_say_so_and_citations_link_to_sources(
    woman_with_thinning: tuple[str, dict[str, Any]],
) -> None:
    html, _ = woman_with_thinning
    assert "No study has measured this." in html
    # no certainty badge where nothing was measured: the words say it
    assert 'class="badge certainty-none"' not in html
    number = re.search(
        r'<li id="ref-(\d+)"><a href="/evidence/sources#src-st-van-zuuren-2016"', html
    )
    assert number and f'<a href="#ref-{number.group(1)}">' in html
    assert "finasteride" not in html.lower()


def test_blocked_options_stay_in_the_table_but_are_marked(
    woman_with_thinning: tuple[str, dict[str, Any]],
) -> None:
    html, assessment = woman_with_thinning
    blocked = [
        o["treatment"]
        for o in assessment["options"]
        if o["eligibility"] in ("contraindicated", "defer")
    ]
    for option in blocked:
        assert f'class="outcome-row blocked" data-option="{option}"' in html


def test_an_assessment_saved_before_the_table_renders_nothing() -> None:
    old = {"options": [{"treatment": "prp", "eligibility": "eligible"}], "notices": []}
    table = outcome_table(old, catalogue("en"))
    assert table["rows"] == []
    assert (
        make_templates()
        .env.get_template("_outcomes.html")
        .render(outcome_table=table, refs=PageCitations())
        .strip()
        == ""
    )


def test_narrow_screens_get_cards() -> None:
    css = Path(STATIC_DIR, "site.css").read_text(encoding="utf-8")
    block = css.split("/* outcomes table", 1)[1]
    assert "@media (max-width: 40rem)" in block
    assert "table.outcome-table td::before" in block
