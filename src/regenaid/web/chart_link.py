"""Stateless hand-over of a results page's cost chart to its ``<img>`` request.

Drawing the cumulative cost chart takes far longer than the rest of the results page, so the
page points an ``<img>`` at ``/charts/cost/<token>.svg`` and the browser fetches the drawing in
parallel. The token *is* the chart's data: only what the chart draws (currency, each open
option's expected cost and 95% band by month as whole numbers, at most 61 points per curve,
break-even months), compressed
and signed with the app's secret key (HMAC-SHA256), so any worker or instance sharing the key
can draw it (no state in one process) and nobody can make the server draw data it did not
produce. It holds no answers: no health, budget or condition, only cost curves.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import zlib
from collections.abc import Mapping
from typing import Any

MAX_TOKEN = 12_000  # characters; five options over 240 months stay well below
MAX_JSON = 200_000  # bytes after decompression
_SIG = 16  # bytes of the HMAC kept
MAX_POINTS = 61  # points per curve: monthly up to five years, then every few months


def chart_payload(costs: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The parts of the cost blocks the chart draws, rounded to whole money units."""
    out: dict[str, Any] = {}
    for option, block in costs.items():
        curve = block.get("cumulative_by_month")
        if not isinstance(curve, Mapping):
            continue
        months = list(curve["month"])
        # long horizons: every few months is enough for a 7-inch chart (the last one is kept)
        step = -(-len(months) // MAX_POINTS)
        keep = sorted({*range(0, len(months), step), len(months) - 1}) if months else []
        out[option] = {
            "currency": block.get("currency"),
            "cumulative_by_month": {
                "month": [months[i] for i in keep],
                **{
                    k: [round(float(curve[k][i])) for i in keep]
                    for k in ("expected", "low", "high")
                },
            },
            "break_even": [
                {"versus": b.get("versus"), "month": b.get("month")}
                for b in block.get("break_even") or ()
                if isinstance(b, Mapping) and b.get("month") is not None
            ],
        }
    return out


def _sign(key: str, raw: bytes) -> bytes:
    return hmac.new(key.encode(), b"regenaid-chart\0" + raw, hashlib.sha256).digest()[:_SIG]


def chart_token(payload: Mapping[str, Any], key: str) -> str:
    raw = zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 9)
    return base64.urlsafe_b64encode(_sign(key, raw) + raw).rstrip(b"=").decode("ascii")


def chart_data(token: str, key: str) -> dict[str, Any] | None:
    """The payload of a token this server signed; None for anything else (never raises)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    try:
        blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    sig, raw = blob[:_SIG], blob[_SIG:]
    if len(sig) != _SIG or not hmac.compare_digest(sig, _sign(key, raw)):
        return None
    try:
        inflate = zlib.decompressobj()
        text = inflate.decompress(raw, MAX_JSON)
        if inflate.unconsumed_tail:
            return None
        data = json.loads(text)
    except (zlib.error, ValueError):
        return None
    return data if isinstance(data, dict) else None
