"""No cross-clinic read or write over any endpoint of the clinic API.

Two clinics, A and B, each with one signed-in account per role and records of every kind.
For every endpoint the app serves under ``/api/v1/clinic`` (taken from the app's routes, so a
new endpoint without a request in ``clinic_api_endpoints.SPECS`` fails the test), every role
of A sends a request that names B's records: in the path, in the body or query, or both
(mixed with A's own). Each must be refused, 403 where the role may not do it at all and 404
otherwise, with exactly the answer a record id that exists nowhere gets. Endpoints that
name no record are called as A would, and their answers must hold none of B's identifiers
(B's patients, staff, lots, ... never show in A's lists). B's stored rows (records, staff,
sessions, audit chain) are the same before and after. Finally B's own staff send the very
same requests: they succeed as the permission matrix says, so every refused request was one
that works inside its own clinic.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from clinic_api_endpoints import EXPECTED, SPECS, Ctx, Spec, clinic_routes, variants
from clinic_api_world import ROLES, Call, Side, World, identifiers

from regenaid.clinic.ids import new_id


def _ghost(call: Call, ids: set[str]) -> Call:
    """``call`` with each of clinic B's ids replaced by an id that exists nowhere."""
    text = json.dumps([call.path, call.json, call.params])
    for found in sorted(i for i in ids if i in text):
        text = text.replace(found, new_id())
    path, body, params = json.loads(text)
    return replace(call, path=path, json=body, params=params)


@pytest.fixture(scope="module")
def seeded(world: World) -> World:
    """Both clinics hold at least one record of every kind."""
    world.a.seed()
    world.b.seed()
    return world


def test_no_cross_clinic_read_or_write(
    seeded: World, record_property: pytest.RecordProperty, capsys: pytest.CaptureFixture[str]
) -> None:
    world = seeded
    a, b = world.a, world.b
    assert {item.key for item in SPECS} == clinic_routes(world), "an endpoint is not covered"

    planned: list[tuple[Spec, str, Side, Side, Call]] = []
    for item in SPECS:
        for owner, refs in variants(item, a, b):
            for role in ROLES:
                planned.append(
                    (item, role, owner, refs, item.prepare(Ctx(world, owner, refs, role)))
                )

    before = world.dump(b.id)
    b_ids = identifiers(before)
    empty = [name for name, rows in before.items() if not rows]
    assert not empty, f"clinic B has no {empty}: the test would not see them leak"

    requests = 0
    successes: list[str] = []
    wrong: list[str] = []
    leaks: list[str] = []
    told_apart: list[str] = []
    for item, role, owner, refs, call in planned:
        label = f"{role} {item.method} {item.path} (owner {owner.name}, refs {refs.name})"
        sender = call.client or a.clients[role]
        answer = sender.send(call)
        requests += 1
        leaked = sorted(x for x in b_ids if x in answer.text)
        if leaked:
            leaks.append(f"{label}: {leaked[:3]}")
        if owner is b or refs is b:
            if answer.is_success:
                successes.append(f"{label}: {answer.status_code}")
            expected = 403 if EXPECTED[item.key][role] == 403 else 404
            if answer.status_code != expected:
                wrong.append(f"{label}: {answer.status_code} {answer.text[:200]}")
            nowhere = sender.send(_ghost(call, b_ids))
            requests += 1
            if (nowhere.status_code, nowhere.text) != (answer.status_code, answer.text):
                told_apart.append(f"{label}: {answer.text[:100]} vs {nowhere.text[:100]}")
        elif answer.status_code != EXPECTED[item.key][role]:
            wrong.append(f"{label}: {answer.status_code} {answer.text[:200]}")

    after = world.dump(b.id)
    changed = sorted(name for name in before if before[name] != after[name])
    summary = (
        f"cross-clinic authorisation: {len(SPECS)} endpoints, {len(planned)} requests by "
        f"clinic A's {len(ROLES)} roles ({requests} with the nowhere-id twins); "
        f"cross-clinic successes {len(successes)}, answers showing B's data {len(leaks)}, "
        f"B's tables changed {len(changed)}"
    )
    record_property("cross_clinic_requests", requests)
    record_property("cross_clinic_successes", len(successes))
    with capsys.disabled():
        print("\n" + summary)
    assert not successes, successes
    assert not changed, changed
    assert not leaks, leaks
    assert not wrong, wrong
    assert not told_apart, told_apart

    # The same requests from B's own staff work as the matrix says: they were real requests.
    control: list[str] = []
    for item, role, owner, refs, call in planned:
        if owner is b and refs is b and call.client is None:
            answer = b.clients[role].send(call)
            if answer.status_code != EXPECTED[item.key][role]:
                control.append(f"{role} {item.method} {item.path}: {answer.text[:200]}")
    assert not control, control


def test_a_list_never_mixes_clinics(seeded: World) -> None:
    """Each clinic's lists hold exactly its own rows (checked by id against the store)."""
    world = seeded
    for side in (world.a, world.b):
        for path, role in (
            ("/patients", "reception"),
            ("/lots", "nurse"),
            ("/adverse-events", "nurse"),
            ("/prp-protocols", "nurse"),
            ("/consent-forms", "reception"),
            ("/staff", "admin"),
        ):
            items = side.clients[role].send(Call("GET", path)).json()["items"]
            assert items, path
            assert {row.get("clinic_id", side.id) for row in items} == {side.id}, path
        own = identifiers(world.dump(side.id))
        other = identifiers(world.dump((world.b if side is world.a else world.a).id))
        for row in side.clients["reception"].send(Call("GET", "/patients")).json()["items"]:
            assert row["id"] in own and row["id"] not in other
