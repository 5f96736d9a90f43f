"""The loader rejects broken data with an error naming the file, the entry and the field.

Each test copies the shipped data directory to ``tmp_path``, breaks one thing, and loads the
copy with :func:`read_knowledge`. The unbroken copy must load, so every failure below is caused
by the one change the test made.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from regenaid.errors import KnowledgeError
from regenaid.knowledge import read_knowledge
from regenaid.knowledge.loader import default_data_dir
from regenaid.knowledge.model import CARE_GROUPS

Entries = list[dict[str, Any]]


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    source = Path(str(default_data_dir()))
    target = tmp_path / "data"
    shutil.copytree(source, target)
    return target


def edit(data: Path, name: str, change: Callable[[Entries], None]) -> None:
    path = data / name
    entries: Entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(entries)
    path.write_text(yaml.safe_dump(entries, sort_keys=False, allow_unicode=True), encoding="utf-8")


def entry(entries: Entries, **match: object) -> dict[str, Any]:
    return next(e for e in entries if all(e.get(k) == v for k, v in match.items()))


def broken(data: Path) -> KnowledgeError:
    with pytest.raises(KnowledgeError) as info:
        read_knowledge(data)
    return info.value


def test_the_unbroken_copy_loads(data: Path) -> None:
    kb = read_knowledge(data)
    assert len(kb.conditions) == 10


def test_unknown_source_id_names_file_entry_and_field(data: Path) -> None:
    edit(
        data,
        "treatments.yaml",
        lambda es: entry(es, id="prp")["mechanism"].update(sources=["nope"]),
    )
    err = broken(data)
    assert (err.file, err.entry, err.field) == ("treatments.yaml", "prp", "mechanism.sources")
    assert "nope" in str(err)


def test_unknown_source_in_a_nested_list(data: Path) -> None:
    edit(
        data,
        "treatments.yaml",
        lambda es: entry(es, id="exosome")["side_effects_serious"][1].update(sources=["ghost"]),
    )
    err = broken(data)
    assert (err.file, err.entry, err.field) == (
        "treatments.yaml",
        "exosome",
        "side_effects_serious[1].sources",
    )


def test_duplicate_source_id_across_files(data: Path) -> None:
    edit(
        data,
        "sources/marketing.yaml",
        lambda es: es.append(
            {
                "id": "fda-exosome-safety-notification-2019",
                "type": "marketing",
                "title": "x",
                "note": "y",
            }
        ),
    )
    err = broken(data)
    assert (err.file, err.entry, err.field) == (
        "sources/marketing.yaml",
        "fda-exosome-safety-notification-2019",
        "id",
    )
    assert "sources/general.yaml" in str(err)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("type", "blog", "not allowed"),
        ("doi", "doi:10.1000/x", "not a DOI"),
        ("pmid", "PMC123", "not a PubMed id"),
        ("url", "www.example.org", "http"),
        ("year", 1492, "between 1900 and 2100"),
        ("publisher", "x", "unknown field"),
    ],
)
def test_bad_bibliography_fields(data: Path, field: str, value: object, message: str) -> None:
    edit(data, "sources/general.yaml", lambda es: es[0].update({field: value}))
    err = broken(data)
    assert (err.file, err.field) == ("sources/general.yaml", field)
    assert err.entry == "fda-exosome-safety-notification-2019"
    assert message in str(err)


def test_missing_required_field(data: Path) -> None:
    edit(data, "conditions.yaml", lambda es: entry(es, id="scars").pop("natural_course"))
    err = broken(data)
    assert (err.file, err.entry, err.field) == ("conditions.yaml", "scars", "natural_course")
    assert "required" in str(err)


def test_condition_outside_its_concern(data: Path) -> None:
    edit(data, "conditions.yaml", lambda es: entry(es, id="scars").update(concern="hair"))
    err = broken(data)
    assert (err.file, err.entry, err.field) == ("conditions.yaml", "scars", "id")
    assert "androgenetic_alopecia" in str(err)  # lists what is allowed


def test_missing_condition(data: Path) -> None:
    edit(data, "conditions.yaml", lambda es: es.remove(entry(es, id="pigmentation")))
    err = broken(data)
    assert (err.file, err.entry) == ("conditions.yaml", "pigmentation")


def test_unknown_treatment_in_a_condition(data: Path) -> None:
    edit(
        data,
        "conditions.yaml",
        lambda es: entry(es, id="scars")["treatments"].append("stem_cells"),
    )
    err = broken(data)
    assert (err.file, err.entry, err.field) == ("conditions.yaml", "scars", "treatments")


def test_condition_must_offer_no_treatment(data: Path) -> None:
    edit(
        data,
        "conditions.yaml",
        lambda es: entry(es, id="scars")["treatments"].remove("no_treatment"),
    )
    err = broken(data)
    assert (err.entry, err.field) == ("scars", "treatments")


def test_defer_rule_needs_come_back(data: Path) -> None:
    edit(
        data,
        "contraindications.yaml",
        lambda es: entry(es, code="systemic_infection", level="defer").pop("come_back"),
    )
    err = broken(data)
    assert (err.file, err.entry, err.field) == (
        "contraindications.yaml",
        "systemic_infection/defer",
        "come_back",
    )


def test_unknown_contraindication_level(data: Path) -> None:
    edit(
        data,
        "contraindications.yaml",
        lambda es: entry(es, code="needle_phobia").update(level="avoid"),
    )
    err = broken(data)
    assert (err.file, err.field) == ("contraindications.yaml", "level")
    assert "contraindicated" in str(err)


def test_unknown_health_flag(data: Path) -> None:
    edit(
        data,
        "contraindications.yaml",
        lambda es: entry(es, code="needle_phobia").update(code="fear_of_needles"),
    )
    err = broken(data)
    assert (err.file, err.field) == ("contraindications.yaml", "code")


def test_every_health_flag_needs_a_rule(data: Path) -> None:
    def drop_flag(es: Entries) -> None:
        es[:] = [e for e in es if e["code"] != "needle_phobia"]

    edit(data, "contraindications.yaml", drop_flag)
    err = broken(data)
    assert (err.file, err.entry, err.field) == ("contraindications.yaml", "needle_phobia", "code")


def test_two_levels_for_one_flag_and_treatment(data: Path) -> None:
    edit(
        data,
        "contraindications.yaml",
        lambda es: entry(es, code="anticoagulant", level="caution")["treatments"].append("prp"),
    )
    err = broken(data)
    assert (err.entry, err.field) == ("anticoagulant/caution", "treatments")


def test_screening_rule_cannot_cite_only_marketing(data: Path) -> None:
    edit(
        data,
        "contraindications.yaml",
        lambda es: entry(es, code="needle_phobia").update(sources=["article-003"]),
    )
    err = broken(data)
    assert (err.entry, err.field) == ("needle_phobia/caution", "sources")
    assert "marketing" in str(err)


def test_range_low_above_high(data: Path) -> None:
    edit(
        data,
        "protocols.yaml",
        lambda es: entry(es, treatment="prp", condition="scars").update(
            sessions={"low": 6, "high": 3}
        ),
    )
    err = broken(data)
    assert (err.file, err.entry, err.field) == ("protocols.yaml", "prp/scars", "sessions")
    assert "below" in str(err)


def test_range_must_be_numbers(data: Path) -> None:
    edit(
        data,
        "protocols.yaml",
        lambda es: entry(es, treatment="prp", condition="scars").update(
            interval_weeks={"low": "four", "high": 6}
        ),
    )
    err = broken(data)
    assert (err.entry, err.field) == ("prp/scars", "interval_weeks.low")


def test_missing_protocol_for_a_listed_pair(data: Path) -> None:
    edit(
        data,
        "protocols.yaml",
        lambda es: es.remove(entry(es, treatment="exosome", condition="acne_scars")),
    )
    err = broken(data)
    assert (err.file, err.entry) == ("protocols.yaml", "exosome/acne_scars")


def test_duplicate_protocol(data: Path) -> None:
    edit(
        data,
        "protocols.yaml",
        lambda es: es.append(dict(entry(es, treatment="prp", condition="scars"))),
    )
    err = broken(data)
    assert (err.entry, err.field) == ("prp/scars", "condition")


def test_no_treatment_protocol_has_no_sessions(data: Path) -> None:
    edit(
        data,
        "protocols.yaml",
        lambda es: entry(es, treatment="no_treatment", condition="scars").update(
            sessions={"low": 1, "high": 1}
        ),
    )
    err = broken(data)
    assert (err.entry, err.field) == ("no_treatment/scars", "sessions")


def test_added_to_names_only_procedures_of_usual_care(data: Path) -> None:
    # acne-scar usual care offers microneedling and lasers, not fillers as a first-line part
    edit(
        data,
        "protocols.yaml",
        lambda es: entry(es, treatment="prp", condition="acne_scars").update(
            added_to=["microneedling", "chemical_peel", "subcision", "laser"]
        ),
    )
    assert read_knowledge(data).protocol("prp", "acne_scars").added_to == (
        "microneedling",
        "laser",
        "chemical_peel",
        "subcision",
    )
    edit(
        data,
        "protocols.yaml",
        lambda es: entry(es, treatment="prp", condition="fine_lines_wrinkles").update(
            added_to=["microneedling"]
        ),
    )
    err = broken(data)
    assert (err.file, err.entry, err.field) == (
        "protocols.yaml",
        "prp/fine_lines_wrinkles",
        "added_to",
    )


def test_care_for_advanced_disease_comes_with_a_schedule_and_a_price(data: Path) -> None:
    """Usual care for advanced alopecia areata (JAK tablets) has its own schedule and price;
    one without the other would price one care on the other's schedule."""
    advanced = {"treatment": "conventional", "condition": "alopecia_areata", "severity": "advanced"}
    edit(data, "prices.yaml", lambda es: es.remove(entry(es, severity="advanced")))
    err = broken(data)
    assert (err.file, err.entry, err.field) == (
        "prices.yaml",
        "conventional/alopecia_areata",
        "severity",
    )
    edit(data, "protocols.yaml", lambda es: es.remove(entry(es, **advanced)))
    read_knowledge(data)  # neither: the general care for everybody
    edit(
        data,
        "prices.yaml",
        lambda es: es.append(
            {
                **entry(
                    es, treatment="conventional", currency="USD", conditions=["alopecia_areata"]
                ),
                "severity": "advanced",
            }
        ),
    )
    err = broken(data)
    assert (err.entry, err.field) == ("conventional/USD/alopecia_areata", "severity")


def test_only_usual_care_with_a_part_for_severe_disease_has_an_advanced_schedule(
    data: Path,
) -> None:
    edit(
        data,
        "protocols.yaml",
        lambda es: es.append(
            {**entry(es, treatment="prp", condition="alopecia_areata"), "severity": "severe"}
        ),
    )
    err = broken(data)
    assert (err.entry, err.field) == ("prp/alopecia_areata", "severity")  # not a severity
    edit(
        data,
        "protocols.yaml",
        lambda es: entry(
            es, treatment="prp", condition="alopecia_areata", severity="severe"
        ).update(severity="advanced"),
    )
    err = broken(data)
    assert (err.file, err.entry, err.field) == ("protocols.yaml", "prp/alopecia_areata", "severity")


def test_price_high_below_low(data: Path) -> None:
    edit(
        data,
        "prices.yaml",
        lambda es: entry(es, treatment="prp", currency="USD").update(low=3000),
    )
    err = broken(data)
    assert (err.file, err.entry, err.field) == ("prices.yaml", "prp/USD", "high")


def test_price_currency_code(data: Path) -> None:
    edit(
        data,
        "prices.yaml",
        lambda es: entry(es, treatment="prp", currency="GBP").update(currency="pounds"),
    )
    err = broken(data)
    assert (err.file, err.field) == ("prices.yaml", "currency")


def test_regulatory_fallback_is_required(data: Path) -> None:
    edit(
        data,
        "regulatory.yaml",
        lambda es: es.remove(entry(es, treatment="exosome", jurisdiction="*")),
    )
    err = broken(data)
    assert (err.file, err.entry, err.field) == ("regulatory.yaml", "exosome/*", "jurisdiction")


def test_required_jurisdiction_missing(data: Path) -> None:
    edit(
        data,
        "regulatory.yaml",
        lambda es: es.remove(entry(es, treatment="prp", jurisdiction="PK")),
    )
    err = broken(data)
    assert (err.entry, err.field) == ("prp/PK", "jurisdiction")


def test_bad_jurisdiction_code(data: Path) -> None:
    edit(
        data,
        "regulatory.yaml",
        lambda es: entry(es, treatment="prp", jurisdiction="US").update(jurisdiction="USA"),
    )
    err = broken(data)
    assert (err.entry, err.field) == ("prp/USA", "jurisdiction")


def _general_us_usual_care(entries: Entries) -> dict[str, Any]:
    return next(
        e
        for e in entries
        if e["treatment"] == "conventional"
        and e["jurisdiction"] == "US"
        and not e.get("conditions")
    )


def test_a_place_with_entries_for_some_conditions_needs_one_for_every_condition(
    data: Path,
) -> None:
    # without it the other conditions would silently get the "*" fallback's text in the US
    edit(data, "regulatory.yaml", lambda es: es.remove(_general_us_usual_care(es)))
    err = broken(data)
    assert (err.file, err.entry, err.field) == (
        "regulatory.yaml",
        "conventional/US",
        "jurisdiction",
    )
    assert "every condition" in str(err)


def test_a_place_may_leave_its_other_conditions_to_the_fallback_only_when_it_says_so(
    data: Path,
) -> None:
    """``others_read_fallback: true`` on a condition's entry: the place's other conditions read
    the "*" text on purpose (the UK's usual care: looked up for alopecia areata only). Without
    it the missing general entry is an error; on a general entry the flag means nothing."""
    uk = entry(
        yaml.safe_load((data / "regulatory.yaml").read_text()),
        treatment="conventional",
        jurisdiction="GB",
    )
    assert uk["conditions"] == ["alopecia_areata"] and uk["others_read_fallback"] is True
    kb = read_knowledge(data)
    assert kb.regulatory_status("conventional", "GB", "acne_scars").jurisdiction == "*"
    assert kb.regulatory_status("conventional", "GB", "alopecia_areata").jurisdiction == "GB"

    edit(
        data,
        "regulatory.yaml",
        lambda es: entry(es, jurisdiction="GB", **{"treatment": "conventional"}).pop(
            "others_read_fallback"
        ),
    )
    err = broken(data)
    assert (err.entry, err.field) == ("conventional/GB", "jurisdiction")
    assert "every condition" in str(err)

    def on_general(entries: Entries) -> None:
        entry(entries, jurisdiction="GB", treatment="conventional")["others_read_fallback"] = True
        _general_us_usual_care(entries)["others_read_fallback"] = True

    edit(data, "regulatory.yaml", on_general)
    err = broken(data)
    assert (err.entry, err.field) == ("conventional/US", "others_read_fallback")


def test_two_entries_for_one_condition_and_place(data: Path) -> None:
    def twice(entries: Entries) -> None:
        scars = entry(
            entries, treatment="conventional", jurisdiction="US", conditions=["acne_scars"]
        )
        entries.append(dict(scars))

    edit(data, "regulatory.yaml", twice)
    err = broken(data)
    assert (err.entry, err.field) == ("conventional/US/acne_scars", "conditions")


def test_unknown_condition_in_a_regulatory_entry(data: Path) -> None:
    edit(
        data,
        "regulatory.yaml",
        lambda es: entry(es, treatment="conventional", conditions=["acne_scars"]).update(
            conditions=["acne"]
        ),
    )
    err = broken(data)
    assert err.field == "conditions"


def test_not_verified_needs_a_note(data: Path) -> None:
    edit(
        data,
        "regulatory.yaml",
        lambda es: entry(es, treatment="prp", jurisdiction="KR").pop("note"),
    )
    err = broken(data)
    assert (err.entry, err.field) == ("prp/KR", "note")


def test_claim_mixing_marketing_and_evidence(data: Path) -> None:
    edit(
        data,
        "claims.yaml",
        lambda es: entry(es, id="exosome-results-8-12-weeks").update(
            sources=["article-001", "st-amini-2025"]
        ),
    )
    err = broken(data)
    assert (err.file, err.entry, err.field) == (
        "claims.yaml",
        "exosome-results-8-12-weeks",
        "sources",
    )


def test_claim_value_needs_unit(data: Path) -> None:
    edit(data, "claims.yaml", lambda es: entry(es, id="exosome-sessions-3-5").pop("unit"))
    err = broken(data)
    assert (err.entry, err.field) == ("exosome-sessions-3-5", "unit")


def test_claim_topic_vocabulary(data: Path) -> None:
    edit(data, "claims.yaml", lambda es: entry(es, id="exosome-sessions-3-5").update(topic="vibes"))
    err = broken(data)
    assert (err.entry, err.field) == ("exosome-sessions-3-5", "topic")


def test_required_grid_row_missing(data: Path) -> None:
    edit(data, "grid_rows.yaml", lambda es: es.remove(entry(es, id="regulatory")))
    err = broken(data)
    assert (err.file, err.entry) == ("grid_rows.yaml", "regulatory")


def test_typo_in_a_field_name_is_an_error(data: Path) -> None:
    edit(
        data,
        "treatments.yaml",
        lambda es: entry(es, id="prp").update(side_efects_common=[]),
    )
    err = broken(data)
    assert (err.entry, err.field) == ("prp", "side_efects_common")


def test_exosome_needs_variants(data: Path) -> None:
    edit(data, "treatments.yaml", lambda es: entry(es, id="exosome").pop("variants"))
    err = broken(data)
    assert (err.entry, err.field) == ("exosome", "variants")


def test_missing_data_file(data: Path) -> None:
    (data / "claims.yaml").unlink()
    err = broken(data)
    assert err.file == "claims.yaml"
    assert "missing" in str(err)


def test_invalid_yaml(data: Path) -> None:
    (data / "prices.yaml").write_text("- treatment: prp\n  low: [unclosed\n", encoding="utf-8")
    err = broken(data)
    assert err.file == "prices.yaml"
    assert "YAML" in str(err)


def test_file_must_be_a_list(data: Path) -> None:
    (data / "grid_rows.yaml").write_text("id: material\n", encoding="utf-8")
    err = broken(data)
    assert err.file == "grid_rows.yaml"
    assert "list" in str(err)


def test_study_table_sources_are_checked_against_the_bibliography(data: Path) -> None:
    """E's study loader is wired in: a study row citing an unknown source breaks loading."""
    csv = data / "studies.csv"
    text = csv.read_text(encoding="utf-8")
    assert "st-queen-2025" in text
    csv.write_text(text.replace("st-queen-2025", "ghost-source", 1), encoding="utf-8")
    err = broken(data)
    assert "studies.csv" in err.file
    assert err.field == "sources"
    assert "ghost-source" in str(err)


def test_rule_limited_to_an_unknown_condition(data: Path) -> None:
    edit(
        data,
        "contraindications.yaml",
        lambda es: entry(es, code="needle_phobia").update(conditions=["baldness"]),
    )
    err = broken(data)
    assert (err.entry, err.field) == ("needle_phobia/caution", "conditions")


def test_claim_concern_vocabulary(data: Path) -> None:
    edit(
        data, "claims.yaml", lambda es: entry(es, id="exosome-sessions-3-5").update(concern="nails")
    )
    err = broken(data)
    assert (err.entry, err.field) == ("exosome-sessions-3-5", "concern")


@pytest.mark.parametrize("conditions", [["acne_scars"], ["baldness"]])
def test_claim_conditions_must_be_of_its_concern(data: Path, conditions: list[str]) -> None:
    edit(
        data,
        "claims.yaml",
        lambda es: entry(es, id="prp-density-vs-placebo").update(conditions=conditions),
    )
    err = broken(data)
    assert (err.entry, err.field) == ("prp-density-vs-placebo", "conditions")


def test_two_price_lists_for_one_condition(data: Path) -> None:
    def add_second(es: Entries) -> None:
        es.append(dict(entry(es, treatment="conventional", conditions=["volume_loss"])))

    edit(data, "prices.yaml", add_second)
    err = broken(data)
    assert (err.entry, err.field) == ("conventional/USD/volume_loss", "conditions")


def test_default_usd_price_list_required(data: Path) -> None:
    edit(
        data,
        "prices.yaml",
        lambda es: entry(es, treatment="exosome", currency="USD").update(currency="EUR"),
    )
    err = broken(data)
    assert (err.file, err.entry, err.field) == ("prices.yaml", "exosome", "treatment")


def test_only_no_treatment_may_leave_a_statement_uncited(data: Path) -> None:
    edit(data, "treatments.yaml", lambda es: entry(es, id="prp")["material"].update(sources=[]))
    err = broken(data)
    assert (err.entry, err.field) == ("prp", "material.sources")
    assert "at least one source" in str(err)


# --- usual first care, unknowns, per-syringe prices -----------------------------------------


def test_maintenance_none_and_absent_are_different(data: Path) -> None:
    kb = read_knowledge(data)
    no_top_ups = kb.protocol("conventional", "acne_scars")
    unknown = kb.protocol("exosome", "androgenetic_alopecia")
    assert no_top_ups is not None and unknown is not None
    assert no_top_ups.maintenance_interval_weeks is None and no_top_ups.maintenance_known
    assert unknown.maintenance_interval_weeks is None and not unknown.maintenance_known


def test_a_care_tag_outside_the_vocabulary_is_refused(data: Path) -> None:
    def change(es: Entries) -> None:
        entry(es, condition="volume_loss")["components"][0]["care"] = ["magic_wand"]

    edit(data, "first_line.yaml", change)
    error = broken(data)
    assert error.file == "first_line.yaml"
    assert "care" in str(error) and "magic_wand" in str(error)


def test_usual_care_needs_a_first_line_part(data: Path) -> None:
    def change(es: Entries) -> None:
        for part in entry(es, condition="scars")["components"]:
            part["role"] = "adjunct"

    edit(data, "first_line.yaml", change)
    assert "first_line" in str(broken(data))


def test_a_syringe_price_must_say_how_many_syringes_a_session_uses(data: Path) -> None:
    def change(es: Entries) -> None:
        price = next(e for e in es if e["treatment"] == "prp" and e["currency"] == "USD")
        price["unit"] = "syringe"

    edit(data, "prices.yaml", change)
    error = broken(data)
    assert error.file == "prices.yaml" and "per_session" in str(error)


def test_care_groups_expand_to_tags(data: Path) -> None:
    def change(es: Entries) -> None:
        rule = next(e for e in es if e["code"] == "keloid_tendency")
        rule["treatments"] = [*rule["treatments"], "conventional"]
        rule["care"] = ["skin_wounding"]

    edit(data, "contraindications.yaml", change)
    kb = read_knowledge(data)  # care-specific rules for conventional may stand beside others
    rule = next(
        r
        for r in kb.contraindications
        if r.code == "keloid_tendency" and "prp" in r.treatments and r.care
    )
    assert set(CARE_GROUPS["skin_wounding"]) <= set(rule.care)


def test_a_contradicted_claim_needs_a_note_saying_what_the_evidence_shows(data: Path) -> None:
    def change(es: Entries) -> None:
        claim = entry(es, id="exosome-no-complications")
        assert claim["contradicted"] is True
        del claim["note"]

    edit(data, "claims.yaml", change)
    error = broken(data)
    assert "claims.yaml" in str(error) and "note" in str(error)
    assert "contradicted" in str(error)


def _liver_tablets_rule(entries: Entries) -> dict[str, Any]:
    """The liver-disease rule for usual care's tablets (it has a note per kind of tablet)."""
    return entry(entries, code="liver_disease", treatments=["conventional"])


def test_a_note_about_parts_names_only_the_rules_care_tags(data: Path) -> None:
    def note_outside(es: Entries) -> None:
        _liver_tablets_rule(es)["about"][0]["care"] = ["filler"]

    edit(data, "contraindications.yaml", note_outside)
    err = broken(data)
    assert (err.entry, err.field) == ("liver_disease/caution", "about[0].care")
    assert "filler" in str(err)


def test_a_rule_without_notes_must_cite_its_text(data: Path) -> None:
    edit(
        data,
        "contraindications.yaml",
        lambda es: entry(es, code="needle_phobia").update(sources=[]),
    )
    err = broken(data)
    assert (err.entry.split("/")[0], err.field) == ("needle_phobia", "sources")


def test_a_note_must_cite_its_sources(data: Path) -> None:
    def uncited(es: Entries) -> None:
        _liver_tablets_rule(es)["about"][1]["sources"] = []

    edit(data, "contraindications.yaml", uncited)
    err = broken(data)
    assert err.field == "sources" and "about[1]" in err.entry


def test_only_a_rule_about_parts_of_usual_care_may_leave_its_lead_to_them(data: Path) -> None:
    # the PRP needle rule names no parts: its lead must cite its own sources
    edit(
        data,
        "contraindications.yaml",
        lambda es: entry(es, code="needle_phobia", treatments=["prp", "combination"]).update(
            lead_cited_by_parts=True
        ),
    )
    err = broken(data)
    assert (err.entry.split("/")[0], err.field) == ("needle_phobia", "lead_cited_by_parts")


def test_a_care_rule_without_the_flag_must_cite_its_lead(data: Path) -> None:
    edit(
        data,
        "contraindications.yaml",
        lambda es: entry(es, code="needle_phobia", treatments=["conventional"]).pop(
            "lead_cited_by_parts"
        ),
    )
    err = broken(data)
    assert (err.entry.split("/")[0], err.field) == ("needle_phobia", "sources")


def test_a_warning_said_to_an_unknown_sex_is_refused(data: Path) -> None:
    def change(es: Entries) -> None:
        part = entry(es, condition="pigmentation")["components"][1]
        part["warnings"][0]["sexes"] = ["women"]

    edit(data, "first_line.yaml", change)
    error = broken(data)
    assert error.file == "first_line.yaml"
    assert "sexes" in str(error) and "female" in str(error)
