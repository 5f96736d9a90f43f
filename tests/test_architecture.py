"""Layering rules from DESIGN.md, checked on the source itself.

The pure core (knowledge, decide, plan, economics, evidence) must not reach up into the
layers that render, store or serve (reports, clinic, store, web, cli), nor pull in the
libraries those layers exist to hold (matplotlib, SQLAlchemy, FastAPI, ...). ``reports`` may
use the core but not the database or the front ends. ``clinic`` (the clinic's own domain and
use cases) may use the core but never the storage adapters (``store``), the front ends or
their libraries: storage reaches the clinic only through its repository interfaces.
Every import statement is read with ``ast``, including imports nested inside functions, so a
lazy import cannot slip past.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "src" / "regenaid"

CORE_LAYERS = ("knowledge", "decide", "plan", "economics", "evidence")

FORBIDDEN_IN_CORE = (
    "regenaid.web",
    "regenaid.store",
    "regenaid.cli",
    "regenaid.reports",
    "matplotlib",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "typer",
    "jinja2",
    "weasyprint",
)

FORBIDDEN_IN_REPORTS = (
    "regenaid.store",
    "regenaid.web",
    "regenaid.cli",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "typer",
)

FORBIDDEN_IN_CLINIC = (
    "regenaid.store",
    "regenaid.web",
    "regenaid.cli",
    "regenaid.reports",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "typer",
    "jinja2",
    "matplotlib",
    "weasyprint",
)


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    """Absolute name of ``from <dots><target> import ...`` written inside ``module``."""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, target] if target else base)


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """Every module named by an import statement in ``source``, as ``(line, absolute name)``.

    ``module`` is the dotted name the source lives at (to resolve relative imports). For
    ``from X import a, b`` both ``X`` and ``X.a``/``X.b`` are listed, so importing a forbidden
    subpackage by name (``from regenaid import web``) is caught too.
    """
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                target = _resolve_relative(module, is_package, node.level, node.module)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
    return found


def _matches(name: str, forbidden: tuple[str, ...]) -> str | None:
    for prefix in forbidden:
        if name == prefix or name.startswith(prefix + "."):
            return prefix
    return None


def _violations(layers: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    problems: list[str] = []
    for layer in layers:
        for path in sorted((PACKAGE_DIR / layer).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            is_package = path.name == "__init__.py"
            for line, name in imported_modules(source, _module_name(path), is_package):
                hit = _matches(name, forbidden)
                if hit is not None:
                    where = path.relative_to(PACKAGE_DIR.parent)
                    problems.append(f"{where}:{line} imports {name} (layer rule: no {hit})")
    return problems


@pytest.mark.parametrize("layer", [*CORE_LAYERS, "reports", "clinic", "store"])
def test_layer_has_modules(layer: str) -> None:
    # Guards the checks below against passing vacuously after a move or rename.
    assert list((PACKAGE_DIR / layer).rglob("*.py"))


def test_core_does_not_import_outer_layers_or_their_libraries() -> None:
    assert _violations(CORE_LAYERS, FORBIDDEN_IN_CORE) == []


def test_reports_do_not_import_clinic_web_or_cli() -> None:
    assert _violations(("reports",), FORBIDDEN_IN_REPORTS) == []


def test_clinic_domain_is_free_of_storage_and_front_ends() -> None:
    assert _violations(("clinic",), FORBIDDEN_IN_CLINIC) == []


def test_checker_sees_absolute_relative_and_nested_imports() -> None:
    # The checker itself must be able to fail: a core-shaped module that breaks the rule in
    # every way the walker claims to notice.
    source = (
        "import matplotlib.pyplot as plt\n"
        "from ..web import app\n"
        "from regenaid import store\n"
        "from . import grid\n"
        "def lazy() -> None:\n"
        "    import sqlalchemy\n"
    )
    names = {name for _, name in imported_modules(source, "regenaid.decide.ranking", False)}
    assert {"regenaid.web", "regenaid.store", "sqlalchemy", "regenaid.decide.grid"} <= names
    hits = {_matches(name, FORBIDDEN_IN_CORE) for name in names} - {None}
    assert hits == {"matplotlib", "regenaid.web", "regenaid.store", "sqlalchemy"}
