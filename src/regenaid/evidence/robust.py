"""Cluster-robust (sandwich) inference for a fitted model (metafor's ``robust``).

``V_robust = B (sum_c X_c' W_c e_c e_c' W_c X_c) B`` with ``B = (X'WX)⁻¹``, the model's weights
``W`` and residuals ``e``; with ``adjust=True`` it is multiplied by ``n/(n - p)`` (CR1, n the
number of clusters). Tests and intervals use the t distribution with ``n - p`` degrees of
freedom (Hedges, Tipton & Johnson 2010, Res Synth Methods 1:39-65; metafor's ``robust``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from regenaid.errors import InvalidInputError
from regenaid.evidence._inputs import FloatArray
from regenaid.evidence.rma import RmaResult
from regenaid.evidence.tau2 import wls


@dataclass(frozen=True, slots=True, eq=False)
class RobustResult:
    beta: tuple[float, ...]
    se: tuple[float, ...]
    tval: tuple[float, ...]
    pval: tuple[float, ...]
    ci_lb: tuple[float, ...]
    ci_ub: tuple[float, ...]
    df: int
    clusters: int
    vb: FloatArray = field(repr=False)
    tau2: float = 0.0

    @property
    def estimate(self) -> float:
        return self.beta[0]

    def predict(self, level: float = 95) -> tuple[float, float, float, float, float]:
        """(pred, ci_lb, ci_ub, pi_lb, pi_ub) of the intercept with t(df) critical values."""
        crit = float(special.stdtrit(self.df, 1 - (1 - level / 100) / 2))
        se = self.se[0]
        half_pi = crit * float(np.sqrt(se**2 + self.tau2))
        b = self.beta[0]
        return b, b - crit * se, b + crit * se, b - half_pi, b + half_pi


def robust(
    res: RmaResult, cluster: Sequence[object] | None = None, adjust: bool = True
) -> RobustResult:
    """Sandwich covariance with one cluster per study (default) or per ``cluster`` label."""
    labels = list(range(res.k)) if cluster is None else list(cluster)
    if len(labels) != res.k:
        raise InvalidInputError("cluster", f"needs one label per fitted study ({res.k})")
    groups: dict[object, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(label, []).append(i)
    n = len(groups)
    p = res.p
    if n <= p:
        raise InvalidInputError("cluster", f"needs more than {p} clusters, got {n}")
    w = 1.0 / (res.vi + res.tau2)
    bread = wls(res.yi, res.X, w).inv
    score = res.X * (w * res.residuals())[:, None]
    meat = np.zeros((p, p))
    for rows in groups.values():
        s = score[rows].sum(axis=0)
        meat += np.outer(s, s)
    vb = bread @ meat @ bread
    if adjust:
        vb = vb * n / (n - p)
    df = n - p
    beta = np.asarray(res.beta)
    se = np.sqrt(np.diag(vb))
    t = beta / se
    crit = float(special.stdtrit(df, 1 - (1 - res.level / 100) / 2))
    return RobustResult(
        beta=tuple(float(b) for b in beta),
        se=tuple(float(x) for x in se),
        tval=tuple(float(x) for x in t),
        pval=tuple(float(x) for x in 2 * special.stdtr(df, -np.abs(t))),
        ci_lb=tuple(float(x) for x in beta - crit * se),
        ci_ub=tuple(float(x) for x in beta + crit * se),
        df=df,
        clusters=n,
        vb=vb,
        tau2=res.tau2,
    )
