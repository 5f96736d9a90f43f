"""Parameters of regenaid's cost model that do not come from the knowledge base, with their basis.

No study in the evidence base reports the share of people who respond to PRP, exosome therapy,
their combination or conventional care in a form that can be pooled (the PRP meta-analyses pool
mean differences in hair density, with low certainty; exosome evidence is very low certainty).
The response probabilities below are therefore ASSUMPTIONS: wide Beta priors, wider where the
evidence is weaker. They are stated as such wherever they are used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from regenaid.economics.distributions import Beta
from regenaid.knowledge.model import TreatmentId

PriorResponse = Literal["none", "partial", "good", "unknown"]


@dataclass(frozen=True)
class ResponsePrior:
    """A response probability's distribution and the words that explain where it comes from."""

    distribution: Beta
    basis: str
    sources: tuple[str, ...]


# mean, sd of the response probability (assumptions; see module docstring)
_RESPONSE: dict[TreatmentId, tuple[float, float, str, tuple[str, ...]]] = {
    "prp": (
        0.55,
        0.15,
        "PRP response probability is an assumption (Beta, mean 55%, SD 15%): no study reports "
        "the share of people who respond (for pattern hair loss, meta-analyses report mean gains "
        "in hair density with low certainty, and several placebo-controlled trials found no "
        "difference).",
        ("st-kieling-2024", "st-cruciani-2021", "st-shapiro-2020", "st-puig-2016"),
    ),
    "exosome": (
        0.45,
        0.20,
        "Exosome response probability is an assumption (Beta, mean 45%, SD 20%): the evidence is "
        "very low certainty (small, mostly uncontrolled studies), so the prior is wide.",
        ("st-queen-2025", "st-amini-2025"),
    ),
    "combination": (
        0.55,
        0.18,
        "Combination response probability is an assumption (Beta, mean 55%, SD 18%): no study "
        "of PRP plus exosomes was found.",
        (),
    ),
    "conventional": (
        0.60,
        0.12,
        "Conventional-care response probability is an assumption (Beta, mean 60%, SD 12%) for "
        "first-line treatments taken as directed.",
        ("minoxidil-review-pmc6691938",),
    ),
}

DISCONTINUATION_PER_YEAR = Beta.from_mean_sd(0.25, 0.10)
DISCONTINUATION_BASIS = (
    "Responders stop maintenance with an assumed 25% probability per year (Beta, SD 10%); "
    "no source reports how long people keep up maintenance."
)


def _adjust(mean: float, prior: PriorResponse | None) -> tuple[float, str | None]:
    if prior == "none":
        return mean * 0.5, "Halved because an earlier course of this treatment did not work."
    if prior == "good":
        return mean + (1 - mean) * 0.4, "Raised because an earlier course of it worked well."
    return mean, None


def response_prior(
    treatment: TreatmentId, prior: PriorResponse | None = None
) -> ResponsePrior | None:
    """The response prior of ``treatment`` (None for ``no_treatment``), adjusted by the
    person's earlier response to the same treatment (an assumption, said in ``basis``)."""
    if treatment not in _RESPONSE:
        return None
    mean, sd, basis, sources = _RESPONSE[treatment]
    adjusted, why = _adjust(mean, prior)
    if why is not None:
        sd = min(sd, 0.9 * (adjusted * (1 - adjusted)) ** 0.5)
        basis = f"{basis} {why}"
    return ResponsePrior(Beta.from_mean_sd(adjusted, sd), basis, sources)
