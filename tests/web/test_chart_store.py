"""The short-lived chart hand-over store: ids, expiry, size cap."""

from __future__ import annotations

import time

from regenaid.web.chart_store import ChartStore


def test_put_and_get() -> None:
    store = ChartStore()
    first, second = store.put({"prp": {}}), store.put({"exosome": {}})
    assert first != second and len(first) >= 20
    entry = store.get(first)
    assert entry is not None and entry.data == {"prp": {}}
    assert store.get("unknown") is None


def test_entries_expire() -> None:
    store = ChartStore(ttl_seconds=0.05)
    chart_id = store.put({"prp": {}})
    time.sleep(0.1)
    assert store.get(chart_id) is None
    assert len(store) == 0


def test_oldest_entries_are_dropped_beyond_the_cap() -> None:
    store = ChartStore(max_entries=3)
    ids = [store.put({"n": i}) for i in range(5)]
    assert len(store) == 3
    assert store.get(ids[0]) is None and store.get(ids[1]) is None
    assert all(store.get(i) is not None for i in ids[2:])
