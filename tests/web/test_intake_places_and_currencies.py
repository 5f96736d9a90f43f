"""The budget step offers every place the knowledge base has rules for, and exactly the
currencies the aid can show costs in; answers in any of them become a valid intake."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import yaml
from fastapi.testclient import TestClient

from regenaid.decide import parse_intake
from regenaid.knowledge import default_data_dir, load_knowledge
from regenaid.knowledge.exchange import shown_currencies
from regenaid.knowledge.jurisdictions import EU, EU_MEMBERS, FALLBACK, lookup_order
from regenaid.web.intake_form import CURRENCIES, JURISDICTIONS, intake_from_answers

ANSWERS = {
    "concern": "hair",
    "condition": "androgenetic_alopecia",
    "age": "40",
    "sex": "male",
    "severity": "mild",
}
MESSAGES = {"required": "r", "whole_number": "w", "number": "n", "age_range": "a"}


def _regulatory_places() -> set[str]:
    file = Path(str(default_data_dir())) / "regulatory.yaml"
    entries = yaml.safe_load(file.read_text(encoding="utf-8"))
    return {str(e["jurisdiction"]) for e in entries} - {FALLBACK}


def _budget_step(client: TestClient, csrf_from: Callable[[str], str]) -> str:
    token = csrf_from(client.get("/intake").text)
    data = {**ANSWERS, "step": "prior", "go": "next", "csrf_token": token}
    response = client.post("/intake", data=data)
    assert response.status_code == 200 and 'name="budget.amount"' in response.text
    return response.text


def _options(html: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select name="{re.escape(name)}".*?</select>', html, re.S)
    assert select, name
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(0))


def test_every_regulatory_place_and_other_are_offered(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    options = _options(_budget_step(client, csrf_from), "jurisdiction")
    values = [value for value, _ in options]
    assert options[0] == ("", "Other / not sure")
    for place in _regulatory_places():
        if place == EU:  # the EU is offered as its 27 member states
            assert set(values) >= EU_MEMBERS
        else:
            assert place in values, place
    assert {"CA", "IN"} <= set(values)
    names = [name for value, name in options if value]
    assert names == sorted(names)
    for member in EU_MEMBERS:  # each member state looks up the EU's rules
        assert lookup_order(member)[1] == EU
    kb = load_knowledge()
    for value in values[1:]:
        parse_intake({**ANSWERS, "age": 40, "jurisdiction": value})  # valid ISO 3166-1
        kb.regulatory_status("exosome", value)


def test_currencies_offered_are_exactly_those_the_aid_can_show(
    client: TestClient, csrf_from: Callable[[str], str]
) -> None:
    kb = load_knowledge()
    shown = shown_currencies(kb.prices, kb.exchange_rates)
    assert tuple(code for code, _ in CURRENCIES) == shown
    options = _options(_budget_step(client, csrf_from), "budget.currency")
    assert options[0][0] == ""  # "same as my country" first, chosen by default
    assert [value for value, _ in options[1:]] == list(shown)
    assert {"KRW", "EUR", "GBP", "PKR"} <= set(shown) and "AED" not in shown
    assert ("GBP", "GBP (pounds sterling)") in options
    for code in shown:
        budget = {"amount": 1000, "currency": code}
        parse_intake({**ANSWERS, "age": 40, "budget": budget})


def test_currency_left_to_the_country_follows_the_country() -> None:
    def currency(**extra: str) -> object:
        intake, errors = intake_from_answers(
            {**ANSWERS, "budget.amount": "3000", **extra}, MESSAGES
        )
        assert errors == []
        return intake["budget"]["currency"]

    assert currency(jurisdiction="GB") == "GBP"
    assert currency(jurisdiction="DE") == "EUR"
    assert currency(jurisdiction="KR") == "KRW"
    assert currency() == "USD"  # other / not sure
    assert currency(jurisdiction="GB", **{"budget.currency": "EUR"}) == "EUR"  # chosen wins
    assert len(JURISDICTIONS) == 27 + 9
