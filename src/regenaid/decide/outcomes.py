"""What each option is likely to do: the outcome table (a GRADE-style summary of findings).

For one condition and option, :func:`outcome_rows` gives five cells in a fixed order
(:data:`~regenaid.knowledge.model.OUTCOME_KEYS`): visible improvement, the measured change,
common side effects, serious harms and how long it lasts. Each cell is, in this order:

1. the first row of ``outcomes.yaml`` for the cell that applies to the person (their sex and
   severity: finasteride numbers are for men only, baricitinib numbers for severe disease);
2. derived from the knowledge base: the measured change from the option's evidence headline
   (a published review's or our own pooled effect, in one sentence), how long it lasts from
   the option's protocol; "no new treatment" causes no side effects (``not_applicable``);
3. otherwise "No study has measured this." with no certainty.

Unknown is never good news: a cell never says "no side effects" because nothing was counted.
A sentence drawn from a protocol's durability statement is rated very low certainty (no review
graded it). Pure and cached per (knowledge base, condition, option, sex, severity).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from regenaid.decide.results import OutcomeOut, Per100Out
from regenaid.decide.views import profile_for
from regenaid.evidence.profile import EvidenceProfile, plain_unit, ratio_words
from regenaid.knowledge import KnowledgeBase
from regenaid.knowledge.model import (
    OUTCOME_KEYS,
    OUTCOME_LABELS,
    Certainty,
    OutcomeKey,
    OutcomeRow,
    Per100,
    StudyOutcome,
    TreatmentId,
)
from regenaid.knowledge.outcomes_data import MAX_WORDS, word_count

CellStatus = Literal["measured", "not_measured", "not_applicable"]

NOT_MEASURED = "No study has measured this."
NOT_MEASURED_LASTING = "No study has measured how long it lasts."
NO_TREATMENT_TEXT: dict[str, str] = {
    "side_effects": "None from treatment: nothing is given.",
    "serious_harms": (
        "None from treatment; the risk is that the condition goes on (see visible improvement)."
    ),
    "lasting": "Nothing to wear off: no treatment is given.",
}
SINGLE_STUDIES = "Only single small studies so far; they could not be combined into one number."
# Comparators that are not a comparison group (before-after studies, reviews without one).
_NO_COMPARATOR = ("none", "n/a")


@dataclass(frozen=True, slots=True)
class OutcomeCell:
    """One cell of the outcome table. ``certainty`` is None exactly when nothing was measured
    (``status`` ``not_measured``) or the outcome does not apply (``not_applicable``)."""

    outcome: OutcomeKey
    label: str
    text: str
    certainty: Certainty | None
    sources: tuple[str, ...]
    status: CellStatus
    per_100: Per100 | None = None


def outcome_rows(
    kb: KnowledgeBase, condition: str, treatment: TreatmentId, sex: str, severity: str
) -> list[OutcomeCell]:
    """The five outcome cells of ``treatment`` for a person of ``sex`` with ``condition`` at
    ``severity``, in the fixed order of :data:`OUTCOME_KEYS`."""
    return list(_cells(kb, condition, treatment, sex, severity))


def outcome_outs(
    kb: KnowledgeBase, condition: str, treatment: TreatmentId, sex: str, severity: str
) -> list[OutcomeOut]:
    """:func:`outcome_rows` as the assessment's output records (cached)."""
    return list(_outs(kb, condition, treatment, sex, severity))


# Counted, not sized: one entry per (condition, option, sex, severity) of the knowledge base,
# a few short rows each.
@functools.lru_cache(maxsize=2048)
def _outs(
    kb: KnowledgeBase, condition: str, treatment: TreatmentId, sex: str, severity: str
) -> tuple[OutcomeOut, ...]:
    return tuple(_out(c) for c in _cells(kb, condition, treatment, sex, severity))


def _out(cell: OutcomeCell) -> OutcomeOut:
    per = cell.per_100
    return OutcomeOut(
        outcome=cell.outcome,
        label=cell.label,
        text=cell.text,
        certainty=cell.certainty,
        sources=list(cell.sources),
        status=cell.status,
        per_100=None
        if per is None
        else Per100Out(
            treated=per.treated, control=per.control, comparator=per.comparator, weeks=per.weeks
        ),
    )


@functools.lru_cache(maxsize=2048)
def _cells(
    kb: KnowledgeBase, condition: str, treatment: TreatmentId, sex: str, severity: str
) -> tuple[OutcomeCell, ...]:
    rows = kb.outcomes.get((condition, treatment), ())
    cells = []
    for key in OUTCOME_KEYS:
        row = next((r for r in rows if r.outcome == key and r.applies(sex, severity)), None)
        cells.append(
            _from_row(row)
            if row is not None
            else _derived(kb, condition, treatment, key, severity == "advanced")
        )
    return tuple(cells)


def _cell(
    key: OutcomeKey,
    text: str,
    certainty: Certainty | None,
    sources: tuple[str, ...] = (),
    per_100: Per100 | None = None,
    status: CellStatus | None = None,
) -> OutcomeCell:
    if status is None:
        status = "measured" if certainty is not None else "not_measured"
    return OutcomeCell(key, OUTCOME_LABELS[key], text, certainty, sources, status, per_100)


def _from_row(row: OutcomeRow) -> OutcomeCell:
    return _cell(row.outcome, row.text, row.certainty, row.sources, row.per_100)


def _not_measured(key: OutcomeKey) -> OutcomeCell:
    return _cell(key, NOT_MEASURED_LASTING if key == "lasting" else NOT_MEASURED, None)


def _derived(
    kb: KnowledgeBase, condition: str, treatment: TreatmentId, key: OutcomeKey, severe: bool
) -> OutcomeCell:
    # waiting gives no treatment harms, and nothing wears off unless the condition improves by
    # itself (then its protocol says how long the natural improvement lasts)
    if (
        treatment == "no_treatment"
        and key in NO_TREATMENT_TEXT
        and (key != "lasting" or kb.protocol(treatment, condition) is None)
    ):
        return _cell(key, NO_TREATMENT_TEXT[key], None, status="not_applicable")
    if key == "measure" and treatment != "no_treatment":
        return _measure(kb, condition, treatment, severe)
    if key == "lasting":
        return _lasting(kb, condition, treatment)
    return _not_measured(key)


# --- the measured change, from the evidence headline ---------------------------------------


def _measure(
    kb: KnowledgeBase, condition: str, treatment: TreatmentId, severe: bool
) -> OutcomeCell:
    if not any(s.condition == condition and s.treatment == treatment for s in kb.studies):
        return _not_measured("measure")
    profile = profile_for(kb, condition, treatment, severe)
    for text, certainty, sources in _effect_sentences(profile):
        if word_count(text) <= MAX_WORDS:
            return _cell("measure", text, certainty, sources)
    return _cell("measure", SINGLE_STUDIES, profile.certainty, profile.sources)


def _effect_sentences(
    profile: EvidenceProfile,
) -> list[tuple[str, Certainty, tuple[str, ...]]]:
    """Candidate sentences for the measured change, best first: the headline review, our own
    pool, then other published results with a number and a comparison group (rated first)."""
    out: list[tuple[str, Certainty, tuple[str, ...]]] = []
    review = profile.headline_review
    if review is not None and (text := _review_sentence(review)):
        out.append((text, profile.certainty, review.sources))
    pooled = profile.pooled
    if pooled is not None and pooled.measure in ("MD", "SMD"):
        text = _md_sentence(
            pooled.estimate, pooled.ci_lb, pooled.ci_ub, pooled.unit, pooled.comparator, pooled.k
        )
        out.append((text, profile.certainty, profile.sources))
    others = sorted(
        (s for s in profile.published if s is not review),
        key=lambda s: s.published_certainty is None,
    )
    for s in others:
        if (text := _review_sentence(s)) is not None:
            out.append((text, s.published_certainty or profile.certainty, s.sources))
    return out


def _review_sentence(s: StudyOutcome) -> str | None:
    measure = s.extra.get("measure", "")
    if s.effect is None or s.ci_low is None or s.ci_high is None:
        return None
    if s.comparator.lower().startswith(_NO_COMPARATOR):
        return None
    k = int(s.extra["k_studies"]) if s.extra.get("k_studies", "").isdigit() else None
    if measure in ("MD", "SMD"):
        return _md_sentence(s.effect, s.ci_low, s.ci_high, s.unit, s.comparator, k)
    if measure in ("RR", "OR", "RD"):
        return _ratio_sentence(measure, s.outcome, s.effect, s.ci_low, s.ci_high, s.comparator)
    return None


def _num(x: float) -> str:
    if abs(x) >= 1:
        return f"{x:.1f}".removesuffix(".0")
    return f"{x:.2f}"


def _comparator(text: str) -> str:
    low = text.lower()
    if "saline" in low:
        return "salt-water injections"
    if "placebo" in low:
        return "placebo"
    if "vehicle" in low or "plain cream" in low:
        return "a plain cream"
    return text.split(" (")[0]


def _md_sentence(
    est: float, lb: float, ub: float, unit: str, comparator: str, k: int | None
) -> str:
    more = "more" if est >= 0 else "fewer"
    studies = f", in {k} studies" if k else ""
    return (
        f"About {_num(abs(est))} {plain_unit(unit)} {more} than with {_comparator(comparator)} "
        f"(could be {_num(lb)} to {_num(ub)}){studies}."
    )


def _ratio_sentence(
    measure: str, outcome: str, est: float, lb: float, ub: float, comparator: str
) -> str:
    """A published RR, OR or RD against its comparator, in the evidence summaries' words."""
    return f"Compared with {_comparator(comparator)}, {ratio_words(measure, outcome, est, lb, ub)}"


def _lasting(kb: KnowledgeBase, condition: str, treatment: TreatmentId) -> OutcomeCell:
    protocol = kb.protocol(treatment, condition)
    if protocol is None or "not known" in protocol.duration_of_effect.lower():
        return _not_measured("lasting")
    text = protocol.duration_of_effect
    if word_count(text) > MAX_WORDS:
        first = text.split(". ")[0].rstrip(".") + "."
        if word_count(first) > MAX_WORDS:
            return _not_measured("lasting")
        text = first
    return _cell("lasting", text, Certainty.VERY_LOW, protocol.sources)
