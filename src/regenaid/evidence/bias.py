"""Small-study effects and publication bias: Egger's regression test and trim-and-fill.

- :func:`regtest` (metafor's default ``model="rma", predictor="sei"``): a meta-regression of
  ``yi`` on the standard errors ``sqrt(vi)`` with the same tau² method and test as the model
  (Egger et al. 1997, BMJ 315:629-634; Sterne & Egger 2005). ``model="lm"`` gives the classical
  Egger test: weighted least squares with weights ``1/vi`` and a multiplicative dispersion
  parameter, t test with ``k - 2`` degrees of freedom. The intercept is the "limit estimate"
  (the effect expected in an infinitely precise study). Other predictors as metafor: ``vi``,
  ``ni``, ``ninv`` and ``sqrtninv`` (Peters et al. 2006, JAMA 295:676-680, for 1/n).
- :func:`trimfill` (Duval & Tweedie 2000, Biometrics 56:455-463; JASA 95:89-98): the side with
  missing studies is taken from the sign of the Egger slope (positive slope: studies missing on
  the left), the ``L0`` (default) or ``R0`` estimator of the number of missing studies ``k0`` is
  iterated on the trimmed data, and the ``k0`` most extreme studies are mirrored around the
  trimmed estimate; the model is refitted to the filled data with the original method.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import stats

from regenaid.errors import InvalidInputError
from regenaid.evidence._inputs import ArrayLike, FloatArray, as_vector
from regenaid.evidence.rma import RmaResult, rma
from regenaid.evidence.tau2 import wls

PREDICTORS = ("sei", "vi", "ni", "ninv", "sqrtninv")


@dataclass(frozen=True, slots=True)
class RegtestResult:
    """Egger-type test: the statistic (z, or t with ``df``), p value and the limit estimate.

    The limit estimate (intercept) is None for ``predictor="ni"``, whose intercept is not an
    effect at infinite precision.
    """

    model: str
    predictor: str
    zval: float
    pval: float
    df: int | None
    slope: float
    se_slope: float
    limit_estimate: float | None
    limit_ci_lb: float | None
    limit_ci_ub: float | None


def _predictor(res: RmaResult, predictor: str, ni: ArrayLike | None) -> FloatArray:
    if predictor == "sei":
        return np.asarray(np.sqrt(res.vi), dtype=np.float64)
    if predictor == "vi":
        return res.vi
    if ni is None:
        raise InvalidInputError("ni", f"predictor {predictor!r} needs the sample sizes ni")
    n = as_vector("ni", ni)
    if len(n) != res.k:
        raise InvalidInputError("ni", f"has length {len(n)} but the model has {res.k} studies")
    if np.any(~np.isfinite(n)) or np.any(n <= 0):
        raise InvalidInputError("ni", "sample sizes must be finite and > 0")
    if predictor == "ni":
        return n
    if predictor == "ninv":
        return np.asarray(1.0 / n, dtype=np.float64)
    return np.asarray(1.0 / np.sqrt(n), dtype=np.float64)


def regtest(
    res: RmaResult,
    model: Literal["rma", "lm"] = "rma",
    predictor: str = "sei",
    ni: ArrayLike | None = None,
    mods: FloatArray | None = None,
) -> RegtestResult:
    """Egger's regression test for funnel-plot asymmetry on a fitted intercept-only model.

    ``predictor``: ``sei`` (default), ``vi``, ``ni``, ``ninv`` (1/n) or ``sqrtninv``
    (1/sqrt(n)); the last three need ``ni`` (one sample size per fitted study). ``mods``: extra
    moderators kept in the regression (the predictor is tested after them).
    """
    if res.p != 1:
        raise InvalidInputError("mods", "regtest is implemented for models without moderators")
    if res.k < 3:
        raise InvalidInputError("yi", f"regtest needs at least 3 studies, got {res.k}")
    if model not in ("rma", "lm"):
        raise InvalidInputError("model", f"unknown model {model!r}", allowed=("rma", "lm"))
    if predictor not in PREDICTORS:
        raise InvalidInputError("predictor", f"unknown predictor {predictor!r}", PREDICTORS)
    x = _predictor(res, predictor, ni)
    extra = np.empty((res.k, 0)) if mods is None else np.asarray(mods, dtype=np.float64)
    if extra.ndim == 1:
        extra = extra.reshape(-1, 1)
    if extra.shape[0] != res.k:
        raise InvalidInputError("mods", f"needs {res.k} rows (one per fitted study)")
    design = np.column_stack([extra, x])
    j = design.shape[1]  # coefficient of the predictor (the intercept is column 0)
    has_limit = predictor != "ni"
    if model == "rma":
        fit = rma(res.yi, res.vi, method=res.method, test=res.test, level=res.level, mods=design)
        return RegtestResult(
            model="rma",
            predictor=predictor,
            zval=fit.zval_beta[j],
            pval=fit.pval_beta[j],
            df=fit.df,
            slope=fit.beta[j],
            se_slope=fit.se_beta[j],
            limit_estimate=fit.beta[0] if has_limit else None,
            limit_ci_lb=fit.ci_lb_beta[0] if has_limit else None,
            limit_ci_ub=fit.ci_ub_beta[0] if has_limit else None,
        )
    X = np.column_stack([np.ones(res.k), design])
    lm = wls(res.yi, X, 1.0 / res.vi)
    dfree = res.k - X.shape[1]
    s2 = lm.rss / dfree
    se = np.sqrt(np.diag(lm.inv) * s2)
    t = lm.beta / se
    crit = float(stats.t.ppf(1 - (1 - res.level / 100) / 2, dfree))
    return RegtestResult(
        model="lm",
        predictor=predictor,
        zval=float(t[j]),
        pval=float(2 * stats.t.sf(abs(t[j]), dfree)),
        df=dfree,
        slope=float(lm.beta[j]),
        se_slope=float(se[j]),
        limit_estimate=float(lm.beta[0]) if has_limit else None,
        limit_ci_lb=float(lm.beta[0] - crit * se[0]) if has_limit else None,
        limit_ci_ub=float(lm.beta[0] + crit * se[0]) if has_limit else None,
    )


@dataclass(frozen=True, slots=True, eq=False)
class TrimfillResult:
    """Trim-and-fill: ``k0`` missing studies on ``side`` and the model refitted with them."""

    k0: int
    se_k0: float
    side: Literal["left", "right"]
    estimator: str
    p_no_missing: float | None  # only for R0
    fit: RmaResult
    filled_yi: FloatArray = field(repr=False)
    filled_vi: FloatArray = field(repr=False)

    @property
    def estimate(self) -> float:
        return self.fit.estimate

    @property
    def se(self) -> float:
        return self.fit.se

    @property
    def ci_lb(self) -> float:
        return self.fit.ci_lb

    @property
    def ci_ub(self) -> float:
        return self.fit.ci_ub

    @property
    def k(self) -> int:
        return self.fit.k


def _side(res: RmaResult) -> Literal["left", "right"]:
    slope = rma(res.yi, res.vi, method=res.method, mods=np.sqrt(res.vi)).beta[1]
    return "left" if slope > 0 else "right"


def trimfill(
    res: RmaResult,
    side: Literal["left", "right"] | None = None,
    estimator: Literal["L0", "R0"] = "L0",
    maxiter: int = 100,
) -> TrimfillResult:
    """Duval & Tweedie's trim-and-fill on a fitted intercept-only model."""
    if res.p != 1:
        raise InvalidInputError("mods", "trimfill is implemented for models without moderators")
    if estimator not in ("L0", "R0"):
        raise InvalidInputError("estimator", f"unknown estimator {estimator!r}", ("L0", "R0"))
    if res.k < 3:
        raise InvalidInputError("yi", f"trimfill needs at least 3 studies, got {res.k}")
    chosen = side if side is not None else _side(res)
    if chosen not in ("left", "right"):
        raise InvalidInputError("side", f"unknown side {chosen!r}", ("left", "right"))
    sign = -1.0 if chosen == "right" else 1.0
    y = sign * res.yi
    order = np.argsort(y, kind="stable")
    y, v = y[order], res.vi[order]
    k = res.k
    k0 = 0
    previous = -1
    se_k0 = 0.0
    beta = 0.0
    for _ in range(maxiter):
        if k0 == previous:
            break
        previous = k0
        trimmed = rma(y[: k - k0], v[: k - k0], method=res.method)
        beta = trimmed.estimate
        centred = y - beta
        ranks = stats.rankdata(np.abs(centred), method="ordinal")
        signed = np.sign(centred) * ranks
        if estimator == "R0":
            negatives = signed[signed < 0]
            largest_neg = float(np.max(-negatives)) if negatives.size else 0.0
            raw = (k - largest_neg) - 1
            se_k0 = math.sqrt(2 * max(0.0, raw) + 2)
        else:
            sr = float(signed[signed > 0].sum())
            raw = (4 * sr - k * (k + 1)) / (2 * k - 1)
            var_sr = (
                k * (k + 1) * (2 * k + 1)
                + 10 * raw**3
                + 27 * raw**2
                + 17 * raw
                - 18 * k * raw**2
                - 18 * k * raw
                + 6 * k**2 * raw
            ) / 24
            se_k0 = 4 * math.sqrt(max(var_sr, 0.0)) / (2 * k - 1)
        k0 = max(0, int(np.floor(raw + 0.5)))
        k0 = min(k0, k - 1)
    else:
        raise InvalidInputError("maxiter", f"trim-and-fill did not converge in {maxiter} steps")
    p_missing: float | None = None
    if estimator == "R0":
        # chance that the k0 + 1 most extreme studies all lie on one side if none are missing
        p_missing = float(0.5 ** (k0 + 1))
    fill_y = 2 * beta - y[k - k0 :]
    fill_v = v[k - k0 :]
    filled_y = sign * fill_y
    all_y = np.concatenate([res.yi, filled_y])
    all_v = np.concatenate([res.vi, fill_v])
    fit = rma(all_y, all_v, method=res.method, test=res.test, level=res.level)
    return TrimfillResult(
        k0=k0,
        se_k0=se_k0,
        side=chosen,
        estimator=estimator,
        p_no_missing=p_missing,
        fit=fit,
        filled_yi=filled_y,
        filled_vi=fill_v,
    )


@dataclass(frozen=True, slots=True)
class RanktestResult:
    """Begg & Mazumdar's rank correlation test: Kendall's tau and its p value."""

    tau: float
    pval: float


def ranktest(res: RmaResult) -> RanktestResult:
    """Begg & Mazumdar (1994, Biometrics 50:1088-1101) rank correlation test.

    Effects are standardised around the equal-effects estimate,
    ``(y_i - b) / sqrt(v_i - var(b))``, and correlated with ``v_i`` by Kendall's tau
    (exact p value for small k without ties, as R's ``cor.test``).
    """
    if res.p != 1:
        raise InvalidInputError("mods", "ranktest is implemented for models without moderators")
    if res.k < 3:
        raise InvalidInputError("yi", f"ranktest needs at least 3 studies, got {res.k}")
    fe = rma(res.yi, res.vi, method="EE")
    standardised = (res.yi - fe.estimate) / np.sqrt(res.vi - fe.se**2)
    result = stats.kendalltau(standardised, res.vi)
    return RanktestResult(tau=float(result.statistic), pval=float(result.pvalue))


def fsn(
    yi: ArrayLike,
    vi: ArrayLike,
    method: Literal["Rosenthal", "Orwin", "Rosenberg"] = "Rosenthal",
    target: float | None = None,
    weighted: bool = False,
    alpha: float = 0.05,
) -> int:
    """Fail-safe N: how many unpublished null studies would overturn the result.

    - Rosenthal (1979): ``(sum z_i / z_(1-alpha))² - k`` with ``z_i = y_i/sqrt(v_i)`` (one-sided).
    - Orwin (1983): ``k (mean - target)/target``; ``weighted=True`` uses the inverse-variance
      weighted mean. ``target`` is the effect considered trivial (required).
    - Rosenberg (2005): ``(sum w_i y_i)² / (z_(1-alpha/2)² mean(w)) - k`` with ``w = 1/v``.

    Rounded up and never below 0 (metafor's ``fsn``).
    """
    from regenaid.evidence._inputs import clean_for_fit

    data = clean_for_fit(yi, vi)
    y, v = data.yi, data.vi
    k = len(y)
    if method == "Rosenthal":
        z_alpha = float(stats.norm.isf(alpha))
        value = (float(np.sum(y / np.sqrt(v))) / z_alpha) ** 2 - k
    elif method == "Orwin":
        if target is None or target == 0:
            raise InvalidInputError("target", "Orwin's method needs a non-zero target effect")
        if weighted:
            w = 1.0 / v
            mean = float(np.dot(w, y) / w.sum())
        else:
            mean = float(y.mean())
        value = k * (mean - target) / target
    elif method == "Rosenberg":
        w = 1.0 / v
        z_alpha = float(stats.norm.isf(alpha / 2))
        value = float(np.dot(w, y)) ** 2 / (z_alpha**2 * float(w.mean())) - k
    else:
        raise InvalidInputError(
            "method", f"unknown method {method!r}", ("Rosenthal", "Orwin", "Rosenberg")
        )
    return max(0, math.ceil(value - 1e-9))
