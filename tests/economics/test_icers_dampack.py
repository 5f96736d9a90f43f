"""``icers`` against every case of dampack's own ``calculate_icers`` tests (reference vectors)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regenaid.economics import icers


@pytest.fixture(scope="module")
def cases(reference_dir: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(
        (reference_dir / "heco" / "dampack_calculate_icers_cases.json").read_text()
    )
    return data


def _status(text: str) -> str:
    """The reference writes 'ED (extended/weak dominance)'; the contract code is the first word."""
    return text.split()[0]


def test_herc_example_rows_order_and_values(cases: dict[str, object]) -> None:
    given = cases["input"]
    assert isinstance(given, dict)
    rows = icers(strategies=given["strategy"], costs=given["cost"], effects=given["effect"])
    expected = cases["expected_output_in_order"]
    assert isinstance(expected, list)
    assert len(rows) == len(expected) == len(given["strategy"])
    for row, want in zip(rows, expected, strict=True):
        assert row.strategy == want["strategy"]
        assert row.status == _status(want["status"])
        assert row.cost == pytest.approx(want["cost"])
        assert row.effect == pytest.approx(want["effect"])
        for key in ("inc_cost", "inc_effect", "icer"):
            if want[key] is None:
                assert row[key] is None
            else:
                assert row[key] == pytest.approx(want[key], rel=1e-12)


def test_tie_in_effect_reference_is_the_cheaper_strategy(cases: dict[str, object]) -> None:
    extra = cases["extra_cases_from_same_file"]
    assert isinstance(extra, dict)
    tie = extra["tie_in_effect"]
    rows = icers(strategies=tie["strategies"], costs=tie["cost"], effects=tie["effect"])
    assert "'Test & treat'" in tie["expected"]
    assert rows[0].strategy == "Test & treat"
    assert rows[0].status == "ND"
    assert {r.strategy: r.status for r in rows[1:]} == {"Treat all": "D", "No Treat": "D"}


def test_single_strategy_has_no_increments(cases: dict[str, object]) -> None:
    extra = cases["extra_cases_from_same_file"]
    assert isinstance(extra, dict)
    single = extra["single_strategy"]["input"]
    (row,) = icers(
        strategies=[single["strategy"]], costs=[single["cost"]], effects=[single["effect"]]
    )
    assert (row.inc_cost, row.inc_effect, row.icer) == (None, None, None)
    assert row.as_dict()["strategy"] == "s"


def test_extended_dominance_is_repeated_until_none_left() -> None:
    # C is extendedly dominated by B-D first; once C is gone, B is extendedly dominated by A-D.
    rows = icers(strategies=["A", "B", "C", "D"], costs=[0, 100, 150, 200], effects=[0, 1, 1.2, 4])
    assert [(r.strategy, r.status) for r in rows] == [
        ("A", "ND"),
        ("D", "ND"),
        ("B", "ED"),
        ("C", "ED"),
    ]
    assert rows[1].icer == pytest.approx(50.0)


def test_mismatched_lengths_are_rejected() -> None:
    with pytest.raises(ValueError, match="same length"):
        icers(strategies=["a", "b"], costs=[1.0], effects=[1.0, 2.0])
