"""Random-effects meta-analysis: regenaid.evidence vs statsmodels and PyMARE, same data, same run.

Task per fit, for k = 10, 1,000 and 100,000 simulated studies (fixed seed):
- ours: ``rma`` (REML, DL or PM) + ``confint()`` (Q-profile CI of tau², I², H²) +
  ``predict()`` (prediction interval);
- statsmodels ``combine_effects(method_re="dl" | "pm")`` + ``summary_frame()`` (its CIs;
  statsmodels has no Q-profile CI of tau² and no prediction interval, so it does less work);
- PyMARE ``DerSimonianLaird`` / ``VarianceBasedLikelihoodEstimator(method="REML")`` fit +
  ``summary()`` with ``get_fe_stats()``, ``get_heterogeneity_stats()`` and
  ``get_re_stats("QP")`` (Q-profile CI of tau²).

Prints medians, the ratio anchor time / our time (> 1 means we are faster) and the largest
absolute difference of the estimate, tau² and the Q-profile limits against each anchor.

BLAS threads are pinned to 1 for every contender (the whole run happens in a child process
started with ``OPENBLAS_NUM_THREADS=1``): on a small shared machine, multi-threaded BLAS for
vector dot products is dominated by thread contention and would measure the machine, not the
code.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

SIZES = (10, 1_000, 100_000)
SEED = 20260301
_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _simulate(k: int) -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(SEED + k)
    vi = rng.uniform(0.005, 0.2, size=k)
    yi = rng.normal(0.3, np.sqrt(vi + 0.1))
    return yi, vi


def _plan(k: int) -> tuple[int, int]:
    """(repeat, number) for median_seconds, keeping the whole run near a minute."""
    if k <= 10:
        return 7, 50
    if k <= 1_000:
        return 7, 10
    return 3, 1


def _run() -> None:
    import numpy as np
    from pymare import Dataset
    from pymare.estimators import DerSimonianLaird, VarianceBasedLikelihoodEstimator
    from statsmodels.stats.meta_analysis import combine_effects

    from benchmarks.timing import fmt_seconds, median_seconds
    from regenaid.evidence import rma

    warnings.simplefilter("ignore")  # statsmodels warns on sqrt of negative DL tau² (not here)

    def ours(method: str, y: Any, v: Any) -> Callable[[], Any]:
        def fit() -> Any:
            res = rma(y, v, method=method)
            return res, res.confint(), res.predict()

        return fit

    def statsmodels_fit(method: str, y: Any, v: Any) -> Callable[[], Any]:
        def fit() -> Any:
            res = combine_effects(y, v, method_re=method)
            res.summary_frame()
            return res

        return fit

    def pymare_fit(estimator: Callable[[], Any], y: Any, v: Any) -> Callable[[], Any]:
        def fit() -> Any:
            summary = estimator().fit_dataset(Dataset(y=y, v=v)).summary()
            summary.get_fe_stats()
            summary.get_heterogeneity_stats()
            return summary, summary.get_re_stats("QP")

        return fit

    header = f"{'k':>7}  {'task':<34} {'ours':>11} {'anchor':>11} {'ratio':>7}  max |diff|"
    print(header)
    print("-" * len(header))
    for k in SIZES:
        y, v = _simulate(k)
        repeat, number = _plan(k)
        comparisons = [
            (
                "REML + QP + PI vs PyMARE REML",
                "REML",
                "pymare",
                pymare_fit(lambda: VarianceBasedLikelihoodEstimator(method="REML"), y, v),
            ),
            ("DL + QP + PI vs PyMARE DL", "DL", "pymare", pymare_fit(DerSimonianLaird, y, v)),
            ("DL + QP + PI vs statsmodels dl", "DL", "sm", statsmodels_fit("dl", y, v)),
            ("PM + QP + PI vs statsmodels pm", "PM", "sm", statsmodels_fit("pm", y, v)),
        ]
        timed: dict[str, float] = {}
        for label, method, kind, anchor in comparisons:
            mine = ours(method, y, v)
            if method not in timed:
                timed[method] = median_seconds(mine, repeat=repeat, number=number)
            t_anchor = median_seconds(anchor, repeat=repeat, number=number)
            res, ci, _ = mine()
            out = anchor()
            if kind == "pymare":
                summary, qp = out
                diffs = [
                    abs(res.estimate - float(np.ravel(summary.fe_params)[0])),
                    abs(res.tau2 - float(np.ravel(summary.tau2)[0])),
                    abs(ci.tau2.ci_lb - float(np.ravel(qp["ci_l"])[0])),
                    abs(ci.tau2.ci_ub - float(np.ravel(qp["ci_u"])[0])),
                ]
            else:
                diffs = [
                    abs(res.estimate - float(out.mean_effect_re)),
                    abs(res.tau2 - float(out.tau2)),
                ]
            print(
                f"{k:>7}  {label:<34} {fmt_seconds(timed[method]):>11} "
                f"{fmt_seconds(t_anchor):>11} {t_anchor / timed[method]:>6.1f}x  "
                f"{max(diffs):.1e}",
                flush=True,
            )
            if kind == "sm" and max(diffs) > 1e-6:
                print(f"{'':9}note: {_explain(method, y, v, float(out.tau2), res.tau2)}")
    print("ratio = anchor median / our median (> 1: regenaid is faster); diff over estimate,")
    print("tau² and (PyMARE) the Q-profile limits of tau².")


def _explain(method: str, y: Any, v: Any, theirs: float, mine: float) -> str:
    """Why an anchor's tau² differs: the estimating equation each value satisfies."""
    import numpy as np

    from regenaid.evidence.tau2 import q_gen

    if method == "DL" and theirs < 0:
        return f"statsmodels DL tau² = {theirs:.4g} (not truncated at 0 as DL/metafor do)"
    X = np.ones((len(y), 1))
    target = len(y) - 1
    return (
        f"PM equation |Q(tau²) - (k-1)|: statsmodels {abs(q_gen(theirs, y, v, X) - target):.3g} "
        f"at tau² {theirs:.4g}, ours {abs(q_gen(mine, y, v, X) - target):.3g} at {mine:.4g}"
    )


def main() -> None:
    """Run the comparison in a child process with single-threaded BLAS (see the docstring)."""
    if all(os.environ.get(var) == "1" for var in _THREAD_VARS):
        _run()
        return
    env = dict(os.environ, **{var: "1" for var in _THREAD_VARS})
    root = Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(root), str(root / "src"), env.get("PYTHONPATH", "")) if p
    )
    code = "from benchmarks.bench_meta import _run; _run()"
    completed = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, check=False)
    if completed.returncode != 0:
        raise SystemExit(completed.returncode)


if __name__ == "__main__":
    main()
