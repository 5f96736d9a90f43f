"""Typed reading of one YAML entry, with errors that name the file, the entry and the field.

Each data file is a list of mappings. :class:`EntryReader` wraps one mapping; every getter
checks the value's type (and allowed values) and raises :class:`KnowledgeError` on failure.
``finish()`` rejects keys that no getter asked for, so a typo in a field name is an error
instead of a silently ignored fact.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Set
from typing import TypeVar

from regenaid.errors import KnowledgeError
from regenaid.knowledge.model import CONDITIONS_BY_CONCERN, SEXES, CitedText, Range

T = TypeVar("T", bound=str)
ALL_CONDITION_IDS: tuple[str, ...] = tuple(c for cs in CONDITIONS_BY_CONCERN.values() for c in cs)


class EntryReader:
    """Reads the fields of one data-file entry; see the module docstring."""

    def __init__(
        self,
        file: str,
        entry: str,
        data: object,
        known_sources: Set[str] | None = None,
    ) -> None:
        self.file = file
        self.entry = entry
        if not isinstance(data, Mapping):
            raise KnowledgeError(file, entry, "*", "entry must be a mapping of field: value")
        for key in data:
            if not isinstance(key, str):
                raise KnowledgeError(file, entry, str(key), "field names must be text")
        self._data: Mapping[str, object] = data
        self._seen: set[str] = set()
        self._known_sources = known_sources
        # Statements that are true by definition ("no treatment uses no material") may be
        # uncited; the loader turns this on only for such entries.
        self.uncited_ok = False

    # --- plumbing ----------------------------------------------------------------------

    def error(self, field: str, message: str) -> KnowledgeError:
        return KnowledgeError(self.file, self.entry, field, message)

    def nested(self, entry: str, data: object) -> EntryReader:
        """A reader for a mapping inside this entry, checking sources the same way."""
        return EntryReader(self.file, entry, data, self._known_sources)

    def has(self, name: str) -> bool:
        return self._data.get(name) is not None

    def _get(self, name: str, required: bool) -> object:
        self._seen.add(name)
        value = self._data.get(name)
        if value is None and required:
            raise self.error(name, "is required")
        return value

    def finish(self) -> None:
        """Reject fields that are not part of this record type."""
        unknown = sorted(set(self._data) - self._seen)
        if unknown:
            allowed = ", ".join(sorted(self._seen))
            raise self.error(unknown[0], f"unknown field (allowed: {allowed})")

    # --- scalars -----------------------------------------------------------------------

    def text(self, name: str) -> str:
        value = self._get(name, required=True)
        if not isinstance(value, str) or not value.strip():
            raise self.error(name, "must be non-empty text")
        return " ".join(value.split())

    def opt_text(self, name: str) -> str | None:
        if self._get(name, required=False) is None:
            return None
        return self.text(name)

    def choice(self, name: str, allowed: Collection[T]) -> T:
        value = self._get(name, required=True)
        for option in allowed:
            if value == option:
                return option
        raise self.error(name, f"{value!r} is not allowed (allowed: {', '.join(allowed)})")

    def opt_choice(self, name: str, allowed: Collection[T]) -> T | None:
        """Like :meth:`choice`, but None when the field is absent."""
        if self._get(name, required=False) is None:
            return None
        return self.choice(name, allowed)

    def opt_choices(self, name: str, allowed: Collection[T]) -> tuple[T, ...]:
        """Like :meth:`choices`, but ``()`` when the field is absent."""
        if self._get(name, required=False) is None:
            return ()
        return self.choices(name, allowed)

    def choices(
        self, name: str, allowed: Collection[T], *, allow_empty: bool = False
    ) -> tuple[T, ...]:
        value = self._get(name, required=True)
        if not isinstance(value, list):
            raise self.error(name, "must be a list")
        if not value and not allow_empty:
            raise self.error(name, "must not be empty")
        out: list[T] = []
        for item in value:
            match = next((option for option in allowed if option == item), None)
            if match is None:
                raise self.error(name, f"{item!r} is not allowed (allowed: {', '.join(allowed)})")
            if match in out:
                raise self.error(name, f"{item!r} is listed twice")
            out.append(match)
        return tuple(out)

    def flag(self, name: str) -> bool:
        value = self._get(name, required=True)
        if not isinstance(value, bool):
            raise self.error(name, "must be true or false")
        return value

    def number(self, name: str, *, minimum: float | None = None) -> float:
        value = self._get(name, required=True)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(name, "must be a number")
        number = float(value)
        if minimum is not None and number < minimum:
            raise self.error(name, f"must be at least {minimum:g}")
        return number

    def opt_int(self, name: str) -> int | None:
        value = self._get(name, required=False)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(name, "must be a whole number")
        return value

    # --- composite values --------------------------------------------------------------

    def range(self, name: str, *, minimum: float = 0.0) -> Range:
        value = self._get(name, required=True)
        return self._range(name, value, minimum)

    def opt_range(self, name: str, *, minimum: float = 0.0) -> Range | None:
        value = self._get(name, required=False)
        if value is None:
            return None
        return self._range(name, value, minimum)

    def _range(self, name: str, value: object, minimum: float) -> Range:
        if not isinstance(value, Mapping) or set(value) != {"low", "high"}:
            raise self.error(name, "must be a mapping with exactly 'low' and 'high'")
        ends: list[float] = []
        for end in ("low", "high"):
            item = value[end]
            if isinstance(item, bool) or not isinstance(item, int | float):
                raise self.error(f"{name}.{end}", "must be a number")
            if item < minimum:
                raise self.error(f"{name}.{end}", f"must be at least {minimum:g}")
            ends.append(float(item))
        if ends[1] < ends[0]:
            raise self.error(name, f"high {ends[1]:g} is below low {ends[0]:g}")
        return Range(ends[0], ends[1])

    def sources(self, name: str = "sources", *, required: bool = True) -> tuple[str, ...]:
        value = self._get(name, required=required)
        if value is None:
            return ()
        return self._source_ids(name, value, required=required)

    def _source_ids(self, name: str, value: object, *, required: bool) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.error(name, "must be a list of bibliography ids")
        if required and not value:
            raise self.error(name, "must cite at least one source")
        ids: list[str] = []
        for item in value:
            if not isinstance(item, str):
                raise self.error(name, f"{item!r} is not a bibliography id")
            if self._known_sources is not None and item not in self._known_sources:
                raise self.error(name, f"unknown source id {item!r} (not in data/sources/*.yaml)")
            if item in ids:
                raise self.error(name, f"source {item!r} is cited twice")
            ids.append(item)
        return tuple(ids)

    def cited(self, name: str) -> CitedText:
        value = self._get(name, required=True)
        return self._cited(name, value)

    def cited_list(self, name: str, *, required: bool = True) -> tuple[CitedText, ...]:
        value = self._get(name, required=required)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.error(name, "must be a list of {text, sources}")
        if required and not value:
            raise self.error(name, "must not be empty")
        return tuple(self._cited(f"{name}[{i}]", item) for i, item in enumerate(value))

    def _cited(self, name: str, value: object) -> CitedText:
        if not isinstance(value, Mapping) or not {"text", "sources"} <= set(value) <= {
            "text",
            "sources",
            "conditions",
            "sexes",
        }:
            raise self.error(
                name,
                "must be a mapping with 'text' and 'sources' "
                "(and optional 'conditions' and 'sexes')",
            )
        text = value["text"]
        if not isinstance(text, str) or not text.strip():
            raise self.error(f"{name}.text", "must be non-empty text")
        sources = self._source_ids(
            f"{name}.sources", value["sources"], required=not self.uncited_ok
        )
        conditions = value.get("conditions") or []
        if not isinstance(conditions, list) or not all(
            isinstance(c, str) and c in ALL_CONDITION_IDS for c in conditions
        ):
            raise self.error(
                f"{name}.conditions",
                f"must be a list of condition ids (allowed: {', '.join(ALL_CONDITION_IDS)})",
            )
        sexes = value.get("sexes") or []
        if not isinstance(sexes, list) or not all(x in SEXES for x in sexes):
            raise self.error(
                f"{name}.sexes", f"must be a list of sexes (allowed: {', '.join(SEXES)})"
            )
        return CitedText(" ".join(text.split()), sources, tuple(conditions), tuple(sexes))

    def raw(self, name: str, *, required: bool = True) -> object:
        """The unchecked value, for nested records read by their own reader."""
        return self._get(name, required=required)
