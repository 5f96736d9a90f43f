"""The wizard's form model: answers to intake, error placement, step bookkeeping."""

from __future__ import annotations

from regenaid.web.intake_form import (
    ALL_FIELDS,
    STEP_FIELDS,
    STEPS,
    answers_from_form,
    form_field_for,
    intake_from_answers,
    step_of,
    validate,
)

MESSAGES = {
    "required": "required",
    "whole_number": "whole",
    "number": "number",
    "age_range": "age",
}
BASE = {
    "concern": "hair",
    "condition": "androgenetic_alopecia",
    "age": "40",
    "sex": "male",
    "severity": "mild",
}


def test_every_field_belongs_to_exactly_one_step() -> None:
    seen = [f for fields in STEP_FIELDS.values() for f in fields]
    assert len(seen) == len(set(seen)) == len(ALL_FIELDS)
    assert list(STEP_FIELDS) == list(STEPS)


def test_unknown_empty_and_long_fields_are_dropped_or_trimmed() -> None:
    answers = answers_from_form({"age": " 41 ", "evil": "x", "sex": "", "condition": "y" * 500})
    assert answers == {"age": "41", "condition": "y" * 200}


def test_answers_become_a_contract_intake() -> None:
    answers = {
        **BASE,
        "scale": "norwood:III",
        "health.anticoagulant": "yes",
        "prior.prp": "none",
        "prior.minoxidil": "not_tried",
        "priorities.speed": "4",
        "budget.amount": "2,500.50",
        "budget.currency": "EUR",
        "budget.horizon_months": "12",
        "jurisdiction": "GB",
    }
    intake, errors = intake_from_answers(answers, MESSAGES)
    assert errors == []
    assert intake["age"] == 40 and intake["scale"] == {"name": "norwood", "grade": "III"}
    assert intake["health"] == {"anticoagulant": True}
    assert intake["prior_treatments"] == [{"treatment": "prp", "response": "none"}]
    assert intake["priorities"] == {"speed": 4}
    assert intake["budget"] == {"amount": 2500.5, "currency": "EUR", "horizon_months": 12}
    parsed, problems = validate(answers, STEPS[-1], MESSAGES)
    assert problems == [] and parsed is not None and parsed["severity"] == "mild"


def test_scale_is_ignored_for_skin() -> None:
    intake, _ = intake_from_answers({**BASE, "concern": "skin", "scale": "norwood:II"}, MESSAGES)
    assert "scale" not in intake


def test_errors_only_for_steps_reached() -> None:
    _, errors = validate({"concern": "hair"}, "concern", MESSAGES)
    assert errors == []
    _, errors = validate({"concern": "hair"}, "condition", MESSAGES)
    assert {e.field for e in errors} == {"condition", "age", "sex", "severity"}
    _, errors = validate({**BASE, "budget.amount": "lots"}, "health", MESSAGES)
    assert errors == []  # the budget step is not reached yet
    _, errors = validate({**BASE, "budget.amount": "lots"}, "budget", MESSAGES)
    assert [(e.field, e.message) for e in errors] == [("budget.amount", "number")]


def test_decide_errors_are_placed_on_their_form_field() -> None:
    _, errors = validate({**BASE, "age": "150"}, "condition", MESSAGES)
    assert [e.field for e in errors] == ["age"]
    _, errors = validate({**BASE, "jurisdiction": "XX"}, "budget", MESSAGES)
    assert [e.field for e in errors] == ["jurisdiction"]
    assert step_of("jurisdiction") == "budget"


def test_prior_treatment_error_paths_map_to_the_right_row() -> None:
    answers = {"prior.prp": "none", "prior.laser": "good", "prior.other": "not_tried"}
    assert form_field_for("prior_treatments.1.response", answers) == "prior.laser"
    assert form_field_for("scale.grade", answers) == "scale"
    assert form_field_for("budget", answers) == "budget.amount"
    assert form_field_for("something.else", answers) == "concern"


def test_unanswered_priorities_are_not_rated_and_zero_is_a_choice() -> None:
    """No silent weights (CONTRACT §1): a priority left unanswered stays out of the intake;
    an explicit 0 ("does not matter") is kept."""
    answers = {**BASE, "priorities.cost": "0", "priorities.speed": "3"}
    parsed, problems = validate(answers, STEPS[-1], MESSAGES)
    assert problems == [] and parsed is not None
    assert parsed["priorities"] == {"cost": 0, "speed": 3}
    parsed, problems = validate(BASE, STEPS[-1], MESSAGES)
    assert problems == [] and parsed is not None
    assert "priorities" not in parsed
