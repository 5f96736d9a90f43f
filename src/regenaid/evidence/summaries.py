"""Turning numbers as papers report them into the inputs :func:`escalc` and :func:`rma` need.

- :func:`mean_sd_from_median_iqr`: Wan, Wang, Liu & Tong (2014), "Estimating the sample mean and
  standard deviation from the sample size, median, range and/or interquartile range", BMC Med
  Res Methodol 14:135, doi:10.1186/1471-2288-14-135, scenario C3: mean ≈ (q1 + m + q3)/3 and
  SD ≈ (q3 - q1) / (2 Φ⁻¹((0.75 n - 0.125)/(n + 0.25))). When a paper prints only the IQR's
  width (not q1 and q3), the quartiles are placed symmetrically around the median; that is an
  assumption (mean = median) and callers must flag it.
- :func:`sd_of_change`: SD of a change score from the baseline and final SDs and their
  correlation ``r``: ``sqrt(sd_pre² + sd_post² - 2 r sd_pre sd_post)`` (Cochrane Handbook for
  Systematic Reviews of Interventions, version 6.4, section 6.5.2.8).
- :func:`yi_vi_from_ci`: an estimate and its 95% CI to ``yi``/``vi``; ratio measures are taken
  to the log scale, ``vi = ((upper - lower)/(2 z))²`` (Cochrane Handbook 6.3.1; the derivation
  metadat uses for ``dat.hackshaw1998``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from regenaid.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class MeanSD:
    mean: float
    sd: float
    assumed_symmetric: bool


def mean_sd_from_median_iqr(
    n: int,
    median: float,
    q1: float | None = None,
    q3: float | None = None,
    iqr: float | None = None,
) -> MeanSD:
    """Estimate a mean and SD from the median and quartiles (Wan et al. 2014, scenario C3)."""
    if n < 1:
        raise InvalidInputError("n", f"must be >= 1, got {n}")
    symmetric = False
    if q1 is None or q3 is None:
        if iqr is None:
            raise InvalidInputError("q1", "give q1 and q3, or the IQR width")
        if iqr < 0:
            raise InvalidInputError("iqr", f"must be >= 0, got {iqr}")
        q1, q3 = median - iqr / 2, median + iqr / 2
        symmetric = True
    if not q1 <= median <= q3:
        raise InvalidInputError("median", f"must lie between q1 {q1} and q3 {q3}")
    eta = float(stats.norm.ppf((0.75 * n - 0.125) / (n + 0.25)))
    return MeanSD(
        mean=(q1 + median + q3) / 3, sd=(q3 - q1) / (2 * eta), assumed_symmetric=symmetric
    )


def sd_of_change(sd_pre: float, sd_post: float, r: float) -> float:
    """SD of the change from baseline given a pre-post correlation ``r`` (Cochrane 6.5.2.8)."""
    if sd_pre < 0 or sd_post < 0:
        raise InvalidInputError("sd_pre" if sd_pre < 0 else "sd_post", "must be >= 0")
    if not -1 <= r <= 1:
        raise InvalidInputError("r", f"must be within -1..1, got {r}")
    return math.sqrt(max(0.0, sd_pre**2 + sd_post**2 - 2 * r * sd_pre * sd_post))


def yi_vi_from_ci(
    estimate: float, ci_lb: float, ci_ub: float, *, ratio: bool = False, level: float = 95
) -> tuple[float, float]:
    """``(yi, vi)`` from an estimate and its CI; ``ratio=True`` works on the log scale."""
    if ci_ub < ci_lb:
        raise InvalidInputError("ci_ub", f"upper limit {ci_ub} is below lower limit {ci_lb}")
    if ratio:
        if min(estimate, ci_lb) <= 0:
            raise InvalidInputError("ci_lb", "ratio estimates and limits must be > 0")
        estimate, ci_lb, ci_ub = math.log(estimate), math.log(ci_lb), math.log(ci_ub)
    z = float(stats.norm.ppf(1 - (1 - level / 100) / 2))
    se = (ci_ub - ci_lb) / (2 * z)
    if se <= 0:
        raise InvalidInputError("ci_ub", "the CI has zero width")
    return estimate, se * se
