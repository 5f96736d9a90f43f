"""The progress chart: values over time against the band the method's error leaves around the
baseline, drawn with matplotlib as accessible SVG (title, desc, text kept as text, ids for the
parts), from plain values only."""

from __future__ import annotations

import ast
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from regenaid.reports import progress_charts
from regenaid.reports.progress_charts import BAND_LABEL, NOTICEABLE_LABEL, progress_chart_svg

SVG = "{http://www.w3.org/2000/svg}"
DATES = [date(2026, 1, 5), date(2026, 4, 6), date(2026, 7, 6)]
# 150 hairs/cm² at baseline by a hand-corrected phototrichogram (error 7%: ±10.5); the
# smallest change people notice, 22.78% (Oh et al. 2025), is reached at 184.17
BAND = (139.5, 160.5)


def chart(**changes: object) -> ET.Element:
    values: dict[str, object] = {
        "unit": "hairs/cm²",
        "title": "Hair density, vertex",
        "description": "150 on 2026-01-05 (baseline); 158 (no measurable change); 175 (improved).",
        "band": BAND,
        "noticeable": 184.17,
    }
    values.update(changes)
    svg = progress_chart_svg(DATES, [150, 158, 175], **values)  # type: ignore[arg-type]
    return ET.fromstring(svg)


def ids(root: ET.Element) -> set[str]:
    return {str(el.get("id")) for el in root.iter() if el.get("id")}


def words(root: ET.Element) -> str:
    return " ".join("".join(el.itertext()) for el in root.iter(f"{SVG}text"))


def test_accessible_title_description_and_parts() -> None:
    root = chart()
    assert root.get("role") == "img" and root.get("aria-label") == "Hair density, vertex"
    assert root.find(f"{SVG}title").text == "Hair density, vertex"  # type: ignore[union-attr]
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "(no measurable change)" in str(desc.text)
    assert {"series-values", "band-error", "line-noticeable"} <= ids(root)
    assert {"point-0", "point-1", "point-2"} <= ids(root)
    text = words(root)
    for label in ("Date measured", "hairs/cm²", BAND_LABEL, NOTICEABLE_LABEL, "Measured"):
        assert label in text, label


def test_the_band_spans_the_error_around_the_baseline() -> None:
    """The band's top and bottom sit where the y axis puts 160.5 and 139.5 (read back from
    the tick labels' positions)."""
    root = chart()
    band = next(el for el in root.iter() if el.get("id") == "band-error")
    path = band.find(f"{SVG}path")
    assert path is not None
    corners = re.findall(r"[ML] (-?[\d.]+) (-?[\d.]+)", path.get("d", ""))
    ys = sorted({float(y) for _, y in corners})
    ticks = {}
    for group in root.iter(f"{SVG}g"):
        if str(group.get("id", "")).startswith("ytick_"):
            label = "".join(t for el in group.iter(f"{SVG}text") for t in el.itertext()).strip()
            use = group.find(f".//{SVG}use")
            if label and use is not None:
                ticks[float(label.replace("−", "-"))] = float(use.get("y", "nan"))
    (v1, y1), (v2, y2) = sorted(ticks.items())[:2]
    per_unit = (y2 - y1) / (v2 - v1)

    def at(value: float) -> float:
        return y1 + (value - v1) * per_unit

    assert ys == pytest.approx(sorted([at(BAND[0]), at(BAND[1])]), abs=0.01)


def test_without_a_known_error_or_threshold_nothing_is_drawn_for_them() -> None:
    root = chart(band=None, noticeable=None, description="")
    assert "band-error" not in ids(root) and "line-noticeable" not in ids(root)
    assert root.find(f"{SVG}desc") is None
    assert BAND_LABEL not in words(root)


def test_one_visit_and_scores_without_a_unit() -> None:
    svg = progress_chart_svg([date(2026, 1, 5)], [3], unit="", title="Fitzpatrick wrinkle score")
    root = ET.fromstring(svg)
    assert "point-0" in ids(root) and "Score" in words(root)


def test_same_data_same_drawing_and_bad_input_refused() -> None:
    first = progress_chart_svg(DATES, [150, 158, 175], unit="µm", title="Shaft")
    assert progress_chart_svg(DATES, [150.0, 158.0, 175.0], unit="µm", title="Shaft") is first
    with pytest.raises(ValueError, match="one value per date"):
        progress_chart_svg(DATES, [150], unit="µm", title="Shaft")
    with pytest.raises(ValueError, match="low end"):
        progress_chart_svg(DATES, [1, 2, 3], unit="µm", title="Shaft", band=(2.0, 1.0))


def test_the_chart_takes_plain_values_only() -> None:
    """reports renders; it never reaches into the clinic's records (DESIGN.md)."""
    source = Path(progress_charts.__file__).read_text(encoding="utf-8")
    imported = {
        alias.name if isinstance(node, ast.Import) else str(node.module)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not any(name.startswith(("regenaid.clinic", "regenaid.store")) for name in imported)
