"""Read and validate ``outcomes.yaml``: the summary-of-findings cells written by hand.

Each entry is one cell of the outcome table (condition, option, outcome) in plain words::

    - condition: female_pattern_hair_loss      # one condition id, or a list of them
      treatment: conventional
      outcome: improvement                     # improvement | measure | side_effects |
                                               # serious_harms | lasting
      text: About 26 in 100 women on minoxidil ...   # one sentence, at most 25 words
      certainty: moderate                      # high | moderate | low | very_low | none
      sources: [st-van-zuuren-2016]
      per_100: {treated: 26, control: 14, comparator: placebo, weeks: null}   # optional
      sexes: [female]                          # optional: only for these people
      severities: [advanced]                   # optional: only at these severities
      verification: "157/593 ... 77/555 ..."   # the words and numbers read on the page

``certainty: none`` means nothing was measured; the text must then say so ("No study ...",
"not known"). A row with ``per_100`` quotes its ``treated`` number in its text, so the words
and the icon array cannot drift apart. Rows for the same cell are tried in file order and the
first that applies to the person wins, so rows limited by ``sexes`` or ``severities`` come
before the general row. Errors name the file, the entry and the field, as for every data file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import cast

from regenaid.knowledge._fields import EntryReader
from regenaid.knowledge.model import (
    CONDITIONS_BY_CONCERN,
    OUTCOME_KEYS,
    SEXES,
    TREATMENT_IDS,
    Certainty,
    Condition,
    OutcomeKey,
    OutcomeRow,
    Per100,
    Source,
    TreatmentId,
)

FILE = "outcomes.yaml"
MAX_WORDS = 25
CERTAINTIES: tuple[str, ...] = (*(c.value for c in Certainty), "none")
SEVERITIES: tuple[str, ...] = ("mild", "moderate", "advanced")
ALL_CONDITIONS: tuple[str, ...] = tuple(c for cs in CONDITIONS_BY_CONCERN.values() for c in cs)
# How a cell with nothing measured must say so (lower case).
NOT_MEASURED_WORDS: tuple[str, ...] = ("no study", "not known", "not measured")
_PER_100_KEYS = frozenset({"treated", "control", "comparator", "weeks"})

OutcomeTable = dict[tuple[str, TreatmentId], tuple[OutcomeRow, ...]]


def word_count(text: str) -> int:
    """Words as a reader counts them: runs of characters between spaces."""
    return len(text.split())


def read_outcome_rows(
    entries: Sequence[object],
    known: frozenset[str],
    sources: Mapping[str, Source],
    conditions: Mapping[str, Condition],
) -> OutcomeTable:
    """The rows of ``outcomes.yaml`` keyed by (condition, treatment), in file order."""
    table: dict[tuple[str, TreatmentId], list[OutcomeRow]] = {}
    for i, item in enumerate(entries):
        r = EntryReader(FILE, _entry_name(item, i), item, known)
        for row in _read_row(r, sources, conditions):
            cell = table.setdefault((row.condition, row.treatment), [])
            _check_order(r, row, cell)
            cell.append(row)
    return {key: tuple(rows) for key, rows in table.items()}


def _entry_name(item: object, index: int) -> str:
    if isinstance(item, Mapping):
        condition = item.get("condition")
        where = ",".join(map(str, condition)) if isinstance(condition, list) else condition
        return f"{where}/{item.get('treatment')}/{item.get('outcome')}"
    return f"#{index + 1}"


def _conditions(r: EntryReader) -> tuple[str, ...]:
    raw = r.raw("condition")
    values = raw if isinstance(raw, list) else [raw]
    if not values:
        raise r.error("condition", "must not be empty")
    out: list[str] = []
    for value in values:
        if value not in ALL_CONDITIONS:
            raise r.error(
                "condition", f"{value!r} is not allowed (allowed: {', '.join(ALL_CONDITIONS)})"
            )
        if value in out:
            raise r.error("condition", f"{value!r} is listed twice")
        out.append(cast(str, value))
    return tuple(out)


def _read_row(
    r: EntryReader, sources: Mapping[str, Source], conditions: Mapping[str, Condition]
) -> list[OutcomeRow]:
    where = _conditions(r)
    treatment = r.choice("treatment", TREATMENT_IDS)
    outcome: OutcomeKey = r.choice("outcome", OUTCOME_KEYS)
    text = r.text("text")
    level = r.choice("certainty", CERTAINTIES)
    certainty = None if level == "none" else Certainty(level)
    cited = r.sources()
    per_100 = _per_100(r)
    sexes = r.opt_choices("sexes", SEXES)
    severities = r.opt_choices("severities", SEVERITIES)
    verification = r.text("verification")
    r.finish()
    if word_count(text) > MAX_WORDS:
        raise r.error("text", f"has {word_count(text)} words; at most {MAX_WORDS} (one sentence)")
    if all(sources[s].is_marketing for s in cited):
        raise r.error("sources", "cites only marketing sources; an outcome needs evidence")
    if certainty is None:
        if not any(w in text.lower() for w in NOT_MEASURED_WORDS):
            raise r.error(
                "text",
                "certainty none means nothing was measured; the text must say so "
                f"(with one of: {', '.join(NOT_MEASURED_WORDS)})",
            )
        if per_100 is not None:
            raise r.error("per_100", "numbers need a certainty (certainty is none)")
    if per_100 is not None and not re.search(rf"\b{per_100.treated}\b", text):
        raise r.error("text", f"must quote the per_100 treated number {per_100.treated}")
    for condition in where:
        if treatment not in conditions[condition].treatments:
            raise r.error("treatment", f"{condition} does not list this option")
    return [
        OutcomeRow(
            condition=condition,
            treatment=treatment,
            outcome=outcome,
            text=text,
            certainty=certainty,
            sources=cited,
            verification=verification,
            per_100=per_100,
            sexes=sexes,
            severities=severities,
        )
        for condition in where
    ]


def _per_100(r: EntryReader) -> Per100 | None:
    raw = r.raw("per_100", required=False)
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not set(raw) <= _PER_100_KEYS or "treated" not in raw:
        raise r.error(
            "per_100", "must be a mapping with 'treated' (and optional control, comparator, weeks)"
        )
    treated = _count(r, "per_100.treated", raw.get("treated"))
    if treated is None:
        raise r.error("per_100.treated", "is required")
    control = _count(r, "per_100.control", raw.get("control"))
    comparator = raw.get("comparator")
    if comparator is not None and (not isinstance(comparator, str) or not comparator.strip()):
        raise r.error("per_100.comparator", "must be text, e.g. placebo")
    if control is not None and comparator is None:
        raise r.error("per_100.comparator", "say what the control group had (e.g. placebo)")
    weeks = raw.get("weeks")
    if weeks is not None and (isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1):
        raise r.error("per_100.weeks", "must be a whole number of weeks (1 or more) or null")
    return Per100(treated, control, comparator, weeks)


def _count(r: EntryReader, field: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise r.error(field, f"{value!r} must be a whole number of people from 0 to 100")
    return value


def _check_order(r: EntryReader, row: OutcomeRow, earlier: Sequence[OutcomeRow]) -> None:
    """A row after a general row for the same cell could never be chosen."""
    for other in earlier:
        if other.outcome != row.outcome:
            continue
        if (other.sexes, other.severities) == (row.sexes, row.severities):
            raise r.error("outcome", f"duplicate row for {row.condition}/{row.outcome}")
        if not other.sexes and not other.severities:
            raise r.error(
                "sexes",
                f"a general row for {row.condition}/{row.outcome} comes first; put rows "
                "limited by sexes or severities before it",
            )
