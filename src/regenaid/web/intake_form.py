"""The intake wizard's form: steps, fields, and the mapping between form answers and the
intake contract (CONTRACT §1).

Answers travel as flat string fields (``age``, ``health.anticoagulant``, ``prior.prp``,
``priorities.cost``, ``budget.amount``...). Each page carries the answers of the other steps
in hidden fields, so Back and Next keep everything and nothing is stored on the server.
Errors from :func:`regenaid.decide.parse_intake` name an intake field; :func:`form_field_for`
turns that into the form field (and so the step) to show the message beside.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from regenaid.decide.intake import (
    HEALTH_FLAGS,
    PRIOR_TREATMENT_IDS,
    PRIORITY_NAMES,
    SCALE_GRADES,
    parse_intake,
)
from regenaid.decide.intake import RESPONSES as PRIOR_RESPONSES
from regenaid.errors import InvalidInputError
from regenaid.knowledge.exchange import CURRENCY_NAMES, currency_of

STEPS: tuple[str, ...] = ("concern", "condition", "health", "prior", "budget", "values")
PRIOR_TREATMENTS: tuple[str, ...] = PRIOR_TREATMENT_IDS
RESPONSES: tuple[str, ...] = PRIOR_RESPONSES
# The currencies costs can be shown in: those with a published exchange rate in the knowledge
# base (prices are converted) or a price list for every option; the UAE dirham is missing
# because we have no rate for it (regenaid.knowledge.exchange.shown_currencies; a test keeps
# the two equal). Sorted by code, each with its name.
CURRENCY_CODES: tuple[str, ...] = (
    "AUD", "BRL", "CAD", "CHF", "CNY", "CZK", "DKK", "EUR", "GBP", "HKD", "HUF", "IDR", "ILS",
    "INR", "ISK", "JPY", "KRW", "MXN", "MYR", "NOK", "NZD", "PHP", "PKR", "PLN", "RON", "SEK",
    "SGD", "THB", "TRY", "USD", "ZAR",
)  # fmt: skip
CURRENCIES: tuple[tuple[str, str], ...] = tuple(
    (code, f"{code} ({CURRENCY_NAMES.get(code, code)})") for code in CURRENCY_CODES
)
# Every place the knowledge base has rules for (regulatory.yaml), with the European Union as
# its 27 member states (each looks up the EU's rules), plus Canada and India; sorted by name.
# "Other / not sure" (value "") is the template's first option.
_EU_MEMBER_NAMES: dict[str, str] = {
    "AT": "Austria", "BE": "Belgium", "BG": "Bulgaria", "HR": "Croatia", "CY": "Cyprus",
    "CZ": "Czechia", "DK": "Denmark", "EE": "Estonia", "FI": "Finland", "FR": "France",
    "DE": "Germany", "GR": "Greece", "HU": "Hungary", "IE": "Ireland", "IT": "Italy",
    "LV": "Latvia", "LT": "Lithuania", "LU": "Luxembourg", "MT": "Malta", "NL": "Netherlands",
    "PL": "Poland", "PT": "Portugal", "RO": "Romania", "SK": "Slovakia", "SI": "Slovenia",
    "ES": "Spain", "SE": "Sweden",
}  # fmt: skip
JURISDICTIONS: tuple[tuple[str, str], ...] = tuple(
    sorted(
        {
            "AE": "United Arab Emirates",
            "AU": "Australia",
            "CA": "Canada",
            "GB": "United Kingdom",
            "IN": "India",
            "JP": "Japan",
            "KR": "South Korea",
            "PK": "Pakistan",
            "US": "United States",
            **_EU_MEMBER_NAMES,
        }.items(),
        key=lambda item: item[1],
    )
)
SCALES: tuple[tuple[str, str], ...] = tuple(
    (f"{name}:{grade}", f"{name.capitalize()} {grade}")
    for name in ("norwood", "ludwig")
    for grade in SCALE_GRADES[name]
)
MAX_FIELD_CHARS = 200

STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "concern": ("concern",),
    "condition": ("condition", "age", "sex", "severity", "scale", "duration_months"),
    "health": tuple(f"health.{flag}" for flag in HEALTH_FLAGS),
    "prior": tuple(f"prior.{t}" for t in PRIOR_TREATMENTS),
    "budget": ("budget.amount", "budget.currency", "budget.horizon_months", "jurisdiction"),
    "values": tuple(f"priorities.{p}" for p in PRIORITY_NAMES),
}
ALL_FIELDS: frozenset[str] = frozenset(f for fields in STEP_FIELDS.values() for f in fields)


@dataclass(frozen=True)
class FieldError:
    """A message to show beside one form field."""

    field: str
    message: str


def answers_from_form(form: Mapping[str, Any]) -> dict[str, str]:
    """Keep only known fields with non-empty text values, trimmed and length-capped."""
    answers: dict[str, str] = {}
    for key in ALL_FIELDS:
        value = form.get(key)
        if isinstance(value, str) and value.strip():
            answers[key] = value.strip()[:MAX_FIELD_CHARS]
    return answers


def step_of(field: str) -> str:
    """The wizard step a form field belongs to."""
    for step, fields in STEP_FIELDS.items():
        if field in fields:
            return step
    return STEPS[0]


def form_field_for(intake_field: str, answers: Mapping[str, str]) -> str:
    """Map an intake field path from InvalidInputError to the form field that holds it."""
    if intake_field.startswith("scale"):
        return "scale"
    if intake_field == "budget":
        return "budget.amount"
    match = re.fullmatch(r"prior_treatments\.(\d+)(\..*)?", intake_field)
    if match:
        tried = [
            t for t in PRIOR_TREATMENTS if answers.get(f"prior.{t}", "not_tried") != "not_tried"
        ]
        index = int(match.group(1))
        return f"prior.{tried[index]}" if index < len(tried) else "prior.prp"
    if intake_field in ALL_FIELDS:
        return intake_field
    return "concern"


def _int(answers: Mapping[str, str], key: str, errors: list[FieldError], message: str) -> object:
    text = answers[key]
    if re.fullmatch(r"[+-]?\d{1,9}", text):
        return int(text)
    errors.append(FieldError(key, message))
    return text


def intake_from_answers(
    answers: Mapping[str, str], messages: Mapping[str, str]
) -> tuple[dict[str, Any], list[FieldError]]:
    """Build the intake mapping from form answers; number-format problems come back as
    FieldErrors (``messages`` holds the localised texts: whole_number, number)."""
    errors: list[FieldError] = []
    intake: dict[str, Any] = {}
    for key in ("concern", "condition", "sex", "severity", "jurisdiction"):
        if key in answers:
            intake[key] = answers[key]
    if "age" in answers:
        intake["age"] = _int(answers, "age", errors, messages["whole_number"])
    if "duration_months" in answers:
        intake["duration_months"] = _int(
            answers, "duration_months", errors, messages["whole_number"]
        )
    if "scale" in answers and answers.get("concern") == "hair":
        name, _, grade = answers["scale"].partition(":")
        intake["scale"] = {"name": name, "grade": grade}
    health = {flag: True for flag in HEALTH_FLAGS if answers.get(f"health.{flag}")}
    if health:
        intake["health"] = health
    prior = [
        {"treatment": t, "response": answers[f"prior.{t}"]}
        for t in PRIOR_TREATMENTS
        if answers.get(f"prior.{t}", "not_tried") != "not_tried"
    ]
    if prior:
        intake["prior_treatments"] = prior
    priorities = {
        p: _int(answers, f"priorities.{p}", errors, messages["whole_number"])
        for p in PRIORITY_NAMES
        if f"priorities.{p}" in answers
    }
    if priorities:
        intake["priorities"] = priorities
    if "budget.amount" in answers:
        text = answers["budget.amount"].replace(",", "")
        amount: object = text
        if re.fullmatch(r"\d{1,12}(\.\d{1,2})?", text):
            amount = float(text)
        else:
            errors.append(FieldError("budget.amount", messages["number"]))
        budget: dict[str, Any] = {
            "amount": amount,
            # "My country's currency" (no value): the one of the country chosen, else USD
            "currency": answers.get("budget.currency")
            or currency_of(answers.get("jurisdiction"))
            or "USD",
        }
        if "budget.horizon_months" in answers:
            budget["horizon_months"] = _int(
                answers, "budget.horizon_months", errors, messages["whole_number"]
            )
        intake["budget"] = budget
    return intake, errors


def validate(
    answers: Mapping[str, str], upto_step: str, messages: Mapping[str, str]
) -> tuple[dict[str, Any] | None, list[FieldError]]:
    """Check the answers of every step up to and including ``upto_step``.

    Returns the parsed intake (as a JSON mapping) when everything needed so far is valid and
    the required fields are all present, else the errors for steps up to ``upto_step``.
    """
    limit = STEPS.index(upto_step)
    reached = set(STEPS[: limit + 1])
    errors: list[FieldError] = []
    required = {"concern": ("concern",), "condition": ("condition", "age", "sex")}
    for step, fields in required.items():
        if step in reached:
            errors += [FieldError(f, messages["required"]) for f in fields if f not in answers]
    if (
        "condition" in reached
        and "severity" not in answers
        and not ("scale" in answers and answers.get("concern") == "hair")
    ):
        errors.append(FieldError("severity", messages["required"]))
    intake, format_errors = intake_from_answers(answers, messages)
    errors += [e for e in format_errors if step_of(e.field) in reached]
    age = intake.get("age")
    if "condition" in reached and isinstance(age, int) and not 18 <= age <= 120:
        errors.append(FieldError("age", messages["age_range"]))
    if errors or limit < STEPS.index("condition"):
        if not errors and "concern" in answers and answers["concern"] not in ("hair", "skin"):
            errors.append(FieldError("concern", messages["required"]))
        return None, errors
    try:
        parsed = parse_intake(intake)
    except InvalidInputError as exc:
        field = form_field_for(exc.field, answers)
        if step_of(field) in reached:
            return None, [FieldError(field, _plain_error(exc))]
        return None, []
    return _only_rated_priorities(parsed.model_dump(mode="json", exclude_none=True), parsed), []


def _only_rated_priorities(data: dict[str, Any], parsed: Any) -> dict[str, Any]:
    """A priority the person left unanswered is not rated: it stays out of the intake (so it
    counts as 0 and the results say so), never filled in with a default weight."""
    rated = set(parsed.priorities.model_fields_set)
    priorities = {k: v for k, v in (data.get("priorities") or {}).items() if k in rated}
    if priorities:
        data["priorities"] = priorities
    else:
        data.pop("priorities", None)
    return data


def _plain_error(exc: InvalidInputError) -> str:
    text = exc.message[0].upper() + exc.message[1:] if exc.message else "Please check this."
    if exc.allowed and len(exc.allowed) <= 12:
        text += f" (allowed: {', '.join(exc.allowed)})"
    return text


def first_step_with_error(errors: list[FieldError]) -> str:
    """The earliest step holding one of ``errors``."""
    return min((step_of(e.field) for e in errors), key=STEPS.index)
