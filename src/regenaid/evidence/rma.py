"""Fixed- and random-effects meta-analysis (metafor's ``rma.uni``), confint and predict.

Model: ``y_i = x_i'beta + u_i + e_i`` with ``e_i ~ N(0, v_i)`` and ``u_i ~ N(0, tau²)``
(``tau² = 0`` for the equal-effects model ``EE``/``FE``). ``beta`` is estimated by weighted least
squares with weights ``1/(v_i + tau²)`` once tau² is estimated (see :mod:`.tau2`).

- ``test="z"``: Wald tests and CIs from the standard normal.
- ``test="knha"``: Knapp & Hartung (2003, Stat Med 22:2693-2710): the variance of beta is
  multiplied by ``s² = sum w_i r_i² / (k - p)`` (not truncated at 1, as metafor's ``"knha"``),
  and tests and CIs use the t distribution with ``k - p`` degrees of freedom.
- Heterogeneity: ``QE`` is Cochran's Q with ``w = 1/v`` (residual Q with moderators).
  For random-effects models ``I² = 100 tau²/(tau² + s̃²)`` and ``H² = (tau² + s̃²)/s̃²`` with the
  "typical" within-study variance ``s̃² = (k - p)/tr(P)`` at ``w = 1/v`` (Higgins & Thompson 2002,
  Stat Med 21:1539-58; generalised as in metafor). For ``EE``/``FE``: ``I² = (QE - (k-p))/QE``
  (truncated at 0) and ``H² = QE/(k - p)``.
- :meth:`RmaResult.confint`: Q-profile CI for tau² (Viechtbauer 2007, Stat Med 26:37-52): the
  tau² values at which the generalised Q equals the chi² (k-p) quantiles; tau, I² and H² limits
  are transformed from them.
- :meth:`RmaResult.predict`: ``pred ± crit sqrt(se² + tau²)`` (Riley et al. 2011, BMJ 342:d549
  with metafor's convention: z critical value, or t(k-p) under knha).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
from scipy import special

from regenaid.errors import InvalidInputError
from regenaid.evidence._inputs import ArrayLike, FloatArray, clean_for_fit
from regenaid.evidence.tau2 import METHODS, estimate_tau2, q_profile_roots, wls

Test = Literal["z", "knha"]
TESTS: Final = ("z", "knha")


@dataclass(frozen=True, slots=True)
class ConfInt:
    """Estimate with lower and upper confidence limits."""

    estimate: float
    ci_lb: float
    ci_ub: float


@dataclass(frozen=True, slots=True)
class HeterogeneityCI:
    """``confint()`` of a random-effects model: Q-profile limits for tau², tau, I² and H²."""

    tau2: ConfInt
    tau: ConfInt
    I2: ConfInt
    H2: ConfInt
    level: float


@dataclass(frozen=True, slots=True)
class Prediction:
    """``predict()``: the average effect with its CI and the prediction interval."""

    pred: float
    se: float
    ci_lb: float
    ci_ub: float
    pi_lb: float
    pi_ub: float


@dataclass(frozen=True, slots=True, eq=False)
class PredictionTable:
    """``predict_new()`` / ``lincomb()``: one row per requested combination of coefficients."""

    pred: FloatArray = field(repr=False)
    se: FloatArray = field(repr=False)
    zval: FloatArray = field(repr=False)  # (pred - rhs)/se; t statistic under knha
    pval: FloatArray = field(repr=False)
    ci_lb: FloatArray = field(repr=False)
    ci_ub: FloatArray = field(repr=False)
    pi_lb: FloatArray = field(repr=False)
    pi_ub: FloatArray = field(repr=False)


@dataclass(frozen=True, slots=True)
class WaldTest:
    """Joint test of coefficients or combinations: ``QM`` (chi²) or, under knha, ``F``."""

    QM: float
    df: int
    pval: float
    F: float | None = None
    df2: int | None = None


@dataclass(frozen=True, slots=True)
class FitStats:
    """Log-likelihood, deviance and information criteria (metafor's ``fitstats``)."""

    logLik: float
    deviance: float
    AIC: float
    BIC: float
    AICc: float


@dataclass(frozen=True, slots=True, eq=False)
class RmaResult:
    """A fitted model (frozen). ``estimate``... refer to the intercept (the pooled effect).

    With moderators, ``beta``, ``se_beta``, ``zval_beta``, ``pval_beta``, ``ci_lb_beta`` and
    ``ci_ub_beta`` hold every coefficient (intercept first) and ``QM``/``QMp`` test the
    moderators. ``zval`` holds the test statistic (also under knha, where ``tval`` equals it
    and ``df`` is ``k - p``). ``dropped`` lists 0-based indices of studies left out because a
    value was missing (metafor's ``na.omit``).
    """

    estimate: float
    se: float
    zval: float
    pval: float
    ci_lb: float
    ci_ub: float
    tau2: float
    se_tau2: float | None
    I2: float
    H2: float
    QE: float
    QEp: float
    k: int
    p: int
    method: str
    test: Test
    level: float
    tval: float | None
    df: int | None
    beta: tuple[float, ...]
    se_beta: tuple[float, ...]
    zval_beta: tuple[float, ...]
    pval_beta: tuple[float, ...]
    ci_lb_beta: tuple[float, ...]
    ci_ub_beta: tuple[float, ...]
    QM: float | None
    QMp: float | None
    weights: FloatArray = field(repr=False)  # percent weight of each study in the fit
    dropped: tuple[int, ...]
    yi: FloatArray = field(repr=False)
    vi: FloatArray = field(repr=False)
    X: FloatArray = field(repr=False)
    vt: float = field(repr=False)  # typical within-study variance (k - p)/tr(P) at w = 1/v
    vb: FloatArray = field(repr=False)  # covariance matrix of the coefficients
    tau2_iterations: int = 0

    @property
    def tau(self) -> float:
        return float(np.sqrt(self.tau2))

    @property
    def is_random(self) -> bool:
        return self.method not in ("EE", "FE")

    def fitted(self) -> FloatArray:
        """Fitted values ``X b`` of the studies in the fit."""
        return np.asarray(self.X @ np.asarray(self.beta), dtype=np.float64)

    def residuals(self) -> FloatArray:
        """Raw residuals ``y - X b``."""
        return np.asarray(self.yi - self.fitted(), dtype=np.float64)

    def fitted_se(self) -> FloatArray:
        """Standard errors of the fitted values, ``sqrt(diag(X V_b X'))``."""
        quad = np.einsum("ij,jk,ik->i", self.X, self.vb, self.X)
        return np.asarray(np.sqrt(quad), dtype=np.float64)

    def hatvalues(self) -> FloatArray:
        """Diagonal of the hat matrix ``W^½ X (X'WX)⁻¹ X' W^½`` with ``w = 1/(v + tau²)``."""
        w = 1.0 / (self.vi + self.tau2)
        fit = wls(self.yi, self.X, w)
        h = np.einsum("ij,jk,ik->i", self.X, fit.inv, self.X) * w
        return np.asarray(h, dtype=np.float64)

    def fitstats(self, method: str | None = None) -> FitStats:
        """Fit statistics under the ML or REML likelihood (default: the model's own for ML/REML,
        ML otherwise), as metafor: the ML deviance is -2 times the log-likelihood minus that of
        the saturated model; the REML log-likelihood includes ``+ log|X'X|/2`` (metafor's
        ``REMLf=TRUE``); tau² counts as a parameter for random-effects models.
        """
        kind = method or ("REML" if self.method == "REML" else "ML")
        if kind not in ("ML", "REML"):
            raise InvalidInputError("method", f"unknown likelihood {kind!r}", ("ML", "REML"))
        k, p = self.k, self.p
        total = self.vi + self.tau2
        w = 1.0 / total
        resid = self.yi - self.X @ np.asarray(self.beta)
        rss = float(np.dot(w, resid * resid))
        log_det = float(np.sum(np.log(total)))
        if kind == "ML":
            ll = -0.5 * (k * math.log(2 * math.pi) + log_det + rss)
            saturated = -0.5 * float(np.sum(np.log(2 * math.pi * self.vi)))
            deviance = -2.0 * (ll - saturated)
            n = k
        else:
            _, logdet_xx = np.linalg.slogdet(self.X.T @ self.X)
            _, logdet_xwx = np.linalg.slogdet(self.X.T @ (self.X * w[:, None]))
            ll = (
                -0.5 * (k - p) * math.log(2 * math.pi)
                + 0.5 * float(logdet_xx)
                - 0.5 * log_det
                - 0.5 * float(logdet_xwx)
                - 0.5 * rss
            )
            deviance = -2.0 * ll
            n = k - p
        params = p + (1 if self.is_random else 0)
        aic = -2.0 * ll + 2 * params
        bic = -2.0 * ll + params * math.log(n)
        aicc = aic + 2 * params * (params + 1) / max(n - params - 1, 1)
        return FitStats(logLik=ll, deviance=deviance, AIC=aic, BIC=bic, AICc=aicc)

    def confint(self, level: float | None = None) -> HeterogeneityCI:
        """Q-profile confidence intervals for tau², tau, I² and H² (metafor's default)."""
        if not self.is_random:
            raise InvalidInputError("method", "confint() of tau² needs a random-effects model")
        lvl = self.level if level is None else _check_level(level)
        alpha = 1.0 - lvl / 100.0
        dfree = self.k - self.p
        if dfree < 1:
            raise InvalidInputError("yi", "the Q-profile needs k - p >= 1")
        targets = special.chdtri(dfree, np.array([alpha / 2, 1 - alpha / 2]))
        roots = q_profile_roots(targets, self.yi, self.vi, self.X, q0=self.QE)
        lb, ub = float(roots[0]), float(roots[1])
        vt = self.vt
        return HeterogeneityCI(
            tau2=ConfInt(self.tau2, lb, ub),
            tau=ConfInt(self.tau, float(np.sqrt(lb)), float(np.sqrt(ub))),
            I2=ConfInt(self.I2, 100 * lb / (vt + lb), 100 * ub / (vt + ub)),
            H2=ConfInt(self.H2, (vt + lb) / vt, (vt + ub) / vt),
            level=lvl,
        )

    def predict(self, level: float | None = None) -> Prediction:
        """Average effect with CI and prediction interval (intercept-only models)."""
        if self.p != 1:
            raise InvalidInputError(
                "mods", "predict() is implemented for models without moderators"
            )
        lvl = self.level if level is None else _check_level(level)
        crit = _critical(lvl, self.test, self.df)
        half_ci = crit * self.se
        half_pi = crit * float(np.sqrt(self.se**2 + self.tau2))
        return Prediction(
            pred=self.estimate,
            se=self.se,
            ci_lb=self.estimate - half_ci,
            ci_ub=self.estimate + half_ci,
            pi_lb=self.estimate - half_pi,
            pi_ub=self.estimate + half_pi,
        )

    def lincomb(
        self, L: FloatArray | Sequence[Sequence[float]], rhs: float | Sequence[float] = 0.0
    ) -> PredictionTable:
        """Linear combinations ``L b`` (one row per combination, a column per coefficient,
        intercept first) with SEs, CIs, prediction intervals and tests against ``rhs``
        (metafor's ``anova(res, X=L)`` / ``predict``; t with k - p df under knha)."""
        Lm, target = self._contrast(L, rhs)
        est = Lm @ np.asarray(self.beta)
        se = np.sqrt(np.einsum("ij,jk,ik->i", Lm, self.vb, Lm))
        stat = (est - target) / se
        crit = _critical(self.level, self.test, self.df)
        if self.test == "knha":
            pvals = 2 * special.stdtr(self.df, -np.abs(stat))
        else:
            pvals = 2 * special.ndtr(-np.abs(stat))
        half_pi = crit * np.sqrt(se**2 + self.tau2)
        return PredictionTable(
            pred=est,
            se=se,
            zval=stat,
            pval=pvals,
            ci_lb=est - crit * se,
            ci_ub=est + crit * se,
            pi_lb=est - half_pi,
            pi_ub=est + half_pi,
        )

    def wald_lincomb(
        self, L: FloatArray | Sequence[Sequence[float]], rhs: float | Sequence[float] = 0.0
    ) -> WaldTest:
        """Joint Wald test of ``L b = rhs`` (rows of ``L`` must be linearly independent);
        F with (m, k - p) df under knha, as metafor's ``anova(res, X=L)``."""
        Lm, target = self._contrast(L, rhs)
        m = Lm.shape[0]
        if np.linalg.matrix_rank(Lm) < m:
            raise InvalidInputError("L", "the rows must be linearly independent for a joint test")
        diff = Lm @ np.asarray(self.beta) - target
        qm = float(diff @ np.linalg.solve(Lm @ self.vb @ Lm.T, diff))
        if self.test == "knha":
            f = qm / m
            return WaldTest(QM=qm, df=m, pval=float(special.fdtrc(m, self.df, f)), F=f, df2=self.df)
        return WaldTest(QM=qm, df=m, pval=float(special.chdtrc(m, qm)))

    def _contrast(
        self, L: FloatArray | Sequence[Sequence[float]], rhs: float | Sequence[float]
    ) -> tuple[FloatArray, FloatArray]:
        Lm = np.atleast_2d(np.asarray(L, dtype=np.float64))
        if Lm.ndim != 2 or Lm.shape[1] != self.p:
            raise InvalidInputError("L", f"needs {self.p} columns (one per coefficient)")
        target = np.broadcast_to(np.asarray(rhs, dtype=np.float64), (Lm.shape[0],))
        return Lm, np.asarray(target, dtype=np.float64)

    def predict_new(
        self, newmods: FloatArray | Sequence[Sequence[float]] | Sequence[float]
    ) -> PredictionTable:
        """Predicted average effects at new moderator values (rows; the intercept is added),
        with CIs and prediction intervals (metafor's ``predict(res, newmods=...)``)."""
        new = np.asarray(newmods, dtype=np.float64)
        if new.ndim == 1:
            new = new.reshape(-1, 1) if self.p == 2 else new.reshape(1, -1)
        if new.shape[1] != self.p - 1:
            raise InvalidInputError("newmods", f"needs {self.p - 1} columns (one per moderator)")
        return self.lincomb(np.column_stack([np.ones(len(new)), new]))

    def wald(self, btt: Sequence[int]) -> WaldTest:
        """Joint test that the coefficients ``btt`` (0-based, intercept = 0) are all zero."""
        idx = sorted({int(i) for i in btt})
        if not idx or idx[0] < 0 or idx[-1] >= self.p:
            raise InvalidInputError("btt", f"indices must lie within 0..{self.p - 1}")
        L = np.zeros((len(idx), self.p))
        L[np.arange(len(idx)), idx] = 1.0
        return self.wald_lincomb(L)


def _check_level(level: float) -> float:
    if not 0 < level < 100:
        raise InvalidInputError("level", f"must be between 0 and 100 (percent), got {level}")
    return float(level)


def _critical(level: float, test: Test, df: int | None) -> float:
    q = 1 - (1 - level / 100) / 2
    if test == "knha":
        return float(special.stdtrit(df, q))
    return float(special.ndtri(q))


def rma(
    yi: ArrayLike,
    vi: ArrayLike,
    method: str = "REML",
    test: str = "z",
    level: float = 95,
    mods: FloatArray | Sequence[Sequence[float]] | Sequence[float] | None = None,
    intercept: bool = True,
) -> RmaResult:
    """Fit a meta-analytic model to effect sizes ``yi`` with sampling variances ``vi``.

    ``method``: EE/FE, DL, HE, HS, HSk, SJ, ML, REML, EB, PM, DLIT, SJIT (see :mod:`.tau2`).
    ``test``: ``"z"`` or ``"knha"``. ``mods``: optional moderators (k x q, an intercept is added).
    Studies with a missing ``yi``/``vi``/moderator are dropped and listed in ``dropped``.
    """
    if method not in METHODS:
        raise InvalidInputError("method", f"unknown method {method!r}", allowed=METHODS)
    if test not in TESTS:
        raise InvalidInputError("test", f"unknown test {test!r}", allowed=TESTS)
    lvl = _check_level(level)
    data = clean_for_fit(yi, vi, mods, intercept=intercept)
    y, v, X = data.yi, data.vi, data.X
    k, p = X.shape
    if k == 0:
        raise InvalidInputError("yi", "no study has both yi and vi")
    if k < p:
        raise InvalidInputError("yi", f"{k} studies are too few for {p} coefficients")
    if test == "knha" and k - p < 1:
        raise InvalidInputError("test", "knha needs at least one residual degree of freedom")
    est = estimate_tau2(method, y, v, X)
    tau2 = est.tau2
    w = 1.0 / (v + tau2)
    fit = wls(y, X, w)
    vb = fit.inv
    dfree: int | None = None
    if test == "knha":
        s2 = fit.rss / (k - p)
        vb = vb * s2
        dfree = k - p
    se_beta = np.sqrt(np.diag(vb))
    stat = fit.beta / se_beta
    crit = _critical(lvl, test, dfree)  # type: ignore[arg-type]
    if test == "knha":
        pvals = 2 * special.stdtr(dfree, -np.abs(stat))
    else:
        pvals = 2 * special.ndtr(-np.abs(stat))
    fe = fit if tau2 == 0.0 and method in ("EE", "FE") else wls(y, X, 1.0 / v)
    qe = fe.rss
    qep = float(special.chdtrc(k - p, qe)) if k - p > 0 else 1.0
    vt = (k - p) / fe.trace_p if k - p > 0 else float("nan")
    if method in ("EE", "FE"):
        i2 = max(0.0, 100 * (qe - (k - p)) / qe) if k - p > 0 and qe > 0 else 0.0
        h2 = qe / (k - p) if k - p > 0 else 1.0
    else:
        i2 = 100 * tau2 / (vt + tau2)
        h2 = (vt + tau2) / vt
    qm: float | None = None
    qmp: float | None = None
    first = 1 if intercept else 0  # metafor tests every coefficient but the intercept
    if p > first:
        m = p - first
        b2 = fit.beta[first:]
        qm = float(b2 @ np.linalg.solve(vb[first:, first:], b2))
        if test == "knha":
            qm /= m  # F statistic, as metafor reports under knha
            qmp = float(special.fdtrc(m, k - p, qm))
        else:
            qmp = float(special.chdtrc(m, qm))
    return RmaResult(
        estimate=float(fit.beta[0]),
        se=float(se_beta[0]),
        zval=float(stat[0]),
        pval=float(pvals[0]),
        ci_lb=float(fit.beta[0] - crit * se_beta[0]),
        ci_ub=float(fit.beta[0] + crit * se_beta[0]),
        tau2=tau2,
        se_tau2=est.se_tau2,
        I2=float(i2),
        H2=float(h2),
        QE=qe,
        QEp=qep,
        k=k,
        p=p,
        method=method,
        test=test,  # type: ignore[arg-type]
        level=lvl,
        tval=float(stat[0]) if test == "knha" else None,
        df=dfree,
        beta=tuple(float(b) for b in fit.beta),
        se_beta=tuple(float(s) for s in se_beta),
        zval_beta=tuple(float(s) for s in stat),
        pval_beta=tuple(float(s) for s in pvals),
        ci_lb_beta=tuple(float(b - crit * s) for b, s in zip(fit.beta, se_beta, strict=True)),
        ci_ub_beta=tuple(float(b + crit * s) for b, s in zip(fit.beta, se_beta, strict=True)),
        QM=qm,
        QMp=qmp,
        weights=100 * w / w.sum(),
        dropped=data.dropped,
        yi=y,
        vi=v,
        X=X,
        vt=float(vt),
        vb=vb,
        tau2_iterations=est.iterations,
    )


@dataclass(frozen=True, slots=True)
class LikelihoodRatioTest:
    LRT: float
    df: int
    pval: float


def likelihood_ratio_test(full: RmaResult, reduced: RmaResult) -> LikelihoodRatioTest:
    """LRT of nested models fitted to the same studies (metafor's ``anova(full, reduced)``):
    ``2 (logLik_full - logLik_reduced)`` on ``p_full - p_reduced`` df. Under REML this is only
    meaningful when the fixed effects are the same (metafor warns; so do we by the docs)."""
    if full.k != reduced.k or not np.array_equal(full.yi, reduced.yi):
        raise InvalidInputError("reduced", "the models must be fitted to the same studies")
    df = (full.p + full.is_random) - (reduced.p + reduced.is_random)
    if df <= 0:
        raise InvalidInputError("reduced", "the reduced model must have fewer parameters")
    kind = "REML" if full.method == "REML" else "ML"
    lrt = 2.0 * (full.fitstats(kind).logLik - reduced.fitstats(kind).logLik)
    return LikelihoodRatioTest(LRT=lrt, df=int(df), pval=float(special.chdtrc(df, max(lrt, 0.0))))


def pseudo_r2(model: RmaResult, null_model: RmaResult) -> float:
    """Proportion (%) of heterogeneity accounted for by the moderators of ``model``, as metafor:
    ``100 (tau²_0 - tau²_1)/tau²_0`` for random-effects models and, for equal-effects models,
    ``100 (H²_0 - H²_1)/H²_0``; truncated at 0 (Raudenbush 2009)."""
    if model.is_random:
        if null_model.tau2 <= 0:
            return 0.0
        return max(0.0, 100 * (null_model.tau2 - model.tau2) / null_model.tau2)
    return max(0.0, 100 * (null_model.H2 - model.H2) / null_model.H2)
