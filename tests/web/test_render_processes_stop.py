"""A server that stops leaves no PDF render process behind.

Before, every stop of ``regenaid serve`` (a graceful SIGTERM included: uvicorn re-raises the
signal after its shutdown, so the interpreter's exit hooks never ran) left its two render
processes and their resource tracker waiting forever, about 190 MB each; a worker replaced
after its request limit would have leaked them too. Now the app's lifespan stops them, and a
render process whose server is gone (killed) exits by itself.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import time
from pathlib import Path

import pytest

from live_server import free_port, start, stop
from regenaid.web import limits, render_worker


def _children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(child) for child in text.split()}


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited (its new parent reaps it)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # it has just exited
        return b""


def _render_processes(server: int, timeout: float = 60) -> set[int]:
    """The server's render processes, once the warm-up has started them (and their tracker)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = {child for child in _children(server) if b"multiprocessing" in _cmdline(child)}
        if len(found) >= 1 + 2:  # the resource tracker and two render processes
            return found
        time.sleep(0.2)
    raise AssertionError(f"render processes did not start: {_children(server)}")


def _gone_within(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            return set()
        time.sleep(0.1)
    return {pid for pid in pids if _alive(pid)}


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("how", ["SIGTERM (graceful)", "SIGKILL"])
def test_no_render_process_outlives_its_server(how: str, tmp_path: Path) -> None:
    port = free_port()
    env = dict(
        os.environ,
        REGENAID_DATABASE_URL=f"sqlite:///{tmp_path / 'regenaid.db'}",
        REGENAID_ENVIRONMENT="test",
        REGENAID_SECRET_KEY=secrets.token_urlsafe(32),
        REGENAID_WARM_UP="1",  # starts the render processes at once
    )
    command = [str(Path(sys.executable).with_name("regenaid")), "serve", "--port", str(port)]
    process, _ = start(command, env, tmp_path / "server.log", port)
    try:
        rendering = _render_processes(process.pid)
        if how == "SIGKILL":
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        else:
            stop(process)  # SIGTERM, as an operator or a supervisor stops it
            assert process.returncode is not None
    finally:
        if process.poll() is None:
            stop(process)
    left = _gone_within(rendering, 10 + 2 * render_worker.PARENT_CHECK_SECONDS)
    for pid in left:  # do not leave them to the next tests either
        os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} of {len(rendering)} processes still running after {how}"


def _wait_with_a_watch(parent: int) -> None:
    render_worker.leave_with_parent(parent, every=0.05)
    time.sleep(60)  # the watch ends the process long before this


def test_a_render_process_leaves_once_its_parent_is_another() -> None:
    # the watch compares the parent's id: given one that is not its parent, it exits at once
    import multiprocessing

    child = multiprocessing.get_context("spawn").Process(target=_wait_with_a_watch, args=(-1,))
    child.start()
    child.join(timeout=20)
    assert child.exitcode == 0  # left by itself, quietly, well before the 60 s sleep ended


def test_stopping_the_app_stops_its_render_processes() -> None:
    from fastapi.testclient import TestClient

    from regenaid.config import Settings
    from regenaid.web.app import create_app

    pool = limits.RenderProcesses(processes=1, renderer="json")  # a light renderer
    app = create_app(
        Settings(environment="test", database_url="sqlite://", secret_key="k" * 40, warm_up=False)
    )
    stopping = limits.stop_with_app(app, pool)
    with TestClient(app):
        pid = pool.run(os.getpid)
        assert _alive(pid) and not stopping.is_set()
    assert stopping.is_set()
    assert _gone_within({pid}, 10) == set()
    with pytest.raises(RuntimeError):  # a warm-up that comes late starts no process
        pool.warm(stopping)
    pool.shutdown()
