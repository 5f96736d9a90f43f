"""Regulation and prices where the person lives (issue 8, deliverable 7), on the shipped data.

Checks what a careful reader would ask of the price and regulation rows: every price says who
quoted it and when; Korean exosome rows say plainly that injection and microneedling are not
permitted routes there and rest on press or regulator reports, never on marketing; the cost
block repeats who quoted the price and when.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from regenaid.decide import parse_intake
from regenaid.decide.assessment import WARN_STATUSES
from regenaid.decide.option_cost import estimate_costs
from regenaid.errors import KnowledgeError
from regenaid.knowledge import KnowledgeBase, load_knowledge
from regenaid.knowledge.loader import default_data_dir, read_knowledge
from regenaid.knowledge.model import SKIN_CONDITIONS, TreatmentId


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


def test_every_non_conventional_price_says_who_quoted_it_and_when(kb: KnowledgeBase) -> None:
    for price in kb.prices:
        if price.treatment == "conventional" or price.high == 0:
            continue
        assert price.kind is not None, (price.treatment, price.currency)
        assert price.as_of is not None, (price.treatment, price.currency)
        assert price.note, (price.treatment, price.currency)


def test_korean_exosome_price_is_a_2022_press_price_for_skin_only(kb: KnowledgeBase) -> None:
    for condition in SKIN_CONDITIONS:
        krw = kb.prices_for("exosome", "KRW", condition)
        assert krw is not None and krw.currency == "KRW", condition
        assert (krw.low, krw.high, krw.unit) == (200_000, 500_000, "session")
        assert (krw.kind, krw.as_of) == ("press", "2022-12")
        assert all(kb.sources[s].type != "marketing" for s in krw.sources)
    # no Korean price for hair or for the combination: both fall back to USD
    hair = kb.prices_for("exosome", "KRW", "androgenetic_alopecia")
    assert hair is not None and hair.currency == "USD"
    combination = kb.prices_for("combination", "KRW", "skin_rejuvenation")
    assert combination is not None and combination.currency == "USD"


@pytest.mark.parametrize("treatment", ["exosome", "combination"])
def test_korea_says_exosomes_may_not_be_injected_or_microneedled(
    kb: KnowledgeBase, treatment: TreatmentId
) -> None:
    row = kb.regulatory_status(treatment, "KR")
    assert row.jurisdiction == "KR"
    assert row.status in WARN_STATUSES  # shown as a notice at the top, not only in details
    text = row.text.lower()
    assert "cosmetic" in text and "microneedl" in text and "inject" in text
    assert "never" in text and ("not permitted" in text or "may not" in text)
    assert "licence was suspended" in text or "suspended a doctor's" in text
    types = {kb.sources[s].type for s in row.sources}
    assert "marketing" not in types and "trade_press" in types
    assert row.note and "not read" in row.note  # says the MFDS page itself was not read


def test_no_korean_row_presents_microneedling_as_a_route(kb: KnowledgeBase) -> None:
    for row in kb.regulatory:
        if row.jurisdiction == "KR" and "microneedl" in row.text.lower():
            assert "never" in row.text.lower() or "not permitted" in row.text.lower(), row


def test_regulatory_rows_never_rest_on_marketing(kb: KnowledgeBase) -> None:
    for row in kb.regulatory:
        assert all(kb.sources[s].type != "marketing" for s in row.sources), row


def test_press_based_rows_say_what_was_not_checked_at_the_regulator(kb: KnowledgeBase) -> None:
    for row in kb.regulatory:
        types = {kb.sources[s].type for s in row.sources}
        if row.sources and "regulator" not in types and row.jurisdiction != "*":
            assert row.note, (row.treatment, row.jurisdiction)


def test_every_entry_of_the_regulatory_prices_bibliography_is_cited(kb: KnowledgeBase) -> None:
    path = Path(str(default_data_dir())) / "sources" / "regulatory_prices.yaml"
    ours = [entry["id"] for entry in yaml.safe_load(path.read_text(encoding="utf-8"))]
    cited = {s for row in kb.regulatory for s in row.sources}
    cited |= {s for price in kb.prices for s in price.sources}
    cited |= {rate.source for rate in kb.exchange_rates}  # exchange_rates.yaml (issue 9)
    assert [i for i in ours if i not in cited] == []


def test_cost_block_says_who_quoted_the_price_and_when(kb: KnowledgeBase) -> None:
    intake = parse_intake(
        {
            "concern": "skin",
            "condition": "skin_rejuvenation",
            "age": 35,
            "sex": "female",
            "severity": "mild",
            "jurisdiction": "KR",
            "budget": {"amount": 2_000_000, "currency": "KRW", "horizon_months": 12},
        }
    )
    costs = estimate_costs(kb, intake, ("exosome", "prp"))
    assert costs["exosome"]["currency"] == "KRW"
    exosome = cast(list[str], costs["exosome"]["assumptions"])
    assert any(
        a.startswith("Prices are those reported in the press in December 2022")
        and "KRW 200,000 to 500,000" in a
        for a in exosome
    ), exosome
    # no KRW list for PRP: USD, and it still says who quoted the price and when
    prp = cast(list[str], costs["prp"]["assumptions"])
    assert any(a.startswith("Prices are those quoted on consumer websites in 2026") for a in prp)


# --- the loader requires who quoted a price and when -------------------------------------------


@pytest.fixture
def data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(Path(str(default_data_dir())), target)
    return target


def _drop_from_prp_usd(data: Path, field: str) -> None:
    path = data / "prices.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    price = next(e for e in entries if e["treatment"] == "prp" and e["currency"] == "USD")
    del price[field]
    path.write_text(yaml.safe_dump(entries, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize("field", ["kind", "as_of"])
def test_a_price_without_who_or_when_is_refused(data: Path, field: str) -> None:
    _drop_from_prp_usd(data, field)
    with pytest.raises(KnowledgeError) as caught:
        read_knowledge(data)
    error = caught.value
    assert (error.file, error.entry, error.field) == ("prices.yaml", "prp/USD", field)


def test_a_zero_price_needs_no_who_or_when(kb: KnowledgeBase) -> None:
    free = kb.prices_for("no_treatment", "USD")
    assert free is not None and free.high == 0 and free.kind is None and free.as_of is None


def test_exosome_injection_is_not_offered_in_south_korea() -> None:
    """MFDS: cosmetics (as exosome products are sold there) must never be injected or pushed
    in with microneedles; a doctor's licence was suspended for injecting one."""
    from regenaid.decide import assess, parse_intake
    from regenaid.reports.assessment_view import build_view

    intake = {
        "concern": "hair",
        "condition": "androgenetic_alopecia",
        "age": 28,
        "sex": "male",
        "severity": "mild",
        "priorities": {"speed": 4, "avoid_blood_draw": 4},
    }
    korea = assess(parse_intake({**intake, "jurisdiction": "KR"}))
    for treatment in ("exosome", "combination"):
        option = next(o for o in korea.options if o.treatment == treatment)
        assert option.eligibility == "contraindicated" and option.rank is None
        assert option.reasons[0].code == "not_permitted_here"
        assert "microneedles" in option.reasons[0].text
    view = {o.id: o for o in build_view(korea.model_dump()).options}
    assert view["exosome"].eligibility_text == "Not permitted where you live"
    us = assess(parse_intake({**intake, "jurisdiction": "US"}))
    assert next(o for o in us.options if o.treatment == "exosome").rank is not None


def test_a_combination_in_pounds_is_priced_from_its_parts_in_pounds() -> None:
    # acne scars in GB: PRP GBP 300-1,000 and exosomes GBP 500-800 a session (prices.yaml);
    # the combination was priced from the US hair list (USD 1,900-12,000, about GBP
    # 1,432-9,045), more than the two parts together
    kb = load_knowledge()
    combo = kb.prices_for("combination", "GBP", "acne_scars")
    assert combo is not None and combo.currency == "GBP"
    assert (combo.low, combo.high) == (300 + 500, 1000 + 800)
    assert "sum of the PRP and exosome" in (combo.note or "")
    # without a pounds list for one part (exosomes for hair), no sum: the USD list as before
    hair = kb.prices_for("combination", "GBP", "androgenetic_alopecia")
    assert hair is not None and hair.currency == "USD"


# Words that name another concern's products: a person with acne scars was told that usual care
# "uses medicines the FDA approved, for example minoxidil and finasteride for pattern hair loss".
_OTHER_CONCERN_WORDS = {
    "hair": ("filler", "melasma", "wrinkle", "acne", "botox", "microneedl"),
    "skin": ("finasteride", "minoxidil", "hair", "alopecia"),
}


def test_usual_care_regulation_in_the_us_speaks_of_the_persons_condition(
    kb: KnowledgeBase,
) -> None:
    for condition_id, condition in kb.conditions.items():
        text = kb.regulatory_status("conventional", "US", condition_id).text.lower()
        for word in _OTHER_CONCERN_WORDS[condition.concern]:
            assert word not in text, (condition_id, word)


def test_usual_care_regulation_for_women_says_finasteride_is_not_for_them(
    kb: KnowledgeBase,
) -> None:
    text = kb.regulatory_status("conventional", "US", "female_pattern_hair_loss").text
    assert "not for women" in text


def test_an_assessment_shows_its_conditions_usual_care_regulation() -> None:
    from regenaid.decide import assess

    intake = parse_intake(
        {
            "concern": "skin",
            "condition": "acne_scars",
            "age": 30,
            "sex": "female",
            "severity": "moderate",
            "jurisdiction": "US",
        }
    )
    usual = next(o for o in assess(intake).options if o.treatment == "conventional")
    assert "microneedling devices" in usual.regulatory.text
    assert "fda-microneedling-devices" in usual.regulatory.sources
    assert "finasteride" not in usual.regulatory.text


def test_a_regulatory_text_that_says_we_have_not_verified_carries_that_status(
    kb: KnowledgeBase,
) -> None:
    # alopecia areata's text said the steroids' status was not checked, under
    # "licensed_medicines": no notice, though steroids are all a person with patches is offered
    for row in kb.regulatory:
        if re.search(r"have not verified|did not check", row.text, re.I):
            assert row.status == "not_verified", (row.treatment, row.jurisdiction, row.conditions)


def test_no_harm_line_speaks_of_acne_scars_to_someone_without_them() -> None:
    # "Adding PRP to microneedling for acne scars ..." was shown for scars, pigmentation and
    # skin rejuvenation
    from regenaid.decide import assess

    for condition in ("scars", "pigmentation", "skin_rejuvenation", "fine_lines_wrinkles"):
        intake = parse_intake(
            {
                "concern": "skin",
                "condition": condition,
                "age": 45,
                "sex": "female",
                "severity": "mild",
                "jurisdiction": "US",
            }
        )
        for o in assess(intake).options:
            for harm in o.harms:
                assert "acne scars" not in harm.text, (condition, o.treatment, harm.text)


def test_the_tretinoin_warning_names_the_cream_that_contains_it(kb: KnowledgeBase) -> None:
    # "Lightening cream (triple-combination cream or hydroquinone): It contains tretinoin" was
    # false of hydroquinone alone
    care = kb.first_line["pigmentation"]
    cream = next(c for c in care.components if c.name.startswith("Lightening cream"))
    assert any("triple-combination cream contains tretinoin" in w.text for w in cream.warnings)
    assert not any(w.text.startswith("It contains") for w in cream.warnings)


def test_shedding_in_the_us_leads_with_what_is_off_label(kb: KnowledgeBase) -> None:
    # the table shows the text's first sentence after "but": it read "usual care is mostly
    # finding and treating the cause", as if that were a warning
    row = kb.regulatory_status("conventional", "US", "telogen_effluvium")
    assert row.status == "off_label"
    assert "off-label" in row.text.split(". ")[0]


def _advanced_patches(jurisdiction: str, cost: int = 3) -> Any:
    """The assessment of a woman of 34 with advanced alopecia areata who rated cost ``cost``."""
    from regenaid.decide import assess

    return assess(
        parse_intake(
            {
                "concern": "hair",
                "condition": "alopecia_areata",
                "age": 34,
                "sex": "female",
                "severity": "advanced",
                "jurisdiction": jurisdiction,
                "priorities": {"cost": cost},
            }
        )
    )


def test_uk_usual_care_for_alopecia_areata_says_what_nice_decided() -> None:
    """In the UK, what the NHS pays for is NICE's decision, not the US list price: ritlecitinib
    recommended from age 12 (March 2024, the NHS in England must then fund it), baricitinib not
    (the tablet priced here). The price notice then points to it instead of saying we do not
    know whether a health service pays; elsewhere outside the US it still says so."""
    from regenaid.decide.assessment import Assessment

    uk = _advanced_patches("GB")
    assert isinstance(uk, Assessment)
    usual = next(o for o in uk.options if o.treatment == "conventional")
    text = usual.regulatory.text
    assert "NICE recommends ritlecitinib from age 12 (March 2024)" in text
    assert "does not recommend baricitinib" in text
    assert {"uk-dhsc-answer-ritlecitinib-nice", "nice-baricitinib-alopecia-consultation"} <= set(
        usual.regulatory.sources
    )
    notice = next(n for n in uk.notices if n.code == "usual_care_price")
    assert "regulatory status" in notice.text and "whether a health service" not in notice.text
    germany = _advanced_patches("DE")
    assert isinstance(germany, Assessment)
    notice = next(n for n in germany.notices if n.code == "usual_care_price")
    assert "whether a health service or insurer pays for them, we do not know" in notice.text
    usual_de = next(o for o in germany.options if o.treatment == "conventional")
    assert "NICE" not in usual_de.regulatory.text


def test_outside_the_us_the_tablets_us_list_price_is_not_scored_as_their_cost() -> None:
    """A dermatologist's read: a cost-minded person in the UK with advanced alopecia areata
    was told PRP fit best, because usual care was scored at baricitinib's US list price
    converted to pounds (GBP 54,876), a tablet NICE does not recommend, where the NHS funds
    the one it does. Outside the US that cost is not known: scored as unknown (never better
    than the dearest known option), and it sets no scale for the other options' costs."""

    def options(jurisdiction: str) -> dict[str, Any]:
        return {o.treatment: o for o in _advanced_patches(jurisdiction, cost=4).options}

    uk = options("GB")
    cost_line = next(w for w in uk["conventional"].why if "rated cost" in w)
    assert "nobody knows what Usual first care costs where you live" in cost_line
    assert "54,876" not in cost_line
    assert uk["conventional"].score is not None and uk["prp"].score is not None
    prp_line = next(w for w in uk["prp"].why if "rated cost" in w)
    assert "GBP" in prp_line
    us = options("US")
    cost_line = next(w for w in us["conventional"].why if "rated cost" in w)
    assert "costs about USD" in cost_line and "nobody knows" not in cost_line


def test_only_in_must_be_a_country_code(data: Path) -> None:
    def bad(entries: list[dict[str, Any]]) -> None:
        for e in entries:
            if e.get("only_in"):
                e["only_in"] = "United States"

    path = data / "prices.yaml"
    entries = yaml.safe_load(path.read_text())
    bad(entries)
    path.write_text(yaml.safe_dump(entries, sort_keys=False))
    with pytest.raises(KnowledgeError) as caught:
        read_knowledge(data)
    assert caught.value.field == "only_in"
