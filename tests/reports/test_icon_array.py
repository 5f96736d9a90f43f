"""Icon arrays: the filled count, the denominator, accessibility, CSP-safe markup."""

from __future__ import annotations

import re

import pytest

from regenaid.reports.icon_array import EMPTY, FILLED, icon_array_svg


@pytest.mark.parametrize("count", [0, 1, 37, 99, 100])
def test_filled_icons_match_the_count(count: int) -> None:
    svg = str(icon_array_svg(count, f"{count} out of 100", uid="x"))
    assert svg.count(f'fill="{FILLED}"') == count
    assert svg.count(f'fill="{EMPTY}"') == 100 - count
    assert f"<title>{count} out of 100</title>" in svg and 'role="img"' in svg


def test_counts_outside_the_denominator_are_clamped() -> None:
    assert str(icon_array_svg(130, "x")).count(f'fill="{FILLED}"') == 100
    assert str(icon_array_svg(-5, "x")).count(f'fill="{FILLED}"') == 0


def test_no_inline_style_and_label_is_escaped() -> None:
    svg = str(icon_array_svg(3, '<b>"hi"</b>', uid='a"b'))
    assert "style" not in svg
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert re.search(r'id="a&#34;b"', svg)


def test_bad_denominator_is_an_error() -> None:
    with pytest.raises(ValueError):
        icon_array_svg(1, "x", total=0)
