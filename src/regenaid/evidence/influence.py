"""Residuals, influence diagnostics and BLUPs of a fitted model (metafor's ``rstandard``,
``rstudent``, ``influence``, ``cooks.distance``, ``blup``, ``ranef``).

Formulas (Viechtbauer & Cheung 2010, Res Synth Methods 1:112-125; metafor's documentation):

- standardized residuals: ``e_i / sqrt(v_i + tau² - x_i' V_b x_i)`` with ``e = y - X b``;
- studentized deleted residuals: ``(y_i - x_i' b_(-i)) / sqrt(v_i + tau²_(-i) + x_i' V_b(-i) x_i)``
  from the model refitted without study i;
- Cook's distance ``(b - b_(-i))' V_b⁻¹ (b - b_(-i))``; DFFITS
  ``x_i'(b - b_(-i)) / sqrt(h_i (tau²_(-i) + v_i))``; DFBETAS ``(b - b_(-i)) / sqrt(diag(V))`` with
  ``V = (X' W(tau²_(-i)) X)⁻¹`` over all k studies; COVRATIO ``det V_b(-i) / det V_b``;
  a study is flagged influential (metafor's rule) when |DFFITS| > 3 sqrt(p/(k-p)), Cook's
  distance > the chi²(p) median, hat > 3p/k, or any |DFBETAS| > 1;
- BLUPs ``x_i'b + λ_i e_i`` with ``λ_i = tau²/(tau² + v_i)`` and SE
  ``sqrt(λ_i v_i + (1 - λ_i)² x_i' V_b x_i)`` (Raudenbush 2009); ``ranef`` is ``λ_i e_i``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special

from regenaid.errors import InvalidInputError
from regenaid.evidence._inputs import FloatArray
from regenaid.evidence.rma import RmaResult, rma
from regenaid.evidence.tau2 import wls


@dataclass(frozen=True, slots=True, eq=False)
class Residuals:
    resid: FloatArray = field(repr=False)
    se: FloatArray = field(repr=False)
    z: FloatArray = field(repr=False)


@dataclass(frozen=True, slots=True, eq=False)
class Blup:
    pred: FloatArray = field(repr=False)
    se: FloatArray = field(repr=False)
    pi_lb: FloatArray = field(repr=False)
    pi_ub: FloatArray = field(repr=False)


@dataclass(frozen=True, slots=True)
class InfluenceRow:
    study: int
    rstudent: float
    dffits: float
    cook_d: float
    cov_r: float
    tau2_del: float
    QE_del: float
    hat: float
    weight: float
    dfbetas: tuple[float, ...]
    is_infl: bool


def _vb(res: RmaResult, tau2: float | None = None) -> FloatArray:
    """The model's covariance of the coefficients, or (X'W X)⁻¹ at another tau²."""
    if tau2 is None:
        return res.vb
    return wls(res.yi, res.X, 1.0 / (res.vi + tau2)).inv


def _quad(X: FloatArray, V: FloatArray) -> FloatArray:
    return np.asarray(np.einsum("ij,jk,ik->i", X, V, X), dtype=np.float64)


def rstandard(res: RmaResult) -> Residuals:
    """Standardized residuals of the fitted studies."""
    resid = res.residuals()
    se = np.sqrt(res.vi + res.tau2 - _quad(res.X, _vb(res)))
    return Residuals(resid=resid, se=se, z=resid / se)


def _refit_without(res: RmaResult, i: int) -> RmaResult:
    keep = np.arange(res.k) != i
    mods = res.X[keep, 1:] if res.p > 1 else None
    return rma(
        res.yi[keep], res.vi[keep], method=res.method, test=res.test, level=res.level, mods=mods
    )


def _deleted_fits(res: RmaResult) -> list[RmaResult]:
    if res.k - 1 < res.p + (1 if res.is_random else 0):
        raise InvalidInputError("yi", f"too few studies ({res.k}) for deletion diagnostics")
    return [_refit_without(res, i) for i in range(res.k)]


def rstudent(res: RmaResult) -> Residuals:
    """Studentized deleted residuals (each study against the model fitted without it)."""
    fits = _deleted_fits(res)
    resid = np.empty(res.k)
    se = np.empty(res.k)
    for i, fit in enumerate(fits):
        x = res.X[i]
        vb = _vb(fit)
        resid[i] = res.yi[i] - float(x @ np.asarray(fit.beta))
        se[i] = float(np.sqrt(res.vi[i] + fit.tau2 + x @ vb @ x))
    return Residuals(resid=resid, se=se, z=resid / se)


def influence(res: RmaResult) -> tuple[InfluenceRow, ...]:
    """Case-deletion diagnostics per study (see the module docstring)."""
    fits = _deleted_fits(res)
    k, p = res.k, res.p
    beta = np.asarray(res.beta)
    vb = _vb(res)
    vb_inv = np.linalg.inv(vb)
    hat = res.hatvalues()
    student = rstudent(res)
    rows = []
    for i, fit in enumerate(fits):
        diff = beta - np.asarray(fit.beta)
        cook = float(diff @ vb_inv @ diff)
        dffits = float(res.X[i] @ diff) / float(np.sqrt(hat[i] * (fit.tau2 + res.vi[i])))
        v_all = _vb(res, fit.tau2)
        dfbetas = diff / np.sqrt(np.diag(v_all))
        cov_r = float(np.linalg.det(_vb(fit)) / np.linalg.det(vb))
        infl = (
            abs(dffits) > 3 * np.sqrt(p / (k - p))
            or cook > float(special.chdtri(p, 0.5))
            or hat[i] > 3 * p / k
            or bool(np.any(np.abs(dfbetas) > 1))
        )
        rows.append(
            InfluenceRow(
                study=i,
                rstudent=float(student.z[i]),
                dffits=dffits,
                cook_d=cook,
                cov_r=cov_r,
                tau2_del=fit.tau2,
                QE_del=fit.QE,
                hat=float(hat[i]),
                weight=float(res.weights[i]),
                dfbetas=tuple(float(d) for d in dfbetas),
                is_infl=bool(infl),
            )
        )
    return tuple(rows)


def blup(res: RmaResult, level: float | None = None) -> Blup:
    """Best linear unbiased predictions of the true effects, with prediction intervals."""
    lvl = res.level if level is None else level
    fitted = res.fitted()
    lam = res.tau2 / (res.tau2 + res.vi)
    pred = fitted + lam * (res.yi - fitted)
    se = np.sqrt(lam * res.vi + (1 - lam) ** 2 * _quad(res.X, _vb(res)))
    crit = float(special.ndtri(1 - (1 - lvl / 100) / 2))
    return Blup(pred=pred, se=se, pi_lb=pred - crit * se, pi_ub=pred + crit * se)


def ranef(res: RmaResult) -> FloatArray:
    """Predicted random effects ``λ_i (y_i - x_i'b)``."""
    lam = res.tau2 / (res.tau2 + res.vi)
    return np.asarray(lam * res.residuals(), dtype=np.float64)
