"""The whole assessment as one printable HTML page and as a PDF (WeasyPrint), 1-3 A4 pages.

``render_assessment_html`` returns a self-contained document (its CSS is inlined), so the CLI
can write it to a file; the web app serves the same document with a CSP hash for that style.

Citations are numbered: the text cites ``[1]``, ``[2, 3]`` in the order sources are first cited
(:class:`CitationNumbers`), and the list at the end gives each cited source once (first
author or body, year, short title). Sources the printed text does not cite are on the aid's
Sources page, not in the report.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from regenaid import __version__
from regenaid.reports.assessment_view import build_view
from regenaid.reports.i18n import Catalogue, catalogue

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
            found.append(
                {
                    "id": source_id,
                    "title": "",
                    "year": None,
                    "type": "",
                    "url": None,
                    "authors": None,
                }
            )
        else:
            found.append(
                {
                    "id": source.id,
                    "title": source.title,
                    "year": source.year,
                    "type": source.type,
                    "url": source.url,
                    "authors": source.authors,
                }
            )
    return found


MAX_PAGES = 3  # issue 9: a report a clinician can use, benefits and harms included
SHORT_ENTRY = 68  # characters of an entry in the numbered list: one line of a column
_SURNAME_INITIALS = re.compile(r"^(?P<surname>.+?)\s+[A-Z]{1,3}$")


def short_author(authors: str | None) -> str:
    """``"Cruciani M, et al."`` -> ``"Cruciani et al."``, ``"D'Amico AV, Roehrborn CG"`` ->
    ``"D'Amico et al."``, ``"Kar BR"`` -> ``"Kar"``; a body (``"US Food and Drug
    Administration (CBER)"``) stays whole up to its first bracket. Empty when unknown."""
    if not authors or not authors.strip():
        return ""
    parts = [p.strip() for p in authors.split(",") if p.strip()]
    first = re.split(r"\s*[(;]", parts[0], maxsplit=1)[0].strip() or parts[0]
    match = _SURNAME_INITIALS.match(first)
    if match is None:
        return first
    more = len(parts) > 1
    return f"{match['surname']}{' et al.' if more else ''}"


def _short_title(title: str, room: int) -> str:
    """``title`` cut at a word to at most ``room`` characters (with "…" when cut)."""
    if len(title) <= room:
        return title
    cut = title[: max(room - 1, 12)].rsplit(" ", 1)[0].rstrip(" ,;:-(")
    return f"{cut}…"


class CitationNumbers:
    """Numbers sources in the order the report first cites them.

    Called from the template (``{{ cite(ids) }}``) it returns ``[1, 2]`` as markup (empty for no
    ids); :meth:`entries`, rendered after the text, lists each cited source once."""

    def __init__(self, sources: Mapping[str, Mapping[str, Any]]) -> None:
        self._sources = sources
        self._numbers: dict[str, int] = {}

    def number(self, source_id: str) -> int:
        return self._numbers.setdefault(source_id, len(self._numbers) + 1)

    def __call__(self, ids: Iterable[object] | None) -> Markup:
        numbers = sorted({self.number(i) for i in ids or () if isinstance(i, str) and i})
        if not numbers:
            return Markup("")
        return Markup('<span class="cite">[{}]</span>').format(_ranges(numbers))

    def __len__(self) -> int:
        return len(self._numbers)

    def entries(self) -> list[dict[str, Any]]:
        """``{"number", "id", "text", "marketing"}`` for each cited source, in number order."""
        found = []
        for source_id, number in self._numbers.items():
            source = self._sources.get(source_id) or {}
            title = str(source.get("title") or source_id)
            who = short_author(source.get("authors"))
            year = source.get("year")
            if who:
                lead = f"{who} {year}. " if year else f"{who.rstrip('.')}. "
                text = lead + _short_title(title, SHORT_ENTRY - len(lead))
            else:
                tail = f" ({year})" if year and str(year) not in title else ""
                text = _short_title(title, SHORT_ENTRY - len(tail)) + tail
            found.append(
                {
                    "number": number,
                    "id": source_id,
                    "text": text,
                    "marketing": source.get("type") == "marketing",
                }
            )
        return found


def _ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 5]`` -> ``"1-3, 5"``."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(
        str(a) if a == b else f"{a}, {b}" if b == a + 1 else f"{a}–{b}" for a, b in spans
    )


def choice_lines(t: Catalogue, view: Any, choice: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the person said about their choice, as report lines: the leaning ("not answered"
    without one), each SURE item with its answer, and the SURE score line when all four were
    answered."""
    choice = choice or {}
    leaning = choice.get("leaning")
    names = {o.id: o.name for o in view.options}
    if leaning == "unsure":
        leaning_text = t("choice.unsure")
    elif isinstance(leaning, str) and leaning:
        leaning_text = names.get(leaning, leaning)
    else:
        leaning_text = t("choice.not_answered")
    given = choice.get("sure")
    sure: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    answers = {"yes": t("results.answer_yes"), "no": t("results.answer_no")}
    items = []
    for key in SURE_KEYS:
        answer = str(sure.get(key) or "")
        items.append(
            {
                "key": key,
                "question": t(f"results.sure_items.{key}"),
                "answered": answer in answers,
                "answer": answers.get(answer) or t("choice.not_answered"),
            }
        )
    score = None
    if all(sure.get(k) in answers for k in SURE_KEYS):
        no = sum(1 for k in SURE_KEYS if sure.get(k) == "no")
        score = t("choice.sure_all_yes") if no == 0 else t("choice.sure_some_no", count=no)
    return {
        "leaning": t("choice.leaning", option=leaning_text),
        "answered": bool(choice),
        "sure": items,
        "score": score,
    }


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
    assessment: object,
    locale: str = "en",
    compact: bool = False,
    intake: object = None,
    choice: Mapping[str, Any] | None = None,
) -> str:
    """The assessment (an ``Assessment`` or its JSON mapping) as a printable HTML document.

    ``compact`` keeps fewer lines per option and a shorter source list (used when the full
    version would run past ``MAX_PAGES`` A4 pages). With ``intake`` (an ``Intake`` or its JSON
    mapping) the report also names the priorities the person did not rate. ``choice`` (as
    saved with a result: ``{"leaning": ..., "sure": {...}}``) shows the option the person
    leans toward and their SURE answers; without it they read "not answered"."""
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
            choice=choice_lines(t, view, choice),
            cite=CitationNumbers({s["id"]: s for s in cited_sources(view.source_ids)}),
            compact=compact,
            about=about,
        )
    )


def render_assessment_pdf(
    assessment: object,
    locale: str = "en",
    intake: object = None,
    choice: Mapping[str, Any] | None = None,
) -> bytes:
    """The same document as a PDF (WeasyPrint)."""
    from weasyprint import HTML

    full = render_assessment_html(assessment, locale, intake=intake, choice=choice)
    document = HTML(string=full).render()
    if len(document.pages) > MAX_PAGES:
        compact = render_assessment_html(
            assessment, locale, compact=True, intake=intake, choice=choice
        )
        document = HTML(string=compact).render()
    pdf = document.write_pdf()
    if not isinstance(pdf, bytes):
        raise RuntimeError("WeasyPrint returned no PDF bytes")
    return pdf


# a person to warm up with (web.warmup makes their assessment, a render process their PDF)
WARM_UP_INTAKE = {
    "concern": "hair",
    "condition": "androgenetic_alopecia",
    "age": 40,
    "sex": "female",
    "severity": "moderate",
}


def warm_up() -> None:
    """Render one report and throw it away: what a render process does before its first
    request (WeasyPrint's import, fonts and styles, the templates), so that the first person
    to ask for a PDF does not pay for it."""
    from regenaid.decide import assess, parse_intake

    render_assessment_pdf(assess(parse_intake(WARM_UP_INTAKE)).model_dump(mode="json"))
