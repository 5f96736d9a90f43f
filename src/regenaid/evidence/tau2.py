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

import math
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np

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
    """Fit ``y ~ X`` with weights ``w`` and return the quantities every estimator needs.

    A single-column design (the plain random-effects model) takes a vector-only path.
    """
    if X.shape[1] == 1:
        x = X[:, 0]
        wx = w * x
        sxx = float(np.dot(wx, x))
        if not sxx > 0:
            raise InvalidInputError("mods", "the design matrix is not of full rank")
        b = float(np.dot(wx, y)) / sxx
        resid = y - b * x
        rss = float(np.dot(w, resid * resid))
        trace_p = float(w.sum()) - float(np.dot(wx, wx)) / sxx
        return WLS(
            beta=np.array([b]), inv=np.array([[1.0 / sxx]]), resid=resid, rss=rss, trace_p=trace_p
        )
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
    if X.shape[1] == 1:
        x2 = X[:, 0] * X[:, 0]
        a = float(inv[0, 0])
        b = a * float(np.dot(w2, x2))
        c = a * float(np.dot(w2 * w, x2))
        return float(w2.sum()) - 2.0 * c + b * b
    b_mat = inv @ (X.T @ (X * w2[:, None]))
    c_mat = inv @ (X.T @ (X * (w2 * w)[:, None]))
    return float(w2.sum() - 2.0 * np.trace(c_mat) + np.sum(b_mat * b_mat.T))


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


def _he_start(y: FloatArray, v: FloatArray, X: FloatArray) -> float:
    """The HE estimate (without its SE), metafor's starting value for ML/REML/EB."""
    k, p = X.shape
    if p == 1 and np.all(X[:, 0] == 1.0):
        resid = y - y.mean()
        trace_pv = float(v.sum()) * (k - 1) / k
        return max(0.0, float((float(np.dot(resid, resid)) - trace_pv) / (k - 1)))
    return _he(y, v, X).tau2


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
    tau2 = _he_start(y, v, X)
    if method == "REML" and p == 1 and bool(np.all(X[:, 0] == 1.0)):
        tau2, used = _reml_newton(y, v, tau2)
        w = 1.0 / (v + tau2)
        se = float(np.sqrt(2.0 / _trace_pp(X, w, np.array([[1.0 / float(w.sum())]]))))
        return Tau2Estimate(tau2, se, used)
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


def _reml_newton(y: FloatArray, v: FloatArray, start: float) -> tuple[float, int]:
    """REML tau² of the intercept-only model by Newton-Raphson on the restricted score.

    Score ``U = (Y'PPY - tr P)/2``; observed information ``Y'PPPY - tr(PP)/2`` (from
    ``dP/dtau² = -PP``); Fisher's step ``(Y'PPY - tr P)/tr(PP)`` (metafor's) is used where the
    observed information is not positive. Steps below 0 are halved, and when the score at 0 is
    not positive the maximum is on the boundary, tau² = 0. Same optimum as metafor's Fisher
    scoring, reached in fewer iterations.
    """
    t = start
    for iteration in range(1, MAX_ITER + 1):
        w = 1.0 / (v + t)
        s1 = float(w.sum())
        r = y - float(np.dot(w, y)) / s1
        a = w * r
        w2 = w * w
        s2 = float(w2.sum())
        tr_p = s1 - s2 / s1
        tr_pp = s2 - 2.0 * float(np.dot(w2, w)) / s1 + (s2 / s1) ** 2
        ypp = float(np.dot(a, a))
        observed = float(np.dot(w, a * a)) - float(np.dot(w, a)) ** 2 / s1 - 0.5 * tr_pp
        step = 0.5 * (ypp - tr_p) / observed if observed > 0 else (ypp - tr_p) / tr_pp
        if t + step < 0:
            if _reml_score_at_zero(y, v) <= 0:
                return 0.0, iteration
            while t + step < 0:
                step /= 2.0
        t += step
        if abs(step) <= THRESHOLD * max(1.0, t):
            return t, iteration
    raise InvalidInputError(
        "method", f"REML estimation of tau² did not converge in {MAX_ITER} iterations"
    )


def _reml_score_at_zero(y: FloatArray, v: FloatArray) -> float:
    w = 1.0 / v
    s1 = float(w.sum())
    a = w * (y - float(np.dot(w, y)) / s1)
    return float(np.dot(a, a)) - (s1 - float(np.dot(w, w)) / s1)


def q_profile_root(
    target: float, y: FloatArray, v: FloatArray, X: FloatArray, upper_hint: float
) -> float:
    """The tau² >= 0 at which the generalised Q equals ``target`` (Q decreases in tau²)."""
    return float(q_profile_roots(np.array([target]), y, v, X, upper_hint)[0])


def q_profile_roots(
    targets: FloatArray,
    y: FloatArray,
    v: FloatArray,
    X: FloatArray,
    upper_hint: float = 1.0,
    q0: float | None = None,
) -> FloatArray:
    """For each target, the tau² >= 0 where the generalised Q equals it (0 if Q(0) <= target).

    Q(tau²) = Y'P(tau²)Y decreases in tau², and 1/Q is close to linear in tau², so Newton's
    method is run on ``h(t) = 1/Q(t) - 1/target`` with ``dQ/dt = -sum w² r²`` (the moderator
    term drops out by the normal equations), safeguarded by a bracket with bisection
    (Viechtbauer 2007, Stat Med 26:37-52, for the Q-profile). ``q0`` is Q(0) if known.
    """
    targets = np.asarray(targets, dtype=np.float64)
    if q0 is None:
        q0 = q_gen(0.0, y, v, X)
    scale = max(float(v.mean()), upper_hint * 1e-12, 1e-300)
    intercept_only = X.shape[1] == 1 and bool(np.all(X[:, 0] == 1.0))
    out = np.zeros_like(targets)
    for i, target in enumerate(targets):
        if q0 > target:
            out[i] = _solve_q(float(target), q0, y, v, X, scale, intercept_only)
    return out


def _solve_q(
    target: float,
    q0: float,
    y: FloatArray,
    v: FloatArray,
    X: FloatArray,
    scale: float,
    intercept_only: bool,
) -> float:
    inv_goal = 1.0 / target
    lo, hi = 0.0, math.inf
    t = 0.0
    q = q0
    dq = _q_slope(0.0, y, v, X, intercept_only)[1]
    for _ in range(200):
        h = 1.0 / q - inv_goal
        if h < 0:
            lo = t
        else:
            hi = t
        slope = -dq / (q * q)
        new = t - h / slope if slope > 0 else math.inf
        if not (lo < new < hi) or not math.isfinite(new):
            new = 0.5 * (lo + hi) if math.isfinite(hi) else max(2.0 * t, scale)
        if abs(new - t) <= 1e-12 * max(new, scale):
            return new
        t = new
        q, dq = _q_slope(t, y, v, X, intercept_only)
    raise InvalidInputError("yi", "the Q-profile root finder did not converge")


def _q_slope(
    t: float, y: FloatArray, v: FloatArray, X: FloatArray, intercept_only: bool
) -> tuple[float, float]:
    """Generalised Q at tau² = t and its derivative ``-sum w² r²``."""
    w = 1.0 / (v + t)
    r = y - float(np.dot(w, y)) / float(w.sum()) if intercept_only else wls(y, X, w).resid
    wr = w * r
    return float(np.dot(wr, r)), -float(np.dot(wr, wr))


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
