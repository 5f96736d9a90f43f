"""A smoke test of the clinic API on PostgreSQL (a fresh schema, dropped afterwards): a
patient, consent, an exosome course recorded end to end with its lot, the recall list, the
audit chain verified, and clinic B's records not found for clinic A; and a PRP session with
its derived values (its formula version is longer than the 40 characters its column first
had). Fails, never skips, when the server is unreachable."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from clinic_api_world import Call, World, lot_values, prp_body, today
from sqlalchemy import text

from regenaid.store import make_engine

POSTGRES_URL = os.environ.get(
    "REGENAID_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="module")
def pg_world() -> Iterator[World]:
    schema = f"regenaid_api_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    built: World | None = None
    try:
        separator = "&" if "?" in POSTGRES_URL else "?"
        built = World(f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}")
        assert built.app.state.engine.dialect.name == "postgresql"
        yield built
    finally:
        if built is not None:
            built.close()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.postgres
def test_the_clinic_api_on_postgresql(pg_world: World) -> None:
    a, b = pg_world.a, pg_world.b
    clinician, nurse, admin = (a.clients[r] for r in ("clinician", "nurse", "admin"))

    patient = clinician.send(
        Call(
            "POST",
            "/patients",
            {
                "given_name": "Pia",
                "family_name": "Postgres",
                "birth_date": "1980-02-29",
                "sex": "female",
            },
        )
    )
    assert patient.status_code == 201, patient.text
    pid = patient.json()["id"]
    assert clinician.send(Call("PUT", f"/patients/{pid}/health", {})).status_code == 200
    for procedure in ("prp", "exosome"):
        form = clinician.send(
            Call(
                "POST",
                "/consent-forms",
                {
                    "procedure": procedure,
                    "title": procedure,
                    "text": f"What {procedure} involves and its risks.",
                },
            )
        )
        assert form.status_code == 201, form.text
        consent = clinician.send(
            Call("POST", f"/patients/{pid}/consents", {"form_id": form.json()["id"]})
        )
        assert consent.status_code == 201, consent.text

    plan = {
        "condition": "androgenetic_alopecia",
        "start": today().isoformat(),
        "horizon_months": 12,
        "severity": "moderate",
    }
    lot = admin.send(Call("POST", "/lots", lot_values()))
    assert lot.status_code == 201, lot.text
    assert lot.json()["regulatory"]["GB"]["origin"] == "knowledge_base"
    exo_course = clinician.send(
        Call("POST", f"/patients/{pid}/courses", {**plan, "treatment": "exosome"})
    )
    exo_first = next(s for s in exo_course.json()["sessions"] if s["kind"] == "initial")
    use = nurse.send(
        Call(
            "POST",
            f"/sessions/{exo_first['id']}/exosome",
            {
                "lot_id": lot.json()["id"],
                "quantity": "1.5",
                "route": "topical",
                "on": today().isoformat(),
            },
        )
    )
    assert use.status_code == 201, use.text
    left = nurse.send(Call("GET", f"/lots/{lot.json()['id']}")).json()["quantity_left"]
    assert Decimal(left) == Decimal("8.5")
    recall_list = admin.send(Call("GET", f"/lots/{lot.json()['id']}/recall-list")).json()
    assert [line["patient"]["id"] for line in recall_list["items"]] == [pid]

    trail = admin.send(Call("GET", "/audit")).json()
    assert trail["verification"]["ok"] is True, trail["verification"]
    assert trail["verification"]["entries"] == trail["total"] == trail["items"][0]["seq"]
    again = admin.send(
        Call("GET", "/audit", params={"head": trail["verification"]["summary"].split("head ")[1]})
    )
    assert again.json()["verification"]["ok"] is True

    other = b.patient()
    assert clinician.send(Call("GET", f"/patients/{other.id}")).status_code == 404
    listed = {
        p["id"] for p in a.clients["reception"].send(Call("GET", "/patients")).json()["items"]
    }
    assert pid in listed and other.id not in listed


@pytest.mark.postgres
def test_a_prp_session_on_postgresql(pg_world: World) -> None:
    session = pg_world.a.treatment_session("prp")
    record = pg_world.a.clients["nurse"].send(
        Call("POST", f"/sessions/{session.id}/prp", prp_body(None))
    )
    assert record.status_code == 201, record.text
    assert record.json()["concentration_factor"] == pytest.approx(4.4)
    assert record.json()["depa_code"].startswith("D:A")
