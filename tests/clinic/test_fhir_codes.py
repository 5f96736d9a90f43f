"""The standard codes of the FHIR export: only those checked (``data/fhir_codes.yaml``, each
verified or seen in several places, with its note), used where the concept is the record's,
always beside the local code an import reads."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from regenaid.clinic.fhir import export
from regenaid.clinic.fhir.vocabulary import CONDITION, PRP_COUNT, fhir_codes
from regenaid.clinic.outcomes import outcome_catalogue
from regenaid.clinic.patients import Patient
from regenaid.knowledge import load_knowledge

SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"


def patient(sex: str) -> Patient:
    return Patient(
        id="p" * 22,
        clinic_id="c" * 22,
        given_name="A",
        family_name="B",
        birth_date=date(1980, 1, 1),
        sex=sex,  # type: ignore[arg-type]
        phone=None,
        email=None,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        created_by="s" * 22,
    )


def codings(sex: str, condition: str) -> set[tuple[str, str]]:
    resource = export.condition_resource(patient(sex), condition)
    return {(c["system"], c["code"]) for c in resource["code"]["coding"]}


def test_every_code_says_how_it_was_checked() -> None:
    codes = fhir_codes()
    found = [c for c in codes.systems.values()]
    for entry in codes.conditions.values():
        found += [c for c in (entry.snomed, entry.icd10) if c is not None]
        found += list(entry.snomed_by_sex.values())
    found += [c.loinc for c in codes.prp_counts.values() if c.loinc is not None]
    assert found
    for code in found:
        assert code.verification in ("verified", "partial") and len(code.note) > 40, code


@pytest.mark.parametrize(
    ("sex", "condition", "expected"),
    [
        ("male", "androgenetic_alopecia", {(SNOMED, "87872006"), (ICD10, "L64")}),
        ("female", "androgenetic_alopecia", {(SNOMED, "1108009"), (ICD10, "L64")}),
        ("unknown", "androgenetic_alopecia", {(ICD10, "L64")}),
        ("female", "female_pattern_hair_loss", {(SNOMED, "1108009")}),
        ("male", "alopecia_areata", {(SNOMED, "68225006"), (ICD10, "L63")}),
        ("female", "telogen_effluvium", {(ICD10, "L65.0")}),
        ("female", "acne_scars", set()),
        ("male", "pigmentation", set()),
    ],
)
def test_conditions_carry_the_checked_codes_and_their_local_code(
    sex: str, condition: str, expected: set[tuple[str, str]]
) -> None:
    assert codings(sex, condition) == expected | {(CONDITION, condition)}
    text = export.condition_resource(patient(sex), condition)["code"]["text"]
    assert text == load_knowledge().conditions[condition].name


def test_prp_counts_use_loinc_where_a_code_was_found() -> None:
    counts = fhir_codes().prp_counts
    loinc = {name: c.loinc.code for name, c in counts.items() if c.loinc is not None}
    assert loinc == {
        "baseline_platelets_k_per_ul": "777-3",
        "baseline_leukocytes_k_per_ul": "6690-2",
        "prp_platelets_k_per_ul": "74775-8",
    }
    assert counts["prp_platelets_k_per_ul"].loinc.verification == "partial"  # type: ignore[union-attr]
    assert {c.unit for c in counts.values()} == {"10*3/uL", "10*6/uL", "%"}
    for count in counts.values():
        systems = [c["system"] for c in count.codings()]
        assert systems[-1] == PRP_COUNT and set(systems) <= {LOINC, PRP_COUNT}


def test_outcome_measures_use_the_local_system_and_ucum() -> None:
    catalogue = outcome_catalogue()
    assert catalogue.code_system == "https://regenaid.example/fhir/CodeSystem/outcome-measure"
    for measure in catalogue.measures.values():
        assert measure.code.system == catalogue.code_system
        assert measure.unit and " " not in measure.unit
