"""The whole assessment as one printable HTML page and as a PDF (WeasyPrint), 1-2 A4 pages.

``render_assessment_html`` returns a self-contained document (its CSS is inlined), so the CLI
can write it to a file; the web app serves the same document with a CSP hash for that style.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from regenaid import __version__
from regenaid.reports.assessment_view import build_view
from regenaid.reports.i18n import catalogue

TEMPLATES = Path(__file__).resolve().parent / "templates"
SURE_KEYS = ("sure", "understand", "risk_benefit", "encouragement")


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def report_css() -> str:
    """The report's stylesheet (inlined into the document)."""
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


def report_style_hash() -> str:
    """CSP source expression allowing exactly the report's inline ``<style>``."""
    digest = hashlib.sha256(report_css().encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def cited_sources(ids: tuple[str, ...]) -> list[dict[str, Any]]:
    """Bibliography entries for ``ids`` from the knowledge base (unknown ids listed bare)."""
    from regenaid.knowledge import load_knowledge

    sources = load_knowledge().sources
    found: list[dict[str, Any]] = []
    for source_id in ids:
        source = sources.get(source_id)
        if source is None:
            found.append({"id": source_id, "title": "", "year": None, "type": "", "url": None})
        else:
            found.append(
                {
                    "id": source.id,
                    "title": source.title,
                    "year": source.year,
                    "type": source.type,
                    "url": source.url,
                }
            )
    return found


MAX_PAGES = 3  # issue 9: a report a clinician can use, benefits and harms included


def _rated_priorities(data: Mapping[str, Any], intake: object) -> tuple[dict[str, Any], bool]:
    """The priorities the person rated, and whether the unrated ones are known: from the intake
    when given (an ``Intake`` keeps which were rated; a JSON intake lists only those), else the
    assessment's ``priorities_rated`` (older saved assessments without it cannot tell a 0 from
    "not rated")."""
    if intake is None:
        every = dict(data.get("priorities") or {})
        rated = data.get("priorities_rated")
        if isinstance(rated, list):
            return {k: v for k, v in every.items() if k in rated}, True
        return every, False
    priorities = getattr(intake, "priorities", None)
    if priorities is not None and hasattr(priorities, "model_fields_set"):
        given = priorities.model_fields_set
        fields = type(priorities).model_fields
        return {k: getattr(priorities, k) for k in fields if k in given}, True
    if isinstance(intake, Mapping):
        return dict(intake.get("priorities") or {}), True
    return dict(data.get("priorities") or {}), False


def render_assessment_html(
    assessment: object, locale: str = "en", compact: bool = False, intake: object = None
) -> str:
    """The assessment (an ``Assessment`` or its JSON mapping) as a printable HTML document.

    ``compact`` lists sources by id only and keeps one "why" line per option (used when the
    full version would run past two A4 pages). With ``intake`` (an ``Intake`` or its JSON
    mapping) the report also names the priorities the person did not rate."""
    t = catalogue(locale)
    view = build_view(assessment, locale)
    questions = t.section("results")["questions"]
    data = view.raw
    priorities, unrated_known = _rated_priorities(data, intake)
    names = t.section("intake.priorities")
    unrated = [k for k in names if k not in priorities] if unrated_known else []
    top = sorted(
        ((k, v) for k, v in priorities.items() if isinstance(v, int) and v >= 3),
        key=lambda kv: -kv[1],
    )
    about = {
        "condition": data.get("condition_name") or data.get("condition"),
        "severity": data.get("severity"),
        "months": data.get("horizon_months"),
        "priorities": ", ".join(
            f"{t('intake.priorities.' + k).lower()} ({v}/4)"
            for k, v in top
            if t.has("intake.priorities." + k)
        ),
        "unrated": ", ".join(t("intake.priorities." + k).lower() for k in unrated),
    }
    return (
        _environment()
        .get_template("assessment_report.html")
        .render(
            t=t,
            view=view,
            css=report_css(),
            made_on=datetime.now(UTC).strftime("%d %B %Y"),
            version=__version__,
            questions=questions,
            sure_items=[(k, t(f"results.sure_items.{k}")) for k in SURE_KEYS],
            sources=cited_sources(view.source_ids),
            compact=compact,
            about=about,
        )
    )


def render_assessment_pdf(assessment: object, locale: str = "en", intake: object = None) -> bytes:
    """The same document as a PDF (WeasyPrint)."""
    from weasyprint import HTML

    document = HTML(string=render_assessment_html(assessment, locale, intake=intake)).render()
    if len(document.pages) > MAX_PAGES:
        compact = render_assessment_html(assessment, locale, compact=True, intake=intake)
        document = HTML(string=compact).render()
    pdf = document.write_pdf()
    if not isinstance(pdf, bytes):
        raise RuntimeError("WeasyPrint returned no PDF bytes")
    return pdf
