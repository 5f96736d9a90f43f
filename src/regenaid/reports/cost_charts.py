"""Cost charts for the web pages and reports: cumulative cost per option with its 95% band and
break-even markers, the cost-effectiveness acceptability curve, and the tornado diagram.

Each chart is drawn on its own ``matplotlib.figure.Figure`` with the Agg canvas (no pyplot, no
global state beyond a temporary ``rc_context``) and returned as SVG text (text kept as text,
deterministic ids, a ``<title>`` for screen readers) and PNG bytes. Series carry ids
(``series-<option>``, ``band-<option>``, ``break-even-<a>-<b>``) so pages and tests can find them.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from regenaid.economics.sensitivity import TornadoBar
from regenaid.knowledge.model import TREATMENT_LABELS

# Colour-blind-safe palette (Okabe & Ito), fixed per option so every chart agrees.
COLOURS: dict[str, str] = {
    "prp": "#0072B2",
    "exosome": "#D55E00",
    "combination": "#CC79A7",
    "conventional": "#009E73",
    "no_treatment": "#7F7F7F",
}
_RC = {"svg.fonttype": "none", "svg.hashsalt": "regenaid", "font.size": 10}


@dataclass(frozen=True)
class ChartImages:
    """One chart as SVG text and PNG bytes."""

    title: str
    svg: str
    png: bytes


def _render(fig: Figure, title: str) -> ChartImages:
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
    return ChartImages(title=title, svg=svg, png=png_buffer.getvalue())


def _label(option: str) -> str:
    return TREATMENT_LABELS.get(option, option)


def cumulative_cost_chart(
    costs: Mapping[str, Mapping[str, object]], *, title: str | None = None
) -> ChartImages:
    """Cumulative expected cost by month for each option's ``cost`` block (as in the
    assessment: ``cumulative_by_month`` with ``month``, ``expected``, ``low``, ``high``;
    ``break_even`` entries with a ``month`` are marked)."""
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(7.0, 4.2), layout="constrained")
        ax = fig.add_subplot()
        currency = None
        shown: set[str] = set()
        for option, block in costs.items():
            curve = block.get("cumulative_by_month")
            if not isinstance(curve, Mapping):
                continue
            months = list(curve["month"])
            colour = COLOURS.get(option, "#333333")
            band = ax.fill_between(
                months, list(curve["low"]), list(curve["high"]), color=colour, alpha=0.15, lw=0
            )
            band.set_gid(f"band-{option}")
            (line,) = ax.plot(
                months, list(curve["expected"]), color=colour, lw=2, label=_label(option)
            )
            line.set_gid(f"series-{option}")
            currency = currency or block.get("currency")
            shown.add(option)
        for option, block in costs.items():
            entries = block.get("break_even")
            if option not in shown or not isinstance(entries, Sequence):
                continue
            for entry in entries:
                if not isinstance(entry, Mapping) or entry.get("month") is None:
                    continue
                versus = str(entry.get("versus"))
                if versus not in shown:
                    continue
                month = float(entry["month"])
                mark = ax.axvline(month, color=COLOURS.get(option, "#333"), ls=":", lw=1.5)
                mark.set_gid(f"break-even-{option}-{versus}")
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
        if shown:
            ax.legend(loc="upper left", frameon=False)
        text = title or "Cumulative cost by month (line: expected; band: 95% interval)"
        ax.set_title(text, fontsize=10)
        return _render(fig, text)


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
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(7.0, 4.2), layout="constrained")
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
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(7.0, 0.5 * max(len(bars), 2) + 1.5), layout="constrained")
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
