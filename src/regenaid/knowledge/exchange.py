"""Exchange rates: a price list shown in the person's currency, with the rate's date and source.

``data/exchange_rates.yaml`` lists published rates
(:class:`~regenaid.knowledge.model.ExchangeRate`): units of a currency per one unit of a base
currency on one day. The European Central Bank quotes every currency against the euro and the
State Bank of Pakistan quotes the rupee against the US dollar, so a conversion between two
other currencies is a cross rate through the euro (and the dollar). :func:`conversion`
computes it and keeps every published rate it used, so :func:`conversion_sentence` can name
them: "Converted from US dollars at 1 USD = 0.7538 GBP, the cross rate of the European Central
Bank's published rates of 13 Mar 2026 (1 EUR = 1.1476 USD = 0.86503 GBP)."
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from regenaid.errors import KnowledgeError
from regenaid.knowledge._fields import EntryReader
from regenaid.knowledge.jurisdictions import EU, EU_MEMBERS, normalise_jurisdiction
from regenaid.knowledge.model import ExchangeRate, PriceRange, Source

FILE = "exchange_rates.yaml"
EURO = "EUR"
DOLLAR = "USD"
# Rates are quoted against one of these (the ECB against the euro, others against the dollar).
BASES: tuple[str, ...] = (EURO, DOLLAR)

# How a sentence names an amount of money in each currency ("Converted from US dollars ...").
CURRENCY_NAMES: dict[str, str] = {
    "AED": "UAE dirhams",
    "AUD": "Australian dollars",
    "BRL": "Brazilian reais",
    "CAD": "Canadian dollars",
    "CHF": "Swiss francs",
    "CNY": "Chinese yuan",
    "CZK": "Czech koruny",
    "DKK": "Danish kroner",
    "EUR": "euros",
    "GBP": "pounds sterling",
    "HKD": "Hong Kong dollars",
    "HUF": "Hungarian forints",
    "IDR": "Indonesian rupiah",
    "ILS": "Israeli shekels",
    "INR": "Indian rupees",
    "ISK": "Icelandic kronur",
    "JPY": "Japanese yen",
    "KRW": "South Korean won",
    "MXN": "Mexican pesos",
    "MYR": "Malaysian ringgit",
    "NOK": "Norwegian kroner",
    "NZD": "New Zealand dollars",
    "PHP": "Philippine pesos",
    "PKR": "Pakistani rupees",
    "PLN": "Polish zloty",
    "RON": "Romanian lei",
    "SEK": "Swedish kronor",
    "SGD": "Singapore dollars",
    "THB": "Thai baht",
    "TRY": "Turkish lira",
    "USD": "US dollars",
    "ZAR": "South African rand",
}

# The currency (ISO 4217) people pay in, for the places the intake form offers. EU members
# outside the euro area keep their own currency; Bulgaria uses the euro since 1 January 2026
# (the ECB's list of 13 March 2026 no longer has a lev rate) and Croatia since 2023.
_OWN_CURRENCY_IN_EU: dict[str, str] = {
    "CZ": "CZK",
    "DK": "DKK",
    "HU": "HUF",
    "PL": "PLN",
    "RO": "RON",
    "SE": "SEK",
}
COUNTRY_CURRENCY: dict[str, str] = {
    "AE": "AED",
    "AU": "AUD",
    "CA": "CAD",
    "GB": "GBP",
    "IN": "INR",
    "JP": "JPY",
    "KR": "KRW",
    "PK": "PKR",
    "US": "USD",
    EU: EURO,
    **{code: _OWN_CURRENCY_IN_EU.get(code, EURO) for code in EU_MEMBERS},
}

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def currency_of(jurisdiction: str | None) -> str | None:
    """The currency people pay in where they live (``GB`` -> ``GBP``), or None if not known."""
    code = normalise_jurisdiction(jurisdiction)
    return COUNTRY_CURRENCY.get(code) if code else None


@dataclass(frozen=True, slots=True)
class Conversion:
    """``rate`` units of ``target`` per 1 unit of ``source``, from the published ``legs``."""

    source: str
    target: str
    rate: float
    legs: tuple[ExchangeRate, ...]

    def price(self, price: PriceRange) -> PriceRange:
        """``price`` (a list in ``source``) as the same list in ``target``."""
        return replace(
            price, currency=self.target, low=price.low * self.rate, high=price.high * self.rate
        )


def _paths(rates: Iterable[ExchangeRate]) -> dict[str, tuple[float, tuple[ExchangeRate, ...]]]:
    """Units of each currency per euro, with the published rates that give it."""
    paths: dict[str, tuple[float, tuple[ExchangeRate, ...]]] = {EURO: (1.0, ())}
    by_dollar = []
    for r in rates:
        if r.base == EURO:
            paths[r.currency] = (r.rate, (r,))
        else:
            by_dollar.append(r)
    dollar = paths.get(DOLLAR)
    if dollar is not None:
        for r in by_dollar:
            paths[r.currency] = (r.rate * dollar[0], (r, *dollar[1]))
    return paths


def convertible(rates: Iterable[ExchangeRate]) -> frozenset[str]:
    """Every currency a price can be converted into (and from) with ``rates``."""
    return frozenset(_paths(rates))


def conversion(rates: Iterable[ExchangeRate], source: str, target: str) -> Conversion | None:
    """How to convert ``source`` into ``target`` with ``rates`` (None when a rate is missing
    or the two are the same currency). Rates used by both sides cancel out of ``legs``."""
    if source == target:
        return None
    paths = _paths(rates)
    if source not in paths or target not in paths:
        return None
    per_source, source_legs = paths[source]
    per_target, target_legs = paths[target]
    legs = tuple(
        leg
        for leg in (*source_legs, *target_legs)
        if not (leg in source_legs and leg in target_legs)
    )
    return Conversion(source, target, per_target / per_source, legs)


def shown_currencies(
    prices: Sequence[PriceRange], rates: Iterable[ExchangeRate]
) -> tuple[str, ...]:
    """The currencies every option's cost can be shown in: those with a rate (prices are
    converted) and those with a default price list for every treatment; sorted by code."""
    treatments = {p.treatment for p in prices}
    complete = {
        currency
        for currency in {p.currency for p in prices}
        if all(
            any(p.treatment == t and p.currency == currency and not p.conditions for p in prices)
            for t in treatments
        )
    }
    return tuple(sorted(complete | convertible(rates)))


def _day(as_of: str) -> str:
    """``2026-03-13`` -> ``13 Mar 2026``."""
    year, month, day = (int(part) for part in as_of.split("-"))
    return f"{day} {_MONTHS[month - 1]} {year}"


def format_rate(value: float) -> str:
    """A rate with four significant figures at least: 0.7538, 1.3703, 159.33, 1,491.7."""
    if value >= 1000:
        return f"{value:,.1f}"
    if value >= 10:
        return f"{value:,.2f}"
    return f"{value:.4f}"


def _published(value: float) -> str:
    """A published rate as printed (no trailing zeros added): 1.1476, 0.86503, 1,711.87."""
    whole, _, decimals = repr(value).partition(".")
    text = f"{int(whole):,}"
    decimals = decimals.rstrip("0")
    return f"{text}.{decimals}" if decimals else text


def conversion_sentence(conv: Conversion, sources: Mapping[str, Source]) -> str:
    """One plain sentence naming the rate, where it comes from and its date, e.g. "Converted
    from US dollars at 1 USD = 277.9735 PKR, the State Bank of Pakistan's rate of 2 Dec 2024."."""
    name = CURRENCY_NAMES.get(conv.source, conv.source)
    direct = (
        len(conv.legs) == 1
        and conv.legs[0].base == conv.source
        and conv.legs[0].currency == conv.target
    )
    rate = _published(conv.rate) if direct else format_rate(conv.rate)
    groups: dict[tuple[str, str, str], list[ExchangeRate]] = {}
    for leg in conv.legs:
        groups.setdefault((leg.source, leg.as_of, leg.base), []).append(leg)
    parts = []
    for (source_id, as_of, base), legs in groups.items():
        source = sources.get(source_id)
        who = (source.authors or source.title) if source else source_id
        noun = "rate" if len(legs) == 1 else "rates"
        text = f"the {who}'s published {noun} of {_day(as_of)}"
        if not direct:
            quoted = " = ".join(f"{_published(leg.rate)} {leg.currency}" for leg in legs)
            text += f" (1 {base} = {quoted})"
        parts.append(text)
    kind = "the cross rate of " if len(conv.legs) > 1 else "from "
    if direct:
        kind = ""
    return (
        f"Converted from {name} at 1 {conv.source} = {rate} {conv.target}, "
        f"{kind}{' and '.join(parts)}."
    )


def no_rate_sentence(wanted: str, shown: str, budgeted: bool) -> str:
    """What to say when costs cannot be shown in ``wanted`` (no list and no rate)."""
    text = f"We have no price list or exchange rate for {wanted}: costs are shown in {shown}"
    return text + (" and are not compared with your budget." if budgeted else ".")


# --- reading exchange_rates.yaml ---------------------------------------------------------------


def _as_of(r: EntryReader) -> str:
    text = r.text("as_of")
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or len(text) != 10:
        raise r.error("as_of", "must be the date the rate is for, YYYY-MM-DD")
    return text


def _shows(verification: str, rate: float) -> bool:
    """True when the quoted text contains ``rate`` (written with a decimal point or comma)."""
    for match in _NUMBER.finditer(verification):
        digits = match.group()
        for text in (digits.replace(",", "."), digits.replace(",", "")):
            try:
                if float(text) == rate:
                    return True
            except ValueError:
                continue
    return False


def read_exchange_rates(
    entries: Sequence[object], known: frozenset[str], file: str = FILE
) -> tuple[ExchangeRate, ...]:
    """Validate the entries of ``exchange_rates.yaml`` (see the module docstring)."""
    rates: list[ExchangeRate] = []
    for i, item in enumerate(entries):
        name = f"#{i + 1}"
        if isinstance(item, Mapping) and isinstance(item.get("currency"), str):
            name = str(item["currency"])
        r = EntryReader(file, name, item, known)
        currency = r.text("currency")
        if not _CURRENCY.match(currency):
            raise r.error("currency", "must be an ISO 4217 code such as GBP or KRW")
        base = r.choice("base", BASES)
        if currency == base:
            raise r.error("currency", "a currency is not quoted against itself")
        rate = r.number("rate", minimum=0)
        if rate <= 0:
            raise r.error("rate", "must be above 0")
        source = r.text("source")
        if source not in known:
            raise r.error("source", f"unknown source id {source!r} (not in sources/*.yaml)")
        verification = r.text("verification")
        if not _shows(verification, rate):
            raise r.error("verification", f"must quote the rate {rate:g} as it was read")
        entry = ExchangeRate(currency, base, rate, _as_of(r), source, verification)
        r.finish()
        if any(other.currency == currency for other in rates):
            raise r.error("currency", "a currency has one rate (the latest one read)")
        rates.append(entry)
    if any(r.base == DOLLAR for r in rates) and not any(
        r.currency == DOLLAR and r.base == EURO for r in rates
    ):
        raise KnowledgeError(
            file, DOLLAR, "base", "rates against USD need the euro's USD rate to cross"
        )
    return tuple(rates)
