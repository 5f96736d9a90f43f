"""What the schemathesis runs against the JSON API share (the in-suite run in
``tests/web/test_api_schema.py`` and the long one, ``scripts/fuzz_api.py``).

Every built-in check keeps its defaults, except that a refused body may also be refused as too
large: 413 is the documented answer to a body over the limit (checked before the body is
parsed), which schemathesis's list of rejection statuses leaves out.
"""

from __future__ import annotations

from schemathesis.config._checks import NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES

REJECTION_STATUSES: list[str] = [*NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES, "413"]
CHECKS_CONFIG: dict[str, object] = {
    "negative_data_rejection": {"expected-statuses": REJECTION_STATUSES}
}


def checks_toml() -> str:
    """:data:`CHECKS_CONFIG` as the ``[checks]`` tables of a schemathesis.toml."""
    statuses = ", ".join(f'"{s}"' for s in REJECTION_STATUSES)
    return f"[checks.negative_data_rejection]\nexpected-statuses = [{statuses}]\n"
