"""Caches bounded by the memory their values hold, not by how many values there are.

``functools.lru_cache(maxsize=N)`` bounds the number of entries, but one entry of the cost model
holds anything from a few kB to a few hundred kB (NumPy draws, cost curves over up to 240
months), so a count says little about a worker's memory. :class:`ByteLRU` is a
least-recently-used store bounded by the total size of its values in bytes, and
:func:`bytes_cached` memoises a function in one.

The cost model's caches share one store, :data:`SHARED`: together they hold at most its budget,
and whichever of them is busy gets the room. The budget is :data:`DEFAULT_MAX_BYTES` until an
edge sets another one with :func:`set_cache_budget` (the web app does, from
``REGENAID_CACHE_MEGABYTES``); the core never reads configuration.

Sizes are measured once, when a value is stored, by the cache's ``sizeof`` function (by default
:func:`approximate_size`). A value larger than the whole budget is not stored.

Thread-safe (the web app runs handlers in a thread pool): one lock guards the store's order and
counters. The function itself runs outside the lock, so two threads that ask for the same new
key at once may both compute it, as with ``functools.lru_cache``; the later result replaces the
earlier one. Cached values are shared by every caller and must be treated as read-only.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar, cast

P = ParamSpec("P")
R = TypeVar("R")

MEGABYTE = 2**20
# Room for the cost model's results of a few hundred distinct (condition, currency, horizon,
# earlier response) combinations; a worker then stays far below the 400 MB of issue 10
# (``python -m benchmarks service`` reports it).
DEFAULT_MAX_BYTES = 128 * MEGABYTE


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """Counters of one cache (or of a whole store)."""

    hits: int
    misses: int
    evictions: int  # entries dropped to make room (not those removed by clear())
    entries: int
    bytes: int  # total measured size of the entries held
    max_bytes: int  # the store's budget


@dataclass(slots=True)
class _Counts:
    hits: int = 0
    misses: int = 0
    evictions: int = 0
    entries: int = 0
    bytes: int = 0


class _HashedKey(list[Any]):
    """The arguments of a call as a key that is hashed once (as ``functools.lru_cache`` does:
    a lookup and a store hash the key several times, and cost-model inputs are deep)."""

    __slots__ = ("_hash",)

    def __init__(self, items: tuple[Any, ...]) -> None:
        super().__init__(items)
        self._hash = hash(items)

    def __hash__(self) -> int:  # type: ignore[override]
        return self._hash


class ByteLRU:
    """A least-recently-used store of values, bounded by the sum of their sizes in bytes.

    Entries are kept per ``namespace`` (one per cached function) so that each cache can be
    cleared and counted on its own while all of them share one budget."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        # (namespace, key) -> (value, size); the first entry is the least recently used
        self._entries: OrderedDict[tuple[str, Hashable], tuple[object, int]] = OrderedDict()
        self._bytes = 0
        self._counts: dict[str, _Counts] = {}

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    def resize(self, max_bytes: int) -> None:
        """Set the budget; least recently used entries go until the rest fits."""
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
        with self._lock:
            self._max_bytes = max_bytes
            self._evict_to(max_bytes)

    def lookup(self, namespace: str, key: Hashable) -> tuple[bool, object]:
        """``(True, value)`` when ``key`` is held (it becomes the most recently used), else
        ``(False, None)``; counted as a hit or a miss of ``namespace``."""
        entry_key = (namespace, key)
        with self._lock:
            counts = self._counts_of(namespace)
            entry = self._entries.get(entry_key)
            if entry is None:
                counts.misses += 1
                return False, None
            self._entries.move_to_end(entry_key)
            counts.hits += 1
            return True, entry[0]

    def store(self, namespace: str, key: Hashable, value: object, size: int) -> bool:
        """Hold ``value`` (measured at ``size`` bytes), evicting the least recently used entries
        until it fits; False when it alone is larger than the budget (then nothing changes)."""
        size = max(int(size), 0)
        entry_key = (namespace, key)
        with self._lock:
            if size > self._max_bytes:
                return False
            counts = self._counts_of(namespace)
            old = self._entries.pop(entry_key, None)
            if old is not None:  # computed twice at once: the later one replaces it
                self._forget(namespace, old[1])
            self._evict_to(self._max_bytes - size)
            self._entries[entry_key] = (value, size)
            self._bytes += size
            counts.entries += 1
            counts.bytes += size
            return True

    def clear(self, namespace: str | None = None) -> None:
        """Drop every entry (of ``namespace`` only, when given); counters of hits and misses
        stay."""
        with self._lock:
            if namespace is None:
                self._entries.clear()
                self._bytes = 0
                for counts in self._counts.values():
                    counts.entries = counts.bytes = 0
                return
            for entry_key in [k for k in self._entries if k[0] == namespace]:
                _, size = self._entries.pop(entry_key)
                self._forget(namespace, size)

    def info(self, namespace: str | None = None) -> CacheInfo:
        """Counters of ``namespace``, or of the whole store."""
        with self._lock:
            if namespace is not None:
                c = self._counts.get(namespace, _Counts())
                return CacheInfo(c.hits, c.misses, c.evictions, c.entries, c.bytes, self._max_bytes)
            every = list(self._counts.values())
            return CacheInfo(
                hits=sum(c.hits for c in every),
                misses=sum(c.misses for c in every),
                evictions=sum(c.evictions for c in every),
                entries=len(self._entries),
                bytes=self._bytes,
                max_bytes=self._max_bytes,
            )

    def _counts_of(self, namespace: str) -> _Counts:
        counts = self._counts.get(namespace)
        if counts is None:
            counts = self._counts[namespace] = _Counts()
        return counts

    def _forget(self, namespace: str, size: int) -> None:
        self._bytes -= size
        counts = self._counts[namespace]
        counts.entries -= 1
        counts.bytes -= size

    def _evict_to(self, limit: int) -> None:
        """Drop least recently used entries until at most ``limit`` bytes are held (lock held)."""
        while self._entries and self._bytes > limit:
            (namespace, _), (_, size) = self._entries.popitem(last=False)
            self._forget(namespace, size)
            self._counts[namespace].evictions += 1


SHARED = ByteLRU(DEFAULT_MAX_BYTES)


def set_cache_budget(max_bytes: int) -> None:
    """Set the budget of :data:`SHARED` (an edge calls this at start-up, from its settings)."""
    SHARED.resize(max_bytes)


class CachedFunction(Generic[P, R]):
    """A function memoised in a :class:`ByteLRU` (made by :func:`bytes_cached`)."""

    def __init__(self, fn: Callable[P, R], store: ByteLRU, sizeof: Callable[[R], int]) -> None:
        functools.update_wrapper(self, fn)
        self.__wrapped__ = fn
        self._store = store
        self._sizeof = sizeof
        self._namespace = f"{fn.__module__}.{fn.__qualname__}"

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        key = _HashedKey(args if not kwargs else (*args, _KEYWORDS, *sorted(kwargs.items())))
        found, value = self._store.lookup(self._namespace, key)
        if found:
            return cast(R, value)
        result = self.__wrapped__(*args, **kwargs)
        self._store.store(self._namespace, key, result, self._sizeof(result))
        return result

    def many(
        self,
        calls: Sequence[tuple[Any, ...]],
        compute: Callable[[list[tuple[Any, ...]]], Sequence[R]],
    ) -> list[R]:
        """What calling the function with each argument tuple of ``calls`` (positional
        arguments) gives, with the results not held computed together: ``compute`` gets their
        argument tuples (each once) and returns their results in the same order, which are
        stored as the function's own (so ``compute`` must give what the function gives). A hit
        or a miss is counted per call, as by calling the function."""
        keys = [_HashedKey(args) for args in calls]
        out: list[R | None] = []
        missing: dict[_HashedKey, list[int]] = {}
        for k, key in enumerate(keys):
            found, value = self._store.lookup(self._namespace, key)
            out.append(cast(R, value) if found else None)
            if not found:
                missing.setdefault(key, []).append(k)
        if missing:
            wanted = list(missing)
            results = compute([tuple(key) for key in wanted])
            if len(results) != len(wanted):
                raise ValueError("compute must give one result per call")
            for key, result in zip(wanted, results, strict=True):
                self._store.store(self._namespace, key, result, self._sizeof(result))
                for k in missing[key]:
                    out[k] = result
        return cast(list[R], out)

    def cache_clear(self) -> None:
        """Forget this function's results (as ``functools.lru_cache`` has it)."""
        self._store.clear(self._namespace)

    def cache_info(self) -> CacheInfo:
        """This function's hits, misses, evictions, entries and bytes."""
        return self._store.info(self._namespace)


_KEYWORDS = object()  # separates positional from keyword arguments in a key


def bytes_cached(
    sizeof: Callable[[Any], int] | None = None, store: ByteLRU | None = None
) -> Callable[[Callable[P, R]], CachedFunction[P, R]]:
    """Memoise a function whose arguments are hashable in ``store`` (default :data:`SHARED`),
    each result measured by ``sizeof`` (default :func:`approximate_size`)."""

    def decorate(fn: Callable[P, R]) -> CachedFunction[P, R]:
        return CachedFunction(fn, store or SHARED, sizeof or approximate_size)

    return decorate


# What a NumPy array object costs besides its data (CPython 3.11, 64-bit: 112 bytes for a
# one-dimensional array); only the order of magnitude matters next to the data.
ARRAY_OVERHEAD = 112
_FLOAT_BYTES = sys.getsizeof(0.0)
_NUMBERS = frozenset({float, int, bool})
_FLOATS = {float}
_LEAVES = frozenset({float, int, bool, str, bytes, type(None)})
_SEQUENCES = frozenset({list, tuple, set, frozenset})


def approximate_size(value: object) -> int:
    """About how many bytes ``value`` keeps alive, for a cache's budget.

    ``sys.getsizeof`` of each object reached through lists, tuples, sets, dicts (their values;
    keys are mostly names written in the code, shared by every entry) and dataclass fields,
    plus the buffer of each object with an integer ``nbytes`` (a NumPy array: its data, counted
    even when it is a view, and :data:`ARRAY_OVERHEAD`). A container, string or array reached
    twice counts once; numbers, and the strings in a container of numbers and strings only,
    count every time (small ints, ``None`` and many strings are shared, so this errs on the
    high side). Other objects count as ``sys.getsizeof`` alone: values must not point at
    long-lived shared objects they would be charged for (such as a knowledge base).

    Linear in the number of objects, about a microsecond each, except that a container of
    numbers and strings only is summed in C: a cache whose values are large and alike may pass
    a quicker estimate of its own as ``sizeof`` (the cost model's caches do)."""
    getsizeof = sys.getsizeof
    seen: set[int] = set()
    total = 0
    stack: list[Any] = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind in _NUMBERS or item is None:
            total += getsizeof(item)
            continue
        if id(item) in seen:
            continue
        seen.add(id(item))
        if kind is str or kind is bytes:
            total += getsizeof(item)
        elif kind is dict or kind in _SEQUENCES:
            total += getsizeof(item)
            # a dict's values, not its keys: those are names in the code, shared by every entry
            items = item.values() if kind is dict else item
            kinds = set(map(type, items))
            if kinds == _FLOATS:  # e.g. a cost curve
                total += _FLOAT_BYTES * len(item)
            elif kinds <= _LEAVES:  # numbers, strings (not looked for elsewhere), None
                total += sum(map(getsizeof, items))
            else:
                extend(items)
        elif (names := _field_names(kind)) is not None:  # a dataclass instance
            total += getsizeof(item)
            extend([getattr(item, name) for name in names])
            if hasattr(item, "__dict__"):
                total += getsizeof(item.__dict__)
        elif isinstance(getattr(item, "nbytes", None), int) and not isinstance(item, type):
            total += ARRAY_OVERHEAD + item.nbytes
        else:
            total += getsizeof(item)
            if isinstance(item, dict):  # subclasses of the containers above
                extend(item.values())
            elif isinstance(item, list | tuple | set | frozenset):
                extend(item)
    return total


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(kind: type) -> tuple[str, ...] | None:
    """The field names of a dataclass (None for other types), looked up once per type."""
    try:
        return _FIELD_NAMES[kind]
    except KeyError:
        names = None
        if dataclasses.is_dataclass(kind):
            names = tuple(f.name for f in dataclasses.fields(kind))
        _FIELD_NAMES[kind] = names
        return names
