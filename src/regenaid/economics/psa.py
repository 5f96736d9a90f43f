"""Probabilistic sensitivity analysis: seeded draws and their summaries.

``sample(distributions, n, seed)`` draws every named parameter at once from one
``numpy.random.Generator`` (PCG64) so the same seed gives the same draws; parameters are drawn
in the mapping's order. :class:`PsaResult` holds ``(draws, strategies)`` costs and effects and
gives means with percentile intervals, the ICER table of the means, CEAC, CEAF and EVPI.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from regenaid.economics._types import BoolArray, FloatArray
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
    levels = interval_levels(level)
    ordered = partition_for_quantiles(v.copy(), levels)
    lo, hi = (float(quantiles_of_sorted(ordered, q)) for q in levels)
    return Interval(float(v.mean()), lo, hi)


def interval_levels(level: float = 0.95) -> tuple[float, float]:
    """The two percentiles :func:`summarise` takes for ``level`` (as it computes them)."""
    return (1 - level) / 2, (1 + level) / 2


def quantile_positions(n: int, qs: Iterable[float]) -> list[int]:
    """The positions along a row of ``n`` values that :func:`quantiles_of_sorted` reads for the
    percentiles ``qs`` (each percentile's lower and upper neighbour)."""
    if n == 0:
        raise ValueError("quantiles of no values")
    wanted: set[int] = set()
    for q in qs:
        virtual = np.float64((n - 1) * q)
        below = min(max(int(np.floor(virtual)), 0), n - 1)
        wanted.update((below, min(below + 1, n - 1)))
    return sorted(wanted)


def partition_for_quantiles(rows: FloatArray, qs: Iterable[float]) -> FloatArray:
    """``rows`` partitioned in place along the last axis so that every position
    :func:`quantiles_of_sorted` reads for ``qs`` holds the value a full sort would put there
    (``np.partition``: linear time, where sorting each row is ``n log n``). Returns ``rows``."""
    rows.partition(quantile_positions(rows.shape[-1], qs), axis=-1)
    return rows


def quantiles_of_sorted(ordered: FloatArray, q: float) -> FloatArray:
    """``np.quantile(x, q, axis=-1)`` (default "linear" method, no NaN) of rows already sorted
    along the last axis (or partitioned by :func:`partition_for_quantiles`), with NumPy's own
    arithmetic, so the values are the same to the bit.

    Sorting many rows once (``np.sort(axis=-1)``) and reading two percentiles off them is several
    times faster than ``np.quantile(..., axis=1)``, which partitions a strided view of each row.
    """
    return _quantile(lambda position: ordered[..., position], ordered.shape[-1], q)


def quantiles_of_statistics(statistics: Mapping[int, FloatArray], n: int, q: float) -> FloatArray:
    """:func:`quantiles_of_sorted` from the order statistics :func:`order_statistics` gives
    (``statistics[p]``: the value at position ``p`` of each sorted row of ``n`` values; the
    positions :func:`quantile_positions` names for ``q``), with the same arithmetic."""
    return _quantile(statistics.__getitem__, n, q)


def _quantile(at: Callable[[int], FloatArray], n: int, q: float) -> FloatArray:
    """NumPy's "linear" quantile from the sorted values ``at(position)`` (see above)."""
    if n == 0:
        raise ValueError("quantiles of no values")
    virtual = np.float64((n - 1) * q)
    below = float(np.floor(virtual))
    if virtual >= n - 1:  # NumPy's clipping at the top: both neighbours are the largest value
        return np.array(at(n - 1))
    if virtual < 0:
        return np.array(at(0))
    gamma = virtual - below
    a = at(int(below))
    b = at(int(below) + 1)
    diff = b - a
    if gamma >= 0.5:
        return np.asarray(b - diff * (1 - gamma))
    return np.asarray(a + diff * gamma)


# order_statistics: each row's thresholds come from one column in _SAMPLE_EVERY (the draws are
# independent, so the first columns are a random sample of each row), chosen so that about
# _TARGET times the values needed lie beyond them; a row with fewer than needed (or more than
# _MOST times, e.g. many equal values) is partitioned in full instead.
_SAMPLE_EVERY = 8
_TARGET = 2.0
_MOST = 6
_FEWEST_DRAWS = 1024  # below this, partitioning whole rows is as quick


def order_statistics(rows: FloatArray, positions: Iterable[int]) -> dict[int, FloatArray]:
    """``{p: np.sort(rows, axis=1)[:, p]}`` for each ``p`` in ``positions``, for a 2-D array
    of rows (rows of draws, without NaN), without sorting or partitioning whole rows when the
    positions lie in the tails (a percentile interval's ends: the 51 smallest and largest of
    2,000 draws).

    Exact: for the low tail, each row's values at or below a threshold ``t`` are gathered, with
    ``t`` chosen (from a sample of the row) so that at least as many values as needed lie at or
    below it. Every value smaller than the ``k``-th smallest is then among them, so the
    ``k``-th smallest of the gathered values is the row's; rows where the sample's threshold
    leaves too few (or too many) values are partitioned whole (``np.partition``). The high tail
    likewise, with the values at or above a threshold. About three times faster than
    partitioning 2,000 draws per row."""
    rows = np.asarray(rows, dtype=np.float64)
    if rows.ndim != 2:
        raise ValueError("order_statistics takes a 2-D array of rows")
    count, n = rows.shape
    wanted = sorted(set(positions))
    if any(not 0 <= p < n for p in wanted):
        raise ValueError(f"positions must be in 0..{n - 1}")
    low = [p for p in wanted if p < n // 2]
    high = [p for p in wanted if p >= n // 2]
    need_low = low[-1] + 1 if low else 0
    need_high = n - high[0] if high else 0
    sample = n // _SAMPLE_EVERY
    if count == 0 or n < _FEWEST_DRAWS or max(need_low, need_high) * _TARGET * 2 > sample:
        return _partitioned(rows, wanted)
    # thresholds: in each row's sample, the value about _TARGET x needed / n of the way in
    thresholds = rows[:, :sample].copy()
    k_low = min(sample - 1, math.ceil(need_low * _TARGET * sample / n))
    k_high = max(0, sample - 1 - math.ceil(need_high * _TARGET * sample / n))
    thresholds.sort(axis=1)  # quicker than partitioning, here
    out: dict[int, FloatArray] = {}
    whole = np.zeros(count, dtype=bool)  # rows to partition in full
    if low:
        values, ok = _tail(rows, rows <= thresholds[:, k_low, None], need_low, negate=False)
        whole |= ~ok
        for p in low:
            out[p] = values[:, p].copy()
    if high:
        values, ok = _tail(rows, rows >= thresholds[:, k_high, None], need_high, negate=True)
        whole |= ~ok
        for p in high:
            out[p] = -values[:, n - 1 - p]  # the (n-1-p)-th largest, negated back
    if whole.any():
        fallback = _partitioned(rows[whole], wanted)
        for p in wanted:
            out[p][whole] = fallback[p]
    return out


def _tail(
    rows: FloatArray, inside: BoolArray, need: int, *, negate: bool
) -> tuple[FloatArray, BoolArray]:
    """The values of each row where ``inside`` (negated when ``negate``), sorted, padded with
    ``inf``; and which rows had between ``need`` and ``_MOST x need`` such values (the others'
    results are not used)."""
    count, n = rows.shape
    where = np.flatnonzero(inside)  # row after row
    row_of = where // n
    per_row = np.bincount(row_of, minlength=count)
    ok = (per_row >= need) & (per_row <= _MOST * need)
    if not ok.all():
        kept = ok[row_of]
        where, row_of = where[kept], row_of[kept]
        per_row[~ok] = 0
    gathered = np.take(rows.reshape(-1), where)  # a view of contiguous rows: no copy
    if negate:
        np.negative(gathered, out=gathered)
    width = max(int(per_row.max()), need)
    # where each gathered value goes in the padded rows: its row's start, then its place in it
    starts = np.cumsum(per_row) - per_row
    slots = np.arange(gathered.size) + (row_of * width - starts[row_of])
    padded = np.full(count * width, np.inf)
    padded[slots] = gathered
    padded = padded.reshape(count, width)
    padded.sort(axis=1)  # quicker than partitioning, here
    return padded, ok


def _partitioned(rows: FloatArray, wanted: Sequence[int]) -> dict[int, FloatArray]:
    ordered = rows.copy()
    ordered.partition(list(wanted), axis=1)
    return {p: ordered[:, p].copy() for p in wanted}


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
