"""The intake (CONTRACT §1): strict validation with errors that name the field."""

from __future__ import annotations

from typing import Any

import pytest

from regenaid.decide.intake import (
    HEALTH_FLAGS,
    SCALE_GRADES,
    Intake,
    load_intake_text,
    parse_intake,
)
from regenaid.errors import InvalidInputError
from regenaid.knowledge.model import CONDITIONS_BY_CONCERN, NEW_HEALTH_FLAGS
from regenaid.knowledge.model import HEALTH_FLAGS as KB_HEALTH_FLAGS

BASE: dict[str, Any] = {
    "concern": "hair",
    "condition": "androgenetic_alopecia",
    "age": 41,
    "sex": "male",
    "severity": "moderate",
}


def with_(**changes: Any) -> dict[str, Any]:
    data = dict(BASE)
    data.update(changes)
    return data


def error_for(data: Any) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as info:
        parse_intake(data)
    return info.value


def test_minimal_intake_has_contract_defaults() -> None:
    intake = parse_intake(BASE)
    # CONTRACT §1: a priority the person did not rate counts as 0 (never a silent default).
    assert intake.priorities.model_dump() == {
        "cost": 0,
        "speed": 0,
        "fewer_sessions": 0,
        "evidence": 0,
        "autologous": 0,
        "avoid_blood_draw": 0,
        "low_maintenance": 0,
    }
    assert intake.health.flags_on() == ()
    assert intake.health.model_dump() == dict.fromkeys(HEALTH_FLAGS, False)
    assert intake.prior_treatments == []
    assert intake.budget is None and intake.jurisdiction is None


def test_health_flags_are_the_contract_flags() -> None:
    assert HEALTH_FLAGS == KB_HEALTH_FLAGS
    assert NEW_HEALTH_FLAGS == ()  # every contract flag has screening rules


# CONTRACT §1, added 2026-11-29: optional, default false.
FLAGS_2026_11_29 = (
    "systemic_corticosteroids",
    "isotretinoin_recent",
    "liver_disease",
    "could_become_pregnant",
    "unstable_heart_or_blood_pressure",
)


@pytest.mark.parametrize("flag", FLAGS_2026_11_29)
def test_flags_added_2026_11_29_are_optional_booleans(flag: str) -> None:
    assert flag in HEALTH_FLAGS
    assert getattr(parse_intake(BASE).health, flag) is False
    assert parse_intake(with_(health={flag: True})).health.flags_on() == (flag,)
    err = error_for(with_(health={flag: "yes"}))
    assert err.field == f"health.{flag}"


def test_full_intake_is_accepted() -> None:
    intake = parse_intake(
        with_(
            duration_months=30,
            prior_treatments=[{"treatment": "prp", "response": "none"}],
            health={"anticoagulant": True},
            priorities={"cost": 4, "speed": 0},
            budget={"amount": 3000, "currency": "GBP", "horizon_months": 12},
            jurisdiction="GB",
        )
    )
    assert intake.health.flags_on() == ("anticoagulant",)
    assert intake.prior_response("prp") == "none"
    assert intake.horizon_months == 12


@pytest.mark.parametrize(
    ("changes", "field", "allowed_contains"),
    [
        ({"unknown_key": 1}, "unknown_key", "concern"),
        ({"health": {"anticoagulant": "yes"}}, "health.anticoagulant", None),
        ({"health": {"anticoagulant": 1}}, "health.anticoagulant", None),
        ({"health": {"blood_thinner": True}}, "health.blood_thinner", "anticoagulant"),
        ({"age": 17}, "age", None),
        ({"age": 121}, "age", None),
        ({"age": "40"}, "age", None),
        ({"age": 40.5}, "age", None),
        ({"sex": "unknown"}, "sex", "female"),
        ({"concern": "nails"}, "concern", "skin"),
        ({"condition": "acne_scars"}, "condition", "telogen_effluvium"),
        ({"condition": "baldness"}, "condition", "alopecia_areata"),
        ({"severity": "severe"}, "severity", "advanced"),
        ({"duration_months": -1}, "duration_months", None),
        ({"duration_months": 1201}, "duration_months", None),
        ({"priorities": {"cost": 5}}, "priorities.cost", None),
        ({"priorities": {"cost": -1}}, "priorities.cost", None),
        ({"priorities": {"cost": 2.5}}, "priorities.cost", None),
        ({"priorities": {"cost": True}}, "priorities.cost", None),
        ({"priorities": {"price": 3}}, "priorities.price", "cost"),
        (
            {"prior_treatments": [{"treatment": "prp", "response": "meh"}]},
            "prior_treatments.0.response",
            "partial",
        ),
        (
            {"prior_treatments": [{"treatment": "botox", "response": "good"}]},
            "prior_treatments.0.treatment",
            "minoxidil",
        ),
        ({"budget": {"amount": 0, "currency": "USD"}}, "budget.amount", None),
        ({"budget": {"amount": -5, "currency": "USD"}}, "budget.amount", None),
        ({"budget": {"amount": 100, "currency": "usd"}}, "budget.currency", None),
        ({"budget": {"amount": 100, "currency": "ABC"}}, "budget.currency", None),
        (
            {"budget": {"amount": 100, "currency": "USD", "horizon_months": 0}},
            "budget.horizon_months",
            None,
        ),
        (
            {"budget": {"amount": 100, "currency": "USD", "horizon_months": 241}},
            "budget.horizon_months",
            None,
        ),
        ({"budget": {"amount": 100}}, "budget.currency", None),
        ({"jurisdiction": "XX"}, "jurisdiction", None),
        ({"jurisdiction": "us"}, "jurisdiction", None),
        ({"jurisdiction": "USA"}, "jurisdiction", None),
        ({"scale": {"name": "hamilton", "grade": "II"}}, "scale.name", "norwood"),
        ({"scale": {"name": "ludwig", "grade": "IV"}}, "scale.grade", "III"),
        ({"scale": {"name": "norwood", "grade": "VIII"}}, "scale.grade", "VII"),
        ({"scale": {"name": "sinclair", "grade": "6"}}, "scale.grade", "5"),
        ({"scale": {"name": "sinclair", "grade": "II"}}, "scale.grade", "3"),
    ],
)
def test_bad_field_is_named(
    changes: dict[str, Any], field: str, allowed_contains: str | None
) -> None:
    err = error_for(with_(**changes))
    assert err.field == field
    if allowed_contains is not None:
        assert err.allowed is not None and allowed_contains in err.allowed
    assert "\n" not in str(err)


def test_condition_error_lists_the_concerns_conditions() -> None:
    err = error_for(with_(condition="acne_scars"))
    assert err.allowed == CONDITIONS_BY_CONCERN["hair"]


@pytest.mark.parametrize("missing", ["concern", "condition", "age", "sex"])
def test_required_fields(missing: str) -> None:
    data = dict(BASE)
    del data[missing]
    assert error_for(data).field == missing


def test_severity_or_scale_is_required() -> None:
    data = dict(BASE)
    del data["severity"]
    err = error_for(data)
    assert err.field == "severity"
    assert err.allowed == ("mild", "moderate", "advanced")


def test_scale_only_for_hair() -> None:
    data = {"concern": "skin", "condition": "acne_scars", "age": 30, "sex": "female"}
    data["scale"] = {"name": "norwood", "grade": "II"}
    assert error_for(data).field == "scale"


@pytest.mark.parametrize(
    ("name", "grade", "severity"),
    [
        ("norwood", "I", "mild"),
        ("norwood", "II", "mild"),
        ("norwood", "III", "moderate"),
        ("norwood", "IV", "moderate"),
        ("norwood", "V", "advanced"),
        ("norwood", "VI", "advanced"),
        ("norwood", "VII", "advanced"),
        ("ludwig", "I", "mild"),
        ("ludwig", "II", "moderate"),
        ("ludwig", "III", "advanced"),
        ("sinclair", "1", "mild"),
        ("sinclair", "2", "mild"),
        ("sinclair", "3", "moderate"),
        ("sinclair", "4", "advanced"),
        ("sinclair", "5", "advanced"),
    ],
)
def test_scale_maps_to_severity(name: str, grade: str, severity: str) -> None:
    data = dict(BASE)
    del data["severity"]
    data["scale"] = {"name": name, "grade": grade}
    assert parse_intake(data).severity == severity


def test_every_scale_grade_is_mapped() -> None:
    for name, grades in SCALE_GRADES.items():
        for grade in grades:
            data = dict(BASE)
            del data["severity"]
            data["scale"] = {"name": name, "grade": grade}
            assert parse_intake(data).severity in ("mild", "moderate", "advanced")


def test_given_severity_wins_over_scale() -> None:
    intake = parse_intake(with_(severity="mild", scale={"name": "norwood", "grade": "VI"}))
    assert intake.severity == "mild"


def test_yaml_integer_sinclair_grade() -> None:
    text = "concern: hair\ncondition: female_pattern_hair_loss\nage: 50\nsex: female\n"
    text += "scale: {name: sinclair, grade: 4}\n"
    assert load_intake_text(text).severity == "advanced"


def test_json_text_and_yaml_text_agree() -> None:
    import json

    import yaml

    assert load_intake_text(json.dumps(BASE)) == load_intake_text(yaml.safe_dump(BASE))


@pytest.mark.parametrize("text", ["{not json", "a: [1, 2", "- just\n- a list\n", "42", ""])
def test_unparseable_text_names_the_intake(text: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        load_intake_text(text)
    assert info.value.field == "intake"


def test_intake_model_rejects_unknown_keys_directly() -> None:
    with pytest.raises(ValueError):
        Intake.model_validate(with_(extra=True))


def test_schema_example_is_a_valid_intake() -> None:
    for example in Intake.model_json_schema()["examples"]:
        assert parse_intake(example).severity == "moderate"
