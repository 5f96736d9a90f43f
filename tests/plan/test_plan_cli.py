"""``regenaid plan`` (CONTRACT §6): dated plan, .ics file, exit 2 with one line on bad input."""

from __future__ import annotations

import importlib.util
import json
import re
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from regenaid.cli import plan as plan_cli
from regenaid.cli.main import app
from regenaid.knowledge import KnowledgeBase

_TINY = Path(__file__).resolve().parents[1] / "decide" / "tiny_kb.py"


def _tiny_kb() -> KnowledgeBase:
    """Engineer D's invented test knowledge base (tests/decide/tiny_kb.py), loaded by path."""
    spec = importlib.util.spec_from_file_location("plan_cli_tiny_kb", _TINY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    kb: KnowledgeBase = module.tiny_kb()
    return kb


@pytest.fixture()
def kb(monkeypatch: pytest.MonkeyPatch) -> KnowledgeBase:
    tiny = _tiny_kb()
    monkeypatch.setattr(plan_cli, "_knowledge", lambda: tiny)
    return tiny


def _intake(tmp_path: Path, **extra: Any) -> Path:
    data = {
        "concern": "hair",
        "condition": "androgenetic_alopecia",
        "age": 40,
        "sex": "male",
        "severity": "moderate",
        **extra,
    }
    path = tmp_path / "intake.json"
    path.write_text(json.dumps(data))
    return path


def test_plan_writes_a_calendar_with_one_event_per_session(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    ics = tmp_path / "plan.ics"
    result = CliRunner().invoke(
        app,
        [
            "plan",
            str(_intake(tmp_path)),
            "--start",
            "2026-02-02",
            "--option",
            "prp",
            "--ics",
            str(ics),
            "--avoid",
            "sat,sun",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    cal = Calendar.from_ical(ics.read_bytes())
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    # CONTRACT §6: one VEVENT per planned session; the consultation is a dated to-do before it
    assert len(events) == len(shown["sessions"]) >= 3
    consultations = [c for c in cal.walk("VTODO") if "consultation" in str(c["SUMMARY"])]
    assert len(consultations) == 1
    starts = [e.decoded("DTSTART") for e in events]
    assert consultations[0].decoded("DTSTART") < starts[0]
    assert starts == [date.fromisoformat(s["planned"]) for s in shown["sessions"]]
    assert all(d >= date(2026, 2, 2) and d.weekday() < 5 for d in starts)
    protocol = kb.protocol("prp", "androgenetic_alopecia")
    assert protocol is not None
    for a, b in pairwise(starts[:3]):  # the initial course
        assert protocol.interval_weeks.low * 7 <= (b - a).days <= protocol.interval_weeks.high * 7


def test_default_is_the_recommended_option_and_text_output(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, ["plan", str(_intake(tmp_path)), "--start", "2026-02-02"])
    assert result.exit_code == 0, result.output
    assert "Follow-up assessment:" in result.stdout
    assert "2026-02-02" in result.stdout


@pytest.mark.parametrize("bad", ["2026-13-01", "tomorrow", "2026/02/02"])
def test_bad_start_exits_2_naming_start(kb: KnowledgeBase, tmp_path: Path, bad: str) -> None:
    result = CliRunner().invoke(app, ["plan", str(_intake(tmp_path)), "--start", bad])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--start" in lines[0]


def test_contraindicated_option_exits_2(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = _intake(tmp_path, health={"low_platelets": True, "anticoagulant": True})
    result = CliRunner().invoke(
        app, ["plan", str(path), "--start", "2026-02-02", "--option", "prp"]
    )
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--option prp" in lines[0] and "contraindicated" in lines[0]


def test_unknown_weekday_exits_2(kb: KnowledgeBase, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["plan", str(_intake(tmp_path)), "--start", "2026-02-02", "--avoid", "someday"]
    )
    assert result.exit_code == 2
    assert "--avoid" in result.stderr and "monday" in result.stderr


def test_shipped_knowledge_base_prp_plan(tmp_path: Path) -> None:
    """Against the real knowledge base: the calendar matches the protocol's intervals."""
    from regenaid.knowledge import load_knowledge

    kb = load_knowledge()
    protocol = kb.protocol("prp", "androgenetic_alopecia")
    assert protocol is not None
    ics = tmp_path / "prp.ics"
    result = CliRunner().invoke(
        app,
        [
            "plan",
            str(
                _intake(tmp_path, budget={"amount": 5000, "currency": "USD", "horizon_months": 24})
            ),
            "--start",
            "2026-04-01",
            "--option",
            "prp",
            "--ics",
            str(ics),
            "--avoid",
            "saturday,sunday",
        ],
    )
    assert result.exit_code == 0, result.output
    events = [c for c in Calendar.from_ical(ics.read_bytes()).walk() if c.name == "VEVENT"]
    starts = [e.decoded("DTSTART") for e in events]
    initial = int(protocol.sessions.low)
    assert len([e for e in events if "initial course" in str(e["SUMMARY"])]) == initial
    assert min(starts) >= date(2026, 4, 1) and all(d.weekday() < 5 for d in starts)
    assert protocol.maintenance_interval_weeks is not None
    for a, b in pairwise(starts[:initial]):
        assert protocol.interval_weeks.low * 7 <= (b - a).days <= protocol.interval_weeks.high * 7
    for a, b in pairwise(starts[initial - 1 :]):
        low, high = (
            protocol.maintenance_interval_weeks.low,
            protocol.maintenance_interval_weeks.high,
        )
        assert low * 7 <= (b - a).days <= high * 7
    assert len(starts) == len(re.findall(r"^\s*\d+\. \d{4}-\d\d-\d\d ", result.stdout, re.M))


def test_intake_from_stdin(kb: KnowledgeBase, tmp_path: Path) -> None:
    text = _intake(tmp_path).read_text()
    result = CliRunner().invoke(
        app,
        ["plan", "-", "--start", "2026-02-02", "--option", "exosome", "--format", "json"],
        input=text,
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["treatment"] == "exosome"
    assert all(s["planned"] >= "2026-02-02" for s in shown["sessions"])


def test_invalid_intake_exits_2_naming_the_field(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = _intake(tmp_path, age=12)
    result = CliRunner().invoke(app, ["plan", str(path), "--start", "2026-02-02"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "age" in lines[0]


def test_no_new_treatment_has_no_sessions_only_a_follow_up(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    ics = tmp_path / "none.ics"
    result = CliRunner().invoke(
        app,
        [
            "plan",
            str(_intake(tmp_path)),
            "--start",
            "2026-02-02",
            "--option",
            "no_treatment",
            "--ics",
            str(ics),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "No sessions are scheduled." in result.stdout
    cal = Calendar.from_ical(ics.read_bytes())
    assert [c.name for c in cal.walk() if c.name in ("VEVENT", "VTODO")] == ["VTODO"]


def test_text_lists_the_consultation_and_the_refills(tmp_path: Path) -> None:
    """Issue 9: the terminal plan shows what the calendar holds: the consultation before the
    first procedure session, and refill reminders for daily care at home."""
    intake = _intake(tmp_path)
    prp = CliRunner().invoke(app, ["plan", str(intake), "--start", "2026-04-01", "--option", "prp"])
    assert prp.exit_code == 0, prp.output
    lines = prp.stdout.splitlines()
    consult = next(i for i, line in enumerate(lines) if "consultation (before" in line)
    first = next(i for i, line in enumerate(lines) if "initial 1 " in line)
    assert consult < first and "Refill reminders" not in prp.stdout
    home = CliRunner().invoke(
        app, ["plan", str(intake), "--start", "2026-04-01", "--option", "conventional"]
    )
    assert home.exit_code == 0, home.output
    assert re.search(r"Refill reminders \(\d+\): 2026-\d\d-\d\d", home.stdout)
    assert "consultation (before" not in home.stdout


def test_a_borrowed_schedule_says_where_it_comes_from_before_its_sources(
    tmp_path: Path,
) -> None:
    """No trial of PRP plus exosomes for shedding exists; its schedule is the PRP trial's, and
    the plan says so before naming that trial (text) and beside its sources (JSON)."""
    from regenaid.knowledge import load_knowledge

    protocol = load_knowledge().protocol("combination", "telogen_effluvium")
    assert protocol is not None and protocol.note and "No trial found" in protocol.note
    intake = _intake(
        tmp_path, condition="telogen_effluvium", age=34, sex="female", severity="moderate"
    )
    args = ["plan", str(intake), "--start", "2026-12-01", "--option", "combination"]
    text = CliRunner().invoke(app, args)
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    said = lines.index(f"Where this schedule comes from: {protocol.note}")
    assert lines[said + 1] == "Sources: " + ", ".join(protocol.sources)
    as_json = CliRunner().invoke(app, [*args, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    payload = json.loads(as_json.stdout)
    assert payload["schedule_note"] == protocol.note
    assert payload["sources"] == list(protocol.sources)


def test_ics_to_stdout_with_the_plan_in_a_file(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--ics -`` writes the calendar to stdout when ``--out`` takes the plan; with the plan
    also on stdout it is refused (exit 2, one line) before anything is written."""
    monkeypatch.chdir(tmp_path)
    intake = str(_intake(tmp_path))
    plan_file = tmp_path / "plan.txt"
    args = ["plan", intake, "--start", "2026-04-01", "--option", "prp", "--ics", "-"]
    result = CliRunner().invoke(app, [*args, "--out", str(plan_file)])
    assert result.exit_code == 0, result.output
    events = [c for c in Calendar.from_ical(result.stdout).walk() if c.name == "VEVENT"]
    assert events and plan_file.read_text().strip()
    for out in ([], ["--out", "-"]):
        refused = CliRunner().invoke(app, [*args, *out])
        assert refused.exit_code == 2
        assert refused.stderr.startswith("regenaid: --ics -:") and refused.stdout == ""
    assert not (tmp_path / "-").exists()
