"""What every command shares: one-line failures, capped reading, all-or-nothing writing.

Exit codes: 0 done; 2 bad input or an output that cannot be written (one line on stderr
naming the problem); 1 a broken knowledge base or an internal error (one line; set
``REGENAID_DEBUG=1`` for the traceback).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from typer.exceptions import TyperException

from regenaid.errors import InvalidInputError
from regenaid.safe_input import (
    INTAKE_MAX_BYTES,
    check_writable,
    read_text_capped,
    write_atomic,
)

P = ParamSpec("P")
R = TypeVar("R")

MAX_MESSAGE_CHARS = 600
"""A failure line longer than this is cut (a value quoted from hostile input can be huge)."""


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one line on stderr and return the exit to raise."""
    line = " ".join(message.split())
    if len(line) > MAX_MESSAGE_CHARS:
        line = line[: MAX_MESSAGE_CHARS - 1] + "…"
    stream = sys.stderr
    try:
        stream.write(f"regenaid: {line}\n")
        stream.flush()
    except UnicodeEncodeError:
        stream.write(f"regenaid: {line.encode('ascii', 'backslashreplace').decode()}\n")
    return typer.Exit(code)


def read_input(path: str, what: str | None = "intake", max_bytes: int = INTAKE_MAX_BYTES) -> str:
    """The text of ``path`` (``-`` = stdin), at most ``max_bytes`` bytes of UTF-8.

    Exit 2 with one line if it cannot be read ("cannot read intake 'x.yaml': no such file").
    """
    where = f"{what} {path!r}" if what else repr(path)
    try:
        return read_text_capped(path, max_bytes, where)
    except InvalidInputError as exc:
        raise fail(f"cannot read {where}: {exc.message}") from None


STDOUT = "-"
"""``--out -`` writes to stdout, as ``-`` for an input file reads stdin (a file of that name
can still be written as ``./-``)."""


def check_output(out: str | None, option: str = "--out") -> None:
    """Exit 2 now if ``out`` obviously cannot be written (before any work or other output)."""
    if out is None or out == STDOUT:
        return
    try:
        check_writable(out, option)
    except InvalidInputError as exc:
        raise fail(f"{option}: {exc.message}") from None


def write_output(payload: str | bytes, out: str | None, option: str = "--out") -> None:
    """Write to ``out`` (all at once, via a temporary file) or to stdout (``out`` None or
    :data:`STDOUT`); exit 2 on failure."""
    if out is None or out == STDOUT:
        if isinstance(payload, bytes):
            sys.stdout.buffer.write(payload)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(payload)
            sys.stdout.flush()
        return
    try:
        write_atomic(out, payload, option)
    except InvalidInputError as exc:
        raise fail(f"{option}: {exc.message}") from None


def guarded(command: Callable[P, R]) -> Callable[P, R]:
    """Run ``command`` so that nothing ends in a traceback.

    InvalidInputError: exit 2 with its line. Input that exhausts memory or the recursion limit:
    exit 2. Anything else unexpected: exit 1 with one line (``REGENAID_DEBUG=1`` re-raises).
    """

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, TyperException, KeyboardInterrupt):
            raise
        except InvalidInputError as exc:
            raise fail(str(exc)) from None
        except (MemoryError, RecursionError) as exc:
            raise fail(
                f"the input is too large or too deeply nested ({type(exc).__name__})"
            ) from None
        except Exception as exc:
            if os.environ.get("REGENAID_DEBUG"):
                raise
            raise fail(
                f"internal error: {type(exc).__name__}: {exc} "
                "(please report it; REGENAID_DEBUG=1 shows the traceback)",
                code=1,
            ) from None

    return run
