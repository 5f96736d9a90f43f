"""``regenaid meta`` refuses impossible tables, naming the row and column (exit 2, one line),
and never prints a non-finite result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from regenaid.cli.main import app
from regenaid.safe_input import TABLE_MAX_BYTES

MEANS = "study,m1i,sd1i,n1i,m2i,sd2i,n2i\n"


@pytest.mark.parametrize(
    ("content", "measure", "needles"),
    [
        ("study,yi,sei\na,0.1,-0.2\nb,0.3,0.1\n", "MD", ["sei (row 1)", "greater than 0"]),
        ("study,yi,sei\na,0.1,0.2\nb,0.3,0\n", "MD", ["sei (row 2)", "greater than 0"]),
        ("study,yi,vi\na,0.1,-1\nb,0.3,0.1\n", "MD", ["vi[0]", "row 1"]),
        ("study,yi,vi\na,0.1,0.1\nb,0.3,0\n", "MD", ["vi[1]", "row 2"]),
        (MEANS + "a,1,1,10.5,0,1,10\nb,1,1,10,0,1,10\n", "MD", ["n1i (row 1)", "whole"]),
        (MEANS + "a,1,1,10,0,1,10\nb,1,1,10,0,1,0\n", "MD", ["n2i (row 2)", "whole"]),
        (MEANS + "a,1,1,-5,0,1,10\nb,1,1,10,0,1,10\n", "MD", ["n1i (row 1)"]),
        (MEANS + "a,1,-1,10,0,1,10\nb,1,1,10,0,1,10\n", "MD", ["sd1i (row 1)", "negative"]),
        (MEANS + "a,1,1,1,0,1,1\nb,1,1,10,0,1,10\n", "SMD", ["row 1", "cannot be computed"]),
        (MEANS + "a,-1,1,10,1,1,10\nb,1,1,10,1,1,10\n", "ROM", ["m1i (row 1)", "greater than 0"]),
        ("study,ai,bi,ci,di\na,-1,10,5,10\nb,3,10,5,10\n", "OR", ["ai (row 1)", "negative"]),
        ("study,ai,n1i,ci,n2i\na,12,10,5,10\nb,3,10,5,10\n", "RR", ["ai (row 1)", "n1i"]),
        ("study,ai,n1i,ci,n2i\na,1,10.5,5,10\nb,3,10,5,10\n", "RR", ["n1i (row 1)", "whole"]),
        ("study,yi,vi\na,inf,1\nb,1,1\n", "MD", ["yi (row 1)", "finite"]),
        ("study,yi,vi\na,1,1\nb," + "9" * 5000 + ",1\n", "MD", ["yi (row 2)", "too long"]),
        ("study,yi,sei\na,1,1e200\nb,2,1\n", "MD", ["row 1", "cannot be computed"]),
        ("study,yi,vi\na,1,1e-320\nb,2,1e-320\nc,3,1e-320\n", "MD", ["non-finite"]),
        ("study,yi,vi\na,1e308,1\nb,-1e308,1\nc,1e308,1\n", "MD", ["cannot be fitted"]),
        ("study,yi,vi\na,1\x00,1\n", "MD", ["yi (row 1)"]),
        ("study,yi,vi\n" + "a" * 200_000 + ",1,1\n", "MD", ["not a readable CSV"]),
        ("study,yi,vi\n", "MD", ["no header or no rows"]),
    ],
)
def test_impossible_tables_exit_2_naming_row_and_column(
    tmp_path: Path, content: str, measure: str, needles: list[str]
) -> None:
    path = tmp_path / "t.csv"
    path.write_text(content)
    for fmt in ("text", "json"):
        result = CliRunner().invoke(app, ["meta", str(path), "--measure", measure, "--format", fmt])
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert all(n in lines[0] for n in needles), lines[0]
        assert result.stdout == ""


def test_fine_table_still_works_and_json_is_strict(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("study,yi,sei\na,0.1,0.2\nb,0.3,0.1\nc,0.2,0.15\n")
    out = tmp_path / "res.json"
    result = CliRunner().invoke(app, ["meta", str(path), "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(), parse_constant=lambda c: pytest.fail(c))["k"] == 3


def test_forest_needs_svg_or_png_and_bad_paths_leave_nothing(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("study,yi,vi\na,0.1,0.04\nb,0.3,0.05\n")
    for forest in (str(tmp_path / "f.pdf"), "", str(tmp_path), str(path / "f.svg")):
        result = CliRunner().invoke(app, ["meta", str(path), "--forest", forest])
        assert result.exit_code == 2, (forest, result.output)
        assert "--forest" in result.stderr and result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_table_over_the_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("study,yi,vi\n" + "a,1,1\n" * (TABLE_MAX_BYTES // 6 + 10))
    result = CliRunner().invoke(app, ["meta", str(path)])
    assert result.exit_code == 2 and "larger than 5 MB" in result.stderr
    result = CliRunner().invoke(app, ["meta", "-"], input=path.read_bytes())
    assert result.exit_code == 2 and "larger than 5 MB" in result.stderr
