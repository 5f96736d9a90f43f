"""Forest and funnel plots of a fitted meta-analysis, as SVG text and PNG bytes.

Matplotlib's object API with the Agg canvas only (no pyplot, so no global figure state); SVG
text is kept as ``<text>`` elements so labels stay searchable and accessible.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

from regenaid.errors import InvalidInputError
from regenaid.evidence.rma import RmaResult
from regenaid.knowledge.model import StudyOutcome

Transform = Callable[[float], float]
_BLUE = "#1f4e79"
_GREY = "#555555"


@dataclass(frozen=True, slots=True)
class RenderedPlot:
    svg: str
    png: bytes


def _render(fig: Figure) -> RenderedPlot:
    FigureCanvasAgg(fig)
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "regenaid"}):
        svg_buf = io.StringIO()
        fig.savefig(svg_buf, format="svg", bbox_inches="tight")
    png_buf = io.BytesIO()
    fig.savefig(png_buf, format="png", dpi=120, bbox_inches="tight")
    return RenderedPlot(svg=svg_buf.getvalue(), png=png_buf.getvalue())


def _labels(res: RmaResult, labels: Sequence[str] | None) -> list[str]:
    if labels is None:
        return [f"Study {i + 1}" for i in range(res.k)]
    if len(labels) != res.k:
        raise InvalidInputError(
            "labels", f"has {len(labels)} labels but the model has {res.k} studies"
        )
    return [str(label) for label in labels]


def forest_plot(
    res: RmaResult,
    labels: Sequence[str] | None = None,
    *,
    xlabel: str = "Effect size",
    transform: Transform | None = None,
    title: str | None = None,
) -> RenderedPlot:
    """Studies with 95% CIs (squares sized by weight), the pooled diamond and, for
    random-effects models, the prediction interval as a dashed line under the diamond.

    ``transform`` (e.g. ``math.exp`` for log ratios) is applied to every number shown; with
    ``math.exp`` the axis is logarithmic so ratios are drawn symmetrically.
    """
    if res.p != 1:
        raise InvalidInputError("mods", "forest plots are drawn for models without moderators")
    names = _labels(res, labels)
    tf: Transform = transform or (lambda x: x)
    sei = np.sqrt(res.vi)
    lo = [tf(y - 1.959964 * s) for y, s in zip(res.yi, sei, strict=True)]
    hi = [tf(y + 1.959964 * s) for y, s in zip(res.yi, sei, strict=True)]
    est = [tf(y) for y in res.yi]
    pred = res.predict()
    k = res.k
    height = 1.2 + 0.32 * (k + 3)
    fig = Figure(figsize=(8.5, height))
    ax = fig.add_subplot(1, 1, 1)
    rows = np.arange(k, 0, -1) + 1.5
    weights = np.asarray(res.weights)
    sizes = 30 + 170 * weights / max(float(weights.max()), 1e-12)
    for row, e, a, b, size in zip(rows, est, lo, hi, sizes, strict=True):
        ax.plot([a, b], [row, row], color=_GREY, linewidth=1)
        ax.scatter([e], [row], s=float(size), marker="s", color=_BLUE, zorder=3)
    centre, left, right = tf(pred.pred), tf(pred.ci_lb), tf(pred.ci_ub)
    diamond = Polygon(
        [(left, 0.5), (centre, 0.8), (right, 0.5), (centre, 0.2)],
        closed=True,
        color=_BLUE,
    )
    ax.add_patch(diamond)
    if res.is_random:
        ax.plot([tf(pred.pi_lb), tf(pred.pi_ub)], [-0.2, -0.2], color=_BLUE, linestyle="--")
    null = tf(0.0)
    ax.axvline(null, color="black", linewidth=0.8)
    ax.set_yticks([*rows, 0.5, -0.2] if res.is_random else [*rows, 0.5])
    pooled_label = f"Pooled ({res.method})"
    tick_labels = [*names, pooled_label]
    if res.is_random:
        tick_labels.append("Prediction interval")
    ax.set_yticklabels(tick_labels)
    right_text = [
        f"{e:.2f} [{a:.2f}, {b:.2f}]  {w:.1f}%"
        for e, a, b, w in zip(est, lo, hi, weights, strict=True)
    ]
    for row, text in zip(rows, right_text, strict=True):
        ax.annotate(text, xy=(1.02, row), xycoords=("axes fraction", "data"), va="center")
    ax.annotate(
        f"{centre:.2f} [{left:.2f}, {right:.2f}]",
        xy=(1.02, 0.5),
        xycoords=("axes fraction", "data"),
        va="center",
        fontweight="bold",
    )
    if res.is_random:
        ax.annotate(
            f"[{tf(pred.pi_lb):.2f}, {tf(pred.pi_ub):.2f}]",
            xy=(1.02, -0.2),
            xycoords=("axes fraction", "data"),
            va="center",
        )
    if transform is math.exp:
        ax.set_xscale("log")
    ax.set_ylim(-0.8, k + 2.3)
    ax.set_xlabel(xlabel)
    heterogeneity = (
        f"I² = {res.I2:.0f}%, tau² = {res.tau2:.3g}, Q = {res.QE:.2f} (p = {res.QEp:.3g})"
    )
    ax.set_title(title or "Forest plot", loc="left")
    fig.text(0.01, 0.005, heterogeneity, fontsize=8, color=_GREY)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    return _render(fig)


def funnel_plot(
    res: RmaResult,
    labels: Sequence[str] | None = None,
    *,
    xlabel: str = "Effect size",
    title: str | None = None,
) -> RenderedPlot:
    """Effects against their standard errors (inverted axis) with the pseudo 95% region
    around the pooled estimate (as metafor's ``funnel``)."""
    if res.p != 1:
        raise InvalidInputError("mods", "funnel plots are drawn for models without moderators")
    names = _labels(res, labels)
    sei = np.sqrt(res.vi)
    fig = Figure(figsize=(6.0, 4.8))
    ax = fig.add_subplot(1, 1, 1)
    top = float(sei.max()) * 1.05
    grid = np.linspace(0.0, top, 50)
    ax.fill_betweenx(
        grid,
        res.estimate - 1.959964 * grid,
        res.estimate + 1.959964 * grid,
        color="#e8eef5",
    )
    ax.axvline(res.estimate, color=_BLUE, linewidth=1)
    points = ax.scatter(res.yi, sei, color=_BLUE, zorder=3)
    points.set_gid("studies")
    for name, y, s in zip(names, res.yi, sei, strict=True):
        ax.annotate(
            name,
            xy=(float(y), float(s)),
            xytext=(4, 2),
            textcoords="offset points",
            fontsize=7,
            color=_GREY,
        )
    ax.set_ylim(top, 0.0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Standard error")
    ax.set_title(title or "Funnel plot", loc="left")
    return _render(fig)


def forest_plot_of_studies(
    studies: Sequence[StudyOutcome], *, method: str = "REML", test: str = "knha"
) -> RenderedPlot:
    """Forest plot of the primary study rows the evidence profile pools (3 or more; the largest
    group with the same outcome, unit, measure and kind of comparator; mean differences from per-arm
    numbers, or effects with 95% CIs; ratios on the log scale, shown back-transformed)."""
    from regenaid.evidence.profile import MIN_STUDIES_TO_POOL, effect_and_variance, poolable_group
    from regenaid.evidence.rma import rma

    group = poolable_group([s for s in studies if s.kind == "primary"])
    usable = [(s, effect_and_variance(s)) for s in group]
    pairs = [(s, p) for s, p in usable if p is not None]
    if len(pairs) < MIN_STUDIES_TO_POOL:
        # the plot draws our pooled diamond, and fewer studies are never pooled as a result
        raise InvalidInputError(
            "studies",
            f"a forest plot needs at least {MIN_STUDIES_TO_POOL} studies with numbers",
        )
    measure = pairs[0][0].extra.get("measure", "MD")
    res = rma([p[0] for _, p in pairs], [p[1] for _, p in pairs], method=method, test=test)
    ratio = measure in ("OR", "RR", "ROM")
    unit = pairs[0][0].unit
    return forest_plot(
        res,
        [s.study for s, _ in pairs],
        xlabel=f"{measure} ({unit})",
        transform=math.exp if ratio else None,
        title=f"{pairs[0][0].outcome}: {pairs[0][0].treatment} vs {pairs[0][0].comparator}",
    )


__all__ = ["RenderedPlot", "forest_plot", "forest_plot_of_studies", "funnel_plot"]
