"""Recording sessions on the clinic pages: a PRP preparation with its derived values, a protocol
deviation that needs its note, refusals shown plainly (screening, consent, lots), field
errors named beside the field, and the roles that may not record."""

from __future__ import annotations

from decimal import Decimal

from clinic_pages_world import World, error_for, now, text_of

from regenaid.clinic.courses import CourseSession
from regenaid.clinic.exosome_lots import ExosomeLot, LotUse
from regenaid.clinic.prp import PrpProtocol, Range, SpinLimits
from regenaid.clinic.treatments import PrpRecord, recall_lot, save_prp_protocol


def prp_form(**changes: str) -> dict[str, str]:
    """A full preparation: 30 mL blood, two spins, counts 250 -> 1,250 ×10³/µL in 5 mL."""
    day = now().date().isoformat()
    values = {
        "on": day,
        "drawn_at": f"{day}T09:00",
        "whole_blood_volume_ml": "30",
        "anticoagulant": "acd_a",
        "anticoagulant_volume_ml": "3",
        "kit_brand": "SpinKit",
        "kit_lot": "K-77",
        "system_type": "closed",
        "claimed_concentration_factor": "5",
        "centrifuge_model": "Benchtop 3000",
        "rotor_radius_cm": "10",
        "spins.0.speed": "1500",
        "spins.0.unit": "rpm",
        "spins.0.minutes": "10",
        "spins.0.temperature_c": "20",
        "spins.0.brake": "off",
        "spins.1.speed": "900",
        "spins.1.unit": "g",
        "spins.1.minutes": "10",
        "spins.1.temperature_c": "20",
        "spins.1.brake": "off",
        "baseline_platelets_k_per_ul": "250",
        "baseline_leukocytes_k_per_ul": "6",
        "baseline_neutrophil_percent": "55",
        "baseline_haematocrit_percent": "42",
        "analyser": "Sysmex XN",
        "prp_platelets_k_per_ul": "1250",
        "prp_leukocytes_k_per_ul": "2",
        "prp_neutrophil_percent": "10",
        "prp_red_cells_m_per_ul": "0.05",
        "final_volume_ml": "5",
        "activation": "none",
        "ready_at": f"{day}T09:40",
        "injected_at": f"{day}T09:50",
        "tz": "UTC",
        "injection_technique": "manual_syringe",
        "injection_depth_mm": "2",
        "needle_gauge": "30",
        "treated_area_cm2": "100",
        "injected_volume_ml": "4.5",
    }
    values.update(changes)
    return values


def test_record_a_prp_session_and_see_what_it_gives(world: World) -> None:
    patient, session = world.ready_patient("prp")
    nurse = world.as_role("nurse")
    form = nurse.get(f"/clinic/sessions/{session.id}/prp")
    assert form.status_code == 200
    words = text_of(form.text)
    for group in (
        "Blood draw",
        "Kit",
        "Centrifuge and spins",
        "Whole-blood counts (baseline)",
        "PRP counts",
        "Activation",
        "Times",
        "Injection",
    ):
        assert group in words
    assert "cannot be recorded now" not in words
    response = nurse.post(f"/clinic/sessions/{session.id}/prp", prp_form())
    assert response.status_code == 303, text_of(response.text)[:500]
    page = nurse.follow(response)
    words = text_of(page.text)
    assert "The PRP session is recorded." in words
    assert "Concentration factor 5.00×" in words
    assert "Platelet dose 6.25 ×10⁹ platelets" in words
    assert "PAW class P3Bβ" in words
    assert "DEPA class D:A E:B P:A A:no" in words
    assert "Dohan Ehrenfest family P-PRP" in words
    assert "1 1500 rpm 252 × g 1500 rpm" in words, "RCF from rpm and the rotor radius"
    assert "2 900 × g 900 × g 2837 rpm" in words, "rpm from RCF and the rotor radius"
    assert "20 of 20 items reported (100 %)" in words
    uow = world.uow()
    with uow:
        done = uow.records(CourseSession).get(world.clinic.id, session.id)
        (record,) = uow.records(PrpRecord).find(world.clinic.id, patient_id=patient.id)
    assert done.status == "done"
    assert record.paw_code == "P3Bβ"
    chart = text_of(nurse.get(f"/clinic/patients/{patient.id}").text)
    assert "PAW P3Bβ, DEPA D:A E:B P:A A:no" in chart


def test_missing_mibo_items_are_listed(world: World) -> None:
    _, session = world.ready_patient("prp")
    clinician = world.as_role("clinician")
    sparse = prp_form(analyser="", treated_area_cm2="", **{"spins.0.temperature_c": ""})
    page = clinician.follow(clinician.post(f"/clinic/sessions/{session.id}/prp", sparse))
    words = text_of(page.text)
    assert "17 of 20 items reported (85 %)" in words
    for missing in ("analyser used for the counts", "temperature of each spin", "treated area"):
        assert missing in words


def test_a_deviation_needs_its_note(world: World) -> None:
    patient, session = world.ready_patient("prp")
    protocol = save_prp_protocol(
        world.uow(),
        world.actor(),
        PrpProtocol(
            name="Clinic double spin",
            spins=(
                SpinLimits(rcf_g=Range(200, 300), minutes=Range(8, 12)),
                SpinLimits(rcf_g=Range(800, 1000), minutes=Range(8, 12)),
            ),
            final_volume_ml=Range(4, 6),
        ),
    )
    clinician = world.as_role("clinician")
    outside = prp_form(protocol_id=protocol.id, **{"spins.1.minutes": "15"})
    refused = clinician.post(f"/clinic/sessions/{session.id}/prp", outside)
    assert refused.status_code == 409
    words = text_of(refused.text)
    assert "outside the clinic's protocol: spin 2 time was 15 min" in words
    assert "Say why in the deviation note to record it." in words
    assert error_for(refused.text, "f-deviation_note")
    assert 'value="15"' in refused.text, "the form keeps what was typed"
    uow = world.uow()
    with uow:
        assert uow.records(PrpRecord).find(world.clinic.id, patient_id=patient.id) == []
    outside["deviation_note"] = "centrifuge timer fault, spin stopped by hand"
    saved = clinician.post(f"/clinic/sessions/{session.id}/prp", outside)
    assert saved.status_code == 303
    words = text_of(clinician.follow(saved).text)
    assert "Outside the clinic's protocol" in words
    assert "centrifuge timer fault" in words
    inside = prp_form(protocol_id=protocol.id)
    _, sessions = world.course(patient, "prp")
    next_one = next(s for s in sessions if s.kind != "consultation")
    kept = clinician.follow(clinician.post(f"/clinic/sessions/{next_one.id}/prp", inside))
    assert "Within the clinic's protocol." in text_of(kept.text)


def test_field_errors_are_named_beside_the_field(world: World) -> None:
    _, session = world.ready_patient("prp")
    nurse = world.as_role("nurse")
    no_minutes = nurse.post(
        f"/clinic/sessions/{session.id}/prp", prp_form(**{"spins.1.minutes": ""})
    )
    assert no_minutes.status_code == 422
    assert error_for(no_minutes.text, "f-spins-1-minutes") == "! give the minutes of this spin"
    too_fast = nurse.post(
        f"/clinic/sessions/{session.id}/prp",
        prp_form(rotor_radius_cm="20", **{"spins.0.speed": "30000"}),
    )
    assert too_fast.status_code == 422
    assert "above the plausible centrifuge maximum" in (
        error_for(too_fast.text, "f-spins-0-speed") or ""
    )
    typo = nurse.post(f"/clinic/sessions/{session.id}/prp", prp_form(final_volume_ml="five"))
    assert typo.status_code == 422
    assert error_for(typo.text, "f-final_volume_ml") == "! must be a number, got 'five'"
    too_many = nurse.post(
        f"/clinic/sessions/{session.id}/prp", prp_form(prp_platelets_k_per_ul="3000")
    )
    assert too_many.status_code == 422
    assert "more than the blood held is impossible" in (
        error_for(too_many.text, "f-prp_platelets_k_per_ul") or ""
    )
    bad_zone = nurse.post(f"/clinic/sessions/{session.id}/prp", prp_form(tz="Mars/Base"))
    assert bad_zone.status_code == 422
    assert error_for(bad_zone.text, "f-tz") == "! unknown time zone 'Mars/Base'"


def test_screening_refusal_is_shown_before_and_on_recording(world: World) -> None:
    patient = world.patient()
    world.health(patient, anticoagulant=True)
    world.consent(patient, "prp")
    _, sessions = world.course(patient, "prp")
    session = next(s for s in sessions if s.kind != "consultation")
    clinician = world.as_role("clinician")
    form = text_of(clinician.get(f"/clinic/sessions/{session.id}/prp").text)
    assert "This session cannot be recorded now" in form
    assert "Screening rules this out today:" in form
    refused = clinician.post(f"/clinic/sessions/{session.id}/prp", prp_form())
    assert refused.status_code == 409
    assert "Screening rules this out today:" in text_of(refused.text)
    uow = world.uow()
    with uow:
        assert uow.records(CourseSession).get(world.clinic.id, session.id).status == "planned"


def test_missing_consent_and_missing_health_are_refused(world: World) -> None:
    patient = world.patient()
    _, sessions = world.course(patient, "prp")
    session = next(s for s in sessions if s.kind != "consultation")
    nurse = world.as_role("nurse")
    no_health = nurse.post(f"/clinic/sessions/{session.id}/prp", prp_form())
    assert no_health.status_code == 409
    assert "record the patient's current health answers" in text_of(no_health.text)
    world.health(patient)
    no_consent = nurse.post(f"/clinic/sessions/{session.id}/prp", prp_form())
    assert no_consent.status_code == 409
    assert "no consent in force for prp" in text_of(no_consent.text)


def test_reception_and_admin_cannot_open_the_record_pages(world: World) -> None:
    _, session = world.ready_patient("prp")
    for role in ("reception", "admin"):
        staff = world.as_role(role)
        page = staff.get(f"/clinic/sessions/{session.id}/prp")
        assert page.status_code == 403
        assert "may not" in text_of(page.text)
        assert staff.get(f"/clinic/sessions/{session.id}/exosome").status_code == 403
        assert staff.post(f"/clinic/sessions/{session.id}/prp", prp_form()).status_code == 403
    uow = world.uow()
    with uow:
        assert uow.records(CourseSession).get(world.clinic.id, session.id).status == "planned"


def test_record_an_exosome_session(world: World) -> None:
    patient, session = world.ready_patient("exosome")
    lot = world.lot()
    nurse = world.as_role("nurse")
    page = nurse.get(f"/clinic/sessions/{session.id}/exosome")
    assert page.status_code == 200
    assert "Exo Serum, lot L-001: 10 vial left" in text_of(page.text)
    response = nurse.post(
        f"/clinic/sessions/{session.id}/exosome",
        {
            "lot_id": lot.id,
            "quantity": "1",
            "route": "microneedling",
            "on": now().date().isoformat(),
        },
    )
    assert response.status_code == 303
    assert "The exosome session is recorded" in text_of(nurse.follow(response).text)
    uow = world.uow()
    with uow:
        assert uow.records(ExosomeLot).get(world.clinic.id, lot.id).quantity_left == Decimal(9)
        (use,) = uow.records(LotUse).find(world.clinic.id, lot_id=lot.id)
    assert use.patient_id == patient.id and use.session_id == session.id


def test_exosome_refusals_are_plain(world: World) -> None:
    _, session = world.ready_patient("exosome")
    topical = world.lot(lot_number="T-1", labelled_routes=("topical",))
    nurse = world.as_role("nurse")
    page = nurse.get(f"/clinic/sessions/{session.id}/exosome")
    assert 'name="override_reason"' in page.text, "shown: a topical-only lot is in stock"
    body = {"lot_id": topical.id, "quantity": "1", "route": "injection"}
    needs_reason = nurse.post(f"/clinic/sessions/{session.id}/exosome", body)
    assert needs_reason.status_code == 409
    assert "is labelled for topical use only" in text_of(needs_reason.text)
    assert error_for(needs_reason.text, "f-override_reason")
    too_many = nurse.post(
        f"/clinic/sessions/{session.id}/exosome", {**body, "route": "topical", "quantity": "50"}
    )
    assert too_many.status_code == 409
    assert "has 10 vial left; 50 vial asked" in text_of(too_many.text)
    recall_lot(world.uow(), world.actor(), topical.id, "maker's recall notice R-12")
    recalled = nurse.post(f"/clinic/sessions/{session.id}/exosome", {**body, "route": "topical"})
    assert recalled.status_code == 409
    assert "was recalled on" in text_of(recalled.text)
    assert "maker's recall notice R-12" in text_of(recalled.text)
    page = text_of(nurse.get(f"/clinic/sessions/{session.id}/exosome").text)
    assert "(recalled)" in page
    expired = world.lot(
        lot_number="OLD-1",
        expiry_date=now().date().replace(year=now().date().year - 1),
        received_date=now().date().replace(year=now().date().year - 2),
    )
    gone = nurse.post(
        f"/clinic/sessions/{session.id}/exosome",
        {"lot_id": expired.id, "quantity": "1", "route": "topical"},
    )
    assert gone.status_code == 409
    assert "(usable through that day only)" in text_of(gone.text)
    missing = nurse.post(f"/clinic/sessions/{session.id}/exosome", {"quantity": "1"})
    assert missing.status_code == 422
    assert error_for(missing.text, "f-lot_id") == "! choose the lot used"


def test_a_prp_course_refuses_an_exosome_record(world: World) -> None:
    _, session = world.ready_patient("prp")
    lot = world.lot()
    nurse = world.as_role("nurse")
    page = text_of(nurse.get(f"/clinic/sessions/{session.id}/exosome").text)
    assert "This is not an exosome course" in page
    refused = nurse.post(
        f"/clinic/sessions/{session.id}/exosome",
        {"lot_id": lot.id, "quantity": "1", "route": "topical"},
    )
    assert refused.status_code == 409
    assert "this is a prp course" in text_of(refused.text)


def test_protocols_and_consent_texts_page(world: World) -> None:
    clinician = world.as_role("clinician")
    assert clinician.get("/clinic/protocols").status_code == 200
    half = clinician.post("/clinic/protocols", {"name": "Single", "spin0_rcf_low": "200"})
    assert half.status_code == 422
    assert error_for(half.text, "f-spin0_rcf_high") == "! give the highest allowed value too"
    upside = clinician.post(
        "/clinic/protocols",
        {
            "name": "Single",
            "spin0_rcf_low": "300",
            "spin0_rcf_high": "200",
            "spin0_minutes_low": "5",
            "spin0_minutes_high": "10",
        },
    )
    assert upside.status_code == 422
    assert "is above high 200" in (error_for(upside.text, "f-spin0_rcf_low") or "")
    saved = clinician.post(
        "/clinic/protocols",
        {
            "name": "Single",
            "spin0_rcf_low": "200",
            "spin0_rcf_high": "300",
            "spin0_minutes_low": "5",
            "spin0_minutes_high": "10",
            "final_low": "3",
            "final_high": "6",
        },
    )
    assert saved.status_code == 303
    words = text_of(clinician.follow(saved).text)
    assert "Single: spin 1 200-300 g for 5-10 min; final 3-6 mL" in words
    short = clinician.post(
        "/clinic/consent-forms", {"procedure": "prp", "title": "PRP", "text": "too short"}
    )
    assert short.status_code == 422
    assert "at least 20 characters" in (error_for(short.text, "f-text") or "")
    text = "PRP uses your own blood. Bruising is common. Results vary."
    for _ in range(2):
        ok = clinician.post(
            "/clinic/consent-forms", {"procedure": "prp", "title": "PRP consent", "text": text}
        )
        assert ok.status_code == 303
    words = text_of(clinician.get("/clinic/protocols").text)
    assert "PRP 2 (current) PRP consent" in words
    assert "PRP 1 PRP consent" in words
    nurse = world.as_role("nurse")
    assert nurse.get("/clinic/protocols").status_code == 403
    assert nurse.post("/clinic/consent-forms", {"procedure": "prp"}).status_code == 403
