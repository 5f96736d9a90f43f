"""Issue 10: the cumulative cost chart is written as SVG directly (no matplotlib on the results
page's image request), keeps what the page, the tests and screen readers rely on, and still
gives a PNG (drawn with matplotlib when asked for)."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

from regenaid.reports.cost_charts import CUMULATIVE_TITLE, cumulative_cost_chart

SVG = "{http://www.w3.org/2000/svg}"


def _block(scale: float, months: int, versus: str | None = None) -> dict[str, object]:
    return {
        "currency": "GBP",
        "cumulative_by_month": {
            "month": list(range(months + 1)),
            "expected": [scale * m for m in range(months + 1)],
            "low": [0.8 * scale * m for m in range(months + 1)],
            "high": [1.3 * scale * m for m in range(months + 1)],
        },
        "break_even": [{"versus": versus, "month": 7, "text": ""}] if versus else [],
    }


def test_svg_has_series_bands_marks_and_accessible_text() -> None:
    costs = {"prp": _block(100.0, 24, "exosome"), "exosome": _block(150.0, 24)}
    chart = cumulative_cost_chart(costs)
    root = ET.fromstring(chart.svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("aria-label") == CUMULATIVE_TITLE
    assert root.find(f"{SVG}title") is not None
    assert root.find(f"{SVG}title").text == CUMULATIVE_TITLE  # type: ignore[union-attr]
    ids = {el.get("id") for el in root.iter()}
    assert {"series-prp", "series-exosome", "band-prp", "band-exosome"} <= ids
    assert "break-even-prp-exosome" in ids
    text = " ".join("".join(el.itertext()) for el in root.iter(f"{SVG}text"))
    for words in (
        "Months from the first session",
        "Money paid so far (GBP)",
        "breaks even",
        "(month 7)",
        "3,000",  # a y tick label: expected 150 x 24 = 3,600 and high up to 4,680
    ):
        assert words in text, words
    # one point per month on the line (the band goes out along high and back along low)
    line = next(el for el in root.iter(f"{SVG}path") if el.get("id") == "series-prp")
    assert line.get("d", "").count(",") == 25


def test_marks_only_against_options_drawn_and_empty_input() -> None:
    chart = cumulative_cost_chart({"prp": _block(100.0, 12, "combination")})
    ids = {el.get("id") for el in ET.fromstring(chart.svg).iter()}
    assert "series-prp" in ids and not any(str(i).startswith("break-even") for i in ids)
    empty = cumulative_cost_chart({}, title="No costs")
    assert ET.fromstring(empty.svg).find(f"{SVG}title").text == "No costs"  # type: ignore[union-attr]


def test_long_horizons_and_png_on_demand() -> None:
    chart = cumulative_cost_chart({"conventional": _block(40.0, 240)})
    ET.fromstring(chart.svg)
    assert chart.svg == cumulative_cost_chart({"conventional": _block(40.0, 240)}).svg
    assert chart.png.startswith(b"\x89PNG\r\n\x1a\n")


def test_the_svg_is_drawn_without_matplotlib() -> None:
    code = (
        "import sys\n"
        "from regenaid.reports.cost_charts import cumulative_cost_chart\n"
        "block = {'currency': 'USD', 'cumulative_by_month': {'month': [0, 1], 'expected': [0, 5],"
        " 'low': [0, 4], 'high': [0, 6]}}\n"
        "assert 'series-prp' in cumulative_cost_chart({'prp': block}).svg\n"
        "print('matplotlib' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
