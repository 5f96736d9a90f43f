"""The Option Grid: rows are the questions people ask, columns are the condition's options.

Each cell answers one question for one option, with its sources, the certainty of evidence
where that applies (the "evidence" row), every claim sources make on that question (labelled
as claims), and ``disagreement``: the claims that do not agree, each with its sources.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from regenaid.decide.disagreements import find_disagreements
from regenaid.decide.results import ClaimOut
from regenaid.decide.views import LEAD_WORDS, claim_out, lead_sentence, price_basis, profile_for
from regenaid.errors import InvalidInputError
from regenaid.knowledge import KnowledgeBase
from regenaid.knowledge.model import (
    TREATMENT_IDS,
    Certainty,
    CitedText,
    Condition,
    FirstLineCare,
    GridRow,
    PriceRange,
    Protocol,
    Range,
    TreatmentId,
)

# Claim topics that answer each of the grid's questions.
ROW_TOPICS: dict[str, tuple[str, ...]] = {
    "material": ("mechanism", "consistency"),
    "procedure": ("invasiveness",),
    "sessions": ("sessions", "interval", "maintenance"),
    "time_to_results": ("time_to_results",),
    "duration": ("duration",),
    "side_effects": ("safety", "side_effects"),
    "cost": ("price",),
    "evidence": ("efficacy",),
    "regulatory": ("regulatory",),
}


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GridOption(_Out):
    treatment: TreatmentId
    name: str


class GridCell(_Out):
    """One option's answer to one question."""

    treatment: TreatmentId
    lead: str  # one plain sentence of at most 25 words; the whole answer is ``text``
    text: str
    sources: list[str]
    certainty: Certainty | None = None
    claims: list[ClaimOut] = []
    disagreement: list[ClaimOut] = []


class GridRowOut(_Out):
    id: str
    question: str
    help: str
    cells: list[GridCell]


class OptionGrid(_Out):
    """Rows x options for one condition (and jurisdiction, for the regulatory row)."""

    contract: str = "regenaid.grid/1"
    condition: str
    condition_name: str
    concern: str
    jurisdiction: str | None
    options: list[GridOption]
    rows: list[GridRowOut]


def _span(r: Range) -> str:
    lo, hi = f"{r.low:g}", f"{r.high:g}"
    return lo if lo == hi else f"{lo} to {hi}"


def _join(items: Sequence[CitedText]) -> tuple[str, list[str]]:
    text = " ".join(c.text.rstrip(".") + "." for c in items)
    sources: list[str] = []
    for c in items:
        sources.extend(s for s in c.sources if s not in sources)
    return text, sources


def _answer(
    kb: KnowledgeBase,
    condition: Condition,
    treatment: TreatmentId,
    row: GridRow,
    jurisdiction: str | None,
) -> tuple[str, list[str], Certainty | None]:
    """The cell's text, sources and (for the evidence row) certainty."""
    t = kb.treatments[treatment]
    protocol = kb.protocol(treatment, condition.id)
    nothing = treatment == "no_treatment"
    if row.id == "material":
        if treatment == "conventional" and condition.id in kb.first_line:
            return _first_line_parts(kb.first_line[condition.id])
        if treatment == "conventional":
            care = condition.conventional_care
            return care.text, list(care.sources), None
        text, sources = t.material.text, list(t.material.sources)
        for variant in t.variants:
            known, known_src = _join(variant.known)
            unknown, unknown_src = _join(variant.unknown)
            text += f" {variant.name}: known: {known or 'little'} Not known: {unknown or '-'}"
            sources.extend(s for s in known_src + unknown_src if s not in sources)
        return text, sources, None
    if row.id == "procedure":
        if treatment == "conventional":
            care = condition.conventional_care
            return care.text, list(care.sources), None
        if not t.steps:
            return t.summary, list(t.sources), None
        text, sources = _join(t.steps)
        return text, sources, None
    if row.id == "sessions":
        if nothing or protocol is None:
            return "None.", [], None
        # the protocol's note says where the schedule comes from (borrowed from another
        # condition or treatment, not verified in the sources), so the cited sources are never
        # read as trials of this schedule; the lead stays the schedule itself
        text = sessions_text(protocol)
        if protocol.note:
            text += f" {protocol.note}"
        return text, list(protocol.sources), None
    if row.id == "time_to_results":
        if nothing or protocol is None:
            course = condition.natural_course
            return course.text, list(course.sources), None
        if protocol.time_to_results_weeks is None:
            return (
                "Not known: no study of this option for this condition measured it.",
                list(protocol.sources),
                None,
            )
        return (
            f"About {_span(protocol.time_to_results_weeks)} weeks.",
            list(protocol.sources),
            None,
        )
    if row.id == "duration":
        if nothing or protocol is None:
            course = condition.natural_course
            return course.text, list(course.sources), None
        return protocol.duration_of_effect, list(protocol.sources), None
    if row.id == "side_effects":
        if treatment == "conventional":
            usual = kb.first_line.get(condition.id)
            items = (
                condition.conventional_side_effects_common
                + condition.conventional_side_effects_serious
                + (usual.part_warnings() if usual else ())
            )
        else:
            items = tuple(
                h
                for h in t.side_effects_common + t.side_effects_serious
                if h.applies_to(condition.id)
            )
        if not items:
            return "None from treatment.", [], None
        text, sources = _join(items)
        return text, sources, None
    if row.id == "cost":
        price = kb.prices_for(treatment, None, condition.id)
        if price is None or (price.high == 0 and price.low == 0):
            return "No cost.", list(price.sources) if price else [], None
        return price_text(price), list(price.sources), None
    if row.id == "evidence":
        profile = profile_for(kb, condition.id, treatment)
        return profile.summary, list(profile.sources), profile.certainty
    if row.id == "regulatory":
        status = kb.regulatory_status(treatment, jurisdiction, condition.id)
        return status.text, list(status.sources), None
    claims = kb.claims_about(treatment, row.id, condition=condition.id)
    if claims:
        text, sources = _join([CitedText(c.text, c.sources) for c in claims])
        return text, sources, None
    return "No information.", [], None


def price_text(price: PriceRange) -> str:
    """E.g. 'USD 500 to 1,000 per syringe, 1 to 4 syringes a session (clinic prices, 2026).'"""
    text = f"{price.currency} {price.low:,.0f} to {price.high:,.0f} per {price.unit}"
    if price.per_session is not None:
        text += f", {_span(price.per_session).replace('-', ' to ')} syringes a session"
    label = price_basis(price)
    return f"{text} ({label})." if label else f"{text}."


def sessions_text(protocol: Protocol) -> str:
    """Sessions, interval and maintenance in words; daily home care and unknowns said so."""
    if protocol.mode == "daily_home":
        text = f"Used every day at home, with {_span(protocol.sessions)} review visits"
        if protocol.sessions.high > 1:
            text += f" {_span(protocol.interval_weeks)} weeks apart"
        if protocol.maintenance_interval_weeks is not None:
            text += f"; then a review every {_span(protocol.maintenance_interval_weeks)} weeks"
        return text + "."
    text = f"{_span(protocol.sessions)} sessions"
    if protocol.interval_weeks.high > 0:
        text += f", {_span(protocol.interval_weeks)} weeks apart"
    if protocol.maintenance_interval_weeks is not None:
        text += f"; then maintenance every {_span(protocol.maintenance_interval_weeks)} weeks"
    elif not protocol.maintenance_known:
        text += "; whether top-up sessions are needed later, and how often, is not known"
    return text + "."


def _first_line_parts(care: FirstLineCare) -> tuple[str, list[str], None]:
    """Usual first care as its parts: 'Minoxidil ...; Finasteride ... (for advanced ...)'."""
    parts = _part_names(care)
    sources = list(dict.fromkeys(s for c in care.components for s in c.sources))
    return "Usually: " + "; ".join(parts) + ".", sources, None


def _part_names(care: FirstLineCare) -> list[str]:
    when = {"severe": " (for severe disease)", "advanced": " (when it is advanced)"}
    return [f"{c.name}{when.get(c.role, '')}" for c in care.components]


def _lead(kb: KnowledgeBase, condition: str, treatment: TreatmentId, row: str, text: str) -> str:
    """The cell's lead sentence (<= 25 words). Usual care's parts are named until the words
    run out, then counted ("and 3 more"), so no part is cut in half."""
    care = kb.first_line.get(condition)
    if row == "material" and treatment == "conventional" and care is not None:
        parts = _part_names(care)
        for shown in range(len(parts), 0, -1):
            rest = len(parts) - shown
            lead = "Usually: " + "; ".join(parts[:shown])
            lead += f"; and {rest} more." if rest else "."
            if len(lead.split()) <= LEAD_WORDS:
                return lead
    if row == "evidence":  # the badge says how sure; the lead says what was found
        found = _cleaned(_REVIEW_PREFIX.sub("", _cleaned(text), count=1))
        return lead_sentence(found[:1].upper() + found[1:])
    return lead_sentence(text)


# "A published review of 13 studies (Kieling 2024) found that " and the like: who found it is
# in the sources and under "More"; the lead starts with the finding.
_REVIEW_PREFIX = re.compile(
    r"^A published (?:review|source|study)(?: of \d+ (?:studies|trials))?"
    r"(?: found that,?|:)\s+"
)


def _cleaned(text: str) -> str:
    return lead_sentence(text, limit=10_000)


def build_grid(kb: KnowledgeBase, condition: str, jurisdiction: str | None = None) -> OptionGrid:
    """The Option Grid of ``condition``; InvalidInputError for an unknown condition."""
    if condition not in kb.conditions:
        raise InvalidInputError(
            "condition", f"unknown condition {condition!r}", sorted(kb.conditions)
        )
    return _build_grid(kb, condition, jurisdiction)


# Counted, not sized: one grid per condition and jurisdiction, a few kB of text each.
@functools.lru_cache(maxsize=128)
def _build_grid(kb: KnowledgeBase, condition_id: str, jurisdiction: str | None) -> OptionGrid:
    condition = kb.conditions[condition_id]
    treatments = sorted(condition.treatments, key=TREATMENT_IDS.index)
    rows: list[GridRowOut] = []
    for row in kb.grid_rows_for(condition_id):
        cells: list[GridCell] = []
        for treatment in treatments:
            text, sources, certainty = _answer(kb, condition, treatment, row, jurisdiction)
            topics = ROW_TOPICS.get(row.id, (row.id,))
            claims = [
                c for c in kb.claims_about(treatment, condition=condition_id) if c.topic in topics
            ]
            disagreeing: list[ClaimOut] = []
            for d in find_disagreements(claims):
                disagreeing.extend(claim_out(c, kb) for c in d.claims)
            cells.append(
                GridCell(
                    treatment=treatment,
                    lead=_lead(kb, condition_id, treatment, row.id, text),
                    text=text,
                    sources=sources,
                    certainty=certainty,
                    claims=[claim_out(c, kb) for c in claims],
                    disagreement=disagreeing,
                )
            )
        rows.append(GridRowOut(id=row.id, question=row.question, help=row.help, cells=cells))
    return OptionGrid(
        condition=condition_id,
        condition_name=condition.name,
        concern=condition.concern,
        jurisdiction=jurisdiction,
        options=[GridOption(treatment=t, name=kb.treatments[t].name) for t in treatments],
        rows=rows,
    )
