"""Cycle weights: discounting and within-cycle corrections, plus rate/probability conversion.

Conventions follow the DARTH cohort-model tutorials (Alarid-Escudero et al., Med Decis Making
2023;43(1):3-20, ``R/Functions.R``): the cohort trace has ``n_cycles + 1`` points
``t = 0..n_cycles`` (point 0 is the starting distribution) and each point's reward is weighted by
a discount factor and a within-cycle correction (WCC).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from regenaid.economics._types import FloatArray

WccMethod = Literal["none", "half-cycle", "simpson1/3"]
WCC_METHODS: tuple[WccMethod, ...] = ("none", "half-cycle", "simpson1/3")
Compounding = Literal["per_cycle", "annual"]


def rate_to_prob(rate: float | FloatArray, cycle_length: float = 1.0) -> FloatArray:
    """Constant-rate conversion ``p = 1 - exp(-r * cycle_length)`` (DARTH ``rate_to_prob``)."""
    return np.asarray(1.0 - np.exp(-np.asarray(rate, dtype=np.float64) * cycle_length))


def prob_to_rate(prob: float | FloatArray, cycle_length: float = 1.0) -> FloatArray:
    """Inverse of :func:`rate_to_prob`: ``r = -log(1 - p) / cycle_length``."""
    return np.asarray(-np.log1p(-np.asarray(prob, dtype=np.float64)) / cycle_length)


def within_cycle_weights(n_cycles: int, method: WccMethod = "none") -> FloatArray:
    """Within-cycle correction weights for the ``n_cycles + 1`` trace points.

    - ``"none"``: every point weight 1.
    - ``"half-cycle"``: 1/2 at the first and last point, 1 elsewhere (trapezoidal rule).
    - ``"simpson1/3"``: as DARTH's ``gen_wcc``: 1/3 at the first and last point; interior points
      with 1-based index ``i = t + 1`` get 2/3 when ``i`` is even and 4/3 when odd. (Composite
      Simpson's rule; DARTH applies it whatever the parity of ``n_cycles``, and so do we.)
    """
    if n_cycles < 1:
        raise ValueError(f"n_cycles must be >= 1, got {n_cycles}")
    if method == "none":
        return np.ones(n_cycles + 1)
    if method == "half-cycle":
        w = np.ones(n_cycles + 1)
        w[0] = w[-1] = 0.5
        return w
    if method == "simpson1/3":
        index = np.arange(1, n_cycles + 2)
        w = np.where(index % 2 == 0, 2.0 / 3.0, 4.0 / 3.0)
        w[0] = w[-1] = 1.0 / 3.0
        return w
    raise ValueError(
        f"unknown within-cycle correction {method!r}; allowed: {', '.join(WCC_METHODS)}"
    )


def discount_weights(
    n_points: int,
    rate: float,
    cycle_length: float = 1.0,
    *,
    compounding: Compounding = "per_cycle",
    first_exponent: int = 0,
) -> FloatArray:
    """Discount factors for ``n_points`` consecutive points with exponents ``first_exponent, ...``.

    ``rate`` is annual. ``"per_cycle"`` (DARTH): ``1 / (1 + rate * cycle_length) ** t``;
    ``"annual"``: ``1 / (1 + rate) ** (t * cycle_length)``. They agree for yearly cycles.
    """
    if rate < 0:
        raise ValueError(f"discount rate must be >= 0, got {rate}")
    t = np.arange(first_exponent, first_exponent + n_points, dtype=np.float64)
    if compounding == "per_cycle":
        return np.asarray((1.0 + rate * cycle_length) ** -t)
    return np.asarray((1.0 + rate) ** (-t * cycle_length))
