"""The loaded knowledge base: immutable records plus the look-ups every layer uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from regenaid.knowledge.jurisdictions import FALLBACK, lookup_order
from regenaid.knowledge.model import (
    Claim,
    Condition,
    Contraindication,
    ExchangeRate,
    FirstLineCare,
    GridRow,
    OutcomeRow,
    PriceRange,
    Protocol,
    RegulatoryStatus,
    Source,
    StudyOutcome,
    Treatment,
    TreatmentId,
)


@dataclass(frozen=True, slots=True, eq=False)
class KnowledgeBase:
    """Every cited fact regenaid knows, validated by :func:`regenaid.knowledge.load_knowledge`.

    Build it through the loader: the loader guarantees that every ``sources`` id resolves,
    that each treatment has a ``*`` regulatory fallback and that every (treatment, condition)
    pair a condition lists (except ``no_treatment``) has a protocol. Equality and hashing are
    by identity, so a knowledge base can be a key of ``functools.cache``.
    """

    sources: Mapping[str, Source]
    conditions: Mapping[str, Condition]
    treatments: Mapping[TreatmentId, Treatment]
    contraindications: tuple[Contraindication, ...]
    protocols: Mapping[tuple[TreatmentId, str], Protocol]
    prices: tuple[PriceRange, ...]
    regulatory: tuple[RegulatoryStatus, ...]
    claims: tuple[Claim, ...]
    grid_rows: tuple[GridRow, ...]
    studies: tuple[StudyOutcome, ...] = ()
    # Per condition: what usual first care (the ``conventional`` option) consists of.
    first_line: Mapping[str, FirstLineCare] = field(default_factory=lambda: MappingProxyType({}))
    # Published exchange rates (``exchange_rates.yaml``), for costs in the person's currency.
    exchange_rates: tuple[ExchangeRate, ...] = ()
    # Per (condition, treatment): the summary-of-findings rows of ``outcomes.yaml``.
    outcomes: Mapping[tuple[str, TreatmentId], tuple[OutcomeRow, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    # Per (treatment, condition): the schedule of care for advanced disease only, where it
    # differs from the general one (:attr:`Protocol.advanced`).
    advanced_protocols: Mapping[tuple[TreatmentId, str], Protocol] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def protocol(
        self, treatment: TreatmentId, condition: str, advanced: bool = False
    ) -> Protocol | None:
        """The protocol of ``treatment`` for ``condition``, or None if there is none. With
        ``advanced`` (the person's disease is advanced and the care meant for it is not ruled
        out), the schedule for advanced disease where there is one."""
        if advanced and (found := self.advanced_protocols.get((treatment, condition))):
            return found
        return self.protocols.get((treatment, condition))

    def prices_for(
        self,
        treatment: TreatmentId,
        currency: str | None = None,
        condition: str | None = None,
        advanced: bool = False,
    ) -> PriceRange | None:
        """The default price range of ``treatment`` in ``currency``; falls back to USD.

        With ``condition``, a list made for that condition (for example fillers for volume
        loss) is preferred over the treatment's default list in the same currency.
        ``no_treatment`` has a zero price list. Returns None only when the treatment has no
        price list at all. With ``advanced`` (as in :meth:`protocol`), a list for the care of
        advanced disease in that condition comes first, in ``currency`` or else in USD; lists
        for advanced disease are never used otherwise.
        """
        wanted = currency.strip().upper() if currency else "USD"
        if treatment == "combination" and wanted != "USD":
            summed = self._combination_from_parts(wanted, condition)
            if summed is not None:
                return summed
        if advanced and condition is not None:
            for code in (wanted, "USD"):
                for price in self.prices:
                    if (price.treatment, price.currency) == (treatment, code) and (
                        price.advanced and condition in price.conditions
                    ):
                        return price
        for code in (wanted, "USD"):
            lists = [
                p
                for p in self.prices
                if p.treatment == treatment and p.currency == code and not p.advanced
            ]
            for price in lists:
                if condition is not None and condition in price.conditions:
                    return price
            for price in lists:
                if not price.conditions:
                    return price
        return None

    def _combination_from_parts(self, currency: str, condition: str | None) -> PriceRange | None:
        """Where no page quoted a combined price in ``currency``: the sum of the PRP and exosome
        lists in that currency for the condition, when both exist per session (so a
        combination in pounds is not priced from US hair-clinic prices while pounds prices of
        both parts exist); else None."""
        if any(p.treatment == "combination" and p.currency == currency for p in self.prices):
            return None
        prp = self.prices_for("prp", currency, condition)
        exosome = self.prices_for("exosome", currency, condition)
        if prp is None or exosome is None:
            return None
        if {prp.currency, exosome.currency} != {currency} or prp.unit != exosome.unit:
            return None
        dates = [d for d in (prp.as_of, exosome.as_of) if d]
        return PriceRange(
            treatment="combination",
            currency=currency,
            low=prp.low + exosome.low,
            high=prp.high + exosome.high,
            unit=prp.unit,
            sources=tuple(dict.fromkeys((*prp.sources, *exosome.sources))),
            note=(
                "No page quoted a combined price: the sum of the PRP and exosome price lists "
                f"in {currency} for this condition."
            ),
            conditions=(condition,) if condition else (),
            kind=prp.kind if prp.kind == exosome.kind else None,
            as_of=min(dates) if dates else None,
        )

    def regulatory_status(
        self, treatment: TreatmentId, jurisdiction: str | None = None, condition: str | None = None
    ) -> RegulatoryStatus:
        """Status of ``treatment`` in ``jurisdiction`` (ISO alpha-2). EU members map to ``EU``;
        anything without an entry gets the ``*`` fallback, which says to check local rules.
        With ``condition``, an entry for that condition comes before the jurisdiction's entry
        for every condition."""
        entries = [r for r in self.regulatory if r.treatment == treatment]
        general = {r.jurisdiction: r for r in entries if not r.conditions}
        specific = {r.jurisdiction: r for r in entries if condition in r.conditions}
        for code in lookup_order(jurisdiction):
            if code in specific:
                return specific[code]
            if code in general:
                return general[code]
        # The loader guarantees a "*" entry per treatment; this only guards hand-built bases.
        return RegulatoryStatus(
            treatment=treatment,
            jurisdiction=FALLBACK,
            status="unknown",
            text="We have no information for this place. Check local rules with your regulator.",
            sources=(),
        )

    def claims_about(
        self, treatment: TreatmentId, topic: str | None = None, condition: str | None = None
    ) -> tuple[Claim, ...]:
        """Claims about ``treatment`` (on ``topic`` if given), in data-file order.

        With ``condition``, claims made about the other concern are left out (a claim about
        hair regrowth is not shown for acne scars), and so are findings studied only in other
        conditions (``Claim.conditions``: pattern hair loss trials are not shown for shedding);
        claims without a concern always apply.
        """
        concern = None
        if condition is not None and condition in self.conditions:
            concern = self.conditions[condition].concern
        return tuple(
            c
            for c in self.claims
            if c.treatment == treatment
            and (topic is None or c.topic == topic)
            and (concern is None or c.concern is None or c.concern == concern)
            and (condition is None or not c.conditions or condition in c.conditions)
        )

    def cite(self, ids: Iterable[str]) -> tuple[Source, ...]:
        """The bibliography entries for ``ids`` (each once, in the order given).

        Raises KeyError for an unknown id: the loader has already checked every id in the data,
        so an unknown id here is a programming error.
        """
        seen: dict[str, Source] = {}
        for source_id in ids:
            if source_id not in seen:
                seen[source_id] = self.sources[source_id]
        return tuple(seen.values())

    def is_marketing_claim(self, claim: Claim) -> bool:
        """True when the claim is made by marketing sources (clinic pages), not by evidence."""
        return any(self.sources[s].is_marketing for s in claim.sources)

    def grid_rows_for(self, condition: str) -> tuple[GridRow, ...]:
        """The Option Grid rows that apply to ``condition``."""
        return tuple(r for r in self.grid_rows if not r.conditions or condition in r.conditions)

    def contraindications_for(self, code: str) -> tuple[Contraindication, ...]:
        """Screening rules triggered by the health flag ``code``."""
        return tuple(c for c in self.contraindications if c.code == code)
