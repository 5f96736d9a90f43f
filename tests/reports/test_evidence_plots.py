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
