"""The study table loads, every row validates, and bad rows name the file, row and column."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from regenaid.errors import KnowledgeError
from regenaid.knowledge.model import Source
from regenaid.knowledge.studies import COLUMNS, STUDIES_CSV, load_studies

SOURCES_YAML = STUDIES_CSV.parent / "sources" / "studies.yaml"


def all_sources() -> dict[str, Source]:
    """Every bibliography file: the table's conventional rows cite ids from general.yaml too."""
    out: dict[str, Source] = {}
    for path in sorted((STUDIES_CSV.parent / "sources").glob("*.yaml")):
        for e in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            out[e["id"]] = Source(**e)
    return out


@pytest.fixture(scope="module")
def sources() -> dict[str, Source]:
    entries = yaml.safe_load(SOURCES_YAML.read_text(encoding="utf-8"))
    return {e["id"]: Source(**e) for e in entries}


def _write(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    path = tmp_path / "studies.csv"
    lines = [",".join(COLUMNS)]
    for row in rows:
        lines.append(",".join(row.get(c, "") for c in COLUMNS))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = {
    "id": "t-1",
    "study": "Test 2020",
    "year": "2020",
    "condition": "androgenetic_alopecia",
    "treatment": "prp",
    "comparator": "saline injection",
    "design": "RCT",
    "kind": "primary",
    "outcome": "hair density",
    "measure": "MD",
    "unit": "hairs/cm2",
    "treated_n": "10",
    "treated_mean": "150",
    "treated_sd": "30",
    "control_n": "10",
    "control_mean": "140",
    "control_sd": "30",
    "risk_of_bias": "low",
    "sources": "st-shapiro-2020",
}


def test_shipped_table_loads_and_ids_are_unique() -> None:
    studies = load_studies(STUDIES_CSV, all_sources())
    assert len(studies) >= 20
    assert len({s.id for s in studies}) == len(studies)
    kinds = {s.kind for s in studies}
    assert kinds == {"primary", "pooled_published"}


def test_every_source_id_of_the_bibliography_is_prefixed(sources: dict[str, Source]) -> None:
    assert all(i.startswith("st-") for i in sources)


def test_good_row_parses(tmp_path: Path, sources: dict[str, Source]) -> None:
    (study,) = load_studies(_write(tmp_path, [GOOD]), sources)
    assert study.treated.n == 10 and study.control.mean == 140
    assert study.extra["measure"] == "MD"


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("condition", "baldness", "not allowed"),
        ("treatment", "laser", "not allowed"),
        ("kind", "review", "not allowed"),
        ("treated_sd", "-3", "must be > 0"),
        ("treated_n", "ten", "not a whole number"),
        ("sources", "nope-2020", "unknown source id"),
        ("risk_of_bias", "medium", "not allowed"),
        ("i2", "140", "within 0..100"),
        ("published_certainty", "low", "only pooled_published"),
    ],
)
def test_bad_value_names_file_row_and_column(
    tmp_path: Path, sources: dict[str, Source], column: str, value: str, message: str
) -> None:
    row = dict(GOOD, **{column: value})
    with pytest.raises(KnowledgeError) as info:
        load_studies(_write(tmp_path, [row]), sources)
    err = info.value
    assert (err.file, err.entry, err.field) == ("studies.csv", "t-1", column)
    assert message in str(err)


def test_effect_outside_its_ci_is_rejected(tmp_path: Path, sources: dict[str, Source]) -> None:
    row = dict(GOOD, effect="5", ci_low="6", ci_high="9")
    with pytest.raises(KnowledgeError, match="outside its CI"):
        load_studies(_write(tmp_path, [row]), sources)


def test_duplicate_ids_are_rejected(tmp_path: Path, sources: dict[str, Source]) -> None:
    with pytest.raises(KnowledgeError, match="duplicate row id"):
        load_studies(_write(tmp_path, [GOOD, GOOD]), sources)


def test_unknown_column_is_rejected(tmp_path: Path, sources: dict[str, Source]) -> None:
    path = tmp_path / "studies.csv"
    path.write_text(",".join((*COLUMNS, "colour")) + "\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_studies(path, sources)
    assert info.value.field == "colour"
