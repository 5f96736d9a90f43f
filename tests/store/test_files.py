"""The file-system document store: round trip, atomic writes, private modes, keys only."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from regenaid.clinic.documents import new_document_key
from regenaid.clinic.ports import DocumentStore
from regenaid.config import Settings
from regenaid.store.files import FileDocumentStore

PDF = b"%PDF-1.7\n%%EOF\n"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_round_trip_in_a_private_folder_made_on_first_write(tmp_path: Path) -> None:
    folder = tmp_path / "var" / "files"
    store: DocumentStore = FileDocumentStore(folder)
    assert not folder.exists()  # nothing is made until something is stored
    key = new_document_key()
    store.put(key, PDF)
    assert store.get(key) == PDF
    assert mode(folder) == 0o700
    assert mode(folder / key) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == [key]  # no temporary file left
    store.delete(key)
    with pytest.raises(KeyError):
        store.get(key)
    store.delete(key)  # deleting again is no error


def test_a_missing_document_is_a_key_error(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        FileDocumentStore(tmp_path).get(new_document_key())


@pytest.mark.parametrize(
    "key",
    [
        "../secret_key",
        "../" + "x" * 29 + ".pdf",
        "/etc/passwd",
        "a/" + "x" * 30 + ".pdf",
        "x" * 32 + ".pdf/../../x",
        "x" * 32 + ".txt",
        "..",
        "",
    ],
)
def test_keys_that_are_not_document_keys_are_refused(tmp_path: Path, key: str) -> None:
    folder = tmp_path / "files"
    store = FileDocumentStore(folder)
    (tmp_path / "secret_key").write_text("do not read me")
    for call in (
        lambda: store.put(key, PDF),
        lambda: store.get(key),
        lambda: store.delete(key),
    ):
        with pytest.raises(ValueError):
            call()
    assert not folder.exists()
    assert (tmp_path / "secret_key").read_text() == "do not read me"


def test_a_failed_write_leaves_neither_the_file_nor_a_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileDocumentStore(tmp_path)
    key = new_document_key()

    def broken_replace(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        store.put(key, PDF)
    assert list(tmp_path.iterdir()) == []


def test_a_write_replaces_the_whole_file(tmp_path: Path) -> None:
    store = FileDocumentStore(tmp_path)
    key = new_document_key()
    store.put(key, PDF + b"x" * 10_000)
    store.put(key, PDF)
    assert store.get(key) == PDF


def test_the_folder_comes_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REGENAID_FILES_DIR", raising=False)
    assert Settings(environment="test").files_dir == tmp_path / "var" / "files"
    monkeypatch.setenv("REGENAID_FILES_DIR", str(tmp_path / "elsewhere"))
    assert Settings(environment="test").files_dir == tmp_path / "elsewhere"
