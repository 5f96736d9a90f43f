"""Outcome measurements: plausible values only, and a change judged against the method's error.

The errors and thresholds are the published ones (Bokhari et al. 2022 for hair counts, Goodman
and Baron 2006 for the quantitative scar score, Oh et al. 2025 for the noticeable density
change); the worked examples below are computed by hand from those numbers.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from fakes import FakeUnitOfWork, MemoryDocuments
from PIL import Image

from regenaid.clinic import outcome_services
from regenaid.clinic.access import Role, StaffContext
from regenaid.clinic.audit import AuditEntry
from regenaid.clinic.outcomes import (
    Measurement,
    baselines_and_changes,
    judge_change,
    new_measurement,
    outcome_catalogue,
)
from regenaid.clinic.patients import Patient
from regenaid.clinic.photos import clean_image
from regenaid.clinic.services import Actor
from regenaid.errors import InvalidInputError

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def measured(amount: float, on: date, **changes: object) -> Measurement:
    values: dict[str, object] = {
        "patient_id": "p1",
        "measure": "hair_density",
        "value": amount,
        "method": "phototrichogram_corrected",
        "site": "vertex",
        "site_marking": "tattoo",
        "measured_on": on,
    }
    values.update(changes)
    return new_measurement(clinic_id="c1", recorded_by="s1", now=NOW, concern="hair", **values)


# --- the catalogue -----------------------------------------------------------------------------


def test_the_published_errors_are_the_ones_in_the_catalogue() -> None:
    methods = outcome_catalogue().methods
    expected = {  # Bokhari et al. 2022, abstract: 12, 7, 0.6 (phototrichogram); 9, 0.4
        "phototrichogram_automated": 12,
        "phototrichogram_corrected": 7,
        "phototrichogram_matched": 0.6,
        "trichoscopy_corrected": 9,
        "trichoscopy_matched": 0.4,
    }
    for method, percent in expected.items():
        error = methods[method].error_for("hair_density")
        assert error is not None and error.percent == percent
        assert error.sources == ("bokhari-2022-hair-matched",)
    # measured on counts only: no error is claimed for diameter or anagen share
    assert methods["phototrichogram_corrected"].error_for("shaft_diameter") is None
    assert methods["phototrichogram_automated"].error_for("anagen_percent") is None
    scar = methods["clinician_grading"].error_for("goodman_baron_score")
    assert scar is not None and scar.amount == 4  # within four points in 19 of 21


def test_every_cited_source_is_defined() -> None:
    catalogue = outcome_catalogue()
    cited = {s for m in catalogue.methods.values() for e in m.errors for s in e.sources}
    cited |= {s for m in catalogue.measures.values() for s in m.sources}
    cited |= {s for m in catalogue.measures.values() if m.noticeable for s in m.noticeable.sources}
    assert cited and cited <= set(catalogue.sources)
    for source in catalogue.sources.values():
        assert source.url.startswith("http") and source.note


# --- refusals name the field --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"value": 900}, "value"),  # no scalp has 900 hairs/cm²
        ({"value": -1}, "value"),
        ({"value": "dense"}, "value"),
        ({"value": float("nan")}, "value"),
        ({"measure": "shaft_diameter", "value": 4}, "value"),  # thinner than any hair
        ({"measure": "anagen_percent", "value": 101}, "value"),
        ({"measure": "global_photo", "value": 1.5, "method": "global_photography"}, "value"),
        ({"measure": "global_photo", "value": 2, "method": "global_photography"}, "rater_blinded"),
        ({"measure": "goodman_baron_grade", "value": 2}, "measure"),  # a skin measure
        ({"measure": "height"}, "measure"),
        ({"method": "haircheck"}, "method"),  # does not measure density
        ({"measured_on": date(2027, 1, 1)}, "measured_on"),
        ({"site_marking": "pen"}, "site_marking"),
        ({"site": " "}, "site"),
        ({"colour": "brown"}, "colour"),
    ],
)
def test_implausible_or_wrong_values_are_refused_naming_the_field(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        measured(150, date(2026, 1, 5), **changes)
    assert refused.value.field == field


def test_a_scale_of_one_condition_is_refused_for_a_course_of_another() -> None:
    with pytest.raises(InvalidInputError) as refused:
        new_measurement(
            clinic_id="c1",
            recorded_by="s1",
            now=NOW,
            concern="skin",
            condition="fine_lines_wrinkles",
            patient_id="p1",
            measure="goodman_baron_score",
            value=20,
            method="clinician_grading",
            site="face",
            measured_on=date(2026, 1, 5),
        )
    assert refused.value.field == "measure"


# --- change judged against the method's error --------------------------------------------------


def test_a_change_within_the_error_is_no_measurable_change() -> None:
    # hand-corrected phototrichogram: 7% of a 150 hairs/cm² baseline is 10.5 hairs/cm²
    base = measured(150, date(2026, 1, 5))
    change = judge_change(base, measured(160, date(2026, 7, 5)))
    assert change.difference == 10
    assert change.low == pytest.approx(-0.5) and change.high == pytest.approx(20.5)
    assert change.verdict == "no_measurable_change"
    assert change.noticeable is False
    assert change.text.startswith("No measurable change")


def test_the_same_change_counts_when_the_method_is_precise_enough() -> None:
    # hair-to-hair matched: 0.6% of 150 is 0.9 hairs/cm², so +10 is a real gain (6.7%) ...
    matched = {"method": "phototrichogram_matched"}
    base = measured(150, date(2026, 1, 5), **matched)
    change = judge_change(base, measured(160, date(2026, 7, 5), **matched))
    assert change.verdict == "improved"
    assert change.low == pytest.approx(9.1) and change.high == pytest.approx(10.9)
    # ... but below the 22.78% people notice on photographs (Oh et al. 2025)
    assert change.percent == pytest.approx(6.667, abs=1e-3) and change.noticeable is False
    bigger = judge_change(base, measured(185, date(2026, 7, 5), **matched))
    assert bigger.percent == pytest.approx(23.33, abs=0.01) and bigger.noticeable is True


def test_a_loss_beyond_the_error_is_worsened_and_automatic_counts_need_more() -> None:
    auto = {"method": "phototrichogram_automated"}  # 12%: 18 hairs/cm² on 150
    base = measured(150, date(2026, 1, 5), **auto)
    assert judge_change(base, measured(133, date(2026, 7, 5), **auto)).verdict == (
        "no_measurable_change"
    )
    assert judge_change(base, measured(131, date(2026, 7, 5), **auto)).verdict == "worsened"


def test_unknown_error_is_never_called_progress() -> None:
    # no published error for shaft diameter by any method we list
    diameter = {"measure": "shaft_diameter", "method": "trichoscopy_manual"}
    base = measured(55, date(2026, 1, 5), **diameter)
    change = judge_change(base, measured(70, date(2026, 7, 5), **diameter))
    assert change.verdict == "error_unknown" and change.low is None
    assert "cannot be called a real change" in change.text


def test_scar_score_uses_the_raters_four_points_and_lower_is_better() -> None:
    def scar(value: int, on: date) -> Measurement:
        return new_measurement(
            clinic_id="c1",
            recorded_by="s1",
            now=NOW,
            concern="skin",
            condition="acne_scars",
            patient_id="p1",
            measure="goodman_baron_score",
            value=value,
            method="clinician_grading",
            site="both cheeks",
            measured_on=on,
        )

    base = scar(30, date(2026, 1, 5))
    assert judge_change(base, scar(27, date(2026, 5, 5))).verdict == "no_measurable_change"
    assert judge_change(base, scar(25, date(2026, 5, 5))).verdict == "improved"
    assert judge_change(base, scar(35, date(2026, 5, 5))).verdict == "worsened"


def test_changes_are_from_the_first_visit_per_measure_site_and_method() -> None:
    first = measured(150, date(2026, 1, 5))
    other_site = measured(120, date(2026, 1, 5), site="frontal")
    second = measured(158, date(2026, 4, 5))
    third = measured(170, date(2026, 7, 5))
    rating = measured(
        2, date(2026, 7, 5), measure="global_photo", method="global_photography", rater_blinded=True
    )
    changes = baselines_and_changes([third, rating, other_site, second, first])
    assert [(c.baseline.id, c.later.id) for c in changes] == [
        (first.id, second.id),
        (first.id, third.id),
    ]
    assert [c.verdict for c in changes] == ["no_measurable_change", "improved"]


# --- use cases ---------------------------------------------------------------------------------


def actor(role: Role) -> Actor:
    return Actor(StaffContext(clinic_id="c1", staff_id="s1", role=role), "127.0.0.1", NOW)


def with_patient() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    patient = Patient(
        id="p1",
        clinic_id="c1",
        family_name="Doe",
        given_name="Jo",
        birth_date=date(1980, 1, 1),
        sex="female",
        phone=None,
        email=None,
        created_at=NOW,
        created_by="s1",
    )
    with uow:
        uow.records(Patient).add(patient)
        uow.commit()
    return uow


def test_reception_cannot_record_outcomes_and_nothing_is_written() -> None:
    from regenaid.clinic.errors import PermissionDeniedError

    uow = with_patient()
    with pytest.raises(PermissionDeniedError):
        outcome_services.record_measurement(
            uow,
            actor(Role.RECEPTION),
            patient_id="p1",
            measure="hair_density",
            value=150,
            method="phototrichogram_matched",
            site="vertex",
            measured_on=date(2026, 1, 5),
        )
    assert uow.all(Measurement) == []


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (120, 80), (200, 150, 120))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    gps = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    exif[0x8825] = gps  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), comment=b"patient Jo Doe")
    return out.getvalue()


def test_photo_is_stored_without_metadata_upright_and_not_for_marketing() -> None:
    raw = jpeg_with_exif()
    assert b"PhoneMaker" in raw and b"patient Jo Doe" in raw
    uow, documents = with_patient(), MemoryDocuments()
    photo = outcome_services.record_photo(
        uow,
        actor(Role.NURSE),
        documents,
        patient_id="p1",
        content=raw,
        view="vertex",
        taken_on=date(2026, 1, 5),
        concern="hair",
    )
    stored = documents.files[photo.file_key]
    assert b"PhoneMaker" not in stored and b"patient Jo Doe" not in stored
    reopened = Image.open(io.BytesIO(stored))
    assert not reopened.getexif() and "comment" not in reopened.info
    assert (reopened.width, reopened.height) == (80, 120) == (photo.width, photo.height)
    assert photo.marketing_consent is False and photo.content_type == "image/jpeg"
    assert photo.file_key.endswith(".jpg") and len(photo.file_key) == 36


@pytest.mark.parametrize(
    "content",
    [b"", b"%PDF-1.7 not an image", b"GIF89a" + b"\0" * 64, b"\x89PNG\r\n\x1a\n broken"],
)
def test_non_images_are_refused_and_nothing_is_stored(content: bytes) -> None:
    uow, documents = with_patient(), MemoryDocuments()
    with pytest.raises(InvalidInputError) as refused:
        outcome_services.record_photo(
            uow,
            actor(Role.NURSE),
            documents,
            patient_id="p1",
            content=content,
            view="vertex",
            taken_on=date(2026, 1, 5),
            concern="hair",
        )
    assert refused.value.field == "photo"
    assert documents.files == {}


def test_a_photo_view_must_be_a_standard_view_of_its_concern() -> None:
    image = clean_image(jpeg_with_exif())
    assert image.content_type == "image/jpeg"
    uow, documents = with_patient(), MemoryDocuments()
    with pytest.raises(InvalidInputError) as refused:
        outcome_services.record_photo(
            uow,
            actor(Role.NURSE),
            documents,
            patient_id="p1",
            content=jpeg_with_exif(),
            view="left_profile",  # a face view
            taken_on=date(2026, 1, 5),
            concern="hair",
        )
    assert refused.value.field == "view" and documents.files == {}


def test_marketing_consent_is_per_photo_and_audited() -> None:
    uow, documents = with_patient(), MemoryDocuments()
    nurse = actor(Role.NURSE)
    photo = outcome_services.record_photo(
        uow,
        nurse,
        documents,
        patient_id="p1",
        content=jpeg_with_exif(),
        view="vertex",
        taken_on=date(2026, 1, 5),
        concern="hair",
    )
    agreed = outcome_services.set_marketing_consent(uow, nurse, photo.id, True)
    assert agreed == replace(photo, marketing_consent=True)
    details = [e.detail for e in uow.all(AuditEntry)]
    assert details[-1] == "marketing=true"


def test_a_change_from_zero_is_not_judged_by_a_percentage_error() -> None:
    # 7% of a bald patch's 0 hairs/cm² would call any single hair "measurable"
    base = measured(0, date(2026, 1, 5))
    change = judge_change(base, measured(4, date(2026, 7, 5)))
    assert change.verdict == "error_unknown" and change.percent is None
