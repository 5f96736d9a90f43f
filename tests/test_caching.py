"""The byte-bounded LRU cache (regenaid.caching): eviction by bytes in least-recently-used
order, counters, thread safety, and the sizes it charges."""

from __future__ import annotations

import random
import sys
import threading
from dataclasses import dataclass

import numpy as np
import pytest

from regenaid.caching import (
    ARRAY_OVERHEAD,
    SHARED,
    ByteLRU,
    approximate_size,
    bytes_cached,
    set_cache_budget,
)


def _held(store: ByteLRU) -> list[object]:
    """The keys held, least recently used first (white box: the order is the point here)."""
    return [key for _, key in store._entries]


def _consistent(store: ByteLRU) -> None:
    """The store's totals agree with its entries, overall and per namespace."""
    entries = list(store._entries.items())
    assert store.info().bytes == sum(size for _, (_, size) in entries)
    assert store.info().entries == len(entries)
    assert store.info().bytes <= store.max_bytes
    for namespace in {ns for (ns, _), _ in entries}:
        mine = [size for (ns, _), (_, size) in entries if ns == namespace]
        info = store.info(namespace)
        assert (info.entries, info.bytes) == (len(mine), sum(mine))


def test_evicts_least_recently_used_until_the_bytes_fit() -> None:
    store = ByteLRU(max_bytes=100)
    for key in "abc":
        assert store.store("f", key, key.upper(), 30)
    assert _held(store) == ["a", "b", "c"]
    assert store.lookup("f", "a") == (True, "A")  # "a" is now the most recently used
    assert store.store("f", "d", "D", 30)  # 120 bytes would not fit: "b" goes, not "a"
    assert _held(store) == ["c", "a", "d"]
    assert store.lookup("f", "b") == (False, None)
    assert store.store("f", "e", "E", 70)  # needs 70 of 100: "c" and "a" go
    assert _held(store) == ["d", "e"]
    info = store.info("f")
    assert (info.entries, info.bytes, info.evictions) == (2, 100, 3)
    _consistent(store)


def test_bytes_not_entries_bound_the_cache() -> None:
    store = ByteLRU(max_bytes=1000)
    for k in range(100):  # many small entries fit
        store.store("small", k, k, 10)
    assert store.info().entries == 100
    store.store("big", "x", "x", 950)  # one large one pushes out 95 small ones
    assert store.info("small").entries == 5
    assert store.info().bytes == 1000
    _consistent(store)


def test_a_value_larger_than_the_budget_is_not_stored() -> None:
    store = ByteLRU(max_bytes=100)
    store.store("f", "a", "A", 60)
    assert not store.store("f", "huge", "H", 101)
    assert _held(store) == ["a"]  # nothing was evicted for it
    assert not ByteLRU(max_bytes=0).store("f", "a", "A", 1)  # budget 0: caching off


def test_storing_a_key_again_replaces_it() -> None:
    store = ByteLRU(max_bytes=100)
    store.store("f", "a", "old", 40)
    store.store("f", "a", "new", 50)  # two threads computed it at once
    assert store.lookup("f", "a") == (True, "new")
    assert (store.info().entries, store.info().bytes) == (1, 50)


def test_resize_evicts_down_to_the_new_budget() -> None:
    store = ByteLRU(max_bytes=100)
    for key in "abcd":
        store.store("f", key, key, 25)
    store.resize(60)
    assert _held(store) == ["c", "d"]
    assert store.info().max_bytes == 60
    with pytest.raises(ValueError, match="max_bytes"):
        store.resize(-1)
    with pytest.raises(ValueError, match="max_bytes"):
        ByteLRU(-5)


def test_clear_one_namespace_or_all() -> None:
    store = ByteLRU(max_bytes=100)
    store.store("f", 1, "f1", 10)
    store.store("g", 1, "g1", 20)
    store.clear("f")
    assert store.lookup("f", 1) == (False, None)
    assert store.lookup("g", 1) == (True, "g1")
    assert (store.info().entries, store.info().bytes) == (1, 20)
    store.clear()
    assert (store.info().entries, store.info().bytes) == (0, 0)
    assert store.info("g").hits == 1  # counters of hits and misses stay
    _consistent(store)


def test_cached_function_counts_hits_and_misses() -> None:
    store = ByteLRU(max_bytes=10_000)
    calls: list[tuple[int, int]] = []

    @bytes_cached(sizeof=lambda value: 100, store=store)
    def add(a: int, b: int = 0) -> int:
        calls.append((a, b))
        return a + b

    assert add(1, 2) == 3
    assert add(1, 2) == 3
    assert add(1, b=2) == 3  # keyword arguments make another key, as with lru_cache
    assert add(2) == 2
    assert calls == [(1, 2), (1, 2), (2, 0)]
    info = add.cache_info()
    assert (info.hits, info.misses, info.entries, info.bytes) == (1, 3, 3, 300)
    assert add.__name__ == "add"
    add.cache_clear()
    assert add.cache_info().entries == 0
    assert add(1, 2) == 3
    assert len(calls) == 4
    assert add.__wrapped__(5, 5) == 10  # the function itself, not cached
    assert add.cache_info().entries == 1


def test_many_computes_what_is_missing_together() -> None:
    """CachedFunction.many: the values of several calls, those not held computed by one call
    of ``compute`` (each missing call once) and stored as the function's own; hits and misses
    counted per call, as by calling the function."""
    store = ByteLRU(max_bytes=10_000)
    batches: list[list[tuple[object, ...]]] = []

    @bytes_cached(sizeof=lambda value: 100, store=store)
    def square(k: int) -> int:
        return k * k

    def together(calls: list[tuple[object, ...]]) -> list[int]:
        batches.append(calls)
        return [int(str(k)) ** 2 for (k,) in calls]

    assert square(2) == 4
    assert square.many([(1,), (2,), (3,), (1,)], together) == [1, 4, 9, 1]
    assert batches == [[(1,), (3,)]]  # 2 was held; 1 is computed once for its two calls
    info = square.cache_info()
    assert (info.hits, info.misses, info.entries) == (1, 4, 3)
    assert square(3) == 9 and square.cache_info().hits == 2  # stored as the function's own
    assert square.many([(1,), (3,)], together) == [1, 9]
    assert len(batches) == 1  # nothing missing: compute is not called
    assert square.many([], together) == []
    with pytest.raises(ValueError):
        square.many([(7,), (8,)], lambda calls: [0])  # one result per missing call


def test_cached_functions_share_one_budget() -> None:
    store = ByteLRU(max_bytes=1000)

    @bytes_cached(sizeof=lambda value: 400, store=store)
    def first(k: int) -> int:
        return k

    @bytes_cached(sizeof=lambda value: 400, store=store)
    def second(k: int) -> int:
        return -k

    first(1)
    first(2)
    second(1)  # 1,200 bytes do not fit: first(1) goes
    assert first.cache_info().entries == 1
    assert second.cache_info().entries == 1
    assert first(1) == 1 and second(1) == -1  # same arguments, different functions
    assert first.cache_info().misses == 3


def test_unhashable_arguments_are_refused() -> None:
    @bytes_cached(store=ByteLRU(1000))
    def total(values: list[int]) -> int:
        return sum(values)

    with pytest.raises(TypeError, match="unhashable"):
        total([1, 2])


def test_threads_keep_the_cache_consistent() -> None:
    """Eight threads hammer one small cache with overlapping keys (some computed twice at
    once): every answer is right, counters add up, and the totals match the entries."""
    store = ByteLRU(max_bytes=5_000)
    computed = {"n": 0}
    lock = threading.Lock()

    @bytes_cached(sizeof=lambda value: 100 + (value % 7) * 50, store=store)
    def square(k: int) -> int:
        with lock:
            computed["n"] += 1
        return k * k

    calls_per_thread = 3_000
    errors: list[str] = []
    start = threading.Barrier(8)

    def work(seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        try:
            for _ in range(calls_per_thread):
                k = rng.randrange(120)
                if square(k) != k * k:
                    errors.append(f"square({k}) wrong")
                if rng.random() < 0.01:
                    store.info()  # readers too
        except Exception as error:  # e.g. a KeyError from an order changed under our feet
            errors.append(repr(error))

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, to provoke races
    try:
        threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(previous)
    assert not errors
    info = square.cache_info()
    assert info.hits + info.misses == 8 * calls_per_thread
    assert info.misses == computed["n"]
    assert info.evictions > 0  # 120 keys of 100-400 bytes do not fit in 5,000
    _consistent(store)


def test_set_cache_budget_resizes_the_shared_store() -> None:
    before = SHARED.max_bytes
    try:
        set_cache_budget(12_345)
        assert SHARED.max_bytes == 12_345
        assert SHARED.info().bytes <= 12_345
    finally:
        set_cache_budget(before)


# ---------------------------------------------------------------- sizes


@dataclass(frozen=True)
class _Draws:
    price: np.ndarray
    label: str


def test_arrays_count_their_data() -> None:
    a = np.zeros(2000)
    assert approximate_size(a) == ARRAY_OVERHEAD + 16_000
    view = a[:1000]  # a view keeps the whole buffer alive; it is charged its own part
    assert approximate_size(view) == ARRAY_OVERHEAD + 8_000
    draws = _Draws(a, "prp")
    assert approximate_size(draws) >= 16_000 + sys.getsizeof("prp")
    assert approximate_size((draws, draws)) == approximate_size(draws) + sys.getsizeof(
        (draws, draws)
    )  # reached twice, counted once


def test_containers_count_what_they_hold() -> None:
    curve = [float(k) + 0.5 for k in range(241)]
    assert approximate_size(curve) == sys.getsizeof(curve) + 241 * sys.getsizeof(0.5)
    block = {"expected": curve, "note": "x" * 1000, "interval": {"low": 1.0, "high": 2.0}}
    assert approximate_size(block) >= approximate_size(curve) + 1000
    mixed = [curve, "text", 3, None]
    assert approximate_size(mixed) > approximate_size(curve)
    # the keys of a dict are not charged: they are names in the code, shared by all entries
    assert approximate_size({"a" * 500: 1.0}) == sys.getsizeof({"a" * 500: 1.0}) + 24


def test_other_objects_count_only_themselves() -> None:
    class Holder:
        def __init__(self) -> None:
            self.big = np.zeros(100_000)

    # not a dataclass: its attributes (say, a knowledge base) are not charged to the entry
    assert approximate_size(Holder()) == sys.getsizeof(Holder())
    assert approximate_size(Holder) == sys.getsizeof(Holder)  # a class, not an array
