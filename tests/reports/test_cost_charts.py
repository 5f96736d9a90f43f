"""Cost charts: SVG parses and has one series per option; PNG bytes are PNG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from regenaid.economics.distributions import Beta
from regenaid.economics.regen_model import OptionInputs, break_even, simulate_option
from regenaid.economics.sensitivity import one_way
from regenaid.knowledge.model import PriceRange, Protocol, Range
from regenaid.reports.cost_charts import ceac_chart, cumulative_cost_chart, tornado_chart

PNG = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"


def _ids(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return [el.get("id", "") for el in root.iter()]


def _blocks() -> dict[str, dict[str, object]]:
    def protocol(tid: str, sessions: float, interval: float) -> Protocol:
        return Protocol(
            tid,  # type: ignore[arg-type]
            "androgenetic_alopecia",
            Range(sessions, sessions),
            Range(interval, interval),
            None,
            Range(12, 12),
            "",
            (),
        )

    exo = OptionInputs(
        "exosome",
        protocol("exosome", 1, 0),
        PriceRange("exosome", "USD", 2500, 3500, "session", ()),
        Beta(4, 4),
        None,
    )
    prp = OptionInputs(
        "prp",
        protocol("prp", 12, 52.1775 / 12),
        PriceRange("prp", "USD", 900, 1100, "session", ()),
        Beta(4, 4),
        None,
    )
    results = {"exosome": simulate_option(exo, 12), "prp": simulate_option(prp, 12)}
    blocks: dict[str, dict[str, object]] = {}
    for name, r in results.items():
        other = results["prp" if name == "exosome" else "exosome"]
        be = break_even(r, other)
        blocks[name] = {
            "currency": "USD",
            "cumulative_by_month": {
                "month": list(range(13)),
                "expected": r.cumulative_mean.tolist(),
                "low": r.cumulative_low.tolist(),
                "high": r.cumulative_high.tolist(),
            },
            "break_even": [{"versus": other.treatment, "month": be.month, "text": ""}],
        }
    return blocks


def test_cumulative_chart_series_band_and_break_even() -> None:
    chart = cumulative_cost_chart(_blocks())
    ids = _ids(chart.svg)
    assert sorted(i for i in ids if i.startswith("series-")) == ["series-exosome", "series-prp"]
    assert sorted(i for i in ids if i.startswith("band-")) == ["band-exosome", "band-prp"]
    # one exosome session (~3,000) vs 1,000 a month of PRP: exosome breaks even at month 3
    assert "break-even-exosome-prp" in ids
    assert "<title>" in chart.svg and "month 3" in chart.svg
    assert chart.png.startswith(PNG)


def test_chart_output_is_deterministic() -> None:
    blocks = _blocks()
    assert cumulative_cost_chart(blocks).svg == cumulative_cost_chart(blocks).svg


def test_ceac_chart_has_one_series_per_strategy() -> None:
    wtp = np.linspace(0, 10_000, 11)
    probs = np.column_stack([1 - wtp / 10_000, wtp / 10_000])
    chart = ceac_chart(wtp.tolist(), probs.tolist(), ["prp", "exosome"])
    ids = _ids(chart.svg)
    assert sorted(i for i in ids if i.startswith("series-")) == ["series-exosome", "series-prp"]
    assert chart.png.startswith(PNG)


def test_tornado_chart_has_a_bar_per_parameter() -> None:
    bars = one_way(
        lambda p: p["price"] * p["sessions"],
        {"price": 1000.0, "sessions": 3.0},
        {"price": (500.0, 2000.0), "sessions": (2.0, 4.0)},
    )
    chart = tornado_chart(bars, outcome_label="Cost (USD)")
    ids = _ids(chart.svg)
    assert sorted(i for i in ids if i.startswith("bar-")) == ["bar-price", "bar-sessions"]
    assert chart.png.startswith(PNG)
