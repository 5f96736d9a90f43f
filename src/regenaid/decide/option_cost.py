"""The ``cost`` block of each assessed option, from regenaid's cost model.

Owner: engineer P. For each option the cohort cost model of
:mod:`regenaid.economics.regen_model` runs a probabilistic sensitivity analysis (2,000 draws,
fixed seed, common random numbers across options) over the intake's horizon, in the person's
currency (the budget's, else the one of the country where they would be treated): an option's
price list in that currency when the knowledge base has one, else its USD list converted at a
published, dated exchange rate (:mod:`regenaid.knowledge.exchange`), and the block says which
rate. Without a list or a rate in that currency costs stay in USD, are not compared with the
budget, and the block says so.

Everything but the budget comparison is cached per (condition, options, currency, horizon,
earlier responses) in the shared byte-bounded cache (:mod:`regenaid.caching`), so a new person
whose answers lead to a combination already seen costs a count over the draws and a copy of
the blocks, about as little as a repeated one. :func:`estimate_costs` hands out deep copies the
caller may edit; :func:`cost_blocks`, for callers that only read (an assessment), shallow ones,
which also keep the cached block's JSON for :func:`cost_block_json` (the API writes them).
The options of a combination not seen run together (``regen_model.simulate_many``), and the
parts of its blocks that depend on less than the combination (an option's prices and notes,
how the options priced in one currency compare) are cached apart and shared.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import is_
from typing import Any

import numpy as np
from pydantic import TypeAdapter
from pydantic_core import to_json

from regenaid.caching import ARRAY_OVERHEAD, bytes_cached
from regenaid.decide.course import sessions_over_horizon
from regenaid.decide.intake import Intake, PriorTreatmentId
from regenaid.decide.screening import advanced_care
from regenaid.decide.views import price_basis
from regenaid.economics._types import FloatArray
from regenaid.economics.psa import Interval
from regenaid.economics.regen_model import (
    ASSUMED_MAINTENANCE_WEEKS,
    ASSUMED_RESULTS_WEEKS,
    DEFAULT_DRAWS,
    DEFAULT_SEED,
    BreakEven,
    OptionCosts,
    OptionInputs,
    break_evens,
    clear_draws_cache,
    probability_cheapest,
    simulate_many,
    simulate_option,
)
from regenaid.economics.regen_parameters import (
    DISCONTINUATION_BASIS,
    DISCONTINUATION_PER_YEAR,
    PriorResponse,
    response_prior,
)
from regenaid.economics.sensitivity import TornadoBar
from regenaid.knowledge.base import KnowledgeBase
from regenaid.knowledge.exchange import (
    Conversion,
    conversion,
    conversion_sentence,
    currency_of,
    no_rate_sentence,
)
from regenaid.knowledge.model import TREATMENT_LABELS, PriceRange, TreatmentId

_PRIOR_OF: dict[TreatmentId, tuple[PriorTreatmentId, ...]] = {
    "prp": ("prp",),
    "exosome": ("exosome",),
    "combination": ("prp", "exosome"),
}
_RANK = {"none": 0, "partial": 1, "unknown": 2, "good": 3}


def _money(currency: str, amount: float) -> str:
    return f"{currency} {amount:,.0f}"


def _interval(value: Interval) -> dict[str, float]:
    return {
        "expected": round(value.mean, 2),
        "low": round(value.low, 2),
        "high": round(value.high, 2),
    }


def _prior(intake: Intake, treatment: TreatmentId) -> PriorResponse | None:
    """The person's earlier response relevant to ``treatment`` (the worst of its parts)."""
    known: list[PriorResponse] = []
    for part in _PRIOR_OF.get(treatment, ()):
        found = intake.prior_response(part)
        if found is not None:
            known.append(found)
    worst: PriorResponse | None = None
    for response in known:
        if worst is None or _RANK[response] < _RANK[worst]:
            worst = response
    return worst


def wanted_currency(intake: Intake) -> str | None:
    """The currency to show costs in: the budget's, else the one people pay in where the
    person would be treated (``GB`` -> ``GBP``), else None (USD, nothing to say)."""
    if intake.budget is not None:
        return intake.budget.currency.upper()
    return currency_of(intake.jurisdiction)


def price_in(
    kb: KnowledgeBase,
    treatment: TreatmentId,
    condition: str,
    wanted: str | None,
    advanced: bool = False,
) -> tuple[PriceRange | None, Conversion | None]:
    """``treatment``'s price list as quoted (in ``wanted`` when there is one, else USD) and
    the conversion into ``wanted`` when the quoted list is in another currency and a published
    rate allows it (else None). ``advanced``: the care for advanced disease
    (:func:`regenaid.decide.screening.advanced_care`)."""
    listed = kb.prices_for(treatment, wanted, condition, advanced)
    if listed is None or wanted is None or listed.currency == wanted:
        return listed, None
    return listed, conversion(kb.exchange_rates, listed.currency, wanted)


def _simulated(
    kb: KnowledgeBase,
    condition: str,
    treatments: tuple[TreatmentId, ...],
    currency: str | None,
    horizon_months: int,
    priors: tuple[PriorResponse | None, ...],
    budgeted: bool,
    advanced: bool,
) -> list[tuple[_Run, OptionInputs, tuple[str, ...], Conversion | None]]:
    """Run the cost model per option (each run cached by :func:`_run_option`; the options not
    in the cache run together, :func:`_run_options`): each option's whole run (its shown parts
    too), its inputs, its notes and the price's conversion."""
    chosen = [
        _option_setup(kb, condition, treatment, currency, prior, budgeted, advanced)
        for treatment, prior in zip(treatments, priors, strict=True)
    ]
    runs = _run_option.many([(c[0], horizon_months) for c in chosen], _run_options)
    return [(run, *setup) for run, setup in zip(runs, chosen, strict=True)]


@functools.lru_cache(maxsize=4096)  # a few hundred options of conditions x currencies x priors
def _option_setup(
    kb: KnowledgeBase,
    condition: str,
    treatment: TreatmentId,
    currency: str | None,
    prior: PriorResponse | None,
    budgeted: bool,
    advanced: bool,
) -> tuple[OptionInputs, tuple[str, ...], Conversion | None]:
    """One option's model inputs, its block's assumptions and the conversion of its prices.
    They depend on the option and not on the others of a combination, so combinations not
    seen before that share an option (most of them) look them up instead of making them
    again."""
    listed, converted = price_in(kb, treatment, condition, currency, advanced)
    price = converted.price(listed) if converted and listed else listed
    resp = response_prior(treatment, prior)
    inputs = OptionInputs(
        treatment=treatment,
        protocol=kb.protocol(treatment, condition, advanced),
        price=price,
        response=resp.distribution if resp else None,
        discontinuation_per_year=DISCONTINUATION_PER_YEAR,
    )
    said = conversion_sentence(converted, kb.sources) if converted else None
    notes = _assumptions(treatment, listed, currency, resp, said, budgeted)
    return inputs, tuple(notes + _unknowns_assumed(inputs)), converted


# What the cache charges for a run and for prepared blocks, without walking them (walking them
# with approximate_size took about a twentieth of a cold assessment): the arrays exactly, the
# rest at the sizes approximate_size finds for it (test_option_cost keeps them within 20%).
_RUN_OTHER_BYTES = 750  # the intervals and the rest of OptionCosts
_BAR_BYTES = 380  # one tornado bar
_SHOWN_BAR_BYTES = 480  # one bar's row of the block's sensitivity (the run's shown parts)
_SHOWN_BYTES = 830  # the rest of the shown parts but the curves: the intervals
_BLOCK_BYTES = 5_100  # one cost block without the run's shown parts: texts, break-even
_BLOCK_MONTH_BYTES = 135  # one month of the run's curves (month, expected, low, high)
_BLOCK_JSON_BYTES = 3_200  # the block's JSON (made when an assessment is first written)
_BLOCK_JSON_MONTH_BYTES = 29  # and its curves' JSON per month


def _run_size(run: _Run) -> int:
    costs, bars, _ = run
    arrays = [v for v in vars(costs).values() if isinstance(v, np.ndarray)]
    return (
        sum(ARRAY_OVERHEAD + a.nbytes for a in arrays)
        + _RUN_OTHER_BYTES
        + (_BAR_BYTES + _SHOWN_BAR_BYTES) * len(bars)
        + _SHOWN_BYTES
        + _BLOCK_MONTH_BYTES * (costs.horizon_months + 1)
    )


@dataclass(frozen=True)
class _Shown:
    """A run's parts of a cost block, made once per run: every prepared block of the run (its
    option in any combination, with any budget) holds these same objects, read-only."""

    first_year: dict[str, float]
    horizon_total: dict[str, float]
    cost_per_responder: dict[str, float] | None
    cumulative_by_month: dict[str, list[int] | list[float]]
    sensitivity: list[dict[str, object]]


_Run = tuple[OptionCosts, tuple[TornadoBar, ...], _Shown]


@bytes_cached(_run_size)  # about 20 kB each (2,000 draws of the horizon's costs, the curves)
def _run_option(inputs: OptionInputs, horizon_months: int) -> _Run:
    """The cost model and its one-way sensitivity for one option over the horizon. Cached
    apart from :func:`_prepare`: its combinations share options (the same option with other
    earlier responses for the others, with or without a budget), which then run once.

    The blocks use the intervals, the curves and the draws of the horizon's cost; the draws of
    the first year's cost and of the response are not kept (two thirds of a run's memory, room
    for more runs in the cache)."""
    return _run_options([(inputs, horizon_months)])[0]


def _run_options(calls: list[tuple[Any, ...]]) -> list[_Run]:
    """:func:`_run_option` for each ``(inputs, horizon_months)``: the options with the same
    horizon run together (:func:`regenaid.economics.regen_model.simulate_many`)."""
    out: dict[int, tuple[OptionCosts, tuple[TornadoBar, ...]]] = {}
    by_horizon: dict[int, list[int]] = {}
    for k, (inputs, months) in enumerate(calls):
        if inputs.treatment == "no_treatment":
            costs = simulate_option(inputs, months, DEFAULT_DRAWS, DEFAULT_SEED)
            out[k] = _kept(costs), ()
        else:
            by_horizon.setdefault(months, []).append(k)
    for months, ks in by_horizon.items():
        options = [calls[k][0] for k in ks]
        ran = simulate_many(options, months, DEFAULT_DRAWS, DEFAULT_SEED)
        for k, (costs, bars) in zip(ks, ran, strict=True):
            out[k] = _kept(costs), tuple(bars)
    return _with_shown([out[k] for k in range(len(calls))])


def _with_shown(runs: list[tuple[OptionCosts, tuple[TornadoBar, ...]]]) -> list[_Run]:
    """Each run with its :class:`_Shown` parts; every run's three curves rounded together
    (one pass instead of three small ones per run)."""
    shown = [
        curve
        for costs, _ in runs
        for curve in (costs.cumulative_mean, costs.cumulative_low, costs.cumulative_high)
    ]
    curves = iter(_rounded_rows(np.stack(shown)) if shown else [])
    out: list[_Run] = []
    for costs, bars in runs:
        cumulative: dict[str, list[int] | list[float]] = {
            "month": list(range(costs.horizon_months + 1)),
            "expected": next(curves),
            "low": next(curves),
            "high": next(curves),
        }
        parts = _Shown(
            first_year=_interval(costs.first_year),
            horizon_total=_interval(costs.horizon_total),
            cost_per_responder=(
                _interval(costs.cost_per_responder) if costs.cost_per_responder else None
            ),
            cumulative_by_month=cumulative,
            sensitivity=[
                {
                    "parameter": bar.parameter,
                    "low": round(bar.low_value, 4),
                    "high": round(bar.high_value, 4),
                    "cost_at_low": round(bar.outcome_at_low, 2),
                    "cost_at_high": round(bar.outcome_at_high, 2),
                    "base": round(bar.base_outcome, 2),
                }
                for bar in bars
            ],
        )
        out.append((costs, bars, parts))
    return out


_NOT_KEPT = np.empty(0)
_NOT_KEPT.flags.writeable = False


def _kept(costs: OptionCosts) -> OptionCosts:
    """``costs`` without the draws the blocks do not use (see :func:`_run_option`)."""
    return OptionCosts(**{**vars(costs), "first_year_draws": _NOT_KEPT, "response_draws": None})


def _unknowns_assumed(inputs: OptionInputs) -> list[str]:
    """Assumptions the cost model makes where the protocol does not know (never "free")."""
    protocol = inputs.protocol
    if protocol is None or inputs.treatment == "no_treatment":
        return []
    notes: list[str] = []
    if protocol.time_to_results_weeks is None:
        notes.append(
            "When results show is not known for this option and condition; the model assumes "
            f"the response is judged {ASSUMED_RESULTS_WEEKS.low:g} to "
            f"{ASSUMED_RESULTS_WEEKS.high:g} weeks after the first session."
        )
    if protocol.maintenance_interval_weeks is None and not protocol.maintenance_known:
        notes.append(
            "Whether top-up sessions are needed is not known; the model assumes one every "
            f"{ASSUMED_MAINTENANCE_WEEKS.low:g} to {ASSUMED_MAINTENANCE_WEEKS.high:g} weeks "
            "for people who respond (clinics advertise yearly or twice-yearly top-ups)."
        )
    if inputs.price is not None and inputs.price.per_session is not None:
        per = inputs.price.per_session
        notes.append(f"Priced per syringe; a session uses {per.low:g} to {per.high:g} syringes.")
    return notes


_QUOTED_BY: dict[str, str] = {
    "clinic": "clinic prices quoted",
    "consumer": "those quoted on consumer websites",
    "press": "those reported in the press",
    "retail": "retail (pharmacy) prices quoted",
}
_UNIT_NAMES = {"session": "session", "month": "month of treatment", "syringe": "syringe"}
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _when(as_of: str) -> str:
    """``2022`` -> "in 2022"; ``2022-12`` -> "in December 2022"."""
    year, _, month = as_of.partition("-")
    return f"in {_MONTHS[int(month) - 1]} {year}" if month else f"in {year}"


def _price_basis(price: PriceRange) -> str:
    """Who quoted the price and when, and the range the model draws from (uniformly), e.g.
    "Prices are clinic prices quoted in 2022 (per session: KRW 200,000 to 500,000); ..."."""
    quoted = _QUOTED_BY.get(price.kind or "", "those of the cited pages")
    when = f" {_when(price.as_of)}" if price.as_of else ", date not recorded"
    unit = _UNIT_NAMES.get(price.unit, price.unit)
    return (
        f"Prices are {quoted}{when} (per {unit}: {_money(price.currency, price.low)} to "
        f"{price.high:,.0f}); the model takes any price in that range as equally likely, and a "
        "clinic's own price may differ."
    )


def _assumptions(
    treatment: TreatmentId,
    price: PriceRange | None,
    wanted: str | None,
    resp: object,
    converted: str | None = None,
    budgeted: bool = True,
) -> list[str]:
    """The cost block's assumptions; ``price`` is the list as quoted and ``converted`` the
    sentence saying at which rate it was converted into ``wanted`` (None when it was not)."""
    notes: list[str] = []
    if treatment == "no_treatment":
        return ["No new treatment has no treatment cost in this model."]
    if price is None:
        notes.append(
            "The knowledge base has no price list for this option; its cost is shown as 0."
        )
    else:
        notes.append(_price_basis(price))
        if price.advanced and price.note:  # care for advanced disease: what the price covers
            notes.append(price.note)
        if converted is not None:
            notes.append(converted)
        elif _unconvertible(price, converted, wanted):
            notes.append(no_rate_sentence(wanted or "", price.currency, budgeted))
    basis = getattr(resp, "basis", None)
    if isinstance(basis, str):
        notes.append(basis)
    notes.append(DISCONTINUATION_BASIS)
    notes.append(
        "Everyone completes the initial course; the response is judged at the protocol's time "
        "to visible results; people who do not respond stop."
    )
    notes.append(
        f"Ranges are 95% intervals over {DEFAULT_DRAWS:,} simulations of the uncertain prices, "
        "session counts, intervals and response; costs are not discounted."
    )
    return notes


def _in_sentence(label: str) -> str:
    return label if label.startswith("PRP") else label[0].lower() + label[1:]


def _break_even_text(be: BreakEven, currency: str, horizon: int) -> str:
    a, b = TREATMENT_LABELS[be.option], _in_sentence(TREATMENT_LABELS[be.versus])
    share = f"{be.probability_option_cheaper_at_horizon:.0%}"
    gap = _money(currency, abs(be.difference_at_horizon))
    if be.always_cheaper:
        return (
            f"{a} costs no more than {b} in every month of the {horizon}-month horizon "
            f"({gap} less by month {horizon}; cheaper in {share} of simulations)."
        )
    if be.never:
        return (
            f"{a} still costs more than {b} after {horizon} months ({gap} more); it does not "
            f"pay back within the horizon (cheaper in {share} of simulations)."
        )
    return (
        f"{a} costs more at first, but from month {be.month} its running total is no higher "
        f"than {b}'s (cheaper by month {horizon} in {share} of simulations)."
    )


@dataclass(frozen=True)
class _Prepared:
    """Everything of one option's block that does not depend on the budget amount."""

    treatment: TreatmentId
    currency: str
    block: dict[str, object]  # handed out in copies: estimate_costs deep, cost_blocks shallow
    horizon_draws: FloatArray
    horizon_expected: float
    months: int
    # the block's JSON but for the budget's two keys, made on first use (cost_block_json)
    json: list[bytes] = field(default_factory=list, compare=False, repr=False)
    # the block's keys and values, and where the budget's keys are (for _unchanged)
    keys: list[str] = field(init=False, compare=False, repr=False)
    values: list[object] = field(init=False, compare=False, repr=False)
    budget_at: int = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        keys = list(self.block)
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "values", list(self.block.values()))
        object.__setattr__(self, "budget_at", keys.index(_BUDGET_KEYS[0]))

    def json_parts(self) -> tuple[bytes, bytes]:
        """The JSON of the block before its budget keys (from ``{``) and after them (to the
        last value, without the closing ``}``): ``within_budget`` and
        ``probability_within_budget`` go between."""
        if not self.json:  # two threads may both make them: the same bytes
            keys = list(self.block)
            at = keys.index("within_budget")
            if keys[at + 1] != "probability_within_budget":
                raise ValueError("the budget's keys must be next to each other")
            head = _ANY_DICT.dump_json({k: self.block[k] for k in keys[:at]})
            tail = _ANY_DICT.dump_json({k: self.block[k] for k in keys[at + 2 :]})
            self.json[:] = [head[:-1], tail[1:-1]]
        return self.json[0], self.json[1]


_ANY_DICT = TypeAdapter(dict[str, object])  # as pydantic writes an assessment's cost block
_BUDGET_KEYS = ("within_budget", "probability_within_budget")
_NOT_COMPARED = "budget_not_compared"


class CostBlock(dict[str, object]):
    """A cost block as :func:`cost_blocks` hands it out: a plain dict to every reader, which
    also knows the cached block it was copied from, so that :func:`cost_block_json` can reuse
    that block's JSON."""

    __slots__ = ("prepared",)

    def __init__(self, prepared: _Prepared) -> None:
        super().__init__(prepared.block)
        self.prepared = prepared


def cost_block_json(block: Mapping[str, object]) -> bytes:
    """``block`` as pydantic writes it in an assessment (``TypeAdapter(dict[str, object])``,
    the type of ``OptionAssessment.cost``): the same bytes. For a :class:`CostBlock` still
    holding its cached values (checked: the same keys in the same order, the same objects),
    only the budget's values are written; the rest is the cached block's JSON."""
    prepared = block.prepared if isinstance(block, CostBlock) else None
    if prepared is None or not _unchanged(block, prepared):
        return _ANY_DICT.dump_json(dict(block))
    head, tail = prepared.json_parts()
    budget = _budget_json(block["within_budget"], block["probability_within_budget"])
    parts = [head, budget, tail]
    if _NOT_COMPARED in block:
        parts += [b",", _ANY_DICT.dump_json({_NOT_COMPARED: block[_NOT_COMPARED]})[1:-1]]
    parts.append(b"}")
    return b"".join(parts)


@functools.lru_cache(maxsize=4096)  # True, False or None, and a probability rounded to 0.001
def _budget_json(within: object, probability: object) -> bytes:
    """``,"within_budget":...,"probability_within_budget":...,`` as _ANY_DICT writes them."""
    return b"," + to_json({_BUDGET_KEYS[0]: within, _BUDGET_KEYS[1]: probability})[1:-1] + b","


def _unchanged(block: Mapping[str, object], prepared: _Prepared) -> bool:
    """Whether ``block`` is ``prepared.block`` with other budget values (and perhaps the
    not-compared flag at the end): its other values the same objects, in the same order."""
    cached = prepared.block
    size = len(cached)
    if len(block) != size and (len(block) != size + 1 or _NOT_COMPARED not in block):
        return False
    keys, values = list(block), list(block.values())
    if keys[:size] != prepared.keys:
        return False
    at = prepared.budget_at
    expected = prepared.values
    return all(map(is_, values[:at], expected[:at])) and all(
        map(is_, values[at + 2 : size], expected[at + 2 :])
    )


def _prepared_size(prepared: tuple[_Prepared, ...]) -> int:
    return sum(
        ARRAY_OVERHEAD
        + p.horizon_draws.nbytes
        + _BLOCK_BYTES
        + _BLOCK_JSON_BYTES
        + _BLOCK_JSON_MONTH_BYTES * (p.months + 1)
        for p in prepared
    )


@bytes_cached(_prepared_size)  # 40-250 kB each: draws, curves and text of five options
def _prepare(
    kb: KnowledgeBase,
    condition: str,
    treatments: tuple[TreatmentId, ...],
    wanted: str | None,
    months: int,
    priors: tuple[PriorResponse | None, ...],
    budgeted: bool = True,
    advanced: bool = False,
) -> tuple[_Prepared, ...]:
    runs = _simulated(kb, condition, treatments, wanted, months, priors, budgeted, advanced)
    active = [
        (run[0], inputs)
        for run, inputs, *_ in runs
        if run[0].treatment != "no_treatment" and inputs.price is not None
    ]
    cheapest_in: dict[str, dict[TreatmentId, float]] = {}  # per currency: the same peers
    rows_in: dict[str, dict[tuple[int, int], dict[str, object]]] = {}  # and every pair of them
    out = []
    for (costs, _, shown), inputs, notes, converted in runs:
        treatment = costs.treatment
        price = inputs.price
        currency = price.currency if price else (wanted or "USD")
        peers = [(c, i) for c, i in active if c.currency == currency]
        if currency not in cheapest_in:
            cheapest_in[currency], rows_in[currency] = _compared(peers, currency, months)
        cheapest = cheapest_in[currency]
        breaks = []
        if treatment != "no_treatment":
            at = [k for k, (c, _) in enumerate(peers) if c is costs]
            for i in at:
                for j, (other, _) in enumerate(peers):
                    if other.treatment != treatment:
                        breaks.append(rows_in[currency][i, j])
        price_block, rate_block, assumptions = _option_parts(kb, inputs, converted, notes)
        block: dict[str, object] = {
            "currency": currency,
            "price_per_session": price_block,
            # the published rate the prices were converted at (None: quoted in this currency)
            "exchange_rate": rate_block,
            "horizon_months": months,
            "sessions_over_horizon": _sessions(inputs, months),
            "first_year": shown.first_year,
            "horizon_total": shown.horizon_total,
            "within_budget": None,
            "probability_within_budget": None,
            "break_even": breaks,
            "probability_cheapest": (
                round(cheapest[treatment], 3) if treatment in cheapest else None
            ),
            "cost_per_responder": shown.cost_per_responder,
            "cumulative_by_month": shown.cumulative_by_month,
            "sensitivity": shown.sensitivity,
            "model": _MODEL,
            "assumptions": assumptions,
        }
        out.append(
            _Prepared(
                treatment, currency, block, costs.horizon_draws, costs.horizon_total.mean, months
            )
        )
    return tuple(out)


# The parts of a block that depend on one option (and its horizon) or on the priced options of
# one currency, not on the whole combination: cached apart, so a combination not seen before
# (most of whose options were seen in others) looks them up instead of making them again.
# Every prepared block holding one holds the same object, read-only (as the runs' shown parts).

_MODEL: dict[str, object] = {
    "structure": "cohort state-transition model, monthly cycles",
    "draws": DEFAULT_DRAWS,
    "seed": DEFAULT_SEED,
    "interval": "2.5th to 97.5th percentile",
}


@functools.lru_cache(maxsize=4096)  # as _option_setup: one per option set up, about 2 kB each
def _option_parts(
    kb: KnowledgeBase,
    inputs: OptionInputs,
    converted: Conversion | None,
    notes: tuple[str, ...],
) -> tuple[dict[str, object], dict[str, object] | None, list[str]]:
    """An option's price per session, the rate its prices were converted at (None: quoted in
    the block's currency) and its assumptions, as its blocks show them: the same whatever the
    horizon and the other options (with the sessions, about a tenth of a miss made them)."""
    price = inputs.price
    shown_price: dict[str, object] = {
        "low": price.low if price else 0.0,
        "high": price.high if price else 0.0,
        "unit": price.unit if price else "session",
        "sources": list(price.sources) if price else [],
        # who quoted the price and when, e.g. "clinic prices, 2026"
        "basis": price_basis(price) if price else "",
    }
    rate = _rate_block(converted, kb) if converted else None
    return shown_price, rate, list(notes)


@functools.lru_cache(maxsize=8192)  # options x horizons; a small dict each
def _sessions(inputs: OptionInputs, months: int) -> dict[str, object]:
    """The block's clinic sessions over the horizon, the same in every combination."""
    horizon_range = sessions_over_horizon(inputs.protocol, months)
    return {"low": horizon_range.low, "high": horizon_range.high}


def _compared(
    peers: list[tuple[OptionCosts, OptionInputs]], currency: str, months: int
) -> tuple[dict[TreatmentId, float], dict[tuple[int, int], dict[str, object]]]:
    """How ``peers`` (the runs in ``currency``, with their inputs) compare: each one's
    probability of being the cheapest and the break-even row of ``peers[i]`` against
    ``peers[j]`` for every ``i != j``. Cached per the peers' inputs and horizon
    (:func:`_comparison`): combinations that differ elsewhere (an unpriced option, another
    currency's, no treatment, a budget) share them."""
    key = (tuple(inputs for _, inputs in peers), currency, months)
    return _comparison.many([key], lambda _: [_compare([c for c, _ in peers], currency, months)])[0]


def _compare(
    runs: list[OptionCosts], currency: str, months: int
) -> tuple[dict[TreatmentId, float], dict[tuple[int, int], dict[str, object]]]:
    """:func:`_compared` of the runs themselves."""
    cheapest = probability_cheapest(runs) if len(runs) > 1 else {}
    rows = {pair: _break_even_row(be, currency, months) for pair, be in break_evens(runs).items()}
    return cheapest, rows


def _break_even_row(be: BreakEven, currency: str, months: int) -> dict[str, object]:
    """One row of a block's ``break_even``: the other option, the month and the sentence."""
    return {
        "versus": be.versus,
        "month": be.month,
        "text": _break_even_text(be, currency, months),
        "probability_cheaper_at_horizon": round(be.probability_option_cheaper_at_horizon, 3),
    }


_ROW_BYTES = 540  # one break-even row: its sentence and the rest
_COMPARISON_BYTES = 300  # the probabilities of being the cheapest, the key (inputs are shared)


def _comparison_size(value: tuple[dict[TreatmentId, float], dict[Any, Any]]) -> int:
    return _COMPARISON_BYTES + _ROW_BYTES * len(value[1])


@bytes_cached(_comparison_size)  # up to 7 kB each: a few options' rows
def _comparison(
    peers: tuple[OptionInputs, ...], currency: str, months: int
) -> tuple[dict[TreatmentId, float], dict[tuple[int, int], dict[str, object]]]:
    """:func:`_compared` by the peers' inputs (their runs of :func:`_run_option`); filled by
    :func:`_compared`, which has the runs at hand."""
    return _compare([_run_option(inputs, months)[0] for inputs in peers], currency, months)


def clear_cost_model_cache() -> None:
    """Forget every cached result of the cost model (draws, runs and prepared blocks)."""
    _prepare.cache_clear()
    _run_option.cache_clear()
    _option_setup.cache_clear()
    _option_parts.cache_clear()
    _sessions.cache_clear()
    _comparison.cache_clear()
    clear_draws_cache()


def _rate_block(converted: Conversion, kb: KnowledgeBase) -> dict[str, object]:
    """The conversion as data: from, to, the rate, the sentence and the rates it used."""
    return {
        "from": converted.source,
        "to": converted.target,
        "rate": round(converted.rate, 6),
        "text": conversion_sentence(converted, kb.sources),
        "sources": sorted({leg.source for leg in converted.legs}),
        "published": [
            {"currency": leg.currency, "base": leg.base, "rate": leg.rate, "as_of": leg.as_of}
            for leg in converted.legs
        ],
    }


def _rounded(values: FloatArray) -> list[float]:
    """``round(v, 2)`` of each value (Python's correctly rounded ``round``, not NumPy's)."""
    return _rounded_rows(values.reshape(1, -1))[0]


def _rounded_rows(rows: FloatArray) -> list[list[float]]:
    """``round(v, 2)`` of each value of each row (Python's correctly rounded ``round``, not
    NumPy's), the same floats, for many values at once.

    ``round(v, 2)`` rounds ``100 v`` (exactly) to a whole number ``k``, half to even, and gives
    the float nearest ``k / 100``. ``100 v`` computed in floating point is within
    ``|100 v| x 2**-53`` of the exact product, so where its fractional part is farther than
    that (four times that, here) from a half, ``np.rint`` (half to even, too) finds the same
    ``k``, and ``k / 100`` (a correctly rounded division) is the same float. The few other
    values (and any that are not finite or very large) go through ``round`` itself."""
    scaled = rows * 100.0
    out: list[list[float]] = (np.rint(scaled) / 100.0).tolist()
    fraction, _ = np.modf(scaled)  # (not finite: no fraction to trust, decided below)
    size = np.abs(scaled)
    clear = (np.abs(np.abs(fraction) - 0.5) > size * 2.0**-51) & (size < 2.0**52)
    if not clear.all():
        for r, k in zip(*np.nonzero(~clear), strict=True):
            out[r][k] = round(float(rows[r, k]), 2)
    return out


def _fresh(value: Any) -> Any:
    """A copy of nested dicts and lists (leaves are immutable), so callers may edit it."""
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        if all(type(v) in _LEAVES for v in value):  # e.g. a cost curve: a shallow copy
            return value.copy()
        return [_fresh(v) for v in value]
    return value


_LEAVES = frozenset({float, int, str, bool, type(None)})


def estimate_costs(
    kb: KnowledgeBase, intake: Intake, treatments: Sequence[TreatmentId]
) -> dict[TreatmentId, dict[str, object]]:
    """Cost of each option over the intake's horizon, with 95% intervals (module docstring),
    as fresh copies the caller may edit."""
    return {t: _fresh(block) for t, block in cost_blocks(kb, intake, treatments).items()}


@functools.lru_cache(maxsize=1024)
def _unconverted(
    kb: KnowledgeBase,
    condition: str,
    treatments: tuple[TreatmentId, ...],
    wanted: str | None,
    advanced: bool,
) -> bool:
    """Whether some option's price list is in another currency than ``wanted`` with no rate to
    convert it (:func:`_assumptions` then says so, in words that depend on the budget)."""
    return any(
        _unconvertible(*price_in(kb, treatment, condition, wanted, advanced), wanted)
        for treatment in treatments
    )


def _unconvertible(price: PriceRange | None, converted: object, wanted: str | None) -> bool:
    """Whether ``price`` is shown in its own currency although ``wanted`` is another one: no
    conversion (``converted`` None) was possible."""
    return price is not None and converted is None and bool(wanted) and price.currency != wanted


def cost_blocks(
    kb: KnowledgeBase,
    intake: Intake,
    treatments: Sequence[TreatmentId],
    advanced: bool | None = None,
) -> dict[TreatmentId, dict[str, object]]:
    """:func:`estimate_costs` without the deep copy: each block is a new dict, but the values
    in it (curves, intervals, notes) are the cache's own and must not be changed. For callers
    that only read them, such as an assessment (the way a new person costs about as little as
    one seen before). ``advanced``: whether usual care is the care for advanced disease
    (:func:`regenaid.decide.screening.advanced_care`; worked out here when not given)."""
    if advanced is None:
        advanced = advanced_care(kb, intake)
    months = intake.horizon_months
    wanted = wanted_currency(intake)
    chosen = tuple(treatments)
    priors = (
        tuple(_prior(intake, t) for t in chosen)
        if intake.prior_treatments
        else (None,) * len(chosen)  # (nothing tried before)
    )
    # whether there is a budget changes the blocks only where a price cannot be converted (its
    # note says the costs are not compared with the budget): elsewhere people with and without
    # a budget share one prepared entry
    budgeted = intake.budget is not None and _unconverted(
        kb, intake.condition, chosen, wanted, advanced
    )
    prepared = _prepare(kb, intake.condition, chosen, wanted, months, priors, budgeted, advanced)
    budget = intake.budget
    out: dict[TreatmentId, dict[str, object]] = {}
    for item in prepared:
        block = CostBlock(item)
        if budget is not None and item.currency == budget.currency.upper():
            block["within_budget"] = item.horizon_expected <= budget.amount
            block["probability_within_budget"] = round(
                float(np.count_nonzero(item.horizon_draws <= budget.amount))
                / item.horizon_draws.size,
                3,
            )
        elif budget is not None:  # a budget in a currency we cannot convert to
            block["budget_not_compared"] = True
        out[item.treatment] = block
    return out
