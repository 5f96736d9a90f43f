"""The permission matrix over the API: every role x every endpoint, in the caller's own
clinic, gets the status of the hand-written table in ``clinic_api_endpoints.MATRIX``; every
answer conforms to the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
from clinic_api_endpoints import EXPECTED, SPECS, Ctx, Spec, clinic_routes
from clinic_api_world import ROLES, Call, World
from sqlalchemy import select, update

from regenaid.store.clinic_tables import audit_entries


def test_every_endpoint_has_a_request_and_a_row(world: World) -> None:
    served = clinic_routes(world)
    assert {item.key for item in SPECS} == served, "an endpoint without a request in SPECS"
    assert set(EXPECTED) == served, "an endpoint without a row in MATRIX"
    assert len(served) == len(SPECS)


@pytest.mark.parametrize("item", SPECS, ids=lambda s: f"{s.method} {s.path}")
def test_each_role_gets_the_status_of_the_matrix(world: World, openapi: Any, item: Spec) -> None:
    for role in ROLES:
        call = item.prepare(Ctx(world, world.a, world.a, role))
        answer = (call.client or world.a.clients[role]).send(call)
        assert answer.status_code == EXPECTED[item.key][role], (role, answer.text)
        openapi[f"/api/v1/clinic{item.path}"][item.method].validate_response(answer)


def test_what_each_role_sees_of_a_chart(world: World) -> None:
    """Clinical parts are null for the admin and reception; the schedule is there for all."""
    patient = world.a.consenting_patient("prp")
    course_id, _ = world.a.course("prp", patient)
    for role in ROLES:
        chart = world.a.clients[role].send(Call("GET", f"/patients/{patient.id}")).json()
        clinical = role in ("clinician", "nurse")
        assert (chart["health"] is not None) is clinical, role
        assert (chart["consents"] is not None) is clinical, role
        assert list(chart["sessions"]) == [course_id], role
        course = world.a.clients[role].send(Call("GET", f"/courses/{course_id}")).json()
        assert (course["course"] is not None) is clinical, role
        assert course["sessions"], role


def test_the_recall_list_as_csv(world: World) -> None:
    lot = world.a.used_lot()
    answer = world.a.clients["nurse"].send(
        Call("GET", f"/lots/{lot.id}/recall-list", params={"format": "csv"})
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    header, line = answer.text.strip().split("\r\n")
    assert header.startswith("lot_id,used_on,patient_id")
    assert line.startswith(lot.id)
    as_json = world.a.clients["nurse"].send(Call("GET", f"/lots/{lot.id}/recall-list")).json()
    assert [item["patient"]["family_name"] for item in as_json["items"]] == [
        as_json["items"][0]["patient"]["family_name"]
    ]


def test_the_audit_trail_shows_a_changed_entry(world: World) -> None:
    """``GET /audit`` recomputes the chain: an entry changed in the database is reported."""
    admin = world.a.clients["admin"]
    before = admin.send(Call("GET", "/audit")).json()
    assert before["verification"]["ok"] is True
    assert before["items"][0]["seq"] == before["total"]  # newest first
    where = (audit_entries.c.chain == world.a.id) & (audit_entries.c.seq == 2)
    with world.factory.begin() as session:
        kept = session.execute(select(audit_entries.c.detail).where(where)).scalar_one()
        session.execute(update(audit_entries).where(where).values(detail="tampered"))
    try:
        after = admin.send(Call("GET", "/audit")).json()["verification"]
        assert (after["ok"], after["first_bad_seq"], after["problem"]) == (
            False,
            2,
            "hash mismatch",
        )
    finally:
        with world.factory.begin() as session:
            session.execute(update(audit_entries).where(where).values(detail=kept))
    assert admin.send(Call("GET", "/audit")).json()["verification"]["ok"] is True
