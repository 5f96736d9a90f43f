"""Cost charts for the web pages and reports: cumulative cost per option with its 95% band and
break-even markers, the cost-effectiveness acceptability curve, and the tornado diagram.

The cumulative cost chart, drawn on every results page, is written as SVG directly: a few paths
and text elements, a millisecond's work, where matplotlib took about half a second for the
first chart of a process (its import and a figure). Its PNG, which only reports ask for, is
still drawn with matplotlib, when first asked for. The other charts are drawn on their own
``matplotlib.figure.Figure`` with the Agg canvas (no pyplot, no global state beyond a temporary
``rc_context``) and returned as SVG text and PNG bytes. Every SVG keeps text as text, has
deterministic ids and a ``<title>`` (and ``aria-label``) for screen readers; series carry ids
(``series-<option>``, ``band-<option>``, ``break-even-<a>-<b>``) so pages and tests can find them.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from html import escape
from typing import TYPE_CHECKING, Any

from regenaid.economics.sensitivity import TornadoBar
from regenaid.knowledge.model import TREATMENT_LABELS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Colour-blind-safe palette (Okabe & Ito), fixed per option so every chart agrees.
COLOURS: dict[str, str] = {
    "prp": "#0072B2",
    "exosome": "#D55E00",
    "combination": "#CC79A7",
    "conventional": "#009E73",
    "no_treatment": "#7F7F7F",
}
_RC = {"svg.fonttype": "none", "svg.hashsalt": "regenaid", "font.size": 10}
CUMULATIVE_TITLE = "Cumulative cost by month (line: expected; band: 95% interval)"


@dataclass(frozen=True)
class ChartImages:
    """One chart as SVG text and PNG bytes (the PNG drawn when first asked for)."""

    title: str
    svg: str
    draw_png: Callable[[], bytes] = field(repr=False, compare=False)

    @cached_property
    def png(self) -> bytes:
        return self.draw_png()


def _figure(figsize: tuple[float, float]) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def _render(fig: Figure, title: str) -> ChartImages:
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    with matplotlib.rc_context(_RC):
        svg_buffer = io.StringIO()
        fig.savefig(svg_buffer, format="svg", metadata={"Date": None})
        png_buffer = io.BytesIO()
        fig.savefig(png_buffer, format="png", dpi=120, metadata={"Software": None})
    svg = svg_buffer.getvalue()
    start = svg.index("<svg")
    end = svg.index(">", start) + 1
    head = svg[:end].replace("<svg", '<svg role="img" aria-label="' + escape(title) + '"', 1)
    svg = head + f"\n <title>{escape(title)}</title>" + svg[end:]
    png = png_buffer.getvalue()
    return ChartImages(title=title, svg=svg, draw_png=lambda: png)


def _label(option: str) -> str:
    return TREATMENT_LABELS.get(option, option)


def _curves(
    costs: Mapping[str, Mapping[str, Any]],
) -> tuple[dict[str, Mapping[str, Any]], dict[str, list[tuple[str, float]]], str | None]:
    """The options with a curve, each option's break-even marks (versus, month) against
    options with a curve, and the currency of the first curve."""
    curves: dict[str, Mapping[str, Any]] = {}
    currency = None
    for option, block in costs.items():
        curve = block.get("cumulative_by_month")
        if not isinstance(curve, Mapping):
            continue
        curves[option] = curve
        currency = currency or block.get("currency")
    marks: dict[str, list[tuple[str, float]]] = {}
    for option, block in costs.items():
        entries = block.get("break_even")
        if option not in curves or not isinstance(entries, Sequence):
            continue
        for entry in entries:
            if not isinstance(entry, Mapping) or entry.get("month") is None:
                continue
            versus = str(entry.get("versus"))
            if versus in curves:
                marks.setdefault(option, []).append((versus, float(entry["month"])))
    return curves, marks, currency


def _nice_step(span: float, ticks: int) -> float:
    """A round step (1, 2, 2.5 or 5 x 10^k) giving about ``ticks`` intervals over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * power:
            return factor * power
    return 10.0 * power


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


# the SVG's size (7 x 4.2 inches at 96 px per inch, as the matplotlib chart) and plot area
_W, _H = 672, 403
_LEFT, _RIGHT, _TOP, _BOTTOM = 78.0, 652.0, 34.0, 350.0


def cumulative_cost_chart(
    costs: Mapping[str, Mapping[str, object]], *, title: str | None = None
) -> ChartImages:
    """Cumulative expected cost by month for each option's ``cost`` block (as in the
    assessment: ``cumulative_by_month`` with ``month``, ``expected``, ``low``, ``high``;
    ``break_even`` entries with a ``month`` are marked)."""
    text = title or CUMULATIVE_TITLE
    curves, marks, currency = _curves(costs)
    points: dict[str, tuple[list[float], list[float], list[float], list[float]]] = {}
    for option, curve in curves.items():
        points[option] = tuple(  # type: ignore[assignment]
            [float(v) for v in curve[key]] for key in ("month", "expected", "low", "high")
        )
    x_max = max((max(p[0], default=0.0) for p in points.values()), default=0.0) or 1.0
    y_top = max((max([*p[1], *p[3]], default=0.0) for p in points.values()), default=0.0)
    y_step = _nice_step(y_top * 1.05 or 1.0, 5)
    y_max = y_step * max(1, math.ceil(y_top * 1.05 / y_step))
    x_step = _nice_step(x_max, 8)
    if x_step < 1:
        x_step = 1.0

    def x(month: float) -> float:
        return _LEFT + (_RIGHT - _LEFT) * month / x_max

    def y(amount: float) -> float:
        return _BOTTOM - (_BOTTOM - _TOP) * amount / y_max

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(text)}" '
        f'width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" '
        'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
        f" <title>{escape(text)}</title>",
        f' <rect width="{_W}" height="{_H}" fill="#ffffff"/>',
        ' <g id="grid" stroke="#b0b0b0" stroke-opacity="0.3" stroke-width="0.8">',
    ]
    ticks_y = [k * y_step for k in range(round(y_max / y_step) + 1)]
    ticks_x = [k * x_step for k in range(int(x_max // x_step) + 1)]
    for value in ticks_y:
        out.append(
            f'  <line x1="{_LEFT}" x2="{_RIGHT}" y1="{_num(y(value))}" y2="{_num(y(value))}"/>'
        )
    for value in ticks_x:
        out.append(
            f'  <line x1="{_num(x(value))}" x2="{_num(x(value))}" y1="{_TOP}" y2="{_BOTTOM}"/>'
        )
    out.append(" </g>")
    for option, (months, expected, low, high) in points.items():
        colour = COLOURS.get(option, "#333333")
        if months:
            upper = " L".join(
                f"{_num(x(m))},{_num(y(v))}" for m, v in zip(months, high, strict=True)
            )
            lower = " L".join(
                f"{_num(x(m))},{_num(y(v))}"
                for m, v in zip(reversed(months), reversed(low), strict=True)
            )
            line = " L".join(
                f"{_num(x(m))},{_num(y(v))}" for m, v in zip(months, expected, strict=True)
            )
        else:
            upper = lower = line = f"{_LEFT},{_BOTTOM}"
        ident = escape(option)
        out.append(
            f' <path id="band-{ident}" d="M{upper} L{lower} Z" fill="{colour}" '
            'fill-opacity="0.15" stroke="none"/>'
        )
        out.append(
            f' <path id="series-{ident}" d="M{line}" fill="none" stroke="{colour}" '
            'stroke-width="2" stroke-linejoin="round" stroke-linecap="square">'
            f"<title>{escape(_label(option))}</title></path>"
        )
    for option, entries in marks.items():
        colour = COLOURS.get(option, "#333")
        for versus, month in entries:
            at = _num(x(month))
            out.append(
                f' <g id="break-even-{escape(option)}-{escape(versus)}">'
                f'<line x1="{at}" x2="{at}" y1="{_TOP}" y2="{_BOTTOM}" stroke="{colour}" '
                'stroke-width="1.5" stroke-dasharray="1.5,2.5"/>'
                f'<text x="{_num(x(month) + 5)}" y="{_num(_BOTTOM - 22)}" font-size="10">'
                f"<tspan>{escape(_label(option))} breaks even</tspan>"
                f'<tspan x="{_num(x(month) + 5)}" dy="12">with {escape(_label(versus))} '
                f"(month {month:.0f})</tspan></text></g>"
            )
    out.append(
        f' <g id="axes" stroke="#000000" stroke-width="0.8"><line x1="{_LEFT}" x2="{_RIGHT}" '
        f'y1="{_BOTTOM}" y2="{_BOTTOM}"/><line x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" '
        f'y2="{_BOTTOM}"/></g>'
    )
    out.append(' <g id="tick-labels" fill="#000000">')
    for value in ticks_y:
        out.append(
            f'  <text x="{_LEFT - 6}" y="{_num(y(value) + 4)}" text-anchor="end">'
            f"{value:,.0f}</text>"
        )
    for value in ticks_x:
        out.append(
            f'  <text x="{_num(x(value))}" y="{_BOTTOM + 16}" text-anchor="middle">{value:g}</text>'
        )
    out.append(" </g>")
    out.append(
        f' <text id="x-label" x="{_num((_LEFT + _RIGHT) / 2)}" y="{_H - 12}" '
        'text-anchor="middle">Months from the first session</text>'
    )
    y_label = f"Money paid so far ({currency or 'currency'})"
    middle = _num((_TOP + _BOTTOM) / 2)
    out.append(
        f' <text id="y-label" x="16" y="{middle}" text-anchor="middle" '
        f'transform="rotate(-90 16 {middle})">{escape(str(y_label))}</text>'
    )
    out.append(
        f' <text id="chart-title" x="{_num((_LEFT + _RIGHT) / 2)}" y="20" '
        f'text-anchor="middle">{escape(text)}</text>'
    )
    if points:
        out.append(' <g id="legend">')
        for k, option in enumerate(points):
            top = _TOP + 14 + 18 * k
            colour = COLOURS.get(option, "#333333")
            out.append(
                f'  <line x1="{_LEFT + 10}" x2="{_LEFT + 34}" y1="{top}" y2="{top}" '
                f'stroke="{colour}" stroke-width="2"/>'
                f'<text x="{_LEFT + 40}" y="{top + 4}">{escape(_label(option))}</text>'
            )
        out.append(" </g>")
    out.append("</svg>\n")
    return ChartImages(
        title=text, svg="\n".join(out), draw_png=lambda: _cumulative_png(costs, text)
    )


def _cumulative_png(costs: Mapping[str, Mapping[str, Any]], text: str) -> bytes:
    """The cumulative cost chart drawn with matplotlib, as PNG (for reports)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.ticker import StrMethodFormatter

    curves, marks, currency = _curves(costs)
    with matplotlib.rc_context(_RC):
        fig = _figure((7.0, 4.2))
        ax = fig.add_subplot()
        for option, curve in curves.items():
            months = list(curve["month"])
            colour = COLOURS.get(option, "#333333")
            ax.fill_between(
                months, list(curve["low"]), list(curve["high"]), color=colour, alpha=0.15, lw=0
            )
            ax.plot(months, list(curve["expected"]), color=colour, lw=2, label=_label(option))
        for option, entries in marks.items():
            for versus, month in entries:
                ax.axvline(month, color=COLOURS.get(option, "#333"), ls=":", lw=1.5)
                ax.annotate(
                    f"{_label(option)} breaks even\nwith {_label(versus)} (month {month:.0f})",
                    xy=(month, 0),
                    xycoords=("data", "axes fraction"),
                    xytext=(4, 8),
                    textcoords="offset points",
                    fontsize=8,
                )
        ax.set_xlabel("Months from the first session")
        ax.set_ylabel(f"Money paid so far ({currency or 'currency'})")
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.grid(alpha=0.3)
        if curves:
            ax.legend(loc="upper left", frameon=False)
        ax.set_title(text, fontsize=10)
        FigureCanvasAgg(fig)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=120, metadata={"Software": None})
    return buffer.getvalue()


def ceac_chart(
    wtp: Sequence[float],
    probabilities: Sequence[Sequence[float]],
    strategies: Sequence[str],
    *,
    currency: str = "USD",
    effect_unit: str = "responder",
    title: str | None = None,
) -> ChartImages:
    """Cost-effectiveness acceptability curves: ``probabilities[k][s]`` at ``wtp[k]``."""
    if len(probabilities) != len(wtp):
        raise ValueError("probabilities need one row per willingness-to-pay value")
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig = _figure((7.0, 4.2))
        ax = fig.add_subplot()
        for s, option in enumerate(strategies):
            (line,) = ax.plot(
                list(wtp),
                [row[s] for row in probabilities],
                color=COLOURS.get(option),
                lw=2,
                label=_label(option),
            )
            line.set_gid(f"series-{option}")
        ax.set_xlabel(f"Willingness to pay per {effect_unit} ({currency})")
        ax.set_ylabel("Probability of best value")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        ax.legend(frameon=False)
        text = title or "Cost-effectiveness acceptability curves"
        ax.set_title(text, fontsize=10)
        return _render(fig, text)


def tornado_chart(
    bars: Sequence[TornadoBar], *, outcome_label: str, title: str | None = None
) -> ChartImages:
    """One-way sensitivity: a bar per parameter from its low to its high outcome, widest on top."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig = _figure((7.0, 0.5 * max(len(bars), 2) + 1.5))
        ax = fig.add_subplot()
        ordered = list(reversed(bars))  # barh draws bottom-up
        for y, bar in enumerate(ordered):
            low = min(bar.outcome_at_low, bar.outcome_at_high)
            width = abs(bar.outcome_at_high - bar.outcome_at_low)
            (patch,) = ax.barh([y], [width], left=[low], color="#0072B2", alpha=0.8).patches
            patch.set_gid(f"bar-{bar.parameter}")
        if bars:
            ax.axvline(bars[0].base_outcome, color="black", lw=1)
        ax.set_yticks(range(len(ordered)), [b.parameter for b in ordered])
        ax.set_xlabel(outcome_label)
        ax.grid(alpha=0.3, axis="x")
        text = title or "One-way sensitivity (tornado)"
        ax.set_title(text, fontsize=10)
        return _render(fig, text)
