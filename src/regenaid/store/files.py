"""Uploaded documents on the file system: a :class:`~regenaid.clinic.ports.DocumentStore`.

The folder is ``Settings.files_dir`` (``REGENAID_FILES_DIR``, by default ``var/files`` beside
the SQLite database), outside the web root: nothing serves it as static files; a document
leaves only through a route that checks the role and the clinic.

- The folder is made on the first write, mode 0700; each file is 0600.
- A write is atomic: the bytes go to a temporary file in the same folder, are flushed to disk,
  then renamed into place (``os.replace``): a reader sees the whole file or none.
- Only keys of the shape :func:`regenaid.clinic.documents.is_document_key` are accepted
  (random URL-safe text and ``.pdf``): no separators, no dots, so a key cannot name a path
  outside the folder.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from regenaid.clinic.documents import is_document_key

FOLDER_MODE = 0o700
FILE_MODE = 0o600


class FileDocumentStore:
    """Documents as files named by their key in one folder."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    def path_of(self, key: str) -> Path:
        """The file of ``key``; :class:`ValueError` for anything that is not a document key."""
        if not is_document_key(key):
            raise ValueError("not a document key")
        path = self.folder / key
        if path.parent != self.folder:  # cannot happen for a key's shape; kept as a guard
            raise ValueError("not a document key")
        return path

    def put(self, key: str, content: bytes) -> None:
        path = self.path_of(key)
        self._make_folder()
        temporary = self.folder / f".{key}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        self._sync_folder()

    def get(self, key: str) -> bytes:
        try:
            return self.path_of(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        self.path_of(key).unlink(missing_ok=True)

    def _make_folder(self) -> None:
        if not self.folder.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            self.folder.chmod(FOLDER_MODE)

    def _sync_folder(self) -> None:
        """Make the rename itself durable (POSIX; skipped where folders cannot be opened)."""
        try:
            descriptor = os.open(self.folder, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(descriptor)
        except OSError:
            pass
        finally:
            os.close(descriptor)
