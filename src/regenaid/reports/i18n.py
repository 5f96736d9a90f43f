"""The string catalogue: every sentence the pages and reports show, one YAML file per language.

English (``strings/en.yaml``) is the reference; a key missing there is a programming error
(``KeyError``), so a typo cannot silently show a blank.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

STRINGS_DIR = Path(__file__).resolve().parent / "strings"
DEFAULT_LOCALE = "en"


class Catalogue:
    """Looks up dotted keys (``start.title``) and fills ``{placeholders}``."""

    def __init__(self, locale: str, entries: Mapping[str, Any]) -> None:
        self.locale = locale
        self._entries = entries

    def __call__(self, key: str, **values: object) -> str:
        node: Any = self._entries
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise KeyError(f"string {key!r} is not in the {self.locale!r} catalogue")
            node = node[part]
        if not isinstance(node, str):
            raise KeyError(f"string {key!r} is a section, not a sentence")
        return node.format(**values) if values else node

    def section(self, key: str) -> Mapping[str, Any]:
        """A whole sub-tree (e.g. the list of questions to ask a clinician)."""
        node: Any = self._entries
        for part in key.split("."):
            node = node[part]
        if not isinstance(node, Mapping):
            raise KeyError(f"{key!r} is not a section")
        return node

    def has(self, key: str) -> bool:
        try:
            self(key)
        except KeyError:
            return False
        return True


def certainty_key(treatment: str, certainty: str) -> str:
    """The catalogue key naming an option's certainty: for no new treatment it is how well the
    untreated course is known (from trials' placebo groups), not a certainty of benefit."""
    section = "certainty_natural_course" if treatment == "no_treatment" else "certainty"
    return f"{section}.{certainty}"


@cache
def catalogue(locale: str = DEFAULT_LOCALE) -> Catalogue:
    """The catalogue for ``locale`` (cached)."""
    path = STRINGS_DIR / f"{locale}.yaml"
    with path.open(encoding="utf-8") as handle:
        entries = yaml.safe_load(handle)
    return Catalogue(locale, entries)
