"""No clinic page reads or writes another clinic's records: every page route that takes a
record id, called by each role of a second clinic with the first clinic's ids, answers 403
(role) or 404 (indistinguishable from a missing record), and the first clinic's rows and
audit chain are unchanged. The routes are read from the page routers, so a new one without a
request here fails the test."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from clinic_pages_world import CLIENT, World, make_world, sign_in
from fastapi.testclient import TestClient
from sqlalchemy import select

from regenaid.clinic.accounts import StaffAccount, new_clinic
from regenaid.clinic.ids import new_id
from regenaid.config import Settings
from regenaid.store.clinic_tables import metadata
from regenaid.web.app import create_app

PAGE_MODULES = (
    "pages_auth",
    "pages_home",
    "pages_patients",
    "pages_sessions",
    "pages_stock",
    "pages_events",
    "pages_outcomes",
    "pages_cohort",
    "pages_fhir",
)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings = Settings(
        environment="test",
        database_url=f"sqlite:///{tmp_path / 'db' / 'cross.db'}",
        secret_key="clinic-pages-cross-clinic-secret",
        files_dir=tmp_path / "files",
    )
    app = create_app(settings)
    with TestClient(app, client=CLIENT):
        yield make_world(app)


def page_routes() -> list[tuple[str, str]]:
    found = []
    for name in PAGE_MODULES:
        module = importlib.import_module(f"regenaid.web.clinic.{name}")
        for route in module.router.routes:
            if "{" in route.path:
                found.extend((method, route.path) for method in sorted(route.methods))
    return found


def snapshot(world: World, clinic_id: str) -> dict[str, list[Any]]:
    """Every row of the clinic in every clinic table (its audit chain included)."""
    rows: dict[str, list[Any]] = {}
    with world.app.state.engine.connect() as connection:
        for table in metadata.sorted_tables:
            column = table.c.get("clinic_id")
            if column is None or table.name == "clinics":
                continue
            query = select(table).where(column == clinic_id)
            rows[table.name] = sorted(map(tuple, connection.execute(query)), key=repr)
    return rows


def test_no_page_reaches_another_clinics_records(world: World) -> None:
    patient, session = world.ready_patient("prp")
    lot = world.lot()
    baseline, photo = world.outcomes(patient)
    with world.uow() as uow:
        from regenaid.clinic.patients import Consent

        consent = uow.records(Consent).find(world.clinic.id, patient_id=patient.id)[0]
    ids = {
        "patient_id": patient.id,
        "session_id": session.id,
        "lot_id": lot.id,
        "consent_id": consent.id,
        "staff_id": world.accounts["nurse"].id,
        "record_id": new_id(),  # a PRP record id of the first clinic is looked up via its patient
        "measurement_id": baseline.id,
        "photo_id": photo.id,
    }
    other = new_clinic("Hillside Skin Clinic", world.accounts["admin"].created_at, "US")
    strangers = {
        role: replace(account, id=new_id(), clinic_id=other.id, email=f"{role}@hillside.example")
        for role, account in world.accounts.items()
    }
    with world.uow() as uow:
        uow.directory.add_clinic(other)
        for account in strangers.values():
            uow.records(StaffAccount).add(account)
        uow.commit()
    before = snapshot(world, world.clinic.id)

    routes = page_routes()
    assert len(routes) >= 20
    answered: dict[int, int] = {}
    for role, account in strangers.items():
        them = sign_in(world.browser(), account)
        for method, path in routes:
            url = path.format(**ids)
            response = them.get(url) if method == "GET" else them.post(url, data={"note": "x"})
            assert response.status_code in (403, 404), (role, method, url, response.status_code)
            answered[response.status_code] = answered.get(response.status_code, 0) + 1
            assert patient.family_name not in response.text
    assert snapshot(world, world.clinic.id) == before
    assert sum(answered.values()) == len(routes) * len(strangers)
    assert answered.get(404, 0) > 0  # the wall is the clinic, not only the role
