"""Health-economic engine (cohort Markov models, ICERs, PSA) and regenaid's own cost model.

Pure NumPy/SciPy; see ``docs/economics.md`` for the model structure and its validation.
"""

from regenaid.economics.cohort import CohortModel, CohortResult, Strategy, StrategyResult
from regenaid.economics.decision import ceac, ceaf, evpi, net_monetary_benefit
from regenaid.economics.icers import IcerRow, icers

__all__ = [
    "CohortModel",
    "CohortResult",
    "IcerRow",
    "Strategy",
    "StrategyResult",
    "ceac",
    "ceaf",
    "evpi",
    "icers",
    "net_monetary_benefit",
]
