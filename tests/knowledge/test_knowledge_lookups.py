"""Look-ups never fail on odd input: any jurisdiction text or currency gives an answer."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from regenaid.knowledge import load_knowledge
from regenaid.knowledge.jurisdictions import EU_MEMBERS, lookup_order
from regenaid.knowledge.model import TREATMENT_IDS, TreatmentId

KB = load_knowledge()


@given(st.sampled_from(TREATMENT_IDS), st.one_of(st.none(), st.text(max_size=6)))
def test_regulatory_status_always_answers(treatment: TreatmentId, code: str | None) -> None:
    status = KB.regulatory_status(treatment, code)
    assert status.treatment == treatment
    assert status.jurisdiction in lookup_order(code)
    assert status.text


@given(st.sampled_from(TREATMENT_IDS), st.one_of(st.none(), st.text(max_size=4)))
def test_prices_for_always_answers_with_a_known_currency(
    treatment: TreatmentId, currency: str | None
) -> None:
    price = KB.prices_for(treatment, currency)
    assert price is not None
    wanted = currency.strip().upper() if currency else "USD"
    assert price.currency in (wanted, "USD")
    assert 0 <= price.low <= price.high


@given(st.sampled_from(sorted(EU_MEMBERS)))
def test_lookup_order_for_members_goes_through_eu(code: str) -> None:
    assert lookup_order(code) == (code, "EU", "*")
