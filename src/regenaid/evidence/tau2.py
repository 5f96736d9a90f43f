"""Estimators of the between-study variance tau² for the (mixed-effects) random-effects model.

All work on a k x p design matrix ``X`` (an intercept column for the plain random-effects
model) without forming k x k matrices, so they run in O(k p²). Notation follows
Viechtbauer (2005, J Educ Behav Stat 30:261-293) and the metafor documentation:
``W = diag(w)``, ``P = W - W X (X'WX)⁻¹ X'W``; ``Y'PY`` is the weighted residual sum of
squares (Cochran's Q when ``w = 1/v``).

Estimators (metafor's method names):

- ``DL``  DerSimonian & Laird (1986), method of moments with ``w = 1/v``.
- ``HE``  Hedges (1983), method of moments with unit weights.
- ``HS``  Hunter & Schmidt (2004): ``(Q - k) / sum(1/v)``; ``HSk`` multiplies by ``k/(k-p)``.
- ``SJ``  Sidik & Jonkman (2005), one step from ``tau²₀ = mean squared OLS residual``.
- ``ML``, ``REML``  maximum / restricted maximum likelihood by Fisher scoring
  (Viechtbauer 2005, eqs. 7 and 10; start at the HE estimate, step halving at 0).
- ``EB``  empirical Bayes (Morris 1983; Berkey et al. 1995) by the same iteration.
- ``PM``  Paule & Mandel (1982): the root of ``Q(tau²) = k - p`` (Brent's method).
- ``DLIT``, ``SJIT``  the DL and SJ updates iterated to convergence (they converge to PM).

Standard errors of tau² are the ones metafor reports (Viechtbauer 2005 and metafor's notes):
ML ``sqrt(2/sum w²)``, REML ``sqrt(2/tr(PP))``, EB/PM/SJIT/DLIT ``sqrt(2k²/(k-p)/(sum w)²)``,
moment estimators from the variance of the quadratic form they are based on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from scipy import optimize

from regenaid.errors import InvalidInputError
from regenaid.evidence._inputs import FloatArray

Method = Literal[
    "EE", "FE", "DL", "HE", "HS", "HSk", "SJ", "ML", "REML", "EB", "PM", "DLIT", "SJIT"
]
METHODS: Final[tuple[str, ...]] = (
    "EE",
    "FE",
    "DL",
    "HE",
    "HS",
    "HSk",
    "SJ",
    "ML",
    "REML",
    "EB",
    "PM",
    "DLIT",
    "SJIT",
)
MAX_ITER: Final = 1000
THRESHOLD: Final = 1e-10


@dataclass(frozen=True, slots=True)
class Tau2Estimate:
    tau2: float
    se_tau2: float | None
    iterations: int = 0


@dataclass(frozen=True, slots=True)
class WLS:
    """Weighted least squares fit: coefficients, (X'WX)⁻¹, residuals, ``Y'PY`` and ``tr(P)``."""

    beta: FloatArray
    inv: FloatArray
    resid: FloatArray
    rss: float
    trace_p: float


def wls(y: FloatArray, X: FloatArray, w: FloatArray) -> WLS:
    """Fit ``y ~ X`` with weights ``w`` and return the quantities every estimator needs."""
    Xw = X * w[:, None]
    xtwx = X.T @ Xw
    try:
        inv: FloatArray = np.linalg.inv(xtwx).astype(np.float64)
    except np.linalg.LinAlgError:
        raise InvalidInputError("mods", "the design matrix is not of full rank") from None
    beta = inv @ (Xw.T @ y)
    resid = y - X @ beta
    rss = float(np.dot(w, resid * resid))
    # tr(P) = sum(w) - tr((X'WX)⁻¹ X'W²X)
    trace_p = float(w.sum() - np.sum(inv * (Xw.T @ Xw)))
    return WLS(beta=beta, inv=inv, resid=resid, rss=rss, trace_p=trace_p)


def _trace_pp(X: FloatArray, w: FloatArray, inv: FloatArray) -> float:
    """tr(PP) = sum w² - 2 tr(A X'W³X) + tr((A X'W²X)²), with A = (X'WX)⁻¹."""
    w2 = w * w
    b = inv @ (X.T @ (X * w2[:, None]))
    c = inv @ (X.T @ (X * (w2 * w)[:, None]))
    return float(w2.sum() - 2.0 * np.trace(c) + np.sum(b * b.T))


def _trace_pv_p(X: FloatArray, w: FloatArray, v: FloatArray, inv: FloatArray) -> float:
    """sum(PV * P) = tr(V P P) = sum_i v_i (PP)_ii."""
    Xw = X * w[:, None]
    # P_ij = w_i d_ij - h_ij with h = W X A X' W; (PP)_ii = w_i² - 2 w_i h_ii + sum_j h_ij²
    h_diag = np.einsum("ij,jk,ik->i", Xw, inv, Xw)
    G = inv @ (Xw.T @ Xw) @ inv  # sum_j h_ij² = (Xw G Xw')_ii
    hh = np.einsum("ij,jk,ik->i", Xw, G, Xw)
    return float(np.dot(v, w * w - 2.0 * w * h_diag + hh))


def _trace_pvpv(X: FloatArray, w: FloatArray, v: FloatArray, inv: FloatArray) -> float:
    """tr(PVPV) for P built from weights ``w``."""
    Xw = X * w[:, None]
    a = w * v
    h_diag = np.einsum("ij,jk,ik->i", Xw, inv, Xw)
    # PV = diag(a) - H V, H = W X A X' W; tr(PVPV) = sum a² - 2 sum a_i h_ii v_i + tr(HVHV)
    B = inv @ (Xw.T @ (Xw * v[:, None]))  # A X'W V W X
    return float(np.dot(a, a) - 2.0 * np.dot(a * v, h_diag) + np.sum(B * B.T))


def q_gen(tau2: float, y: FloatArray, v: FloatArray, X: FloatArray) -> float:
    """Generalised Q statistic ``Y'P(tau²)Y`` with weights ``1/(v + tau²)``."""
    return wls(y, X, 1.0 / (v + tau2)).rss


def _moment_se(trace_p: float, df: int, tau2: float, tr_pp: float, scale: float) -> float:
    t = max(tau2, 0.0)
    return float(np.sqrt((2 * df + 4 * t * trace_p + 2 * t * t * tr_pp) / scale**2))


def _dl(y: FloatArray, v: FloatArray, X: FloatArray) -> Tau2Estimate:
    k, p = X.shape
    w = 1.0 / v
    fit = wls(y, X, w)
    tau2 = max(0.0, (fit.rss - (k - p)) / fit.trace_p)
    se = _moment_se(fit.trace_p, k - p, tau2, _trace_pp(X, w, fit.inv), fit.trace_p)
    return Tau2Estimate(tau2, se)


def _hs(y: FloatArray, v: FloatArray, X: FloatArray, k_adjust: bool) -> Tau2Estimate:
    k, p = X.shape
    w = 1.0 / v
    fit = wls(y, X, w)
    tau2 = max(0.0, (fit.rss - k) / w.sum())
    se = _moment_se(fit.trace_p, k - p, tau2, _trace_pp(X, w, fit.inv), float(w.sum()))
    if k_adjust:
        return Tau2Estimate(tau2 * k / (k - p), se * k / (k - p))
    return Tau2Estimate(tau2, se)


def _he(y: FloatArray, v: FloatArray, X: FloatArray) -> Tau2Estimate:
    k, p = X.shape
    ones = np.ones(k)
    fit = wls(y, X, ones)
    inv = fit.inv
    # tr(PV) with P = I - X (X'X)⁻¹ X'
    h_diag = np.einsum("ij,jk,ik->i", X, inv, X)
    trace_pv = float(np.dot(v, 1.0 - h_diag))
    tau2 = max(0.0, (fit.rss - trace_pv) / (k - p))
    tr_pvpv = _trace_pvpv(X, ones, v, inv)
    t = tau2
    se = float(np.sqrt((2 * tr_pvpv + 4 * t * trace_pv + 2 * t * t * (k - p)) / (k - p) ** 2))
    return Tau2Estimate(tau2, se)


def _sj_start(y: FloatArray, X: FloatArray) -> float:
    k = len(y)
    resid = wls(y, X, np.ones(k)).resid
    start = float(np.mean((resid - resid.mean()) ** 2))
    if start <= 0:
        # all residuals equal: metafor's SJ cannot move from 0 either; use a tiny start
        start = 1e-12
    return start


def _sj(y: FloatArray, v: FloatArray, X: FloatArray) -> Tau2Estimate:
    k, p = X.shape
    tau2_0 = _sj_start(y, X)
    w = 1.0 / (v + tau2_0)
    fit = wls(y, X, w)
    tau2 = tau2_0 * fit.rss / (k - p)
    t = max(tau2, 0.0)
    tr_pvpv = _trace_pvpv(X, w, v, fit.inv)
    tr_pvp = _trace_pv_p(X, w, v, fit.inv)
    tr_pp = _trace_pp(X, w, fit.inv)
    se = float(
        np.sqrt(tau2_0**2 / (k - p) ** 2 * (2 * tr_pvpv + 4 * t * tr_pvp + 2 * t * t * tr_pp))
    )
    return Tau2Estimate(tau2, se)


def _se_eb_pm(v: FloatArray, tau2: float, k: int, p: int) -> float:
    w = 1.0 / (v + tau2)
    return float(np.sqrt(2.0 * k * k / (k - p) / w.sum() ** 2))


def _fisher_scoring(
    method: Literal["ML", "REML", "EB"], y: FloatArray, v: FloatArray, X: FloatArray
) -> Tau2Estimate:
    k, p = X.shape
    tau2 = _he(y, v, X).tau2
    iteration = 0
    while iteration < MAX_ITER:
        iteration += 1
        w = 1.0 / (v + tau2)
        fit = wls(y, X, w)
        if method == "ML":
            ypp_y = float(np.dot(w * w, fit.resid**2))
            adj = (ypp_y - float(w.sum())) / float(np.dot(w, w))
        elif method == "REML":
            ypp_y = float(np.dot(w * w, fit.resid**2))
            adj = (ypp_y - fit.trace_p) / _trace_pp(X, w, fit.inv)
        else:
            adj = (fit.rss * k / (k - p) - k) / float(w.sum())
        while tau2 + adj < 0:
            adj /= 2.0
        tau2 += adj
        if abs(adj) <= THRESHOLD * max(1.0, tau2):
            break
    if iteration >= MAX_ITER and abs(adj) > THRESHOLD * max(1.0, tau2):
        raise InvalidInputError(
            "method", f"{method} estimation of tau² did not converge in {MAX_ITER} iterations"
        )
    w = 1.0 / (v + tau2)
    if method == "ML":
        se = float(np.sqrt(2.0 / np.dot(w, w)))
    elif method == "REML":
        se = float(np.sqrt(2.0 / _trace_pp(X, w, wls(y, X, w).inv)))
    else:
        se = _se_eb_pm(v, tau2, k, p)
    return Tau2Estimate(max(tau2, 0.0), se, iteration)


def q_profile_root(
    target: float, y: FloatArray, v: FloatArray, X: FloatArray, upper_hint: float
) -> float:
    """The tau² >= 0 at which the generalised Q equals ``target`` (Q decreases in tau²).

    Returns 0 when ``Q(0) <= target``. The bracket is grown by doubling from ``upper_hint``,
    then Brent's method finds the root (Viechtbauer 2007, Stat Med 26:37-52).
    """
    if q_gen(0.0, y, v, X) <= target:
        return 0.0
    hi = max(upper_hint, 1e-8 * float(np.var(y) + 1.0), float(np.median(v)))
    for _ in range(200):
        if q_gen(hi, y, v, X) < target:
            break
        hi *= 2.0
    else:
        raise InvalidInputError("yi", "could not bracket tau² for the Q-profile")
    root = optimize.brentq(
        lambda t: q_gen(t, y, v, X) - target, 0.0, hi, xtol=1e-12, rtol=1e-12, maxiter=500
    )
    return float(root)


def _pm(y: FloatArray, v: FloatArray, X: FloatArray) -> Tau2Estimate:
    k, p = X.shape
    tau2 = q_profile_root(float(k - p), y, v, X, upper_hint=float(np.var(y)))
    return Tau2Estimate(tau2, _se_eb_pm(v, tau2, k, p))


def _iterated(
    method: Literal["DLIT", "SJIT"], y: FloatArray, v: FloatArray, X: FloatArray
) -> Tau2Estimate:
    k, p = X.shape
    tau2 = _dl(y, v, X).tau2 if method == "DLIT" else _sj_start(y, X)
    iteration = 0
    while iteration < MAX_ITER:
        iteration += 1
        w = 1.0 / (v + tau2)
        fit = wls(y, X, w)
        if method == "DLIT":
            # generalised moment step with weights a = 1/(v + tau²_old): (Q_a - tr(P_a V))/tr(P_a),
            # where tr(P_a V) = (k - p) - tau²_old tr(P_a) because P_a (V + tau²I) is a projection
            tr_pv = (k - p) - tau2 * fit.trace_p
            new = max(0.0, (fit.rss - tr_pv) / fit.trace_p)
        else:
            new = tau2 * fit.rss / (k - p)
        change = abs(new - tau2)
        tau2 = new
        if change <= THRESHOLD * max(1.0, tau2):
            break
    if iteration >= MAX_ITER and change > THRESHOLD * max(1.0, tau2):
        raise InvalidInputError(
            "method", f"{method} estimation of tau² did not converge in {MAX_ITER} iterations"
        )
    if method == "DLIT":
        w = 1.0 / v
        fit = wls(y, X, w)
        se = _moment_se(fit.trace_p, k - p, tau2, _trace_pp(X, w, fit.inv), fit.trace_p)
    else:
        se = _se_eb_pm(v, tau2, k, p)
    return Tau2Estimate(tau2, se, iteration)


def estimate_tau2(method: str, y: FloatArray, v: FloatArray, X: FloatArray) -> Tau2Estimate:
    """tau² and its SE by ``method`` (see the module docstring); 0 for ``EE``/``FE``."""
    k, p = X.shape
    if method in ("EE", "FE"):
        return Tau2Estimate(0.0, None)
    if k - p < 1:
        raise InvalidInputError(
            "yi", f"method {method} needs at least {p + 1} studies to estimate tau², got {k}"
        )
    if method == "DL":
        return _dl(y, v, X)
    if method in ("HS", "HSk"):
        return _hs(y, v, X, k_adjust=method == "HSk")
    if method == "HE":
        return _he(y, v, X)
    if method == "SJ":
        return _sj(y, v, X)
    if method in ("ML", "REML", "EB"):
        return _fisher_scoring(method, y, v, X)  # type: ignore[arg-type]
    if method == "PM":
        return _pm(y, v, X)
    if method in ("DLIT", "SJIT"):
        return _iterated(method, y, v, X)  # type: ignore[arg-type]
    raise InvalidInputError("method", f"unknown method {method!r}", allowed=METHODS)
