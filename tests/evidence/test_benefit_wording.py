"""What the aid says about PRP, exosomes and the combination says what the sources say.

An odds ratio multiplies the odds, not the chance; telogen-effluvium PRP evidence is from chronic
shedding; our own arithmetic is never presented as a published figure; and profile summaries
word ratios correctly for every (condition, treatment) pair of the shipped table.
"""

from __future__ import annotations

import re

import pytest
import yaml

from regenaid.evidence.profile import evidence_profile
from regenaid.knowledge.model import CONDITIONS_BY_CONCERN, TREATMENT_IDS, Source
from regenaid.knowledge.studies import STUDIES_CSV, load_studies

# Read the two files directly (not the whole knowledge base), so these checks do not depend on
# the other data files.
DATA = STUDIES_CSV.parent
TREATMENTS = {t["id"]: t for t in yaml.safe_load((DATA / "treatments.yaml").read_text())}
_SOURCES = [
    e
    for path in sorted((DATA / "sources").glob("*.yaml"))
    for e in yaml.safe_load(path.read_text(encoding="utf-8")) or []
]
STUDIES = load_studies(STUDIES_CSV, {e["id"]: Source(**e) for e in _SOURCES})
OURS = ("prp", "exosome", "combination")


def _lines(treatment: str) -> list[str]:
    t = TREATMENTS[treatment]
    return [" ".join(c["text"].split()) for c in (*t["benefits"], *t["uncertainties"])]


@pytest.mark.parametrize("treatment", OURS)
def test_no_odds_ratio_is_worded_as_times_as_likely(treatment: str) -> None:
    for text in _lines(treatment):
        if "odds" in text:
            assert "likely" not in text, text
        assert "-fold" not in text, text


def test_prp_acne_line_quotes_kang_2022_as_an_odds_ratio() -> None:
    # https://frontiersin.org/articles/10.3389/fmed.2021.788754/full : "odds ratio (OR): 2.97"
    (line,) = [t for t in _lines("prp") if t.startswith("Acne scars")]
    assert "odds ratio 2.97" in line and "not randomised" in line


def test_prp_hair_line_matches_the_published_pooled_differences() -> None:
    # Cruciani 2021 Table II: MD 25.6 (https://pmc.ncbi.nlm.nih.gov/articles/PMC9918380/table/
    # tII-blt-21-024); Kieling 2024: MD 27.55 (/work/shared/evidence PRP-01). Rounded: 26 to 28.
    (line,) = [t for t in _lines("prp") if t.startswith("Pattern hair loss")]
    assert "about 26 to 28 more hairs" in line
    assert round(25.6) == 26 and round(27.55) == 28


def test_telogen_effluvium_evidence_is_from_chronic_shedding() -> None:
    # https://ijdvl.com/?p=22802 : "30 female patients with chronic telogen effluvium".
    lines = [t for t in _lines("prp") if "effluvium" in t]
    assert lines and all("chronic" in t.lower() for t in lines)
    assert not any(t.lower().startswith("sudden shedding") for t in lines)


def test_alam_primary_outcome_is_said_before_the_self_ratings() -> None:
    (line,) = [t for t in _lines("prp") if t.startswith("Ageing facial skin")]
    assert line.index("saw no difference") < line.index("rated texture")


def test_exosome_lines_say_women_were_not_studied_separately() -> None:
    (line,) = [t for t in _lines("exosome") if t.startswith("Women:")]
    assert "in men" in line and "both sexes" in line


@pytest.mark.parametrize("treatment", OURS)
def test_no_line_calls_our_arithmetic_a_published_finding(treatment: str) -> None:
    for text in _lines(treatment):
        assert "published finding" not in text.lower()


CONDITIONS = [c for cs in CONDITIONS_BY_CONCERN.values() for c in cs]


@pytest.mark.parametrize("condition", CONDITIONS)
@pytest.mark.parametrize("treatment", TREATMENT_IDS)
def test_profile_summaries_word_ratios_correctly(condition: str, treatment: str) -> None:
    p = evidence_profile(STUDIES, condition, treatment)  # type: ignore[arg-type]
    text = p.summary
    assert "-fold" not in text
    assert "published finding" not in text.lower()
    if "odds" in text:
        assert not re.search(r"odds[^.]*times as likely", text), text
    if p.pooled is not None:
        assert p.pooled.k >= 3
