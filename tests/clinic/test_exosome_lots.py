"""Exosome product lots: checks on the record, use at the boundaries, recall, MISEV gaps and
regulatory defaults. Facts are checked against the cited sources or the knowledge base, never
against this module's own output."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from regenaid.clinic.errors import RefusedError
from regenaid.clinic.exosome_lots import (
    HUMAN_SOURCES,
    OVERRIDE_REASON_MIN,
    RECALL_CSV_HEADER,
    ExosomeLot,
    LotRegulatoryStatus,
    LotUse,
    check_lot_use,
    consume,
    exosome_reference,
    lot_characterisation_gaps,
    marker_category,
    misev_naming,
    new_lot,
    recall,
    recall_csv,
    recall_list,
    regulatory_defaults,
    regulatory_status_for,
    validate_lot,
    with_regulatory_defaults,
)
from regenaid.errors import InvalidInputError
from regenaid.knowledge import load_knowledge

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
EXPIRY = date(2027, 3, 31)


def lot_values(**changes: Any) -> dict[str, Any]:
    """A fully characterised plant-derived lot, as a clinic would type it from the CoA."""
    values: dict[str, Any] = {
        "product_name": "  Demo  EV Serum ",
        "manufacturer": "Example Bio",
        "manufacturer_country": "kr",
        "catalogue_number": "EVS-10",
        "lot_number": "L2026-001",
        "manufacture_date": date(2026, 3, 1),
        "expiry_date": EXPIRY,
        "received_date": date(2026, 4, 2),
        "quantity_unit": "vial",
        "quantity_received": 10,
        "source": "plant",
        "source_detail": None,
        "maker_term": "exosomes",
        "separation_method": "tangential flow filtration",
        "particle_concentration_per_ml": 1e10,
        "particle_method": "nta",
        "size_mode_nm": 120.0,
        "protein_ug_per_ml": 250.0,
        "markers": {
            "CD63": "present",
            "CD81": "present",
            "TSG101": "present",
            "calnexin": "absent",
        },
        "imaging_method": "TEM",
        "sterility": "pass",
        "endotoxin": "pass",
        "mycoplasma": "pass",
        "form": "lyophilised",
        "storage_min_c": 2.0,
        "storage_max_c": 8.0,
        "coa_file": "coa/L2026-001.pdf",
        "labelled_routes": ("topical",),
    }
    values.update(changes)
    return values


def make_lot(**changes: Any) -> ExosomeLot:
    return new_lot(clinic_id="c1", created_by="u1", now=NOW, **lot_values(**changes))


# --- the record --------------------------------------------------------------------------------


def test_new_lot_trims_text_and_starts_full() -> None:
    lot = make_lot()
    assert lot.product_name == "Demo EV Serum"
    assert lot.manufacturer_country == "KR"
    assert lot.quantity_received == Decimal(10)
    assert lot.quantity_left == Decimal(10)
    assert lot.clinic_id == "c1"
    assert not lot.is_recalled


@pytest.mark.parametrize("source", sorted(HUMAN_SOURCES))
def test_human_source_needs_donor_eligibility(source: str) -> None:
    detail = "placenta" if source == "human_other" else None
    with pytest.raises(InvalidInputError) as err:
        make_lot(source=source, source_detail=detail, donor_eligibility="   ")
    assert err.value.field == "donor_eligibility"
    lot = make_lot(
        source=source,
        source_detail=detail,
        donor_eligibility="Donors screened and tested for HIV, HBV, HCV (CoA p.2)",
    )
    assert lot.is_human_source


def test_human_sources_are_the_four_human_kinds() -> None:
    expected = {
        "human_adipose_stem_cells",
        "human_umbilical_cord_stem_cells",
        "human_bone_marrow_stem_cells",
        "human_other",
    }
    assert expected == HUMAN_SOURCES


@pytest.mark.parametrize("source", ["plant", "milk", "salmon"])
def test_non_human_source_needs_no_donor_statement(source: str) -> None:
    assert make_lot(source=source).donor_eligibility is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity_received": 0}, "quantity_received"),
        ({"quantity_received": -1}, "quantity_received"),
        ({"quantity_left": -1}, "quantity_left"),
        ({"quantity_received": 5, "quantity_left": 6}, "quantity_left"),
        ({"quantity_received": "ten"}, "quantity_received"),
        ({"quantity_received": "NaN"}, "quantity_received"),
        ({"expiry_date": date(2026, 2, 28)}, "expiry_date"),
        ({"expiry_date": date(2026, 3, 1)}, "expiry_date"),
        ({"received_date": date(2026, 2, 1)}, "received_date"),
        ({"manufacturer_country": "Korea"}, "manufacturer_country"),
        ({"product_name": "  "}, "product_name"),
        ({"lot_number": ""}, "lot_number"),
        ({"maker_term": ""}, "maker_term"),
        ({"source": "bovine"}, "source"),
        ({"source": "other"}, "source_detail"),
        ({"quantity_unit": "litre"}, "quantity_unit"),
        ({"particle_concentration_per_ml": 0}, "particle_concentration_per_ml"),
        ({"size_mode_nm": -5.0}, "size_mode_nm"),
        ({"size_mode_nm": 20_000.0}, "size_mode_nm"),
        ({"protein_ug_per_ml": float("nan")}, "protein_ug_per_ml"),
        ({"particle_method": "dls"}, "particle_method"),
        ({"markers": {"CD63": "yes"}}, "markers.CD63"),
        ({"markers": {"CD63": "present", "cd63": "absent"}}, "markers"),
        ({"sterility": "ok"}, "sterility"),
        ({"form": "gel"}, "form"),
        ({"storage_min_c": 8.0, "storage_max_c": 2.0}, "storage_max_c"),
        ({"storage_min_c": -300.0}, "storage_min_c"),
        ({"labelled_routes": ()}, "labelled_routes"),
        ({"labelled_routes": ("oral",)}, "labelled_routes"),
        ({"labelled_routes": "topical"}, "labelled_routes"),
        ({"recall_reason": "contaminated"}, "recalled_at"),
        ({"recalled_at": NOW}, "recall_reason"),
        ({"recalled_at": datetime(2026, 5, 1), "recall_reason": "x"}, "recalled_at"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_impossible_values_are_refused_by_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        make_lot(**changes)
    assert err.value.field == field


def test_missing_required_field_is_named() -> None:
    values = lot_values()
    del values["lot_number"]
    with pytest.raises(InvalidInputError) as err:
        new_lot(clinic_id="c1", created_by="u1", now=NOW, **values)
    assert err.value.field == "lot_number"


def test_validate_lot_catches_an_edited_record() -> None:
    lot = make_lot()
    with pytest.raises(InvalidInputError) as err:
        validate_lot(replace(lot, quantity_left=Decimal(11)))
    assert err.value.field == "quantity_left"
    with pytest.raises(InvalidInputError) as err:
        validate_lot(replace(lot, created_at=datetime(2026, 1, 1)))
    assert err.value.field == "created_at"


# --- using a lot -------------------------------------------------------------------------------


def use(lot: ExosomeLot, **changes: Any) -> LotUse:
    args: dict[str, Any] = {"today": date(2026, 12, 1), "route": "topical", "quantity": 1}
    args.update(changes)
    return check_lot_use(lot, **args)


def refusal(lot: ExosomeLot, **changes: Any) -> RefusedError:
    with pytest.raises(RefusedError) as err:
        use(lot, **changes)
    return err.value


def test_usable_through_the_expiry_date() -> None:
    lot = make_lot()
    assert use(lot, today=EXPIRY - timedelta(days=1)).used_on == EXPIRY - timedelta(days=1)
    assert use(lot, today=EXPIRY).used_on == EXPIRY
    err = refusal(lot, today=EXPIRY + timedelta(days=1))
    assert err.code == "lot_expired"
    assert "2027-03-31" in err.reason


def test_recalled_lot_is_refused_before_anything_else() -> None:
    lot = recall(make_lot(quantity_left=0), "endotoxin above limit", NOW)
    err = refusal(lot, today=EXPIRY + timedelta(days=10))
    assert err.code == "lot_recalled"
    assert "endotoxin above limit" in err.reason


def test_exhausted_lot_is_refused() -> None:
    assert refusal(make_lot(quantity_left=0)).code == "lot_exhausted"


def test_use_larger_than_what_is_left_is_refused_but_all_of_it_is_allowed() -> None:
    lot = make_lot(quantity_left=2)
    err = refusal(lot, quantity=3)
    assert err.code == "insufficient_quantity"
    assert err.field == "quantity"
    assert "2 vial left" in err.reason
    assert use(lot, quantity=2).quantity == Decimal(2)


@pytest.mark.parametrize("test", ["sterility", "endotoxin", "mycoplasma"])
def test_failed_safety_test_is_refused(test: str) -> None:
    err = refusal(make_lot(**{test: "fail"}))
    assert err.code == "lot_failed_safety_test"
    assert test in err.reason


@pytest.mark.parametrize("quantity", [0, -1, "abc"])
def test_quantity_must_be_positive(quantity: object) -> None:
    with pytest.raises(InvalidInputError) as err:
        use(make_lot(), quantity=quantity)
    assert err.value.field == "quantity"


def test_unknown_route_is_refused() -> None:
    with pytest.raises(InvalidInputError) as err:
        use(make_lot(), route="oral")
    assert err.value.field == "route"


@pytest.mark.parametrize("route", ["injection", "intradermal", "subcutaneous", "microneedling"])
def test_topical_product_through_the_skin_needs_an_override(route: str) -> None:
    lot = make_lot(labelled_routes=("topical",))
    assert refusal(lot, route=route).code == "route_override_needed"
    assert refusal(lot, route=route, override_reason="   ").code == "route_override_needed"
    short = "x" * (OVERRIDE_REASON_MIN - 1)
    with pytest.raises(InvalidInputError) as err:
        use(lot, route=route, override_reason=short)
    assert err.value.field == "override_reason"
    reason = "  Patient consented;  per protocol 7  "
    allowed = use(lot, route=route, override_reason=reason)
    assert allowed.override is True
    assert allowed.override_reason == "Patient consented; per protocol 7"
    assert allowed.route == route


def test_override_reason_of_exactly_the_minimum_is_enough() -> None:
    lot = make_lot(labelled_routes=("topical",))
    allowed = use(lot, route="injection", override_reason="y" * OVERRIDE_REASON_MIN)
    assert allowed.override


def test_labelled_route_needs_no_override() -> None:
    lot = make_lot(labelled_routes=("topical", "intradermal"))
    allowed = use(lot, route="intradermal", override_reason="not needed here at all")
    assert (allowed.override, allowed.override_reason) == (False, None)
    plain = use(make_lot(), route="topical")
    assert (plain.override, plain.override_reason) == (False, None)


def test_use_records_who_and_consume_lowers_the_stock() -> None:
    lot = make_lot(quantity_received=Decimal("5"), quantity_unit="mL")
    done = use(lot, quantity="1.5", patient_id="p1", session_id="s1")
    assert (done.lot_id, done.clinic_id, done.unit) == (lot.id, "c1", "mL")
    assert (done.patient_id, done.session_id) == ("p1", "s1")
    after = consume(lot, done)
    assert after.quantity_left == Decimal("3.5")
    assert consume(after, use(after, quantity="3.5")).quantity_left == 0
    other = make_lot()
    with pytest.raises(InvalidInputError) as err:
        consume(other, done)
    assert err.value.field == "lot_id"


# --- recall ------------------------------------------------------------------------------------


def test_recall_marks_the_lot_in_utc() -> None:
    at = datetime(2026, 12, 2, 9, 30, tzinfo=timezone(timedelta(hours=9)))
    lot = recall(make_lot(), "  maker's recall notice 12/2026 ", at)
    assert lot.recalled_at == datetime(2026, 12, 2, 0, 30, tzinfo=UTC)
    assert lot.recalled_at is not None and lot.recalled_at.utcoffset() == timedelta(0)
    assert lot.recall_reason == "maker's recall notice 12/2026"
    assert validate_lot(lot) == lot


def test_recall_needs_a_reason_an_aware_time_and_happens_once() -> None:
    lot = make_lot()
    with pytest.raises(InvalidInputError) as err:
        recall(lot, " ", NOW)
    assert err.value.field == "recall_reason"
    with pytest.raises(InvalidInputError) as err:
        recall(lot, "notice", datetime(2026, 12, 2, 9, 30))
    assert err.value.field == "recalled_at"
    with pytest.raises(RefusedError) as refused:
        recall(recall(lot, "notice", NOW), "again", NOW)
    assert refused.value.code == "lot_already_recalled"


def uses_of(lot: ExosomeLot) -> list[LotUse]:
    days = [date(2026, 12, 5), date(2026, 12, 1), date(2026, 12, 5), date(2026, 12, 3)]
    patients = ["p2", "p9", "p1", "p3"]
    sessions = ["s-a", "s-b", "s-c", "s-d"]  # same-day order differs from patient order
    out = [
        use(lot, today=day, patient_id=p, session_id=s, quantity=1)
        for day, p, s in zip(days, patients, sessions, strict=True)
    ]
    other = make_lot()
    out.append(use(other, today=date(2026, 11, 30), patient_id="p7", session_id="s-x"))
    return out


def test_recall_list_is_this_lot_only_sorted_by_date_then_patient() -> None:
    lot = make_lot()
    entries = recall_list(lot.id, uses_of(lot))
    assert [(e.used_on.isoformat(), e.patient_id, e.session_id) for e in entries] == [
        ("2026-12-01", "p9", "s-b"),
        ("2026-12-03", "p3", "s-d"),
        ("2026-12-05", "p1", "s-c"),
        ("2026-12-05", "p2", "s-a"),
    ]
    assert all(e.lot_id == lot.id for e in entries)
    assert recall_list("no-such-lot", uses_of(lot)) == []


def test_recall_csv_has_a_header_and_one_row_per_use() -> None:
    lot = make_lot(quantity_unit="mL")
    uses = [
        use(lot, today=date(2026, 12, 3), patient_id="p3", session_id="s3", quantity="0.50"),
        use(
            lot,
            today=date(2026, 12, 1),
            patient_id="p1",
            session_id="s1",
            route="injection",
            override_reason="Clinician decision, documented",
        ),
    ]
    text = recall_csv(recall_list(lot.id, uses))
    lines = text.split("\r\n")
    assert lines[0] == ",".join(RECALL_CSV_HEADER)
    assert RECALL_CSV_HEADER == (
        "lot_id",
        "used_on",
        "patient_id",
        "session_id",
        "quantity",
        "unit",
        "route",
        "route_override",
    )
    assert lines[1] == f"{lot.id},2026-12-01,p1,s1,1,mL,injection,yes"
    assert lines[2] == f"{lot.id},2026-12-03,p3,s3,0.5,mL,topical,no"
    assert lines[3] == ""
    assert len(lines) == 4


def test_recall_csv_defuses_formulas_but_keeps_identifiers() -> None:
    lot = make_lot()
    uses = [
        use(lot, patient_id="=HYPERLINK(1)", session_id="-AbC_9"),
        use(lot, patient_id="@SUM(1)", session_id="+1"),
    ]
    rows = list(csv.reader(io.StringIO(recall_csv(recall_list(lot.id, uses)))))
    cells = {(row[2], row[3]) for row in rows[1:]}
    assert cells == {("'=HYPERLINK(1)", "-AbC_9"), ("'@SUM(1)", "'+1")}


def test_recalled_lot_then_refuses_every_use() -> None:
    lot = recall(make_lot(), "maker notice", NOW)
    assert refusal(lot, today=date(2026, 12, 1)).code == "lot_recalled"


# --- MISEV -------------------------------------------------------------------------------------


def test_fully_documented_lot_has_no_gaps() -> None:
    assert lot_characterisation_gaps(make_lot()) == ()


def gap_items(**changes: Any) -> list[str]:
    return [g.item for g in lot_characterisation_gaps(make_lot(**changes))]


@pytest.mark.parametrize(
    ("changes", "item"),
    [
        ({"separation_method": None}, "separation_method"),
        ({"particle_concentration_per_ml": None}, "particle_concentration"),
        ({"particle_method": None}, "particle_method"),
        ({"protein_ug_per_ml": None}, "protein_per_ml"),
        ({"size_mode_nm": None}, "size_mode"),
        ({"imaging_method": None}, "single_vesicle_image"),
    ],
)
def test_each_missing_measurement_is_a_gap(changes: dict[str, Any], item: str) -> None:
    assert gap_items(**changes) == [item]


def test_marker_rule_three_positive_with_transmembrane_and_cytosolic() -> None:
    no_cytosolic = {"CD9": "present", "CD63": "present", "CD81": "present", "calnexin": "absent"}
    assert gap_items(markers=no_cytosolic) == ["cytosolic_marker"]
    two = {"cd63": "present", "tsg101": "present", "TSG101-x": "present", "calnexin": "absent"}
    assert gap_items(markers=two) == ["three_positive_markers"]
    only_cytosolic = {"TSG101": "present", "syntenin": "present", "annexins": "present"}
    assert gap_items(markers=only_cytosolic) == ["transmembrane_marker", "purity_marker"]
    absent = {"CD63": "absent", "CD81": "not_reported", "TSG101": "absent", "calnexin": "absent"}
    assert gap_items(markers=absent) == [
        "transmembrane_marker",
        "cytosolic_marker",
        "three_positive_markers",
    ]


def test_purity_marker_must_be_tested_and_a_positive_one_is_flagged() -> None:
    base = {"CD63": "present", "CD81": "present", "TSG101": "present"}
    assert gap_items(markers={**base, "calnexin": "not_reported"}) == ["purity_marker"]
    flagged = lot_characterisation_gaps(make_lot(markers={**base, "Calnexin": "present"}))
    assert [g.item for g in flagged] == ["purity_marker_present"]
    assert "Calnexin" in flagged[0].text


def test_marker_categories_follow_misev_examples() -> None:
    # MISEV2018 as tabulated: tetraspanins CD9, CD63, CD81 (transmembrane); TSG101 (cytosolic);
    # calnexin (endoplasmic reticulum, a purity control).
    assert [marker_category(m) for m in ("CD9", "cd63", " CD81 ")] == ["transmembrane"] * 3
    assert marker_category("TSG101") == "cytosolic"
    assert marker_category("Calnexin") == "purity"
    assert marker_category("HSP70") is None


def test_gaps_cite_misev() -> None:
    gaps = lot_characterisation_gaps(make_lot(separation_method=None))
    assert "misev2018" in gaps[0].sources


def test_maker_term_is_shown_beside_the_misev_term() -> None:
    naming = misev_naming(make_lot(maker_term="Exosomes"))
    assert naming.maker_term == "Exosomes"
    assert naming.misev_term == "extracellular vesicles (EVs)"
    assert naming.claims_biogenesis
    assert "endosome" in naming.text
    assert set(naming.sources) == {"misev2018", "misev2023", "witwer-thery-2019-nomenclature"}
    neutral = misev_naming(make_lot(maker_term="plant-derived vesicles"))
    assert not neutral.claims_biogenesis
    assert neutral.maker_term == "plant-derived vesicles"


def test_misev_sources_carry_the_verified_identifiers() -> None:
    sources = exosome_reference().sources
    assert sources["misev2018"].doi == "10.1080/20013078.2018.1535750"
    assert sources["misev2018"].journal is not None
    assert "7:1535750" in sources["misev2018"].journal
    assert sources["misev2023"].journal is not None
    assert "13:e12404" in sources["misev2023"].journal
    assert sources["misev2023"].authors is not None
    assert sources["misev2023"].authors.startswith("Welsh JA")


# --- regulatory status -------------------------------------------------------------------------


def test_regulatory_defaults_copy_the_knowledge_base() -> None:
    kb = load_knowledge()
    found = regulatory_defaults(["us", "uk", "FR", "BR"])
    assert sorted(found) == ["BR", "FR", "GB", "US"]
    us = found["US"]
    assert us.status == "not_approved"
    assert "no FDA-approved exosome products" in us.text
    assert us.text == kb.regulatory_status("exosome", "US").text
    assert us.sources == kb.regulatory_status("exosome", "US").sources
    assert (us.origin, us.matched) == ("knowledge_base", "US")
    assert found["GB"].matched == "GB"
    assert found["FR"].matched == "EU"
    assert found["BR"].matched == "*"
    assert found["BR"].status == "check_local_rules"


def test_clinic_entry_is_kept_and_defaults_fill_the_rest() -> None:
    own = LotRegulatoryStatus(
        jurisdiction="KR",
        status="cosmetic",
        text="Registered as a cosmetic (MFDS notice no. 123)",
        sources=("MFDS notice 123",),
        origin="clinic",
    )
    lot = make_lot(regulatory={"kr": own})
    assert set(lot.regulatory) == {"KR"}
    filled = with_regulatory_defaults(lot, ["KR", "US"])
    assert filled.regulatory["KR"] == own
    assert filled.regulatory["US"].status == "not_approved"
    assert regulatory_status_for(lot, "US").origin == "knowledge_base"
    assert regulatory_status_for(lot, "kr") == own


def test_bad_regulatory_entries_are_refused() -> None:
    with pytest.raises(InvalidInputError) as err:
        regulatory_defaults(["USA"])
    assert err.value.field == "jurisdiction"
    wrong = LotRegulatoryStatus("US", "x", "y", (), "clinic")
    with pytest.raises(InvalidInputError) as err2:
        make_lot(regulatory={"GB": wrong})
    assert err2.value.field == "regulatory.GB"
    empty = LotRegulatoryStatus("GB", " ", "y", (), "clinic")
    with pytest.raises(InvalidInputError) as err3:
        make_lot(regulatory={"GB": empty})
    assert err3.value.field == "regulatory.GB.status"
