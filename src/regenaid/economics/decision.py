"""Decision summaries of a probabilistic sensitivity analysis: NMB, CEAC, CEAF, EVPI.

Inputs are ``(draws, strategies)`` arrays of costs and effects. Definitions as in dampack
(``R/ceac.R``, ``R/evpi.R``) and hesim (``R/cea.R``):

- net monetary benefit ``NMB = wtp * effect - cost``;
- CEAC: for each willingness-to-pay (WTP), the share of draws in which each strategy has the
  highest NMB (ties go to the first strategy, as ``argmax`` does);
- CEAF: for each WTP, the strategy with the highest *expected* NMB and its CEAC value;
- EVPI: ``E[max_s NMB] - max_s E[NMB]`` per WTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from regenaid.economics._types import FloatArray


def _check(costs: FloatArray, effects: FloatArray) -> tuple[FloatArray, FloatArray]:
    c = np.asarray(costs, dtype=np.float64)
    e = np.asarray(effects, dtype=np.float64)
    if c.ndim != 2 or c.shape != e.shape:
        raise ValueError(
            f"costs and effects must be (draws, strategies) arrays of one shape, "
            f"got {c.shape} and {e.shape}"
        )
    return c, e


def net_monetary_benefit(costs: FloatArray, effects: FloatArray, wtp: float) -> FloatArray:
    """``wtp * effect - cost``, elementwise."""
    return np.asarray(wtp * np.asarray(effects) - np.asarray(costs), dtype=np.float64)


def ceac(costs: FloatArray, effects: FloatArray, wtp: Sequence[float]) -> FloatArray:
    """``(len(wtp), strategies)`` probability that each strategy has the highest NMB."""
    c, e = _check(costs, effects)
    out = np.empty((len(wtp), c.shape[1]))
    for k, lam in enumerate(wtp):
        best = np.argmax(lam * e - c, axis=1)
        out[k] = np.bincount(best, minlength=c.shape[1]) / c.shape[0]
    return out


@dataclass(frozen=True)
class FrontierPoint:
    """One WTP of the cost-effectiveness acceptability frontier."""

    wtp: float
    strategy: int  # index of the strategy with the highest expected NMB
    probability: float  # its probability of having the highest NMB


def ceaf(costs: FloatArray, effects: FloatArray, wtp: Sequence[float]) -> list[FrontierPoint]:
    """Cost-effectiveness acceptability frontier (Fenwick et al. 2001)."""
    c, e = _check(costs, effects)
    curves = ceac(c, e, wtp)
    points = []
    for k, lam in enumerate(wtp):
        best = int(np.argmax(lam * e.mean(axis=0) - c.mean(axis=0)))
        points.append(FrontierPoint(float(lam), best, float(curves[k, best])))
    return points


def evpi(costs: FloatArray, effects: FloatArray, wtp: Sequence[float]) -> FloatArray:
    """Expected value of perfect information per decision, one value per WTP."""
    c, e = _check(costs, effects)
    out = np.empty(len(wtp))
    for k, lam in enumerate(wtp):
        nmb = lam * e - c
        out[k] = float(nmb.max(axis=1).mean() - nmb.mean(axis=0).max())
    return out
