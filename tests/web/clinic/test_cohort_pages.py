"""The cohort page and its CSV: the clinic's numbers beside the published estimate with the
caveat, small groups suppressed on the page and in the file, roles, and bad filters."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import timedelta

from clinic_pages_world import World, error_for, now, text_of

from regenaid.clinic.courses import CourseSession
from regenaid.clinic.outcomes import Measurement, new_measurement


def treated(world: World, treatment: str, gain: float) -> None:
    """A patient on a course of ``treatment``, treated 200 days ago, hair density measured
    at baseline and 120 days later."""
    patient = world.patient()
    start = now().date() - timedelta(days=200)
    course, sessions = world.course(patient, treatment, start=start)
    first = next(s for s in sessions if s.kind != "consultation")
    actor = world.actor()
    with world.uow() as uow:
        uow.records(CourseSession).replace(
            replace(first, status="done", on=start, recorded_by=actor.staff_id, recorded_at=now())
        )
        for day, value in ((0, 150.0), (120, 150.0 + gain)):
            uow.records(Measurement).add(
                new_measurement(
                    clinic_id=world.clinic.id,
                    recorded_by=actor.staff_id,
                    now=now(),
                    concern="hair",
                    patient_id=patient.id,
                    course_id=course.id,
                    measure="hair_density",
                    value=value,
                    method="phototrichogram_corrected",
                    site="vertex",
                    measured_on=start + timedelta(days=day),
                )
            )
        uow.commit()


def seed(world: World) -> None:
    for gain in (40.0, 45.0, 5.0, 50.0, 38.0, 0.0):
        treated(world, "prp", gain)
    for gain in (20.0, 30.0, 25.0, 10.0, 15.0):
        treated(world, "exosome", gain)
    for gain in (20.0, 30.0):
        treated(world, "combination", gain)


def test_the_cohort_beside_the_published_estimate(world: World) -> None:
    seed(world)
    nurse = world.as_role("nurse")
    home = nurse.get("/clinic")
    assert 'href="/clinic/outcomes/cohort"' in home.text
    response = nurse.get("/clinic/outcomes/cohort")
    assert response.status_code == 200
    words = text_of(response.text)
    assert "An uncontrolled clinic cohort is not a trial" in words
    assert "not comparable like for like" in words
    assert "Pattern hair loss (androgenetic alopecia): PRP" in words
    assert "Treated 6 patients" in words
    # (40 + 45 + 5 + 50 + 38 + 0) / 6 = 29.67 hairs/cm²; 4 of 6 responders
    assert "29.7 hairs/cm²" in words
    assert "4 of 6: 66.7%" in words
    assert (
        "Kieling 2024: PRP vs placebo, mean difference 27.6 hairs per cm² (95% CI 14 to 41.1)"
        in (words)
    )
    assert "Treated: <5." in words  # the 2 combination patients
    assert "No pooled published estimate." in words  # exosomes: no pooled trials


def test_the_csv_keeps_small_groups_suppressed(world: World) -> None:
    seed(world)
    clinician = world.as_role("clinician")
    response = clinician.get("/clinic/outcomes/cohort.csv?option=&measure=hair_density")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = {r["option"]: r for r in csv.DictReader(io.StringIO(response.text))}
    assert rows["prp"]["treated"] == "6" and rows["prp"]["followed_up"] == "6"
    assert float(rows["prp"]["mean_change"]) == 29.6667
    assert rows["prp"]["published_source"] == "Kieling 2024"
    assert rows["exosome"]["treated"] == "5"
    assert rows["exosome"]["published_estimate"] == "no pooled published estimate"
    assert rows["combination"]["treated"] == "<5"
    assert rows["combination"]["mean_change"] == "" and rows["combination"]["followed_up"] == ""
    assert "Silva" not in response.text  # no patient in the file


def test_roles_that_may_not_see_outcomes(world: World) -> None:
    for role in ("admin", "reception"):
        staff = world.as_role(role)
        assert 'href="/clinic/outcomes/cohort"' not in staff.get("/clinic").text
        assert staff.get("/clinic/outcomes/cohort").status_code == 403
        assert staff.get("/clinic/outcomes/cohort?condition=nonsense").status_code == 403
        assert staff.get("/clinic/outcomes/cohort.csv").status_code == 403


def test_an_unknown_filter_is_named_beside_its_field(world: World) -> None:
    clinician = world.as_role("clinician")
    response = clinician.get("/clinic/outcomes/cohort?measure=pgic")
    assert response.status_code == 422
    assert "not a measure with a baseline" in (error_for(response.text, "f-measure") or "")
    assert clinician.get("/clinic/outcomes/cohort.csv?prp_class=colour").status_code == 422


def test_no_treated_patients_yet(world: World) -> None:
    response = world.as_role("clinician").get("/clinic/outcomes/cohort?prp_class=spins")
    assert response.status_code == 200
    assert "No treated patients" in text_of(response.text)
