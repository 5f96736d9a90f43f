"""Reading untrusted text and writing output files without surprises.

Every entry point that takes a file from a person goes through here:

- :func:`read_text_capped` reads at most a documented number of bytes (``INTAKE_MAX_BYTES``,
  ``TABLE_MAX_BYTES``), from a path or from stdin, as UTF-8;
- :func:`load_yaml` parses YAML with the YAML 1.2 core schema (only ``true``/``false`` are
  booleans, so ``NO`` (Norway), ``yes`` and ``off`` stay strings; no timestamps, no sexagesimal
  or ``010``-octal numbers, no merge keys), refuses anchors and aliases (the "billion laughs"),
  tags outside the core schema (``!!python/object``, ``!!binary``, ``!!set`` ...), nesting
  deeper than ``MAX_DEPTH`` and numbers longer than ``MAX_NUMBER_CHARS`` (a repeated key: the
  last one wins, as before);
- :func:`load_json` parses JSON with the same depth and number limits and refuses
  ``NaN``/``Infinity`` (not JSON);
- :func:`write_atomic` writes a whole file or nothing: a temporary file in the target
  directory, renamed over the target; the temporary file is removed on failure.

Problems are :class:`regenaid.errors.InvalidInputError` naming ``what`` (the file or option),
so each entry point can report them in one line (the CLI: exit 2).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, cast

import yaml

from regenaid.errors import InvalidInputError

INTAKE_MAX_BYTES = 1_000_000
"""Largest intake file (1 MB); a real intake is well under 4 kB."""
TABLE_MAX_BYTES = 5_000_000
"""Largest ``regenaid meta`` CSV (5 MB, about 100,000 short rows)."""
MAX_DEPTH = 32
"""Deepest nesting of lists and mappings in YAML or JSON (an intake uses 3)."""
MAX_NUMBER_CHARS = 100
"""Longest number literal, in characters (Python refuses ints over 4,300 digits anyway)."""

_CORE_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map")
)


def _size_words(n: int) -> str:
    return f"{n / 1_000_000:g} MB" if n >= 1_000_000 else f"{n / 1000:g} kB"


# --- reading ---------------------------------------------------------------------------------


def read_text_capped(path: str, max_bytes: int, what: str) -> str:
    """The UTF-8 text of ``path`` (``-`` = stdin), refusing more than ``max_bytes`` bytes.

    Raises InvalidInputError(what, ...) for a missing file, a directory, an unreadable file,
    text that is not UTF-8 or a file over the cap. A byte-order mark is dropped.
    """
    limit = _size_words(max_bytes)
    try:
        if path == "-":
            data = _read_stream_capped(sys.stdin, max_bytes)
        else:
            with Path(path).open("rb") as handle:
                data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise InvalidInputError(what, "no such file") from None
    except IsADirectoryError:
        raise InvalidInputError(what, "it is a directory") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InvalidInputError(what, reason) from None
    if len(data) > max_bytes:
        raise InvalidInputError(what, f"larger than {limit}, the limit for this input")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(what, f"not UTF-8 text (byte {exc.start})") from None


def _read_stream_capped(stream: Any, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of a text stream (its binary buffer when it has one)."""
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        return cast("BinaryIO", buffer).read(max_bytes + 1)
    text = cast("str", stream.read(max_bytes + 1))
    return text.encode("utf-8", errors="surrogateescape")


# --- YAML ------------------------------------------------------------------------------------

_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CoreLoader(_BaseLoader):  # type: ignore[misc]
    """A safe loader with YAML 1.2 core-schema resolution (a repeated key: the last one wins).

    Use through :func:`load_yaml`, which also enforces the alias, tag and depth limits.
    """

    yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {}
    yaml_constructors: ClassVar[dict[Any, Any]] = dict(yaml.SafeLoader.yaml_constructors)


def _core_int(loader: Any, node: Any) -> int:
    text = str(loader.construct_scalar(node))
    _check_number_length(text)
    body = text.lstrip("+-")
    sign = -1 if text.startswith("-") else 1
    if body[:2] in ("0o", "0O"):
        return sign * int(body[2:], 8)
    if body[:2] in ("0x", "0X"):
        return sign * int(body[2:], 16)
    return sign * int(body, 10)


def _core_float(loader: Any, node: Any) -> float:
    text = str(loader.construct_scalar(node))
    _check_number_length(text)
    lowered = text.lower()
    if lowered.lstrip("+-") == ".inf":
        return float("-inf") if lowered.startswith("-") else float("inf")
    if lowered == ".nan":
        return float("nan")
    return float(text)


def _check_number_length(text: str) -> None:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of {len(text)} characters (the limit is {MAX_NUMBER_CHARS})")


def _add_core_resolvers(loader: type[Any]) -> None:
    """The implicit resolvers of the YAML 1.2 core schema (spec 1.2.2, section 10.3.2)."""
    rules: Iterable[tuple[str, str, str | list[str]]] = (
        ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
        ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
        (
            "float",
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            "-+.0123456789",
        ),
    )
    for name, pattern, first in rules:
        loader.add_implicit_resolver(f"tag:yaml.org,2002:{name}", re.compile(pattern), list(first))


_add_core_resolvers(CoreLoader)
CoreLoader.add_constructor("tag:yaml.org,2002:int", _core_int)
CoreLoader.add_constructor("tag:yaml.org,2002:float", _core_float)


def _check_events(text: str, what: str) -> None:
    """Refuse aliases, anchors, tags outside the core schema and deep nesting (one pass)."""
    depth = 0
    for event in yaml.parse(text, Loader=CoreLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise InvalidInputError(
                what, f"{_where(event)}YAML anchors and aliases (& and *) are not allowed"
            )
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!" and tag not in _CORE_TAGS:
            raise InvalidInputError(what, f"{_where(event)}the YAML tag {tag!r} is not allowed")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise InvalidInputError(
                    what, f"{_where(event)}nested deeper than {MAX_DEPTH} levels"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _where(event: Any) -> str:
    mark = getattr(event, "start_mark", None)
    return f"line {mark.line + 1}: " if mark is not None else ""


def load_yaml(text: str, what: str) -> Any:
    """One YAML document parsed safely (see the module docstring); None for an empty one."""
    try:
        _check_events(text, what)
        return yaml.load(text, Loader=CoreLoader)  # CoreLoader is a SafeLoader
    except InvalidInputError:
        raise
    except yaml.YAMLError as exc:
        raise InvalidInputError(what, f"not valid YAML: {_yaml_problem(exc)}") from None
    except (ValueError, TypeError, OverflowError, RecursionError, MemoryError) as exc:
        raise InvalidInputError(what, f"not valid YAML: {_first_line(exc)}") from None


# --- JSON ------------------------------------------------------------------------------------


def _json_number(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        _check_number_length(text)
        value = kind(text)
        if isinstance(value, float) and value in (float("inf"), float("-inf")):
            raise ValueError(f"the number {text} is out of range")
        return value

    return parse


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_json(text: str, what: str) -> Any:
    """JSON parsed with limits on depth and number length and without NaN/Infinity."""
    try:
        data = json.loads(
            text,
            parse_int=_json_number(int),
            parse_float=_json_number(float),
            parse_constant=_refuse_constant,
        )
    except json.JSONDecodeError as exc:
        raise InvalidInputError(what, f"not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidInputError(what, f"nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, TypeError, OverflowError, MemoryError) as exc:
        raise InvalidInputError(what, f"not valid JSON: {_first_line(exc)}") from None
    if nesting_depth(data) > MAX_DEPTH:
        raise InvalidInputError(what, f"nested deeper than {MAX_DEPTH} levels")
    return data


def nesting_depth(value: Any) -> int:
    """How deep lists and mappings nest in ``value`` (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """``line 3, column 5: could not find expected ':'`` from a PyYAML error."""
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if not problem:
        return _first_line(exc)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return where + " ".join(str(problem).split())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --- writing ---------------------------------------------------------------------------------


def check_writable(path: str, what: str) -> Path:
    """``path`` as a Path if a file could be written there; InvalidInputError(what) if not.

    Catches what can be seen before writing: an empty name, a directory, a parent that is
    missing or is not a directory. Permissions and full disks show when writing.
    """
    if not path or not path.strip():
        raise InvalidInputError(what, "the file name is empty")
    target = Path(path)
    if target.name in ("", ".", ".."):
        raise InvalidInputError(what, f"{path!r} is not a file name")
    try:
        if target.is_dir():
            raise InvalidInputError(what, f"{path!r} is a directory")
        parent = target.parent
        if not parent.exists():
            raise InvalidInputError(what, f"the directory {str(parent)!r} does not exist")
        if not parent.is_dir():
            raise InvalidInputError(what, f"{str(parent)!r} is not a directory")
    except OSError as exc:
        raise InvalidInputError(what, f"cannot write {path!r}: {exc.strerror or exc}") from None
    return target


def write_atomic(path: str, payload: str | bytes, what: str) -> None:
    """Write ``payload`` to ``path`` entirely or not at all (UTF-8 for text).

    A regular file (or a new one) is written to a temporary file in the same directory and
    renamed over it; the temporary file is removed if anything fails. A device or pipe that
    already exists (``/dev/stdout``) is written directly. InvalidInputError(what) on failure.
    """
    target = check_writable(path, what)
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    try:
        info = target.stat()
    except OSError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        try:
            with target.open("wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise InvalidInputError(what, f"cannot write {path!r}: {exc.strerror or exc}") from None
        return
    if target.is_symlink():
        target = target.resolve()
    mode = stat.S_IMODE(info.st_mode) if info is not None else _default_mode()
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:64]}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise InvalidInputError(what, f"cannot write {path!r}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _default_mode() -> int:
    """0o666 less the process umask (what ``open(path, "w")`` would give)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
