"""`regenaid assess` and `regenaid compare` (CONTRACT §3): output, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from regenaid.cli.main import app

GOOD_YAML = """\
concern: hair
condition: androgenetic_alopecia
age: 44
sex: male
scale: {name: norwood, grade: IV}
health:
  anticoagulant: true
priorities:
  cost: 3
  avoid_blood_draw: 4
jurisdiction: GB
"""
REGENAID = [sys.executable, "-c", "from regenaid.cli.main import app; app()"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    path = tmp_path / "intake.yaml"
    path.write_text(GOOD_YAML, encoding="utf-8")
    return path


def test_assess_json(runner: CliRunner, good_file: Path) -> None:
    result = runner.invoke(app, ["assess", str(good_file), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["contract"] == "regenaid.assessment/1"
    prp = next(o for o in doc["options"] if o["treatment"] == "prp")
    assert prp["eligibility"] == "contraindicated" and prp["rank"] is None


def test_assess_stdin(runner: CliRunner) -> None:
    result = runner.invoke(app, ["assess", "-", "--format", "json"], input=GOOD_YAML)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["condition"] == "androgenetic_alopecia"


def test_assess_default_is_a_readable_summary(runner: CliRunner, good_file: Path) -> None:
    """CONTRACT §3: the default format is text (a readable summary), not JSON."""
    result = runner.invoke(app, ["assess", str(good_file)])
    assert result.exit_code == 0, result.stderr
    assert not result.stdout.lstrip().startswith("{")
    assert "Not offered" in result.stdout or "not offered" in result.stdout.lower()


def test_assess_json_stdin_text(runner: CliRunner) -> None:
    data = {
        "concern": "skin",
        "condition": "acne_scars",
        "age": 27,
        "sex": "female",
        "severity": "moderate",
    }
    result = runner.invoke(app, ["assess", "-", "--format", "json"], input=json.dumps(data))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["condition"] == "acne_scars"


def test_assess_text(runner: CliRunner, good_file: Path) -> None:
    result = runner.invoke(app, ["assess", str(good_file), "--format", "text"])
    assert result.exit_code == 0, result.stderr
    assert "Androgenetic" in result.stdout or "androgenetic" in result.stdout.lower()
    assert "contraindicated" in result.stdout
    assert "decision aid" in result.stdout
    # citations survive rich's rendering (square brackets are not taken as markup)
    assert "[nct02393040-registry" in result.stdout


def test_assess_text_says_not_ruled_out_and_not_approved(runner: CliRunner) -> None:
    us = GOOD_YAML.replace("  anticoagulant: true", "  anticoagulant: false").replace(
        "jurisdiction: GB", "jurisdiction: US"
    )
    result = runner.invoke(app, ["assess", "-", "--format", "text"], input=us)
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())  # undo rich's line wrapping
    assert "You can have this" not in text and " eligible," not in text
    assert (
        "Exosome therapy: Not ruled out by your answers — but there are no FDA-approved "
        "exosome products." in text
    )
    # our own arithmetic inside a claim is never passed off as the published figure
    assert "our arithmetic" in text


def test_assess_text_rates_no_new_treatment_as_knowledge_of_the_natural_course(
    runner: CliRunner,
) -> None:
    # the placebo groups of pattern-hair-loss trials describe the untreated course (moderate);
    # that is not evidence that waiting works, and the text must not read as if it were
    result = runner.invoke(app, ["assess", "-", "--format", "text"], input=GOOD_YAML)
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert (
        "No new treatment: Not ruled out by your answers. How sure we are of the natural " in text
    )
    assert "No new treatment: Not ruled out by your answers. Evidence:" not in text
    assert "moderate (natural" in result.stdout  # the table's evidence cell (wrapped)


def test_assess_out_file(runner: CliRunner, good_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.json"
    result = runner.invoke(app, ["assess", str(good_file), "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert json.loads(out.read_text())["contract"] == "regenaid.assessment/1"


def test_assess_out_dash_is_stdout(
    runner: CliRunner, good_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--out -`` writes to stdout, as ``-`` reads stdin, not to a file named "-"."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["assess", str(good_file), "--format", "json", "--out", "-"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["contract"] == "regenaid.assessment/1"
    assert not (tmp_path / "-").exists()
    result = runner.invoke(app, ["compare", "--format", "json", "--out", "-"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("age: 12\n", "age"),
        ("favourite: blue\n", "favourite"),
        ("health: {anticoagulant: maybe}\n", "health.anticoagulant"),
        ("priorities: {cost: 7}\n", "priorities.cost"),
        ("budget: {amount: 100, currency: XYZ}\n", "budget.currency"),
    ],
)
def test_bad_field_exit_2_one_line(
    runner: CliRunner, tmp_path: Path, line: str, field: str
) -> None:
    path = tmp_path / "bad.yaml"
    text = GOOD_YAML.replace("age: 44\n", "") if line.startswith("age") else GOOD_YAML
    path.write_text(text + line, encoding="utf-8")
    result = runner.invoke(app, ["assess", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert field in lines[0]


def test_wrong_concern_names_condition(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        GOOD_YAML.replace("concern: hair", "concern: skin").replace(
            "scale: {name: norwood, grade: IV}", "severity: mild"
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["assess", str(path)])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "condition" in result.stderr and "acne_scars" in result.stderr


def test_missing_file_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["assess", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "no such file" in result.stderr


def test_not_yaml_exit_2(runner: CliRunner) -> None:
    result = runner.invoke(app, ["assess", "-"], input="concern: [hair\n")
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "intake" in result.stderr


def test_real_process_exit_code_and_stderr(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD_YAML + "sex_at_birth: male\n", encoding="utf-8")
    proc = subprocess.run(
        [*REGENAID, "assess", str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "sex_at_birth" in proc.stderr
    good = subprocess.run(
        [*REGENAID, "assess", "-", "--format", "json"],
        input=GOOD_YAML,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["recommended"] not in ("prp", "combination")


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_compare_formats(runner: CliRunner, fmt: str) -> None:
    result = runner.invoke(app, ["compare", "--condition", "acne_scars", "--format", fmt])
    assert result.exit_code == 0, result.stderr
    if fmt == "json":
        grid = json.loads(result.stdout)
        assert grid["condition"] == "acne_scars"
    elif fmt == "markdown":
        assert result.stdout.splitlines()[2].startswith("| Question |")
    else:
        assert "Option Grid" in result.stdout
    if fmt != "json":
        assert "article-00" in result.stdout  # clinic claims are shown with their source


def test_compare_names_no_new_treatments_certainty_as_of_the_natural_course(
    runner: CliRunner,
) -> None:
    result = runner.invoke(
        app, ["compare", "--condition", "androgenetic_alopecia", "--format", "markdown"]
    )
    assert result.exit_code == 0, result.stderr
    evidence = next(
        row for row in result.stdout.splitlines() if "How strong is the evidence" in row
    )
    no_treatment = evidence.split(" | ")[-1]  # the last column
    assert "How sure we are of the natural course: moderate" in no_treatment
    assert "Certainty:" not in no_treatment
    assert "Certainty: low" in evidence  # the others keep theirs (PRP)


def test_compare_default_is_androgenetic_alopecia(runner: CliRunner) -> None:
    result = runner.invoke(app, ["compare", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["condition"] == "androgenetic_alopecia"


def test_compare_all(runner: CliRunner) -> None:
    result = runner.invoke(app, ["compare", "--condition", "all", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)) == 10


def test_compare_unknown_condition(runner: CliRunner) -> None:
    result = runner.invoke(app, ["compare", "--condition", "baldness"])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "androgenetic_alopecia" in result.stderr


def test_assess_html_uses_the_report(runner: CliRunner, good_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.html"
    result = runner.invoke(app, ["assess", str(good_file), "--format", "html", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert "<html" in html.lower()


def test_assess_pdf_uses_the_report(runner: CliRunner, good_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.pdf"
    result = runner.invoke(app, ["assess", str(good_file), "--format", "pdf", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")


def test_assess_html_without_report_module_exit_2(
    runner: CliRunner, good_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys as _sys

    monkeypatch.setitem(_sys.modules, "regenaid.reports.assessment_report", None)
    monkeypatch.delattr("regenaid.reports.assessment_report", raising=False)
    result = runner.invoke(app, ["assess", str(good_file), "--format", "html"])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "html" in result.stderr


def test_bad_format_is_a_usage_error(runner: CliRunner, good_file: Path) -> None:
    result = runner.invoke(app, ["assess", str(good_file), "--format", "docx"])
    assert result.exit_code == 2


EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "docs" / "examples").glob("*.*"))


def test_examples_exist() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_documented_examples_assess(runner: CliRunner, example: Path) -> None:
    result = runner.invoke(app, ["assess", str(example), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    for o in doc["options"]:
        if o["eligibility"] in ("contraindicated", "defer"):
            assert o["rank"] is None and o["treatment"] != doc["recommended"]


ADVANCED_AA = (
    "concern: hair\ncondition: alopecia_areata\nseverity: advanced\nsex: male\nage: 35\n"
    "jurisdiction: US\n"
)


def _text_and_json(runner: CliRunner, intake: str) -> tuple[str, dict[str, Any]]:
    """The text assessment (whitespace folded: rich wraps lines) and the JSON one."""
    result = runner.invoke(app, ["assess", "-", "--format", "text"], input=intake)
    assert result.exit_code == 0, result.output
    data = json.loads(runner.invoke(app, ["assess", "-", "--format", "json"], input=intake).output)
    return " ".join(result.output.split()), data


def test_assess_text_shows_what_usual_care_is_and_every_harm(runner: CliRunner) -> None:
    # a dermatologist's read: the text named "Usual first care, high certainty" for advanced
    # alopecia areata without saying it is injections or JAK tablets, and never showed a harm
    # (the JAK tablets' boxed warning, the fillers' blindness) that the page and PDF show
    text, data = _text_and_json(runner, ADVANCED_AA)
    assert "What it is:" in text and "JAK" in text
    assert "boxed" in text
    for option in data["options"]:
        if option["treatment"] != "no_treatment":
            for harm in option["harms"]:
                assert " ".join(harm["text"].split()) in text


def test_assess_text_shows_each_options_plan_and_how_long_it_lasts(runner: CliRunner) -> None:
    # a dermatologist's read: "works only while you keep taking the tablets" and relapse after
    # steroid injections were in the JSON and on the page, not in the text
    text, data = _text_and_json(runner, ADVANCED_AA)
    for option in data["options"]:
        lasts = " ".join(str(option["plan"]["duration_of_effect"]).split())
        if option["treatment"] == "no_treatment":  # its course is said in its why lines
            assert f"Plan: How long it lasts: {lasts}" not in text
        else:
            assert f"Plan: How long it lasts: {lasts}" in text, option["treatment"]
            for source in option["plan"]["sources"]:
                assert source in text
    assert "Lasts while you keep taking the tablets" in text
