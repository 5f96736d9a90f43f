"""Reading the clinic's page forms: each value trimmed, typed and checked, each refusal naming
the form field it came from (:class:`regenaid.errors.InvalidInputError`), so the page can show
the message beside that field.

A blank field is ``None`` (not recorded), never 0 or "". Only the names a page asks for are
read; anything else in the form is ignored. Text is limited (200 characters unless a field
allows more, e.g. a consent text) like the decision aid's own answers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.datastructures import FormData

from regenaid.errors import InvalidInputError

TEXT_LIMIT = 200
ZONE_FIELD = "tz"
DEFAULT_ZONE = "UTC"
_LOCAL_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$")


def raw(form: FormData, name: str) -> str:
    """The field's text as sent ("" when absent or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def text(form: FormData, name: str, *, limit: int = TEXT_LIMIT) -> str | None:
    """The field's text with its whitespace kept as typed but trimmed; None when blank."""
    value = raw(form, name).strip()
    if not value:
        return None
    if len(value) > limit:
        raise InvalidInputError(name, f"at most {limit:,} characters")
    return value


def required_text(form: FormData, name: str, *, limit: int = TEXT_LIMIT) -> str:
    value = text(form, name, limit=limit)
    if value is None:
        raise InvalidInputError(name, "please fill this in")
    return value


def number(form: FormData, name: str) -> float | None:
    """A decimal number (a comma as the decimal mark is accepted); None when blank."""
    value = raw(form, name).strip().replace(",", ".")
    if not value:
        return None
    try:
        result = float(value)
    except ValueError:
        raise InvalidInputError(name, f"must be a number, got {value[:20]!r}") from None
    if not math.isfinite(result):
        raise InvalidInputError(name, "must be a finite number")
    return result


def whole(form: FormData, name: str) -> int | None:
    """A whole number; None when blank."""
    value = raw(form, name).strip()
    if not value:
        return None
    if not re.fullmatch(r"[+-]?\d{1,9}", value):
        raise InvalidInputError(name, f"must be a whole number, got {value[:20]!r}")
    return int(value)


def day(form: FormData, name: str) -> date | None:
    """A date as the browser's date field sends it (YYYY-MM-DD); None when blank."""
    value = raw(form, name).strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(name, "must be a date (YYYY-MM-DD)") from None


def required_day(form: FormData, name: str) -> date:
    value = day(form, name)
    if value is None:
        raise InvalidInputError(name, "please give a date")
    return value


def zone(form: FormData, name: str = ZONE_FIELD) -> ZoneInfo:
    """The time zone the form's times were typed in (an IANA name such as Europe/London)."""
    value = raw(form, name).strip() or DEFAULT_ZONE
    if len(value) > 64 or not re.fullmatch(r"[A-Za-z0-9_+/-]+", value):
        raise InvalidInputError(name, "not a time zone name (e.g. UTC or Europe/London)")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(name, f"unknown time zone {value!r}") from None


def moment(form: FormData, name: str, tz: ZoneInfo) -> datetime | None:
    """A date and time as the browser's datetime-local field sends it, in ``tz``; None when
    blank. The result is timezone-aware."""
    value = raw(form, name).strip()
    if not value:
        return None
    if not _LOCAL_MOMENT.match(value):
        raise InvalidInputError(name, "must be a date and time (YYYY-MM-DD HH:MM)")
    try:
        local = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        raise InvalidInputError(name, "must be a date and time (YYYY-MM-DD HH:MM)") from None
    return local.replace(tzinfo=tz)


def required_moment(form: FormData, name: str, tz: ZoneInfo) -> datetime:
    value = moment(form, name, tz)
    if value is None:
        raise InvalidInputError(name, "please give the date and time")
    return value


def one_of(form: FormData, name: str, allowed: Sequence[str]) -> str | None:
    """One of ``allowed``; None when blank."""
    value = raw(form, name).strip()
    if not value:
        return None
    if value not in allowed:
        raise InvalidInputError(name, f"unknown value {value[:40]!r}", allowed)
    return value


def required_one_of(form: FormData, name: str, allowed: Sequence[str]) -> str:
    value = one_of(form, name, allowed)
    if value is None:
        raise InvalidInputError(name, "please choose one", allowed)
    return value


def many(form: FormData, name: str, allowed: Sequence[str]) -> list[str]:
    """Every ticked value of a group of checkboxes, in the order of ``allowed``."""
    chosen = {v for v in form.getlist(name) if isinstance(v, str)}
    unknown = sorted(chosen - set(allowed))
    if unknown:
        raise InvalidInputError(name, f"unknown value {unknown[0][:40]!r}", allowed)
    return [v for v in allowed if v in chosen]


def ticked(form: FormData, name: str) -> bool:
    """A single checkbox: ticked when sent with any value."""
    return raw(form, name) != ""


def echo(form: FormData, names: Iterable[str] | None = None) -> dict[str, object]:
    """The posted values, to fill the form again after a refusal (lists for repeated names).

    Only short text is kept; the CSRF fields are never echoed."""
    wanted = None if names is None else set(names)
    out: dict[str, object] = {}
    for key in form:
        if key in ("csrf_token", "staff_csrf") or (wanted is not None and key not in wanted):
            continue
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        out[key] = values if len(values) > 1 else (values[0] if values else "")
    return out


def renamed(err: InvalidInputError, names: Mapping[str, str]) -> InvalidInputError:
    """``err`` with its field renamed to the form's name for it (unchanged when not listed)."""
    field = names.get(err.field, err.field)
    return InvalidInputError(field, err.message, err.allowed)


def saved_result_token(text_value: str) -> str | None:
    """The secret of a saved decision-aid result from its private link or the bare secret:
    ``https://host/r/<secret>`` (with or without a path after it), ``/r/<secret>`` or
    ``<secret>``. None when nothing that looks like one is there."""
    value = text_value.strip()
    match = re.search(r"/r/([A-Za-z0-9_-]{43})(?:[/?#]|$)", value)
    if match:
        return match.group(1)
    if re.fullmatch(r"[A-Za-z0-9_-]{43}", value):
        return value
    return None
