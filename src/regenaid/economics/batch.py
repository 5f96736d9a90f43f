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
DEFAULT_CHUNK = 4096


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
    by_point = np.empty((w.shape[0], n_cycles + 1, n)) if keep_points else None
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        part = _run(
            x0[:, start:stop], p[:, :, start:stop], r[:, :, start:stop], w, n_cycles, keep_points
        )
        totals[:, start:stop] = part.totals
        if by_point is not None and part.by_point is not None:
            by_point[:, :, start:stop] = part.by_point
    return BatchResult(totals, by_point)


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
