"""Short-lived, in-memory hand-over of chart data from a results page to its chart image.

Drawing the cumulative cost chart takes far longer than the rest of the results page, so the
page only stores the cost blocks under a random id and points an ``<img>`` at
``/charts/cost/<id>.svg``; the browser fetches the drawing in parallel. Entries expire after
``ttl_seconds`` and the store never holds more than ``max_entries`` (oldest dropped first).
Nothing here is written to disk, and the id reveals nothing about the person.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Entry:
    data: Mapping[str, Any]
    expires: float
    svg: str | None = field(default=None)


class ChartStore:
    """Thread-safe id -> chart data map with expiry and a size cap."""

    def __init__(self, ttl_seconds: float = 15 * 60, max_entries: int = 512) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, data: Mapping[str, Any]) -> str:
        chart_id = secrets.token_urlsafe(16)
        with self._lock:
            self._drop_expired()
            self._entries[chart_id] = _Entry(data, time.monotonic() + self.ttl_seconds)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return chart_id

    def get(self, chart_id: str) -> _Entry | None:
        with self._lock:
            self._drop_expired()
            return self._entries.get(chart_id)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _drop_expired(self) -> None:
        now = time.monotonic()
        for key in [k for k, e in self._entries.items() if e.expires <= now]:
            del self._entries[key]
