"""The certificate of analysis on the clinic pages: uploaded with the receive-lot form
(multipart, both CSRF tokens), linked from the lot's page, downloaded by roles that may see
lots of the same clinic only, never left on disk by a refused lot."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from clinic_pages_world import (
    CLIENT,
    Staff,
    World,
    error_for,
    make_world,
    sign_in,
    text_of,
)
from fastapi.testclient import TestClient
from test_clinic_stock_and_event_pages import lot_form

from regenaid.clinic.accounts import StaffAccount, new_clinic
from regenaid.clinic.audit import chain_key
from regenaid.clinic.exosome_lots import ExosomeLot
from regenaid.clinic.ids import new_id
from regenaid.config import Settings
from regenaid.web.app import create_app

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    return tmp_path / "var" / "files"


@pytest.fixture
def world(tmp_path: Path, files: Path) -> Iterator[World]:
    settings = Settings(
        environment="test",
        database_url=f"sqlite:///{tmp_path / 'db' / 'clinic-pages.db'}",
        secret_key="clinic-pages-test-secret",
        files_dir=files,
    )
    app = create_app(settings)
    with TestClient(app, client=CLIENT):
        yield make_world(app)


def upload(
    staff: Staff,
    content: bytes = PDF,
    filename: str = "CoA CV-2291.pdf",
    content_type: str = "application/pdf",
    **changes: Any,
) -> httpx.Response:
    if not staff.csrf:
        staff.get("/clinic")
    body = {"csrf_token": staff.csrf, "staff_csrf": staff.staff_csrf, **lot_form(**changes)}
    return staff.client.post(
        "/clinic/lots",
        data=body,
        files={"coa_file": (filename, content, content_type)},
        follow_redirects=False,
    )


def stored(files: Path) -> list[str]:
    return sorted(p.name for p in files.iterdir()) if files.exists() else []


def only_lot(world: World) -> ExosomeLot:
    with world.uow() as uow:
        (lot,) = uow.records(ExosomeLot).find(world.clinic.id)
    return lot


def test_upload_on_receive_then_download(world: World, files: Path) -> None:
    clinician = world.as_role("clinician")
    form = clinician.get("/clinic/lots/new").text
    assert 'enctype="multipart/form-data"' in form
    assert 'type="file" name="coa_file"' in form
    response = upload(clinician)
    assert response.status_code == 303, response.text[:2000]
    lot = only_lot(world)
    assert lot.coa_file is not None and stored(files) == [lot.coa_file]
    assert lot.coa_sha256 == hashlib.sha256(PDF).hexdigest()
    assert lot.coa_name == "CoA CV-2291.pdf"
    assert (files / lot.coa_file).read_bytes() == PDF

    page = clinician.follow(response).text
    link = f'href="/clinic/lots/{lot.id}/certificate"'
    assert link in page and "CoA CV-2291.pdf" in text_of(page)

    nurse = world.as_role("nurse")
    download = nurse.get(f"/clinic/lots/{lot.id}/certificate")
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert 'filename="CoA CV-2291.pdf"' in download.headers["content-disposition"]
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["cache-control"] == "no-store"

    with world.uow() as uow:
        entries = uow.audit.entries(chain_key(world.clinic.id))
    trail = [(e.action, e.record_kind, e.record_id, e.staff_id) for e in entries]
    assert ("create", "exosome_lot_certificate", lot.id, world.accounts["clinician"].id) in trail
    assert ("export", "exosome_lot_certificate", lot.id, world.accounts["nurse"].id) in trail


def test_a_form_without_a_file_still_receives_the_lot(world: World, files: Path) -> None:
    clinician = world.as_role("clinician")
    response = upload(clinician, content=b"", filename="", content_type="application/octet-stream")
    assert response.status_code == 303, response.text[:2000]
    lot = only_lot(world)
    assert lot.coa_file is None and lot.coa_sha256 is None
    assert stored(files) == []
    page = text_of(clinician.follow(response).text)
    assert "Certificate of analysis not uploaded" in page
    assert clinician.get(f"/clinic/lots/{lot.id}/certificate").status_code == 404


def test_a_file_that_is_not_a_pdf_is_refused_whatever_it_claims(world: World, files: Path) -> None:
    clinician = world.as_role("clinician")
    response = upload(clinician, content=b"<html><script>alert(1)</script>", filename="coa.pdf")
    assert response.status_code == 422
    message = error_for(response.text, "f-coa_file") or error_for(response.text, "coa_file")
    assert message and "PDF" in message
    assert stored(files) == []
    with world.uow() as uow:
        assert not uow.records(ExosomeLot).find(world.clinic.id)


def test_a_failed_lot_validation_leaves_no_file_behind(world: World, files: Path) -> None:
    clinician = world.as_role("clinician")
    response = upload(clinician, manufacturer_country="Korea")
    assert response.status_code == 422
    assert "Choose the certificate again" in text_of(response.text)
    assert stored(files) == []
    duplicate_ok = upload(clinician)
    assert duplicate_ok.status_code == 303
    assert len(stored(files)) == 1


def test_two_files_are_refused(world: World, files: Path) -> None:
    clinician = world.as_role("clinician")
    clinician.get("/clinic")
    body = {"csrf_token": clinician.csrf, "staff_csrf": clinician.staff_csrf, **lot_form()}
    response = clinician.client.post(
        "/clinic/lots",
        data=body,
        files=[("coa_file", ("a.pdf", PDF, "application/pdf")), ("x", ("b.pdf", PDF, "x/y"))],
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert stored(files) == []


def test_the_csrf_tokens_are_checked_on_the_upload(world: World, files: Path) -> None:
    clinician = world.as_role("clinician")
    clinician.get("/clinic")
    for tokens in (
        {"csrf_token": "0" * 64, "staff_csrf": clinician.staff_csrf},
        {"csrf_token": clinician.csrf, "staff_csrf": "wrong"},
        {"csrf_token": clinician.csrf},
    ):
        response = clinician.client.post(
            "/clinic/lots",
            data={**tokens, **lot_form()},
            files={"coa_file": ("coa.pdf", PDF, "application/pdf")},
            follow_redirects=False,
        )
        assert response.status_code == 403
    assert stored(files) == []


def test_reception_may_neither_upload_nor_download(world: World, files: Path) -> None:
    lot = upload_as_clinician(world)
    reception = world.as_role("reception")
    assert reception.get(f"/clinic/lots/{lot.id}/certificate").status_code == 403
    assert upload(reception, lot_number="R-1").status_code == 403
    nurse = world.as_role("nurse")
    assert upload(nurse, lot_number="N-1").status_code == 403
    assert stored(files) == [lot.coa_file]


def test_another_clinics_lot_is_not_found(world: World) -> None:
    lot = upload_as_clinician(world)
    other = new_clinic("Hillside Skin Clinic", lot.created_at, "US")
    stranger = replace(  # an administrator of a second clinic, signed in through the pages
        world.accounts["admin"], id=new_id(), clinic_id=other.id, email="admin@hillside.example"
    )
    with world.uow() as uow:
        uow.directory.add_clinic(other)
        uow.records(StaffAccount).add(stranger)
        uow.commit()
    theirs = sign_in(world.browser(), stranger)
    assert theirs.get(f"/clinic/lots/{lot.id}/certificate").status_code == 404
    assert theirs.get(f"/clinic/lots/{lot.id}").status_code == 404
    assert world.as_role("admin").get(f"/clinic/lots/{lot.id}/certificate").status_code == 200


def upload_as_clinician(world: World) -> ExosomeLot:
    response = upload(world.as_role("clinician"))
    assert response.status_code == 303, response.text[:2000]
    return only_lot(world)


def test_the_page_names_an_old_text_reference_without_a_link(world: World) -> None:
    lot = world.lot(coa_file="coa/L-001.pdf")
    page = world.as_role("clinician").get(f"/clinic/lots/{lot.id}").text
    assert "coa/L-001.pdf" in text_of(page) and "no file was uploaded" in text_of(page)
    assert f"/clinic/lots/{lot.id}/certificate" not in page


def test_a_real_sized_certificate_passes_the_body_limit(world: World, files: Path) -> None:
    # certificates are typically 0.1-2 MB: far over the 64 KiB every other form is held to
    big = PDF + b"%" + b"x" * (3 * 1024 * 1024)
    response = upload(world.as_role("clinician"), content=big)
    assert response.status_code == 303, response.text[:300]
    assert (files / only_lot(world).coa_file).read_bytes() == big
    too_big = PDF + b"%" + b"x" * (11 * 1024 * 1024)
    assert upload(world.as_role("clinician"), content=too_big, lot_number="L-2").status_code == 413
    # and the limit stays 64 KiB on the other forms
    nurse = world.as_role("nurse")
    nurse.get("/clinic")
    refused = nurse.client.post("/clinic/patients", data={"x": "y" * (70 * 1024)})
    assert refused.status_code == 413
