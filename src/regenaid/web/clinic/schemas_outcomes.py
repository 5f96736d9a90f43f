"""Request and response bodies of the clinic API's outcomes (measurements, judged changes from
baseline, photos), in the style of :mod:`regenaid.web.clinic.schemas`: strict requests, the
clinic's rules naming the field after them; responses that carry each error and threshold
with its source, and a photo's metadata without where its bytes are kept."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from regenaid.clinic.outcomes import (
    Change,
    Measurement,
    MethodError,
    Noticeable,
    Verdict,
    outcome_catalogue,
)
from regenaid.clinic.photos import Photo
from regenaid.web.clinic.schemas import Body, Day, Note, RecordId

MeasureId = Annotated[str, StringConstraints(min_length=1, max_length=60)]


class MeasurementBody(Body):
    """One value of one measure for one patient, site and day. ``measure`` and ``method`` are
    ids of the outcome catalogue (a refusal lists the allowed ones); ``value`` must lie in the
    measure's plausible range. With ``course_id`` (one of the patient's courses) the course's
    condition decides the measures allowed; without it ``concern`` may say which."""

    patient_id: RecordId
    measure: MeasureId
    value: Annotated[float, Field(description="In the measure's unit (see `unit` in answers)")]
    method: MeasureId
    site: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    site_marking: Literal["tattoo", "landmark", "none"] = "none"
    landmark: Annotated[str, StringConstraints(max_length=200)] | None = None
    measured_on: Day
    rater_blinded: bool | None = Field(
        default=None, description="Required for the global photographic assessment"
    )
    course_id: RecordId | None = None
    concern: Literal["hair", "skin"] | None = None
    note: Note | None = None


class MarketingConsentBody(Body):
    """Whether the patient agreed that this one photo may be used in marketing."""

    marketing_consent: bool


class SourceOut(BaseModel):
    id: str
    title: str
    year: int
    url: str


class ErrorOut(BaseModel):
    """A method's measurement error on a measure: ``percent`` of the baseline value or
    ``amount`` in the measure's unit."""

    percent: float | None
    amount: float | None
    text: str
    sources: list[SourceOut]


class NoticeableOut(BaseModel):
    """The smallest change people notice, as a share of the baseline (where published)."""

    percent: float
    text: str
    sources: list[SourceOut]


class ChangeOut(BaseModel):
    """A later measurement's change from the baseline (the first of the same measure, site and
    method), judged against the method's error: ``low``..``high`` is the change plus or minus
    the error; ``no_measurable_change`` when it holds 0, ``error_unknown`` when the error is
    not known (then ``low``, ``high`` and ``error`` are null)."""

    measure: str
    site: str
    method: str
    unit: str
    baseline_id: str
    later_id: str
    baseline_on: date
    later_on: date
    baseline_value: float
    later_value: float
    difference: float
    percent: float | None
    low: float | None
    high: float | None
    verdict: Verdict
    noticeable: bool | None
    text: str
    error: ErrorOut | None
    noticeable_threshold: NoticeableOut | None


class PhotoOut(BaseModel):
    """A photo's metadata; its bytes are at ``url`` (the storage key is never given out)."""

    id: str
    patient_id: str
    view: str
    taken_on: date
    content_type: str
    width: int
    height: int
    byte_size: int
    sha256: str
    marketing_consent: bool
    recorded_at: datetime
    recorded_by: str
    course_id: str | None
    note: str | None
    url: str


class PatientOutcomes(BaseModel):
    """A patient's measurements (oldest first), every later value's judged change, and the
    photos' metadata."""

    patient_id: str
    measurements: list[Measurement]
    changes: list[ChangeOut]
    photos: list[PhotoOut]


def _sources(ids: tuple[str, ...]) -> list[SourceOut]:
    known = outcome_catalogue().sources
    return [
        SourceOut(id=i, title=known[i].title, year=known[i].year, url=known[i].url)
        for i in ids
        if i in known
    ]


def error_out(error: MethodError | None) -> ErrorOut | None:
    if error is None:
        return None
    return ErrorOut(
        percent=error.percent, amount=error.amount, text=error.text, sources=_sources(error.sources)
    )


def noticeable_out(noticed: Noticeable | None) -> NoticeableOut | None:
    if noticed is None:
        return None
    return NoticeableOut(
        percent=noticed.percent, text=noticed.text, sources=_sources(noticed.sources)
    )


def change_out(change: Change) -> ChangeOut:
    catalogue = outcome_catalogue()
    spec = catalogue.measures[change.measure]
    error = catalogue.methods[change.method].error_for(change.measure)
    return ChangeOut(
        measure=change.measure,
        site=change.site,
        method=change.method,
        unit=spec.unit,
        baseline_id=change.baseline.id,
        later_id=change.later.id,
        baseline_on=change.baseline.measured_on,
        later_on=change.later.measured_on,
        baseline_value=change.baseline.value,
        later_value=change.later.value,
        difference=change.difference,
        percent=change.percent,
        low=change.low,
        high=change.high,
        verdict=change.verdict,
        noticeable=change.noticeable,
        text=change.text,
        error=None if change.verdict == "error_unknown" else error_out(error),
        noticeable_threshold=noticeable_out(spec.noticeable),
    )


def photo_out(photo: Photo, prefix: str) -> PhotoOut:
    return PhotoOut(
        id=photo.id,
        patient_id=photo.patient_id,
        view=photo.view,
        taken_on=photo.taken_on,
        content_type=photo.content_type,
        width=photo.width,
        height=photo.height,
        byte_size=photo.byte_size,
        sha256=photo.sha256,
        marketing_consent=photo.marketing_consent,
        recorded_at=photo.recorded_at,
        recorded_by=photo.recorded_by,
        course_id=photo.course_id,
        note=photo.note,
        url=f"{prefix}/photos/{photo.id}",
    )
