"""Meta-analysis with metafor's names: effect sizes, random-effects models, bias, certainty.

Pure functions and frozen result objects (numpy and scipy only)::

    from regenaid.evidence import escalc, rma, regtest, trimfill, leave1out, cumul
    yi, vi = escalc("MD", m1i=..., sd1i=..., n1i=..., m2i=..., sd2i=..., n2i=...)
    res = rma(yi, vi, method="REML", test="knha")
    res.confint(); res.predict()
"""

from regenaid.evidence.bias import (
    RanktestResult,
    RegtestResult,
    TrimfillResult,
    fsn,
    ranktest,
    regtest,
    trimfill,
)
from regenaid.evidence.effect_sizes import MEASURES, EffectSizes, escalc
from regenaid.evidence.influence import (
    Blup,
    InfluenceRow,
    Residuals,
    blup,
    influence,
    ranef,
    rstandard,
    rstudent,
)
from regenaid.evidence.mantel_haenszel import PooledTables, rma_mh, rma_peto
from regenaid.evidence.rma import (
    FitStats,
    HeterogeneityCI,
    LikelihoodRatioTest,
    Prediction,
    RmaResult,
    likelihood_ratio_test,
    pseudo_r2,
    rma,
)
from regenaid.evidence.robust import RobustResult, robust
from regenaid.evidence.sensitivity import RefitRow, cumul, leave1out
from regenaid.evidence.summaries import mean_sd_from_median_iqr, sd_of_change, yi_vi_from_ci
from regenaid.evidence.tau2 import METHODS

__all__ = [
    "MEASURES",
    "METHODS",
    "Blup",
    "EffectSizes",
    "FitStats",
    "HeterogeneityCI",
    "InfluenceRow",
    "LikelihoodRatioTest",
    "PooledTables",
    "Prediction",
    "RanktestResult",
    "RefitRow",
    "RegtestResult",
    "Residuals",
    "RmaResult",
    "RobustResult",
    "TrimfillResult",
    "blup",
    "cumul",
    "escalc",
    "fsn",
    "influence",
    "leave1out",
    "likelihood_ratio_test",
    "mean_sd_from_median_iqr",
    "pseudo_r2",
    "ranef",
    "ranktest",
    "regtest",
    "rma",
    "rma_mh",
    "rma_peto",
    "robust",
    "rstandard",
    "rstudent",
    "sd_of_change",
    "trimfill",
    "yi_vi_from_ci",
]
