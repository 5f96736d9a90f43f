"""A patient's outcomes: measurements with each later visit's change from baseline judged
against the method's measurement error, progress charts, photos (timeline by view and two
dates side by side), and the forms that record a measurement, upload a photo and set a
photo's marketing consent.

What a change means is :func:`regenaid.clinic.outcomes.judge_change`'s verdict, shown in
words: a change the method's error could explain is "No measurable change" and is styled as
neutral, never as progress; a method whose error is not known says the change cannot be
judged. Every error and threshold shown names its source (title and link).

Photos are served only through ``/clinic/photos/{id}`` (role and clinic checked, each read
audited, ``no-store``); the charts are images of their own (``.../chart/{baseline id}.svg``)
so the pages' strict CSP stays as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from regenaid.clinic.access import Action
from regenaid.clinic.courses import Course
from regenaid.clinic.errors import RecordNotFoundError
from regenaid.clinic.outcome_services import (
    Progress,
    patient_progress,
    photo_content,
    record_measurement,
    record_photo,
    set_marketing_consent,
)
from regenaid.clinic.outcomes import (
    SITE_MARKINGS,
    Change,
    Measure,
    Measurement,
    Method,
    MethodError,
    OutcomeCatalogue,
    Source,
    outcome_catalogue,
    series_of,
    unit_text,
)
from regenaid.clinic.photos import PHOTO_MAX_BYTES, Photo
from regenaid.clinic.staff import SignedIn
from regenaid.errors import InvalidInputError
from regenaid.knowledge.model import CONDITIONS_BY_CONCERN
from regenaid.reports.progress_charts import progress_chart_svg
from regenaid.web.clinic import forms
from regenaid.web.clinic.auth import clinic_uow, signed_in
from regenaid.web.clinic.pages_common import (
    NOTICES,
    ClinicPageRoute,
    actor_of,
    attempt,
    documents_of,
    done,
    kb,
    page,
    staff_form,
    uploaded,
)
from regenaid.web.templating import strings

router = APIRouter(prefix="/clinic", route_class=ClinicPageRoute, include_in_schema=False)

OUTCOME_NOTICES = {
    "measurement_saved": "The measurement is recorded. Its change from baseline is below.",
    "photo_saved": "The photo is stored without its metadata (location, camera, time).",
    "marketing_on": "The patient's agreement to marketing use of this photo is recorded.",
    "marketing_off": "This photo is now for clinical use only.",
}
VIEW_LABELS = {
    "vertex": "Vertex (crown)",
    "frontal": "Frontal hairline",
    "midline_part": "Midline part",
    "left_temporal": "Left temple",
    "right_temporal": "Right temple",
    "occipital": "Back of the head",
    "front": "Face, front",
    "left_oblique": "Face, left oblique",
    "right_oblique": "Face, right oblique",
    "left_profile": "Face, left profile",
    "right_profile": "Face, right profile",
    "close_up": "Close-up",
}
SITE_MARKING_LABELS = {
    "tattoo": "Tattoo dot",
    "landmark": "Anatomical landmark (say which)",
    "none": "Not marked",
}
VERDICT_WORDS = {
    "improved": "Improved",
    "worsened": "Worsened",
    "increased": "Increased",
    "decreased": "Decreased",
    "no_measurable_change": "No measurable change",
    "error_unknown": "Cannot be judged: the method's error on this measure is not known",
}
# how a verdict looks: only a change beyond the error in the better direction is "good"
VERDICT_STYLE = {
    "improved": "good",
    "worsened": "bad",
    "increased": "neutral",
    "decreased": "neutral",
    "no_measurable_change": "neutral",
    "error_unknown": "unknown",
}
MEASUREMENT_FIELDS = (
    "measure",
    "method",
    "value",
    "site",
    "site_marking",
    "landmark",
    "measured_on",
    "rater_blinded",
    "course_id",
    "note",
)
PHOTO_FIELDS = ("view", "taken_on", "photo_course_id", "photo_note", "marketing_consent")
PHOTO_NAMES = {"course_id": "photo_course_id", "note": "photo_note", "concern": "view"}
MINUS = "\u2212"


# --- what the page shows ----------------------------------------------------------------------


def number(value: float) -> str:
    """A value as people write it: at most two decimals, no trailing zeros, a real minus."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace("-", MINUS)


def signed(value: float) -> str:
    text = number(value)
    return text if text.startswith(MINUS) or text == "0" else "+" + text


def with_unit(text: str, unit: str) -> str:
    shown = unit_text(unit)
    return f"{text} {shown}" if shown else text


def view_of(view: str) -> str:
    """The view as the photo's alt text names it: ``vertex``, ``left temporal``."""
    return view.replace("_", " ")


def concern_of_view(view: str) -> str | None:
    """The concern whose standard views include ``view`` (the views of hair and skin differ)."""
    return next((c for c, views in outcome_catalogue().views.items() if view in views), None)


def error_of(catalogue: OutcomeCatalogue, method: str, measure: str) -> MethodError | None:
    return catalogue.methods[method].error_for(measure)


def half_width(error: MethodError | None, baseline: float) -> float | None:
    """The error's half-width around ``baseline`` (None: unknown, or a share of nothing)."""
    if error is None or (error.percent is not None and baseline == 0):
        return None
    return error.half_width(baseline)


def noticeable_level(spec: Measure, baseline: float) -> float | None:
    """Where the change from ``baseline`` reaches the smallest change people notice, in the
    better direction (None when none is published or the measure has no better direction)."""
    if spec.noticeable is None or baseline == 0 or spec.better == "none":
        return None
    share = spec.noticeable.percent / 100
    return baseline * (1 + share) if spec.better == "higher" else baseline * (1 - share)


@dataclass(frozen=True, slots=True)
class Visit:
    """One row of a series: the measurement and, after the baseline, its judged change."""

    measurement: Measurement
    change: Change | None
    value: str
    difference: str = ""
    percent: str = ""
    interval: str = ""
    verdict: str = ""
    style: str = ""
    noticeable: str = ""


@dataclass(frozen=True, slots=True)
class Series:
    anchor: str
    measure: Measure
    method: Method
    site: str
    marking: str
    error: MethodError | None
    error_text: str
    has_band: bool  # the chart shows the baseline plus or minus the error
    visits: Sequence[Visit]
    chart_url: str | None
    chart_text: str

    @property
    def title(self) -> str:
        return f"{self.measure.label}, {self.site}"


def _visit(spec: Measure, m: Measurement, change: Change | None) -> Visit:
    value = spec.describe(m.value)
    if change is None:
        return Visit(m, None, value)
    unit = spec.unit
    interval = ""
    if change.low is not None and change.high is not None:
        interval = with_unit(f"{signed(change.low)} to {signed(change.high)}", unit)
    noticed = ""
    measurable = change.verdict not in ("no_measurable_change", "error_unknown")
    if measurable and change.noticeable is not None and spec.noticeable is not None:
        threshold = f"{spec.noticeable.percent:g}%"
        noticed = (
            f"Reaches the smallest change people notice ({threshold})"
            if change.noticeable
            else f"Below the smallest change people notice ({threshold})"
        )
    return Visit(
        m,
        change,
        value,
        difference=with_unit(signed(change.difference), unit),
        percent=f"{signed(change.percent)}%" if change.percent is not None else "—",
        interval=interval or "not known",
        verdict=VERDICT_WORDS[change.verdict],
        style=VERDICT_STYLE[change.verdict],
        noticeable=noticed,
    )


def chart_text(spec: Measure, method: Method, visits: Sequence[Visit], band: str) -> str:
    """The chart in words (its image's alt text and the SVG's ``<desc>``)."""
    points = []
    for n, v in enumerate(visits):
        what = "baseline" if n == 0 else (v.verdict.split(":")[0].lower() or "")
        points.append(f"{v.value} on {v.measurement.measured_on.isoformat()} ({what})")
    return (f"{spec.label} by {method.label.lower()}: " + "; ".join(points) + ". " + band).strip()


def build_series(progress: Progress, patient_id: str) -> list[Series]:
    """The patient's measurements as series (measure, site, method), oldest first, each
    later visit of an amount with its judged change."""
    catalogue = outcome_catalogue()
    changes = {c.later.id: c for c in progress.changes}
    out: list[Series] = []
    for (measure, site, method_id), found in series_of(progress.measurements).items():
        spec = catalogue.measures[measure]
        method = catalogue.methods[method_id]
        baseline = found[0]
        error = error_of(catalogue, method_id, measure)
        visits = [
            _visit(spec, m, changes.get(m.id) if n and spec.kind == "amount" else None)
            for n, m in enumerate(found)
        ]
        half = half_width(error, baseline.value) if spec.kind == "amount" else None
        if spec.kind == "rating":
            error_text = ""
            band = ""
        elif error is None:
            error_text = (
                f"How far {method.label.lower()} can be off on {spec.label.lower()} is not "
                "known: no change it shows can be called measurable."
            )
            band = "No error band: the method's error on this measure is not known."
        elif half is None:  # a share of a baseline of 0 is 0: nothing can be told from it
            error_text = (
                f"{error.text} Error: {error.describe(unit_text(spec.unit))}, which from a "
                "baseline of 0 is not known: no change from it can be judged."
            )
            band = "No error band: a share of a baseline of 0 says nothing."
        else:
            error_text = f"{error.text} Error: {error.describe(unit_text(spec.unit))}."
            band = (
                f"The shaded band is the baseline plus or minus the method's error "
                f"({error.describe(unit_text(spec.unit))}): a value inside it is no measurable "
                "change."
            )
        marking = SITE_MARKING_LABELS.get(baseline.site_marking, baseline.site_marking)
        if baseline.landmark:
            marking += f": {baseline.landmark}"
        amount = spec.kind == "amount"
        out.append(
            Series(
                anchor=f"series-{baseline.id}",
                measure=spec,
                method=method,
                site=site,
                marking=marking,
                error=error if amount else None,
                error_text=error_text,
                has_band=half is not None,
                visits=visits,
                chart_url=(
                    f"/clinic/patients/{patient_id}/outcomes/chart/{baseline.id}.svg"
                    if amount
                    else None
                ),
                chart_text=chart_text(spec, method, visits, band) if amount else "",
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class PhotoView:
    photo: Photo
    alt: str
    url: str


def photo_view(photo: Photo) -> PhotoView:
    return PhotoView(
        photo,
        f"{view_of(photo.view)} view, {photo.taken_on.isoformat()}",
        f"/clinic/photos/{photo.id}",
    )


def photo_timeline(photos: Sequence[Photo]) -> list[tuple[str, list[PhotoView]]]:
    """Photos by view (in the catalogue's order of views), each view oldest first."""
    order = [v for views in outcome_catalogue().views.values() for v in views]
    by_view: dict[str, list[Photo]] = {}
    for p in sorted(photos, key=lambda p: (p.taken_on, p.recorded_at)):
        by_view.setdefault(p.view, []).append(p)
    return [
        (view, [photo_view(p) for p in by_view[view]])
        for view in sorted(by_view, key=lambda v: order.index(v) if v in order else len(order))
    ]


@dataclass(frozen=True, slots=True)
class SideBySide:
    view: str
    choices: Sequence[PhotoView]  # the photos of the view, oldest first
    before: PhotoView
    after: PhotoView


def side_by_side(
    timeline: Sequence[tuple[str, list[PhotoView]]], query: Mapping[str, str]
) -> SideBySide | None:
    """The two photos to compare: the asked view and photos, else baseline and latest of the
    asked view (or of the first view with two photos, or the first view)."""
    if not timeline:
        return None
    views = dict(timeline)
    asked = query.get("view", "")
    if asked not in views:
        asked = next((v for v, shots in timeline if len(shots) >= 2), timeline[0][0])
    shots = views[asked]
    by_id = {s.photo.id: s for s in shots}
    before = by_id.get(query.get("before", ""), shots[0])
    after = by_id.get(query.get("after", ""), shots[-1])
    return SideBySide(asked, shots, before, after)


def cited(series: Sequence[Series]) -> list[Source]:
    """Every source the page cites (errors, thresholds, rating scales), in order of first use."""
    sources = outcome_catalogue().sources
    ids: list[str] = []
    for s in series:
        for source in (
            *(s.error.sources if s.error else ()),
            *(s.measure.noticeable.sources if s.measure.noticeable else ()),
            *s.measure.sources,
        ):
            if source not in ids:
                ids.append(source)
    return [sources[i] for i in ids if i in sources]


def _course_label(request: Request, course: Course) -> str:
    t = strings(request)
    knowledge = kb()
    condition = knowledge.conditions.get(course.condition)
    name = condition.name if condition is not None else course.condition
    return f"{name}, {t(f'option.{course.treatment}')}, from {course.start.isoformat()}"


def _concerns_of(courses: Sequence[Course]) -> set[str]:
    return {
        concern
        for course in courses
        for concern, conditions in CONDITIONS_BY_CONCERN.items()
        if course.condition in conditions
    }


def measure_choices(courses: Sequence[Course], chosen: Course | None) -> list[tuple[str, str]]:
    """The measures the form offers: the chosen course's (its concern and condition), else
    those of the concerns of the patient's courses, else all."""
    catalogue = outcome_catalogue()
    if chosen is not None:
        concern = next(iter(_concerns_of([chosen])), "any")
        found = catalogue.measures_for(concern, chosen.condition)
    else:
        concerns = _concerns_of(courses)
        found = [
            m
            for m in catalogue.measures.values()
            if not concerns or m.concern == "any" or m.concern in concerns
        ]
    return [
        (m.id, f"{m.label} ({unit_text(m.unit)})" if unit_text(m.unit) else m.label) for m in found
    ]


def view_choices(courses: Sequence[Course], chosen: Course | None) -> list[tuple[str, str]]:
    views = outcome_catalogue().views
    concerns = _concerns_of([chosen]) if chosen is not None else _concerns_of(courses)
    return [
        (v, VIEW_LABELS.get(v, v))
        for concern, found in views.items()
        if not concerns or concern in concerns
        for v in found
    ]


def _outcomes_page(
    request: Request,
    who: SignedIn,
    patient_id: str,
    *,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    refusal_at: str | None = None,
    status: int = 200,
    values: Mapping[str, object] | None = None,
) -> Response:
    progress = patient_progress(clinic_uow(request), actor_of(request, who), patient_id)
    query = {k: v[:64] for k, v in request.query_params.items()}
    courses = sorted(progress.courses, key=lambda c: c.start)
    by_id = {c.id: c for c in courses}
    wanted = str((values or {}).get("course_id") or query.get("course") or "")
    chosen = by_id.get(wanted)
    series = build_series(progress, patient_id)
    timeline = photo_timeline(progress.photos)
    done_key = query.get("done", "")
    context: dict[str, Any] = {
        "title": f"Outcomes: {progress.patient.display_name}",
        "patient": progress.patient,
        "series": series,
        "amounts": [s for s in series if s.measure.kind == "amount"],
        "ratings": [s for s in series if s.measure.kind == "rating"],
        "sources": cited(series),
        "catalogue_sources": outcome_catalogue().sources,
        "timeline": timeline,
        "compare": side_by_side(timeline, query),
        "view_labels": VIEW_LABELS,
        "courses": [(c.id, _course_label(request, c)) for c in courses],
        "chosen_course": chosen,
        "measures": measure_choices(courses, chosen),
        "methods": [(m.id, m.label) for m in outcome_catalogue().methods.values()],
        "markings": [(m, SITE_MARKING_LABELS[m]) for m in SITE_MARKINGS],
        "views": view_choices(courses, chosen),
        "photo_max_mb": PHOTO_MAX_BYTES // (1024 * 1024),
        "errors": errors or {},
        "refusal": refusal,
        "refusal_at": refusal_at,
        "values": values or {},
        "notice": OUTCOME_NOTICES.get(done_key) or NOTICES.get(done_key),
        "number": number,
    }
    return page(request, "clinic/outcomes.html", context, status_code=status)


@router.get("/patients/{patient_id}/outcomes")
def outcomes_page(
    request: Request, patient_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    return _outcomes_page(request, who, patient_id)


# --- the progress chart -----------------------------------------------------------------------


@router.get("/patients/{patient_id}/outcomes/chart/{measurement_id}.svg")
def outcomes_chart(
    request: Request, patient_id: str, measurement_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    """The chart of the series whose baseline is ``measurement_id`` (404 for any other id)."""
    progress = patient_progress(clinic_uow(request), actor_of(request, who), patient_id)
    found = next(
        (
            s
            for s in build_series(progress, patient_id)
            if s.chart_url and s.visits[0].measurement.id == measurement_id
        ),
        None,
    )
    if found is None:
        raise RecordNotFoundError("measurement", measurement_id)
    baseline = found.visits[0].measurement.value
    half = half_width(found.error, baseline)
    svg = progress_chart_svg(
        [v.measurement.measured_on for v in found.visits],
        [v.measurement.value for v in found.visits],
        unit=unit_text(found.measure.unit),
        title=f"{found.title} ({found.method.label.lower()})",
        description=found.chart_text,
        band=(baseline - half, baseline + half) if half is not None else None,
        noticeable=noticeable_level(found.measure, baseline),
    )
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={
            # matplotlib's SVG styles itself inline: allowed in this image only
            "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
            "cache-control": "no-store",
        },
    )


# --- recording a measurement ------------------------------------------------------------------


def _labelled(err: InvalidInputError) -> InvalidInputError:
    """A refusal whose allowed values are measure or method ids, with their labels instead."""
    catalogue = outcome_catalogue()
    if err.allowed and err.field in ("measure", "method"):
        names = {k: m.label for k, m in catalogue.measures.items()}
        names.update({k: m.label for k, m in catalogue.methods.items()})
        return InvalidInputError(err.field, err.message, [names.get(a, a) for a in err.allowed])
    return err


def _measurement_values(form: FormData, patient_id: str) -> dict[str, Any]:
    blinded = forms.one_of(form, "rater_blinded", ("yes", "no"))
    return {
        "patient_id": patient_id,
        "measure": forms.raw(form, "measure").strip()[:60],
        "method": forms.raw(form, "method").strip()[:60],
        "value": forms.number(form, "value"),
        "site": forms.raw(form, "site")[:200],
        "site_marking": forms.one_of(form, "site_marking", SITE_MARKINGS) or "none",
        "landmark": forms.text(form, "landmark"),
        "measured_on": forms.required_day(form, "measured_on"),
        "rater_blinded": None if blinded is None else blinded == "yes",
        "course_id": forms.text(form, "course_id", limit=64),
        "note": forms.text(form, "note", limit=1000),
    }


@router.post("/patients/{patient_id}/measurements")
async def measurement_create(
    request: Request, patient_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    form = await staff_form(request, who)

    def work() -> Response:
        who.ctx.require(Action.RECORD_OUTCOMES)
        try:
            record_measurement(
                clinic_uow(request), actor_of(request, who), **_measurement_values(form, patient_id)
            )
        except InvalidInputError as err:
            raise _labelled(err) from err
        return done(f"/clinic/patients/{patient_id}/outcomes#measurements", "measurement_saved")

    def again(errors: dict[str, str], refusal: str | None, status: int) -> Response:
        return _outcomes_page(
            request,
            who,
            patient_id,
            errors=errors,
            refusal=refusal,
            refusal_at="record",
            status=status,
            values=forms.echo(form, MEASUREMENT_FIELDS),
        )

    return await run_in_threadpool(attempt, work, again)


# --- photos -----------------------------------------------------------------------------------


@router.post("/patients/{patient_id}/photos")
async def photo_create(
    request: Request, patient_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    form = await staff_form(request, who, max_files=1)
    try:
        who.ctx.require(Action.RECORD_OUTCOMES)
        photo = await uploaded(form, "photo", PHOTO_MAX_BYTES)
        content = photo.content if photo else None
    finally:
        await form.close()

    def work() -> Response:
        view = forms.raw(form, "view").strip()[:40]
        course_id = forms.text(form, "photo_course_id", limit=64)
        taken_on = forms.required_day(form, "taken_on")
        if content is None:
            raise InvalidInputError("photo", "choose the photo to upload")
        record_photo(
            clinic_uow(request),
            actor_of(request, who),
            documents_of(request),
            patient_id=patient_id,
            content=content,
            view=view,
            taken_on=taken_on,
            concern=None if course_id else concern_of_view(view),
            course_id=course_id,
            marketing_consent=forms.ticked(form, "marketing_consent"),
            note=forms.text(form, "photo_note", limit=500),
        )
        return done(f"/clinic/patients/{patient_id}/outcomes#photos", "photo_saved")

    def again(errors: dict[str, str], refusal: str | None, status: int) -> Response:
        if content is not None and "photo" not in errors:
            errors = {**errors, "photo": "Choose the photo again: a refused form does not keep it."}
        return _outcomes_page(
            request,
            who,
            patient_id,
            errors=errors,
            refusal=refusal,
            refusal_at="add-photo",
            status=status,
            values=forms.echo(form, PHOTO_FIELDS),
        )

    return await run_in_threadpool(attempt, work, again, PHOTO_NAMES)


@router.get("/photos/{photo_id}")
def photo_file(request: Request, photo_id: str, who: SignedIn = Depends(signed_in)) -> Response:
    """The photo's bytes, shown inline: only roles that may see outcomes, only the photo's own
    clinic (404 otherwise), each read audited; never cached, never sniffed."""
    found = photo_content(
        clinic_uow(request), actor_of(request, who), documents_of(request), photo_id
    )
    return photo_response(found.photo, found.content)


def photo_response(photo: Photo, content: bytes) -> Response:
    extension = photo.file_key.rsplit(".", 1)[-1]
    name = f"{photo.view}-{photo.taken_on.isoformat()}.{extension}"
    return Response(
        content,
        media_type=photo.content_type,
        headers={
            "content-disposition": f'inline; filename="{name}"',
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
        },
    )


@router.post("/photos/{photo_id}/marketing")
async def photo_marketing(
    request: Request, photo_id: str, who: SignedIn = Depends(signed_in)
) -> Response:
    form = await staff_form(request, who)

    def work() -> Response:
        consent = forms.raw(form, "consent") == "yes"  # anything else: off, the safe side
        photo = set_marketing_consent(
            clinic_uow(request), actor_of(request, who), photo_id, consent
        )
        return done(
            f"/clinic/patients/{photo.patient_id}/outcomes#photo-{photo.id}",
            "marketing_on" if consent else "marketing_off",
        )

    return await run_in_threadpool(work)
