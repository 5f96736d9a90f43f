"""DARTH Sick-Sicker cohort models (time-independent and time-dependent) against the published
results (Alarid-Escudero et al., Med Decis Making 2023 and 2022; reference vectors in
``tests/reference/heco``). The models are built here from the published parameters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from regenaid.economics import CohortModel, Strategy
from regenaid.economics.batch import cohort_totals
from regenaid.economics.weights import discount_weights, rate_to_prob, within_cycle_weights

STATES = ("H", "S1", "S2", "D")
NAMES = ("Standard of care", "Strategy A", "Strategy B", "Strategy AB")


def _load(reference_dir: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((reference_dir / "heco" / name).read_text())
    return data


def _matrix(p_hd: float, prm: dict[str, Any], p_s1s2: float) -> np.ndarray:
    """One cycle's matrix by the published rule (deaths first, other moves among survivors)."""
    p_hs1 = float(rate_to_prob(prm["r_HS1"]))
    p_s1h = float(rate_to_prob(prm["r_S1H"]))
    r_hd = float(-np.log1p(-p_hd))
    p_s1d = float(rate_to_prob(r_hd * prm["hr_S1"]))
    p_s2d = float(rate_to_prob(r_hd * prm["hr_S2"]))
    return np.array(
        [
            [(1 - p_hd) * (1 - p_hs1), (1 - p_hd) * p_hs1, 0.0, p_hd],
            [
                (1 - p_s1d) * p_s1h,
                (1 - p_s1d) * (1 - (p_s1h + p_s1s2)),
                (1 - p_s1d) * p_s1s2,
                p_s1d,
            ],
            [0.0, 0.0, 1 - p_s2d, p_s2d],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )


def _rewards(prm: dict[str, Any]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    c_h, c_s1, c_s2 = prm["c_H"], prm["c_S1"], prm["c_S2"]
    u = (prm["u_H"], prm["u_S1"], prm["u_S2"], prm["u_D"])
    a, b = prm["c_trtA"], prm["c_trtB"]
    return {
        "Standard of care": (np.array([c_h, c_s1, c_s2, 0.0]), np.array(u)),
        "Strategy A": (
            np.array([c_h, c_s1 + a, c_s2 + a, 0.0]),
            np.array([u[0], prm["u_trtA"], u[2], 0.0]),
        ),
        "Strategy B": (np.array([c_h, c_s1 + b, c_s2 + b, 0.0]), np.array(u)),
        "Strategy AB": (
            np.array([c_h, c_s1 + a + b, c_s2 + a + b, 0.0]),
            np.array([u[0], prm["u_trtA"], u[2], 0.0]),
        ),
    }


def _progression(prm: dict[str, Any]) -> dict[str, float]:
    base = float(rate_to_prob(prm["r_S1S2"]))
    trt = float(rate_to_prob(prm["r_S1S2"] * prm["hr_S1S2_trtB"]))
    return {"Standard of care": base, "Strategy A": base, "Strategy B": trt, "Strategy AB": trt}


def _model(ref: dict[str, Any], method: str = "simpson1/3") -> CohortModel:
    prm = ref["parameters"]
    return CohortModel(
        states=STATES,
        initial=np.array([1.0, 0.0, 0.0, 0.0]),
        n_cycles=ref["model"]["n_cycles"],
        cycle_length=prm["cycle_length"],
        discount_costs=prm["d_c"],
        discount_effects=prm["d_e"],
        method=method,  # type: ignore[arg-type]
    )


def _time_independent(ref: dict[str, Any]) -> list[Strategy]:
    prm = ref["parameters"]
    p_hd = float(rate_to_prob(prm["r_HD"]))
    rewards, prog = _rewards(prm), _progression(prm)
    return [
        Strategy(name, _matrix(p_hd, prm, prog[name]), rewards[name][0], rewards[name][1])
        for name in NAMES
    ]


def _check_table(result: Any, expected: dict[str, Any], tol: dict[str, float]) -> None:
    for name in NAMES:
        assert result[name].cost == pytest.approx(
            expected["per_strategy_discounted_wcc"][name]["cost"], abs=tol["cost_abs"]
        ), name
        assert result[name].effect == pytest.approx(
            expected["per_strategy_discounted_wcc"][name]["qaly"], abs=tol["qaly_abs"]
        ), name
    rows = result.icers()
    assert [r.strategy for r in rows] == [row["strategy"] for row in expected["icer_table"]]
    for row, want in zip(rows, expected["icer_table"], strict=True):
        assert row.status == want["status"].split()[0]
        if want["icer"] is None:
            assert row.icer is None
        else:
            # The manuscript prints ICERs from unrounded totals, to $1.
            assert row.icer == pytest.approx(want["icer"], abs=0.5 + want["icer"] * tol["icer_rel"])
            assert row.inc_cost == pytest.approx(want["inc_cost"], abs=1.0)
            assert row.inc_effect == pytest.approx(want["inc_qaly"], abs=tol["qaly_abs"])


def test_time_independent_trace_first_cycles(reference_dir: Path) -> None:
    ref = _load(reference_dir, "darth_sick_sicker_time_indep.json")
    result = _model(ref).run(_time_independent(ref))
    trace = result["Standard of care"].trace
    for t, row in ref["expected"]["cohort_trace_SoC_first_cycles_rounded_3dp"].items():
        if t == "columns":
            continue
        assert np.round(trace[int(t)], 3) == pytest.approx(row, abs=1e-12), t


def test_time_independent_costs_qalys_and_icers(reference_dir: Path) -> None:
    ref = _load(reference_dir, "darth_sick_sicker_time_indep.json")
    result = _model(ref).run(_time_independent(ref))
    _check_table(result, ref["expected"], ref["expected"]["suggested_tolerance"])


@pytest.mark.parametrize(
    ("method", "key"), [("half-cycle", "half-cycle (0.5 at t=0 and t=n)"), ("none", "none")]
)
def test_time_independent_other_corrections_match_the_derived_values(
    reference_dir: Path, method: str, key: str
) -> None:
    ref = _load(reference_dir, "darth_sick_sicker_time_indep.json")
    derived = ref["helper_reproduction_check"]["sensitivity_to_wcc_method_(derived)"][key]
    result = _model(ref, method).run(_time_independent(ref))
    for short, name in zip(("SoC", "A", "B", "AB"), NAMES, strict=True):
        assert result[name].cost == pytest.approx(derived[short][0], abs=1.0)
        assert result[name].effect == pytest.approx(derived[short][1], abs=1e-4)


def test_time_dependent_with_transition_rewards(reference_dir: Path) -> None:
    ref = _load(reference_dir, "darth_sick_sicker_time_dep.json")
    prm = ref["parameters"]
    n_cycles = ref["model"]["n_cycles"]
    life = prm["r_HD_by_age"]
    assert life["ages"][0] == prm["n_age_init"] and len(life["values"]) == n_cycles
    p_hd = rate_to_prob(np.asarray(life["values"]))
    rewards, prog = _rewards(prm), _progression(prm)
    trans_costs = np.zeros((4, 4))
    trans_costs[0, 1] = prm["ic_HS1"]
    trans_costs[0:3, 3] = prm["ic_D"]
    trans_effects = np.zeros((4, 4))
    trans_effects[0, 1] = -prm["du_HS1"]
    strategies = [
        Strategy(
            name,
            np.stack([_matrix(float(p), prm, prog[name]) for p in p_hd]),
            rewards[name][0],
            rewards[name][1],
            transition_costs=trans_costs,
            transition_effects=trans_effects,
        )
        for name in NAMES
    ]
    result = _model(ref).run(strategies)
    _check_table(result, ref["expected"], ref["expected"]["suggested_tolerance"])


def test_batched_engine_agrees_with_the_cohort_model(reference_dir: Path) -> None:
    """The vectorised PSA engine reproduces the published totals for all four strategies."""
    ref = _load(reference_dir, "darth_sick_sicker_time_indep.json")
    strategies = _time_independent(ref)
    n = ref["model"]["n_cycles"]
    prm = ref["parameters"]
    p = np.stack([s.transitions for s in strategies], axis=-1)  # (S, S, N)
    r = np.stack([np.stack([s.state_costs, s.state_effects]) for s in strategies], axis=-1)
    wcc = within_cycle_weights(n, "simpson1/3")
    w = np.stack(
        [wcc * discount_weights(n + 1, prm["d_c"]), wcc * discount_weights(n + 1, prm["d_e"])]
    )
    expected = ref["expected"]["per_strategy_discounted_wcc"]
    for keep_points in (False, True):  # the fast path and the per-point path
        run = cohort_totals(
            np.array([1.0, 0, 0, 0]), p, r, w, n_cycles=n, chunk=3, keep_points=keep_points
        )
        for k, name in enumerate(NAMES):
            assert run.totals[0, k] == pytest.approx(expected[name]["cost"], abs=1.0)
            assert run.totals[1, k] == pytest.approx(expected[name]["qaly"], abs=6e-4)
        if run.by_point is not None:
            assert run.by_point.sum(axis=1) == pytest.approx(run.totals)
