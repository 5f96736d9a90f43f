"""The outcome table ("what each option is likely to do") shaped for the results page and the
report: one row per option, five outcome cells each, numbers out of 100 with icon arrays.

Works from an :class:`~regenaid.reports.assessment_view.AssessmentView` or an assessment (model
or JSON), so a saved result renders the same way; an assessment saved before the table existed
has no ``outcomes`` and gives an empty table (``rows`` empty).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from regenaid.knowledge.model import OUTCOME_KEYS
from regenaid.reports.assessment_view import AssessmentView, OptionView, build_view
from regenaid.reports.i18n import Catalogue
from regenaid.reports.icon_array import icon_array_svg

HARM_OUTCOMES = frozenset({"side_effects", "serious_harms"})


def outcome_table(view_or_assessment: object, t: Catalogue) -> dict[str, Any]:
    """Everything ``_outcomes.html`` (and the report) shows: ``heading``, ``help``, ``legend``,
    ``columns`` (key, label) and ``rows`` (option, blocked, reason, cells)."""
    view = (
        view_or_assessment
        if isinstance(view_or_assessment, AssessmentView)
        else build_view(view_or_assessment)
    )
    raw_options = {
        str(o.get("treatment")): o for o in view.raw.get("options") or () if isinstance(o, Mapping)
    }
    rows: list[dict[str, Any]] = []
    for option in view.options:
        raw = raw_options.get(option.id, {})
        outcomes = {
            str(c.get("outcome")): c for c in raw.get("outcomes") or () if isinstance(c, Mapping)
        }
        if not outcomes:
            continue
        rows.append(
            {
                "option": option,
                "id": option.id,
                "name": option.name,
                "blocked": option.blocked,
                "status": option.eligibility_text,
                "cells": [_cell(t, option, key, outcomes.get(key)) for key in OUTCOME_KEYS],
            }
        )
    return {
        "heading": t("outcomes.heading"),
        "help": t("outcomes.help"),
        "legend": t("outcomes.legend"),
        "option_label": t("outcomes.option"),
        "columns": [{"key": k, "label": t(f"outcomes.columns.{k}")} for k in OUTCOME_KEYS],
        "rows": rows,
        "has_pictures": any(cell["svg"] is not None for row in rows for cell in row["cells"]),
    }


def _cell(
    t: Catalogue, option: OptionView, key: str, data: Mapping[str, Any] | None
) -> dict[str, Any]:
    label = t(f"outcomes.columns.{key}")
    if data is None:
        return _empty(t, key, label)
    certainty = data.get("certainty")
    status = str(data.get("status") or ("measured" if certainty else "not_measured"))
    per = data.get("per_100")
    numbers, svg = _numbers(t, option, key, per) if isinstance(per, Mapping) else ("", None)
    return {
        "key": key,
        "label": label,
        "text": str(data.get("text") or ""),
        "status": status,
        "certainty": certainty if isinstance(certainty, str) else None,
        "certainty_text": t(f"certainty.{certainty}")
        if isinstance(certainty, str)
        else t(f"outcomes.{status if status == 'not_applicable' else 'not_measured'}"),
        "sources": [s for s in data.get("sources") or () if isinstance(s, str)],
        "numbers": numbers,
        "svg": svg,
    }


def _empty(t: Catalogue, key: str, label: str) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "text": t("outcomes.nothing_measured"),
        "status": "not_measured",
        "certainty": None,
        "certainty_text": t("outcomes.not_measured"),
        "sources": [],
        "numbers": "",
        "svg": None,
    }


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _numbers(
    t: Catalogue, option: OptionView, key: str, per: Mapping[str, Any]
) -> tuple[str, Markup | None]:
    """The per-100 numbers as words, and their icon array (same 100-figure denominator for
    every option; the comparator's share in the lighter shade)."""
    treated = _int(per.get("treated"))
    if treated is None:
        return "", None
    control = _int(per.get("control"))
    comparator = per.get("comparator") if isinstance(per.get("comparator"), str) else None
    weeks = _int(per.get("weeks"))
    name = option.name.lower() if option.id == "conventional" else option.name
    if control is not None and comparator:
        words = t(
            "outcomes.pair", treated=treated, option=name, control=control, comparator=comparator
        )
        picture = t(
            "outcomes.picture_harm" if key in HARM_OUTCOMES else "outcomes.picture_benefit",
            treated=treated,
            option=name,
            control=control,
            comparator=comparator,
        )
    else:
        words = t("outcomes.alone", treated=treated)
        picture = t("outcomes.picture_alone", treated=treated)
    if weeks:
        words = f"{words}, {t('outcomes.after_weeks', weeks=weeks)}"
    svg = icon_array_svg(
        treated,
        picture,
        uid=f"oc-{option.id}-{key}",
        baseline=control,
        palette="harm" if key in HARM_OUTCOMES else "benefit",
    )
    return words, svg
