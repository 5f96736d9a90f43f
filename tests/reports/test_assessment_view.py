"""The assessment view's text helpers."""

from __future__ import annotations

from regenaid.reports.assessment_view import build_view, format_money, split_lead


def test_short_text_is_not_split() -> None:
    assert split_lead("Short. Text.") == ("Short. Text.", "")


def test_split_keeps_whole_sentences_within_the_limit() -> None:
    first = "A" * 70 + "."
    second = " " + "B" * 70 + "."
    third = " " + "C" * 70 + "."
    lead, rest = split_lead(first + second + third, limit=150)
    assert lead == first + second
    assert rest == third.strip()
    assert f"{lead} {rest}" == first + second + third


def test_no_tiny_leads() -> None:
    text = "Not yours: " + "x" * 200 + ". And more text here."
    lead, rest = split_lead(text)
    assert lead.startswith("Not yours: x") and rest == "And more text here."


def test_money_is_whole_units() -> None:
    assert format_money(1234.6, "USD") == "USD 1,235"
    assert format_money(1234.5, "USD") == "USD 1,234"  # round half to even
    assert format_money(1235.5, "USD") == "USD 1,236"
    assert format_money(None, "USD") == "–"


def test_view_orders_options_and_hides_the_repeated_notice() -> None:
    view = build_view(
        {
            "options": [
                {"treatment": "no_treatment", "eligibility": "eligible", "rank": 2},
                {"treatment": "prp", "eligibility": "contraindicated", "rank": None},
                {"treatment": "conventional", "eligibility": "eligible", "rank": 1},
            ],
            "recommended": "conventional",
            "notices": [{"code": "decision_aid", "text": "x"}, {"code": "other", "text": "y"}],
        }
    )
    assert [o.id for o in view.options] == ["prp", "conventional", "no_treatment"]
    assert [o.id for o in view.ranked] == ["conventional", "no_treatment"]
    assert [o.id for o in view.unranked] == ["prp"]
    assert [n["code"] for n in view.notices] == ["other"]
    assert view.recommended_option is not None and view.recommended_option.id == "conventional"
