"""``GET /api/v1/clinic/outcomes/cohort``: the clinic's own cohort (never the other clinic's
patients), beside the published estimate, as JSON or CSV, true to the OpenAPI document; 422
names a bad filter."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from clinic_api_world import Call, Side, World, today

from regenaid.clinic.courses import CourseSession


def treated(side: Side, gain: float) -> None:
    """A PRP patient treated 150 days ago, hair density measured then and 100 days later
    (recorded without naming the course: it is the patient's only one)."""
    patient, session = side.session_with_patient("prp")
    day = today() - timedelta(days=150)
    with side.uow() as uow:
        uow.records(CourseSession).replace(
            replace(
                session,
                status="done",
                on=day,
                recorded_by=side.accounts["nurse"].id,
                recorded_at=datetime.now(UTC),
            )
        )
        uow.commit()
    side.measurement(patient, 150.0, day)
    side.measurement(patient, 150.0 + gain, day + timedelta(days=100))


@pytest.fixture(scope="module")
def seeded(world: World) -> World:
    for gain in (40.0, 45.0, 5.0, 50.0, 38.0, 0.0):
        treated(world.a, gain)
    for gain in (90.0, 90.0, 90.0, 90.0, 90.0):
        treated(world.b, gain)
    return world


def test_the_clinics_own_cohort_beside_the_published_estimate(seeded: World, openapi: Any) -> None:
    answer = seeded.a.clients["nurse"].send(Call("GET", "/outcomes/cohort"))
    assert answer.status_code == 200, answer.text
    openapi["/api/v1/clinic/outcomes/cohort"]["GET"].validate_response(answer)
    body = answer.json()
    assert "not a trial" in body["caveat"]
    (group,) = body["groups"]
    assert (group["condition"], group["option"], group["treated"]["value"]) == (
        "androgenetic_alopecia",
        "prp",
        6,  # clinic B's five are not here
    )
    (density,) = group["measures"]
    assert density["change"]["estimate"] == pytest.approx(178 / 6)
    assert density["responders"]["count"] == 4
    assert density["published"]["study"] == "Kieling 2024"
    assert density["published"]["estimate"] == 27.55
    other = seeded.b.clients["clinician"].send(Call("GET", "/outcomes/cohort")).json()
    assert other["groups"][0]["treated"]["value"] == 5
    assert other["groups"][0]["measures"][0]["change"]["estimate"] == pytest.approx(90.0)


def test_the_cohort_as_csv(seeded: World) -> None:
    answer = seeded.a.clients["clinician"].send(
        Call("GET", "/outcomes/cohort", params={"format": "csv", "prp_class": "spins"})
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    (row,) = csv.DictReader(io.StringIO(answer.text))
    assert (row["prp_class"], row["treated"]) == ("no preparation recorded", "6")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"condition": "baldness"}, "condition"),
        ({"option": "conventional"}, "option"),
        ({"measure": "pgic"}, "measure"),
        ({"prp_class": "colour"}, "prp_class"),
        ({"format": "xml"}, "format"),
    ],
)
def test_a_bad_filter_is_named(seeded: World, params: dict[str, str], field: str) -> None:
    answer = seeded.a.clients["clinician"].send(Call("GET", "/outcomes/cohort", params=params))
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] == field


def test_roles_without_outcomes_get_403_before_the_filters(seeded: World) -> None:
    for role in ("admin", "reception"):
        answer = seeded.a.clients[role].send(
            Call("GET", "/outcomes/cohort", params={"condition": "baldness"})
        )
        assert answer.status_code == 403
