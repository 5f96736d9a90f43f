"""Forest and funnel plots render to well-formed SVG (one label per study) and to PNG."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from regenaid.errors import InvalidInputError
from regenaid.evidence import rma
from regenaid.reports.evidence_plots import forest_plot, funnel_plot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _bcg(reference_dir: Path) -> tuple[list[float], list[float], list[str]]:
    data = json.loads((reference_dir / "metafor" / "dat.bcg.json").read_text())
    rr = data["escalc"]["RR"]
    labels = [f"{r['author']} {r['year']}" for r in data["rows"]]
    return rr["yi_full_precision"], rr["vi_full_precision"], labels


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(el.itertext()) for el in root.iter() if el.tag.endswith("text")]


def test_forest_plot_svg_has_one_label_per_study_and_png(reference_dir: Path) -> None:
    yi, vi, labels = _bcg(reference_dir)
    plot = forest_plot(rma(yi, vi), labels, xlabel="Risk ratio", transform=math.exp)
    texts = _texts(plot.svg)
    for label in labels:
        assert texts.count(label) == 1, label
    assert any("Prediction interval" in t for t in texts)
    assert any(t.startswith("Pooled (REML)") for t in texts)
    assert plot.png.startswith(PNG_SIGNATURE)


def test_equal_effects_forest_plot_has_no_prediction_interval(reference_dir: Path) -> None:
    yi, vi, labels = _bcg(reference_dir)
    texts = _texts(forest_plot(rma(yi, vi, method="EE"), labels).svg)
    assert not any("Prediction interval" in t for t in texts)


def test_funnel_plot_renders(reference_dir: Path) -> None:
    yi, vi, labels = _bcg(reference_dir)
    plot = funnel_plot(rma(yi, vi), labels)
    texts = _texts(plot.svg)
    assert all(texts.count(label) == 1 for label in labels)
    assert plot.png.startswith(PNG_SIGNATURE)


def test_label_count_must_match() -> None:
    with pytest.raises(InvalidInputError) as info:
        forest_plot(rma([0.1, 0.2, 0.3], [0.01, 0.02, 0.03]), ["a", "b"])
    assert info.value.field == "labels"


def test_forest_plot_of_studies_draws_the_pooled_group() -> None:
    import dataclasses

    from regenaid.knowledge.model import StudyArm, StudyOutcome
    from regenaid.reports.evidence_plots import forest_plot_of_studies

    def trial(i: int, comparator: str) -> StudyOutcome:
        return StudyOutcome(
            id=f"t{i}",
            study=f"Trial {i}",
            year=2020,
            condition="androgenetic_alopecia",
            treatment="prp",
            comparator=comparator,
            design="RCT",
            kind="primary",
            outcome="hair density",
            unit="hairs/cm2",
            followup_weeks=24,
            treated=StudyArm(n=20, mean=170 + i, sd=30),
            control=StudyArm(n=20, mean=150, sd=30),
            effect=None,
            ci_low=None,
            ci_high=None,
            risk_of_bias="low",
            sources=("st-shapiro-2020",),
            extra={"measure": "MD"},
        )

    rows = [
        trial(1, "saline"),
        trial(2, "placebo"),
        trial(4, "saline injection"),
        trial(3, "microneedling alone"),
    ]
    texts = _texts(forest_plot_of_studies(rows).svg)
    assert "Trial 1" in texts and "Trial 2" in texts and "Trial 4" in texts
    assert "Trial 3" not in texts
    with pytest.raises(InvalidInputError):  # 2 studies are never pooled, so never plotted
        forest_plot_of_studies(rows[:2])
    with pytest.raises(InvalidInputError):
        forest_plot_of_studies([rows[0], dataclasses.replace(rows[3], id="x")])
