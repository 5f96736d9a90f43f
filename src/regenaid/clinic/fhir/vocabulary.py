"""The names regenaid's FHIR resources use: local code systems, extensions, identifier
systems, and the standard codes of ``data/fhir_codes.yaml`` (each with how it was checked).

Local names live under :data:`BASE` (``https://regenaid.example/fhir``): code systems under
``CodeSystem/``, extensions under ``StructureDefinition/``, staff identifiers under
``sid/staff``. ``docs/clinic-fhir.md`` lists every one and what it holds.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, fields
from importlib.resources import files
from typing import Any

import yaml

from regenaid.errors import KnowledgeError

BASE = "https://regenaid.example/fhir"
CODES_FILE = "fhir_codes.yaml"

STAFF_SYSTEM = f"{BASE}/sid/staff"
"""Staff are referred to by identifier only (``Reference.identifier``): no Practitioner."""
HEALTH_QUESTIONNAIRE = f"{BASE}/Questionnaire/health-answers"
INTAKE_QUESTIONNAIRE = f"{BASE}/Questionnaire/decision-aid-intake"
FORMAT_TAG_SYSTEM = f"{BASE}/CodeSystem/export-format"
FORMAT_TAG_CODE = "regenaid-patient-1"
"""``Bundle.meta.tag`` of an export; an import refuses a Bundle without it."""


def ext(name: str) -> str:
    """The URL of the regenaid extension ``name``."""
    return f"{BASE}/StructureDefinition/{name}"


def local(name: str) -> str:
    """The URL of the regenaid code system ``name``."""
    return f"{BASE}/CodeSystem/{name}"


# local code systems
CONDITION = local("condition")
COURSE_TREATMENT = local("course-treatment")
SESSION_KIND = local("session-kind")
CONSENT_PROCEDURE = local("consent-procedure")
DOCUMENT_TYPE = local("document-type")
PRODUCT = local("product")
PROCESSING_STEP = local("processing-step")
PRP_COUNT = local("prp-count")
OUTCOME_METHOD = local("outcome-method")
PRODUCT_FORM = local("product-form")
ROUTE = local("administration-route")
CTCAE_TERM = local("ctcae-term")
PLAN_TYPE = local("plan-type")

# what a quantity unit of a lot is in UCUM ("vial" and friends are annotations)
LOT_UNITS_UCUM: Mapping[str, str] = {
    "vial": "{vial}",
    "ampoule": "{ampoule}",
    "syringe": "{syringe}",
    "mL": "mL",
    "mg": "mg",
}

# regenaid's adverse-event outcome <-> FHIR R4B adverse-event-outcome (one to one)
AE_OUTCOMES: Mapping[str, str] = {
    "recovered": "resolved",
    "recovering": "recovering",
    "not_recovered": "ongoing",
    "recovered_with_sequelae": "resolvedWithSequelae",
    "fatal": "fatal",
    "unknown": "unknown",
}


class Ext:
    """Extension URLs (one place, so export and import cannot drift apart)."""

    RECORDED_AT = ext("recorded-at")
    RECORDED_BY = ext("recorded-by")
    INTAKE = ext("decision-aid-intake")
    ASSESSMENT = ext("decision-aid-assessment")
    CHOICE = ext("decision-aid-choice")
    CONSENT_PROCEDURE = ext("consent-procedure")
    FORM_VERSION = ext("consent-form-version")
    FORM_SHA256 = ext("consent-form-sha256")
    WITHDRAWAL = ext("consent-withdrawal")
    HORIZON = ext("course-horizon-months")
    PROTOCOL_SOURCE = ext("course-protocol-source")
    COURSE_INTAKE = ext("course-intake")
    SESSION_NUMBER = ext("session-number")
    SESSION_STATUS = ext("session-status")
    SESSION_ON = ext("session-on")
    COURSE_SESSION = ext("course-session")
    PRP_SPIN = ext("prp-spin")
    PRP_PREPARATION = ext("prp-preparation")
    PRP_RECORD = ext("prp-record")
    PRP_PROTOCOL = ext("prp-protocol")
    PROTOCOL_LIMITS = ext("prp-protocol-limits")
    EXOSOME_LOT = ext("exosome-lot")
    CERTIFICATE = ext("lot-certificate")
    OVERRIDE_REASON = ext("route-override-reason")
    GRADE = ext("ctcae-grade")
    TERM_DETAIL = ext("ctcae-term-detail")
    SERIOUSNESS = ext("seriousness-criterion")
    ACTION_TAKEN = ext("action-taken")
    RESOLVED_ON = ext("resolved-on")
    DESCRIPTION = ext("event-description")
    SUSPECT_PRP = ext("suspect-prp-preparation")
    SITE_MARKING = ext("site-marking")
    LANDMARK = ext("site-landmark")
    RATER_BLINDED = ext("rater-blinded")
    PHOTO_VIEW = ext("photo-view")
    PHOTO_SHA256 = ext("photo-sha256")
    IMAGE_WIDTH = ext("image-width")
    IMAGE_HEIGHT = ext("image-height")
    MARKETING = ext("marketing-consent")


@dataclass(frozen=True, slots=True)
class StandardCode:
    """A code of a standard code system, with how it was checked."""

    system: str
    code: str
    display: str
    verification: str  # verified | partial
    note: str

    def coding(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}


@dataclass(frozen=True, slots=True)
class ConditionCodes:
    snomed: StandardCode | None
    snomed_by_sex: Mapping[str, StandardCode]
    icd10: StandardCode | None

    def codings(self, sex: str) -> list[dict[str, str]]:
        """The standard codings for a patient of ``sex`` (SNOMED CT first)."""
        out = []
        snomed = self.snomed_by_sex.get(sex, self.snomed)
        if snomed is not None:
            out.append(snomed.coding())
        if self.icd10 is not None:
            out.append(self.icd10.coding())
        return out


@dataclass(frozen=True, slots=True)
class CountCode:
    """How one PRP count is coded: the local code always, LOINC where one exists."""

    field: str  # the PrpPreparation field
    local: str
    display: str
    unit: str  # UCUM
    loinc: StandardCode | None

    def codings(self) -> list[dict[str, str]]:
        out = [self.loinc.coding()] if self.loinc is not None else []
        out.append({"system": PRP_COUNT, "code": self.local, "display": self.display})
        return out


@dataclass(frozen=True, slots=True)
class FhirCodes:
    systems: Mapping[str, StandardCode]  # code "" : the system's own URL and its check
    conditions: Mapping[str, ConditionCodes]
    prp_counts: Mapping[str, CountCode]  # by PrpPreparation field

    def system(self, name: str) -> str:
        return self.systems[name].system

    def count_by_local(self, local_code: str) -> CountCode | None:
        return next((c for c in self.prp_counts.values() if c.local == local_code), None)


_VERIFICATIONS = ("verified", "partial")


def _code(system: str, entry: Mapping[str, Any], where: str) -> StandardCode:
    verification = str(entry.get("verification", ""))
    if verification not in _VERIFICATIONS:
        raise KnowledgeError(CODES_FILE, where, "verification", "verified or partial")
    note = " ".join(str(entry.get("note") or "").split())
    if not note:
        raise KnowledgeError(CODES_FILE, where, "note", "say how the code was checked")
    return StandardCode(system, str(entry["code"]), str(entry["display"]), verification, note)


@functools.cache
def fhir_codes() -> FhirCodes:
    """``data/fhir_codes.yaml``, read and checked once (conditions must be the knowledge
    base's, counts fields of a PRP preparation, every code verified or partial)."""
    from regenaid.clinic.prp_record import PrpPreparation
    from regenaid.knowledge import load_knowledge

    text = (files("regenaid.clinic") / "data" / CODES_FILE).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    systems = {
        name: _code(str(entry["url"]), {**entry, "code": "", "display": name}, f"systems/{name}")
        for name, entry in data["systems"].items()
    }
    snomed, icd10, loinc = (systems[n].system for n in ("snomed", "icd10", "loinc"))
    known = load_knowledge().conditions
    conditions: dict[str, ConditionCodes] = {}
    for condition, entry in data["conditions"].items():
        if condition not in known:
            raise KnowledgeError(CODES_FILE, condition, "conditions", "not a condition of the KB")
        by_sex = {
            sex: _code(snomed, item, f"{condition}/snomed_by_sex/{sex}")
            for sex, item in (entry.get("snomed_by_sex") or {}).items()
        }
        conditions[condition] = ConditionCodes(
            snomed=_code(snomed, entry["snomed"], condition) if "snomed" in entry else None,
            snomed_by_sex=by_sex,
            icd10=_code(icd10, entry["icd10"], condition) if "icd10" in entry else None,
        )
    preparation_fields = {f.name for f in fields(PrpPreparation)}
    counts: dict[str, CountCode] = {}
    for name, entry in data["prp_counts"].items():
        if name not in preparation_fields:
            raise KnowledgeError(CODES_FILE, name, "prp_counts", "not a PRP preparation field")
        counts[name] = CountCode(
            field=name,
            local=str(entry["local"]),
            display=str(entry["display"]),
            unit=str(entry["unit"]),
            loinc=_code(loinc, entry["loinc"], name) if "loinc" in entry else None,
        )
    return FhirCodes(systems=systems, conditions=conditions, prp_counts=counts)
