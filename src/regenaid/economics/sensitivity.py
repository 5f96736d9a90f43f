"""One-way sensitivity analysis and tornado data.

Each parameter in turn is set to its low and its high value (by default the 2.5th and 97.5th
percentiles of its distribution) while the others stay at their base values; the outcome is
recomputed. Bars are sorted by their width, widest first (the tornado's order).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from regenaid.economics.distributions import Distribution


@dataclass(frozen=True)
class TornadoBar:
    """The outcome at a parameter's low and high value (others at base)."""

    parameter: str
    low_value: float
    high_value: float
    outcome_at_low: float
    outcome_at_high: float
    base_outcome: float

    @property
    def width(self) -> float:
        return abs(self.outcome_at_high - self.outcome_at_low)


def one_way(
    outcome: Callable[[Mapping[str, float]], float],
    base: Mapping[str, float],
    ranges: Mapping[str, tuple[float, float]],
) -> list[TornadoBar]:
    """Tornado bars of ``outcome`` for each parameter of ``ranges`` (others at ``base``)."""
    unknown = sorted(set(ranges) - set(base))
    if unknown:
        raise ValueError(f"ranges name parameters without a base value: {', '.join(unknown)}")
    base_outcome = outcome(base)
    bars = []
    for name, (low, high) in ranges.items():
        at_low = outcome({**base, name: low})
        at_high = outcome({**base, name: high})
        bars.append(TornadoBar(name, low, high, at_low, at_high, base_outcome))
    return sorted(bars, key=lambda b: b.width, reverse=True)


def ranges_from(
    distributions: Mapping[str, Distribution], level: float = 0.95
) -> dict[str, tuple[float, float]]:
    """Central ``level`` interval of each distribution (for :func:`one_way`)."""
    q = (1 - level) / 2
    return {name: (d.ppf(q), d.ppf(1 - q)) for name, d in distributions.items()}
