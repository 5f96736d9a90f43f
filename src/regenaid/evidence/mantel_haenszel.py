"""Equal-effects pooling of 2x2 tables without weights from the studies' own variances:
Mantel-Haenszel (metafor's ``rma.mh``) and Peto's one-step odds ratio (``rma.peto``).

- MH odds ratio ``sum(a d/n) / sum(b c/n)`` with the Robins, Breslow & Greenland (1986)
  variance of its log; MH risk ratio ``sum(a n2/n) / sum(c n1/n)`` with the Greenland & Robins
  (1985) variance; MH risk difference ``sum((a n2 - c n1)/n) / sum(n1 n2/n)`` with the Sato,
  Greenland & Robins (1989) variance.
- Peto: ``sum(O - E) / sum(V)`` with ``E = n1 (a + c)/n`` and the hypergeometric variance
  ``V = n1 n2 (a + c)(b + d) / (n² (n - 1))``; variance ``1/sum(V)`` (Yusuf et al. 1985).
- ``QE``: Cochran's Q of the studies' own estimates (metafor: escalc values with its default
  zero-cell correction for MH; for Peto, ``sum((O-E)²/V) - (sum(O-E))²/sum(V)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from regenaid.errors import InvalidInputError
from regenaid.evidence._inputs import ArrayLike, FloatArray, as_vector, same_length
from regenaid.evidence.effect_sizes import escalc


@dataclass(frozen=True, slots=True)
class PooledTables:
    """Result of :func:`rma_mh` / :func:`rma_peto` (log scale for OR and RR)."""

    measure: str
    method: str
    estimate: float
    se: float
    zval: float
    pval: float
    ci_lb: float
    ci_ub: float
    QE: float
    QEp: float
    k: int


def _tables(ai: ArrayLike, bi: ArrayLike, ci: ArrayLike, di: ArrayLike) -> tuple[FloatArray, ...]:
    a, b, c, d = (as_vector(n, x) for n, x in (("ai", ai), ("bi", bi), ("ci", ci), ("di", di)))
    same_length({"ai": a, "bi": b, "ci": c, "di": d})
    keep = ~(np.isnan(a) | np.isnan(b) | np.isnan(c) | np.isnan(d))
    a, b, c, d = a[keep], b[keep], c[keep], d[keep]
    for name, x in (("ai", a), ("bi", b), ("ci", c), ("di", d)):
        if np.any(x < 0):
            raise InvalidInputError(name, "counts must be >= 0")
    if len(a) == 0:
        raise InvalidInputError("ai", "no complete 2x2 table")
    return a, b, c, d


def _finish(
    measure: str, method: str, est: float, var: float, qe: float, k: int, level: float
) -> PooledTables:
    se = float(np.sqrt(var))
    z = est / se
    crit = float(special.ndtri(1 - (1 - level / 100) / 2))
    return PooledTables(
        measure=measure,
        method=method,
        estimate=est,
        se=se,
        zval=z,
        pval=float(2 * special.ndtr(-abs(z))),
        ci_lb=est - crit * se,
        ci_ub=est + crit * se,
        QE=qe,
        QEp=float(special.chdtrc(k - 1, qe)) if k > 1 else 1.0,
        k=k,
    )


def rma_mh(
    ai: ArrayLike,
    bi: ArrayLike,
    ci: ArrayLike,
    di: ArrayLike,
    measure: str = "OR",
    level: float = 95,
) -> PooledTables:
    """Mantel-Haenszel pooled OR, RR (log scale) or RD of k 2x2 tables."""
    if measure not in ("OR", "RR", "RD"):
        raise InvalidInputError("measure", f"unknown measure {measure!r}", ("OR", "RR", "RD"))
    a, b, c, d = _tables(ai, bi, ci, di)
    n1, n2 = a + b, c + d
    n = n1 + n2
    k = len(a)
    if measure == "OR":
        r_i, s_i = a * d / n, b * c / n
        r, s = float(r_i.sum()), float(s_i.sum())
        p_i, q_i = (a + d) / n, (b + c) / n
        var = (
            float(np.sum(p_i * r_i)) / (2 * r * r)
            + float(np.sum(p_i * s_i + q_i * r_i)) / (2 * r * s)
            + float(np.sum(q_i * s_i)) / (2 * s * s)
        )
        est = float(np.log(r / s))
    elif measure == "RR":
        r = float(np.sum(a * n2 / n))
        s = float(np.sum(c * n1 / n))
        var = float(np.sum((n1 * n2 * (a + c) - a * c * n) / (n * n))) / (r * s)
        est = float(np.log(r / s))
    else:
        w = float(np.sum(n1 * n2 / n))
        est = float(np.sum((a * n2 - c * n1) / n)) / w
        p = float(np.sum((n1 * n1 * c - n2 * n2 * a + n1 * n2 * (n2 - n1) / 2) / (n * n)))
        q = float(np.sum((a * (n2 - c) + c * (n1 - a)) / (2 * n)))
        var = (est * p + q) / (w * w)
    es = escalc(measure, ai=a, bi=b, ci=c, di=d)
    ok = np.isfinite(es.yi) & np.isfinite(es.vi) & (es.vi > 0)
    qe = float(np.sum((es.yi[ok] - est) ** 2 / es.vi[ok])) if ok.sum() > 1 else 0.0
    return _finish(measure, "MH", est, var, qe, k, level)


def rma_peto(
    ai: ArrayLike, bi: ArrayLike, ci: ArrayLike, di: ArrayLike, level: float = 95
) -> PooledTables:
    """Peto's one-step pooled log odds ratio of k 2x2 tables."""
    a, b, c, d = _tables(ai, bi, ci, di)
    n1, n2 = a + b, c + d
    n = n1 + n2
    events = a + c
    expected = n1 * events / n
    v = n1 * n2 * events * (b + d) / (n * n * (n - 1))
    total_v = float(v.sum())
    if total_v <= 0:
        raise InvalidInputError("ai", "no table has both events and non-events")
    o_e = a - expected
    est = float(o_e.sum()) / total_v
    ok = v > 0
    qe = float(np.sum(o_e[ok] ** 2 / v[ok])) - float(o_e.sum()) ** 2 / total_v
    return _finish("OR", "PETO", est, 1.0 / total_v, qe, len(a), level)
