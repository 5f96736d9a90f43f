"""A read-only view of an assessment (CONTRACT §2) shaped for templates and reports.

Works from the assessment's JSON form, so a result saved months ago renders the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from regenaid.reports.i18n import Catalogue, catalogue

# Notices the pages already state in their own words (the "not a prescription" line).
SHOWN_ELSEWHERE = frozenset({"decision_aid"})
TREATMENT_ORDER = ("prp", "exosome", "combination", "conventional", "no_treatment")


def assessment_dict(assessment: object) -> dict[str, Any]:
    """The JSON form of an Assessment (pydantic model) or of an already-dumped mapping."""
    dump = getattr(assessment, "model_dump", None)
    if callable(dump):
        data = dump(mode="json")
        if isinstance(data, dict):
            return data
    if isinstance(assessment, Mapping):
        return dict(assessment)
    raise TypeError(f"expected an Assessment or its JSON mapping, got {type(assessment).__name__}")


def split_lead(text: str, limit: int = 180, shortest: int = 60) -> tuple[str, str]:
    """Split ``text`` after a sentence end so the lead is ``shortest``..``limit`` characters
    (or, failing that, after the first sentence end past ``shortest``); the lead is shown and
    the rest sits behind "More". Short texts and texts without a usable end stay whole."""
    if len(text) <= limit:
        return text, ""
    ends = [m.end() for m in re.finditer(r"[.!?](?=\s)", text) if m.end() >= shortest]
    if not ends:
        return text, ""
    within = [e for e in ends if e <= limit]
    cut = within[-1] if within else ends[0]
    if cut >= len(text) - 1:
        return text, ""
    return text[:cut], text[cut:].strip()


def format_money(amount: object, currency: str) -> str:
    """``1234.6, "USD"`` -> ``"USD 1,235"`` (whole units; ranges are wide, cents mislead).

    Python's ``round``: halves go to the even unit (``1234.5`` -> ``1,234``)."""
    if not isinstance(amount, int | float):
        return "–"
    return f"{currency} {round(amount):,}"


def _num(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


@dataclass(frozen=True)
class OptionView:
    """One option's row, with display strings prepared."""

    id: str
    name: str
    short: str
    eligibility: str
    eligibility_text: str
    reasons: tuple[dict[str, Any], ...]
    rank: int | None
    score: float | None
    why: tuple[str, ...]
    certainty: str
    certainty_text: str
    plan: Mapping[str, Any]
    cost: Mapping[str, Any]
    lines: dict[str, str] = field(default_factory=dict)
    benefits: tuple[dict[str, Any], ...] = ()
    harms: tuple[dict[str, Any], ...] = ()
    unknowns: tuple[dict[str, Any], ...] = ()
    come_back: tuple[str, ...] = ()
    notes: tuple[dict[str, Any], ...] = ()

    @property
    def ranked(self) -> bool:
        return self.rank is not None

    @property
    def blocked(self) -> bool:
        return self.eligibility in {"contraindicated", "defer"}


def _range(data: object) -> tuple[object, object] | None:
    if isinstance(data, Mapping) and "low" in data and "high" in data:
        return data["low"], data["high"]
    return None


def _plan_lines(t: Catalogue, plan: Mapping[str, Any]) -> dict[str, str]:
    lines: dict[str, str] = {}
    if sessions := _range(plan.get("sessions")):
        lines["sessions"] = t("results.sessions", low=_num(sessions[0]), high=_num(sessions[1]))
    if (interval := _range(plan.get("interval_weeks"))) and interval[1]:
        lines["interval"] = t("results.interval", low=_num(interval[0]), high=_num(interval[1]))
    maintenance = _range(plan.get("maintenance_interval_weeks"))
    if maintenance:
        lines["maintenance"] = t(
            "results.maintenance", low=_num(maintenance[0]), high=_num(maintenance[1])
        )
    elif plan.get("maintenance_known") is False:
        lines["maintenance"] = t("results.maintenance_unknown")
    else:
        lines["maintenance"] = t("results.no_maintenance")
    if plan.get("mode") == "daily_home":
        lines["daily_home"] = t("results.daily_home")
    if ttr := _range(plan.get("time_to_results_weeks")):
        lines["time_to_results"] = t("results.timeline_weeks", low=_num(ttr[0]), high=_num(ttr[1]))
    elif plan.get("timeline") is not None:
        lines["time_to_results"] = t("results.time_to_results_unknown")
    if isinstance(plan.get("duration_of_effect"), str) and plan["duration_of_effect"]:
        lines["lasts"] = t("results.lasts", text=plan["duration_of_effect"])
    return lines


def _cost_lines(t: Catalogue, cost: Mapping[str, Any]) -> dict[str, str]:
    lines: dict[str, str] = {}
    currency = str(cost.get("currency") or "")
    per = cost.get("price_per_session")
    if isinstance(per, Mapping) and "low" in per:
        unit = str(per.get("unit") or "session")
        lines["per_session"] = t(
            f"results.per_{unit if unit in ('month', 'syringe') else 'session'}",
            low=format_money(per.get("low"), currency),
            high=format_money(per.get("high"), currency),
        )
    first = cost.get("first_year")
    if isinstance(first, Mapping):
        lines["first_year"] = t(
            "results.first_year",
            expected=format_money(first.get("expected"), currency),
            low=format_money(first.get("low"), currency),
            high=format_money(first.get("high"), currency),
        )
    total = cost.get("horizon_total")
    if isinstance(total, Mapping):
        lines["horizon_total"] = t(
            "results.horizon_total",
            months=_num(cost.get("horizon_months", "")),
            expected=format_money(total.get("expected"), currency),
            low=format_money(total.get("low"), currency),
            high=format_money(total.get("high"), currency),
        )
    within = cost.get("within_budget")
    lines["budget"] = (
        t("results.budget_unknown")
        if within is None
        else t("results.budget_fits")
        if within
        else t("results.budget_not")
    )
    return lines


@dataclass(frozen=True)
class AssessmentView:
    """Everything a page or report needs to show one assessment."""

    options: tuple[OptionView, ...]
    recommended: str | None
    notices: tuple[dict[str, Any], ...]
    raw: Mapping[str, Any]

    @property
    def ranked(self) -> tuple[OptionView, ...]:
        return tuple(sorted((o for o in self.options if o.ranked), key=lambda o: o.rank or 0))

    @property
    def unranked(self) -> tuple[OptionView, ...]:
        return tuple(o for o in self.options if not o.ranked)

    @property
    def recommended_option(self) -> OptionView | None:
        return next((o for o in self.options if o.id == self.recommended), None)

    @property
    def source_ids(self) -> tuple[str, ...]:
        """Every bibliography id cited anywhere in the assessment, in first-seen order."""
        seen: dict[str, None] = {}
        _collect_sources(self.raw, seen)
        return tuple(seen)

    def percent(self, option: OptionView, key: str) -> int | None:
        """A cost-model probability (0..1) as a whole number out of 100, or None."""
        value = option.cost.get(key)
        if isinstance(value, int | float):
            return round(float(value) * 100)
        return None


def _come_back(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """When to come back, from the option or its deferring reasons (no repeats)."""
    found: dict[str, None] = {}
    values = raw.get("come_back") or []
    for item in [values] if isinstance(values, str) else values:
        if isinstance(item, str) and item:
            found.setdefault(item, None)
    for reason in raw.get("reasons") or ():
        text = reason.get("come_back") if isinstance(reason, Mapping) else None
        if isinstance(text, str) and text:
            found.setdefault(text, None)
    return tuple(found)


def _collect_sources(node: object, seen: dict[str, None]) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "sources" and isinstance(value, Sequence) and not isinstance(value, str):
                for item in value:
                    if isinstance(item, str):
                        seen.setdefault(item, None)
            else:
                _collect_sources(value, seen)
    elif isinstance(node, Sequence) and not isinstance(node, str):
        for item in node:
            _collect_sources(item, seen)


def build_view(assessment: object, locale: str = "en") -> AssessmentView:
    """Prepare an assessment for display."""
    t = catalogue(locale)
    data = assessment_dict(assessment)
    options = []
    for raw in data.get("options", []):
        tid = str(raw.get("treatment"))
        plan = raw.get("plan") or {}
        cost = raw.get("cost") or {}
        certainty = str(raw.get("certainty") or "very_low")
        eligibility = str(raw.get("eligibility") or "eligible")
        lines = {**_plan_lines(t, plan), **_cost_lines(t, cost)}
        options.append(
            OptionView(
                id=tid,
                name=t(f"option.{tid}") if t.has(f"option.{tid}") else tid,
                short=t(f"option_short.{tid}") if t.has(f"option_short.{tid}") else tid,
                eligibility=eligibility,
                eligibility_text=t(f"eligibility.{eligibility}"),
                reasons=tuple(raw.get("reasons") or ()),
                rank=raw.get("rank"),
                score=raw.get("score"),
                why=tuple(raw.get("why") or ()),
                certainty=certainty,
                certainty_text=t(f"certainty.{certainty}"),
                plan=plan,
                cost=cost,
                lines=lines,
                benefits=tuple(raw.get("benefits") or ()),
                harms=tuple(raw.get("harms") or ()),
                unknowns=tuple(raw.get("unknowns") or ()),
                come_back=_come_back(raw),
                notes=tuple(n for n in raw.get("notes") or () if isinstance(n, Mapping)),
            )
        )
    options.sort(key=lambda o: TREATMENT_ORDER.index(o.id) if o.id in TREATMENT_ORDER else 99)
    return AssessmentView(
        options=tuple(options),
        recommended=data.get("recommended"),
        notices=tuple(n for n in data.get("notices") or () if n.get("code") not in SHOWN_ELSEWHERE),
        raw=data,
    )
