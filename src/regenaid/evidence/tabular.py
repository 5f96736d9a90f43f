"""Effect sizes from a table of rows (e.g. a CSV read by the CLI), with errors naming the column.

Recognised columns (first match wins):

- ``yi`` with ``vi`` (or ``sei``): effect sizes given directly;
- ``m1i, sd1i, n1i, m2i, sd2i, n2i``: two-group means for MD, SMD, SMDH, ROM;
- ``ai, bi, ci, di`` (or ``ai, n1i, ci, n2i``): 2x2 tables for RR, OR, RD.

An empty cell is a missing value: the study is kept in the table and left out of the fit (as
metafor's ``na.omit``). A study label is taken from the first of ``study``, ``label``,
``author``, ``id`` that exists.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from regenaid.errors import InvalidInputError
from regenaid.evidence._inputs import FloatArray
from regenaid.evidence.effect_sizes import MEASURES, escalc

LABEL_COLUMNS = ("study", "label", "author", "id")
MEANS = ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")
CELLS = ("ai", "bi", "ci", "di")
CELLS_N = ("ai", "n1i", "ci", "n2i")


@dataclass(frozen=True, slots=True)
class EffectTable:
    measure: str
    yi: FloatArray
    vi: FloatArray
    labels: tuple[str, ...]


def _column(rows: Sequence[Mapping[str, str | None]], name: str) -> FloatArray:
    values = []
    for i, row in enumerate(rows, start=1):
        raw = (row.get(name) or "").strip()
        if raw == "" or raw.upper() in ("NA", "NAN"):
            values.append(math.nan)
            continue
        try:
            value = float(raw)
        except ValueError:
            raise InvalidInputError(f"{name} (row {i})", f"{raw!r} is not a number") from None
        if math.isinf(value):
            raise InvalidInputError(f"{name} (row {i})", "must be finite")
        values.append(value)
    return np.asarray(values, dtype=np.float64)


def effects_from_rows(rows: Sequence[Mapping[str, str | None]], measure: str) -> EffectTable:
    """``yi``/``vi`` and labels for ``measure`` from ``rows`` (see the module docstring)."""
    if measure not in MEASURES:
        raise InvalidInputError("measure", f"unknown measure {measure!r}", allowed=MEASURES)
    if not rows:
        raise InvalidInputError("rows", "the table has no rows")
    columns = set(rows[0])
    label_col = next((c for c in LABEL_COLUMNS if c in columns), None)
    labels = tuple(
        (row.get(label_col) or f"Study {i}") if label_col else f"Study {i}"
        for i, row in enumerate(rows, start=1)
    )
    if "yi" in columns:
        yi = _column(rows, "yi")
        if "vi" in columns:
            vi = _column(rows, "vi")
        elif "sei" in columns:
            vi = _column(rows, "sei") ** 2
        else:
            raise InvalidInputError("vi", "a yi column needs a vi (or sei) column")
        return EffectTable(measure, yi, vi, labels)
    if measure in ("MD", "SMD", "SMDH", "ROM"):
        missing = [c for c in MEANS if c not in columns]
        if missing:
            raise InvalidInputError(
                missing[0], f"column is missing for measure {measure}", allowed=MEANS
            )
        m1, s1, n1, m2, s2, n2 = (_column(rows, c) for c in MEANS)
        es = escalc(measure, m1i=m1, sd1i=s1, n1i=n1, m2i=m2, sd2i=s2, n2i=n2)
    elif measure in ("RR", "OR", "RD"):
        if all(c in columns for c in CELLS):
            a, b, c_, d = (_column(rows, c) for c in CELLS)
            es = escalc(measure, ai=a, bi=b, ci=c_, di=d)
        elif all(c in columns for c in CELLS_N):
            a, n1, c_, n2 = (_column(rows, c) for c in CELLS_N)
            es = escalc(measure, ai=a, n1i=n1, ci=c_, n2i=n2)
        else:
            missing = [c for c in CELLS if c not in columns]
            raise InvalidInputError(
                missing[0], f"column is missing for measure {measure}", allowed=CELLS
            )
    else:
        raise InvalidInputError(
            "measure", f"{measure} needs yi and vi columns in a table", allowed=("yi", "vi")
        )
    return EffectTable(measure, es.yi, es.vi, labels)
