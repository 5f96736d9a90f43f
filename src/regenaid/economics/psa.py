"""Probabilistic sensitivity analysis: seeded draws and their summaries.

``sample(distributions, n, seed)`` draws every named parameter at once from one
``numpy.random.Generator`` (PCG64) so the same seed gives the same draws; parameters are drawn
in the mapping's order. :class:`PsaResult` holds ``(draws, strategies)`` costs and effects and
gives means with percentile intervals, the ICER table of the means, CEAC, CEAF and EVPI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from regenaid.economics._types import FloatArray
from regenaid.economics.decision import FrontierPoint, ceac, ceaf, evpi
from regenaid.economics.distributions import Dirichlet, Distribution
from regenaid.economics.icers import IcerRow, icers


def sample(
    distributions: Mapping[str, Distribution | Dirichlet], n: int, seed: int
) -> dict[str, FloatArray]:
    """``n`` draws of each parameter (Dirichlet parameters give ``(n, k)`` arrays)."""
    if n < 1:
        raise ValueError(f"number of draws must be >= 1, got {n}")
    rng = np.random.default_rng(seed)
    out: dict[str, FloatArray] = {}
    for name, dist in distributions.items():
        out[name] = (
            dist.sample_vectors(rng, n) if isinstance(dist, Dirichlet) else dist.sample(rng, n)
        )
    return out


@dataclass(frozen=True)
class Interval:
    """Mean and a central percentile interval."""

    mean: float
    low: float
    high: float


def summarise(values: FloatArray, level: float = 0.95) -> Interval:
    """Mean and the ``(1-level)/2`` and ``(1+level)/2`` percentiles of draws."""
    v = np.asarray(values, dtype=np.float64)
    ordered = np.sort(v)  # np.quantile's values, read off one sort (faster than its partition)
    lo, hi = (float(quantiles_of_sorted(ordered, q)) for q in interval_levels(level))
    return Interval(float(v.mean()), lo, hi)


def interval_levels(level: float = 0.95) -> tuple[float, float]:
    """The two percentiles :func:`summarise` takes for ``level`` (as it computes them)."""
    return (1 - level) / 2, (1 + level) / 2


def quantiles_of_sorted(ordered: FloatArray, q: float) -> FloatArray:
    """``np.quantile(x, q, axis=-1)`` (default "linear" method, no NaN) of rows already sorted
    along the last axis, with NumPy's own arithmetic, so the values are the same to the bit.

    Sorting many rows once (``np.sort(axis=-1)``) and reading two percentiles off them is several
    times faster than ``np.quantile(..., axis=1)``, which partitions a strided view of each row.
    """
    n = ordered.shape[-1]
    if n == 0:
        raise ValueError("quantiles of no values")
    virtual = np.float64((n - 1) * q)
    below = float(np.floor(virtual))
    if virtual >= n - 1:  # NumPy's clipping at the top: both neighbours are the largest value
        return np.array(ordered[..., n - 1])
    if virtual < 0:
        return np.array(ordered[..., 0])
    gamma = virtual - below
    a = ordered[..., int(below)]
    b = ordered[..., int(below) + 1]
    diff = b - a
    if gamma >= 0.5:
        return np.asarray(b - diff * (1 - gamma))
    return np.asarray(a + diff * gamma)


@dataclass(frozen=True)
class PsaResult:
    """Costs and effects of each strategy in each draw."""

    strategies: tuple[str, ...]
    costs: FloatArray  # (draws, strategies)
    effects: FloatArray

    def __post_init__(self) -> None:
        if self.costs.shape != self.effects.shape or self.costs.shape[1] != len(self.strategies):
            raise ValueError("costs and effects must be (draws, strategies) arrays")

    @property
    def n_draws(self) -> int:
        return int(self.costs.shape[0])

    def cost(self, strategy: str, level: float = 0.95) -> Interval:
        return summarise(self.costs[:, self.strategies.index(strategy)], level)

    def effect(self, strategy: str, level: float = 0.95) -> Interval:
        return summarise(self.effects[:, self.strategies.index(strategy)], level)

    def icers(self) -> list[IcerRow]:
        """ICER table of the mean costs and effects (as dampack's ``summary`` + ICERs)."""
        return icers(self.strategies, self.costs.mean(axis=0), self.effects.mean(axis=0))

    def ceac(self, wtp: Sequence[float]) -> FloatArray:
        return ceac(self.costs, self.effects, wtp)

    def ceaf(self, wtp: Sequence[float]) -> list[FrontierPoint]:
        return ceaf(self.costs, self.effects, wtp)

    def evpi(self, wtp: Sequence[float]) -> FloatArray:
        return evpi(self.costs, self.effects, wtp)
