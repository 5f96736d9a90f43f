"""Hostile input never crashes the CLI (issue 10, deliverable 8).

Every command, fed generated bad input (random bytes, deep nesting, huge numbers, YAML tags
and aliases, wrong types, unicode) and unwritable ``--out`` paths, exits 0 or 2, prints no
traceback and leaves no partial file. A few cases run in a subprocess to see the real stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from regenaid.cli.main import app
from regenaid.decide import load_intake_text
from regenaid.errors import InvalidInputError
from regenaid.safe_input import (
    INTAKE_MAX_BYTES,
    MAX_DEPTH,
    load_json,
    load_yaml,
    read_text_capped,
    write_atomic,
)

GOOD = "concern: hair\ncondition: androgenetic_alopecia\nage: 34\nsex: male\nseverity: moderate\n"
FIELDS = (
    "concern",
    "condition",
    "age",
    "sex",
    "severity",
    "scale",
    "duration_months",
    "prior_treatments",
    "health",
    "priorities",
    "budget",
    "jurisdiction",
    "x",
)
SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
runner = CliRunner()


def check(result: Result, out_dir: Path | None = None) -> None:
    """Exit 0 or 2, no traceback, at most one line on stderr for a failure, nothing left over."""
    text = result.output + (result.stderr or "")
    assert result.exit_code in (0, 2), (result.exit_code, text[-2000:], result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), text[-2000:]
    assert "Traceback" not in text
    if result.exit_code == 2:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr[-2000:]
    if out_dir is not None:
        left = sorted(p.name for p in out_dir.iterdir())
        assert not [n for n in left if n.endswith(".tmp")], left
        if result.exit_code != 0:
            assert left == [], left


# --- generated intakes -------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**120), max_value=10**120),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["NO", "yes", "off", "~", "2001-12-14", "1:20", "0x1F", "010", ".inf"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


def nested(depth: int, kind: str) -> str:
    if kind == "json_list":
        return "[" * depth + "]" * depth
    if kind == "json_obj":
        return '{"a":' * depth + "1" + "}" * depth
    if kind == "yaml_flow":
        return "a: " + "[" * depth + "]" * depth
    return "".join("  " * i + "a:\n" for i in range(depth)) + "  " * depth + "b: 1\n"


TAGS = [
    "!!python/object/apply:os.system ['true']",
    "!!python/name:os.system",
    "!!binary aGk=",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!timestamp 2001-12-14",
    "!!float abc",
    "!!int abc",
    "!foo 3",
    "!<tag:yaml.org,2002:python/none> ''",
    "!!str 3",
    "!!null ''",
]


def alias_bomb(levels: int, fan: int) -> str:
    lines = ['l0: &l0 ["lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * fan) + "]")
    return GOOD + "\n".join(lines) + f"\nprior_treatments: *l{levels}\n"


intake_texts = st.one_of(
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    st.text(max_size=300),
    st.builds(
        nested,
        st.integers(MAX_DEPTH - 2, 3000),
        st.sampled_from(["json_list", "json_obj", "yaml_flow", "yaml_block"]),
    ),
    st.integers(0, 6000).map(lambda n: '{"age": ' + "9" * max(n, 1) + "}"),
    st.integers(1, 6000).map(lambda n: GOOD.replace("34", "9" * n)),
    st.sampled_from(TAGS).map(lambda tag: GOOD + f"jurisdiction: {tag}\n"),
    st.builds(alias_bomb, st.integers(1, 12), st.integers(2, 9)),
    json_values.map(lambda v: json.dumps(v, allow_nan=True)),
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8).map(json.dumps),
    st.tuples(st.sampled_from(FIELDS), scalars).map(lambda kv: GOOD + f"{kv[0]}: {kv[1]!s}\n"),
)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@SETTINGS
@given(text=intake_texts, command=st.sampled_from(["assess", "plan"]), stdin=st.booleans())
def test_intake_commands_survive(work: Path, text: str, command: str, stdin: bool) -> None:
    path = work / "intake.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    args = [command, "-" if stdin else str(path)]
    if command == "plan":
        args += ["--start", "2026-12-01"]
    data = path.read_bytes() if stdin else None
    check(runner.invoke(app, args, input=data))


def bad_outs(base: Path) -> list[str]:
    regular = base / "regular.txt"
    regular.write_text("x")
    return [
        "",
        " ",
        str(base),
        str(regular / "x.json"),
        str(base / "missing" / "x.json"),
        "/proc/regenaid-test.json",
        str(base / ("x" * 300)),
        ".",
        "..",
    ]


@SETTINGS
@given(
    index=st.integers(0, 8),
    which=st.sampled_from(
        ["assess", "plan-ics", "plan-out", "compare", "evidence", "meta-out", "meta-forest"]
    ),
)
def test_unwritable_outputs_exit_2_and_leave_nothing(work: Path, index: int, which: str) -> None:
    base = work / f"outs-{which}"
    base.mkdir(exist_ok=True)
    (base / "in").mkdir(exist_ok=True)
    intake = base / "in" / "good.yaml"
    intake.write_text(GOOD)
    table = base / "in" / "t.csv"
    table.write_text("study,yi,vi\na,0.1,0.04\nb,0.3,0.05\nc,0.2,0.02\n")
    out = bad_outs(base / "in")[index]
    args = {
        "assess": ["assess", str(intake), "--format", "json", "--out", out],
        "plan-ics": ["plan", str(intake), "--start", "2026-12-01", "--ics", out],
        "plan-out": ["plan", str(intake), "--start", "2026-12-01", "--out", out],
        "compare": ["compare", "--out", out],
        "evidence": ["evidence", "--condition", "acne_scars", "--out", out],
        "meta-out": ["meta", str(table), "--out", out],
        "meta-forest": ["meta", str(table), "--forest", out],
    }[which]
    result = runner.invoke(app, args)
    check(result)
    assert result.exit_code == 2
    leftovers = [p.name for p in (base / "in").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


csv_cells = st.one_of(
    st.sampled_from(
        [
            "",
            "NA",
            "nan",
            "inf",
            "-inf",
            "-1",
            "0",
            "1.5",
            "1e308",
            "-1e308",
            "1e-320",
            "9" * 5000,
            "x",
            "\x00",
            '"',
            "2",
            "10",
            "0.5",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.text(max_size=8),
)
COLUMN_SETS = [
    ("study", "yi", "vi"),
    ("study", "yi", "sei"),
    ("study", "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
    ("study", "ai", "bi", "ci", "di"),
    ("study", "ai", "n1i", "ci", "n2i"),
    ("yi", "yi", "vi"),
    ("foo",),
]


@st.composite
def csv_tables(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=400)).decode("latin-1")
    columns = draw(st.sampled_from(COLUMN_SETS))
    rows = draw(
        st.lists(
            st.lists(csv_cells, min_size=len(columns) - 1, max_size=len(columns) + 1), max_size=6
        )
    )
    lines = [",".join(columns)] + [",".join(["s", *row]) for row in rows]
    return "\n".join(lines) + "\n"


@SETTINGS
@given(
    table=csv_tables(),
    measure=st.sampled_from(["MD", "SMD", "SMDH", "ROM", "RR", "OR", "RD", "XX"]),
    method=st.sampled_from(["REML", "DL", "EE", "PM", "XX"]),
    test=st.sampled_from(["z", "knha"]),
    level=st.sampled_from(["95", "0", "100", "nan", "-1", "99.999"]),
    fmt=st.sampled_from(["text", "json"]),
)
def test_meta_survives(
    work: Path, table: str, measure: str, method: str, test: str, level: str, fmt: str
) -> None:
    path = work / "table.csv"
    path.write_text(table, encoding="utf-8", errors="surrogatepass")
    out_dir = work / "meta-out"
    out_dir.mkdir(exist_ok=True)
    for p in out_dir.iterdir():
        p.unlink()
    args = [
        "meta",
        str(path),
        "--measure",
        measure,
        "--method",
        method,
        "--test",
        test,
        "--level",
        level,
        "--format",
        fmt,
        "--forest",
        str(out_dir / "f.svg"),
    ]
    result = runner.invoke(app, args)
    check(result, out_dir)
    if result.exit_code == 0 and fmt == "json":
        out = json.loads(result.stdout)  # strict JSON: no NaN
        json.dumps(out, allow_nan=False)


@SETTINGS
@given(
    condition=st.one_of(st.text(max_size=30), st.sampled_from(["all", "acne_scars"])),
    jurisdiction=st.one_of(st.none(), st.text(max_size=5), st.sampled_from(["NO", "US"])),
    command=st.sampled_from(["compare", "evidence"]),
)
def test_compare_and_evidence_survive(
    condition: str, jurisdiction: str | None, command: str
) -> None:
    args = [command, "--condition", condition]
    if command == "compare" and jurisdiction is not None:
        args += ["--jurisdiction", jurisdiction]
    check(runner.invoke(app, args))


# --- the parsing rules themselves -------------------------------------------------------------


def test_norway_is_a_country_not_false() -> None:
    intake = load_intake_text(GOOD + "jurisdiction: NO\n")
    assert intake.jurisdiction == "NO"
    data = load_yaml("a: NO\nb: yes\nc: off\nd: true\ne: False\nf: 010\ng: 2001-12-14\n", "x")
    assert data == {
        "a": "NO",
        "b": "yes",
        "c": "off",
        "d": True,
        "e": False,
        "f": 10,
        "g": "2001-12-14",
    }


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("a: &x 1\nb: *x\n", "aliases"),
        ("a: !!python/object/apply:os.system ['true']\n", "tag"),
        ("a: !!binary aGk=\n", "tag"),
        ("a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested deeper"),
        ("a: " + "9" * 101, "characters"),
        ("a: [\n", "not valid YAML"),
    ],
)
def test_yaml_refusals(text: str, needle: str) -> None:
    with pytest.raises(InvalidInputError, match=needle):
        load_yaml(text, "intake")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[" * 1000 + "]" * 1000, "nested deeper"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested deeper"),
        ('{"a": ' + "9" * 5000 + "}", "characters"),
        ('{"a": NaN}', "NaN"),
        ('{"a": 1e999}', "out of range"),
    ],
)
def test_json_refusals(text: str, needle: str) -> None:
    with pytest.raises(InvalidInputError, match=needle):
        load_json(text, "intake")


def test_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(GOOD + "#" * INTAKE_MAX_BYTES)
    with pytest.raises(InvalidInputError, match="larger than 1 MB"):
        read_text_capped(str(path), INTAKE_MAX_BYTES, "intake")
    result = runner.invoke(app, ["assess", str(path)])
    check(result)
    assert result.exit_code == 2 and "larger than 1 MB" in result.stderr
    result = runner.invoke(app, ["assess", "-"], input=path.read_bytes())
    assert result.exit_code == 2 and "larger than 1 MB" in result.stderr


def test_write_atomic_replaces_whole_file_and_keeps_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    write_atomic(str(target), "new", "--out")
    assert target.read_text() == "new" and os.listdir(tmp_path) == ["out.json"]
    with pytest.raises(InvalidInputError, match="is a directory"):
        write_atomic(str(tmp_path), "x", "--out")
    with pytest.raises(InvalidInputError, match="not a directory"):
        write_atomic(str(target / "x"), "x", "--out")
    assert os.listdir(tmp_path) == ["out.json"]


# --- a few through a real process: stderr as a person sees it ---------------------------------

REGENAID = [sys.executable, "-c", "from regenaid.cli.main import app; app()"]


@pytest.mark.parametrize(
    ("name", "content", "extra"),
    [
        ("bomb.yaml", alias_bomb(9, 9), []),
        ("deep.json", "[" * 100_000 + "]" * 100_000, []),
        ("digits.json", '{"age": ' + "9" * 5000 + "}", []),
        ("tag.yaml", "!!python/object/apply:os.system ['echo pwned']\n", []),
        ("good.yaml", GOOD, ["--out", ""]),
    ],
)
def test_subprocess_one_line_no_traceback(
    tmp_path: Path, name: str, content: str, extra: list[str]
) -> None:
    path = tmp_path / name
    path.write_text(content)
    proc = subprocess.run(
        [*REGENAID, "assess", str(path), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "pwned" not in proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
