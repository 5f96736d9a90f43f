"""Parameter distributions for probabilistic sensitivity analysis.

Each distribution is a small frozen object with ``sample(rng, n)`` (a seeded
``numpy.random.Generator``), ``mean`` and ``ppf(q)`` (quantiles, used for one-way ranges).
Build them from their native parameters or from a mean and standard deviation by the method of
moments (Briggs, Claxton & Sculpher, *Decision Modelling for Health Economic Evaluation*, 2006,
ch. 4):

- ``Beta.from_mean_sd``: ``a = m * (m(1-m)/s^2 - 1)``, ``b = a (1-m)/m`` (needs ``s^2 < m(1-m)``);
- ``Gamma.from_mean_sd``: ``shape = m^2/s^2``, ``scale = s^2/m``; ``Gamma(shape, scale)`` native,
  ``Gamma.from_shape_rate`` for rate-parameterised sources (R's ``rgamma(shape, rate)``);
- ``LogNormal.from_mean_sd``: ``sdlog^2 = log(1 + s^2/m^2)``, ``meanlog = log m - sdlog^2/2``;
  ``LogNormal(meanlog, sdlog)`` native (e.g. a hazard ratio ``log(0.6), 0.02``);
- ``Normal(mean, sd)``; ``Dirichlet(alpha)`` (vector draws, e.g. transition counts);
- ``Uniform(low, high)`` and ``Pert(low, mode, high)`` (Beta-PERT, shape 4: the range of a
  price list); ``Fixed(value)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol as TypingProtocol

import numpy as np
from scipy import special, stats

from regenaid.economics._types import FloatArray


class Distribution(TypingProtocol):
    """What the PSA needs from a scalar distribution."""

    @property
    def mean(self) -> float: ...

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray: ...

    def ppf(self, q: float) -> float: ...


def _positive(name: str, value: float) -> None:
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive finite number, got {value}")


@dataclass(frozen=True)
class Fixed:
    value: float

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return np.full(n, self.value, dtype=np.float64)

    def ppf(self, q: float) -> float:
        return self.value


@dataclass(frozen=True)
class Beta:
    a: float
    b: float

    def __post_init__(self) -> None:
        _positive("beta a", self.a)
        _positive("beta b", self.b)

    @classmethod
    def from_mean_sd(cls, mean: float, sd: float) -> Beta:
        if not 0 < mean < 1:
            raise ValueError(f"beta mean must be in (0, 1), got {mean}")
        if not 0 < sd**2 < mean * (1 - mean):
            raise ValueError(f"beta sd {sd} too large for mean {mean} (need sd^2 < m(1-m))")
        common = mean * (1 - mean) / sd**2 - 1
        return cls(mean * common, (1 - mean) * common)

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.beta(self.a, self.b, size=n)

    def ppf(self, q: float) -> float:
        # the inverse regularised incomplete beta function: what ``stats.beta.ppf`` computes
        # (the same Boost routine, the same values), without its argument checks (~30 us)
        return float(special.betaincinv(self.a, self.b, q))


@dataclass(frozen=True)
class Gamma:
    shape: float
    scale: float

    def __post_init__(self) -> None:
        _positive("gamma shape", self.shape)
        _positive("gamma scale", self.scale)

    @classmethod
    def from_mean_sd(cls, mean: float, sd: float) -> Gamma:
        _positive("gamma mean", mean)
        _positive("gamma sd", sd)
        return cls(mean**2 / sd**2, sd**2 / mean)

    @classmethod
    def from_shape_rate(cls, shape: float, rate: float) -> Gamma:
        _positive("gamma rate", rate)
        return cls(shape, 1.0 / rate)

    @property
    def mean(self) -> float:
        return self.shape * self.scale

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.gamma(self.shape, self.scale, size=n)

    def ppf(self, q: float) -> float:
        return float(stats.gamma.ppf(q, self.shape, scale=self.scale))


@dataclass(frozen=True)
class LogNormal:
    meanlog: float
    sdlog: float

    def __post_init__(self) -> None:
        _positive("lognormal sdlog", self.sdlog)

    @classmethod
    def from_mean_sd(cls, mean: float, sd: float) -> LogNormal:
        _positive("lognormal mean", mean)
        _positive("lognormal sd", sd)
        sdlog2 = math.log1p(sd**2 / mean**2)
        return cls(math.log(mean) - sdlog2 / 2, math.sqrt(sdlog2))

    @property
    def mean(self) -> float:
        return math.exp(self.meanlog + self.sdlog**2 / 2)

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.lognormal(self.meanlog, self.sdlog, size=n)

    def ppf(self, q: float) -> float:
        return float(math.exp(self.meanlog + self.sdlog * stats.norm.ppf(q)))


@dataclass(frozen=True)
class Normal:
    mu: float
    sd: float

    def __post_init__(self) -> None:
        _positive("normal sd", self.sd)

    @property
    def mean(self) -> float:
        return self.mu

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.normal(self.mu, self.sd, size=n)

    def ppf(self, q: float) -> float:
        return float(self.mu + self.sd * stats.norm.ppf(q))


@dataclass(frozen=True)
class Uniform:
    low: float
    high: float

    def __post_init__(self) -> None:
        if not self.high >= self.low:
            raise ValueError(f"uniform high {self.high} is below low {self.low}")

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.uniform(self.low, self.high, size=n)

    def ppf(self, q: float) -> float:
        return self.low + q * (self.high - self.low)


@dataclass(frozen=True)
class Pert:
    """Beta-PERT on ``low..high`` with the given mode: ``low + (high-low) * Beta(a, b)``,
    ``a = 1 + 4 (mode-low)/(high-low)``, ``b = 1 + 4 (high-mode)/(high-low)``."""

    low: float
    mode: float
    high: float

    def __post_init__(self) -> None:
        if not self.low <= self.mode <= self.high or self.high <= self.low:
            raise ValueError(f"PERT needs low <= mode <= high and low < high, got {self}")

    @property
    def _ab(self) -> tuple[float, float]:
        width = self.high - self.low
        return 1 + 4 * (self.mode - self.low) / width, 1 + 4 * (self.high - self.mode) / width

    @property
    def mean(self) -> float:
        return (self.low + 4 * self.mode + self.high) / 6

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        a, b = self._ab
        return self.low + (self.high - self.low) * rng.beta(a, b, size=n)

    def ppf(self, q: float) -> float:
        a, b = self._ab
        return float(self.low + (self.high - self.low) * stats.beta.ppf(q, a, b))


@dataclass(frozen=True)
class Dirichlet:
    """Vector draws (e.g. one row of a transition matrix from observed counts)."""

    alpha: tuple[float, ...]

    def __post_init__(self) -> None:
        if not any(a > 0 for a in self.alpha) or any(not a >= 0 for a in self.alpha):
            raise ValueError(f"dirichlet alpha must be >= 0 with one > 0, got {self.alpha}")

    @property
    def mean_vector(self) -> FloatArray:
        a = np.asarray(self.alpha, dtype=np.float64)
        return np.asarray(a / a.sum())

    def sample_vectors(self, rng: np.random.Generator, n: int) -> FloatArray:
        """``(n, len(alpha))`` draws; each row sums to 1; zero-count entries stay 0."""
        a = np.asarray(self.alpha, dtype=np.float64)
        out = np.zeros((n, a.size))
        positive = a > 0
        out[:, positive] = rng.dirichlet(a[positive], size=n)
        return out
