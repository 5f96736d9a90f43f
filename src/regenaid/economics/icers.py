"""Incremental cost-effectiveness ratios with strong and extended dominance.

Same rules and row order as dampack's ``calculate_icers`` (DARTH-git/dampack, ``R/icers.R``):

1. Sort by cost (ascending), ties by effect (descending). A strategy is strongly dominated
   (``"D"``) when a strategy earlier in that order has an equal or greater effect.
2. Among the rest, compute ICERs against the previous strategy; a strategy whose ICER is greater
   than the next one's is extendedly dominated (``"ED"``). Repeat until none is found (or at most
   two strategies remain).
3. Rows: the non-dominated (``"ND"``) by increasing cost (the first is the reference, with no
   increments), then ``"ED"``, then ``"D"``, each group by cost then decreasing effect.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

Status = Literal["ND", "ED", "D"]


@dataclass(frozen=True, slots=True)
class IcerRow:
    """One row of the ICER table. Readable as attributes or as ``row["icer"]``."""

    strategy: str
    cost: float
    effect: float
    inc_cost: float | None
    inc_effect: float | None
    icer: float | None
    status: Status

    def __getitem__(self, key: str) -> object:
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)

    def keys(self) -> Iterator[str]:
        return iter(self.__dataclass_fields__)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def icers(
    strategies: Sequence[str], costs: Sequence[float], effects: Sequence[float]
) -> list[IcerRow]:
    """ICER table (see module docstring) for strategies with the given costs and effects."""
    names = [str(s) for s in strategies]
    cost = [float(c) for c in costs]
    effect = [float(e) for e in effects]
    if not (len(names) == len(cost) == len(effect)):
        raise ValueError(
            f"strategies, costs and effects must have the same length "
            f"({len(names)}, {len(cost)}, {len(effect)})"
        )
    if not names:
        raise ValueError("at least one strategy is needed")
    if len(set(names)) != len(names):
        raise ValueError(f"strategy names must be unique, got {names}")
    if len(names) == 1:
        return [IcerRow(names[0], cost[0], effect[0], None, None, None, "ND")]

    order = sorted(range(len(names)), key=lambda i: (cost[i], -effect[i]))
    dominated: set[int] = set()
    for position, j in enumerate(order):
        if any(effect[i] >= effect[j] for i in order[:position]):
            dominated.add(j)

    extended: set[int] = set()
    while True:
        frontier = [i for i in order if i not in dominated and i not in extended]
        if len(frontier) <= 2:
            break
        ratios = _ratios(frontier, cost, effect)
        newly = {frontier[k] for k in range(1, len(frontier) - 1) if ratios[k] > ratios[k + 1]}
        if not newly:
            break
        extended |= newly

    frontier = [i for i in order if i not in dominated and i not in extended]
    rows: list[IcerRow] = []
    for k, i in enumerate(frontier):
        if k == 0:
            rows.append(IcerRow(names[i], cost[i], effect[i], None, None, None, "ND"))
            continue
        previous = frontier[k - 1]
        inc_cost = cost[i] - cost[previous]
        inc_effect = effect[i] - effect[previous]
        rows.append(
            IcerRow(names[i], cost[i], effect[i], inc_cost, inc_effect, inc_cost / inc_effect, "ND")
        )
    groups: tuple[tuple[set[int], Status], ...] = ((extended, "ED"), (dominated, "D"))
    for group, status in groups:
        for i in order:
            if i in group:
                rows.append(IcerRow(names[i], cost[i], effect[i], None, None, None, status))
    return rows


def _ratios(frontier: list[int], cost: list[float], effect: list[float]) -> list[float]:
    """ICER of each frontier strategy against the previous one (index 0 unused)."""
    out = [float("nan")]
    for k in range(1, len(frontier)):
        i, previous = frontier[k], frontier[k - 1]
        out.append((cost[i] - cost[previous]) / (effect[i] - effect[previous]))
    return out
