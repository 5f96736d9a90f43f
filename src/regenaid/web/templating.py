"""Jinja2 templates for the pages, with the string catalogue and CSRF token as globals."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import HTMLResponse

from regenaid import __version__
from regenaid.knowledge.model import Source
from regenaid.reports.assessment_report import short_author
from regenaid.reports.i18n import Catalogue, catalogue, certainty_key
from regenaid.web.security import CSRF_FIELD, csrf_token

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
CONTENT_DATE = date(2026, 11, 22)


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.globals.update(
        t=catalogue("en"),
        certainty_key=certainty_key,
        version=__version__,
        content_date=CONTENT_DATE.strftime("%B %Y"),
        csrf_field=CSRF_FIELD,
    )
    return templates


def strings(request: Request) -> Catalogue:
    """The page string catalogue the templates use as ``t``."""
    t: Catalogue = request.app.state.templates.env.globals["t"]
    return t


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page template with the CSRF token in its context."""
    templates: Jinja2Templates = request.app.state.templates
    ctx = {"csrf_token": csrf_token(request), **(context or {})}
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


def svg_image(svg: str, alt: str) -> Markup:
    """An SVG drawn elsewhere (matplotlib) as an ``<img>`` with a data URI: as an image it
    cannot run script or inject style into the page, so the strict CSP stays intact."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup('<img class="chart" src="data:image/svg+xml;base64,{}" alt="{}">').format(
        Markup(data), alt
    )


class PageCitations:
    """Numbered citations for one page: ``refs(ids)`` gives "[1, 2]" linking to the page's
    source list, numbered in reading order; ``refs.entries()`` is that list (number, id, text).
    Long source ids in the text made pages tall and hard to read (issue 9)."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}

    def __call__(self, ids: Iterable[object] | None) -> Markup:
        numbers = sorted(
            {
                self._numbers.setdefault(i, len(self._numbers) + 1)
                for i in ids or ()
                if i and isinstance(i, str)
            }
        )
        if not numbers:
            return Markup("")
        links = Markup(", ").join(Markup('<a href="#ref-{0}">{0}</a>').format(n) for n in numbers)
        return Markup('<span class="cite">[{}]</span>').format(links)

    def entries(self) -> list[tuple[int, str, str]]:
        from regenaid.knowledge import load_knowledge

        sources = load_knowledge().sources
        return [(n, i, source_line(sources.get(i), i)) for i, n in self._numbers.items()]


def source_line(source: Source | None, source_id: str) -> str:
    """'Kieling 2024. Platelet-rich plasma ...' (author or body, year, title) for a source list."""
    if source is None:
        return source_id
    who = short_author(source.authors)
    lead = " ".join(str(x) for x in (who, source.year) if x)
    return f"{lead}. {source.title}" if lead else source.title
