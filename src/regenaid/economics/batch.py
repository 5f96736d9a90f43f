"""Vectorised cohort engine for many parameter sets at once (PSA draws x strategies).

Arrays are laid out "structure of arrays": the last axis ``N`` runs over the flattened
(draw, strategy) pairs, so every step is a handful of contiguous vector operations:

- ``initial``: ``(S,)`` or ``(S, N)`` starting distribution;
- ``transitions``: ``(S, S, N)`` (time-independent) or a function ``t -> (S, S, N)`` giving the
  matrix of cycle ``t`` (``t = 0..n_cycles-1``; moves point ``t`` to point ``t + 1``);
- ``rewards``: ``(R, S, N)`` per-cycle state rewards (e.g. R = 2 for cost and effect), or a
  function ``t -> (R, S, N)`` for point ``t``;
- ``weights``: ``(R, n_cycles + 1)`` weight of each trace point (discount x within-cycle
  correction, see :mod:`regenaid.economics.weights`).

The total of reward ``r`` is ``sum_t weights[r, t] * sum_s trace[t, s] * rewards[r, s]`` — the
DARTH point-based accounting of :class:`regenaid.economics.cohort.CohortModel`. The trace is not
kept (memory stays ``O(S * chunk)``) unless ``keep_points`` asks for the per-point rewards.
With array inputs, draws are processed in chunks so the working set stays in cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from regenaid.economics._types import FloatArray

TransitionSource = FloatArray | Callable[[int], FloatArray]
RewardSource = FloatArray | Callable[[int], FloatArray]
DEFAULT_CHUNK = 8192


@dataclass(frozen=True)
class BatchResult:
    """``totals``: ``(R, N)``; ``by_point``: ``(R, n_cycles + 1, N)`` weighted rewards or None."""

    totals: FloatArray
    by_point: FloatArray | None


def cohort_totals(
    initial: FloatArray,
    transitions: TransitionSource,
    rewards: RewardSource,
    weights: FloatArray,
    *,
    n_cycles: int,
    keep_points: bool = False,
    chunk: int = DEFAULT_CHUNK,
) -> BatchResult:
    """Weighted reward totals of ``N`` cohorts (see module docstring)."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or w.shape[1] != n_cycles + 1:
        raise ValueError(f"weights must be (R, n_cycles + 1) = (R, {n_cycles + 1}), got {w.shape}")
    if callable(transitions) or callable(rewards):
        return _run(initial, transitions, rewards, w, n_cycles, keep_points)
    p = np.asarray(transitions, dtype=np.float64)
    r = np.asarray(rewards, dtype=np.float64)
    if p.ndim != 3 or p.shape[0] != p.shape[1]:
        raise ValueError(f"transitions must be (S, S, N), got {p.shape}")
    n_states, n = p.shape[0], p.shape[2]
    if r.shape != (w.shape[0], n_states, n):
        raise ValueError(
            f"rewards must be (R, S, N) = ({w.shape[0]}, {n_states}, {n}), got {r.shape}"
        )
    x0 = np.broadcast_to(np.asarray(initial, dtype=np.float64).reshape(n_states, -1), (n_states, n))
    totals = np.empty((w.shape[0], n))
    if not keep_points:
        pattern = _Pattern.of(p)
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            totals[:, start:stop] = _run_static(
                x0[:, start:stop], p[:, :, start:stop], r[:, :, start:stop], w, n_cycles, pattern
            )
        return BatchResult(totals, None)
    by_point = np.empty((w.shape[0], n_cycles + 1, n))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        part = _run(x0[:, start:stop], p[:, :, start:stop], r[:, :, start:stop], w, n_cycles, True)
        totals[:, start:stop] = part.totals
        assert part.by_point is not None
        by_point[:, :, start:stop] = part.by_point
    return BatchResult(totals, by_point)


@dataclass(frozen=True)
class _Pattern:
    """Per destination ``j``, the sources ``i`` whose entry is non-zero in some cohort, each
    flagged when it equals one in every cohort (added without a multiplication)."""

    terms: tuple[tuple[int, tuple[tuple[int, bool], ...]], ...]

    @classmethod
    def of(cls, p: FloatArray) -> _Pattern:
        nonzero = np.any(p != 0.0, axis=2)
        ones = np.all(p == 1.0, axis=2)
        n_states = p.shape[0]
        terms = []
        for j in range(n_states):
            found = [(i, bool(ones[i, j])) for i in range(n_states) if nonzero[i, j]]
            found.sort(key=lambda term: term[1])  # products first, then plain additions
            terms.append((j, tuple(found)))
        return cls(tuple(terms))


def _distinct_rows(w: FloatArray) -> tuple[list[FloatArray], list[int]]:
    """The distinct weight rows and, for each reward, the index of its row."""
    rows: list[FloatArray] = []
    row_of: list[int] = []
    for wr in w:
        match = next((k for k, seen in enumerate(rows) if np.array_equal(seen, wr)), None)
        if match is None:
            rows.append(wr)
            match = len(rows) - 1
        row_of.append(match)
    return rows, row_of


def _run_static(
    x0: FloatArray,
    p: FloatArray,
    r: FloatArray,
    w: FloatArray,
    n_cycles: int,
    pattern: _Pattern,
) -> FloatArray:
    """Fast path for time-independent arrays, same sums as :func:`_run` with fewer operations:
    structural zeros of ``P`` are skipped and, because the rewards do not change over time, the
    weighted trace ``A_k = sum_t w_k[t] x_t`` is accumulated once per distinct weight row and
    the rewards applied at the end, ``total_r = sum_s A_k(r)[s] R[r, s]``."""
    n_states, n = x0.shape
    rows, row_of = _distinct_rows(w)
    acc = np.zeros((len(rows), n_states, n))
    scaled = np.empty((n_states, n))
    x = np.array(x0)
    new = np.empty_like(x)
    tmp = np.empty(n)
    for t in range(n_cycles + 1):
        if t > 0:
            for j, terms in pattern.terms:
                target = new[j]
                if not terms:
                    target.fill(0.0)
                    continue
                i, is_one = terms[0]
                if is_one:
                    target[...] = x[i]
                else:
                    np.multiply(x[i], p[i, j], out=target)
                for i, is_one in terms[1:]:
                    if is_one:
                        target += x[i]
                    else:
                        np.multiply(x[i], p[i, j], out=tmp)
                        target += tmp
            x, new = new, x
        for k, row in enumerate(rows):
            np.multiply(x, row[t], out=scaled)
            acc[k] += scaled
    totals = np.empty((w.shape[0], n))
    for reward, k in enumerate(row_of):
        np.einsum("sc,sc->c", acc[k], r[reward], out=totals[reward])
    return totals


def _run(
    initial: FloatArray,
    transitions: TransitionSource,
    rewards: RewardSource,
    w: FloatArray,
    n_cycles: int,
    keep_points: bool,
) -> BatchResult:
    """The per-cycle loop on one block: ``x_{t+1}[j] = sum_i x_t[i] * P_t[i, j]``."""
    p_of = transitions if callable(transitions) else (lambda _t, _p=transitions: _p)
    r_of = rewards if callable(rewards) else (lambda _t, _r=rewards: _r)
    r0 = np.asarray(r_of(0))
    n_rewards, n_states, n = r0.shape
    x = np.array(
        np.broadcast_to(np.asarray(initial, dtype=np.float64).reshape(n_states, -1), (n_states, n))
    )
    new = np.empty_like(x)
    tmp = np.empty_like(x)
    term = np.empty((n_rewards, n_states, n))
    value = np.empty((n_rewards, n))
    totals = np.zeros((n_rewards, n))
    by_point = np.empty((n_rewards, n_cycles + 1, n)) if keep_points else None
    for t in range(n_cycles + 1):
        if t > 0:
            p = p_of(t - 1)
            np.multiply(p[0], x[0], out=new)
            for i in range(1, n_states):
                np.multiply(p[i], x[i], out=tmp)
                new += tmp
            x, new = new, x
        np.multiply(r0 if t == 0 else r_of(t), x, out=term)
        np.sum(term, axis=1, out=value)
        value *= w[:, t, None]
        totals += value
        if by_point is not None:
            by_point[:, t] = value
    return BatchResult(totals, by_point)
