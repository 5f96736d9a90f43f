"""Domain vocabulary and the immutable records the knowledge base is made of.

Every layer speaks these words. Records are frozen dataclasses; facts carry ``sources``,
a tuple of bibliography ids that the loader has checked resolve to a :class:`Source`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

# --- vocabulary -------------------------------------------------------------------------

Concern = Literal["hair", "skin"]
TreatmentId = Literal["prp", "exosome", "combination", "conventional", "no_treatment"]
TREATMENT_IDS: tuple[TreatmentId, ...] = (
    "prp",
    "exosome",
    "combination",
    "conventional",
    "no_treatment",
)
# The one name of each option, everywhere: pages, why lines, cost sentences, charts, calendar
# titles, PDF and CLI (treatments.yaml `name` and the page strings say the same; a test checks).
TREATMENT_LABELS: dict[str, str] = {
    "prp": "PRP (your own blood plasma)",
    "exosome": "Exosome therapy",
    "combination": "PRP plus exosomes",
    "conventional": "Usual first care",
    "no_treatment": "No new treatment",
}
HAIR_CONDITIONS: tuple[str, ...] = (
    "androgenetic_alopecia",
    "female_pattern_hair_loss",
    "telogen_effluvium",
    "alopecia_areata",
)
SKIN_CONDITIONS: tuple[str, ...] = (
    "fine_lines_wrinkles",
    "volume_loss",
    "acne_scars",
    "scars",
    "pigmentation",
    "skin_rejuvenation",
)
SEXES: tuple[str, ...] = ("female", "male", "other")  # as CONTRACT §1
CONDITIONS_BY_CONCERN: dict[str, tuple[str, ...]] = {
    "hair": HAIR_CONDITIONS,
    "skin": SKIN_CONDITIONS,
}
Eligibility = Literal["eligible", "caution", "contraindicated", "defer"]

# CONTRACT §1 ``health`` flags; each is a Contraindication.code (added by K).
HEALTH_FLAGS: tuple[str, ...] = (
    "anticoagulant",
    "antiplatelet_or_nsaid",
    "cardiovascular_disease",
    "bleeding_disorder",
    "low_platelets",
    "anemia",
    "pregnant_or_breastfeeding",
    "active_cancer",
    "active_infection_at_site",
    "systemic_infection",
    "autoimmune_disease",
    "immunosuppressed",
    "keloid_tendency",
    "allergy_to_product_components",
    "needle_phobia",
    # added to CONTRACT §1 on 2026-11-29
    "systemic_corticosteroids",
    "isotretinoin_recent",
    "liver_disease",
    "could_become_pregnant",
    "unstable_heart_or_blood_pressure",
)
# Flags added to CONTRACT §1 that have no screening rules yet (none now: the 2026-11-29 flags
# joined HEALTH_FLAGS with their rules).
NEW_HEALTH_FLAGS: tuple[str, ...] = ()

# --- usual first care: what it is made of ----------------------------------------------------
# Each part of a condition's usual care carries care tags; screening rules for ``conventional``
# name the tags (or groups of tags) they are about, so a rule for fillers applies only where
# fillers are part of the person's usual care, and an infection of the scalp defers steroid
# shots but not tablets.
CARE_TAGS: tuple[str, ...] = (
    # medicines used at home
    "topical_minoxidil",
    "oral_minoxidil",
    "finasteride",  # 5-alpha-reductase inhibitors: finasteride, dutasteride
    "antiandrogen",  # spironolactone and other anti-androgen tablets
    "topical_retinoid",
    "topical_steroid",
    "hydroquinone",  # incl. triple-combination cream (hydroquinone + tretinoin + steroid)
    "oral_tranexamic_acid",
    "jak_inhibitor",
    "iron_supplement",
    "sun_protection",
    "silicone",
    "camouflage",  # hair fibres, hairpieces, make-up
    "low_level_laser",  # home laser caps and combs
    # clinic work-up
    "blood_tests",
    "reassurance",
    # clinic procedures
    "steroid_injection",
    "filler",
    "botulinum_toxin",
    "microneedling",
    "laser",  # incl. intense pulsed light
    "chemical_peel",
    "subcision",
    "cryotherapy",
    "hair_transplant",
    "surgery",  # scar revision and other surgery
)
# Groups a screening rule may name instead of listing tags one by one.
CARE_GROUPS: dict[str, tuple[str, ...]] = {
    "procedure": (
        "steroid_injection",
        "filler",
        "botulinum_toxin",
        "microneedling",
        "laser",
        "chemical_peel",
        "subcision",
        "cryotherapy",
        "hair_transplant",
        "surgery",
    ),
    "needle": (
        "steroid_injection",
        "filler",
        "botulinum_toxin",
        "microneedling",
        "subcision",
        "hair_transplant",
        "surgery",
    ),
    "skin_wounding": (
        "microneedling",
        "laser",
        "chemical_peel",
        "subcision",
        "cryotherapy",
        "hair_transplant",
        "surgery",
    ),
    "oral": (
        "oral_minoxidil",
        "finasteride",
        "antiandrogen",
        "oral_tranexamic_acid",
        "jak_inhibitor",
    ),
    "topical": (
        "topical_minoxidil",
        "topical_retinoid",
        "topical_steroid",
        "hydroquinone",
    ),
}
# Parts of care that support but are not the treatment itself: when they are all that is left
# of usual care now (e.g. sunscreen in pregnancy), usual care waits, and they go on meanwhile.
SUPPORTIVE_CARE_TAGS: frozenset[str] = frozenset({"sun_protection", "camouflage"})
# The care tags an earlier treatment named in the intake (CONTRACT §1 ``prior_treatments``)
# stands for: an earlier response to it tells us about usual care only where usual care for
# this person includes one of these parts (minoxidil says nothing about acne-scar procedures).
PRIOR_CARE_TAGS: dict[str, tuple[str, ...]] = {
    "minoxidil": ("topical_minoxidil", "oral_minoxidil"),
    "finasteride": ("finasteride",),
    "dutasteride": ("finasteride",),
    "microneedling": ("microneedling",),
    "laser": ("laser", "low_level_laser"),
    "retinoid": ("topical_retinoid",),
}
# How a usual-care procedure that an option was added to in trials is named in a sentence
# (``Protocol.added_to``; the loader accepts only these tags there).
ADDED_TO_WORDS: dict[str, str] = {
    "microneedling": "microneedling",
    "laser": "a laser",
    "chemical_peel": "a chemical peel",
    "subcision": "subcision",
}
# Roles of a part of usual care: ``first_line`` and ``adjunct`` apply to everyone with the
# condition; ``severe`` and ``advanced`` only when the person's severity is advanced.
CareRole = Literal["first_line", "adjunct", "severe", "advanced"]
# How a part is given: daily at home with review visits, a course of clinic sessions, once
# (a work-up visit), or as needed (camouflage).
CareSchedule = Literal["daily_home", "clinic_course", "once", "as_needed"]


class Certainty(StrEnum):
    """GRADE certainty of evidence, best first."""

    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"
    VERY_LOW = "very_low"

    @property
    def level(self) -> int:
        """4 for high down to 1 for very low."""
        return {"high": 4, "moderate": 3, "low": 2, "very_low": 1}[self.value]

    @classmethod
    def from_level(cls, level: int) -> Certainty:
        """Clamp a level to 1..4 and return its certainty."""
        clamped = max(1, min(4, level))
        return {4: cls.HIGH, 3: cls.MODERATE, 2: cls.LOW, 1: cls.VERY_LOW}[clamped]


SourceType = Literal[
    "peer_reviewed",
    "regulator",
    "society",
    "guideline",
    "vendor",
    "marketing",
    "trade_press",
    "not_peer_reviewed",
]


# --- records ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """A bibliography entry. ``type == "marketing"`` marks clinic articles: claims, not facts."""

    id: str
    type: SourceType
    title: str
    url: str | None = None
    authors: str | None = None
    year: int | None = None
    journal: str | None = None
    doi: str | None = None
    pmid: str | None = None
    note: str | None = None

    @property
    def is_marketing(self) -> bool:
        return self.type == "marketing"


@dataclass(frozen=True, slots=True)
class Range:
    """A closed numeric range ``low..high`` (equal ends for a single value)."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if self.high < self.low:
            raise ValueError(f"range high {self.high} is below low {self.low}")

    @property
    def mid(self) -> float:
        return (self.low + self.high) / 2


ProtocolMode = Literal["clinic_course", "daily_home"]


@dataclass(frozen=True, slots=True)
class Protocol:
    """How a treatment is given for a condition: the initial course and its maintenance.

    Intervals are ranges because sources give ranges; ``plan`` picks a planned date and shows
    the window. ``mode`` says what a session is: a clinic treatment session
    (``clinic_course``) or, for care used daily at home, a review visit (``daily_home``).

    Unknown stays unknown: ``maintenance_interval_weeks`` is None with ``maintenance_known``
    True when no maintenance is needed, and None with ``maintenance_known`` False when nobody
    knows whether or how often it is needed. ``time_to_results_weeks`` is None when no study
    of this option in this condition measured it (a schedule borrowed from another use does
    not tell when results show).
    """

    treatment: TreatmentId
    condition: str
    sessions: Range
    interval_weeks: Range
    maintenance_interval_weeks: Range | None
    time_to_results_weeks: Range | None
    duration_of_effect: str
    sources: tuple[str, ...]
    note: str | None = None
    maintenance_known: bool = True
    mode: ProtocolMode = "clinic_course"
    # Care tags of the usual-care procedures every trial of this option for this condition gave
    # it with (PRP added to microneedling or a laser for acne scars): it was not tested alone,
    # so it is an extra to that care, not a replacement. Empty: tested alone, or not tested.
    added_to: tuple[str, ...] = ()
    # True for the schedule of care meant for advanced disease only (YAML ``severity:
    # advanced``: JAK-inhibitor tablets for widespread alopecia areata), used instead of the
    # general entry when the person's disease is advanced and that care is not ruled out.
    advanced: bool = False


PriceUnit = Literal["session", "month", "syringe"]
# Who set the price: a clinic's own page, a consumer or comparison site, a newspaper or trade
# report, or a retail (pharmacy) price.
PriceKind = Literal["clinic", "consumer", "press", "retail"]


@dataclass(frozen=True, slots=True)
class PriceRange:
    """Price per session, per month (continuous home care) or per syringe (fillers) in one
    currency, with its source, who quoted it and when (``as_of``, ``YYYY`` or ``YYYY-MM``)."""

    treatment: TreatmentId
    currency: str
    low: float
    high: float
    unit: PriceUnit
    sources: tuple[str, ...]
    note: str | None = None
    # Added by K: conditions this price list is for; empty = the default for every condition.
    conditions: tuple[str, ...] = ()
    kind: PriceKind | None = None
    as_of: str | None = None
    # For ``unit == "syringe"``: syringes used per session.
    per_session: Range | None = None
    # True for the price of care meant for advanced disease only (YAML ``severity: advanced``),
    # as :attr:`Protocol.advanced`.
    advanced: bool = False
    # A price that holds only in this country (a medicine's list price there, ISO alpha-2):
    # elsewhere what the option costs is not known (shown converted, scored as unknown).
    only_in: str | None = None


@dataclass(frozen=True, slots=True)
class ExchangeRate:
    """One published exchange rate: ``rate`` units of ``currency`` per 1 unit of ``base`` on
    ``as_of`` (``YYYY-MM-DD``), from ``source``; ``verification`` quotes the number as read."""

    currency: str
    base: str
    rate: float
    as_of: str
    source: str
    verification: str


@dataclass(frozen=True, slots=True)
class StudyArm:
    """Per-arm summary numbers as published (any may be missing)."""

    n: int | None = None
    mean: float | None = None
    sd: float | None = None
    events: int | None = None


@dataclass(frozen=True, slots=True)
class StudyOutcome:
    """One outcome of one study in the study table (a row of ``studies.csv``).

    ``kind == "pooled_published"`` rows are results of published meta-analyses, stored as
    cited and never pooled again with primary studies.
    """

    id: str
    study: str
    year: int | None
    condition: str
    treatment: TreatmentId
    comparator: str
    design: str
    kind: Literal["primary", "pooled_published"]
    outcome: str
    unit: str
    followup_weeks: float | None
    treated: StudyArm
    control: StudyArm
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    risk_of_bias: Literal["low", "some_concerns", "high", "unclear"]
    sources: tuple[str, ...]
    published_certainty: Certainty | None = None  # GRADE rating printed by a published review
    note: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CitedText:
    """A statement with the bibliography ids that support it. ``conditions``: the contract
    conditions the statement is about (empty: all), so that a card never shows a sentence about
    another condition (e.g. tretinoin for wrinkles on an acne-scar card)."""

    text: str
    sources: tuple[str, ...]
    conditions: tuple[str, ...] = ()
    # the sexes it is said to (empty: everyone), e.g. "tell your doctor if you may become
    # pregnant" is not said to a man (only where the text is chosen per person)
    sexes: tuple[str, ...] = ()

    def applies_to(self, condition: str) -> bool:
        return not self.conditions or condition in self.conditions

    def said_to(self, sex: str | None) -> bool:
        return sex is None or not self.sexes or sex in self.sexes


@dataclass(frozen=True, slots=True)
class ExosomeSource:
    """One kind of exosome product by origin (human stem-cell derived, plant, animal, ...)."""

    id: str
    name: str
    known: tuple[CitedText, ...]
    unknown: tuple[CitedText, ...]


@dataclass(frozen=True, slots=True)
class Treatment:
    """An option the aid compares. ``steps`` describe how it is done, in order."""

    id: TreatmentId
    name: str
    summary: str
    mechanism: CitedText
    material: CitedText  # what it is made from
    autologous: bool  # uses only the person's own material
    blood_draw: bool
    injections: bool
    steps: tuple[CitedText, ...]
    side_effects_common: tuple[CitedText, ...]
    side_effects_serious: tuple[CitedText, ...]
    variants: tuple[ExosomeSource, ...] = ()
    sources: tuple[str, ...] = ()
    uncertainties: tuple[CitedText, ...] = ()  # what is not known (added by K)
    benefits: tuple[CitedText, ...] = ()  # what the evidence shows it can do (added by K)
    # Serious harms reported and long-term safety not established: why, with sources. Ranking
    # lowers such an option's fit (decide.ranking.SAFETY_SIGNAL_PENALTY).
    safety_signal: CitedText | None = None


@dataclass(frozen=True, slots=True)
class Condition:
    """One of the contract's ten conditions, with its natural course and first-line care."""

    id: str
    concern: Concern
    name: str
    plain_description: str
    natural_course: CitedText
    conventional_care: CitedText
    treatments: tuple[TreatmentId, ...]  # options that apply to this condition
    # Added by K: harms of the condition's conventional care, in the same detail as the others.
    conventional_side_effects_common: tuple[CitedText, ...] = ()
    conventional_side_effects_serious: tuple[CitedText, ...] = ()
    scales: tuple[str, ...] = ()  # grading scales used for this condition (norwood, ...)
    # What everyone with this condition should have checked before any treatment (a dark spot
    # that may be melanoma); shown as the notice ``check_first``.
    check_first: CitedText | None = None


@dataclass(frozen=True, slots=True)
class CareComponent:
    """One part of a condition's usual first care (a medicine, device, procedure or work-up)."""

    id: str
    name: str
    care: tuple[str, ...]  # CARE_TAGS
    role: CareRole
    schedule: CareSchedule
    text: str
    sources: tuple[str, ...]
    warnings: tuple[CitedText, ...] = ()  # e.g. boxed warnings, pregnancy warnings
    sexes: tuple[str, ...] = ()  # offered only to these sexes (e.g. finasteride: male); empty: all
    # What this part costs when the condition's price list does not include it (shown to the
    # people it is offered to, so a total never silently leaves it out).
    cost_note: CitedText | None = None
    # What this part cannot do for severe disease, said when it is all that is left of usual
    # care for someone whose parts for severe disease are left out (e.g. steroid injections
    # are meant for small patches).
    limits: CitedText | None = None

    def applies(self, severity: str, sex: str | None = None) -> bool:
        """True when this part is offered at ``severity`` (severe/advanced parts: advanced) to a
        person of ``sex`` (None: any)."""
        if sex is not None and self.sexes and sex not in self.sexes:
            return False
        return self.role in ("first_line", "adjunct") or severity == "advanced"


@dataclass(frozen=True, slots=True)
class FirstLineCare:
    """What usual first care for one condition consists of."""

    condition: str
    components: tuple[CareComponent, ...]

    def for_severity(self, severity: str, sex: str | None = None) -> tuple[CareComponent, ...]:
        """The parts offered to a person at ``severity`` (and of ``sex``, when given)."""
        return tuple(c for c in self.components if c.applies(severity, sex))

    def tags(self, severity: str, sex: str | None = None) -> frozenset[str]:
        """Every care tag of the parts offered at ``severity`` (and to ``sex``)."""
        return frozenset(t for c in self.for_severity(severity, sex) for t in c.care)

    def part_warnings(
        self, severity: str | None = None, sex: str | None = None
    ) -> tuple[CitedText, ...]:
        """The parts' label warnings, each led by the part's name: of every part, or with
        ``severity`` only of the parts offered to that person."""
        parts = self.components if severity is None else self.for_severity(severity, sex)
        return tuple(
            CitedText(f"{c.name}: {w.text}", w.sources)
            for c in parts
            for w in c.warnings
            if w.said_to(sex)
        )


ContraindicationLevel = Literal["contraindicated", "caution", "defer"]


@dataclass(frozen=True, slots=True)
class PartNote:
    """Sentences of a care-specific rule about some of its care tags only, with their own
    sources: shown only to people whose usual care has a part with one of ``care``."""

    care: tuple[str, ...]
    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Contraindication:
    """A screening rule: when the intake's ``health.<code>`` flag is true, each treatment in
    ``treatments`` gets ``level``. ``come_back`` (required for ``defer``) says when to return."""

    code: str
    level: ContraindicationLevel
    treatments: tuple[TreatmentId, ...]
    text: str
    sources: tuple[str, ...]
    come_back: str | None = None
    # Added by K: conditions the rule is limited to; empty = every condition.
    conditions: tuple[str, ...] = ()
    # For ``conventional``: the care tags (groups expanded) the rule is about; the rule applies
    # to conventional care only where the person's usual care includes one of them. Empty:
    # conventional care in general (or the rule does not name conventional care).
    care: tuple[str, ...] = ()
    # Optional: the rule applies only to people of these sexes / from this age / up to this age
    # (e.g. PSA testing with finasteride in men over 50; fillers under 22).
    sexes: tuple[str, ...] = ()
    min_age: int | None = None
    max_age: int | None = None
    # For a care-specific rule: sentences about some of its care tags (``text`` is then the
    # lead every person reads), so that nobody is told about medicines they are not offered.
    about: tuple[PartNote, ...] = ()
    # For a care-specific rule whose lead only says what the parts it names are (e.g. that they
    # use needles): the parts' own sources, cited with every reason it gives, support it, so it
    # cites no example from another condition (``sources`` may then be empty).
    lead_cited_by_parts: bool = False

    def applies_to(self, condition: str) -> bool:
        """True when the rule applies to a person with ``condition``."""
        return not self.conditions or condition in self.conditions

    def said_about(self, tags: Collection[str] | None = None) -> tuple[str, tuple[str, ...]]:
        """The rule's text and sources for a person whose usual care has the care ``tags``:
        the lead, then the notes about those tags (every note when ``tags`` is None)."""
        notes = [n for n in self.about if tags is None or not set(n.care).isdisjoint(tags)]
        text = " ".join((self.text, *(n.text for n in notes)))
        sources = tuple(dict.fromkeys((*self.sources, *(s for n in notes for s in n.sources))))
        return text, sources


@dataclass(frozen=True, slots=True)
class RegulatoryStatus:
    """What a regulator allows for a treatment in one jurisdiction (ISO 3166-1 alpha-2, "EU",
    or "*" for the fallback that tells people to check local rules), for every condition or, when
    ``conditions`` is not empty, only for those (what usual care's medicines and devices are
    approved for differs from one condition to another)."""

    treatment: TreatmentId
    jurisdiction: str
    status: str  # short label, e.g. "not_approved", "off_label", "licensed_medicines"
    text: str
    sources: tuple[str, ...]
    note: str | None = None  # e.g. what we could not verify (added by K)
    conditions: tuple[str, ...] = ()  # empty: every condition


@dataclass(frozen=True, slots=True)
class Claim:
    """A statement made by a source about a treatment on a topic, kept as a claim.

    ``value`` is the numeric range claimed (in ``unit``) where there is one, so that
    disagreements between sources can be found and shown side by side.
    """

    id: str
    treatment: TreatmentId
    topic: str  # e.g. "time_to_results", "sessions", "price", "duration", "efficacy", "safety"
    text: str
    sources: tuple[str, ...]
    value: Range | None = None
    unit: str | None = None
    note: str | None = None  # our comment on the claim, e.g. what the evidence says (added by K)
    concern: Concern | None = None  # "hair" or "skin" when the claim is about one; None = both
    # The conditions a published finding was studied in, when narrower than its concern (the
    # density and schedule findings of pattern hair loss trials are not shown for shedding or
    # patchy hair loss); empty = every condition of the concern.
    conditions: tuple[str, ...] = ()
    # True when the claim's number is our own arithmetic from the cited figures (the note says
    # how): it is then labelled as our calculation, never as a published finding.
    derived: bool = False
    # True when the evidence says the opposite of the claim (the note says what and cites it):
    # such a claim conflicts with the others on its topic even without numbers.
    contradicted: bool = False


@dataclass(frozen=True, slots=True)
class GridRow:
    """A row of the Option Grid: a question people ask, answered per option."""

    id: str
    question: str
    help: str = ""  # what the row answers, in plain words (added by K)
    conditions: tuple[str, ...] = ()  # conditions it applies to; empty = every condition


# --- outcomes people care about (summary-of-findings table, issue 9) -----------------------

OutcomeKey = Literal["improvement", "measure", "side_effects", "serious_harms", "lasting"]
# The five outcomes of the summary-of-findings table, in the order the table shows them.
OUTCOME_KEYS: tuple[OutcomeKey, ...] = (
    "improvement",
    "measure",
    "side_effects",
    "serious_harms",
    "lasting",
)
OUTCOME_LABELS: dict[str, str] = {
    "improvement": "Visible improvement",
    "measure": "Hair count or the condition's measure",
    "side_effects": "Common side effects",
    "serious_harms": "Serious harms",
    "lasting": "How long it lasts",
}


@dataclass(frozen=True, slots=True)
class Per100:
    """A published proportion as whole people out of 100: ``treated`` of 100 people on the
    option (for "no new treatment": in untreated or placebo groups) and ``control`` of 100 on
    ``comparator`` (None when the source has no comparison group), after ``weeks``."""

    treated: int
    control: int | None = None
    comparator: str | None = None
    weeks: int | None = None


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    """One cell of the summary-of-findings table as written in ``outcomes.yaml``.

    ``certainty`` None means nothing was measured (the text says so). ``sexes`` and
    ``severities`` limit the row to those people (e.g. finasteride numbers: men only);
    ``verification`` records the words and numbers read on the cited page.
    """

    condition: str
    treatment: TreatmentId
    outcome: OutcomeKey
    text: str
    certainty: Certainty | None
    sources: tuple[str, ...]
    verification: str
    per_100: Per100 | None = None
    sexes: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()

    def applies(self, sex: str | None, severity: str | None) -> bool:
        """True when the row is about a person of ``sex`` with ``severity`` (None: any)."""
        if sex is not None and self.sexes and sex not in self.sexes:
            return False
        return severity is None or not self.severities or severity in self.severities
