"""Patients on the clinic pages: register and edit (422 naming the field), the patient's page
by role, health answers, an attached decision-aid result, consent and its withdrawal,
courses and their sessions (409 with the rule's reason)."""

from __future__ import annotations

import re
from datetime import timedelta

from clinic_pages_world import World, error_for, now, text_of

from regenaid.clinic.patients import Consent, HealthAnswers


def _patient_id(location: str) -> str:
    found = re.match(r"^/clinic/patients/([A-Za-z0-9_-]+)\?done=patient_saved$", location)
    assert found, location
    return found.group(1)


def test_register_a_patient_then_edit(world: World) -> None:
    reception = world.as_role("reception")
    form = reception.get("/clinic/patients/new")
    assert form.status_code == 200
    response = reception.post(
        "/clinic/patients",
        {
            "given_name": "Maria",
            "family_name": "Okafor",
            "birth_date": "1979-06-30",
            "sex": "female",
            "phone": "+1 555 0100",
            "email": "",
        },
    )
    assert response.status_code == 303
    patient_id = _patient_id(response.headers["location"])
    page = reception.follow(response)
    assert "The patient&#39;s details are saved." in page.text
    assert "Maria Okafor" in page.text and "1979-06-30" in page.text
    edit = reception.post(
        f"/clinic/patients/{patient_id}/edit",
        {
            "given_name": "Maria",
            "family_name": "Okafor-Reyes",
            "birth_date": "1979-06-30",
            "sex": "female",
            "phone": "+1 555 0100",
            "email": "maria@example.org",
        },
    )
    assert edit.status_code == 303
    listing = reception.get("/clinic/patients?q=reyes")
    assert "Okafor-Reyes, Maria" in listing.text
    assert "maria@example.org" in listing.text
    assert "Okafor-Reyes" not in reception.get("/clinic/patients?q=nobody").text


def test_a_bad_field_is_named_beside_its_input(world: World) -> None:
    clinician = world.as_role("clinician")
    future = (now().date() + timedelta(days=3)).isoformat()
    response = clinician.post(
        "/clinic/patients",
        {"given_name": "Tom", "family_name": "Ng", "birth_date": future, "sex": "male"},
    )
    assert response.status_code == 422
    assert error_for(response.text, "f-birth_date") == "! is in the future"
    assert 'value="Tom"' in response.text, "what was typed is kept"
    bad_phone = clinician.post(
        "/clinic/patients",
        {
            "given_name": "Tom",
            "family_name": "Ng",
            "birth_date": "1990-01-01",
            "sex": "male",
            "phone": "call me",
        },
    )
    assert bad_phone.status_code == 422
    assert "digits, spaces" in (error_for(bad_phone.text, "f-phone") or "")
    assert "Ng, Tom" not in clinician.get("/clinic/patients").text


def test_roles_see_only_what_they_may(world: World) -> None:
    patient, session = world.ready_patient("prp")
    url = f"/clinic/patients/{patient.id}"
    clinician = world.as_role("clinician").get(url).text
    reception = world.as_role("reception").get(url).text
    admin = world.as_role("admin").get(url).text
    for section in ('id="health-h"', 'id="results-h"', 'id="consents-h"', 'id="prp-h"'):
        assert section in clinician
        assert section not in reception
        assert section not in admin
    assert "Courses and sessions" in clinician and "PRP (your own blood plasma) for" in clinician
    # the schedule is for everyone; the treatment is clinical
    for text in (reception, admin):
        assert "Appointments" in text
        assert session.planned.isoformat() in text
        assert "PRP (your own blood plasma)" not in text
    assert "Move or mark missed" in reception and "Move or mark missed" not in admin
    assert f"/clinic/sessions/{session.id}/prp" in clinician
    assert f"/clinic/sessions/{session.id}/prp" not in reception
    assert world.as_role("admin").post("/clinic/patients", {}).status_code == 403
    denied = world.as_role("admin").get("/clinic/patients/new")
    assert denied.status_code == 403
    assert "Administrator accounts may not register a patient" in denied.text


def test_unknown_patient_is_404(world: World) -> None:
    page = world.as_role("clinician").get("/clinic/patients/no-such-patient-id")
    assert page.status_code == 404
    assert "There is no such record in this clinic." in page.text


def test_health_answers_are_recorded_from_the_form(world: World) -> None:
    patient = world.patient()
    nurse = world.as_role("nurse")
    before = nurse.get(f"/clinic/patients/{patient.id}").text
    assert "No health answers are recorded yet" in before
    response = nurse.post(
        f"/clinic/patients/{patient.id}/health",
        {"health.anticoagulant": "yes", "health.keloid_tendency": "yes"},
    )
    assert response.status_code == 303
    page = nurse.follow(response).text
    assert "I take blood thinners" in page
    assert "I get thick raised scars (keloids)" in page
    uow = world.uow()
    with uow:
        answers = uow.records(HealthAnswers).find(world.clinic.id, patient_id=patient.id)
    assert [a.flags["anticoagulant"] for a in answers] == [True]
    assert sum(answers[0].flags.values()) == 2


def test_attach_a_saved_result_by_its_link(world: World) -> None:
    patient = world.patient()
    token = world.saved_result()
    clinician = world.as_role("clinician")
    wrong = clinician.post(f"/clinic/patients/{patient.id}/results", {"link": "hello"})
    assert wrong.status_code == 422
    assert "paste the private link" in (error_for(wrong.text, "f-link") or "")
    unknown = clinician.post(
        f"/clinic/patients/{patient.id}/results", {"link": "https://x.example/r/" + "A" * 43}
    )
    assert unknown.status_code == 422
    assert "no saved result has this link" in (error_for(unknown.text, "f-link") or "")
    response = clinician.post(
        f"/clinic/patients/{patient.id}/results",
        {"link": f"http://127.0.0.1:8000/r/{token}#choice"},
    )
    assert response.status_code == 303
    page = clinician.follow(response).text
    words = text_of(page)
    assert "Pattern hair loss (androgenetic alopecia), saved" in words
    assert "Leaning toward: PRP (your own blood plasma)" in words
    assert "Do you feel SURE about the best choice for you? Yes" in words
    assert "Do you know the benefits and risks of each choice? No" in words
    assert "No to 1 of the four SURE questions" in words
    assert token not in page, "the private link is not shown or kept"
    nurse = world.as_role("nurse")
    assert nurse.post(f"/clinic/patients/{patient.id}/results", {"link": token}).status_code == 403


def test_consent_recorded_and_withdrawn(world: World) -> None:
    patient = world.patient()
    form = world.consent_form("prp")
    clinician = world.as_role("clinician")
    unconfirmed = clinician.post(f"/clinic/patients/{patient.id}/consents", {"form_id": form.id})
    assert unconfirmed.status_code == 422
    assert "confirm that the patient read" in (error_for(unconfirmed.text, "f-confirmed") or "")
    response = clinician.post(
        f"/clinic/patients/{patient.id}/consents", {"form_id": form.id, "confirmed": "yes"}
    )
    assert response.status_code == 303
    assert "in force" in clinician.follow(response).text
    # a newer text makes the old version refused: 409 with the reason
    world.consent_form("prp")
    outdated = clinician.post(
        f"/clinic/patients/{patient.id}/consents", {"form_id": form.id, "confirmed": "yes"}
    )
    assert outdated.status_code == 409
    assert "version 1 is not the current text (version 2)" in outdated.text
    uow = world.uow()
    with uow:
        (consent,) = uow.records(Consent).find(world.clinic.id, patient_id=patient.id)
    nurse = world.as_role("nurse")
    withdrawn = nurse.post(
        f"/clinic/consents/{consent.id}/withdraw",
        {"patient_id": patient.id, "note": "changed her mind"},
    )
    assert withdrawn.status_code == 303
    page = nurse.follow(withdrawn).text
    assert "withdrawn" in page and "changed her mind" in page
    again = nurse.post(f"/clinic/consents/{consent.id}/withdraw", {"patient_id": patient.id})
    assert again.status_code == 409
    assert "this consent was already withdrawn" in again.text


def test_plan_a_course_from_the_form(world: World) -> None:
    patient = world.patient()
    clinician = world.as_role("clinician")
    start = now().date().isoformat()
    missing = clinician.post(
        f"/clinic/patients/{patient.id}/courses",
        {
            "treatment": "prp",
            "condition": "androgenetic_alopecia",
            "start": start,
            "horizon_months": "12",
        },
    )
    assert missing.status_code == 422
    assert error_for(missing.text, "f-severity") == (
        "! is required when no decision-aid result is used"
    )
    assert 'value="prp" selected' in missing.text
    response = clinician.post(
        f"/clinic/patients/{patient.id}/courses",
        {
            "treatment": "prp",
            "condition": "androgenetic_alopecia",
            "start": start,
            "horizon_months": "12",
            "severity": "moderate",
        },
    )
    assert response.status_code == 303
    page = clinician.follow(response).text
    assert "The course is planned." in page
    assert "PRP (your own blood plasma) for Pattern hair loss" in page
    assert page.count("Record PRP") >= 3
    # the schedule shows today's first visit to every role
    home = world.as_role("reception").get("/clinic").text
    assert "Ana Silva" in home
    assert (
        world.as_role("nurse")
        .post(f"/clinic/patients/{patient.id}/courses", {"treatment": "prp"})
        .status_code
        == 403
    )


def test_course_with_the_attached_result_must_match_its_condition(world: World) -> None:
    patient = world.patient()
    token = world.saved_result()
    clinician = world.as_role("clinician")
    clinician.post(f"/clinic/patients/{patient.id}/results", {"link": token})
    page = clinician.get(f"/clinic/patients/{patient.id}").text
    attached_id = re.search(r'<option value="([^"]+)">Saved ', page)
    assert attached_id
    response = clinician.post(
        f"/clinic/patients/{patient.id}/courses",
        {
            "treatment": "exosome",
            "condition": "acne_scars",
            "start": now().date().isoformat(),
            "horizon_months": "12",
            "attached_result_id": attached_id.group(1),
        },
    )
    assert response.status_code == 422
    assert "differs from the condition of the attached" in (
        error_for(response.text, "f-condition") or ""
    )


def test_sessions_moved_and_missed(world: World) -> None:
    patient, session = world.ready_patient("prp")
    reception = world.as_role("reception")
    outside = (session.latest + timedelta(days=30)).isoformat()
    refused = reception.post(
        f"/clinic/sessions/{session.id}/move", {"patient_id": patient.id, "to": outside}
    )
    assert refused.status_code == 409
    assert "outside the protocol&#39;s window" in refused.text
    assert 'class="has-error"' in refused.text
    moved = reception.post(
        f"/clinic/sessions/{session.id}/move",
        {"patient_id": patient.id, "to": outside, "note": "patient travelling"},
    )
    assert moved.status_code == 303
    page = reception.follow(moved).text
    assert "The session is moved." in page
    assert f"moved {outside}" in page
    missed = reception.post(f"/clinic/sessions/{session.id}/missed", {"patient_id": patient.id})
    assert missed.status_code == 303
    assert "missed" in reception.follow(missed).text
    twice = reception.post(f"/clinic/sessions/{session.id}/missed", {"patient_id": patient.id})
    assert twice.status_code == 409
    assert "is already missed" in twice.text
