"""Read the knowledge base's YAML (and E's CSV) data files and validate every fact.

Layout of the data directory (``regenaid/knowledge/data`` unless another is given)::

    sources/*.yaml          bibliography: one list of Source mappings per file
    treatments.yaml         the five options
    conditions.yaml         the ten contract conditions
    contraindications.yaml  screening rules, one or more per CONTRACT §1 health flag
    protocols.yaml          (treatment, condition) -> sessions, intervals, time to results
    prices.yaml             default price ranges per session (or month) and currency
    exchange_rates.yaml     published exchange rates (``regenaid.knowledge.exchange``)
    regulatory.yaml         status per treatment and jurisdiction, with a "*" fallback
    claims.yaml             what sources claim, kept as claims (for disagreements)
    grid_rows.yaml          the Option Grid's questions
    studies.csv             the study table, read by ``regenaid.knowledge.studies``

Every problem raises :class:`~regenaid.errors.KnowledgeError` naming the file (relative to
the data directory), the entry and the field. The rules are listed in ``docs/knowledge.md``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Mapping, Sequence
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Literal, cast, get_args

import yaml

from regenaid.errors import KnowledgeError
from regenaid.knowledge._fields import EntryReader
from regenaid.knowledge.base import KnowledgeBase
from regenaid.knowledge.exchange import FILE as EXCHANGE_FILE
from regenaid.knowledge.exchange import read_exchange_rates
from regenaid.knowledge.jurisdictions import EU, FALLBACK
from regenaid.knowledge.model import (
    ADDED_TO_WORDS,
    CARE_GROUPS,
    CARE_TAGS,
    CONDITIONS_BY_CONCERN,
    HEALTH_FLAGS,
    SEXES,
    TREATMENT_IDS,
    CareComponent,
    CareRole,
    CareSchedule,
    Claim,
    Condition,
    Contraindication,
    ContraindicationLevel,
    ExosomeSource,
    FirstLineCare,
    GridRow,
    OutcomeRow,
    PartNote,
    PriceKind,
    PriceRange,
    PriceUnit,
    Protocol,
    ProtocolMode,
    Range,
    RegulatoryStatus,
    Source,
    SourceType,
    StudyOutcome,
    Treatment,
    TreatmentId,
)
from regenaid.knowledge.outcomes_data import read_outcome_rows
from regenaid.knowledge.studies import load_studies

SOURCE_TYPES: tuple[str, ...] = get_args(SourceType)
LEVELS: tuple[str, ...] = get_args(ContraindicationLevel)
CONCERNS: tuple[str, ...] = tuple(CONDITIONS_BY_CONCERN)
ALL_CONDITIONS: tuple[str, ...] = tuple(c for cs in CONDITIONS_BY_CONCERN.values() for c in cs)

REGULATORY_STATUSES: tuple[str, ...] = (
    "approved",  # a product is authorised for this use
    "licensed_medicines",  # the option is made of licensed medicines/cleared devices
    "off_label",  # legal device or medicine, this use not on its label
    "regulated_procedure",  # allowed as a medical procedure under specific rules
    "not_approved",  # no authorised product; regulators say it needs approval
    "route_prohibited",  # the way clinics give it (injection, microneedling) is not allowed
    "varies_by_product",  # depends on the product (e.g. cosmetic vs injectable)
    "not_verified",  # we could not verify the regulator's position
    "not_applicable",  # nothing to regulate (no treatment)
    "check_local_rules",  # the fallback
)
# Jurisdictions every active option must cover (issue 2).
REQUIRED_JURISDICTIONS: tuple[str, ...] = ("US", "GB", EU, "KR", "JP", "PK", "AE", "AU")
ACTIVE_TREATMENTS: tuple[TreatmentId, ...] = ("prp", "exosome", "combination")

CLAIM_TOPICS: tuple[str, ...] = (
    "time_to_results",
    "sessions",
    "interval",
    "maintenance",
    "duration",
    "price",
    "efficacy",
    "safety",
    "side_effects",
    "mechanism",
    "suitability",
    "consistency",
    "invasiveness",
    "regulatory",
)
REQUIRED_GRID_ROWS: tuple[str, ...] = (
    "material",
    "procedure",
    "sessions",
    "time_to_results",
    "duration",
    "side_effects",
    "cost",
    "evidence",
    "regulatory",
)
PRICE_UNITS: tuple[PriceUnit, ...] = get_args(PriceUnit)
PRICE_KINDS: tuple[PriceKind, ...] = get_args(PriceKind)
_AS_OF = re.compile(r"^(19|20)\d\d(-(0[1-9]|1[0-2]))?$")
CARE_ROLES: tuple[CareRole, ...] = get_args(CareRole)
CARE_SCHEDULES: tuple[CareSchedule, ...] = get_args(CareSchedule)
PROTOCOL_MODES: tuple[ProtocolMode, ...] = get_args(ProtocolMode)
# ``severity:`` of a protocol or price list for advanced disease only (the one value it takes).
ADVANCED_ONLY: tuple[str, ...] = ("advanced",)

_ID = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_PMID = re.compile(r"^\d{5,9}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")

DATA_FILES: tuple[str, ...] = (
    "treatments.yaml",
    "conditions.yaml",
    "contraindications.yaml",
    "protocols.yaml",
    "prices.yaml",
    "regulatory.yaml",
    "claims.yaml",
    "grid_rows.yaml",
    "first_line.yaml",
    EXCHANGE_FILE,
)

DataDir = Path | Traversable

# libyaml's C parser when available (about 10x faster); both build only plain Python objects.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def default_data_dir() -> Traversable:
    """The data shipped inside the package (``regenaid/knowledge/data``)."""
    return files("regenaid.knowledge") / "data"


@functools.cache
def load_knowledge() -> KnowledgeBase:
    """The package's knowledge base, loaded and validated once per process."""
    return read_knowledge(default_data_dir())


def read_knowledge(data_dir: DataDir) -> KnowledgeBase:
    """Load and validate the knowledge base in ``data_dir`` (not cached; tests use this)."""
    sources = _read_sources(data_dir)
    known = frozenset(sources)
    treatments = _read_treatments(data_dir, known, sources)
    conditions = _read_conditions(data_dir, known, sources)
    contraindications = _read_contraindications(data_dir, known, sources)
    protocols, advanced_protocols = _read_protocols(data_dir, known, sources, conditions)
    prices = _read_prices(data_dir, known)
    regulatory = _read_regulatory(data_dir, known, sources)
    claims = _read_claims(data_dir, known, sources)
    grid_rows = _read_grid_rows(data_dir)
    studies = _read_studies(data_dir, sources)
    first_line = _read_first_line(data_dir, known, sources)
    _check_added_to(protocols, first_line)
    _check_advanced(advanced_protocols, prices, first_line)
    exchange_rates = read_exchange_rates(_entries(data_dir, EXCHANGE_FILE), known)
    outcomes = _read_outcomes(data_dir, known, sources, conditions)
    return KnowledgeBase(
        sources=MappingProxyType(sources),
        conditions=MappingProxyType(conditions),
        treatments=MappingProxyType(treatments),
        contraindications=contraindications,
        protocols=MappingProxyType(protocols),
        prices=prices,
        regulatory=regulatory,
        claims=claims,
        grid_rows=grid_rows,
        studies=studies,
        first_line=MappingProxyType(first_line),
        exchange_rates=exchange_rates,
        outcomes=MappingProxyType(outcomes),
        advanced_protocols=MappingProxyType(advanced_protocols),
    )


# --- files ------------------------------------------------------------------------------


def _entries(data_dir: DataDir, name: str) -> list[object]:
    """The list of entries in data file ``name`` (relative to ``data_dir``)."""
    node: Traversable = data_dir
    for part in name.split("/"):
        node = node / part
    if not node.is_file():
        raise KnowledgeError(name, "-", "-", "data file is missing")
    try:
        data = yaml.load(node.read_text(encoding="utf-8"), Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        raise KnowledgeError(name, "-", "-", f"not valid YAML: {exc}") from exc
    if data is None:
        return []
    if not isinstance(data, list):
        raise KnowledgeError(name, "-", "-", "the file must be a YAML list of entries")
    return data


def _entry_name(data: object, key: str, index: int) -> str:
    """How an entry is named in errors: its id-like field if present, else its position."""
    if isinstance(data, Mapping):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return f"#{index + 1}"


def _readers(
    data_dir: DataDir, name: str, key: str, known: frozenset[str] | None
) -> list[EntryReader]:
    return [
        EntryReader(name, _entry_name(item, key, i), item, known)
        for i, item in enumerate(_entries(data_dir, name))
    ]


def _require_evidence(
    reader: EntryReader, field: str, ids: Sequence[str], sources: Mapping[str, Source]
) -> None:
    """A fact (as opposed to a claim or a price) must rest on at least one non-marketing source."""
    if ids and all(sources[s].is_marketing for s in ids):
        raise reader.error(
            field,
            "cites only marketing sources; a fact needs a non-marketing source "
            "(store marketing statements in claims.yaml)",
        )


# --- bibliography -----------------------------------------------------------------------


def _read_sources(data_dir: DataDir) -> dict[str, Source]:
    folder: Traversable = data_dir / "sources"
    if not folder.is_dir():
        raise KnowledgeError("sources/", "-", "-", "bibliography folder is missing")
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".yaml"))
    if not names:
        raise KnowledgeError("sources/", "-", "-", "no bibliography files (*.yaml)")
    sources: dict[str, Source] = {}
    where: dict[str, str] = {}
    for name in names:
        file = f"sources/{name}"
        for r in _readers(data_dir, file, "id", None):
            source = _read_source(r)
            if source.id in sources:
                raise r.error("id", f"duplicate source id (first defined in {where[source.id]})")
            sources[source.id] = source
            where[source.id] = file
    return sources


def _read_source(r: EntryReader) -> Source:
    source_id = r.text("id")
    if not _ID.match(source_id):
        raise r.error("id", "must be lowercase letters, digits and dashes, e.g. cruciani-2021")
    source = Source(
        id=source_id,
        type=r.choice("type", cast(tuple[SourceType, ...], SOURCE_TYPES)),
        title=r.text("title"),
        url=r.opt_text("url"),
        authors=r.opt_text("authors"),
        year=r.opt_int("year"),
        journal=r.opt_text("journal"),
        doi=r.opt_text("doi"),
        pmid=_pmid(r),
        note=r.opt_text("note"),
    )
    r.finish()
    if source.url is not None and not source.url.startswith(("http://", "https://")):
        raise r.error("url", "must start with http:// or https://")
    if source.doi is not None and not _DOI.match(source.doi):
        raise r.error("doi", f"{source.doi!r} is not a DOI (10.NNNN/...; no 'doi:' prefix)")
    if source.year is not None and not 1900 <= source.year <= 2100:
        raise r.error("year", "must be a year between 1900 and 2100")
    if source.url is None and source.doi is None and source.pmid is None and source.note is None:
        raise r.error("url", "give a url, doi or pmid (or a note saying where the text is)")
    return source


def _pmid(r: EntryReader) -> str | None:
    if not r.has("pmid"):
        r.raw("pmid", required=False)
        return None
    raw = r.raw("pmid")
    value = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
    if not isinstance(value, str) or not _PMID.match(value):
        raise r.error("pmid", f"{raw!r} is not a PubMed id (digits only)")
    return value


# --- treatments -------------------------------------------------------------------------


def _read_treatments(
    data_dir: DataDir, known: frozenset[str], sources: Mapping[str, Source]
) -> dict[TreatmentId, Treatment]:
    treatments: dict[TreatmentId, Treatment] = {}
    file = "treatments.yaml"
    for r in _readers(data_dir, file, "id", known):
        treatment_id = r.choice("id", TREATMENT_IDS)
        if treatment_id in treatments:
            raise r.error("id", "duplicate treatment")
        # "No new treatment" has nothing to cite for its mechanism, material or steps.
        r.uncited_ok = treatment_id == "no_treatment"
        treatment = Treatment(
            id=treatment_id,
            name=r.text("name"),
            summary=r.text("summary"),
            mechanism=r.cited("mechanism"),
            material=r.cited("material"),
            autologous=r.flag("autologous"),
            blood_draw=r.flag("blood_draw"),
            injections=r.flag("injections"),
            steps=r.cited_list("steps"),
            side_effects_common=r.cited_list("side_effects_common", required=False),
            side_effects_serious=r.cited_list("side_effects_serious", required=False),
            variants=_read_variants(r),
            sources=r.sources(required=False),
            uncertainties=r.cited_list("uncertainties", required=False),
            benefits=r.cited_list("benefits"),
            safety_signal=r.cited("safety_signal") if r.has("safety_signal") else None,
        )
        r.finish()
        for field in ("mechanism", "material"):
            cited = getattr(treatment, field)
            _require_evidence(r, f"{field}.sources", cited.sources, sources)
        if treatment.safety_signal is not None:
            _require_evidence(r, "safety_signal.sources", treatment.safety_signal.sources, sources)
        for field in (
            "steps",
            "side_effects_common",
            "side_effects_serious",
            "uncertainties",
            "benefits",
        ):
            for i, item in enumerate(getattr(treatment, field)):
                _require_evidence(r, f"{field}[{i}].sources", item.sources, sources)
        if treatment.blood_draw and not treatment.injections:
            raise r.error("injections", "a blood-drawing treatment re-injects; must be true")
        if treatment_id != "no_treatment" and not treatment.side_effects_common:
            raise r.error("side_effects_common", "every active option lists its common harms")
        if treatment_id == "exosome" and not treatment.variants:
            raise r.error("variants", "exosome products must be described by source")
        treatments[treatment_id] = treatment
    _require_all(file, "id", treatments, TREATMENT_IDS, "treatment")
    return treatments


def _read_variants(r: EntryReader) -> tuple[ExosomeSource, ...]:
    raw = r.raw("variants", required=False)
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise r.error("variants", "must be a list")
    variants: list[ExosomeSource] = []
    for i, item in enumerate(raw):
        v = r.nested(f"{r.entry}/variants/{_entry_name(item, 'id', i)}", item)
        variant = ExosomeSource(
            id=v.text("id"),
            name=v.text("name"),
            known=v.cited_list("known"),
            unknown=v.cited_list("unknown"),
        )
        v.finish()
        if any(x.id == variant.id for x in variants):
            raise v.error("id", "duplicate variant id")
        variants.append(variant)
    return tuple(variants)


# --- conditions -------------------------------------------------------------------------


def _read_conditions(
    data_dir: DataDir, known: frozenset[str], sources: Mapping[str, Source]
) -> dict[str, Condition]:
    conditions: dict[str, Condition] = {}
    file = "conditions.yaml"
    for r in _readers(data_dir, file, "id", known):
        concern = r.choice("concern", cast(tuple[Literal["hair", "skin"], ...], CONCERNS))
        condition_id = r.choice("id", CONDITIONS_BY_CONCERN[concern])
        if condition_id in conditions:
            raise r.error("id", "duplicate condition")
        condition = Condition(
            id=condition_id,
            concern=concern,
            name=r.text("name"),
            plain_description=r.text("plain_description"),
            natural_course=r.cited("natural_course"),
            conventional_care=r.cited("conventional_care"),
            treatments=r.choices("treatments", TREATMENT_IDS),
            conventional_side_effects_common=r.cited_list("conventional_side_effects_common"),
            conventional_side_effects_serious=r.cited_list(
                "conventional_side_effects_serious", required=False
            ),
            scales=r.opt_choices("scales", ("norwood", "ludwig", "sinclair")),
            check_first=r.cited("check_first") if r.raw("check_first", required=False) else None,
        )
        r.finish()
        for field in ("natural_course", "conventional_care", "check_first"):
            cited = getattr(condition, field)
            if cited is not None:
                _require_evidence(r, f"{field}.sources", cited.sources, sources)
        for required in ("conventional", "no_treatment"):
            if required not in condition.treatments:
                raise r.error("treatments", f"must include {required!r} (DESIGN: fair options)")
        conditions[condition_id] = condition
    _require_all(file, "id", conditions, ALL_CONDITIONS, "condition")
    return conditions


# --- contraindications ------------------------------------------------------------------


def _read_contraindications(
    data_dir: DataDir, known: frozenset[str], sources: Mapping[str, Source]
) -> tuple[Contraindication, ...]:
    rules: list[Contraindication] = []
    file = "contraindications.yaml"
    seen: dict[tuple[str, str, str], str] = {}
    for r in _readers(data_dir, file, "code", known):
        level = r.choice("level", cast(tuple[ContraindicationLevel, ...], LEVELS))
        r.entry = f"{r.entry}/{level}"
        # a lead about the parts of usual care a rule names, which their own sources support
        # (they are cited with every reason the rule gives): no example from another condition
        parts_cite_lead = r.flag("lead_cited_by_parts") if r.has("lead_cited_by_parts") else False
        rule = Contraindication(
            code=_rule_code(r),
            level=level,
            treatments=r.choices("treatments", TREATMENT_IDS),
            text=r.text("text"),
            # a rule with notes about its parts may leave its lead to their sources
            sources=r.sources(required=not (r.has("about") or parts_cite_lead)),
            come_back=r.opt_text("come_back"),
            conditions=r.opt_choices("conditions", ALL_CONDITIONS),
            care=_care_tags(r, "care"),
            sexes=r.opt_choices("sexes", SEXES),
            min_age=r.opt_int("min_age"),
            max_age=r.opt_int("max_age"),
            about=_part_notes(r),
            lead_cited_by_parts=parts_cite_lead,
        )
        r.finish()
        if parts_cite_lead and (not rule.care or rule.treatments != ("conventional",)):
            raise r.error(
                "lead_cited_by_parts",
                "only a rule about parts of usual care (care, treatments [conventional]) may "
                "leave its lead to the parts' sources",
            )
        if rule.sources:
            _require_evidence(r, "sources", rule.sources, sources)
        for i, note in enumerate(rule.about):
            if not set(note.care) <= set(rule.care):
                outside = ", ".join(t for t in note.care if t not in rule.care)
                raise r.error(f"about[{i}].care", f"{outside} not among the rule's care tags")
            _require_evidence(r, f"about[{i}].sources", note.sources, sources)
        if rule.code not in HEALTH_FLAGS and not (
            rule.sexes or rule.min_age is not None or rule.max_age is not None
        ):
            raise r.error(
                "code",
                f"{rule.code!r} is not a health flag; a rule without one must be limited by "
                "sexes, min_age or max_age (it applies to everyone those limits select)",
            )
        if rule.care and "conventional" not in rule.treatments:
            raise r.error("care", "care tags narrow a rule for 'conventional' only")
        if rule.level == "defer" and rule.come_back is None:
            raise r.error("come_back", "a defer rule must say when to come back")
        if "no_treatment" in rule.treatments:
            raise r.error("treatments", "'no_treatment' cannot be contraindicated")
        # One rule per (flag, treatment, condition): rules for the same flag and treatment
        # may differ by condition (e.g. pregnancy defers hair medicines, not sun protection).
        for treatment in rule.treatments:
            if treatment == "conventional" and rule.care:
                continue  # several care-specific rules may cover conventional care
            for condition in rule.conditions or ALL_CONDITIONS:
                key = (rule.code, treatment, condition)
                if key in seen:
                    raise r.error(
                        "treatments",
                        f"{treatment!r} already has a {seen[key]!r} rule for {rule.code}"
                        f" ({condition})",
                    )
                seen[key] = rule.level
        rules.append(rule)
    _require_all(file, "code", {r.code: r for r in rules}, HEALTH_FLAGS, "health flag")
    return tuple(rules)


def _part_notes(r: EntryReader) -> tuple[PartNote, ...]:
    """``about``: a list of ``{care: [tags], text, sources}``, sentences about some parts."""
    raw = r.raw("about", required=False)
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise r.error("about", "must be a non-empty list of {care, text, sources}")
    notes = []
    for i, item in enumerate(raw):
        n = r.nested(f"{r.entry}/about[{i}]", item)
        notes.append(PartNote(care=_care_tags(n, "care"), text=n.text("text"), sources=n.sources()))
        n.finish()
        if not notes[-1].care:
            raise n.error("care", "name at least one care tag")
    return tuple(notes)


def _rule_code(r: EntryReader) -> str:
    """A health flag, or (for rules switched on by age or sex alone) a new lower-case id."""
    code = r.text("code")
    if code not in HEALTH_FLAGS and not _ID.match(code):
        raise r.error("code", f"{code!r} is not a health flag (allowed: {', '.join(HEALTH_FLAGS)})")
    return code


# --- protocols --------------------------------------------------------------------------


def _read_protocols(
    data_dir: DataDir,
    known: frozenset[str],
    sources: Mapping[str, Source],
    conditions: Mapping[str, Condition],
) -> tuple[dict[tuple[TreatmentId, str], Protocol], dict[tuple[TreatmentId, str], Protocol]]:
    """The general protocols and those for advanced disease only (``severity: advanced``)."""
    protocols: dict[tuple[TreatmentId, str], Protocol] = {}
    advanced: dict[tuple[TreatmentId, str], Protocol] = {}
    file = "protocols.yaml"
    for i, item in enumerate(_entries(data_dir, file)):
        name = f"#{i + 1}"
        if isinstance(item, Mapping):
            name = f"{item.get('treatment')}/{item.get('condition')}"
        r = EntryReader(file, name, item, known)
        protocol = Protocol(
            treatment=r.choice("treatment", TREATMENT_IDS),
            condition=r.choice("condition", ALL_CONDITIONS),
            sessions=r.range("sessions"),
            interval_weeks=r.range("interval_weeks"),
            maintenance_interval_weeks=_maintenance(r),
            time_to_results_weeks=r.opt_range("time_to_results_weeks"),
            duration_of_effect=r.text("duration_of_effect"),
            sources=r.sources(),
            note=r.opt_text("note"),
            maintenance_known=r.raw("maintenance_interval_weeks", required=False) is not None,
            mode=r.opt_choice("mode", PROTOCOL_MODES) or "clinic_course",
            added_to=tuple(t for t in CARE_TAGS if t in r.opt_choices("added_to", ADDED_TO_WORDS)),
            advanced=r.opt_choice("severity", ADVANCED_ONLY) is not None,
        )
        r.finish()
        _require_evidence(r, "sources", protocol.sources, sources)
        key = (protocol.treatment, protocol.condition)
        into = advanced if protocol.advanced else protocols
        if key in into:
            raise r.error("condition", "duplicate protocol for this treatment and condition")
        if protocol.treatment not in conditions[protocol.condition].treatments:
            raise r.error("treatment", f"{protocol.condition} does not list this treatment")
        _check_protocol_shape(r, protocol)
        into[key] = protocol
    for condition in conditions.values():
        for treatment in condition.treatments:
            if treatment != "no_treatment" and (treatment, condition.id) not in protocols:
                raise KnowledgeError(
                    file, f"{treatment}/{condition.id}", "-", "missing protocol for this pair"
                )
    for treatment, condition_id in advanced:
        if (treatment, condition_id) not in protocols:
            raise KnowledgeError(
                file,
                f"{treatment}/{condition_id}",
                "severity",
                "a protocol for advanced disease needs the general one for the pair too",
            )
    return protocols, advanced


def _check_advanced(
    advanced: Mapping[tuple[TreatmentId, str], Protocol],
    prices: Sequence[PriceRange],
    first_line: Mapping[str, FirstLineCare],
) -> None:
    """Care for advanced disease only is usual care with a part for it (role ``severe``), and
    it has a schedule and a USD price list together: one without the other would price the
    general care on the advanced schedule, or the reverse."""
    priced = {
        (p.treatment, c) for p in prices if p.advanced and p.currency == "USD" for c in p.conditions
    }
    for p in prices:
        if p.advanced and not p.conditions:
            raise KnowledgeError(
                "prices.yaml",
                f"{p.treatment}/{p.currency}",
                "conditions",
                "a price list for advanced disease names its conditions",
            )
        for c in p.conditions if p.advanced else ():
            if (p.treatment, c) not in advanced:
                raise KnowledgeError(
                    "prices.yaml",
                    f"{p.treatment}/{p.currency}/{c}",
                    "severity",
                    "no protocol for advanced disease in protocols.yaml for this pair",
                )
    for (treatment, condition), _protocol in advanced.items():
        name = f"{treatment}/{condition}"
        care = first_line.get(condition)
        if (
            treatment != "conventional"
            or care is None
            or not any(c.role == "severe" for c in care.components)
        ):
            raise KnowledgeError(
                "protocols.yaml",
                name,
                "severity",
                "only usual care with a part for severe disease (first_line.yaml) has one",
            )
        if (treatment, condition) not in priced:
            raise KnowledgeError(
                "prices.yaml", name, "severity", "no USD price list for advanced disease"
            )


def _maintenance(r: EntryReader) -> Range | None:
    """``maintenance_interval_weeks``: a range, ``none`` (none needed) or absent (not known)."""
    if r.raw("maintenance_interval_weeks", required=False) == "none":
        return None
    return r.opt_range("maintenance_interval_weeks")


def _check_added_to(
    protocols: Mapping[tuple[TreatmentId, str], Protocol], first_line: Mapping[str, FirstLineCare]
) -> None:
    """An option is said to be added to usual care only where the condition's usual first care
    offers those procedures."""
    for p in protocols.values():
        if not p.added_to:
            continue
        care = first_line.get(p.condition)
        if care is None:
            raise KnowledgeError(
                "protocols.yaml",
                f"{p.treatment}/{p.condition}",
                "added_to",
                "the condition has no usual first care in first_line.yaml",
            )
        offered = {t for c in care.components if c.role == "first_line" for t in c.care}
        missing = [t for t in p.added_to if t not in offered]
        if missing:
            raise KnowledgeError(
                "protocols.yaml",
                f"{p.treatment}/{p.condition}",
                "added_to",
                f"{', '.join(missing)}: not offered by the condition's usual first care",
            )


def _check_protocol_shape(r: EntryReader, p: Protocol) -> None:
    if p.treatment == "no_treatment":
        if (p.sessions.high, p.interval_weeks.high) != (0, 0):
            raise r.error("sessions", "no_treatment has sessions 0..0 and interval_weeks 0..0")
        if p.maintenance_interval_weeks is not None or not p.maintenance_known:
            raise r.error("maintenance_interval_weeks", "no_treatment has 'none'")
        return
    if p.sessions.low < 1:
        raise r.error("sessions.low", "an active option has at least one session")
    if p.sessions.high > 1 and p.interval_weeks.low <= 0:
        raise r.error("interval_weeks.low", "several sessions need a positive interval")
    if p.maintenance_interval_weeks is not None and p.maintenance_interval_weeks.low <= 0:
        raise r.error("maintenance_interval_weeks.low", "must be positive")


# --- prices -----------------------------------------------------------------------------


def _read_prices(data_dir: DataDir, known: frozenset[str]) -> tuple[PriceRange, ...]:
    prices: list[PriceRange] = []
    file = "prices.yaml"
    for i, item in enumerate(_entries(data_dir, file)):
        name = f"#{i + 1}"
        if isinstance(item, Mapping):
            name = f"{item.get('treatment')}/{item.get('currency')}"
            if item.get("conditions"):
                name += f"/{','.join(map(str, item['conditions']))}"
        r = EntryReader(file, name, item, known)
        treatment = r.choice("treatment", TREATMENT_IDS)
        currency = r.text("currency")
        if not _CURRENCY.match(currency):
            raise r.error("currency", "must be an ISO 4217 code such as USD or GBP")
        low = r.number("low", minimum=0)
        high = r.number("high", minimum=0)
        if high < low:
            raise r.error("high", f"high {high:g} is below low {low:g}")
        price = PriceRange(
            treatment=treatment,
            currency=currency,
            low=low,
            high=high,
            unit=r.choice("unit", PRICE_UNITS),
            sources=r.sources(required=high > 0),
            note=r.opt_text("note"),
            conditions=r.opt_choices("conditions", ALL_CONDITIONS),
            kind=r.opt_choice("kind", PRICE_KINDS),
            as_of=r.opt_text("as_of"),
            per_session=r.opt_range("per_session"),
            advanced=r.opt_choice("severity", ADVANCED_ONLY) is not None,
            only_in=r.opt_text("only_in"),
        )
        r.finish()
        if price.only_in is not None and not _COUNTRY.match(price.only_in):
            raise r.error("only_in", "must be an ISO 3166-1 alpha-2 code such as US")
        if high > 0 and price.kind is None:
            raise r.error("kind", "say who quoted the price: clinic, consumer, press or retail")
        if high > 0 and price.as_of is None:
            raise r.error("as_of", "say when the price was quoted, e.g. 2022 or 2022-06")
        if price.as_of is not None and not _AS_OF.match(price.as_of):
            raise r.error("as_of", "must be a year or year-month such as 2022 or 2022-06")
        if (price.unit == "syringe") != (price.per_session is not None):
            raise r.error(
                "per_session", "give per_session (syringes per session) exactly for unit 'syringe'"
            )
        for other in prices:
            if (other.treatment, other.currency, other.advanced) != (
                treatment,
                currency,
                price.advanced,
            ):
                continue
            if not other.conditions and not price.conditions:
                raise r.error("currency", "duplicate price list for this treatment and currency")
            shared = set(other.conditions) & set(price.conditions)
            if shared:
                raise r.error("conditions", f"{sorted(shared)[0]!r} already has a price list")
        prices.append(price)
    for treatment in TREATMENT_IDS:
        if not any(
            p.treatment == treatment and p.currency == "USD" and not p.conditions for p in prices
        ):
            raise KnowledgeError(
                file, treatment, "treatment", "no default USD price list for this treatment"
            )
    return tuple(prices)


# --- regulatory -------------------------------------------------------------------------


def _read_regulatory(
    data_dir: DataDir, known: frozenset[str], sources: Mapping[str, Source]
) -> tuple[RegulatoryStatus, ...]:
    rows: list[RegulatoryStatus] = []
    file = "regulatory.yaml"
    keys: set[tuple[str, str]] = set()  # (treatment, jurisdiction) of entries for every condition
    narrow: set[tuple[str, str, str]] = set()  # (treatment, jurisdiction, condition)
    # places whose other conditions read the "*" text on purpose (``others_read_fallback``)
    open_places: set[tuple[str, str]] = set()
    for i, item in enumerate(_entries(data_dir, file)):
        name = f"#{i + 1}"
        if isinstance(item, Mapping):
            name = f"{item.get('treatment')}/{item.get('jurisdiction')}"
            if item.get("conditions"):
                name += f"/{'+'.join(map(str, item['conditions']))}"
        r = EntryReader(file, name, item, known)
        treatment = r.choice("treatment", TREATMENT_IDS)
        jurisdiction = r.text("jurisdiction")
        if jurisdiction not in (EU, FALLBACK) and not _COUNTRY.match(jurisdiction):
            raise r.error("jurisdiction", "must be an ISO 3166-1 alpha-2 code, 'EU' or '*'")
        row = RegulatoryStatus(
            treatment=treatment,
            jurisdiction=jurisdiction,
            status=r.choice("status", REGULATORY_STATUSES),
            text=r.text("text"),
            sources=r.sources(required=jurisdiction != FALLBACK and not _unverified(r)),
            note=r.opt_text("note"),
            conditions=r.opt_choices("conditions", ALL_CONDITIONS),
        )
        if r.has("others_read_fallback"):
            if not row.conditions:
                raise r.error("others_read_fallback", "only for an entry with conditions")
            if r.flag("others_read_fallback"):
                open_places.add((treatment, jurisdiction))
        r.finish()
        if row.status == "not_verified" and row.note is None:
            raise r.error("note", "say what could not be verified")
        for condition in row.conditions:
            if (treatment, jurisdiction, condition) in narrow:
                raise r.error("conditions", f"{condition!r} already has an entry here")
            narrow.add((treatment, jurisdiction, condition))
        if not row.conditions:
            if (treatment, jurisdiction) in keys:
                raise r.error("jurisdiction", "duplicate entry for this treatment and jurisdiction")
            keys.add((treatment, jurisdiction))
        rows.append(row)
    for place in sorted({(t, j) for t, j, _ in narrow}):
        # a place with entries for some conditions needs one for the others (else they would
        # get a less specific place's text, e.g. the "*" fallback for a US person), unless its
        # entries say that is meant (``others_read_fallback: true``: we know the place's
        # status for these conditions only)
        if place not in keys and place not in open_places:
            raise KnowledgeError(
                file, "/".join(place), "jurisdiction", "missing entry for every condition"
            )
    for treatment in TREATMENT_IDS:
        needed = (
            (FALLBACK, *REQUIRED_JURISDICTIONS) if treatment in ACTIVE_TREATMENTS else (FALLBACK,)
        )
        for code in needed:
            if (treatment, code) not in keys:
                raise KnowledgeError(file, f"{treatment}/{code}", "jurisdiction", "missing entry")
    return tuple(rows)


def _unverified(r: EntryReader) -> bool:
    """A ``not_verified`` row states that we do not know; it may have no source."""
    return r.raw("status", required=False) == "not_verified"


# --- claims and grid --------------------------------------------------------------------


def _read_claims(
    data_dir: DataDir, known: frozenset[str], sources: Mapping[str, Source]
) -> tuple[Claim, ...]:
    claims: list[Claim] = []
    file = "claims.yaml"
    for r in _readers(data_dir, file, "id", known):
        claim_id = r.text("id")
        if not _ID.match(claim_id):
            raise r.error("id", "must be lowercase letters, digits, dashes or underscores")
        claim = Claim(
            id=claim_id,
            treatment=r.choice("treatment", TREATMENT_IDS),
            topic=r.choice("topic", CLAIM_TOPICS),
            text=r.text("text"),
            sources=r.sources(),
            value=r.opt_range("value"),
            unit=r.opt_text("unit"),
            note=r.opt_text("note"),
            concern=r.opt_choice("concern", cast(tuple[Literal["hair", "skin"], ...], CONCERNS)),
            conditions=r.opt_choices("conditions", ALL_CONDITIONS),
            derived=r.flag("derived") if r.has("derived") else False,
            contradicted=r.flag("contradicted") if r.has("contradicted") else False,
        )
        r.finish()
        if claim.contradicted and claim.note is None:
            raise r.error("note", "a contradicted claim's note must say what the evidence says")
        if claim.derived and claim.note is None:
            raise r.error("note", "a derived claim's note must say how we calculated it")
        if any(c.id == claim_id for c in claims):
            raise r.error("id", "duplicate claim id")
        if claim.conditions and (
            claim.concern is None
            or any(c not in CONDITIONS_BY_CONCERN[claim.concern] for c in claim.conditions)
        ):
            raise r.error(
                "conditions", f"must be conditions of the claim's concern ({claim.concern})"
            )
        if (claim.value is None) != (claim.unit is None):
            raise r.error("unit", "value and unit go together (both or neither)")
        kinds = {sources[s].is_marketing for s in claim.sources}
        if len(kinds) > 1:
            raise r.error(
                "sources", "mixes marketing and non-marketing sources; split it into two claims"
            )
        claims.append(claim)
    return tuple(claims)


def _read_grid_rows(data_dir: DataDir) -> tuple[GridRow, ...]:
    rows: list[GridRow] = []
    file = "grid_rows.yaml"
    for r in _readers(data_dir, file, "id", None):
        row = GridRow(
            id=r.text("id"),
            question=r.text("question"),
            help=r.text("help"),
            conditions=r.opt_choices("conditions", ALL_CONDITIONS),
        )
        r.finish()
        if any(x.id == row.id for x in rows):
            raise r.error("id", "duplicate grid row")
        rows.append(row)
    _require_all(file, "id", {r.id: r for r in rows}, REQUIRED_GRID_ROWS, "grid row")
    return tuple(rows)


# --- studies (engineer E's loader) ------------------------------------------------------


def _read_studies(data_dir: DataDir, sources: Mapping[str, Source]) -> tuple[StudyOutcome, ...]:
    """The study table, read and validated by engineer E's :func:`load_studies`."""
    csv = data_dir / "studies.csv"
    if not csv.is_file():
        return ()
    if isinstance(csv, Path):
        return tuple(load_studies(csv, sources))
    with as_file(csv) as path:
        return tuple(load_studies(path, sources))


# --- outcomes (summary-of-findings cells) ------------------------------------------------


def _read_outcomes(
    data_dir: DataDir,
    known: frozenset[str],
    sources: Mapping[str, Source],
    conditions: Mapping[str, Condition],
) -> dict[tuple[str, TreatmentId], tuple[OutcomeRow, ...]]:
    """``outcomes.yaml`` (optional: without it every cell is derived or "not measured")."""
    if not (data_dir / "outcomes.yaml").is_file():
        return {}
    return read_outcome_rows(_entries(data_dir, "outcomes.yaml"), known, sources, conditions)


# --- helpers ----------------------------------------------------------------------------


def _require_all(
    file: str, field: str, have: Collection[str], wanted: Sequence[str], what: str
) -> None:
    for item in wanted:
        if item not in have:
            raise KnowledgeError(file, item, field, f"missing {what} {item!r}")


# --- usual first care -------------------------------------------------------------------


def _care_tags(r: EntryReader, name: str) -> tuple[str, ...]:
    """Care tags with groups (``procedure``, ``needle``, ...) expanded, in vocabulary order."""
    named = r.opt_choices(name, (*CARE_TAGS, *CARE_GROUPS))
    expanded = {t for n in named for t in CARE_GROUPS.get(n, (n,))}
    return tuple(t for t in CARE_TAGS if t in expanded)


def _read_first_line(
    data_dir: DataDir, known: frozenset[str], sources: Mapping[str, Source]
) -> dict[str, FirstLineCare]:
    """``first_line.yaml``: per condition, the parts of its usual first care."""
    file = "first_line.yaml"
    care: dict[str, FirstLineCare] = {}
    for r in _readers(data_dir, file, "condition", known):
        condition = r.choice("condition", ALL_CONDITIONS)
        if condition in care:
            raise r.error("condition", "duplicate condition")
        raw = r.raw("components")
        if not isinstance(raw, list) or not raw:
            raise r.error("components", "must be a non-empty list")
        components: list[CareComponent] = []
        for i, item in enumerate(raw):
            c = r.nested(f"{condition}/components/{_entry_name(item, 'id', i)}", item)
            component = CareComponent(
                id=c.text("id"),
                name=c.text("name"),
                care=_care_tags(c, "care"),
                role=c.choice("role", CARE_ROLES),
                schedule=c.choice("schedule", CARE_SCHEDULES),
                text=c.text("text"),
                sources=c.sources(),
                warnings=c.cited_list("warnings", required=False),
                sexes=c.opt_choices("sexes", SEXES),
                cost_note=c.cited("cost_note") if c.has("cost_note") else None,
                limits=c.cited("limits") if c.has("limits") else None,
            )
            c.finish()
            if not _ID.match(component.id):
                raise c.error("id", "must be lower-case words joined by _ or -")
            if not component.care:
                raise c.error("care", "name at least one care tag")
            if any(other.id == component.id for other in components):
                raise c.error("id", "duplicate component id")
            _require_evidence(c, "sources", component.sources, sources)
            components.append(component)
        r.finish()
        if not any(c.role == "first_line" for c in components):
            raise r.error("components", "at least one part must have role 'first_line'")
        care[condition] = FirstLineCare(condition, tuple(components))
    _require_all(file, "condition", care, ALL_CONDITIONS, "condition")
    return care
