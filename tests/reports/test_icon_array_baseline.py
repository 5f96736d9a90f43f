"""Two-shade icon arrays for the outcome table: the comparator's share drawn lighter."""

from __future__ import annotations

import pytest

from regenaid.reports.icon_array import (
    BASELINE,
    EMPTY,
    FILLED,
    HARM,
    HARM_BASELINE,
    icon_array_svg,
)


def test_baseline_share_is_lighter_and_the_rest_is_the_difference() -> None:
    # van Zuuren 2016: 26 in 100 on minoxidil, 14 in 100 on placebo
    svg = str(icon_array_svg(26, "26 vs 14", uid="b", baseline=14))
    assert svg.count(f'fill="{BASELINE}"') == 14
    assert svg.count(f'fill="{FILLED}"') == 12
    assert svg.count(f'fill="{EMPTY}"') == 74


def test_harm_palette_and_a_baseline_above_the_count_is_clamped() -> None:
    svg = str(icon_array_svg(4, "4 vs 2", uid="h", baseline=2, palette="harm"))
    assert svg.count(f'fill="{HARM_BASELINE}"') == 2 and svg.count(f'fill="{HARM}"') == 2
    clamped = str(icon_array_svg(3, "x", uid="c", baseline=10))
    assert clamped.count(f'fill="{BASELINE}"') == 3 and f'fill="{FILLED}"' not in clamped


def test_unknown_palette_is_an_error() -> None:
    with pytest.raises(ValueError):
        icon_array_svg(1, "x", palette="rainbow")
