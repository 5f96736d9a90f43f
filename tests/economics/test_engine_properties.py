"""Properties of the ICER table and input checks of the cohort model."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regenaid.economics import CohortModel, Strategy, icers

points = st.lists(
    st.tuples(st.integers(0, 10_000), st.integers(0, 1_000)), min_size=1, max_size=8, unique=True
)


@settings(max_examples=200, deadline=None)
@given(points)
def test_frontier_properties(pairs: list[tuple[int, int]]) -> None:
    names = [f"s{k}" for k in range(len(pairs))]
    rows = icers(names, [float(c) for c, _ in pairs], [e / 100 for _, e in pairs])
    assert sorted(r.strategy for r in rows) == sorted(names)
    nd = [r for r in rows if r.status == "ND"]
    assert nd and rows[: len(nd)] == nd  # ND first
    statuses = [r.status for r in rows]
    assert statuses == sorted(statuses, key=["ND", "ED", "D"].index)
    # along the frontier cost and effect rise and ICERs do not fall
    for a, b in itertools.pairwise(nd):
        assert b.cost >= a.cost and b.effect > a.effect
    ratios = [r.icer for r in nd[1:]]
    assert all(x is not None for x in ratios)
    assert all(x <= y + 1e-9 for x, y in itertools.pairwise(ratios))  # type: ignore[operator]
    # a strongly dominated strategy has one at most as costly with at least its effect
    for r in rows:
        if r.status == "D":
            assert any(
                o.strategy != r.strategy and o.cost <= r.cost and o.effect >= r.effect for o in rows
            )


def test_rows_must_sum_to_one() -> None:
    model = CohortModel(states=("a", "b"), initial=np.array([1.0, 0.0]), n_cycles=3)
    bad = Strategy("x", np.array([[0.5, 0.4], [0.0, 1.0]]), np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError, match="do not sum to 1"):
        model.run([bad])


def test_reward_shape_is_checked() -> None:
    model = CohortModel(states=("a", "b"), initial=np.array([1.0, 0.0]), n_cycles=3)
    bad = Strategy("x", np.eye(2), np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="state costs have shape"):
        model.run([bad])


def test_two_state_closed_form() -> None:
    """Survival 0.9 a cycle, 1 per cycle alive, no correction, no discount: sum 0.9^t, t=0..n."""
    p = np.array([[0.9, 0.1], [0.0, 1.0]])
    model = CohortModel(states=("alive", "dead"), initial=np.array([1.0, 0.0]), n_cycles=10)
    result = model.run([Strategy("x", p, np.array([1.0, 0.0]), np.array([1.0, 0.0]))])
    assert result["x"].effect == pytest.approx(sum(0.9**t for t in range(11)))
