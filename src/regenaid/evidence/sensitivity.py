"""Sensitivity analyses: leave-one-out and cumulative meta-analysis (metafor's ``leave1out``,
``cumul``). Each refits the model with the same method, test and level."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from regenaid.errors import InvalidInputError
from regenaid.evidence.rma import RmaResult, rma


@dataclass(frozen=True, slots=True)
class RefitRow:
    """One refit: which study was left out (leave1out) or added last (cumul)."""

    study: int  # 0-based index among the fitted studies
    estimate: float
    se: float
    zval: float
    pval: float
    ci_lb: float
    ci_ub: float
    Q: float
    Qp: float
    tau2: float
    I2: float
    H2: float
    k: int


def _row(study: int, fit: RmaResult) -> RefitRow:
    return RefitRow(
        study=study,
        estimate=fit.estimate,
        se=fit.se,
        zval=fit.zval,
        pval=fit.pval,
        ci_lb=fit.ci_lb,
        ci_ub=fit.ci_ub,
        Q=fit.QE,
        Qp=fit.QEp,
        tau2=fit.tau2,
        I2=fit.I2,
        H2=fit.H2,
        k=fit.k,
    )


def _check(res: RmaResult) -> None:
    if res.p != 1:
        raise InvalidInputError("mods", "implemented for models without moderators")


def leave1out(res: RmaResult, cluster: Sequence[object] | None = None) -> tuple[RefitRow, ...]:
    """The model refitted without one study at a time (in the fitted order), or without one
    cluster at a time (``cluster``: a label per study; rows in order of first appearance,
    ``study`` = index of the cluster's first study)."""
    _check(res)
    labels: list[object] = list(range(res.k)) if cluster is None else list(cluster)
    if len(labels) != res.k:
        raise InvalidInputError("cluster", f"needs one label per fitted study ({res.k})")
    groups = list(dict.fromkeys(labels))
    if len(groups) < 2:
        raise InvalidInputError("yi", f"leave-one-out needs more studies, got {res.k}")
    rows = []
    arr = np.asarray(labels, dtype=object)
    for g in groups:
        keep = arr != g
        if keep.sum() < (2 if res.is_random else 1):
            raise InvalidInputError("yi", f"leave-one-out needs more studies, got {res.k}")
        fit = rma(res.yi[keep], res.vi[keep], method=res.method, test=res.test, level=res.level)
        rows.append(_row(labels.index(g), fit))
    return tuple(rows)


def cumul(res: RmaResult, order: Sequence[int] | None = None) -> tuple[RefitRow, ...]:
    """Cumulative meta-analysis: studies added one at a time in ``order`` (default as fitted).

    The first step holds one study; a random-effects method then has no tau² to estimate, so
    (as metafor does) it is fitted with tau² = 0.
    """
    _check(res)
    idx = list(range(res.k)) if order is None else [int(i) for i in order]
    if sorted(idx) != list(range(res.k)):
        raise InvalidInputError("order", f"must be a permutation of 0..{res.k - 1}")
    rows = []
    for step in range(1, res.k + 1):
        chosen = idx[:step]
        method = res.method if step >= 2 else "EE"
        test = res.test if step >= 2 else "z"
        fit = rma(res.yi[chosen], res.vi[chosen], method=method, test=test, level=res.level)
        rows.append(_row(chosen[-1], fit))
    return tuple(rows)
