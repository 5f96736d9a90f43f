"""Jurisdiction codes: ISO 3166-1 alpha-2, the EU as one regulator, and the ``*`` fallback."""

from __future__ import annotations

FALLBACK = "*"
EU = "EU"

# The 27 EU member states (ISO 3166-1 alpha-2). Medicines and advanced-therapy rules are set
# at EU level (EMA / the member states' agencies under EU law), so they map to "EU".
EU_MEMBERS: frozenset[str] = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    }
)  # fmt: skip

# Common non-ISO spellings people type.
ALIASES: dict[str, str] = {"UK": "GB", "EL": "GR"}


def normalise_jurisdiction(code: str | None) -> str | None:
    """Upper-case, strip and translate aliases (``uk`` -> ``GB``); None or blank -> None."""
    if code is None or not code.strip():
        return None
    upper = code.strip().upper()
    return ALIASES.get(upper, upper)


def lookup_order(code: str | None) -> tuple[str, ...]:
    """Jurisdictions to try, most specific first: the code, then ``EU`` for members, then ``*``."""
    norm = normalise_jurisdiction(code)
    order: list[str] = []
    if norm is not None:
        order.append(norm)
        if norm in EU_MEMBERS:
            order.append(EU)
    order.append(FALLBACK)
    return tuple(order)
