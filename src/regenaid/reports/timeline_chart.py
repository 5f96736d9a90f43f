"""Time-to-visible-results timeline: one bar per option from the earliest to the latest week
sources give, as server-rendered SVG (presentation attributes only, CSP-safe)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR = "#1d5e8c"
AXIS = "#444444"


def timeline_svg(rows: Sequence[tuple[str, float, float]], title: str) -> Markup:
    """``rows`` = (label, low_weeks, high_weeks). The axis runs from 0 to the largest week."""
    if not rows:
        return Markup("")
    longest = max(high for _, _, high in rows) or 1.0
    label_w, plot_w, row_h = 190, 300, 26
    width, height = label_w + plot_w + 20, row_h * len(rows) + 34
    scale = plot_w / longest
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
    ]
    for i, (label, low, high) in enumerate(rows):
        y = i * row_h + 6
        out.append(f'<text x="0" y="{y + 14}" font-size="12" fill="{AXIS}">{escape(label)}</text>')
        x0 = label_w + low * scale
        w = max(3.0, (high - low) * scale)
        out.append(
            f'<rect x="{x0:.1f}" y="{y + 3}" width="{w:.1f}" height="14" rx="3" fill="{BAR}"/>'
        )
    axis_y = row_h * len(rows) + 8
    out.append(
        f'<line x1="{label_w}" y1="{axis_y}" x2="{label_w + plot_w}" y2="{axis_y}" '
        f'stroke="{AXIS}" stroke-width="1"/>'
    )
    step = _tick_step(longest)
    tick = 0.0
    while tick <= longest + 1e-9:
        x = label_w + tick * scale
        out.append(
            f'<line x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{axis_y + 4}" stroke="{AXIS}"/>'
            f'<text x="{x:.1f}" y="{axis_y + 16}" font-size="11" text-anchor="middle" '
            f'fill="{AXIS}">{int(tick)}</text>'
        )
        tick += step
    out.append(
        f'<text x="{label_w + plot_w}" y="{axis_y + 16}" font-size="11" text-anchor="end" '
        f'fill="{AXIS}" dy="-20">weeks</text></svg>'
    )
    return Markup("".join(out))


def _tick_step(longest: float) -> float:
    for step in (2, 4, 8, 12, 26, 52):
        if longest / step <= 8:
            return float(step)
    return 104.0
