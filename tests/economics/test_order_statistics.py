"""Percentiles from order statistics (psa.order_statistics, quantiles_of_statistics): the values
np.sort and np.quantile give, to the bit, whatever the rows hold."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pytest

from regenaid.economics.psa import (
    order_statistics,
    quantile_positions,
    quantiles_of_sorted,
    quantiles_of_statistics,
    threshold_pays,
)

Method = Literal["auto", "threshold", "partition"]


def _rows(kind: str, rng: np.random.Generator, count: int, n: int) -> np.ndarray:
    if kind == "uniform":
        return rng.uniform(0, 1, (count, n))
    if kind == "ties":  # many equal values: thresholds with far too many values beyond them
        return np.round(rng.gamma(2.0, 100.0, (count, n)), -2)
    if kind == "mostly zero":
        rows = np.zeros((count, n))
        rows[:, ::3] = rng.uniform(0, 1, (count, (n + 2) // 3))
        return rows
    if kind == "cumulative":  # running totals, as the cost model's months
        return np.cumsum(rng.gamma(0.5, 300.0, (count, n)) * (rng.random((count, n)) < 0.3), axis=0)
    if kind == "constant":
        return np.full((count, n), 3.5)
    if kind == "sampled ends":  # every 8th value among a row's smallest or largest: the
        # values a threshold is taken from are not typical of the row (too few beyond it)
        rows = rng.uniform(10, 20, (count, n))
        rows[:, ::16] = rng.uniform(0, 1, (count, len(range(0, n, 16))))
        rows[:, 8::16] = rng.uniform(30, 31, (count, len(range(8, n, 16))))
        return rows
    if kind == "sorted":
        return np.sort(rng.uniform(0, 1, (count, n)), axis=1)
    return rng.integers(0, 4, (count, n)).astype(np.float64)  # few distinct values


KINDS = [
    "uniform",
    "ties",
    "mostly zero",
    "cumulative",
    "constant",
    "sampled ends",
    "sorted",
    "few values",
]


METHODS = ["auto", "threshold", "partition"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [1, 5, 500, 1023, 1024, 2000, 2001, 5000])
def test_order_statistics_are_those_of_a_full_sort(kind: str, n: int, method: Method) -> None:
    rng = np.random.default_rng(n)
    rows = _rows(kind, rng, 23, n)
    levels = (0.025, 0.975, (1 - 0.95) / 2, (1 + 0.95) / 2)
    tails = quantile_positions(n, levels)
    middle = sorted({*tails, n // 2, n - 1, 0})
    ordered = np.sort(rows, axis=1)
    for positions in (tails, middle):
        found = order_statistics(rows, positions, method=method)
        assert sorted(found) == sorted(set(positions))
        for p in positions:
            np.testing.assert_array_equal(found[p], ordered[:, p])
        for q in levels:
            expected = np.quantile(rows, q, axis=1)
            np.testing.assert_array_equal(quantiles_of_statistics(found, n, q), expected)
            np.testing.assert_array_equal(quantiles_of_sorted(ordered, q), expected)


@pytest.mark.parametrize("method", METHODS)
def test_order_statistics_of_views_and_no_rows(method: Method) -> None:
    rng = np.random.default_rng(3)
    wide = np.cumsum(rng.uniform(0, 1, (12, 2100)), axis=0)
    rows = wide[2:, 40:2040]  # not contiguous
    before = rows.copy()
    positions = quantile_positions(2000, (0.025, 0.975))
    found = order_statistics(rows, positions, method=method)
    for p in positions:
        np.testing.assert_array_equal(found[p], np.sort(rows, axis=1)[:, p])
    np.testing.assert_array_equal(rows, before)  # not in place: the rows keep their order
    empty = order_statistics(np.empty((0, 2000)), positions, method=method)
    assert all(v.shape == (0,) for v in empty.values())
    with pytest.raises(ValueError):
        order_statistics(rows, [2000])
    with pytest.raises(ValueError):
        order_statistics(rows[0], positions)


def test_the_method_is_measured_once_and_unknown_ones_are_refused() -> None:
    first = threshold_pays()
    assert isinstance(first, bool)
    assert threshold_pays() is first  # a property of the processor: not measured again
    rows = np.random.default_rng(4).uniform(0, 1, (3, 2000))
    with pytest.raises(ValueError, match="method"):
        order_statistics(rows, [50], method="sort")  # type: ignore[arg-type]
