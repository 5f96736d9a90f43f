"""``regenaid meta`` and ``regenaid evidence``: numbers match metafor, bad input exits 2 with
one line on stderr naming the column or field."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from regenaid.cli.main import app


@pytest.fixture()
def bcg_csv(tmp_path: Path, reference_dir: Path) -> Path:
    data = json.loads((reference_dir / "metafor" / "dat.bcg.json").read_text())
    path = tmp_path / "bcg.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["study", "ai", "bi", "ci", "di"])
        for r in data["rows"]:
            writer.writerow(
                [f"{r['author']} {r['year']}", r["tpos"], r["tneg"], r["cpos"], r["cneg"]]
            )
    return path


def test_meta_json_matches_metafor_reml(bcg_csv: Path, tmp_path: Path) -> None:
    forest = tmp_path / "forest.svg"
    result = CliRunner().invoke(
        app,
        [
            "meta",
            str(bcg_csv),
            "--measure",
            "RR",
            "--method",
            "REML",
            "--format",
            "json",
            "--forest",
            str(forest),
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    # metafor docs (rma.uni / confint.rma): -0.7145, tau2 0.3132 [0.1197, 1.1115], I2 92.22
    assert out["estimate"] == pytest.approx(-0.7145, abs=5e-5)
    assert out["tau2"] == pytest.approx(0.3132, abs=5e-5)
    assert out["tau2_ci"] == pytest.approx([0.1197, 1.1115], abs=5e-5)
    assert out["I2"] == pytest.approx(92.22, abs=5e-3)
    assert out["k"] == 13 and len(out["studies"]) == 13
    ET.fromstring(forest.read_text())


def test_meta_knha_text(bcg_csv: Path) -> None:
    result = CliRunner().invoke(app, ["meta", str(bcg_csv), "--measure", "RR", "--test", "knha"])
    assert result.exit_code == 0
    assert "t -" in result.stdout and "(df 12)" in result.stdout


def test_meta_reports_dropped_rows(tmp_path: Path) -> None:
    path = tmp_path / "yv.csv"
    path.write_text("study,yi,vi\nA,,1\nB,1,\nC,3,1\nD,2,1\nE,5,1\nF,4,1\nG,6,1\n")
    result = CliRunner().invoke(app, ["meta", str(path), "--format", "json"])
    out = json.loads(result.stdout)
    assert out["dropped"] == ["A", "B"] and out["estimate"] == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("content", "args", "needle"),
    [
        ("study,m1i\nA,1\n", ["--measure", "MD"], "sd1i"),
        ("study,yi,vi\nA,x,1\nB,1,1\n", [], "yi (row 1)"),
        ("study,yi,vi\nA,1,0\nB,1,1\n", [], "vi[0]"),
        ("study,yi,vi\nA,1,1\nB,1,1\n", ["--method", "BAYES"], "method"),
        ("study,yi,vi\nA,1,1\nB,1,1\n", ["--measure", "XYZ"], "measure"),
    ],
)
def test_meta_bad_input_exits_2_with_one_line(
    tmp_path: Path, content: str, args: list[str], needle: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = CliRunner().invoke(app, ["meta", str(path), *args])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]


def test_meta_missing_file() -> None:
    result = CliRunner().invoke(app, ["meta", "/nonexistent/file.csv"])
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_evidence_shows_every_treatment_with_certainty() -> None:
    result = CliRunner().invoke(
        app, ["evidence", "--condition", "androgenetic_alopecia", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    profiles = json.loads(result.stdout)
    assert [p["treatment"] for p in profiles] == [
        "prp",
        "exosome",
        "combination",
        "conventional",
        "no_treatment",
    ]
    prp = profiles[0]
    assert prp["certainty"] in ("low", "very_low", "moderate", "high")
    # published pooled results are shown as cited, with their own rating
    cruciani = next(s for s in prp["published"] if s["id"] == "prp-aga-cruciani-2021-density")
    assert (cruciani["effect"], cruciani["ci_low"], cruciani["ci_high"]) == (25.6, 2.62, 48.57)
    assert cruciani["published_certainty"] == "low"
    exosome = profiles[1]
    assert exosome["pooled"] is None and exosome["certainty"] == "very_low"


def test_evidence_unknown_condition_lists_allowed() -> None:
    result = CliRunner().invoke(app, ["evidence", "--condition", "baldness"])
    assert result.exit_code == 2
    assert "condition" in result.stderr and "androgenetic_alopecia" in result.stderr


def test_meta_accepts_group_sizes_and_standard_errors(tmp_path: Path) -> None:
    cells = tmp_path / "cells.csv"
    cells.write_text("study,ai,n1i,ci,n2i\nA,4,123,11,139\nB,6,306,29,303\n")
    result = CliRunner().invoke(app, ["meta", str(cells), "--measure", "RR", "--format", "json"])
    assert result.exit_code == 0, result.output
    # the first two dat.bcg trials (metafor: yi -0.8893, -1.5854)
    assert [s["yi"] for s in json.loads(result.stdout)["studies"]] == pytest.approx(
        [-0.8893, -1.5854], abs=5e-5
    )
    sei = tmp_path / "sei.csv"
    sei.write_text("label,yi,sei\nA,0.1,0.2\nB,0.3,0.1\n")
    out = json.loads(
        CliRunner().invoke(app, ["meta", str(sei), "--method", "EE", "--format", "json"]).stdout
    )
    assert [s["vi"] for s in out["studies"]] == pytest.approx([0.04, 0.01])
