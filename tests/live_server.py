"""A real server process for the tests that need one (browser journeys, logs, workers):
a free loopback port, start and wait until ``/api/v1/health`` answers, stop."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx

START_SECONDS = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def uvicorn_command(port: int, log_level: str = "warning") -> list[str]:
    """The app under uvicorn, started the way an operator would without ``regenaid serve``."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "regenaid.web.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        log_level,
    ]


def start(
    command: Sequence[str], env: Mapping[str, str], log: Path, port: int
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``command`` (output to ``log``) and wait until it answers on ``port``."""
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            list(command), env=dict(env), stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"server did not start within {START_SECONDS} s")
        time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def sqlite_server(folder: Path, secret_key: str) -> Iterator[tuple[str, str]]:
    """A server of its own on a free port, with its SQLite database and files folder under
    ``folder/var`` (a test that seeds records needs the database): ``(url, database URL)``."""
    database = f"sqlite:///{folder / 'var' / 'clinic.db'}"
    port = free_port()
    env = {
        **os.environ,
        "REGENAID_DATABASE_URL": database,
        "REGENAID_FILES_DIR": str(folder / "var" / "files"),
        "REGENAID_ENVIRONMENT": "test",
        "REGENAID_SECRET_KEY": secret_key,
    }
    process, url = start(uvicorn_command(port), env, folder / "server.log", port)
    try:
        yield url, database
    finally:
        stop(process)
