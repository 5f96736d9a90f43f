"""The assessment as a typed result (CONTRACT §2, ``regenaid.assessment/1``).

``Assessment.model_dump(mode="json")`` is the contract's JSON. The contract's keys come first
in each option (treatment, eligibility, reasons, score, rank, why, certainty, plan, cost);
the extra keys (allowed by the contract) carry what a fair decision aid must also show: the
option's name, regulatory status where the person lives, the evidence summary with the
reasons for its certainty, benefits and harms in equal detail, and claims with disagreements.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from regenaid.knowledge.model import Certainty, Eligibility, TreatmentId

ASSESSMENT_CONTRACT: Literal["regenaid.assessment/1"] = "regenaid.assessment/1"


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReasonOut(_Out):
    """Why an option has its eligibility; ``come_back`` says when to return (deferrals)."""

    code: str
    text: str
    sources: list[str]
    level: Eligibility = "eligible"
    come_back: str | None = None


class Notice(_Out):
    """Something the person should know about the whole assessment."""

    code: str
    text: str
    sources: list[str] = []


class CitedOut(_Out):
    """A statement with its bibliography ids."""

    text: str
    sources: list[str]


class RangeOut(_Out):
    low: float
    high: float


class ClaimOut(_Out):
    """A claim made by a source, labelled with who makes it; never shown as a fact."""

    id: str
    topic: str
    label: str  # "Clinic claim", "Industry claim", "Published finding", "Claim",
    # "Our calculation from published figures" (a number we derived; never a published finding)
    marketing: bool
    text: str
    sources: list[str]
    value: RangeOut | None = None
    unit: str | None = None
    note: str | None = None


class DisagreementOut(_Out):
    """Sources that do not agree on a topic. ``claim_ids`` point into the option's ``claims``
    (each shown there in full, with its sources), so that no claim is sent twice."""

    topic: str
    text: str
    claim_ids: list[str]


class RegulatoryOut(_Out):
    jurisdiction: str
    status: str
    text: str
    sources: list[str]
    note: str | None = None


class EvidenceOut(_Out):
    """The evidence profile's plain summary, certainty and the GRADE reasons for it."""

    certainty: Certainty
    certainty_reasons: list[str]
    summary: str
    sources: list[str]
    pooled: dict[str, object] | None = None


class Per100Out(_Out):
    """A published proportion as people out of 100 (see ``knowledge.model.Per100``)."""

    treated: int
    control: int | None = None
    comparator: str | None = None
    weeks: int | None = None


class OutcomeOut(_Out):
    """One cell of the outcome table (``decide.outcomes``): ``certainty`` is None when nothing
    was measured (``status`` ``not_measured``) or the outcome does not apply."""

    outcome: str
    label: str
    text: str
    certainty: Certainty | None
    sources: list[str]
    per_100: Per100Out | None = None
    status: Literal["measured", "not_measured", "not_applicable"] = "measured"


class OptionAssessment(_Out):
    treatment: TreatmentId
    eligibility: Eligibility
    reasons: list[ReasonOut]
    score: float | None
    rank: int | None
    why: list[str]
    certainty: Certainty
    plan: dict[str, object]
    cost: dict[str, object]
    # extensions
    name: str
    come_back: list[str]
    notes: list[ReasonOut]
    expected_benefit: float
    attribute_scores: dict[str, float]
    regulatory: RegulatoryOut
    evidence: EvidenceOut
    benefits: list[CitedOut]
    harms: list[CitedOut]
    unknowns: list[CitedOut]  # what is not known about this option
    claims: list[ClaimOut]
    disagreements: list[DisagreementOut]
    # The outcome table: improvement, measure, side effects, serious harms, how long it lasts.
    outcomes: list[OutcomeOut] = []


class Assessment(_Out):
    """CONTRACT §2. ``recommended`` is the rank-1 option, or None when nothing may be offered."""

    contract: Literal["regenaid.assessment/1"] = ASSESSMENT_CONTRACT
    options: list[OptionAssessment]
    recommended: TreatmentId | None
    notices: list[Notice]
    # extensions
    concern: str
    condition: str
    condition_name: str
    severity: str
    jurisdiction: str | None
    horizon_months: int
    priorities: dict[str, int]
    # Which priorities the person rated (0 included); the others did not count (CONTRACT §1).
    priorities_rated: list[str] = []
