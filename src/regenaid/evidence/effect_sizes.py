"""Effect sizes and their sampling variances (metafor's ``escalc``), formulas as metafor's defaults.

Two-group continuous outcomes (means ``m``, standard deviations ``sd``, sizes ``n``):

- ``MD``: ``m1 - m2``, ``v = sd1²/n1 + sd2²/n2``.
- ``SMD``: Hedges' g, ``g = c(m) (m1 - m2)/s_p`` with the pooled SD ``s_p`` and the exact bias
  correction ``c(m) = Γ(m/2) / (sqrt(m/2) Γ((m-1)/2))``, ``m = n1 + n2 - 2`` (Hedges 1981,
  J Educ Stat 6:107-128); ``v = 1/n1 + 1/n2 + g²/(2(n1 + n2))`` (metafor's default ``vtype="LS"``).
- ``SMDH``: like SMD with the unpooled SD ``sqrt((sd1² + sd2²)/2)`` and Bonett's (2009) variance.
- ``ROM``: log ratio of means ``log(m1/m2)``, ``v = sd1²/(n1 m1²) + sd2²/(n2 m2²)``
  (Hedges, Gurevitch & Curtis 1999, Ecology 80:1150-6). ``bias_correct=True`` adds the
  first-order small-sample correction ``(sd1²/(n1 m1²) - sd2²/(n2 m2²))/2`` to ``yi``
  (Lajeunesse 2015, Ecology 96:2056-2063).
- ``CVR``/``VR``: log ratio of coefficients of variation / of SDs with the small-sample terms
  ``1/(2(n1-1)) - 1/(2(n2-1))``; ``v = 1/(2(n1-1)) + 1/(2(n2-1))`` plus, for CVR,
  ``sd1²/(n1 m1²) + sd2²/(n2 m2²)`` (Nakagawa et al. 2015, Methods Ecol Evol 6:143-152).
- ``MN``: a raw mean ``m1``, ``v = sd1²/n1``.

Two-group binary outcomes (2x2 table ``ai bi / ci di``, or ``ai``, ``n1i``, ``ci``, ``n2i``):

- ``RR``: log risk ratio, ``v = 1/a - 1/n1 + 1/c - 1/n2``; ``OR``: log odds ratio,
  ``v = 1/a + 1/b + 1/c + 1/d``; ``RD``: risk difference, ``v = p1(1-p1)/n1 + p2(1-p2)/n2``.
- Zero cells, as metafor's defaults ``add=1/2, to="only0", drop00=False``: 1/2 is added to every
  cell of a table that has a zero cell (for RR, OR and RD alike, as metafor's ``escalc`` with its
  default ``addyi=addvi=TRUE``); ``to="all"`` adds to every table, ``to="none"`` to none.
  ``drop00=True`` sets studies with no events (or only events) in both groups to missing.

Single-group pre-post (change) outcomes (Becker 1988; Morris 2008, Organ Res Methods 11:364-386):

- ``SMCR``: ``c(n-1) (m1 - m2)/sd1`` (raw-score standardisation by the pre-test SD ``sd1``),
  ``v = 2(1-r)/n + g²/(2n)``.
- ``SMCC``: ``c(n-1) (m1 - m2)/sd_d`` with the SD of the change ``sd_d = sqrt(sd1² + sd2² -
  2 r sd1 sd2)``, ``v = 1/n + g²/(2n)``.

Missing inputs (NaN) give NaN ``yi``/``vi`` (left out later by :func:`rma`, as metafor does).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy import special, stats

from regenaid.errors import InvalidInputError
from regenaid.evidence._inputs import ArrayLike, FloatArray, as_vector, same_length

MEASURES: Final = (
    "MD",
    "SMD",
    "SMDH",
    "ROM",
    "CVR",
    "VR",
    "MN",
    "RR",
    "OR",
    "RD",
    "SMCR",
    "SMCC",
)


@dataclass(frozen=True, slots=True)
class EffectSizes:
    """``yi`` and ``vi`` (unpacks as a pair: ``yi, vi = escalc(...)``)."""

    measure: str
    yi: FloatArray
    vi: FloatArray

    def __iter__(self) -> Iterator[FloatArray]:
        return iter((self.yi, self.vi))

    def summary(self, level: float = 95) -> dict[str, FloatArray]:
        """Per-study ``sei``, ``zi``, ``ci_lb``, ``ci_ub`` (metafor's ``summary.escalc``)."""
        sei = np.sqrt(self.vi)
        crit = float(stats.norm.ppf(1 - (1 - level / 100) / 2))
        return {
            "sei": sei,
            "zi": self.yi / sei,
            "ci_lb": self.yi - crit * sei,
            "ci_ub": self.yi + crit * sei,
        }


def hedges_correction(m: FloatArray) -> FloatArray:
    """Exact small-sample correction ``c(m) = Γ(m/2)/(sqrt(m/2) Γ((m-1)/2))`` (Hedges 1981)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.exp(
            special.gammaln(m / 2) - 0.5 * np.log(m / 2) - special.gammaln((m - 1) / 2)
        )
    return out


def _required(name: str, values: ArrayLike | None) -> FloatArray:
    if values is None:
        raise InvalidInputError(name, "is required for this measure")
    return as_vector(name, values)


def _check_nonneg(named: dict[str, FloatArray], *, positive: tuple[str, ...] = ()) -> None:
    for name, arr in named.items():
        finite = arr[~np.isnan(arr)]
        if name in positive and np.any(finite <= 0):
            i = int(np.flatnonzero(~(np.isnan(arr) | (arr > 0)))[0])
            raise InvalidInputError(f"{name}[{i}]", f"must be > 0, got {arr[i]!r}")
        if np.any(finite < 0):
            i = int(np.flatnonzero(~(np.isnan(arr) | (arr >= 0)))[0])
            raise InvalidInputError(f"{name}[{i}]", f"must be >= 0, got {arr[i]!r}")


def _two_group_means(
    m1i: ArrayLike | None,
    sd1i: ArrayLike | None,
    n1i: ArrayLike | None,
    m2i: ArrayLike | None,
    sd2i: ArrayLike | None,
    n2i: ArrayLike | None,
) -> tuple[FloatArray, ...]:
    arrays = {
        "m1i": _required("m1i", m1i),
        "sd1i": _required("sd1i", sd1i),
        "n1i": _required("n1i", n1i),
        "m2i": _required("m2i", m2i),
        "sd2i": _required("sd2i", sd2i),
        "n2i": _required("n2i", n2i),
    }
    same_length(arrays)
    _check_nonneg({k: arrays[k] for k in ("sd1i", "sd2i", "n1i", "n2i")}, positive=("n1i", "n2i"))
    return tuple(arrays.values())


def _tables(
    ai: ArrayLike | None,
    bi: ArrayLike | None,
    ci: ArrayLike | None,
    di: ArrayLike | None,
    n1i: ArrayLike | None,
    n2i: ArrayLike | None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    a, c = _required("ai", ai), _required("ci", ci)
    b = _required("n1i", n1i) - a if bi is None else as_vector("bi", bi)
    d = _required("n2i", n2i) - c if di is None else as_vector("di", di)
    same_length({"ai": a, "bi": b, "ci": c, "di": d})
    _check_nonneg({"ai": a, "bi": b, "ci": c, "di": d})
    return a, b, c, d


def escalc(
    measure: str,
    *,
    m1i: ArrayLike | None = None,
    sd1i: ArrayLike | None = None,
    n1i: ArrayLike | None = None,
    m2i: ArrayLike | None = None,
    sd2i: ArrayLike | None = None,
    n2i: ArrayLike | None = None,
    ai: ArrayLike | None = None,
    bi: ArrayLike | None = None,
    ci: ArrayLike | None = None,
    di: ArrayLike | None = None,
    ni: ArrayLike | None = None,
    ri: ArrayLike | None = None,
    add: float = 0.5,
    to: str = "only0",
    drop00: bool = False,
    bias_correct: bool = False,
) -> EffectSizes:
    """Compute ``yi, vi`` for ``measure`` (see the module docstring for formulas)."""
    if measure not in MEASURES:
        raise InvalidInputError("measure", f"unknown measure {measure!r}", allowed=MEASURES)
    if to not in ("only0", "all", "none"):
        raise InvalidInputError("to", f"unknown option {to!r}", allowed=("only0", "all", "none"))
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure in ("MD", "SMD", "SMDH", "ROM", "CVR", "VR"):
            m1, s1, n1, m2, s2, n2 = _two_group_means(m1i, sd1i, n1i, m2i, sd2i, n2i)
            if measure == "MD":
                yi = m1 - m2
                vi = s1**2 / n1 + s2**2 / n2
            elif measure == "SMD":
                m = n1 + n2 - 2
                sdp = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / m)
                yi = hedges_correction(m) * (m1 - m2) / sdp
                vi = 1 / n1 + 1 / n2 + yi**2 / (2 * (n1 + n2))
            elif measure == "SMDH":
                m = n1 + n2 - 2
                sdi = np.sqrt((s1**2 + s2**2) / 2)
                yi = hedges_correction(m) * (m1 - m2) / sdi
                vi = yi**2 * (s1**4 / (n1 - 1) + s2**4 / (n2 - 1)) / (2 * (s1**2 + s2**2) ** 2) + (
                    s1**2 / (n1 - 1) + s2**2 / (n2 - 1)
                ) / ((s1**2 + s2**2) / 2)
            elif measure in ("CVR", "VR"):
                small = 1 / (2 * (n1 - 1)) - 1 / (2 * (n2 - 1))
                base_v = 1 / (2 * (n1 - 1)) + 1 / (2 * (n2 - 1))
                if measure == "VR":
                    yi = np.log(s1 / s2) + small
                    vi = base_v
                else:
                    yi = np.log((s1 / m1) / (s2 / m2)) + small
                    vi = base_v + s1**2 / (n1 * m1**2) + s2**2 / (n2 * m2**2)
            else:
                a, b = s1**2 / (n1 * m1**2), s2**2 / (n2 * m2**2)
                yi = np.log(m1 / m2) + ((a - b) / 2 if bias_correct else 0.0)
                vi = a + b
        elif measure == "MN":
            m1 = _required("m1i", m1i)
            s1 = _required("sd1i", sd1i)
            n1 = _required("n1i", n1i)
            same_length({"m1i": m1, "sd1i": s1, "n1i": n1})
            _check_nonneg({"sd1i": s1, "n1i": n1}, positive=("n1i",))
            yi = m1.copy()
            vi = s1**2 / n1
        elif measure in ("SMCR", "SMCC"):
            m1, m2 = _required("m1i", m1i), _required("m2i", m2i)
            s1, n, r = _required("sd1i", sd1i), _required("ni", ni), _required("ri", ri)
            named = {"m1i": m1, "m2i": m2, "sd1i": s1, "ni": n, "ri": r}
            s2 = None
            if measure == "SMCC":
                s2 = _required("sd2i", sd2i)
                named["sd2i"] = s2
            same_length(named)
            _check_nonneg({"sd1i": s1, "ni": n}, positive=("ni",))
            bad = np.flatnonzero(np.abs(r[~np.isnan(r)]) > 1)
            if bad.size:
                raise InvalidInputError("ri", "correlations must lie within -1..1")
            cm = hedges_correction(n - 1)
            if measure == "SMCR":
                yi = cm * (m1 - m2) / s1
                vi = 2 * (1 - r) / n + yi**2 / (2 * n)
            else:
                assert s2 is not None
                sdd = np.sqrt(s1**2 + s2**2 - 2 * r * s1 * s2)
                yi = cm * (m1 - m2) / sdd
                vi = 1 / n + yi**2 / (2 * n)
        else:
            a, b, c, d = _tables(ai, bi, ci, di, n1i, n2i)
            n1, n2 = a + b, c + d
            if drop00:
                none_or_all = ((a == 0) & (c == 0)) | ((b == 0) & (d == 0))
                a, b, c, d = (np.where(none_or_all, np.nan, x) for x in (a, b, c, d))
            if to != "none":
                if to == "all":
                    fix = np.ones_like(a, dtype=bool)
                else:
                    fix = (a == 0) | (b == 0) | (c == 0) | (d == 0)
                a, b, c, d = (np.where(fix, x + add, x) for x in (a, b, c, d))
                n1, n2 = a + b, c + d
            if measure == "RR":
                yi = np.log((a / n1) / (c / n2))
                vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
            elif measure == "OR":
                yi = np.log((a * d) / (b * c))
                vi = 1 / a + 1 / b + 1 / c + 1 / d
            else:
                p1, p2 = a / n1, c / n2
                yi = p1 - p2
                vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    return EffectSizes(measure=measure, yi=np.asarray(yi, float), vi=np.asarray(vi, float))
