"""Checking and cleaning the numbers handed to the estimators (lengths, NaN, variances)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from regenaid.errors import InvalidInputError

FloatArray = NDArray[np.float64]
ArrayLike = Sequence[float] | Sequence[int] | FloatArray | NDArray[np.int64]


def as_vector(name: str, values: ArrayLike | None) -> FloatArray:
    """A 1-D float array; ``InvalidInputError`` naming ``name`` when it is not one."""
    if values is None:
        raise InvalidInputError(name, "is required")
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInputError(name, "must be a sequence of numbers") from None
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise InvalidInputError(name, f"must be one-dimensional, got shape {array.shape}")
    return array


def same_length(named: dict[str, FloatArray]) -> int:
    """The common length of the arrays; an error naming the first one that differs."""
    names = list(named)
    k = len(named[names[0]])
    for name in names[1:]:
        if len(named[name]) != k:
            raise InvalidInputError(
                name, f"has length {len(named[name])} but {names[0]} has length {k}"
            )
    return k


@dataclass(frozen=True, slots=True)
class CleanData:
    """Rows kept for fitting and the original indices of rows dropped for missing values."""

    yi: FloatArray
    vi: FloatArray
    X: FloatArray  # k x p design matrix (column of ones first)
    kept: NDArray[np.intp]
    dropped: tuple[int, ...]


def clean_for_fit(
    yi: ArrayLike,
    vi: ArrayLike,
    mods: FloatArray | Sequence[Sequence[float]] | Sequence[float] | None = None,
    intercept: bool = True,
) -> CleanData:
    """Validate ``yi``/``vi``/``mods`` and drop rows with a missing value.

    Follows metafor's default ``na.action = "na.omit"``: a study whose ``yi``, ``vi`` or any
    moderator is NaN is left out of the fit and reported in ``dropped`` (0-based indices).
    Infinite values and ``vi <= 0`` among the remaining rows are errors that give the index.
    """
    y = as_vector("yi", yi)
    v = as_vector("vi", vi)
    k = same_length({"yi": y, "vi": v})
    if mods is None:
        M = np.empty((k, 0))
    else:
        M = np.asarray(mods, dtype=np.float64)
        if M.ndim == 1:
            M = M.reshape(-1, 1)
        if M.ndim != 2 or M.shape[0] != k:
            raise InvalidInputError("mods", f"must have {k} rows (one per study), got {M.shape}")
    missing = np.isnan(y) | np.isnan(v)
    if M.size:
        missing |= np.isnan(M).any(axis=1)
    if missing.any():
        keep = ~missing
        y, v, M = y[keep], v[keep], M[keep]
        kept = np.flatnonzero(keep)
        dropped = tuple(int(i) for i in np.flatnonzero(missing))
    else:
        kept = np.arange(k)
        dropped = ()
    if not (np.isfinite(y).all() and np.isfinite(v).all()):
        for name, arr in (("yi", y), ("vi", v)):
            bad = np.flatnonzero(~np.isfinite(arr))
            if bad.size:
                raise InvalidInputError(f"{name}[{kept[bad[0]]}]", "must be a finite number")
    if not (v > 0).all():
        bad = np.flatnonzero(v <= 0)
        i = int(kept[bad[0]])
        raise InvalidInputError(
            f"vi[{i}]", f"sampling variances must be > 0, got {float(v[bad[0]])!r}"
        )
    if M.size and not np.isfinite(M).all():
        raise InvalidInputError("mods", "moderators must be finite numbers")
    if intercept:
        X = np.ones((len(y), 1)) if M.shape[1] == 0 else np.column_stack([np.ones(len(y)), M])
    else:
        X = M
    if X.shape[1] == 0:
        raise InvalidInputError("mods", "the model needs an intercept or at least one moderator")
    return CleanData(yi=y, vi=v, X=X, kept=kept, dropped=dropped)
