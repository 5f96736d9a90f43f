"""Issue 10: slow work never blocks the event loop, and PDFs queue only so far.

A real uvicorn server runs the app in a thread of this process, with the PDF renderer replaced
by one that waits until the test releases it. While a PDF is being "rendered", other requests
must still be answered (a page handler that rendered on the event loop would hold them until
the release: the request would time out). With the gate full, the next PDF gets 503 with
``Retry-After`` at once. No timing is measured: the timeouts only catch a hang.
"""

from __future__ import annotations

import gc
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from web_answers import BASE

from live_server import free_port
from regenaid.config import Settings
from regenaid.web import limits, render_worker
from regenaid.web.app import create_app
from regenaid.web.pages import results as results_page

HANG = 20.0  # seconds: far longer than any answer takes; reaching it means a blocked loop


class _SlowPdf:
    """Stands in for WeasyPrint: signals that it started, then waits to be released."""

    def __init__(self) -> None:
        self.started = threading.Semaphore(0)
        self.release = threading.Event()

    def __call__(self, *args: object, **kwargs: object) -> bytes:
        self.started.release()
        self.release.wait(HANG)
        return b"%PDF-1.7 test"


@pytest.fixture
def slow_pdf(monkeypatch: pytest.MonkeyPatch) -> Iterator[_SlowPdf]:
    pdf = _SlowPdf()
    monkeypatch.setattr(results_page, "render_pdf", pdf)
    monkeypatch.setattr(results_page, "PDF_GATE", limits.RenderGate(running=1, waiting=1))
    yield pdf
    pdf.release.set()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    settings = Settings(
        environment="test",
        database_url=f"sqlite:///{tmp_path / 'db' / 'loop.db'}",
        secret_key="test-secret-key",
    )
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="error")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + HANG
    while not instance.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(HANG)


def _post_pdf(base: str, out: list[httpx.Response]) -> None:
    with httpx.Client(base_url=base, timeout=HANG * 2) as client:
        token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', client.get("/intake").text)
        assert token
        out.append(client.post("/results/report.pdf", data={**BASE, "csrf_token": token[1]}))


def test_a_pdf_in_progress_does_not_hold_other_requests(server: str, slow_pdf: _SlowPdf) -> None:
    answers: list[httpx.Response] = []
    worker = threading.Thread(target=_post_pdf, args=(server, answers))
    worker.start()
    assert slow_pdf.started.acquire(timeout=HANG), "the PDF never started"
    # the PDF is now "rendering": the server must still answer everything else
    assert httpx.get(f"{server}/api/v1/health", timeout=HANG / 2).status_code == 200
    assert httpx.get(f"{server}/intake", timeout=HANG / 2).status_code == 200
    slow_pdf.release.set()
    worker.join(HANG)
    assert answers and answers[0].status_code == 200
    assert answers[0].content.startswith(b"%PDF")


def test_a_full_pdf_queue_answers_503_with_retry_after(server: str, slow_pdf: _SlowPdf) -> None:
    answers: list[httpx.Response] = []
    first = threading.Thread(target=_post_pdf, args=(server, answers))
    first.start()
    assert slow_pdf.started.acquire(timeout=HANG)
    second = threading.Thread(target=_post_pdf, args=(server, answers))
    second.start()  # waits for the one running slot (the gate allows one waiting)
    deadline = time.monotonic() + HANG
    while results_page.PDF_GATE.admitted < 2:
        assert time.monotonic() < deadline, "the second PDF was never admitted"
        time.sleep(0.02)
    refused: list[httpx.Response] = []
    _post_pdf(server, refused)  # the third finds the gate full
    assert refused[0].status_code == 503
    assert refused[0].headers["retry-after"] == str(limits.RETRY_AFTER_SECONDS)
    slow_pdf.release.set()
    first.join(HANG)
    second.join(HANG)
    assert sorted(r.status_code for r in answers) == [200, 200]


def test_the_gate_refuses_bad_sizes() -> None:
    with pytest.raises(ValueError):
        limits.RenderGate(running=0)


def _niceness() -> int:
    return os.nice(0)


def test_render_processes_yield_the_cpu_to_requests() -> None:
    # requests go first when both want the CPU, but renders still get a share (not SCHED_IDLE)
    pool = limits.RenderProcesses(processes=1)
    try:
        assert pool.run(_niceness) == os.nice(0) + render_worker.RENDER_NICENESS
        assert pool.run(os.sched_getscheduler, 0) == os.SCHED_OTHER
    finally:
        pool.shutdown()


def _state() -> tuple[int, int, bool]:
    import sys

    return (
        os.getpid(),
        os.nice(0),
        "weasyprint" in sys.modules,
    )


def test_warming_starts_every_render_process_with_the_renderer_imported() -> None:
    pool = limits.RenderProcesses(processes=2, renderer="regenaid.reports.assessment_report")
    try:
        pids = pool.warm()
        assert len(pids) == 2 and os.getpid() not in pids
        assert pool.warm() == pids  # once: warming again starts nothing new
        seen = {pool.run(_state) for _ in range(6)}
        assert {pid for pid, _, _ in seen} <= pids
        niceness = os.nice(0) + render_worker.RENDER_NICENESS
        assert all(nice == niceness and imported for _, nice, imported in seen)
    finally:
        pool.shutdown()


def test_the_app_warms_up_when_it_starts() -> None:
    from fastapi.testclient import TestClient

    from regenaid.web import warmup

    pool = limits.RenderProcesses(processes=1, renderer="json")
    settings = Settings(
        environment="test", database_url="sqlite://", secret_key="k" * 40, warm_up=False
    )
    app = create_app(settings)
    warmup.install_warmup(app, pool)  # the warm-up, with a light pool to watch
    env = app.state.templates.env
    try:
        with TestClient(app):
            deadline = time.monotonic() + 60
            while not pool.warmed and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(pool.warmed) == 1  # in the background: start-up did not wait for it
            cached = {key[1] for key in env.cache} if env.cache is not None else set()
            assert {"intake.html", "results.html", "base.html"} <= cached
            assert not any(name.startswith("clinic/") for name in cached)
            # what start-up made lives on: moved out of the collector's sight (a full
            # collection over it took about 200 ms, every thread stopped)
            assert gc.get_freeze_count() > 100_000
    finally:
        gc.unfreeze()
        pool.shutdown()
