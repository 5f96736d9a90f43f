"""Request and response bodies of the clinic's JSON API (``/api/v1/clinic``).

Requests are strict pydantic models (unknown keys refused, no "1" for 1 or "yes" for true;
dates and times as ISO 8601 text, times with their zone); the clinic's own rules run after
them in :mod:`regenaid.clinic` and name the field the same way. Responses are mostly the
clinic's records themselves (frozen dataclasses of :mod:`regenaid.clinic`); the models here
cover what is not one record: a staff account without its secrets, the signed-in member, a
patient's chart, a course with its sessions, a recall list and the audit trail.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from regenaid.clinic.access import Role
from regenaid.clinic.adverse_events import ActionTaken, Outcome, SeriousnessCriterion
from regenaid.clinic.courses import Course, CourseSession
from regenaid.clinic.exosome_lots import (
    ExosomeLot,
    ExosomeSourceKind,
    MarkerResult,
    ParticleMethod,
    ProductForm,
    QuantityUnit,
    Route,
    SafetyTestResult,
)
from regenaid.clinic.patients import (
    AttachedResult,
    Consent,
    HealthAnswers,
    Patient,
    Procedure,
    Sex,
)
from regenaid.clinic.prp_record import (
    Activation,
    Anticoagulant,
    Brake,
    InjectionTechnique,
    SystemType,
)

T = TypeVar("T")

ID_PATTERN = r"^[A-Za-z0-9_-]{22}$"
RecordId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
"""A record id (22 URL-safe characters, :func:`regenaid.clinic.ids.new_id`)."""
Text = Annotated[str, StringConstraints(max_length=200)]
Note = Annotated[str, StringConstraints(max_length=1000)]
Statement = Annotated[str, StringConstraints(max_length=2000)]
Day = Annotated[date, Field(strict=False)]


def _in_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range once taken to UTC") from None


Moment = Annotated[AwareDatetime, Field(strict=False), AfterValidator(_in_utc)]
"""A date and time with its zone (ISO 8601), kept in UTC."""
Amount = Annotated[Decimal, Field(strict=False, gt=0, max_digits=12, decimal_places=3)]
"""A quantity of product: as the store keeps it, at most 9 digits before the point, 3 after."""
Count = Annotated[float, Field(ge=0)]


# Enumerations arrive as their text values (strict mode would want enum instances).
RoleName = Annotated[Role, Field(strict=False)]
BrakeName = Annotated[Brake, Field(strict=False)]
AnticoagulantName = Annotated[Anticoagulant, Field(strict=False)]
SystemTypeName = Annotated[SystemType, Field(strict=False)]
ActivationName = Annotated[Activation, Field(strict=False)]
TechniqueName = Annotated[InjectionTechnique, Field(strict=False)]


class Body(BaseModel):
    """A request body: unknown keys and loosely typed values are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Items(BaseModel, Generic[T]):
    """A list answer (an object, so that it can grow fields such as paging)."""

    items: list[T]


# --- errors ---------------------------------------------------------------------------------


class Refusal(BaseModel):
    """A well-formed request a rule refuses: ``code`` is stable for programs, ``reason`` is
    for people, ``field`` names the input the rule is about (when there is one)."""

    code: str
    reason: str
    field: str | None


class NotSignedInDetail(BaseModel):
    loc: list[str]
    msg: str
    type: Literal["not_signed_in"]


class NotSignedInBody(BaseModel):
    """The 401 body when the staff session cookie is missing, unknown or expired."""

    detail: list[NotSignedInDetail]


class Problem(BaseModel):
    """A 403 (role not allowed, or the ``X-CSRF-Token`` header missing or wrong: ``csrf``)
    or a 404 (no such record in this clinic)."""

    detail: str


# --- signing in -----------------------------------------------------------------------------


class SignInBody(Body):
    email: Annotated[str, StringConstraints(min_length=1, max_length=320)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class TotpEnrolment(BaseModel):
    """A fresh authenticator key for an account that must enrol one (every admin at first
    sign-in): show ``uri`` as a QR code, then send a code with ``new_secret`` = ``secret``."""

    secret: str
    uri: str


class SignInAnswer(BaseModel):
    """The session started. With ``second_factor_needed`` nothing else is reachable until
    ``POST /session/second-factor`` (with ``totp_enrolment``: the key to enrol)."""

    second_factor_needed: bool
    csrf_token: str
    totp_enrolment: TotpEnrolment | None


class SecondFactorBody(Body):
    code: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    new_secret: Annotated[str, StringConstraints(pattern=r"^[A-Z2-7]{16,128}$")] | None = None


class Me(BaseModel):
    """The signed-in staff member, their clinic, and what their role may do."""

    staff_id: str
    display_name: str
    email: str
    role: Role
    clinic_id: str
    clinic_name: str
    clinic_jurisdiction: str | None
    permissions: list[str]
    totp_enrolled: bool
    csrf_token: str


# --- staff ----------------------------------------------------------------------------------


class StaffBody(Body):
    email: Annotated[str, StringConstraints(min_length=1, max_length=254)]
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    role: RoleName
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class StaffMember(BaseModel):
    """A staff account as the API shows it (never its password hash or TOTP key)."""

    id: str
    email: str
    display_name: str
    role: Role
    active: bool
    totp_enrolled: bool
    created_at: datetime


# --- patients -------------------------------------------------------------------------------

Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Phone = Annotated[str, StringConstraints(max_length=30)]
Email = Annotated[str, StringConstraints(max_length=254)]


class PatientBody(Body):
    given_name: Name
    family_name: Name
    birth_date: Day
    sex: Sex
    phone: Phone | None = None
    email: Email | None = None


class PatientChanges(Body):
    """Only the fields sent are changed; ``phone`` and ``email`` may be set to null. (The
    other fields are optional but not nullable: their ``None`` default only means "not
    sent", and an explicit null is refused.)"""

    given_name: Name = Field(default=None)  # type: ignore[assignment]
    family_name: Name = Field(default=None)  # type: ignore[assignment]
    birth_date: Day = Field(default=None)  # type: ignore[assignment]
    sex: Sex = Field(default=None)  # type: ignore[arg-type]
    phone: Phone | None = None
    email: Email | None = None


class AttachResultBody(Body):
    """The private link's secret of a result the patient saved in the decision aid (the part
    after ``/r/``); the link itself is not stored."""

    token: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{43}$")]


class PatientChart(BaseModel):
    """One patient as the signed-in role may see them: the clinical parts are null for a role
    without clinical access; the sessions (the schedule, by course id) are there for all."""

    patient: Patient
    health: HealthAnswers | None
    results: list[AttachedResult] | None
    consents: list[Consent] | None
    courses: list[Course] | None
    sessions: dict[str, list[CourseSession]]


# --- consent --------------------------------------------------------------------------------


class ConsentFormBody(Body):
    procedure: Procedure
    title: Name
    text: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


class ConsentBody(Body):
    form_id: RecordId


class WithdrawalBody(Body):
    note: Annotated[str, StringConstraints(max_length=500)] = ""


# --- courses and sessions -------------------------------------------------------------------


class CourseBody(Body):
    condition: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    treatment: Literal["prp", "exosome", "combination"]
    start: Day
    horizon_months: Annotated[int, Field(ge=1, le=240)]  # regenaid.plan plans up to 240 months
    severity: Literal["mild", "moderate", "advanced"] | None = None
    attached_result_id: RecordId | None = None


class CourseWithSessions(BaseModel):
    """A course and its sessions; ``course`` (condition, option, answers) is null for a role
    without clinical access, which sees the schedule only."""

    course: Course | None
    sessions: list[CourseSession]


class SessionDoneBody(Body):
    on: Day
    note: Note | None = None


class SessionMissedBody(Body):
    note: Note | None = None


class SessionMovedBody(Body):
    to: Day
    note: Note | None = None


# --- PRP ------------------------------------------------------------------------------------


class SpinBody(Body):
    """One centrifugation step: ``rpm`` or ``rcf_g``, exactly one."""

    rpm: Annotated[float, Field(gt=0)] | None = None
    rcf_g: Annotated[float, Field(gt=0)] | None = None
    minutes: Annotated[float, Field(gt=0)]
    temperature_c: float | None = None
    brake: BrakeName = Brake.UNKNOWN


class PrpSessionBody(Body):
    """A PRP preparation recorded at the session in the path (units as in
    :class:`regenaid.clinic.prp.PrpPreparation`), the day it was given, and why it left the
    clinic's protocol when it did (``deviation_note``)."""

    on: Day
    deviation_note: Note | None = None
    note: Note | None = None
    protocol_id: RecordId | None = None
    drawn_at: Moment
    whole_blood_volume_ml: Count | None = None
    anticoagulant: AnticoagulantName | None = None
    anticoagulant_volume_ml: Count | None = None
    kit_brand: Text | None = None
    kit_lot: Text | None = None
    system_type: SystemTypeName | None = None
    centrifuge_model: Text | None = None
    rotor_radius_cm: Count | None = None
    spins: Annotated[list[SpinBody], Field(max_length=4)] = []
    baseline_platelets_k_per_ul: Count | None = None
    baseline_leukocytes_k_per_ul: Count | None = None
    baseline_neutrophil_percent: Count | None = None
    baseline_haematocrit_percent: Count | None = None
    analyser: Text | None = None
    prp_platelets_k_per_ul: Count | None = None
    prp_leukocytes_k_per_ul: Count | None = None
    prp_neutrophil_percent: Count | None = None
    prp_red_cells_m_per_ul: Count | None = None
    final_volume_ml: Count | None = None
    claimed_concentration_factor: Count | None = None
    activation: ActivationName | None = None
    activation_ratio: Count | None = None
    activation_detail: Text | None = None
    ready_at: Moment | None = None
    injected_at: Moment | None = None
    injection_technique: TechniqueName | None = None
    injection_depth_mm: Count | None = None
    needle_gauge: int | None = None
    treated_area_cm2: Count | None = None
    injected_volume_ml: Count | None = None


class RangeBody(Body):
    """An inclusive range in the unit of the field it bounds."""

    low: Count
    high: Count


class SpinLimitsBody(Body):
    rcf_g: RangeBody
    minutes: RangeBody


class PrpProtocolBody(Body):
    name: Name
    spins: Annotated[list[SpinLimitsBody], Field(min_length=1, max_length=4)]
    whole_blood_volume_ml: RangeBody | None = None
    final_volume_ml: RangeBody | None = None
    concentration_factor: RangeBody | None = None


# --- exosome lots ---------------------------------------------------------------------------


class ExosomeSessionBody(Body):
    """A use of a lot at the session in the path. A route through the skin for a product
    labelled for the surface only needs ``override_reason`` (kept in the audit trail)."""

    lot_id: RecordId
    quantity: Amount
    route: Route
    on: Day
    override_reason: Note | None = None
    note: Note | None = None


Jurisdiction = Annotated[str, StringConstraints(min_length=1, max_length=3)]


class LotBody(Body):
    """A lot received into stock, as typed from its certificate of analysis (MISEV fields).
    ``jurisdictions``: where the regulatory status is wanted (default: the clinic's own)."""

    product_name: Text
    manufacturer: Text
    manufacturer_country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]
    lot_number: Text
    expiry_date: Day
    received_date: Day
    quantity_unit: QuantityUnit
    quantity_received: Amount
    source: ExosomeSourceKind
    maker_term: Text
    form: ProductForm
    labelled_routes: Annotated[list[Route], Field(min_length=1)]
    catalogue_number: Text | None = None
    manufacture_date: Day | None = None
    source_detail: Text | None = None
    donor_eligibility: Statement | None = None
    separation_method: Text | None = None
    particle_concentration_per_ml: Annotated[float, Field(gt=0)] | None = None
    particle_method: ParticleMethod | None = None
    size_mode_nm: Annotated[float, Field(gt=0)] | None = None
    protein_ug_per_ml: Annotated[float, Field(gt=0)] | None = None
    markers: Annotated[dict[str, MarkerResult], Field(max_length=50)] = {}
    imaging_method: Text | None = None
    sterility: SafetyTestResult = "not_reported"
    endotoxin: SafetyTestResult = "not_reported"
    mycoplasma: SafetyTestResult = "not_reported"
    storage_min_c: float | None = None
    storage_max_c: float | None = None
    coa_file: Annotated[str, StringConstraints(max_length=500)] | None = None
    jurisdictions: Annotated[list[Jurisdiction], Field(max_length=30)] = []


class RecallBody(Body):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class RecallPatient(BaseModel):
    """Who to contact about a recalled lot."""

    id: str
    given_name: str
    family_name: str
    birth_date: date
    phone: str | None
    email: str | None


class RecallLine(BaseModel):
    used_on: date
    session_id: str | None
    quantity: Decimal
    unit: QuantityUnit
    route: Route
    route_override: bool
    patient: RecallPatient


class RecallList(BaseModel):
    """Every patient and session that received the lot, oldest first."""

    lot: ExosomeLot
    items: list[RecallLine]


# --- adverse events -------------------------------------------------------------------------


class AdverseEventBody(Body):
    """An adverse event graded with CTCAE v5.0 (``term_id`` from its catalogue)."""

    patient_id: RecordId
    term_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    grade: Annotated[int, Field(ge=1, le=5)]
    onset: Moment
    outcome: Outcome
    session_id: RecordId | None = None
    product_lot_id: RecordId | None = None
    prp_preparation_id: RecordId | None = None
    term_detail: Text | None = None
    seriousness: list[SeriousnessCriterion] = []
    actions_taken: list[ActionTaken] = []
    resolved_on: Day | None = None
    description: Annotated[str, StringConstraints(max_length=4000)] | None = None


# --- audit ----------------------------------------------------------------------------------


class AuditEntryOut(BaseModel):
    seq: int
    staff_id: str | None
    action: str
    record_kind: str
    record_id: str | None
    at: datetime
    client: str
    detail: str
    prev_hash: str
    hash: str


class ChainHeadOut(BaseModel):
    chain: str
    seq: int
    hash: str


class ChainCheck(BaseModel):
    """The hash chain recomputed over the clinic's whole trail (and compared with the head
    given, if one was): ``ok`` false names the first bad sequence number and the problem."""

    ok: bool
    first_bad_seq: int | None
    problem: str | None
    entries: int
    head: ChainHeadOut | None
    summary: str


class AuditPage(BaseModel):
    """The newest entries (at most 200, newest first), how many there are in all, the staff
    names behind their ids, and the chain check."""

    items: list[AuditEntryOut]
    total: int
    staff_names: dict[str, str]
    verification: ChainCheck
