"""Plain language: what people read first is written for about a grade-8 reading level.

Measured with textstat's Flesch-Kincaid grade (an external formula). textstat normally counts
syllables with NLTK's CMU dictionary, which it downloads on first use; tests run offline, so
syllables are counted with textstat's own Pyphen fallback (as in tests/web).

Checked: condition descriptions, natural course and conventional care; option summaries;
screening-rule texts (shown as reasons). Each text must be at grade 9 or below, and their
average at grade 8 or below. Medical names (finasteride, hyaluronic) push single texts up,
hence the one-grade margin for single texts.
"""

from __future__ import annotations

import statistics

import pytest
import textstat
import textstat.backend.counts._count_syllables as syllables

from regenaid.knowledge import KnowledgeBase, load_knowledge

MAX_SINGLE = 9.0
MAX_AVERAGE = 8.0


@pytest.fixture(autouse=True)
def _offline_syllables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(syllables, "get_cmudict", lambda lang: None)
    syllables.count_syllables.cache_clear()


def _texts(kb: KnowledgeBase) -> dict[str, str]:
    texts: dict[str, str] = {}
    for c in kb.conditions.values():
        texts[f"{c.id}.plain_description"] = c.plain_description
        texts[f"{c.id}.natural_course"] = c.natural_course.text
        texts[f"{c.id}.conventional_care"] = c.conventional_care.text
    for t in kb.treatments.values():
        texts[f"{t.id}.summary"] = t.summary
    for i, rule in enumerate(kb.contraindications):
        texts[f"rule[{i}] {rule.code}/{rule.level}"] = rule.said_about()[0]  # with every note
    return texts


def test_plain_texts_are_about_grade_8() -> None:
    texts = _texts(load_knowledge())
    grades = {name: float(textstat.flesch_kincaid_grade(text)) for name, text in texts.items()}
    too_hard = {name: round(g, 1) for name, g in grades.items() if g > MAX_SINGLE}
    assert too_hard == {}
    average = statistics.mean(grades.values())
    print(f"knowledge texts: {len(grades)}, mean Flesch-Kincaid grade {average:.1f}")
    assert average <= MAX_AVERAGE
