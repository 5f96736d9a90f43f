"""Issue 9: one name per option everywhere (pages, why lines, cost sentences, charts, calendar
titles, PDF, CLI): the knowledge base, the shared labels and the page strings agree."""

from __future__ import annotations

from pathlib import Path

import regenaid
from regenaid.knowledge import load_knowledge
from regenaid.knowledge.model import TREATMENT_IDS, TREATMENT_LABELS
from regenaid.reports.i18n import catalogue


def test_every_place_uses_the_same_name() -> None:
    kb = load_knowledge()
    t = catalogue("en")
    for treatment in TREATMENT_IDS:
        names = {
            kb.treatments[treatment].name,
            TREATMENT_LABELS[treatment],
            t(f"option.{treatment}"),
        }
        assert len(names) == 1, (treatment, names)
    assert TREATMENT_LABELS["conventional"] == "Usual first care"


def test_no_other_names_in_the_page_strings_or_templates() -> None:
    """The old names ("Conventional care", "PRP + exosome", "PRP and exosomes together") are gone
    from the strings and templates people read."""
    root = Path(regenaid.__file__).parent
    files = [root / "reports" / "strings" / "en.yaml", *root.glob("**/templates/*.html")]
    old = (
        "Conventional care",
        "Conventional first-line care",
        "PRP + exosome",
        "exosomes together",
    )
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not [name for name in old if name in text], path
