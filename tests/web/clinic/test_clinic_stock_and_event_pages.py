"""Exosome lots and adverse events on the clinic pages: receiving a lot (MISEV fields, gaps and
the naming note on its page), the recall and who received the lot (page and CSV), and the
adverse-event form (CTCAE grades of the chosen term) and list (serious highlighted, where to
report)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from clinic_pages_world import KB, World, error_for, now, text_of

from regenaid.clinic.adverse_events import AdverseEvent
from regenaid.clinic.exosome_lots import ExosomeLot
from regenaid.clinic.treatments import record_exosome_session
from regenaid.web.clinic.pages_common import plain


def lot_form(**changes: object) -> dict[str, object]:
    today = now().date()
    values: dict[str, object] = {
        "product_name": "CordVesicle 5",
        "manufacturer": "BioMaker Ltd",
        "manufacturer_country": "kr",
        "lot_number": "CV-2291",
        "manufacture_date": (today - timedelta(days=30)).isoformat(),
        "expiry_date": (today + timedelta(days=300)).isoformat(),
        "received_date": today.isoformat(),
        "quantity_unit": "vial",
        "quantity_received": "12",
        "source": "human_umbilical_cord_stem_cells",
        "donor_eligibility": "Donors screened and tested for HIV, HBV, HCV by the maker.",
        "maker_term": "exosomes",
        "form": "lyophilised",
        "labelled_routes": ["topical", "microneedling"],
        "separation_method": "tangential flow filtration",
        "particle_concentration_per_ml": "2e10",
        "particle_method": "nta",
        "size_mode_nm": "120",
        "marker0_name": "CD9",
        "marker0_result": "present",
        "marker1_name": "CD63",
        "marker1_result": "present",
        "marker2_name": "CD81",
        "marker2_result": "not_reported",
        "marker3_name": "TSG101",
        "marker3_result": "not_reported",
        "marker4_name": "",
        "marker5_name": "calnexin",
        "marker5_result": "absent",
        "sterility": "pass",
        "endotoxin": "pass",
        "mycoplasma": "not_reported",
        "storage_min_c": "2",
        "storage_max_c": "8",
    }
    values.update(changes)
    return values


def test_receive_a_lot_and_read_its_page(world: World) -> None:
    clinician = world.as_role("clinician")
    assert clinician.get("/clinic/lots/new").status_code == 200
    no_donor = clinician.post("/clinic/lots", lot_form(donor_eligibility=""))
    assert no_donor.status_code == 422
    assert "donor-eligibility statement" in (error_for(no_donor.text, "f-donor_eligibility") or "")
    assert 'value="CordVesicle 5"' in no_donor.text
    assert re.search(r'value="microneedling"[^>]*checked', no_donor.text)
    no_route = clinician.post("/clinic/lots", lot_form(labelled_routes=[]))
    assert no_route.status_code == 422
    assert "route(s) are required" in (error_for(no_route.text, "f-labelled_routes") or "")
    response = clinician.post("/clinic/lots", lot_form())
    assert response.status_code == 303
    words = text_of(clinician.follow(response).text)
    assert "The lot is received into stock." in words
    assert "12 of 12 vial left" in words
    assert "Maker BioMaker Ltd (KR)" in words
    # MISEV: what the documents leave out, and the maker's word beside the MISEV term
    assert "No protein amount per mL" in words
    assert "No image of single vesicles" in words
    assert "No cytosolic marker (e.g. TSG101, syntenin) is reported present." in words
    assert "2 of the at least 3 positive EV protein markers are reported present." in words
    assert "No separation method" not in words
    assert "The maker calls it “exosomes”; MISEV calls it extracellular vesicles" in words
    # the US regulator's status from the knowledge base, with its source
    us = KB.regulatory_status("exosome", "US")
    assert f"US: {us.text}" in words
    assert "regenaid's cited sources" in words
    assert "Nobody has received this lot." in words
    listing = text_of(clinician.get("/clinic/lots").text)
    assert "CordVesicle 5 CV-2291 BioMaker Ltd" in listing and "In stock" in listing


def test_recall_shows_who_received_the_lot(world: World) -> None:
    patient, session = world.ready_patient("exosome")
    lot = world.lot()
    record_exosome_session(
        world.uow(),
        world.actor(),
        KB,
        session.id,
        lot_id=lot.id,
        quantity="2",
        route="microneedling",
        on=now().date(),
    )
    admin = world.as_role("admin")
    page = text_of(admin.get(f"/clinic/lots/{lot.id}").text)
    assert "Recall this lot" in page
    assert "Patients treated with this lot" in page and "Ana Silva" in page
    empty = admin.post(f"/clinic/lots/{lot.id}/recall", {"recall_reason": "  "})
    assert empty.status_code == 422
    assert error_for(empty.text, "f-recall_reason") == "! must not be empty"
    response = admin.post(
        f"/clinic/lots/{lot.id}/recall", {"recall_reason": "Maker's notice 2026-11: endotoxin"}
    )
    assert response.status_code == 303
    page = admin.follow(response)
    words = text_of(page.text)
    assert "The lot is recalled" in words
    assert "Maker's notice 2026-11: endotoxin" in words
    assert "Recall list: patients to contact" in words
    row = re.search(
        r"Ana Silva \+44 20 7946 0000 ana@example.org (\S+) 2 vial microneedling", words
    )
    assert row and row.group(1) == now().date().isoformat()
    assert f"#session-{session.id}" in page.text
    assert "Recall this lot" not in words
    again = admin.post(f"/clinic/lots/{lot.id}/recall", {"recall_reason": "twice"})
    assert again.status_code == 409
    assert "was already recalled" in text_of(again.text)
    download = admin.get(f"/clinic/lots/{lot.id}/recall.csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["patient_id"], r["session_id"], r["quantity"]) for r in rows] == [
        (patient.id, session.id, "2")
    ]
    assert "Ana" not in download.text, "the CSV holds ids, not names"
    assert "Recalled" in text_of(admin.get("/clinic/lots").text)


def test_lot_roles(world: World) -> None:
    lot = world.lot()
    nurse = world.as_role("nurse")
    page = text_of(nurse.get(f"/clinic/lots/{lot.id}").text)
    assert "Recall this lot" not in page
    assert "Nobody has received this lot." in page
    assert nurse.get("/clinic/lots/new").status_code == 403
    assert nurse.post(f"/clinic/lots/{lot.id}/recall", {"recall_reason": "x"}).status_code == 403
    reception = world.as_role("reception")
    assert reception.get("/clinic/lots").status_code == 403
    assert reception.get(f"/clinic/lots/{lot.id}/recall.csv").status_code == 403
    uow = world.uow()
    with uow:
        assert not uow.records(ExosomeLot).get(world.clinic.id, lot.id).is_recalled


def test_adverse_event_form_and_list(world: World) -> None:
    patient, session = world.ready_patient("exosome")
    lot = world.lot()
    record_exosome_session(
        world.uow(),
        world.actor(),
        KB,
        session.id,
        lot_id=lot.id,
        quantity="1",
        route="microneedling",
        on=now().date(),
    )
    nurse = world.as_role("nurse")
    first = text_of(nurse.get(f"/clinic/patients/{patient.id}/adverse-events/new").text)
    assert "CTCAE grades in general" in first
    chosen = nurse.get(f"/clinic/patients/{patient.id}/adverse-events/new?term_id=bruising")
    words = text_of(chosen.text)
    assert "Grade 1:" in words and "Grade 2:" in words and "Grade 3:" not in words
    onset = f"{now().date().isoformat()}T00:05"
    event = {
        "term_id": "bruising",
        "grade": "3",
        "onset": onset,
        "tz": "UTC",
        "outcome": "recovering",
        "session_id": session.id,
        "product_lot_id": lot.id,
    }
    undefined = nurse.post(f"/clinic/patients/{patient.id}/adverse-events", event)
    assert undefined.status_code == 422
    assert "CTCAE v5.0 defines no grade 3 for 'Bruising'" in (
        error_for(undefined.text, "f-grade") or ""
    )
    assert "Grade 2:" in text_of(undefined.text), "the term's grades are shown again"
    event.update(
        grade="2",
        seriousness=["other_important_medical_event"],
        actions_taken=["local_care", "observation"],
    )
    response = nurse.post(f"/clinic/patients/{patient.id}/adverse-events", event)
    assert response.status_code == 303
    page = nurse.follow(response)
    words = text_of(page.text)
    assert "The adverse event is recorded." in words
    assert "Serious: Bruising, grade 2" in words
    assert 'class="card event serious"' in page.text
    assert "FDA" in words and "MedWatch" in words
    assert "a serious event: report it promptly" in words
    assert "What was done Watched; Local care" in words
    mild = {"term_id": "headache", "grade": "1", "onset": onset, "outcome": "recovered"}
    assert nurse.post(f"/clinic/patients/{patient.id}/adverse-events", mild).status_code == 303
    words = text_of(nurse.get("/clinic/adverse-events").text)
    assert "Headache, grade 1" in words
    assert "No product is named in this report" in words
    uow = world.uow()
    with uow:
        saved = uow.records(AdverseEvent).find(world.clinic.id, patient_id=patient.id)
    assert sorted(e.term_id for e in saved) == ["bruising", "headache"]
    chart = text_of(nurse.get(f"/clinic/patients/{patient.id}").text)
    assert "Bruising, grade 2 — serious" in chart


def test_other_specify_terms_need_the_name(world: World) -> None:
    patient = world.patient()
    clinician = world.as_role("clinician")
    response = clinician.post(
        f"/clinic/patients/{patient.id}/adverse-events",
        {
            "term_id": "skin_other_specify",
            "grade": "2",
            "outcome": "not_recovered",
            "onset": f"{now().date().isoformat()}T00:01",
        },
    )
    assert response.status_code == 422
    assert "name the event (e.g. granuloma)" in (error_for(response.text, "f-term_detail") or "")
    fatal_mismatch = clinician.post(
        f"/clinic/patients/{patient.id}/adverse-events",
        {
            "term_id": "anaphylaxis",
            "grade": "5",
            "outcome": "recovered",
            "onset": f"{now().date().isoformat()}T00:01",
            "seriousness": ["death"],
        },
    )
    assert fatal_mismatch.status_code == 422
    assert error_for(fatal_mismatch.text, "f-outcome")


def test_admin_and_reception_see_no_adverse_events(world: World) -> None:
    patient = world.patient()
    for role in ("admin", "reception"):
        staff = world.as_role(role)
        assert staff.get("/clinic/adverse-events").status_code == 403
        assert staff.get(f"/clinic/patients/{patient.id}/adverse-events/new").status_code == 403
        assert staff.post(f"/clinic/patients/{patient.id}/adverse-events", {}).status_code == 403


def test_plain_quantities() -> None:
    from decimal import Decimal

    assert plain(Decimal("10.000")) == "10"
    assert plain(Decimal("2.50")) == "2.5"
    assert plain(Decimal("1E+1")) == "10"
