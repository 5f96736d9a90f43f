"""The intake (CONTRACT §1, ``regenaid.intake/1``): what a person tells the aid.

Strict on purpose: unknown keys, wrong types (no "yes" for true, no "3" for 3), out-of-range
numbers, unknown ids and a condition outside its concern are all errors. :func:`parse_intake`
turns pydantic's errors into one :class:`~regenaid.errors.InvalidInputError` that names the
field (``health.anticoagulant``, ``prior_treatments.0.response``) and, where the choice is
finite, lists what is allowed.

Clinical grading scales map to the aid's three severity levels (used only when ``severity``
is absent):

- Norwood (Hamilton-Norwood, male pattern, stages I-VII; Norwood 1975, South Med J 68:1359):
  I-II mild, III-IV moderate, V-VII advanced.
- Ludwig (female pattern, grades I-III; Ludwig 1977, Br J Dermatol 97:247):
  I mild, II moderate, III advanced.
- Sinclair (female pattern, grades 1-5; Sinclair et al. 2004, Br J Dermatol 151 suppl 68):
  1-2 mild, 3 moderate, 4-5 advanced.

The split of each scale into three bands is our own convention (the scales have no official
"mild/moderate/advanced" cut-offs); see ``docs/ranking.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from regenaid.decide.codes import (
    COUNTRY_CODE_NOTE,
    COUNTRY_CODES,
    CURRENCY_CODE_NOTE,
    CURRENCY_CODES,
)
from regenaid.errors import InvalidInputError
from regenaid.knowledge.model import CONDITIONS_BY_CONCERN
from regenaid.safe_input import load_json, load_yaml

Concern = Literal["hair", "skin"]
Sex = Literal["female", "male", "other"]
Severity = Literal["mild", "moderate", "advanced"]
ScaleName = Literal["norwood", "ludwig", "sinclair"]
PriorTreatmentId = Literal[
    "prp",
    "exosome",
    "minoxidil",
    "finasteride",
    "dutasteride",
    "microneedling",
    "laser",
    "retinoid",
    "other",
]
Response = Literal["none", "partial", "good", "unknown"]
PRIOR_TREATMENT_IDS: tuple[PriorTreatmentId, ...] = get_args(PriorTreatmentId)
RESPONSES: tuple[Response, ...] = get_args(Response)

SEVERITIES: tuple[Severity, ...] = ("mild", "moderate", "advanced")
DEFAULT_HORIZON_MONTHS = 24

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII")
SCALE_GRADES: dict[str, tuple[str, ...]] = {
    "norwood": ROMAN,
    "ludwig": ROMAN[:3],
    "sinclair": ("1", "2", "3", "4", "5"),
}
SCALE_SEVERITY: dict[str, dict[str, Severity]] = {
    "norwood": {
        "I": "mild",
        "II": "mild",
        "III": "moderate",
        "IV": "moderate",
        "V": "advanced",
        "VI": "advanced",
        "VII": "advanced",
    },
    "ludwig": {"I": "mild", "II": "moderate", "III": "advanced"},
    "sinclair": {"1": "mild", "2": "mild", "3": "moderate", "4": "advanced", "5": "advanced"},
}


def _whole_number(value: object) -> object:
    """JSON has one number type: ``36.0`` is the integer 36 (as JSON Schema says); ``36.5``
    stays an error, and so does ``"36"``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# The range goes before the validator, so that the JSON Schema keeps its minimum and maximum.
WHOLE_NUMBER = BeforeValidator(_whole_number)
Priority = Annotated[int, Field(ge=0, le=4), WHOLE_NUMBER]
ALL_CONDITIONS: tuple[str, ...] = tuple(c for cs in CONDITIONS_BY_CONCERN.values() for c in cs)

# --- JSON Schema (OpenAPI) for the rules the validators check -------------------------------
# The schema says exactly what is accepted, so a client (or a fuzzer) that follows it is never
# refused: enums for the ids and codes, and for the rules across fields a ``oneOf`` keyed by
# ``concern`` (its conditions; no scale for skin), a ``oneOf`` keyed by the scale's name (its
# grades) and an ``anyOf`` (severity, or a scale to map it from).

GRADE_SPACE = " \t\n\r"  # stripped around a grade; with ASCII letters in any case


def _grade_pattern(grades: Sequence[str]) -> str:
    """A regex for ``grades`` as :meth:`Scale._grade_in_scale` accepts them: any case, with
    surrounding spaces, tabs and line breaks."""
    spelled = ("".join(f"[{c}{c.lower()}]" if c.isalpha() else c for c in g) for g in grades)
    return rf"^[ \t\n\r]*(?:{'|'.join(spelled)})[ \t\n\r]*$"


def _grade_schema(name: str) -> dict[str, Any]:
    text = {"type": "string", "pattern": _grade_pattern(SCALE_GRADES[name])}
    if all(g.isdigit() for g in SCALE_GRADES[name]):  # YAML's ``grade: 3`` (see Scale)
        numbers = [int(g) for g in SCALE_GRADES[name]]
        number = {"type": "integer", "minimum": min(numbers), "maximum": max(numbers)}
        return {"anyOf": [text, number]}
    return text


def _scale_json_schema(schema: dict[str, Any]) -> None:
    schema["properties"]["grade"] = {
        "anyOf": [{"type": "string"}, {"type": "integer"}],
        "title": "Grade",
        "description": "A grade of the named scale: norwood I-VII, ludwig I-III, sinclair 1-5.",
    }
    schema["oneOf"] = [
        {"properties": {"name": {"const": name}, "grade": _grade_schema(name)}}
        for name in SCALE_GRADES
    ]


def _enum(values: Sequence[str] | frozenset[str]) -> dict[str, Any]:
    return {"enum": sorted(values) if isinstance(values, frozenset) else list(values)}


INTAKE_CROSS_FIELD_SCHEMA: dict[str, Any] = {
    "oneOf": [
        {
            "properties": {
                "concern": {"const": concern},
                "condition": _enum(conditions),
                **({"scale": {"type": "null"}} if concern == "skin" else {}),
            }
        }
        for concern, conditions in CONDITIONS_BY_CONCERN.items()
    ],
    "anyOf": [
        {"required": ["severity"], "properties": {"severity": _enum(SEVERITIES)}},
        {"required": ["scale"], "properties": {"scale": {"type": "object"}}},
    ],
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Scale(_Strict):
    """A clinical grading scale and grade, e.g. ``{name: norwood, grade: "III"}``."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_scale_json_schema)

    name: ScaleName
    grade: str

    @field_validator("grade", mode="before")
    @classmethod
    def _grade_text(cls, value: object) -> object:
        # YAML reads ``grade: 3`` as an int; Sinclair grades are digits, so accept them as text.
        value = _whole_number(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("grade")
    @classmethod
    def _grade_in_scale(cls, value: str, info: ValidationInfo) -> str:
        name = info.data.get("name")
        if name is None:
            return value
        allowed = SCALE_GRADES[name]
        grade = value.strip(GRADE_SPACE).upper() if value.isascii() else value
        if grade not in allowed:
            raise PydanticCustomError(
                "grade_not_in_scale",
                "{grade} is not a {scale} grade",
                {"grade": repr(value), "scale": name, "allowed": list(allowed)},
            )
        return grade

    @property
    def severity(self) -> Severity:
        return SCALE_SEVERITY[self.name][self.grade]


class PriorTreatment(_Strict):
    """A treatment tried before and how well it worked."""

    treatment: PriorTreatmentId
    response: Response = "unknown"


class Health(_Strict):
    """Health flags used by screening; each defaults to false."""

    anticoagulant: bool = False
    antiplatelet_or_nsaid: bool = False
    cardiovascular_disease: bool = False
    bleeding_disorder: bool = False
    low_platelets: bool = False
    anemia: bool = False
    pregnant_or_breastfeeding: bool = False
    active_cancer: bool = False
    active_infection_at_site: bool = False
    systemic_infection: bool = False
    autoimmune_disease: bool = False
    immunosuppressed: bool = False
    keloid_tendency: bool = False
    allergy_to_product_components: bool = False
    needle_phobia: bool = False
    # Added to CONTRACT §1 on 2026-11-29 (optional, default false).
    systemic_corticosteroids: bool = False  # steroid tablets/injections in the last 2 weeks, or
    #   a steroid injection where the treatment would go in the last month
    isotretinoin_recent: bool = False  # isotretinoin now or in the last 6 months
    liver_disease: bool = False  # chronic liver disease or cirrhosis
    could_become_pregnant: bool = False  # could become pregnant or plans to
    unstable_heart_or_blood_pressure: bool = False  # unstable angina, recent heart attack,
    #   uncontrolled blood pressure, fainting

    def flags_on(self) -> tuple[str, ...]:
        """Names of the flags that are true, in declaration order."""
        return tuple(name for name in HEALTH_FLAGS if getattr(self, name))


HEALTH_FLAGS: tuple[str, ...] = tuple(Health.model_fields)  # (the fields, in their order)


class Priorities(_Strict):
    """How much each attribute matters: 0 = not at all .. 4 = very much.

    A priority the person did not rate does not count: it is 0, never a silent default weight
    (CONTRACT §1). Which ones were rated is kept (``rated``), so the aid can say so."""

    cost: Priority = 0
    speed: Priority = 0
    fewer_sessions: Priority = 0
    evidence: Priority = 0
    autologous: Priority = 0
    avoid_blood_draw: Priority = 0
    low_maintenance: Priority = 0

    @property
    def rated(self) -> tuple[str, ...]:
        """The priorities the person rated (any value, 0 included), in field order."""
        given = self.model_fields_set
        return tuple(name for name in PRIORITY_NAMES if name in given)

    @property
    def unrated(self) -> tuple[str, ...]:
        """The priorities the person did not rate; each counts 0."""
        given = self.model_fields_set
        return tuple(name for name in PRIORITY_NAMES if name not in given)

    def weights(self) -> dict[str, int]:
        """The weight of every priority: its rating, or 0 when it was not rated."""
        given = self.model_fields_set
        return {name: getattr(self, name) if name in given else 0 for name in PRIORITY_NAMES}


PRIORITY_NAMES: tuple[str, ...] = tuple(Priorities.model_fields)


class Budget(_Strict):
    """Money the person can spend over ``horizon_months`` (default 24)."""

    amount: float = Field(gt=0, allow_inf_nan=False)
    currency: str = Field(json_schema_extra=_enum(CURRENCY_CODES))
    horizon_months: Annotated[int, Field(ge=1, le=240), WHOLE_NUMBER] = DEFAULT_HORIZON_MONTHS

    @field_validator("currency")
    @classmethod
    def _iso_4217(cls, value: str) -> str:
        if value not in CURRENCY_CODES:
            raise PydanticCustomError(
                "currency_code",
                "{value} is not {note}",
                {"value": repr(value), "note": CURRENCY_CODE_NOTE},
            )
        return value


class Intake(_Strict):
    """CONTRACT §1. ``severity`` is filled from ``scale`` when it is absent."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "concern": "hair",
                    "condition": "androgenetic_alopecia",
                    "age": 36,
                    "sex": "male",
                    "scale": {"name": "norwood", "grade": "III"},
                    "prior_treatments": [{"treatment": "prp", "response": "none"}],
                    "health": {"anticoagulant": False},
                    "priorities": {"speed": 4, "cost": 1},
                    "budget": {"amount": 4000, "currency": "USD", "horizon_months": 24},
                    "jurisdiction": "US",
                }
            ],
            **INTAKE_CROSS_FIELD_SCHEMA,
        },
    )

    concern: Concern
    condition: str = Field(json_schema_extra=_enum(ALL_CONDITIONS))
    age: Annotated[int, Field(ge=18, le=120), WHOLE_NUMBER]
    sex: Sex
    severity: Severity | None = None
    scale: Scale | None = None
    duration_months: Annotated[int, Field(ge=0, le=1200), WHOLE_NUMBER] | None = None
    prior_treatments: list[PriorTreatment] = Field(default_factory=list)
    health: Health = Field(default_factory=Health)
    priorities: Priorities = Field(default_factory=Priorities)
    budget: Budget | None = None
    jurisdiction: Annotated[str, Field(json_schema_extra=_enum(COUNTRY_CODES))] | None = None
    _severity_mapped: bool = PrivateAttr(default=False)

    @field_validator("condition")
    @classmethod
    def _condition_in_concern(cls, value: str, info: ValidationInfo) -> str:
        concern = info.data.get("concern")
        allowed = CONDITIONS_BY_CONCERN.get(concern or "") or ALL_CONDITIONS
        if value not in allowed:
            raise PydanticCustomError(
                "condition_not_in_concern",
                "{value} is not a condition of concern {concern}",
                {"value": repr(value), "concern": repr(concern), "allowed": list(allowed)},
            )
        return value

    @field_validator("scale")
    @classmethod
    def _scale_for_hair(cls, value: Scale | None, info: ValidationInfo) -> Scale | None:
        if value is not None and info.data.get("concern") == "skin":
            raise PydanticCustomError(
                "scale_needs_hair",
                "grading scales (norwood, ludwig, sinclair) describe hair loss; concern is 'skin'",
            )
        return value

    @field_validator("jurisdiction")
    @classmethod
    def _iso_3166(cls, value: str | None) -> str | None:
        if value is not None and value not in COUNTRY_CODES:
            raise PydanticCustomError(
                "country_code",
                "{value} is not {note}",
                {"value": repr(value), "note": COUNTRY_CODE_NOTE},
            )
        return value

    @model_validator(mode="after")
    def _fill_severity_from_scale(self) -> Intake:
        if self.severity is None:
            if self.scale is None:
                raise PydanticCustomError(
                    "severity_required",
                    "severity is required unless a grading scale is given",
                    {"allowed": list(SEVERITIES)},
                )
            self.severity = self.scale.severity
            self._severity_mapped = True
        return self

    @property
    def severity_from_scale(self) -> bool:
        """True when ``severity`` was not given and was read from ``scale``."""
        return self._severity_mapped

    @property
    def resolved_severity(self) -> Severity:
        """Severity as given, or mapped from the scale (validation guarantees one)."""
        assert self.severity is not None
        return self.severity

    @property
    def horizon_months(self) -> int:
        """The planning horizon: the budget's, or 24 months."""
        return self.budget.horizon_months if self.budget else DEFAULT_HORIZON_MONTHS

    def prior_response(self, treatment: PriorTreatmentId) -> Response | None:
        """The best-known earlier response to ``treatment`` (last entry with a known response
        wins), or None when it was not tried."""
        found: Response | None = None
        for prior in self.prior_treatments:
            if prior.treatment == treatment and (found is None or prior.response != "unknown"):
                found = prior.response
        return found


# --- parsing ---------------------------------------------------------------------------------


def parse_intake(data: object) -> Intake:
    """Validate a mapping (parsed JSON or YAML) into an :class:`Intake`.

    Raises InvalidInputError naming the first field at fault, with allowed values where finite.
    """
    if not isinstance(data, Mapping):
        raise InvalidInputError(
            "intake", f"expected a mapping of fields, got {type(data).__name__}"
        )
    try:
        return Intake.model_validate(dict(data))
    except ValidationError as exc:
        raise invalid_input_from(exc) from None


def load_intake_text(text: str) -> Intake:
    """Parse YAML or JSON text (JSON is YAML 1.2, but parse it as JSON first for exactness).

    YAML uses the 1.2 core schema (``jurisdiction: NO`` is Norway, not false) without anchors,
    aliases or non-core tags; both formats refuse deep nesting and numbers over 100 characters
    (regenaid.safe_input). Problems are InvalidInputError("intake", ...).
    """
    data: Any = (
        load_json(text, "intake")
        if text.lstrip().startswith(("{", "["))
        else load_yaml(text, "intake")
    )
    return parse_intake(data)


def field_path(loc: Sequence[int | str]) -> str:
    """``("prior_treatments", 0, "response")`` -> ``"prior_treatments.0.response"``."""
    return ".".join(str(part) for part in loc) or "intake"


def invalid_input_from(exc: ValidationError) -> InvalidInputError:
    """The first pydantic error as an InvalidInputError naming the field."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = tuple(first["loc"])
    kind = first["type"]
    ctx = first.get("ctx") or {}
    if kind == "severity_required":
        loc = ("severity",)
    field = field_path(loc)
    allowed = ctx.get("allowed")
    if allowed is None:
        allowed = _allowed_values(loc, kind)
    message = _message(kind, first["msg"], first.get("input"))
    if len(errors) > 1:
        message += f" ({len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return InvalidInputError(field, message, [str(a) for a in allowed] if allowed else None)


def _message(kind: str, msg: str, value: object) -> str:
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "is required"
    if kind in {"literal_error", "enum"}:
        return f"unknown value {value!r}"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"should be a mapping of fields, got {value!r}"
    text = msg[0].lower() + msg[1:] if msg else kind
    if kind.endswith(("_type", "_parsing")) or kind.startswith(("greater", "less")):
        text += f", got {value!r}"
    return text


def _allowed_values(loc: tuple[int | str, ...], kind: str) -> list[str] | None:
    """What may stand at ``loc``: the Literal's values, or the known keys for an unknown key."""
    model: type[BaseModel] | None = Intake
    parts = list(loc)
    if kind == "extra_forbidden":
        parts = parts[:-1]
    annotation: Any = None
    for part in parts:
        if isinstance(part, int):
            continue
        if model is None or part not in model.model_fields:
            return None
        annotation = model.model_fields[part].annotation
        model = _model_in(annotation)
    if kind == "extra_forbidden":
        return list(model.model_fields) if model is not None else None
    return _literal_values(annotation)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _literal_values(annotation: Any) -> list[str] | None:
    if get_origin(annotation) is Literal:
        return [str(v) for v in get_args(annotation)]
    for arg in get_args(annotation):
        found = _literal_values(arg)
        if found:
            return found
    return None
