"""Deterministic cohort state-transition (Markov) model with several strategies at once.

A strategy is a transition array (time-independent ``(S, S)`` or time-dependent ``(T, S, S)``,
``T = n_cycles``; row ``i`` holds the probabilities of moving from state ``i``), per-cycle state
rewards (costs and effects) and optional transition rewards (one-off amounts on each ``i -> j``
move). The trace starts at point 0 with ``initial`` and ``trace[t] = trace[t-1] @ P[t-1]``.

Reward accounting (``method``):

- ``"none"``, ``"half-cycle"``, ``"simpson1/3"`` — the DARTH tutorials' convention (Alarid-Escudero
  et al. 2023): rewards are counted on every trace point ``t = 0..n_cycles`` and weighted by the
  within-cycle correction and the discount factor of ``t``; state rewards may vary by point
  (shape ``(n_cycles + 1, S)``).
- ``"end"`` and ``"life-table"`` — heemod's ``method`` argument (Filipović-Pierucci et al.):
  rewards are counted per cycle ``t = 1..n_cycles`` on the end-of-cycle distribution
  (``"end"``) or on the mean of the start and end distributions (``"life-table"``); state
  rewards may vary by cycle (shape ``(n_cycles, S)``); cycle ``t`` is discounted with exponent
  ``t`` when ``discount_first_cycle`` (heemod ``discount(first = TRUE)``) and ``t - 1`` otherwise.

Transition rewards of the moves made during cycle ``t`` are counted at point/cycle ``t``:
``sum_ij trace[t-1, i] * P[t-1, i, j] * R[i, j]`` (the transition-dynamics array of the
time-dependent DARTH tutorial, Alarid-Escudero et al. 2022, doi:10.1177/0272989X221121747).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from regenaid.economics._types import FloatArray
from regenaid.economics.icers import IcerRow, icers
from regenaid.economics.weights import (
    Compounding,
    WccMethod,
    discount_weights,
    within_cycle_weights,
)

Accounting = Literal["none", "half-cycle", "simpson1/3", "end", "life-table"]
ACCOUNTING_METHODS: tuple[Accounting, ...] = (
    "none",
    "half-cycle",
    "simpson1/3",
    "end",
    "life-table",
)
_ROW_SUM_TOLERANCE = 1e-9
_WCC: dict[str, WccMethod] = {
    "none": "none",
    "half-cycle": "half-cycle",
    "simpson1/3": "simpson1/3",
}


@dataclass(frozen=True)
class Strategy:
    """One strategy's transition array and rewards (per cycle, undiscounted)."""

    name: str
    transitions: FloatArray
    state_costs: FloatArray
    state_effects: FloatArray
    transition_costs: FloatArray | None = None
    transition_effects: FloatArray | None = None


@dataclass(frozen=True)
class StrategyResult:
    """Outcome of one strategy: the cohort trace and discounted, corrected totals."""

    name: str
    trace: FloatArray  # (n_cycles + 1, S)
    cost: float
    effect: float
    cost_by_point: FloatArray  # weighted (discounted, corrected) contribution of each point/cycle
    effect_by_point: FloatArray


@dataclass(frozen=True)
class CohortResult:
    """All strategies' results, in the order given."""

    states: tuple[str, ...]
    strategies: tuple[StrategyResult, ...]

    def __getitem__(self, name: str) -> StrategyResult:
        for result in self.strategies:
            if result.name == name:
                return result
        raise KeyError(name)

    def icers(self) -> list[IcerRow]:
        """dampack-style ICER table of the strategies' totals."""
        return icers(
            strategies=[s.name for s in self.strategies],
            costs=[s.cost for s in self.strategies],
            effects=[s.effect for s in self.strategies],
        )

    def nmb(self, wtp: float) -> dict[str, float]:
        """Net monetary benefit ``wtp * effect - cost`` per strategy."""
        return {s.name: wtp * s.effect - s.cost for s in self.strategies}


@dataclass(frozen=True)
class CohortModel:
    """Shared structure of the strategies: states, start, horizon, discounting, accounting."""

    states: tuple[str, ...]
    initial: FloatArray
    n_cycles: int
    cycle_length: float = 1.0
    discount_costs: float = 0.0
    discount_effects: float = 0.0
    method: Accounting = "none"
    discount_first_cycle: bool = False
    compounding: Compounding = "per_cycle"

    def __post_init__(self) -> None:
        if self.n_cycles < 1:
            raise ValueError(f"n_cycles must be >= 1, got {self.n_cycles}")
        if self.method not in ACCOUNTING_METHODS:
            raise ValueError(
                f"method {self.method!r} is not one of {', '.join(ACCOUNTING_METHODS)}"
            )
        initial = np.asarray(self.initial, dtype=np.float64)
        if initial.shape != (len(self.states),):
            raise ValueError(
                f"initial has shape {initial.shape}, expected ({len(self.states)},) for the states"
            )
        if np.any(initial < 0):
            raise ValueError("initial distribution has negative entries")

    @property
    def point_based(self) -> bool:
        return self.method in ("none", "half-cycle", "simpson1/3")

    @property
    def n_reward_points(self) -> int:
        """Rows of a time-varying state-reward array: points ``0..n`` or cycles ``1..n``."""
        return self.n_cycles + 1 if self.point_based else self.n_cycles

    def run(self, strategies: Sequence[Strategy]) -> CohortResult:
        """Run every strategy; names must be unique."""
        names = [s.name for s in strategies]
        if len(set(names)) != len(names):
            raise ValueError(f"strategy names must be unique, got {names}")
        return CohortResult(
            states=self.states, strategies=tuple(self._run_one(s) for s in strategies)
        )

    # --- internals ----------------------------------------------------------------------

    def _transitions(self, strategy: Strategy) -> FloatArray:
        n_states = len(self.states)
        p = np.asarray(strategy.transitions, dtype=np.float64)
        if p.shape == (n_states, n_states):
            p = np.broadcast_to(p, (self.n_cycles, n_states, n_states))
        if p.shape != (self.n_cycles, n_states, n_states):
            raise ValueError(
                f"{strategy.name}: transitions have shape {p.shape}; expected "
                f"({n_states}, {n_states}) or ({self.n_cycles}, {n_states}, {n_states})"
            )
        if np.any(p < 0) or np.any(p > 1):
            raise ValueError(f"{strategy.name}: transition probabilities outside 0..1")
        worst = float(np.max(np.abs(p.sum(axis=2) - 1.0)))
        if worst > _ROW_SUM_TOLERANCE:
            raise ValueError(f"{strategy.name}: transition rows do not sum to 1 (off by {worst})")
        return p

    def _state_rewards(self, values: FloatArray, what: str, name: str) -> FloatArray:
        n_states = len(self.states)
        r = np.asarray(values, dtype=np.float64)
        if r.shape == (n_states,):
            r = np.broadcast_to(r, (self.n_reward_points, n_states))
        if r.shape != (self.n_reward_points, n_states):
            raise ValueError(
                f"{name}: {what} have shape {r.shape}; expected ({n_states},) or "
                f"({self.n_reward_points}, {n_states})"
            )
        return r

    def _transition_rewards(
        self, values: FloatArray | None, p: FloatArray, trace: FloatArray
    ) -> FloatArray:
        """Reward of the moves made in cycle ``t`` (``t = 1..n``), as a length-``n`` vector."""
        if values is None:
            return np.zeros(self.n_cycles)
        n_states = len(self.states)
        r = np.asarray(values, dtype=np.float64)
        if r.shape == (n_states, n_states):
            r = np.broadcast_to(r, (self.n_cycles, n_states, n_states))
        if r.shape != (self.n_cycles, n_states, n_states):
            raise ValueError(f"transition rewards have shape {r.shape}")
        return np.asarray(np.einsum("ti,tij,tij->t", trace[:-1], p, r))

    def _total(
        self, trace: FloatArray, state_rewards: FloatArray, moves: FloatArray, rate: float
    ) -> FloatArray:
        """Weighted contribution of each point (point methods) or cycle (heemod methods)."""
        n = self.n_cycles
        if self.point_based:
            per_point = np.einsum("ts,ts->t", trace, state_rewards)
            per_point[1:] += moves
            wcc = within_cycle_weights(n, _WCC[self.method])
            disc = discount_weights(n + 1, rate, self.cycle_length, compounding=self.compounding)
            return np.asarray(per_point * wcc * disc)
        counted = trace[1:] if self.method == "end" else 0.5 * (trace[:-1] + trace[1:])
        per_cycle = np.einsum("ts,ts->t", counted, state_rewards) + moves
        disc = discount_weights(
            n,
            rate,
            self.cycle_length,
            compounding=self.compounding,
            first_exponent=1 if self.discount_first_cycle else 0,
        )
        return np.asarray(per_cycle * disc)

    def _run_one(self, strategy: Strategy) -> StrategyResult:
        p = self._transitions(strategy)
        trace = np.empty((self.n_cycles + 1, len(self.states)))
        trace[0] = self.initial
        for t in range(self.n_cycles):
            trace[t + 1] = trace[t] @ p[t]
        costs = self._total(
            trace,
            self._state_rewards(strategy.state_costs, "state costs", strategy.name),
            self._transition_rewards(strategy.transition_costs, p, trace),
            self.discount_costs,
        )
        effects = self._total(
            trace,
            self._state_rewards(strategy.state_effects, "state effects", strategy.name),
            self._transition_rewards(strategy.transition_effects, p, trace),
            self.discount_effects,
        )
        return StrategyResult(
            name=strategy.name,
            trace=trace,
            cost=float(costs.sum()),
            effect=float(effects.sum()),
            cost_by_point=costs,
            effect_by_point=effects,
        )
