"""The assessment view's text helpers."""

from __future__ import annotations

from typing import Any

from regenaid.reports.assessment_view import (
    build_view,
    format_money,
    regulatory_caveat,
)


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


US_EXOSOME = (
    "There are no FDA-approved exosome products. Exosomes used to treat diseases or conditions "
    "are regulated as drugs and biologics and need FDA approval; clinics that say otherwise are "
    "wrong."
)


def test_regulatory_caveat_quotes_the_sentence_that_says_it_is_not_approved() -> None:
    assert regulatory_caveat("not_approved", US_EXOSOME) == (
        "there are no FDA-approved exosome products."
    )
    text = (
        "Clinics in Pakistan advertise exosome hair therapy. We could not verify DRAP's position "
        "and found no DRAP approval of any exosome product; a provincial minister has said only "
        "DRAP-approved injections may be used for beauty treatments. Ask the clinic."
    )
    # the long sentence is cut to its clause; the words are the regulatory text's own
    assert regulatory_caveat("not_verified", text) == (
        "we could not verify DRAP's position and found no DRAP approval of any exosome product."
    )
    assert regulatory_caveat("off_label", "PRP itself is not FDA-approved. More.") == (
        "PRP itself is not FDA-approved."
    )


def test_regulatory_caveat_for_clear_and_unknown_statuses() -> None:
    assert regulatory_caveat("licensed_medicines", "Uses approved medicines.") is None
    assert regulatory_caveat("not_applicable", "Nothing to approve.") is None
    # unknown rules without a sentence to quote: the caller uses its own catalogue words
    assert regulatory_caveat("check_local_rules", "We have no information here. Ask.") == ""
    # a status the view does not know is never treated as clear
    assert regulatory_caveat("something_new", "It is sold in clinics.") == (
        "it is sold in clinics."
    )


def _option(eligibility: str, status: str, text: str = US_EXOSOME) -> dict[str, object]:
    regulatory = {"jurisdiction": "US", "status": status, "text": text, "sources": ["fda-x"]}
    return {"treatment": "exosome", "eligibility": eligibility, "regulatory": regulatory}


def test_eligibility_words_never_say_safe_or_can_have() -> None:
    view = build_view({"options": [_option("eligible", "not_approved")]})
    (o,) = view.options
    assert o.eligibility_text == "Not ruled out by your answers"
    assert o.caveat == "— but there are no FDA-approved exosome products."
    assert o.eligibility_line == (
        "Not ruled out by your answers — but there are no FDA-approved exosome products."
    )
    assert o.eligibility_class == "restricted" and o.caveat_sources == ("fda-x",)

    (caution,) = build_view({"options": [_option("caution", "not_approved")]}).options
    assert caution.caveat.startswith("— and there are no FDA-approved")
    assert caution.eligibility_class == "caution"

    (blocked,) = build_view({"options": [_option("contraindicated", "not_approved")]}).options
    assert blocked.caveat == "" and blocked.eligibility_class == "contraindicated"

    (clear,) = build_view({"options": [_option("eligible", "licensed_medicines")]}).options
    assert clear.caveat == "" and clear.eligibility_class == "eligible"

    (unknown,) = build_view(
        {"options": [_option("eligible", "check_local_rules", "We have no information.")]}
    ).options
    assert unknown.caveat == (
        "— but we have no information on whether it is approved where you live. Check local rules."
    )


def _plan(**plan: object) -> dict[str, str]:
    view = build_view({"options": [{"treatment": "prp", "eligibility": "eligible", "plan": plan}]})
    return view.options[0].lines


def test_plan_lines_say_one_number_once_and_label_the_weeks_to_results() -> None:
    lines = _plan(
        sessions={"low": 4, "high": 4},
        interval_weeks={"low": 4.0, "high": 5.0},
        time_to_results_weeks={"low": 16.0, "high": 24.0},
        maintenance_known=False,
        timeline={},
    )
    assert lines["sessions"] == "Sessions: 4"  # not "4 to 4"
    assert lines["interval"] == "Time between sessions: 4 to 5 weeks"
    # the plan card says what the weeks are; the timeline list (under "When you might see a
    # change") and the report's column ("Plan and weeks to results") keep the bare span
    assert lines["results_after"] == "Results in about 16 to 24 weeks"
    assert lines["time_to_results"] == "16 to 24 weeks"
    unknown = _plan(sessions={"low": 3, "high": 5}, time_to_results_weeks=None, timeline={})
    assert unknown["sessions"] == "Sessions: 3 to 5"
    assert unknown["results_after"].startswith("Results: when is not known;")


def test_the_best_fit_line_speaks_of_priorities_only_when_some_were_rated() -> None:
    from regenaid.decide import assess, parse_intake
    from regenaid.reports.i18n import catalogue

    t = catalogue()

    def view(priorities: dict[str, int]) -> Any:
        intake = {
            "concern": "hair",
            "condition": "androgenetic_alopecia",
            "age": 35,
            "sex": "male",
            "severity": "moderate",
            "priorities": priorities,
        }
        return build_view(assess(parse_intake(intake)).model_dump(mode="json"))

    unrated, rated = view({}), view({"cost": 2})
    assert "what you said matters" not in t(unrated.recommended_key, option="X")
    assert "rated no priority" in t(unrated.recommended_key, option="X")
    assert "what you said matters" in t(rated.recommended_key, option="X")
