"""Exosome product lots, described after MISEV, and the rules for using and recalling them.

A lot records what the maker says about one batch (source, separation, particle count and
size, protein, markers, safety tests, form and storage, labelled routes, regulatory status
per jurisdiction) beside what MISEV asks a preparation of extracellular vesicles to report:

- Théry C, Witwer KW, et al. Minimal information for studies of extracellular vesicles 2018
  (MISEV2018). J Extracell Vesicles 2018;7:1535750. doi:10.1080/20013078.2018.1535750
- Welsh JA, Goberdhan DCI, O'Driscoll L, et al. Minimal information for studies of
  extracellular vesicles (MISEV2023). J Extracell Vesicles 2024;13:e12404.

The reference facts (marker categories, the nomenclature note, their sources) live in
``data/exosome_reference.yaml``; how each was checked is in
``docs/clinic-products-and-events.md``.

Rules (each refusal is a :class:`~regenaid.clinic.errors.RefusedError` with a stable code):

- a lot is usable **through** its expiry date: on the expiry date itself it may be used, from
  the next day it is refused (``lot_expired``);
- a recalled lot is refused (``lot_recalled``), as is one whose sterility, endotoxin or
  mycoplasma test failed (``lot_failed_safety_test``), an empty one (``lot_exhausted``) and a
  use larger than what is left (``insufficient_quantity``);
- giving a product labelled only for the skin's surface through the skin (injection,
  intradermal, subcutaneous, microneedling) needs an explicit override with a reason of at
  least ``OVERRIDE_REASON_MIN`` characters (``route_override_needed``); the use then records
  ``override=True`` and the reason, for the audit trail.

Functions are pure: the day and time are arguments, and nothing here reads a clock.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from importlib.resources import files
from typing import Any, Literal, cast, get_args

import yaml

from regenaid.clinic.documents import SHA256_HEX, is_document_key
from regenaid.clinic.errors import RefusedError
from regenaid.clinic.ids import new_id
from regenaid.errors import InvalidInputError, KnowledgeError
from regenaid.knowledge import KnowledgeBase, load_knowledge
from regenaid.knowledge.jurisdictions import normalise_jurisdiction

# --- vocabulary --------------------------------------------------------------------------------

ExosomeSourceKind = Literal[
    "human_adipose_stem_cells",
    "human_umbilical_cord_stem_cells",
    "human_bone_marrow_stem_cells",
    "human_other",
    "plant",
    "milk",
    "salmon",
    "other",
]
SOURCE_KINDS: tuple[str, ...] = get_args(ExosomeSourceKind)
HUMAN_SOURCES: frozenset[str] = frozenset(s for s in SOURCE_KINDS if s.startswith("human_"))
"""Sources from human donors: the lot must carry the maker's donor-eligibility statement."""

MarkerResult = Literal["present", "absent", "not_reported"]
MARKER_RESULTS: tuple[str, ...] = get_args(MarkerResult)
SafetyTestResult = Literal["pass", "fail", "not_reported"]
SAFETY_TEST_RESULTS: tuple[str, ...] = get_args(SafetyTestResult)
ParticleMethod = Literal["nta", "flow_cytometry", "trps", "other"]
PARTICLE_METHODS: tuple[str, ...] = get_args(ParticleMethod)
ProductForm = Literal["lyophilised", "liquid", "frozen", "other"]
PRODUCT_FORMS: tuple[str, ...] = get_args(ProductForm)
QuantityUnit = Literal["vial", "ampoule", "syringe", "mL", "mg"]
QUANTITY_UNITS: tuple[str, ...] = get_args(QuantityUnit)
Route = Literal["topical", "microneedling", "intradermal", "subcutaneous", "injection"]
ROUTES: tuple[str, ...] = get_args(Route)
THROUGH_SKIN_ROUTES: frozenset[str] = frozenset(
    {"microneedling", "intradermal", "subcutaneous", "injection"}
)
"""Routes that take the product through the skin barrier. A label that names only
``topical`` covers none of them."""
RegulatoryOrigin = Literal["knowledge_base", "clinic"]

OVERRIDE_REASON_MIN = 10
OVERRIDE_REASON_MAX = 1000
"""Shortest override reason, in characters (after trimming): long enough to say why."""
TEXT_MAX = 200
STATEMENT_MAX = 2000
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_JURISDICTION = re.compile(r"^([A-Z]{2}|EU|\*)$")
_SAFETY_TESTS = ("sterility", "endotoxin", "mycoplasma")


# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LotRegulatoryStatus:
    """What one regulator allows for this product, per jurisdiction.

    ``origin`` says who wrote it: ``knowledge_base`` (copied from regenaid's cited regulatory
    data by :func:`regulatory_defaults`; ``sources`` are its bibliography ids and ``matched``
    the entry that answered: the code itself, ``EU`` or the ``*`` fallback) or ``clinic``
    (typed by the clinic; ``sources`` are its own references, e.g. a registration number).
    """

    jurisdiction: str
    status: str
    text: str
    sources: tuple[str, ...]
    origin: RegulatoryOrigin
    matched: str | None = None


@dataclass(frozen=True, slots=True)
class ExosomeLot:
    """One received batch of an exosome product (all quantities in ``quantity_unit``)."""

    id: str
    clinic_id: str
    product_name: str
    manufacturer: str
    manufacturer_country: str  # ISO 3166-1 alpha-2
    lot_number: str
    expiry_date: date
    received_date: date
    quantity_unit: QuantityUnit
    quantity_received: Decimal
    quantity_left: Decimal
    source: ExosomeSourceKind
    maker_term: str  # the maker's own word, e.g. "exosomes", kept beside the MISEV term
    form: ProductForm
    labelled_routes: tuple[Route, ...]
    created_at: datetime
    created_by: str
    catalogue_number: str | None = None
    manufacture_date: date | None = None
    source_detail: str | None = None  # required when source is "other" or "human_other"
    donor_eligibility: str | None = None  # required for human sources
    separation_method: str | None = None  # e.g. "ultracentrifugation", "SEC", "TFF"
    particle_concentration_per_ml: float | None = None
    particle_method: ParticleMethod | None = None
    size_mode_nm: float | None = None
    protein_ug_per_ml: float | None = None
    markers: Mapping[str, MarkerResult] = field(default_factory=dict)
    imaging_method: str | None = None  # single-vesicle image, e.g. "TEM", "cryo-EM"
    sterility: SafetyTestResult = "not_reported"
    endotoxin: SafetyTestResult = "not_reported"
    mycoplasma: SafetyTestResult = "not_reported"
    storage_min_c: float | None = None
    storage_max_c: float | None = None
    # The certificate of analysis: an uploaded PDF's storage key (regenaid.clinic.documents),
    # with its SHA-256 and the uploaded file's name as display text. A lot recorded before
    # uploads may hold a reference as text here, without a SHA-256: nothing is served for it.
    coa_file: str | None = None
    coa_sha256: str | None = None
    coa_name: str | None = None
    regulatory: Mapping[str, LotRegulatoryStatus] = field(default_factory=dict)
    recalled_at: datetime | None = None
    recall_reason: str | None = None

    @property
    def is_recalled(self) -> bool:
        return self.recalled_at is not None

    @property
    def is_human_source(self) -> bool:
        return self.source in HUMAN_SOURCES


@dataclass(frozen=True, slots=True)
class LotUse:
    """An allowed use of a lot (what :func:`check_lot_use` returns; the clinic stores it).

    ``override`` is True only when the route is beyond the label and a reason was given: the
    web edge writes it to the audit trail with ``override_reason``."""

    id: str
    clinic_id: str
    lot_id: str
    used_on: date
    route: Route
    quantity: Decimal
    unit: QuantityUnit
    override: bool = False
    override_reason: str | None = None
    patient_id: str | None = None
    session_id: str | None = None


@dataclass(frozen=True, slots=True)
class RecallEntry:
    """One use of a recalled lot: who received how much, when, in which session."""

    lot_id: str
    used_on: date
    patient_id: str | None
    session_id: str | None
    quantity: Decimal
    unit: QuantityUnit
    route: Route
    route_override: bool


@dataclass(frozen=True, slots=True)
class CharacterisationGap:
    """One MISEV minimum the lot's documents do not show. ``item`` is stable for programs."""

    item: str
    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MisevNaming:
    """The maker's word beside the MISEV term, with why they may differ."""

    maker_term: str
    misev_term: str
    claims_biogenesis: bool  # the maker's word names a biogenesis route ("exosome", ...)
    text: str
    sources: tuple[str, ...]


# --- reference data ----------------------------------------------------------------------------

REFERENCE_FILE = "exosome_reference.yaml"


@dataclass(frozen=True, slots=True)
class ReferenceSource:
    """A bibliography entry of ``data/exosome_reference.yaml``."""

    id: str
    title: str
    url: str
    note: str
    authors: str | None = None
    year: int | None = None
    journal: str | None = None
    doi: str | None = None


@dataclass(frozen=True, slots=True)
class ExosomeReference:
    """The parsed ``data/exosome_reference.yaml`` (sources checked on load)."""

    sources: Mapping[str, ReferenceSource]
    marker_categories: Mapping[str, str]  # casefolded marker name -> category
    marker_sources: tuple[str, ...]
    misev_term: str
    nomenclature_text: str
    nomenclature_sources: tuple[str, ...]
    reporting_routes: tuple[Mapping[str, Any], ...]  # read by regenaid.clinic.adverse_events


@functools.cache
def exosome_reference() -> ExosomeReference:
    """The reference data, read once; every source id resolves here or in the knowledge base."""
    text = (files("regenaid.clinic") / "data" / REFERENCE_FILE).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    sources: dict[str, ReferenceSource] = {}
    for entry in data["sources"]:
        sources[entry["id"]] = ReferenceSource(
            id=entry["id"],
            title=" ".join(str(entry["title"]).split()),
            url=entry["url"],
            note=" ".join(str(entry["note"]).split()),
            authors=entry.get("authors"),
            year=entry.get("year"),
            journal=entry.get("journal"),
            doi=entry.get("doi"),
        )
    known = frozenset(sources) | frozenset(load_knowledge().sources)

    def cited(where: str, ids: Iterable[str]) -> tuple[str, ...]:
        ids = tuple(ids)
        for source_id in ids:
            if source_id not in known:
                raise KnowledgeError(REFERENCE_FILE, where, "sources", f"unknown {source_id!r}")
        if not ids:
            raise KnowledgeError(REFERENCE_FILE, where, "sources", "at least one is needed")
        return ids

    markers = data["markers"]
    categories: dict[str, str] = {}
    for category in ("transmembrane", "cytosolic", "purity"):
        for name in markers[category]:
            categories[str(name).casefold()] = category
    naming = data["nomenclature"]
    routes = tuple(data["reporting_routes"])
    for route in routes:
        cited(f"reporting_routes/{route['jurisdiction']}", route["sources"])
    return ExosomeReference(
        sources=sources,
        marker_categories=categories,
        marker_sources=cited("markers", markers["sources"]),
        misev_term=naming["misev_term"],
        nomenclature_text=" ".join(str(naming["text"]).split()),
        nomenclature_sources=cited("nomenclature", naming["sources"]),
        reporting_routes=routes,
    )


# --- building and checking a lot ---------------------------------------------------------------


def new_lot(*, clinic_id: str, created_by: str, now: datetime, **values: Any) -> ExosomeLot:
    """A new lot from form values (field names of :class:`ExosomeLot`), checked.

    ``quantity_left`` defaults to ``quantity_received``. An unknown field is refused by name.
    """
    known = {f.name for f in fields(ExosomeLot)} - {"id", "clinic_id", "created_at", "created_by"}
    for key in values:
        if key not in known:
            raise InvalidInputError(key, "is not a field of an exosome lot", sorted(known))
    for required in ("quantity_received",):
        if required not in values:
            raise InvalidInputError(required, "is required")
    values.setdefault("quantity_left", values["quantity_received"])
    try:
        lot = ExosomeLot(
            id=new_id(), clinic_id=clinic_id, created_at=now, created_by=created_by, **values
        )
    except TypeError as exc:  # a required field is missing
        missing = re.findall(r"'(\w+)'", str(exc))
        raise InvalidInputError(missing[0] if missing else "lot", "is required") from exc
    return validate_lot(lot)


def validate_lot(lot: ExosomeLot) -> ExosomeLot:
    """``lot`` with its text trimmed and quantities as ``Decimal``; impossible values refused.

    Raises :class:`InvalidInputError` naming the first field that is wrong: a blank required
    text, an unknown code, a quantity that is not positive (received) or negative (left),
    more left than received, an expiry on or before the manufacture date, a receipt before
    manufacture, a human source without a donor-eligibility statement, a non-positive
    measurement, a storage range upside down, a recall without its reason (or the reverse).
    """
    _required_id("id", lot.id)
    _required_id("clinic_id", lot.clinic_id)
    _required_id("created_by", lot.created_by)
    _aware("created_at", lot.created_at)
    product_name = _text("product_name", lot.product_name)
    manufacturer = _text("manufacturer", lot.manufacturer)
    country = _text("manufacturer_country", lot.manufacturer_country).upper()
    if not _COUNTRY.match(country):
        raise InvalidInputError("manufacturer_country", "must be an ISO 3166-1 alpha-2 code")
    lot_number = _text("lot_number", lot.lot_number)
    maker_term = _text("maker_term", lot.maker_term)
    _one_of("quantity_unit", lot.quantity_unit, QUANTITY_UNITS)
    received = _decimal("quantity_received", lot.quantity_received)
    left = _decimal("quantity_left", lot.quantity_left)
    if received <= 0:
        raise InvalidInputError("quantity_received", "must be more than 0")
    if left < 0:
        raise InvalidInputError("quantity_left", "must not be negative")
    if left > received:
        raise InvalidInputError("quantity_left", f"is more than was received ({received})")
    _date("expiry_date", lot.expiry_date)
    _date("received_date", lot.received_date)
    if lot.manufacture_date is not None:
        _date("manufacture_date", lot.manufacture_date)
        if lot.expiry_date <= lot.manufacture_date:
            raise InvalidInputError("expiry_date", "must be after the manufacture date")
        if lot.received_date < lot.manufacture_date:
            raise InvalidInputError("received_date", "is before the manufacture date")
    _one_of("source", lot.source, SOURCE_KINDS)
    source_detail = _optional_text("source_detail", lot.source_detail)
    if lot.source in ("other", "human_other") and source_detail is None:
        raise InvalidInputError("source_detail", f"is required when the source is {lot.source!r}")
    donor = _optional_text("donor_eligibility", lot.donor_eligibility, STATEMENT_MAX)
    if lot.source in HUMAN_SOURCES and donor is None:
        raise InvalidInputError(
            "donor_eligibility",
            "a product from human cells needs the maker's donor-eligibility statement "
            "(how donors were screened and tested)",
        )
    for name in ("particle_concentration_per_ml", "size_mode_nm", "protein_ug_per_ml"):
        value = getattr(lot, name)
        if value is not None and not (_is_number(value) and float(value) > 0):
            raise InvalidInputError(name, "must be a number more than 0")
    if lot.size_mode_nm is not None and float(lot.size_mode_nm) > 10_000:
        raise InvalidInputError("size_mode_nm", "is over 10,000 nm (10 µm): not a vesicle size")
    if lot.particle_method is not None:
        _one_of("particle_method", lot.particle_method, PARTICLE_METHODS)
    markers = _markers(lot.markers)
    for name in _SAFETY_TESTS:
        _one_of(name, getattr(lot, name), SAFETY_TEST_RESULTS)
    _one_of("form", lot.form, PRODUCT_FORMS)
    for name in ("storage_min_c", "storage_max_c"):
        value = getattr(lot, name)
        if value is not None and not (_is_number(value) and -273.15 <= float(value) <= 60):
            raise InvalidInputError(name, "must be a temperature between -273.15 and 60 °C")
    if (
        lot.storage_min_c is not None
        and lot.storage_max_c is not None
        and lot.storage_min_c > lot.storage_max_c
    ):
        raise InvalidInputError("storage_max_c", "is below storage_min_c")
    routes = _routes(lot.labelled_routes)
    regulatory = _regulatory(lot.regulatory)
    recall_reason = _optional_text("recall_reason", lot.recall_reason, STATEMENT_MAX)
    coa_file = _optional_text("coa_file", lot.coa_file, 500)
    if lot.coa_sha256 is not None:
        if not isinstance(lot.coa_sha256, str) or not SHA256_HEX.fullmatch(lot.coa_sha256):
            raise InvalidInputError("coa_sha256", "must be a SHA-256 as 64 lowercase hex digits")
        if not is_document_key(coa_file):
            raise InvalidInputError("coa_file", "must be an uploaded certificate's storage key")
    if lot.recalled_at is not None:
        _aware("recalled_at", lot.recalled_at)
        if recall_reason is None:
            raise InvalidInputError("recall_reason", "is required for a recalled lot")
    elif recall_reason is not None:
        raise InvalidInputError("recalled_at", "is required when a recall reason is given")
    return replace(
        lot,
        product_name=product_name,
        manufacturer=manufacturer,
        manufacturer_country=country,
        lot_number=lot_number,
        maker_term=maker_term,
        catalogue_number=_optional_text("catalogue_number", lot.catalogue_number),
        quantity_received=received,
        quantity_left=left,
        source_detail=source_detail,
        donor_eligibility=donor,
        separation_method=_optional_text("separation_method", lot.separation_method),
        imaging_method=_optional_text("imaging_method", lot.imaging_method),
        coa_file=coa_file,
        coa_name=_optional_text("coa_name", lot.coa_name),
        markers=markers,
        labelled_routes=routes,
        regulatory=regulatory,
        recall_reason=recall_reason,
    )


# --- using, consuming and recalling ------------------------------------------------------------


def check_lot_use(
    lot: ExosomeLot,
    *,
    today: date,
    route: str,
    quantity: Decimal | int | str,
    override_reason: str | None = None,
    patient_id: str | None = None,
    session_id: str | None = None,
) -> LotUse:
    """Decide whether ``quantity`` of ``lot`` may be given by ``route`` on ``today``.

    Returns the :class:`LotUse` to store, or raises :class:`RefusedError` (codes, in the order
    checked: ``lot_recalled``, ``lot_expired``, ``lot_failed_safety_test``, ``lot_exhausted``,
    ``insufficient_quantity``, ``route_override_needed``). A lot may be used on its expiry
    date, not after. ``override_reason`` matters only when the route goes through the skin
    and the label names no such route; it is ignored otherwise.
    """
    _one_of("route", route, ROUTES)
    amount = _decimal("quantity", quantity)
    if amount <= 0:
        raise InvalidInputError("quantity", "must be more than 0")
    name = f"lot {lot.lot_number} of {lot.product_name}"
    if lot.recalled_at is not None:
        raise RefusedError(
            "lot_recalled",
            f"{name} was recalled on {lot.recalled_at.date().isoformat()}: {lot.recall_reason}",
            "lot_id",
        )
    if today > lot.expiry_date:
        raise RefusedError(
            "lot_expired",
            f"{name} expired on {lot.expiry_date.isoformat()} (usable through that day only)",
            "lot_id",
        )
    failed = [test for test in _SAFETY_TESTS if getattr(lot, test) == "fail"]
    if failed:
        raise RefusedError(
            "lot_failed_safety_test",
            f"{name} failed its {' and '.join(failed)} test(s) on the certificate of analysis",
            "lot_id",
        )
    unit = lot.quantity_unit
    if lot.quantity_left <= 0:
        raise RefusedError("lot_exhausted", f"{name} is used up (0 {unit} left)", "lot_id")
    if amount > lot.quantity_left:
        raise RefusedError(
            "insufficient_quantity",
            f"{name} has {_plain(lot.quantity_left)} {unit} left; {_plain(amount)} {unit} asked",
            "quantity",
        )
    override = False
    reason: str | None = None
    if route in THROUGH_SKIN_ROUTES and not THROUGH_SKIN_ROUTES.intersection(lot.labelled_routes):
        reason = " ".join((override_reason or "").split()) or None
        labelled = ", ".join(lot.labelled_routes)
        if reason is None:
            raise RefusedError(
                "route_override_needed",
                f"{lot.product_name} is labelled for {labelled} use only; giving it by {route} "
                "needs an explicit override with a reason, which is recorded in the audit trail",
                "override_reason",
            )
        if len(reason) < OVERRIDE_REASON_MIN:
            raise InvalidInputError(
                "override_reason", f"give a reason of at least {OVERRIDE_REASON_MIN} characters"
            )
        if len(reason) > OVERRIDE_REASON_MAX:
            raise InvalidInputError(
                "override_reason", f"at most {OVERRIDE_REASON_MAX:,} characters"
            )
        override = True
    return LotUse(
        id=new_id(),
        clinic_id=lot.clinic_id,
        lot_id=lot.id,
        used_on=today,
        route=cast(Route, route),
        quantity=amount,
        unit=unit,
        override=override,
        override_reason=reason,
        patient_id=_optional_id("patient_id", patient_id),
        session_id=_optional_id("session_id", session_id),
    )


def consume(lot: ExosomeLot, use: LotUse) -> ExosomeLot:
    """``lot`` after ``use`` (from :func:`check_lot_use` on this lot): less left."""
    if use.lot_id != lot.id or use.clinic_id != lot.clinic_id:
        raise InvalidInputError("lot_id", "the use belongs to another lot")
    if use.quantity > lot.quantity_left:
        raise RefusedError(
            "insufficient_quantity",
            f"only {_plain(lot.quantity_left)} {lot.quantity_unit} left",
            "quantity",
        )
    return replace(lot, quantity_left=lot.quantity_left - use.quantity)


def recall(lot: ExosomeLot, reason: str, at: datetime) -> ExosomeLot:
    """``lot`` marked recalled at ``at`` (stored in UTC) for ``reason``; no further use."""
    text = _optional_text("recall_reason", reason, STATEMENT_MAX)
    if text is None:
        raise InvalidInputError("recall_reason", "must not be empty")
    _aware("recalled_at", at)
    if lot.recalled_at is not None:
        raise RefusedError(
            "lot_already_recalled",
            f"lot {lot.lot_number} was already recalled on {lot.recalled_at.date().isoformat()}",
            "lot_id",
        )
    return replace(lot, recalled_at=at.astimezone(UTC), recall_reason=text)


def recall_list(lot_id: str, usages: Iterable[LotUse]) -> list[RecallEntry]:
    """Every use of lot ``lot_id`` among ``usages``, oldest first (then patient, session)."""
    entries = [
        RecallEntry(
            lot_id=use.lot_id,
            used_on=use.used_on,
            patient_id=use.patient_id,
            session_id=use.session_id,
            quantity=use.quantity,
            unit=use.unit,
            route=use.route,
            route_override=use.override,
        )
        for use in usages
        if use.lot_id == lot_id
    ]
    entries.sort(key=lambda e: (e.used_on, e.patient_id or "", e.session_id or ""))
    return entries


RECALL_CSV_HEADER = (
    "lot_id",
    "used_on",
    "patient_id",
    "session_id",
    "quantity",
    "unit",
    "route",
    "route_override",
)


def recall_csv(entries: Iterable[RecallEntry]) -> str:
    """The recall list as CSV (RFC 4180, CRLF line ends, a header row).

    Only identifiers, dates and amounts: no names or contact details (the web edge adds those
    where the signed-in role may see them). A cell that a spreadsheet would run as a formula is
    written with a leading apostrophe; identifiers (letters, digits, ``-`` and ``_``) never are.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(RECALL_CSV_HEADER)
    for e in entries:
        writer.writerow(
            [
                _cell(e.lot_id),
                e.used_on.isoformat(),
                _cell(e.patient_id or ""),
                _cell(e.session_id or ""),
                _plain(e.quantity),
                e.unit,
                e.route,
                "yes" if e.route_override else "no",
            ]
        )
    return out.getvalue()


# --- MISEV -------------------------------------------------------------------------------------


def misev_naming(lot: ExosomeLot) -> MisevNaming:
    """The maker's term beside MISEV's "extracellular vesicles", with the MISEV note."""
    ref = exosome_reference()
    word = lot.maker_term.casefold()
    claims = any(term in word for term in ("exosom", "ectosom", "microvesicle"))
    if claims:
        text = ref.nomenclature_text
    else:
        text = (
            f"MISEV calls these {ref.misev_term}; the maker's term is kept beside it as "
            "written on the label."
        )
    return MisevNaming(
        maker_term=lot.maker_term,
        misev_term=ref.misev_term,
        claims_biogenesis=claims,
        text=text,
        sources=ref.nomenclature_sources,
    )


def marker_category(marker: str) -> str | None:
    """``transmembrane``, ``cytosolic`` or ``purity`` for a marker MISEV names; else None."""
    return exosome_reference().marker_categories.get(marker.strip().casefold())


def lot_characterisation_gaps(lot: ExosomeLot) -> tuple[CharacterisationGap, ...]:
    """Which MISEV minimum items the lot's documents do not show, in a fixed order.

    The rule implemented (MISEV2018, as tabulated in the summaries cited in
    ``data/exosome_reference.yaml``; MISEV2023 keeps these as the basics):

    1. the separation method is reported (``separation_method``);
    2. quantification by at least two methods: a particle concentration with its method
       (``particle_concentration``, ``particle_method``) and protein per mL
       (``protein_per_ml``);
    3. single-vesicle characterisation: a size from the single-particle method
       (``size_mode``) and an image of single vesicles, e.g. electron microscopy
       (``single_vesicle_image``);
    4. at least three positive protein markers reported present, including at least one
       transmembrane or GPI-anchored protein (e.g. CD9, CD63, CD81) and one cytosolic
       protein (e.g. TSG101, syntenin) (``transmembrane_marker``, ``cytosolic_marker``,
       ``three_positive_markers``);
    5. at least one purity marker tested, i.e. reported present or absent (e.g. calnexin)
       (``purity_marker``); one reported *present* is listed too
       (``purity_marker_present``): the preparation holds material that is not EVs.

    An empty result means the documents report each item, not that the product works or is
    safe; sterility, endotoxin and mycoplasma are product-safety tests, not MISEV items.
    """
    ref = exosome_reference()
    src = ref.marker_sources
    gaps: list[CharacterisationGap] = []

    def gap(item: str, text: str) -> None:
        gaps.append(CharacterisationGap(item=item, text=text, sources=src))

    if lot.separation_method is None:
        gap("separation_method", "No separation method is reported.")
    if lot.particle_concentration_per_ml is None:
        gap("particle_concentration", "No particle concentration is reported.")
    elif lot.particle_method is None:
        gap(
            "particle_method",
            "The particle concentration is given without the method that measured it.",
        )
    if lot.protein_ug_per_ml is None:
        gap(
            "protein_per_ml",
            "No protein amount per mL: MISEV asks for two quantities (particles and protein, "
            "or lipid), whose ratio indicates purity.",
        )
    if lot.size_mode_nm is None:
        gap("size_mode", "No vesicle size (mode) from a single-particle method is reported.")
    if lot.imaging_method is None:
        gap(
            "single_vesicle_image",
            "No image of single vesicles (e.g. electron microscopy) is reported.",
        )
    present = {
        name: marker_category(name)
        for name, result in lot.markers.items()
        if result == "present" and marker_category(name) in ("transmembrane", "cytosolic")
    }
    if "transmembrane" not in present.values():
        gap(
            "transmembrane_marker",
            "No transmembrane marker (e.g. CD9, CD63, CD81) is reported present.",
        )
    if "cytosolic" not in present.values():
        gap("cytosolic_marker", "No cytosolic marker (e.g. TSG101, syntenin) is reported present.")
    if len(present) < 3:
        gap(
            "three_positive_markers",
            f"{len(present)} of the at least 3 positive EV protein markers are reported present.",
        )
    purity = {
        name: result
        for name, result in lot.markers.items()
        if marker_category(name) == "purity" and result in ("present", "absent")
    }
    if not purity:
        gap(
            "purity_marker",
            "No purity marker (e.g. calnexin, a protein EVs should lack) was tested.",
        )
    found = sorted(name for name, result in purity.items() if result == "present")
    if found:
        gap(
            "purity_marker_present",
            f"{', '.join(found)} reported present: the preparation holds material that is "
            "not extracellular vesicles.",
        )
    return tuple(gaps)


# --- regulatory status -------------------------------------------------------------------------


def regulatory_defaults(
    jurisdictions: Iterable[str], kb: KnowledgeBase | None = None
) -> dict[str, LotRegulatoryStatus]:
    """Regulatory status of exosome products per jurisdiction, from the knowledge base.

    Facts are not typed again here: each entry copies ``kb.regulatory_status("exosome", code)``
    (e.g. US: no exosome product is FDA-approved), with its source ids. A code without its own
    entry gets the EU entry (for members) or the ``*`` fallback, and ``matched`` says which.
    """
    base = kb if kb is not None else load_knowledge()
    out: dict[str, LotRegulatoryStatus] = {}
    for raw in jurisdictions:
        code = _jurisdiction(raw)
        entry = base.regulatory_status("exosome", code)
        out[code] = LotRegulatoryStatus(
            jurisdiction=code,
            status=entry.status,
            text=entry.text,
            sources=entry.sources,
            origin="knowledge_base",
            matched=entry.jurisdiction,
        )
    return out


def with_regulatory_defaults(
    lot: ExosomeLot, jurisdictions: Iterable[str], kb: KnowledgeBase | None = None
) -> ExosomeLot:
    """``lot`` with knowledge-base statuses added for ``jurisdictions`` it has none for.

    What the clinic typed for a jurisdiction is kept as it is."""
    missing = [code for code in map(_jurisdiction, jurisdictions) if code not in lot.regulatory]
    merged = dict(lot.regulatory)
    merged.update(regulatory_defaults(missing, kb))
    return replace(lot, regulatory=merged)


def regulatory_status_for(
    lot: ExosomeLot, jurisdiction: str, kb: KnowledgeBase | None = None
) -> LotRegulatoryStatus:
    """The lot's own status for ``jurisdiction``, else the knowledge base's default."""
    code = _jurisdiction(jurisdiction)
    if code in lot.regulatory:
        return lot.regulatory[code]
    return regulatory_defaults([code], kb)[code]


# --- helpers -----------------------------------------------------------------------------------


def _required_id(name: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(name, "must not be empty")


def _optional_id(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    _required_id(name, value)
    return value


def _text(name: str, value: object, limit: int = TEXT_MAX) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(name, "must be text")
    text = " ".join(value.split())
    if not text:
        raise InvalidInputError(name, "must not be empty")
    if len(text) > limit:
        raise InvalidInputError(name, f"at most {limit} characters")
    return text


def _optional_text(name: str, value: object, limit: int = TEXT_MAX) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _text(name, value, limit)


def _one_of(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidInputError(name, f"unknown value {value!r}", allowed)


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float | Decimal)
        and not isinstance(value, bool)
        and Decimal(str(value)).is_finite()
    )


def _decimal(name: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InvalidInputError(name, "must be a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise InvalidInputError(name, "must be a number") from exc
    if not number.is_finite():
        raise InvalidInputError(name, "must be a finite number")
    return number


def _date(name: str, value: object) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInputError(name, "must be a date")


def _aware(name: str, value: object) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidInputError(name, "must be a date and time with its time zone")


def _markers(markers: Mapping[str, str]) -> dict[str, MarkerResult]:
    if not isinstance(markers, Mapping):
        raise InvalidInputError("markers", "must map marker names to results")
    out: dict[str, MarkerResult] = {}
    seen: set[str] = set()
    for raw_name, result in markers.items():
        name = _text("markers", raw_name, 50)
        if name.casefold() in seen:
            raise InvalidInputError("markers", f"{name!r} is listed twice")
        seen.add(name.casefold())
        _one_of(f"markers.{name}", result, MARKER_RESULTS)
        out[name] = cast(MarkerResult, result)
    return out


def _routes(routes: Iterable[str]) -> tuple[Route, ...]:
    if isinstance(routes, str):
        raise InvalidInputError("labelled_routes", "must be a list of routes", ROUTES)
    out: list[Route] = []
    for route in routes:
        _one_of("labelled_routes", route, ROUTES)
        if route not in out:
            out.append(cast(Route, route))
    if not out:
        raise InvalidInputError("labelled_routes", "the label's route(s) are required", ROUTES)
    return tuple(out)


def _jurisdiction(code: str) -> str:
    norm = normalise_jurisdiction(code)
    if norm is None or not _JURISDICTION.match(norm):
        raise InvalidInputError("jurisdiction", "must be an ISO 3166-1 alpha-2 code, EU or *")
    return norm


def _regulatory(entries: Mapping[str, LotRegulatoryStatus]) -> dict[str, LotRegulatoryStatus]:
    out: dict[str, LotRegulatoryStatus] = {}
    for key, entry in entries.items():
        code = _jurisdiction(key)
        where = f"regulatory.{code}"
        if not isinstance(entry, LotRegulatoryStatus):
            raise InvalidInputError(where, "must be a regulatory status entry")
        if _jurisdiction(entry.jurisdiction) != code:
            raise InvalidInputError(where, f"holds the entry for {entry.jurisdiction!r}")
        _one_of(f"{where}.origin", entry.origin, get_args(RegulatoryOrigin))
        out[code] = replace(
            entry,
            jurisdiction=code,
            status=_text(f"{where}.status", entry.status, 50),
            text=_text(f"{where}.text", entry.text, STATEMENT_MAX),
            sources=tuple(_text(f"{where}.sources", s, 500) for s in entry.sources),
        )
    return out


def _plain(number: Decimal) -> str:
    """``Decimal`` as plain text without exponent or trailing zeros (``2.50`` -> ``2.5``)."""
    return format(number.normalize(), "f")


_ID_CELL = re.compile(r"^[A-Za-z0-9_-]+$")


def _cell(text: str) -> str:
    if text and text[0] in "=+-@\t\r" and not _ID_CELL.match(text):
        return "'" + text
    return text
