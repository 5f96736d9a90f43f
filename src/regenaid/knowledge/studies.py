"""Load and validate the study table (``data/studies.csv``) into :class:`StudyOutcome` records.

One row is one outcome of one study. ``kind`` says what the row is:

- ``primary``: a trial or cohort with its own numbers (per-arm ``n``/``mean``/``sd`` where
  published, else a published between-arm ``effect`` with its 95% CI);
- ``pooled_published``: the result of a published meta-analysis, kept exactly as printed
  (with its GRADE rating in ``published_certainty`` when the review gave one). These are shown
  as cited and never pooled again together with primary studies.

Columns that have no field of their own in :class:`StudyOutcome` are kept in ``extra``:
``measure`` (MD, SMD, OR, RR, ROM, RD or ``narrative``), ``k_studies``, ``n_total``, ``i2``,
``rob_note`` (the reason for the risk-of-bias rating), ``paired`` (``yes`` for split-scalp or
split-face trials where both arms are the same people), ``indirectness`` (why the study answers
a somewhat different question, e.g. PRP added to microneedling; empty when direct) and
``verification`` (what could not be checked at the source), ``finding`` (``benefit``,
``no_difference``, ``harm`` or ``mixed``: what the row's outcome showed, recorded at least for
a study's primary outcome, which is listed first), ``population`` (``men``, ``women`` or
``both``: who was studied; empty when not recorded), ``stage`` (``chronic``, ``acute`` or
``severe`` when the study enrolled only that stage of the condition, e.g. telogen effluvium
lasting more than 6 months, or severe alopecia areata; a ``severe`` row is direct evidence for
people whose disease is advanced and indirect for the others) and ``rating_scale`` (the scale of
``published_certainty``: empty when the source rated it with GRADE; ``GRADE, <detail>`` for a
GRADE rating with a detail such as a range; ``our reading ...`` when the source gave no GRADE
rating we could use; otherwise the name of the source's own scale, e.g. ``SORT``. In the last
two cases the certainty column holds our reading on the GRADE scale, and the summary says so),
``intervention`` (what the studied arm was, in plain words, where the option's own name would be
vague: "topical minoxidil" for usual care in female pattern hair loss, "triple-combination
cream" where the comparator, hydroquinone alone, is itself usual care; empty: the option's name).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal, TypeVar

from regenaid.errors import KnowledgeError
from regenaid.knowledge.model import (
    CONDITIONS_BY_CONCERN,
    TREATMENT_IDS,
    Certainty,
    Source,
    StudyArm,
    StudyOutcome,
    TreatmentId,
)

STUDIES_CSV: Final = Path(__file__).resolve().parent / "data" / "studies.csv"

COLUMNS: Final[tuple[str, ...]] = (
    "id",
    "study",
    "year",
    "condition",
    "treatment",
    "intervention",
    "comparator",
    "design",
    "population",
    "stage",
    "kind",
    "outcome",
    "finding",
    "measure",
    "unit",
    "followup_weeks",
    "treated_n",
    "treated_mean",
    "treated_sd",
    "treated_events",
    "control_n",
    "control_mean",
    "control_sd",
    "control_events",
    "effect",
    "ci_low",
    "ci_high",
    "k_studies",
    "n_total",
    "i2",
    "risk_of_bias",
    "rob_note",
    "published_certainty",
    "rating_scale",
    "paired",
    "indirectness",
    "verification",
    "sources",
    "note",
)
KINDS: Final = ("primary", "pooled_published")
MEASURES: Final = ("MD", "SMD", "OR", "RR", "ROM", "RD", "narrative")
RISK_OF_BIAS: Final = ("low", "some_concerns", "high", "unclear")
# What a primary row's outcome showed, in the authors' words (empty: not recorded).
FINDINGS: Final = ("benefit", "no_difference", "harm", "mixed")
# The stage of the condition the study enrolled only (empty: any or not recorded).
STAGES: Final = ("acute", "chronic", "severe")
# Who was studied, by sex (empty: not recorded, read as both).
POPULATIONS: Final = ("men", "women", "both")
ALL_CONDITIONS: Final[tuple[str, ...]] = tuple(
    c for conditions in CONDITIONS_BY_CONCERN.values() for c in conditions
)
_EXTRA_COLUMNS: Final = (
    "intervention",
    "measure",
    "finding",
    "population",
    "stage",
    "rating_scale",
    "k_studies",
    "n_total",
    "i2",
    "rob_note",
    "paired",
    "indirectness",
    "verification",
)

S = TypeVar("S", bound=str)


class _Row:
    """Typed access to one csv row; errors name the file, the row id and the column."""

    def __init__(self, file: str, entry: str, data: Mapping[str, str]) -> None:
        self.file = file
        self.entry = entry
        self.data = data

    def error(self, column: str, message: str) -> KnowledgeError:
        return KnowledgeError(self.file, self.entry, column, message)

    def opt_text(self, column: str) -> str | None:
        value = (self.data.get(column) or "").strip()
        return value or None

    def text(self, column: str) -> str:
        value = self.opt_text(column)
        if value is None:
            raise self.error(column, "is required")
        return value

    def choice(self, column: str, allowed: tuple[S, ...]) -> S:
        value = self.text(column)
        for option in allowed:
            if value == option:
                return option
        raise self.error(column, f"{value!r} is not allowed (allowed: {', '.join(allowed)})")

    def opt_float(self, column: str, *, positive: bool = False) -> float | None:
        raw = self.opt_text(column)
        if raw is None:
            return None
        try:
            value = float(raw)
        except ValueError:
            raise self.error(column, f"{raw!r} is not a number") from None
        if not math.isfinite(value):
            raise self.error(column, f"{raw!r} is not a finite number")
        if positive and value <= 0:
            raise self.error(column, f"must be > 0, got {raw}")
        return value

    def opt_int(self, column: str, *, minimum: int = 0) -> int | None:
        raw = self.opt_text(column)
        if raw is None:
            return None
        try:
            value = int(raw)
        except ValueError:
            raise self.error(column, f"{raw!r} is not a whole number") from None
        if value < minimum:
            raise self.error(column, f"must be >= {minimum}, got {value}")
        return value

    def arm(self, prefix: str) -> StudyArm:
        return StudyArm(
            n=self.opt_int(f"{prefix}_n", minimum=1),
            mean=self.opt_float(f"{prefix}_mean"),
            sd=self.opt_float(f"{prefix}_sd", positive=True),
            events=self.opt_int(f"{prefix}_events"),
        )


def _check_header(file: str, header: list[str] | None) -> None:
    if header is None:
        raise KnowledgeError(file, "header", "*", "the file is empty")
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise KnowledgeError(file, "header", missing[0], "column is missing")
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise KnowledgeError(
            file, "header", unknown[0], f"unknown column (allowed: {', '.join(COLUMNS)})"
        )


def _parse_row(row: _Row, sources: Mapping[str, Source]) -> StudyOutcome:
    kind: Literal["primary", "pooled_published"] = row.choice("kind", KINDS)
    measure = row.choice("measure", MEASURES)
    treatment: TreatmentId = row.choice("treatment", TREATMENT_IDS)
    condition = row.choice("condition", ALL_CONDITIONS)
    year = row.opt_int("year", minimum=1900)
    treated, control = row.arm("treated"), row.arm("control")
    effect = row.opt_float("effect")
    ci_low, ci_high = row.opt_float("ci_low"), row.opt_float("ci_high")
    if (ci_low is None) != (ci_high is None):
        raise row.error("ci_high" if ci_high is None else "ci_low", "give both CI limits or none")
    if ci_low is not None and ci_high is not None:
        if ci_high < ci_low:
            raise row.error("ci_high", f"upper limit {ci_high} is below lower limit {ci_low}")
        if effect is None:
            raise row.error("effect", "a CI is given, so the effect is required")
        if not ci_low <= effect <= ci_high:
            raise row.error("effect", f"{effect} lies outside its CI [{ci_low}, {ci_high}]")
    if measure in ("OR", "RR", "ROM") and ci_low is not None and ci_low <= 0:
        raise row.error("ci_low", f"a ratio ({measure}) CI must be > 0")
    if kind == "pooled_published" and measure != "narrative" and effect is None:
        raise row.error("effect", "a pooled_published row needs the published effect")
    certainty_raw = row.opt_text("published_certainty")
    published_certainty: Certainty | None = None
    if certainty_raw is not None:
        try:
            published_certainty = Certainty(certainty_raw)
        except ValueError:
            allowed = ", ".join(c.value for c in Certainty)
            raise row.error(
                "published_certainty", f"{certainty_raw!r} is not allowed (allowed: {allowed})"
            ) from None
        if kind != "pooled_published":
            raise row.error("published_certainty", "only pooled_published rows carry one")
    ids = tuple(s.strip() for s in row.text("sources").split(";") if s.strip())
    if not ids:
        raise row.error("sources", "at least one source id is required")
    for source_id in ids:
        if source_id not in sources:
            raise row.error("sources", f"unknown source id {source_id!r}")
    for column in ("k_studies", "n_total"):
        row.opt_int(column, minimum=1)
    i2 = row.opt_float("i2")
    if i2 is not None and not 0 <= i2 <= 100:
        raise row.error("i2", f"must be within 0..100, got {i2}")
    finding = row.opt_text("finding")
    if finding is not None and finding not in FINDINGS:
        raise row.error("finding", f"{finding!r} is not allowed (allowed: {', '.join(FINDINGS)})")
    stage = row.opt_text("stage")
    if stage is not None and stage not in STAGES:
        raise row.error("stage", f"{stage!r} is not allowed (allowed: {', '.join(STAGES)})")
    population = row.opt_text("population")
    if population is not None and population not in POPULATIONS:
        raise row.error(
            "population", f"{population!r} is not allowed (allowed: {', '.join(POPULATIONS)})"
        )
    paired = row.opt_text("paired")
    if paired is not None and paired not in ("yes", "no"):
        raise row.error("paired", f"{paired!r} is not allowed (allowed: yes, no)")
    extra = {c: v for c in _EXTRA_COLUMNS if (v := row.opt_text(c)) is not None}
    risk: Literal["low", "some_concerns", "high", "unclear"] = row.choice(
        "risk_of_bias", RISK_OF_BIAS
    )
    return StudyOutcome(
        id=row.entry,
        study=row.text("study"),
        year=year,
        condition=condition,
        treatment=treatment,
        comparator=row.text("comparator"),
        design=row.text("design"),
        kind=kind,
        outcome=row.text("outcome"),
        unit=row.text("unit"),
        followup_weeks=row.opt_float("followup_weeks", positive=True),
        treated=treated,
        control=control,
        effect=effect,
        ci_low=ci_low,
        ci_high=ci_high,
        risk_of_bias=risk,
        sources=ids,
        published_certainty=published_certainty,
        note=row.opt_text("note"),
        extra=extra,
    )


def load_studies(path: Path, sources: Mapping[str, Source]) -> tuple[StudyOutcome, ...]:
    """Read ``path`` (the study table) and validate every row and column.

    Raises :class:`KnowledgeError` naming the file, the row id (or ``line N`` before an id is
    known) and the column for any problem: unknown or missing column, bad number, value not
    in its vocabulary, CI that does not contain its effect, a source id not in ``sources``,
    or a duplicate row id.
    """
    file = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KnowledgeError(file, "*", "*", f"cannot read the study table: {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    _check_header(file, list(reader.fieldnames) if reader.fieldnames else None)
    seen: set[str] = set()
    studies: list[StudyOutcome] = []
    for line, data in enumerate(reader, start=2):
        if None in data:
            raise KnowledgeError(file, f"line {line}", "*", "more values than columns")
        entry = (data.get("id") or "").strip()
        if not entry:
            raise KnowledgeError(file, f"line {line}", "id", "is required")
        if entry in seen:
            raise KnowledgeError(file, entry, "id", "duplicate row id")
        seen.add(entry)
        studies.append(_parse_row(_Row(file, entry, data), sources))
    return tuple(studies)
