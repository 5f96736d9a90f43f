"""The certificate-of-analysis rules: a PDF by its content, bounded in size, stored under an
unguessable key with its name kept only as display text; and the use case that receives a lot
with its certificate writes the file only when the lot is committed."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fakes import FakeUnitOfWork, MemoryDocuments
from test_exosome_lots import lot_values
from test_use_cases import ADMIN, CLIN, DESK, NURSE, actor

from regenaid.clinic import treatments
from regenaid.clinic.access import Role
from regenaid.clinic.audit import AuditEntry
from regenaid.clinic.documents import (
    CERTIFICATE_MAX_BYTES,
    DEFAULT_DISPLAY_NAME,
    DISPLAY_NAME_MAX,
    check_certificate,
    display_name,
    is_document_key,
    new_document_key,
)
from regenaid.clinic.errors import PermissionDeniedError, RecordNotFoundError, RefusedError
from regenaid.clinic.exosome_lots import ExosomeLot
from regenaid.errors import InvalidInputError

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class FailingCommit(FakeUnitOfWork):
    def commit(self) -> None:
        raise RuntimeError("the database went away")


# --- the rules ---------------------------------------------------------------------------------


def test_a_pdf_is_accepted_with_a_new_key_its_hash_and_its_name() -> None:
    doc = check_certificate(PDF, "CoA lot L1.pdf")
    assert is_document_key(doc.key) and doc.key.endswith(".pdf")
    assert "L1" not in doc.key
    assert doc.sha256 == hashlib.sha256(PDF).hexdigest()
    assert doc.display_name == "CoA lot L1.pdf"
    assert doc.content == PDF and doc.size == len(PDF)
    assert "%PDF" not in repr(doc)  # the bytes are not in logs or reprs


@pytest.mark.parametrize(
    "content",
    [
        b"<html><script>alert(1)</script></html>",
        b"GIF89a",
        b"  %PDF-1.7",  # the signature must be at the start
        b"%PD",
        b"\x89PNG\r\n\x1a\n",
    ],
)
def test_content_that_is_not_a_pdf_is_refused_naming_coa_file(content: bytes) -> None:
    with pytest.raises(InvalidInputError) as err:
        check_certificate(content, "certificate.pdf")  # the name says PDF; the content decides
    assert err.value.field == "coa_file"
    assert "PDF" in err.value.message


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(InvalidInputError) as err:
        check_certificate(b"", "empty.pdf")
    assert err.value.field == "coa_file"


def test_size_limit() -> None:
    assert CERTIFICATE_MAX_BYTES == 10 * 1024 * 1024
    at_limit = PDF + b"0" * (CERTIFICATE_MAX_BYTES - len(PDF))
    assert check_certificate(at_limit, "big.pdf").size == CERTIFICATE_MAX_BYTES
    with pytest.raises(InvalidInputError) as err:
        check_certificate(at_limit + b"0", "big.pdf")
    assert err.value.field == "coa_file"
    assert "10 MB" in err.value.message
    with pytest.raises(InvalidInputError):
        check_certificate(PDF, "small.pdf", max_bytes=len(PDF) - 1)


def test_keys_are_random_and_have_one_shape() -> None:
    keys = {new_document_key() for _ in range(200)}
    assert len(keys) == 200
    assert all(is_document_key(k) and len(k) == 36 for k in keys)
    for bad in (
        "../secret_key.pdf",
        "a/b.pdf",
        "x" * 32,
        "x" * 31 + ".pdf",
        "x" * 32 + ".PDF",
        "x" * 32 + ".pdf\n",
        "." + "x" * 31 + ".pdf",
        "",
        None,
        "coa/L2026-001.pdf",
    ):
        assert not is_document_key(bad), bad


def test_a_key_of_another_shape_is_never_used() -> None:
    with pytest.raises(ValueError):
        check_certificate(PDF, "a.pdf", new_key=lambda: "../../etc/passwd")


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("C:\\Users\\me\\CoA 2026.pdf", "CoA 2026.pdf"),
        ("../../etc/passwd", "passwd"),
        ("line\nbreak\r.pdf", "line break .pdf"),
        ("right\u202eto-left.pdf", "rightto-left.pdf"),
        ("tab\there.pdf", "tab here.pdf"),
        ("", DEFAULT_DISPLAY_NAME),
        (None, DEFAULT_DISPLAY_NAME),
        ("...", DEFAULT_DISPLAY_NAME),
        ("Zertifikat für Charge Ä1.pdf", "Zertifikat für Charge Ä1.pdf"),
    ],
)
def test_the_file_name_is_display_text_only(given: str | None, shown: str) -> None:
    assert display_name(given) == shown


def test_a_long_file_name_is_shortened_keeping_its_extension() -> None:
    shown = display_name("a" * 500 + ".pdf")
    assert len(shown) == DISPLAY_NAME_MAX and shown.endswith(".pdf")
    assert len(display_name("b" * 500)) == DISPLAY_NAME_MAX


# --- receiving a lot with its certificate ------------------------------------------------------


def receive(uow: Any, documents: MemoryDocuments, **changes: Any) -> ExosomeLot:
    values = lot_values(**changes)
    values.pop("coa_file")
    return treatments.receive_lot(
        uow,
        ADMIN,
        certificate=treatments.Upload(PDF, "CoA L1.pdf"),
        documents=documents,
        **values,
    )


def test_receive_lot_stores_the_certificate_under_its_key() -> None:
    uow, documents = FakeUnitOfWork(), MemoryDocuments()
    lot = receive(uow, documents)
    assert lot.coa_file is not None and is_document_key(lot.coa_file)
    assert documents.files == {lot.coa_file: PDF}
    assert lot.coa_sha256 == hashlib.sha256(PDF).hexdigest()
    assert lot.coa_name == "CoA L1.pdf"
    found = treatments.lot_certificate(uow, NURSE, documents, lot.id)
    assert found.content == PDF and found.display_name == "CoA L1.pdf"
    actions = [(e.action, e.record_kind) for e in uow.all(AuditEntry)]
    assert ("create", "exosome_lot_certificate") in actions
    assert ("export", "exosome_lot_certificate") in actions


def test_a_failed_commit_leaves_no_file_behind() -> None:
    documents = MemoryDocuments()
    with pytest.raises(RuntimeError):
        receive(FailingCommit(), documents)
    assert documents.files == {}


def test_a_refused_lot_writes_no_file() -> None:
    documents = MemoryDocuments()
    with pytest.raises(InvalidInputError) as err:
        receive(FakeUnitOfWork(), documents, manufacturer_country="Korea")
    assert err.value.field == "manufacturer_country"
    assert documents.files == {}


def test_a_non_pdf_certificate_refuses_the_lot() -> None:
    uow, documents = FakeUnitOfWork(), MemoryDocuments()
    with pytest.raises(InvalidInputError) as err:
        treatments.receive_lot(
            uow,
            ADMIN,
            certificate=treatments.Upload(b"<html>", "coa.pdf"),
            documents=documents,
            **lot_values(),
        )
    assert err.value.field == "coa_file"
    assert documents.files == {} and not uow.committed


def test_the_hash_and_name_come_from_the_upload_only() -> None:
    with pytest.raises(InvalidInputError) as err:
        treatments.receive_lot(FakeUnitOfWork(), ADMIN, **lot_values(coa_sha256="0" * 64))
    assert err.value.field == "coa_sha256"


def test_a_lot_without_an_uploaded_certificate_has_none_to_download() -> None:
    uow, documents = FakeUnitOfWork(), MemoryDocuments()
    old_style = treatments.receive_lot(uow, ADMIN, **lot_values())  # coa_file as text only
    with pytest.raises(RecordNotFoundError):
        treatments.lot_certificate(uow, CLIN, documents, old_style.id)


def test_download_rules() -> None:
    uow, documents = FakeUnitOfWork(), MemoryDocuments()
    lot = receive(uow, documents)
    with pytest.raises(PermissionDeniedError):
        treatments.lot_certificate(uow, DESK, documents, lot.id)
    other_clinic = actor(Role.ADMIN, clinic="clinicB000000000000000")
    with pytest.raises(RecordNotFoundError):
        treatments.lot_certificate(uow, other_clinic, documents, lot.id)
    assert lot.coa_file is not None
    documents.files[lot.coa_file] = PDF + b"changed"
    with pytest.raises(RefusedError) as refused:
        treatments.lot_certificate(uow, CLIN, documents, lot.id)
    assert refused.value.code == "certificate_altered"
    del documents.files[lot.coa_file]
    with pytest.raises(RecordNotFoundError):
        treatments.lot_certificate(uow, CLIN, documents, lot.id)
