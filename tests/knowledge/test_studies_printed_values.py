"""Rows added to the study table hold exactly the numbers printed by their cited sources.

The expected values below are copied from the pages cited next to them (external references),
not from our own output: if a row is edited, the test says which printed number it no longer
matches.
"""

from __future__ import annotations

import pytest
import yaml

from regenaid.evidence.profile import effect_and_variance, study_n
from regenaid.knowledge.model import Source, StudyOutcome
from regenaid.knowledge.studies import STUDIES_CSV, load_studies

SOURCES_YAML = STUDIES_CSV.parent / "sources" / "studies.yaml"


@pytest.fixture(scope="module")
def sources() -> dict[str, Source]:
    entries = yaml.safe_load(SOURCES_YAML.read_text(encoding="utf-8"))
    return {e["id"]: Source(**e) for e in entries}


@pytest.fixture(scope="module")
def rows(sources: dict[str, Source]) -> dict[str, StudyOutcome]:
    return {s.id: s for s in load_studies(STUDIES_CSV, sources)}


# Sharma S, Kaur T, Bassi R, split-face microneedling +/- PRP for acne scars, abstract at
# http://jpad.com.pk/index.php/jpad/article/view/1480 : "40 patients"; Goodman and Baron's
# grade "from 3.20±0.40 at baseline, to 2.13±0.56 at final treatment" (PRP side) and "from
# 3.20± 0.40 to 2.36±0.56 at final treatment" (microneedling + saline side).
SHARMA_PRINTED = {"n": 40, "prp": (2.13, 0.56), "control": (2.36, 0.56)}

# Shapiro 2020 (PMID 32653577) abstract: 35 participants; final density 170.96 ± 37.14 (PRP)
# vs 166.72 ± 37.13 hairs/cm2 (saline).
SHAPIRO_PRINTED = {"n": 35, "prp": (170.96, 37.14), "control": (166.72, 37.13)}

# Gentile 2017, Int J Mol Sci 18(2):408 (PMC5343942) abstract: "one population (18
# participants) received half-head treatment with ... A-PRP ... and the other half-head with
# placebo"; three months post-treatment, total hair density "(65 ± 5 hair cm2)" on the PRP half
# vs "density (1.9 ± 10.2 hair cm2)" on the placebo half (changes from baseline).
GENTILE_2017_PRINTED = {"n": 18, "prp": (65.0, 5.0), "control": (1.9, 10.2)}


@pytest.mark.parametrize(
    ("row_id", "printed"),
    [
        ("prp-acne-sharma-mn", SHARMA_PRINTED),
        ("prp-aga-shapiro-2020", SHAPIRO_PRINTED),
        ("prp-aga-gentile-2017", GENTILE_2017_PRINTED),
    ],
)
def test_per_arm_numbers_equal_the_printed_ones(
    rows: dict[str, StudyOutcome], row_id: str, printed: dict[str, object]
) -> None:
    s = rows[row_id]
    assert (s.treated.n, s.control.n) == (printed["n"], printed["n"])
    assert (s.treated.mean, s.treated.sd) == printed["prp"]
    assert (s.control.mean, s.control.sd) == printed["control"]
    assert s.extra["paired"] == "yes"  # split-face/split-scalp: each person counted once
    assert study_n(s) == printed["n"]


def test_sharma_mean_difference_from_the_printed_arms(rows: dict[str, StudyOutcome]) -> None:
    # MD = 2.13 - 2.36 = -0.23 grade (lower is better); vi = 0.56²/40 + 0.56²/40 = 0.01568
    # (independent-groups variance; the within-person correlation is not published).
    pair = effect_and_variance(rows["prp-acne-sharma-mn"])
    assert pair is not None
    assert pair[0] == pytest.approx(-0.23, abs=1e-12)
    assert pair[1] == pytest.approx(0.01568, abs=1e-12)


def test_sharma_row_is_flagged_as_non_randomised_and_indirect(
    rows: dict[str, StudyOutcome],
) -> None:
    s = rows["prp-acne-sharma-mn"]
    assert s.risk_of_bias == "high"
    assert "randomis" not in s.design.lower() and "rct" not in s.design.lower()
    assert s.extra["indirectness"] == "PRP added to microneedling"
    assert s.year is None and "year" in s.extra["verification"]


# Printed facts of the narrative rows (abstracts / summaries cited in each row's sources).
NARRATIVE_PRINTED: dict[str, tuple[int, tuple[str, ...]]] = {
    # Rodrigues 2019 abstract: "A total of 26 patients"; "hair count (P = .0016), hair
    # density (P = .012) and percentage of anagen hairs (P = .007)".
    "prp-aga-rodrigues-2019": (26, ("P=.0016", "P=.012", "P=.007")),
    # Qu 2021 abstract: "half-head study of 52 AGA patients"; improvement "at 6 month".
    "prp-aga-qu-2021": (52, ("6 months",)),
    # Siah 2020 abstract: "10 AGA affected patients"; density "+12.76%" vs placebo
    # "+0.99%"; calibre "-16.22% and -19.46%"; "NCT02074943".
    "prp-aga-siah-2020": (10, ("12.76%", "0.99%", "-16.22%", "-19.46%", "NCT02074943")),
    # Mapar 2016 summary: "19 men, but only 17 completed"; Cruciani 2021 Table I: 17 (AGA).
    "prp-aga-mapar-2016": (17, ("19 men enrolled, 17 completed",)),
    # Kachhawa 2017 summary: "50 male patients", "every 21 days for a total of six sessions".
    "prp-aga-kachhawa-2017": (50, ("every 21 days for 6 sessions",)),
    # Tawfik 2018 summary: "30 female participants".
    "prp-fphl-tawfik-2018": (30, ("30 women",)),
    # Kang (doi:10.1111/jdv.12062) abstract: 13 PRP and 13 placental-extract patients; at 6
    # months "hair count, 29.2 ± 17.8%", "hair thickness, 46.4 ± 37.5%"; thickness P = 0.027,
    # overall clinical improvement P = 0.023.
    "prp-aga-kang-cd34": (26, ("29.2 ± 17.8%", "46.4 ± 37.5%", "P = 0.027", "P = 0.023")),
    # Takikawa 2011 abstract: "26 volunteers", "five local treatments", differences "in hair
    # cross-section but not in hair numbers".
    "prp-aga-takikawa-2011": (26, ("26 volunteers", "5 injections", "hair number did not")),
}


@pytest.mark.parametrize("row_id", sorted(NARRATIVE_PRINTED))
def test_narrative_rows_carry_the_printed_facts(
    rows: dict[str, StudyOutcome], sources: dict[str, Source], row_id: str
) -> None:
    s = rows[row_id]
    size, phrases = NARRATIVE_PRINTED[row_id]
    assert s.extra["measure"] == "narrative"  # no per-arm numbers were printed: never pooled
    assert effect_and_variance(s) is None
    assert study_n(s) == size
    for phrase in phrases:
        assert phrase in (s.note or ""), phrase
    assert s.extra.get("rob_note")
    for source_id in s.sources:
        assert sources[source_id].url, source_id


def test_rows_read_through_summaries_say_so(rows: dict[str, StudyOutcome]) -> None:
    for row_id in ("prp-aga-mapar-2016", "prp-aga-kachhawa-2017", "prp-fphl-tawfik-2018"):
        assert "secondary summary" in rows[row_id].extra["verification"], row_id


def test_gentile_2017_is_not_counted_as_randomised_and_flags_the_plus_minus(
    rows: dict[str, StudyOutcome],
) -> None:
    s = rows["prp-aga-gentile-2017"]
    assert "randomi" not in s.design.lower() and "rct" not in s.design.lower()
    assert "SD or SE" in s.extra["verification"]
    assert "change from baseline" in (s.note or "").lower()
