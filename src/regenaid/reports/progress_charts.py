"""A patient's progress chart: one measure at one site, by one method, over time, drawn against
the band the method's measurement error leaves around the baseline.

The caller passes plain values (dates, numbers, labels): this module knows nothing of the
clinic's records. A later value inside the band is one the error could explain, so the band
is labelled as "no measurable change"; a dashed line marks the smallest change people notice
where one is published.

As the decision aid's charts (:mod:`regenaid.reports.cost_charts`): matplotlib's object API
on its own ``Figure`` with the Agg canvas (no pyplot), a temporary ``rc_context`` keeping text
as ``<text>`` and ids deterministic, the Okabe-Ito colour-blind-safe palette, a ``role="img"``
root with ``aria-label`` and ``<title>``, plus a ``<desc>`` saying in words what the chart
shows; parts carry ids (``series-values``, ``band-error``, ``line-noticeable``,
``point-<n>``). Charts are cached by their inputs (the same data draws the same SVG).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from datetime import date
from html import escape
from typing import Any

BLUE = "#0072B2"  # Okabe-Ito, as cost_charts.COLOURS
ORANGE = "#D55E00"
GREY = "#7F7F7F"
_RC: Any = {"svg.fonttype": "none", "svg.hashsalt": "regenaid", "font.size": 10}
BAND_LABEL = "Baseline ± the method's error: no measurable change"
NOTICEABLE_LABEL = "Smallest change people notice"


def progress_chart_svg(
    dates: Sequence[date],
    values: Sequence[float],
    *,
    unit: str,
    title: str,
    description: str = "",
    band: tuple[float, float] | None = None,
    noticeable: float | None = None,
) -> str:
    """The values over time as SVG text.

    ``band`` is (low, high) around the baseline: the baseline value minus and plus the method's
    error (None when the error is not known: no band is drawn and the description should say
    so). ``noticeable`` is the level at which the change from baseline reaches the smallest
    change people notice (None: not published). ``unit`` labels the y axis (empty for scores).
    ``description`` goes into ``<desc>`` for screen readers (what the chart shows in words).
    """
    if len(dates) != len(values):
        raise ValueError("one value per date")
    if band is not None and band[0] > band[1]:
        raise ValueError("the band's low end is above its high end")
    return _draw(
        tuple(dates),
        tuple(float(v) for v in values),
        unit,
        title,
        description,
        band,
        noticeable,
    )


@functools.lru_cache(maxsize=128)
def _draw(
    dates: tuple[date, ...],
    values: tuple[float, ...],
    unit: str,
    title: str,
    description: str,
    band: tuple[float, float] | None,
    noticeable: float | None,
) -> str:
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(7.0, 3.8), layout="constrained")
        ax = fig.add_subplot()
        if band is not None:
            patch = ax.axhspan(band[0], band[1], color=GREY, alpha=0.2, lw=0, label=BAND_LABEL)
            patch.set_gid("band-error")
        if noticeable is not None:
            line = ax.axhline(noticeable, color=ORANGE, ls="--", lw=1.5, label=NOTICEABLE_LABEL)
            line.set_gid("line-noticeable")
        if dates:
            days = [float(date2num(day)) for day in dates]  # type: ignore[no-untyped-call]
            (series,) = ax.plot(days, list(values), color=BLUE, lw=2, marker="o", label="Measured")
            series.set_gid("series-values")
            for n, (day, value) in enumerate(zip(days, values, strict=True)):
                (point,) = ax.plot([day], [value], ls="none", marker="o", color=BLUE, ms=6)
                point.set_gid(f"point-{n}")
            locator = AutoDateLocator(minticks=2, maxticks=6)  # type: ignore[no-untyped-call]
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
            if len(set(days)) == 1:  # one visit: a week either side, not a zero-width axis
                ax.set_xlim(days[0] - 7, days[0] + 7)
        ax.set_xlabel("Date measured")
        ax.set_ylabel(unit or "Score")
        ax.grid(alpha=0.3)
        ax.margins(y=0.25)
        fig.legend(loc="outside lower center", ncols=2, frameon=False, fontsize=8)
        ax.set_title(title, fontsize=10)
        FigureCanvasAgg(fig)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return _accessible(buffer.getvalue(), title, description)


def _accessible(svg: str, title: str, description: str) -> str:
    """The SVG with ``role="img"``, ``aria-label`` and ``<title>`` (as the cost charts) and a
    ``<desc>`` when there is a description."""
    start = svg.index("<svg")
    end = svg.index(">", start) + 1
    head = svg[:end].replace("<svg", f'<svg role="img" aria-label="{escape(title)}"', 1)
    text = f"\n <title>{escape(title)}</title>"
    if description:
        text += f"\n <desc>{escape(description)}</desc>"
    return head + text + svg[end:]
