"""The exchange-rate file: every rate is dated, cited and quotes the number as it was read.

The expected numbers below were typed from the pages themselves (the ECB's eurofxref-daily.xml
of 13 March 2026 as copied in github.com/bosorior/microsoftFabric, which writes decimal commas,
and the State Bank of Pakistan's Mark-to-Market page "As on 02-Dec-24"), not from the data file.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from regenaid.errors import KnowledgeError
from regenaid.knowledge import KnowledgeBase, default_data_dir, load_knowledge, read_knowledge
from regenaid.knowledge.exchange import (
    COUNTRY_CURRENCY,
    conversion,
    conversion_sentence,
    currency_of,
    shown_currencies,
)

# As read: ECB, 1 EUR = ... (13 March 2026); SBP, 1 USD = 277.9735 PKR (2 December 2024).
ECB_SEEN = {
    "USD": "1,1476",
    "GBP": "0,86503",
    "CAD": "1,5726",
    "AUD": "1,6293",
    "JPY": "182,85",
    "INR": "106,0205",
    "KRW": "1711,87",
}
SBP_SEEN = "277.9735"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


def test_every_rate_is_dated_cited_and_quotes_its_number(kb: KnowledgeBase) -> None:
    assert kb.exchange_rates
    for rate in kb.exchange_rates:
        assert date.fromisoformat(rate.as_of) <= date.today(), rate.currency
        source = kb.sources[rate.source]  # in the bibliography
        assert source.type == "regulator" and source.url and source.authors, rate.source
        numbers = {
            float(n.replace(",", ".")) for n in re.findall(r"\d+(?:[.,]\d+)?", rate.verification)
        }
        assert rate.rate in numbers, (rate.currency, rate.verification)
        assert rate.base in ("EUR", "USD") and rate.rate > 0


def test_the_needed_currencies_have_the_rates_read_on_the_pages(kb: KnowledgeBase) -> None:
    by_code = {r.currency: r for r in kb.exchange_rates}
    for code, seen in ECB_SEEN.items():
        rate = by_code[code]
        assert (rate.base, rate.as_of, rate.source) == (
            "EUR",
            "2026-03-13",
            "ecb-eurofxref-2026-03-13",
        )
        assert rate.rate == float(seen.replace(",", "."))
        assert f"currency='{code}' rate='{seen}'" in rate.verification
    pkr = by_code["PKR"]
    assert (pkr.base, pkr.rate, pkr.as_of) == ("USD", float(SBP_SEEN), "2024-12-02")
    assert SBP_SEEN in pkr.verification
    # no dated central-bank page with the dirham's rate was found: not listed, not offered
    assert "AED" not in by_code
    shown = shown_currencies(kb.prices, kb.exchange_rates)
    assert {"USD", "EUR", "GBP", "CAD", "AUD", "JPY", "INR", "PKR", "KRW"} <= set(shown)
    assert "AED" not in shown


def test_cross_rates_are_computed_from_the_published_numbers(kb: KnowledgeBase) -> None:
    gbp = conversion(kb.exchange_rates, "USD", "GBP")
    assert gbp is not None
    assert gbp.rate == pytest.approx(0.86503 / 1.1476)
    assert {leg.currency for leg in gbp.legs} == {"USD", "GBP"}
    eur = conversion(kb.exchange_rates, "USD", "EUR")
    assert eur is not None and eur.rate == pytest.approx(1 / 1.1476)
    pkr = conversion(kb.exchange_rates, "USD", "PKR")
    assert pkr is not None and pkr.rate == pytest.approx(277.9735)
    assert [leg.currency for leg in pkr.legs] == ["PKR"]  # the euro leg cancels out
    via_dollar = conversion(kb.exchange_rates, "GBP", "PKR")
    assert via_dollar is not None
    assert via_dollar.rate == pytest.approx(277.9735 * 1.1476 / 0.86503)
    assert conversion(kb.exchange_rates, "USD", "AED") is None
    assert conversion(kb.exchange_rates, "USD", "USD") is None


def test_the_sentence_names_rate_date_and_source(kb: KnowledgeBase) -> None:
    gbp = conversion(kb.exchange_rates, "USD", "GBP")
    assert gbp is not None
    assert conversion_sentence(gbp, kb.sources) == (
        "Converted from US dollars at 1 USD = 0.7538 GBP, the cross rate of the European "
        "Central Bank's published rates of 13 Mar 2026 (1 EUR = 1.1476 USD = 0.86503 GBP)."
    )
    pkr = conversion(kb.exchange_rates, "USD", "PKR")
    assert pkr is not None
    assert conversion_sentence(pkr, kb.sources) == (
        "Converted from US dollars at 1 USD = 277.9735 PKR, the State Bank of Pakistan's "
        "published rate of 2 Dec 2024."
    )


def test_country_currencies() -> None:
    assert currency_of("gb") == "GBP" and currency_of("UK") == "GBP"
    assert currency_of("DE") == currency_of("EU") == "EUR"
    assert currency_of("SE") == "SEK" and currency_of("PL") == "PLN"
    assert currency_of("KR") == "KRW" and currency_of("AE") == "AED"
    assert currency_of(None) is None and currency_of("NG") is None
    assert set(COUNTRY_CURRENCY) >= {"US", "GB", "EU", "JP", "KR", "PK", "AU", "AE", "CA", "IN"}


# --- the loader refuses a rate it cannot check -----------------------------------------------


@pytest.fixture
def data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(Path(str(default_data_dir())), target)
    return target


def _edit(data: Path, change: object) -> None:
    file = data / "exchange_rates.yaml"
    entries = yaml.safe_load(file.read_text(encoding="utf-8"))
    change(entries)  # type: ignore[operator]
    file.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")


def _gbp(entries: list[dict[str, object]]) -> dict[str, object]:
    return next(e for e in entries if e["currency"] == "GBP")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda es: _gbp(es).update(rate=0.9), "verification"),  # not the number that was read
        (lambda es: _gbp(es).update(source="no-such-source"), "source"),
        (lambda es: _gbp(es).update(as_of="2026-13"), "as_of"),
        (lambda es: _gbp(es).pop("as_of"), "as_of"),
        (lambda es: _gbp(es).update(base="GBP"), "base"),
        (lambda es: _gbp(es).update(currency="pounds"), "currency"),
        (lambda es: es.append(dict(_gbp(es))), "currency"),  # two rates for one currency
        (lambda es: _gbp(es).update(note="x"), "note"),  # unknown field
    ],
)
def test_loader_errors_name_the_field(data: Path, change: object, field: str) -> None:
    _edit(data, change)
    with pytest.raises(KnowledgeError) as err:
        read_knowledge(data)
    assert err.value.file == "exchange_rates.yaml"
    assert err.value.field == field
