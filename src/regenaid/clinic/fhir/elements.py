"""Small pieces shared by the export and the import: FHIR ids made from record ids, references,
extensions, JSON-valued extensions, and :class:`Node`, a resource's JSON read with its path
so that every refusal names the element (``entry[3].resource(Observation/x).valueQuantity``).
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from regenaid.clinic.fhir.vocabulary import STAFF_SYSTEM
from regenaid.errors import InvalidInputError

_RECORD_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_STAFF_ID = re.compile(r"^[A-Za-z0-9_-]{1,22}$")  # the store's staff columns hold 22
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAMESPACE = uuid.UUID("5b0c6d52-6f7e-4d0b-9a51-2f0f3f8c1e11")

JsonObject = dict[str, Any]


# --- building --------------------------------------------------------------------------------


def fhir_id(record_id: str, *suffix: str) -> str:
    """A FHIR id for a record id (FHIR ids allow ``.`` but not ``_``: ``_`` becomes ``.``,
    which a record id never holds); ``suffix`` parts name resources derived from one record."""
    if _RECORD_ID.match(record_id):
        text = ".".join((record_id.replace("_", "."), *suffix))
        if _FHIR_ID.match(text):
            return text
    return str(uuid.uuid5(_NAMESPACE, "/".join((record_id, *suffix))))


def ref(resource_type: str, record_id: str, *suffix: str) -> JsonObject:
    return {"reference": f"{resource_type}/{fhir_id(record_id, *suffix)}"}


def staff(staff_id: str) -> JsonObject:
    """A staff member as a logical reference (identifier only; see docs/clinic-fhir.md)."""
    return {"identifier": {"system": STAFF_SYSTEM, "value": staff_id}}


def coding(system: str, code: str, display: str | None = None) -> JsonObject:
    out: JsonObject = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> Any:
    out: JsonObject = {"coding": [coding(system, code, display)]}
    if text:
        out["text"] = text
    return out


def instant(moment: datetime) -> str:
    """An aware datetime as FHIR dateTime/instant text, in UTC with its microseconds."""
    if moment.utcoffset() is None:
        raise ValueError("naive datetime: the clinic's records are in UTC")
    return moment.astimezone(UTC).isoformat()


def extension(url: str, kind: str, value: Any) -> JsonObject:
    return {"url": url, f"value{kind}": value}


def json_text(value: Any) -> str:
    """``value`` as compact JSON text with sorted keys (for a JSON-valued extension)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def add_extensions(resource: JsonObject, items: Sequence[JsonObject | None]) -> None:
    found = [item for item in items if item is not None]
    if found:
        resource.setdefault("extension", []).extend(found)


def optional(url: str, kind: str, value: Any) -> JsonObject | None:
    return None if value is None else extension(url, kind, value)


# --- reading ---------------------------------------------------------------------------------


class Node:
    """One JSON object of a resource being imported, and where it is in the Bundle."""

    def __init__(self, data: Mapping[str, Any], path: str) -> None:
        self.data = data
        self.path = path

    def at(self, name: str) -> str:
        return f"{self.path}.{name}" if name else self.path

    def fail(self, name: str, message: str, allowed: Sequence[str] | None = None) -> Exception:
        return InvalidInputError(self.at(name), message, allowed)

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def _required(self, name: str) -> Any:
        value = self.data.get(name)
        if value is None:
            raise self.fail(name, "is required")
        return value

    def text(self, name: str) -> str:
        value = self._required(name)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, "must be text")
        return value

    def optional_text(self, name: str) -> str | None:
        return self.text(name) if self.has(name) else None

    def integer(self, name: str) -> int:
        value = self._required(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, "must be a whole number")
        return value

    def number(self, name: str) -> float:
        value = self._required(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(name, "must be a number")
        if not math.isfinite(value):
            raise self.fail(name, "must be a finite number")
        return float(value)

    def boolean(self, name: str) -> bool:
        value = self._required(name)
        if not isinstance(value, bool):
            raise self.fail(name, "must be true or false")
        return value

    def day(self, name: str) -> date:
        return parse_day(self._required(name), self.at(name))

    def optional_day(self, name: str) -> date | None:
        return self.day(name) if self.has(name) else None

    def moment(self, name: str) -> datetime:
        value = self._required(name)
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or "T" not in value or parsed.utcoffset() is None:
            raise self.fail(name, "must be a date and time with its time zone")
        return parsed.astimezone(UTC)

    def optional_moment(self, name: str) -> datetime | None:
        return self.moment(name) if self.has(name) else None

    def child(self, name: str) -> Node:
        value = self._required(name)
        if not isinstance(value, Mapping):
            raise self.fail(name, "must be an object")
        return Node(value, self.at(name))

    def optional_child(self, name: str) -> Node | None:
        return self.child(name) if self.has(name) else None

    def children(self, name: str) -> list[Node]:
        value = self.data.get(name) or []
        if not isinstance(value, list):
            raise self.fail(name, "must be a list")
        return [Node(item, f"{self.at(name)}[{i}]") for i, item in enumerate(value)]

    def first(self, name: str) -> Node:
        items = self.children(name)
        if not items:
            raise self.fail(name, "is required")
        return items[0]

    # extensions ------------------------------------------------------------------------

    def exts(self, url: str) -> list[Node]:
        return [item for item in self.children("extension") if item.data.get("url") == url]

    def ext(self, url: str) -> Node | None:
        found = self.exts(url)
        if len(found) > 1:
            raise found[1].fail("", f"extension {url} is given more than once")
        return found[0] if found else None

    def required_ext(self, url: str) -> Node:
        found = self.ext(url)
        if found is None:
            raise self.fail("extension", f"the extension {url} is required")
        return found

    def ext_json(self, url: str) -> tuple[Any, str]:
        """The JSON value of a JSON-valued extension, and the path of its text."""
        found = self.required_ext(url)
        text = found.text("valueString")
        try:
            return json.loads(text), found.at("valueString")
        except ValueError as exc:
            raise found.fail("valueString", f"is not JSON ({exc})") from None
        except RecursionError:
            raise found.fail("valueString", "is nested too deeply") from None

    def staff_id(self, name: str) -> str:
        """The staff id of the logical reference ``name`` (see :meth:`staff_ref`)."""
        return self.child(name).staff_ref()

    def staff_ref(self) -> str:
        """This Reference's staff id: ``{identifier: {system: .../sid/staff, value}}``."""
        identifier = self.child("identifier")
        if identifier.data.get("system") != STAFF_SYSTEM:
            raise identifier.fail("system", f"must be {STAFF_SYSTEM} (a staff identifier)")
        value = identifier.text("value")
        if not _STAFF_ID.match(value):
            raise identifier.fail("value", "is not a staff id ([A-Za-z0-9_-], 1-22 characters)")
        return value

    def coding_code(self, name: str, system: str) -> tuple[str, str]:
        """The code of the coding of ``system`` in the CodeableConcept ``name``, and its path."""
        return self.child(name).code_of(system)

    def code_of(self, system: str) -> tuple[str, str]:
        """This CodeableConcept's code in ``system``, and its path."""
        for item in self.children("coding"):
            if item.data.get("system") == system:
                return item.text("code"), item.at("code")
        raise self.fail("coding", f"needs a coding of {system}")


def parse_day(value: Any, where: str) -> date:
    """A FHIR date that must be a whole day (YYYY-MM-DD)."""
    if not isinstance(value, str) or not _DAY.match(value):
        raise InvalidInputError(where, "must be a full date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(where, "is not a date") from None


def json_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInputError(where, "must be a JSON object")
    return value
