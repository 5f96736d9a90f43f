"""The choice form on the results page: the option the person leans toward and their SURE
answers (``_choice.html``), read from a posted form and checked against their assessment.

Field names: ``leaning`` (an option the person may choose now, or ``unsure``) and
``sure.<item>`` (``yes`` or ``no``) for the four SURE items. A field left empty is not
answered; anything else is refused with 422 naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import HTTPException

from regenaid.reports.assessment_view import AssessmentView
from regenaid.store.shared_results import LEANING_UNSURE, SURE_ANSWERS, SURE_ITEMS

LEANING_FIELD = "leaning"
SURE_FIELD_PREFIX = "sure."


def leaning_options(view: AssessmentView) -> list[str]:
    """The ids a person may lean toward: the options their answers do not rule out now."""
    return [o.id for o in view.options if not o.blocked]


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def choice_from_form(form: Mapping[str, Any], options: Iterable[str]) -> dict[str, Any] | None:
    """The choice posted in ``form`` in its stored shape (None when nothing was answered);
    422 naming the field for a value that is not one of the allowed ones."""
    allowed = [*options, LEANING_UNSURE]
    choice: dict[str, Any] = {}
    leaning = _text(form, LEANING_FIELD)
    if leaning:
        if leaning not in allowed:
            raise HTTPException(
                status_code=422,
                detail=f"{LEANING_FIELD}: {leaning[:40]!r} is not one of {', '.join(allowed)}",
            )
        choice["leaning"] = leaning
    sure: dict[str, str] = {}
    for item in SURE_ITEMS:
        name = SURE_FIELD_PREFIX + item
        answer = _text(form, name)
        if not answer:
            continue
        if answer not in SURE_ANSWERS:
            raise HTTPException(
                status_code=422,
                detail=f"{name}: {answer[:40]!r} is not one of {', '.join(SURE_ANSWERS)}",
            )
        sure[item] = answer
    if sure:
        choice["sure"] = sure
    return choice or None
