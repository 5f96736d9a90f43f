"""A read-only view of an assessment (CONTRACT §2) shaped for templates and reports.

Works from the assessment's JSON form, so a result saved months ago renders the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from regenaid.reports.i18n import Catalogue, catalogue, certainty_key

# Notices the pages already state in their own words (the "not a prescription" line).
SHOWN_ELSEWHERE = frozenset({"decision_aid"})
TREATMENT_ORDER = ("prp", "exosome", "combination", "conventional", "no_treatment")
# Regulatory statuses that need no word of warning beside "not ruled out by your answers";
# every other status (not_approved, off_label, not_verified, varies_by_product,
# regulated_procedure, check_local_rules, unknown, any new one) gets its caveat there.
REGULATORY_CLEAR = frozenset({"approved", "licensed_medicines", "not_applicable"})
REGULATORY_UNKNOWN = frozenset({"check_local_rules", "unknown"})
# Screening can rule an option out; it cannot show that an option is safe or allowed.
OPEN_ELIGIBILITIES = frozenset({"eligible", "caution"})
_CAVEAT_LONG = 140  # a chosen sentence longer than this is cut to its clause
# "no FDA-approved", "not licensed", "could not verify", "none is approved", "found no exosome
# medicine approved": a negation within a few words of an approval word.
_SAYS_UNAPPROVED = re.compile(
    r"\b(?:no|not|none|never|nor|cannot)\b(?:\W+[\w'-]+){0,4}?\W+[\w-]*"
    r"(?:approv|licen[cs]|authori[sz]|verif|cleared|permitted|allowed)",
    re.IGNORECASE,
)


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


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip()) if s.strip()]


def _clauses(sentence: str) -> list[str]:
    return [c.strip() for c in re.split(r";\s+|:\s+", sentence.rstrip(".!? ")) if c.strip()]


def _says_unapproved(part: str) -> bool:
    return bool(_SAYS_UNAPPROVED.search(re.sub(r"\s*\([^)]*\)", "", part)))


def regulatory_caveat(status: str, text: str) -> str | None:
    """The regulator's own words, shortened, to stand beside "Not ruled out by your answers"
    when an option is unapproved or restricted where the person lives (None when its status
    is clear, or when there is no text to quote).

    The sentence that says it is not approved (licensed, authorised, verified...) is preferred,
    else the first sentence; a long one is cut to its clause. Nothing is added to the words:
    the first letter is lowered (the sentence follows "but") and a full stop is kept. A
    ``check_local_rules`` text with no such sentence gives ``""``: the caller says "we have no
    information" in its own catalogue words.
    """
    if status in REGULATORY_CLEAR:
        return None
    sentences = _sentences(text)
    if not sentences:
        return "" if status in REGULATORY_UNKNOWN else None
    chosen = next((s for s in sentences if _says_unapproved(s)), None)
    if chosen is None and status in REGULATORY_UNKNOWN:
        return ""
    chosen = chosen or sentences[0]
    if len(chosen) > _CAVEAT_LONG:
        clauses = _clauses(chosen)
        if len(clauses) > 1:
            chosen = next((c for c in clauses if _says_unapproved(c)), clauses[0])
    chosen = chosen.rstrip(".!?;: ") + "."
    if len(chosen) > 1 and chosen[0].isupper() and chosen[1].islower():
        chosen = chosen[0].lower() + chosen[1:]
    return chosen


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
    notes: tuple[Mapping[str, Any], ...] = ()
    regulatory: Mapping[str, Any] = field(default_factory=dict)
    # "— but there are no FDA-approved exosome products." beside the eligibility words of an
    # option the answers do not rule out that is unapproved or restricted where the person
    # lives ("" when there is nothing to add).
    caveat: str = ""

    @property
    def ranked(self) -> bool:
        return self.rank is not None

    @property
    def eligibility_line(self) -> str:
        """The eligibility words with the regulatory caveat, as one line (CLI, plain text)."""
        return f"{self.eligibility_text} {self.caveat}" if self.caveat else self.eligibility_text

    @property
    def eligibility_class(self) -> str:
        """CSS class suffix: ``restricted`` for an eligible option with a regulatory caveat
        (never the green "eligible" look), else the eligibility itself."""
        return "restricted" if self.caveat and self.eligibility == "eligible" else self.eligibility

    @property
    def caveat_sources(self) -> tuple[str, ...]:
        sources = self.regulatory.get("sources") if self.caveat else None
        return tuple(s for s in sources or () if isinstance(s, str))

    @property
    def blocked(self) -> bool:
        return self.eligibility in {"contraindicated", "defer"}


def _range(data: object) -> tuple[object, object] | None:
    if isinstance(data, Mapping) and "low" in data and "high" in data:
        return data["low"], data["high"]
    return None


def _span(t: Catalogue, low: object, high: object) -> str:
    """'4' when both ends are the same, else '4 to 6'."""
    return (
        _num(low) if _num(low) == _num(high) else t("results.span", low=_num(low), high=_num(high))
    )


def _plan_lines(t: Catalogue, plan: Mapping[str, Any]) -> dict[str, str]:
    """The plan in short labelled lines. ``time_to_results`` is the bare span, for lists that
    name the option and the question already; ``results_after`` says what the weeks are."""
    lines: dict[str, str] = {}
    if sessions := _range(plan.get("sessions")):
        lines["sessions"] = t("results.sessions", span=_span(t, *sessions))
    if (interval := _range(plan.get("interval_weeks"))) and interval[1]:
        lines["interval"] = t("results.interval", span=_span(t, *interval))
    maintenance = _range(plan.get("maintenance_interval_weeks"))
    if maintenance:
        lines["maintenance"] = t("results.maintenance", span=_span(t, *maintenance))
    elif plan.get("maintenance_known") is False:
        lines["maintenance"] = t("results.maintenance_unknown")
    else:
        lines["maintenance"] = t("results.no_maintenance")
    if plan.get("mode") == "daily_home":
        # daily care at home: the visits are reviews, never "sessions" or "top-up sessions"
        lines["daily_home"] = t("results.daily_home")
        if sessions := _range(plan.get("sessions")):
            lines["sessions"] = t("results.review_visits", span=_span(t, *sessions))
        lines.pop("interval", None)
        if maintenance:
            lines["maintenance"] = t("results.review_every", span=_span(t, *maintenance))
        else:
            lines.pop("maintenance", None)
    if ttr := _range(plan.get("time_to_results_weeks")):
        lines["time_to_results"] = t("results.timeline_weeks", span=_span(t, *ttr))
        lines["results_after"] = t("results.results_after", span=_span(t, *ttr))
    elif plan.get("timeline") is not None:
        lines["time_to_results"] = t("results.time_to_results_unknown")
        lines["results_after"] = t("results.results_after_unknown")
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
        if per.get("basis"):
            lines["per_session"] += f" ({per['basis']})"
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
        t("results.budget_not_compared")
        if within is None and cost.get("budget_not_compared")
        else t("results.budget_unknown")
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
    def recommended_key(self) -> str:
        """The string key of the best-fit line: "what you said matters" only when the person
        rated a priority (else the ranking rests on the evidence and their answers alone)."""
        rated = self.raw.get("priorities_rated")
        return "results.recommended" if rated else "results.recommended_unrated"

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


def option_caveat(t: Catalogue, eligibility: str, regulatory: object) -> str:
    """The words to add after an open option's eligibility (see :func:`regulatory_caveat`)."""
    if eligibility not in OPEN_ELIGIBILITIES or not isinstance(regulatory, Mapping):
        return ""
    status, text = regulatory.get("status"), regulatory.get("text")
    if not isinstance(status, str):
        return ""
    words = regulatory_caveat(status, text if isinstance(text, str) else "")
    if words is None:
        return ""
    return t(f"eligibility_caveat.{eligibility}", text=words or t("eligibility_caveat.unknown"))


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
                eligibility=eligibility,
                eligibility_text=t(
                    "eligibility.not_permitted"
                    if any(r.get("code") == "not_permitted_here" for r in raw.get("reasons") or ())
                    else f"eligibility.{eligibility}"
                ),
                reasons=tuple(raw.get("reasons") or ()),
                rank=raw.get("rank"),
                score=raw.get("score"),
                why=tuple(raw.get("why") or ()),
                certainty=certainty,
                certainty_text=t(certainty_key(tid, certainty)),
                plan=plan,
                cost=cost,
                lines=lines,
                benefits=tuple(raw.get("benefits") or ()),
                harms=tuple(raw.get("harms") or ()),
                unknowns=tuple(raw.get("unknowns") or ()),
                come_back=_come_back(raw),
                notes=tuple(n for n in raw.get("notes") or () if isinstance(n, Mapping)),
                regulatory=raw.get("regulatory") or {},
                caveat=option_caveat(t, eligibility, raw.get("regulatory")),
            )
        )
    options.sort(key=lambda o: TREATMENT_ORDER.index(o.id) if o.id in TREATMENT_ORDER else 99)
    return AssessmentView(
        options=tuple(options),
        recommended=data.get("recommended"),
        notices=tuple(n for n in data.get("notices") or () if n.get("code") not in SHOWN_ELSEWHERE),
        raw=data,
    )
