"""PSA throughput: 100,000 draws x 3 strategies x 120 monthly cycles x 4 states.

Compares, in the same process:
- the vectorised engine (:func:`regenaid.economics.batch.cohort_totals`; draws x strategies on
  the last axis, per-cycle accumulation, the trace is never stored);
- a straightforward per-draw loop (a 4x4 NumPy matrix per draw and strategy, ``x @ P`` per
  cycle), timed on a subsample and extrapolated per draw;
- the machine's NumPy float64 matrix-multiply throughput (GFLOP/s of a 2048 x 2048 matmul),
  against which the engine's flop rate is reported (flops counted as the engine performs them).

Run: ``python -m benchmarks psa`` (or ``make bench``). Medians over a few rounds.
"""

from __future__ import annotations

import os
import time

import numpy as np

from benchmarks.timing import fmt_seconds, median_seconds
from regenaid.economics.batch import _Pattern, cohort_totals
from regenaid.economics.distributions import Beta, Gamma
from regenaid.economics.psa import sample
from regenaid.economics.weights import discount_weights

N_DRAWS = 100_000
N_STRATEGIES = 3
N_CYCLES = 120
N_STATES = 4
LOOP_DRAWS = 1_000
SEED = 42
MATMUL_N = 2048

# course -> responding / not responding -> stopped, per strategy (monthly probabilities)
_PRIORS = {
    "p_resp": [Beta.from_mean_sd(m, 0.1) for m in (0.10, 0.12, 0.14)],
    "p_fail": [Beta.from_mean_sd(m, 0.05) for m in (0.08, 0.07, 0.06)],
    "p_stop": [Beta.from_mean_sd(m, 0.01) for m in (0.02, 0.025, 0.03)],
    "c_course": [Gamma.from_mean_sd(m, m / 4) for m in (800.0, 1500.0, 2200.0)],
    "c_maint": [Gamma.from_mean_sd(m, m / 4) for m in (250.0, 300.0, 450.0)],
    "u_resp": [Beta.from_mean_sd(m, 0.05) for m in (0.80, 0.82, 0.84)],
}


def build_inputs(n_draws: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded draws -> transitions (S, S, N), rewards (2, S, N), weights (2, T + 1)."""
    dists = {f"{k}_{s}": d[s] for k, d in _PRIORS.items() for s in range(N_STRATEGIES)}
    d = sample(dists, n_draws, seed)
    n = n_draws * N_STRATEGIES

    def cat(name: str) -> np.ndarray:
        return np.concatenate([d[f"{name}_{s}"] for s in range(N_STRATEGIES)])

    resp, fail, stop = cat("p_resp"), cat("p_fail"), cat("p_stop")
    p = np.zeros((N_STATES, N_STATES, n))
    p[0, 0], p[0, 1], p[0, 2] = 1 - resp - fail, resp, fail
    p[1, 1], p[1, 3] = 1 - stop, stop
    p[2, 2] = 1.0
    p[3, 3] = 1.0
    r = np.zeros((2, N_STATES, n))
    r[0, 0], r[0, 1] = cat("c_course"), cat("c_maint")
    # QALYs per month (utility / 12); costs and QALYs both discounted at 3% a year
    r[1, 0], r[1, 1], r[1, 2], r[1, 3] = 0.7 / 12, cat("u_resp") / 12, 0.7 / 12, 0.75 / 12
    disc = discount_weights(N_CYCLES + 1, 0.03, 1 / 12)
    return p, r, np.stack([disc, disc])


def vectorised(n_draws: int) -> np.ndarray:
    p, r, w = build_inputs(n_draws)
    return cohort_totals(np.array([1.0, 0, 0, 0]), p, r, w, n_cycles=N_CYCLES).totals


def loop(n_draws: int) -> np.ndarray:
    """One cohort at a time: the way a first implementation usually looks."""
    p, r, w = build_inputs(n_draws)
    out = np.empty((2, p.shape[2]))
    for k in range(p.shape[2]):
        matrix, cost, effect = p[:, :, k], r[0, :, k], r[1, :, k]
        x = np.array([1.0, 0.0, 0.0, 0.0])
        total_c = total_e = 0.0
        for t in range(N_CYCLES + 1):
            if t:
                x = x @ matrix
            total_c += w[0, t] * (x @ cost)
            total_e += w[1, t] * (x @ effect)
        out[0, k], out[1, k] = total_c, total_e
    return out


def dense_flops(n_cohorts: int) -> float:
    """Flops of a dense formulation: per cycle a 4x4 vector-matrix product (S^2 mul +
    S(S-1) add); per point and reward a dot product (S mul + S-1 add), weight and accumulate."""
    s, rewards = N_STATES, 2
    return float(
        n_cohorts * (N_CYCLES * (s * s + s * (s - 1)) + (N_CYCLES + 1) * rewards * (2 * s + 1))
    )


def performed_flops(p: np.ndarray, n_rewards: int, n_weight_rows: int) -> float:
    """Flops the engine's fast path actually performs (structural zeros skipped, entries equal
    to one added without a multiply, weighted trace accumulated once per distinct weight row,
    rewards applied once at the end)."""
    n_cohorts = p.shape[2]
    per_cycle = 0
    for _j, terms in _Pattern.of(p).terms:
        per_cycle += sum(1 for _i, one in terms if not one) + max(len(terms) - 1, 0)
    per_point = n_weight_rows * 2 * N_STATES
    final = n_rewards * (2 * N_STATES - 1)
    return float(n_cohorts * (N_CYCLES * per_cycle + (N_CYCLES + 1) * per_point + final))


def matmul_gflops() -> float:
    rng = np.random.default_rng(0)
    a, b = rng.random((MATMUL_N, MATMUL_N)), rng.random((MATMUL_N, MATMUL_N))
    seconds = median_seconds(lambda: a @ b, repeat=3)
    return 2 * MATMUL_N**3 / seconds / 1e9


def main() -> None:
    print(
        f"PSA: {N_DRAWS:,} draws x {N_STRATEGIES} strategies x {N_CYCLES} cycles x "
        f"{N_STATES} states (seed {SEED}); load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs (other work on the machine slows every figure)"
    )
    # same numbers both ways, on the loop's subsample
    assert np.allclose(vectorised(LOOP_DRAWS), loop(LOOP_DRAWS), rtol=1e-12, atol=1e-9)

    build = median_seconds(lambda: build_inputs(N_DRAWS), repeat=3)
    p, r, w = build_inputs(N_DRAWS)
    x0 = np.array([1.0, 0, 0, 0])
    engine = median_seconds(lambda: cohort_totals(x0, p, r, w, n_cycles=N_CYCLES), repeat=3)
    total = median_seconds(lambda: vectorised(N_DRAWS), repeat=3)
    print(f"  sampling + building arrays : {fmt_seconds(build)}")
    print(f"  cohort engine              : {fmt_seconds(engine)}")
    print(f"  full PSA (both)            : {fmt_seconds(total)}  (goal < 1 s)")

    started = time.perf_counter()
    loop(LOOP_DRAWS)
    per_draw = (time.perf_counter() - started) / LOOP_DRAWS
    loop_total = per_draw * N_DRAWS
    print(
        f"  per-draw loop              : {fmt_seconds(per_draw)} per draw (3 strategies) on "
        f"{LOOP_DRAWS:,} draws, extrapolated to {N_DRAWS:,}: {fmt_seconds(loop_total)}"
    )
    print(f"  speed-up vs loop           : {loop_total / total:,.0f}x  (goal >= 100x)")

    peak = matmul_gflops()
    done = performed_flops(p, n_rewards=2, n_weight_rows=1)
    dense = dense_flops(N_DRAWS * N_STRATEGIES)
    print(f"  NumPy matmul {MATMUL_N}^2 float64 : {peak:.1f} GFLOP/s")
    print(
        f"  engine, flops performed    : {done / 1e9:.2f} GFLOP in {fmt_seconds(engine)} = "
        f"{done / engine / 1e9:.2f} GFLOP/s = {done / engine / 1e9 / peak:.1%} of matmul"
    )
    print(
        f"  engine, dense-equivalent   : {dense / 1e9:.2f} GFLOP (what a dense 4x4 update "
        f"would do) = {dense / engine / 1e9:.2f} GFLOP/s = {dense / engine / 1e9 / peak:.1%}"
    )
    assessment_psa()


def assessment_psa() -> None:
    """An assessment's own PSA: 2,000 draws per option, five options, shipped knowledge base."""
    from regenaid.decide import parse_intake
    from regenaid.decide.option_cost import _prepare, _run_option, estimate_costs
    from regenaid.knowledge import load_knowledge

    kb = load_knowledge()
    options = ("prp", "exosome", "combination", "conventional", "no_treatment")
    for months in (24, 120):
        intake = parse_intake(
            {
                "concern": "hair",
                "condition": "androgenetic_alopecia",
                "age": 40,
                "sex": "male",
                "severity": "moderate",
                "budget": {"amount": 5000, "currency": "USD", "horizon_months": months},
            }
        )

        def uncached(intake: object = intake) -> None:
            _prepare.cache_clear()  # the blocks and the runs per option; draws stay cached
            _run_option.cache_clear()
            estimate_costs(kb, intake, options)  # type: ignore[arg-type]

        first = median_seconds(uncached, repeat=5)
        again = median_seconds(lambda i=intake: estimate_costs(kb, i, options), repeat=5, number=50)
        print(
            f"  assessment cost PSA, {months:>3} months: {fmt_seconds(first)} first time, "
            f"{fmt_seconds(again)} from the cache (5 options x 2,000 draws, with tornado)"
        )


if __name__ == "__main__":
    main()
