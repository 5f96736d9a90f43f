"""evidence_profile is defined for every (condition, treatment) pair and follows its rules."""

from __future__ import annotations

import pytest
import yaml

from regenaid.evidence.profile import evidence_profile
from regenaid.knowledge.model import CONDITIONS_BY_CONCERN, TREATMENT_IDS, Certainty, Source
from regenaid.knowledge.studies import STUDIES_CSV, load_studies

CONDITIONS = [c for cs in CONDITIONS_BY_CONCERN.values() for c in cs]


@pytest.fixture(scope="module")
def studies():  # type: ignore[no-untyped-def]
    entries = yaml.safe_load((STUDIES_CSV.parent / "sources" / "studies.yaml").read_text())
    return load_studies(STUDIES_CSV, {e["id"]: Source(**e) for e in entries})


@pytest.mark.parametrize("condition", CONDITIONS)
@pytest.mark.parametrize("treatment", TREATMENT_IDS)
def test_profile_exists_for_every_pair(studies, condition: str, treatment: str) -> None:  # type: ignore[no-untyped-def]
    p = evidence_profile(studies, condition, treatment)  # type: ignore[arg-type]
    assert isinstance(p.certainty, Certainty)
    assert p.summary
    assert p.certainty == Certainty.HIGH or p.certainty_reasons
    for s in (*p.studies, *p.published):
        assert s.condition == condition and s.treatment == treatment
    assert all(s.kind == "primary" for s in p.studies)
    assert all(s.kind == "pooled_published" for s in p.published)


def test_exosomes_for_hair_are_too_few_to_pool(studies) -> None:  # type: ignore[no-untyped-def]
    p = evidence_profile(studies, "androgenetic_alopecia", "exosome")
    assert p.pooled is None
    assert p.certainty == Certainty.VERY_LOW
    assert "too few studies" in p.summary.lower()
    assert "Amini 2025" in p.summary
