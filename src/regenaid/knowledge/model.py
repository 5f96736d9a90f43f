"""Domain vocabulary and the immutable records the knowledge base is made of.

Every layer speaks these words. Records are frozen dataclasses; facts carry ``sources``,
a tuple of bibliography ids that the loader has checked resolve to a :class:`Source`.
"""

from __future__ import annotations

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
# Short display names of the five options, as cost sentences and charts print them.
TREATMENT_LABELS: dict[str, str] = {
    "prp": "PRP",
    "exosome": "Exosome therapy",
    "combination": "PRP + exosome",
    "conventional": "Conventional care",
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
)


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


@dataclass(frozen=True, slots=True)
class Protocol:
    """How a treatment is given for a condition: the initial course and its maintenance.

    Intervals are ranges because sources give ranges; ``plan`` picks a planned date and shows
    the window. ``maintenance_interval_weeks`` is None when no maintenance is given.
    """

    treatment: TreatmentId
    condition: str
    sessions: Range
    interval_weeks: Range
    maintenance_interval_weeks: Range | None
    time_to_results_weeks: Range
    duration_of_effect: str
    sources: tuple[str, ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PriceRange:
    """Price per session (or per month for continuous care) in one currency, with its source."""

    treatment: TreatmentId
    currency: str
    low: float
    high: float
    unit: Literal["session", "month"]
    sources: tuple[str, ...]
    note: str | None = None
    # Added by K: conditions this price list is for; empty = the default for every condition.
    conditions: tuple[str, ...] = ()


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
    """A statement with the bibliography ids that support it."""

    text: str
    sources: tuple[str, ...]


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


ContraindicationLevel = Literal["contraindicated", "caution", "defer"]


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

    def applies_to(self, condition: str) -> bool:
        """True when the rule applies to a person with ``condition``."""
        return not self.conditions or condition in self.conditions


@dataclass(frozen=True, slots=True)
class RegulatoryStatus:
    """What a regulator allows for a treatment in one jurisdiction (ISO 3166-1 alpha-2, "EU",
    or "*" for the fallback that tells people to check local rules)."""

    treatment: TreatmentId
    jurisdiction: str
    status: str  # short label, e.g. "not_approved", "off_label", "licensed_medicines"
    text: str
    sources: tuple[str, ...]
    note: str | None = None  # e.g. what we could not verify (added by K)


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


@dataclass(frozen=True, slots=True)
class GridRow:
    """A row of the Option Grid: a question people ask, answered per option."""

    id: str
    question: str
    help: str = ""  # what the row answers, in plain words (added by K)
    conditions: tuple[str, ...] = ()  # conditions it applies to; empty = every condition
