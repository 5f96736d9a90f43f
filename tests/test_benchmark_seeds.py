"""The benchmarks' seed rows fill every column of the tables they load (``make bench`` loads
them with COPY and executemany, which need every column by name): a column added by a migration
without a value in the seed made ``python -m benchmarks clinic`` stop with a KeyError."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: its benchmarks
from benchmarks.bench_clinic import TABLES, make_seed


@pytest.mark.parametrize("name", sorted(TABLES))
def test_clinic_seed_rows_have_every_column_of_their_table(name: str) -> None:
    seed = make_seed(patients=20)
    rows = seed.rows[name]
    assert rows, f"the seed has no {name} rows"
    columns = {c.name for c in TABLES[name].columns}
    for row in rows:
        assert set(row) == columns, (sorted(columns - set(row)), sorted(set(row) - columns))
