"""The outcomes pages in Chromium: a clinician records a baseline and two follow-ups of hair
density (a hand-corrected phototrichogram, error 7% of the count: from 150 hairs/cm², ±10.5),
sees the first follow-up judged "No measurable change" and the second "Improved", is refused
an implausible value beside its field, uploads two photos of the vertex (their EXIF location
removed), compares them side by side, records the patient's marketing consent for one, and
sees the progress chart; every page is scanned with axe-core, and the page needs no sideways
scrolling at 390 px. Screenshots land in ``test-output/screenshots/clinic-outcomes*.png``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from browser_journeys import axe_violations
from clinic_seed import clinic_with_clinician
from PIL import Image
from playwright.sync_api import Page, expect

from live_server import sqlite_server
from regenaid.clinic.patients import Patient
from regenaid.clinic.services import register_patient
from regenaid.store import make_engine, make_session_factory
from regenaid.store.clinic_uow import SqlClinicUnitOfWork

pytestmark = pytest.mark.browser

CLINICIAN_EMAIL = "dr.okafor@meadow.example"
CLINICIAN_PASSWORD = "saffron kettle harbour quietly 31"
TODAY = date.today()
VISITS = (
    ("150", TODAY - timedelta(days=180)),
    ("158", TODAY - timedelta(days=90)),
    ("175", TODAY - timedelta(days=1)),
)


@pytest.fixture(scope="module")
def outcomes_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server of its own, with its own files folder; (url, database)."""
    with sqlite_server(
        tmp_path_factory.mktemp("outcomes-server"), "outcomes-browser-test-secret"
    ) as server:
        yield server


@pytest.fixture(scope="module")
def base_url(outcomes_server: tuple[str, str]) -> str:
    """The browser fixtures of conftest.py open this module's pages on its own server."""
    return outcomes_server[0]


def clinic_with_patient(database: str) -> Patient:
    """A clinic (its admin), a clinician, and a patient registered by the clinician."""
    now = datetime.now(UTC)
    engine = make_engine(database)
    try:
        factory = make_session_factory(engine)
        actor = clinic_with_clinician(
            factory,
            clinic_name="Meadow Hair Clinic",
            admin_email="admin@meadow.example",
            admin_password="lantern orchard velvet 77 north",
            email=CLINICIAN_EMAIL,
            display_name="Dr Ngozi Okafor",
            password=CLINICIAN_PASSWORD,
            now=now,
        )
        return register_patient(
            SqlClinicUnitOfWork(factory),
            actor,
            given_name="Tomas",
            family_name="Lindqvist",
            birth_date=date(1979, 9, 2),
            sex="male",
            phone="+46 8 555 010 12",
            email=None,
        )
    finally:
        engine.dispose()


def scalp_photo(shade: int) -> bytes:
    """A JPEG as a phone makes it: with the camera's make and a GPS position in its EXIF."""
    image = Image.new("RGB", (640, 480), (shade, 120, 90))
    for x in range(0, 640, 8):  # a few dark "hairs" so the two photos differ
        for y in range(100, 380):
            image.putpixel((x + (y // 40) % 4, y), (40, 30, 20))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (59.0, 19.0, 0.0), 3: "E", 4: (18.0, 4.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"


def loaded(page: Page, selector: str) -> int:
    """How many of the images matched by ``selector`` have loaded (non-zero natural width)."""
    return int(
        page.eval_on_selector_all(
            selector, "els => els.filter(e => e.complete && e.naturalWidth > 0).length"
        )
    )


def test_outcomes_pages(page: Page, outcomes_server: tuple[str, str], screenshots: Path) -> None:
    _, database = outcomes_server
    patient = clinic_with_patient(database)

    page.goto("/clinic")
    page.fill("#f-email", CLINICIAN_EMAIL)
    page.fill("#f-password", CLINICIAN_PASSWORD)
    page.click("button:has-text('Sign in')")
    expect(page.locator("h1")).to_have_text("Schedule")
    page.goto(f"/clinic/patients/{patient.id}")
    page.click("a:has-text('Outcomes')")
    expect(page.locator("h1")).to_have_text("Outcomes: Tomas Lindqvist")
    accessible(page)

    # A baseline and two follow-ups, the same measure, site and method each time.
    for value, on in VISITS:
        page.select_option("#f-measure", "hair_density")
        page.select_option("#f-method", "phototrichogram_corrected")
        page.fill("#f-value", value)
        page.fill("#f-measured_on", on.isoformat())
        page.fill("#f-site", "vertex")
        page.select_option("#f-site_marking", "tattoo")
        page.fill("#f-landmark", "10 cm behind the glabella on the midline")
        page.click("button:has-text('Record the measurement')")
        expect(page.locator(".clinic-notice")).to_contain_text("The measurement is recorded")
    rows = page.locator("table.progress-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Baseline")
    expect(rows.nth(1)).to_contain_text("−2.5 to +18.5 hairs/cm²")
    expect(rows.nth(1).locator(".verdict")).to_have_text("No measurable change")
    expect(rows.nth(1).locator(".verdict")).to_have_class("verdict verdict-neutral")
    expect(rows.nth(2)).to_contain_text("+14.5 to +35.5 hairs/cm²")
    expect(rows.nth(2).locator(".verdict")).to_have_text("Improved")
    expect(page.locator(".method-error")).to_contain_text("7% of the baseline value")
    source = page.locator(".method-error a")  # Bokhari et al. 2022, with its link
    expect(source).to_contain_text("Efficiency of Hair Detection in Hair-to-Hair Matched")
    expect(source).to_have_attribute("href", re.compile(r"^https://karger\.com/sad/article/"))
    chart = page.locator("figure.progress-chart img")
    expect(chart).to_have_attribute(
        "alt", re.compile(r"158 hairs/cm² on .*\(no measurable change\)")
    )
    chart.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('figure.progress-chart img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    accessible(page)

    # An implausible value is refused beside its field, the rest of the form kept.
    page.select_option("#f-measure", "hair_density")
    page.select_option("#f-method", "phototrichogram_corrected")
    page.fill("#f-value", "900")
    page.fill("#f-site", "vertex")
    page.click("button:has-text('Record the measurement')")
    expect(page.locator("#f-value-err")).to_contain_text(
        "Hair density must be between 0 and 700 hairs/cm²"
    )
    expect(page.locator("#f-value")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-site")).to_have_value("vertex")
    accessible(page)

    # Two photos of the vertex; marketing use is off unless ticked.
    for shade, on in ((205, VISITS[0][1]), (190, VISITS[2][1])):
        page.goto(f"/clinic/patients/{patient.id}/outcomes")
        expect(page.locator("#f-marketing_consent")).not_to_be_checked()
        page.set_input_files(
            "#f-photo",
            files=[
                {"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": scalp_photo(shade)}
            ],
        )
        page.select_option("#f-view", "vertex")
        page.fill("#f-taken_on", on.isoformat())
        page.click("button:has-text('Add the photo')")
        expect(page.locator(".clinic-notice")).to_contain_text("without its metadata")
    strip = page.locator("ul.photo-strip img")
    expect(strip).to_have_count(2)
    expect(strip.first).to_have_attribute("alt", f"vertex view, {VISITS[0][1].isoformat()}")
    expect(page.locator("ul.photo-strip .marketing").first).to_have_text("Clinical use only")

    # Side by side: baseline and latest of the vertex by default.
    compare = page.locator("#compare .side-by-side img")
    expect(compare).to_have_count(2)
    expect(compare.nth(0)).to_have_attribute("alt", f"vertex view, {VISITS[0][1].isoformat()}")
    expect(compare.nth(1)).to_have_attribute("alt", f"vertex view, {VISITS[2][1].isoformat()}")
    page.locator("#compare").scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#compare img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    assert loaded(page, "#compare img") == 2
    accessible(page)

    # The served photo has no EXIF left.
    served = page.request.get(strip.first.get_attribute("src") or "")
    assert served.status == 200 and served.headers["cache-control"] == "no-store"
    assert b"PhoneMaker" not in served.body()
    assert not Image.open(io.BytesIO(served.body())).getexif()

    # The patient agrees to marketing use of the later photo only.
    page.locator("ul.photo-strip li").nth(1).locator("button").click()
    expect(page.locator(".clinic-notice")).to_contain_text("marketing use of this photo")
    marks = page.locator("ul.photo-strip .marketing")
    expect(marks.nth(0)).to_have_text("Clinical use only")
    expect(marks.nth(1)).to_have_text("Marketing use agreed")
    accessible(page)

    page.goto(f"/clinic/patients/{patient.id}/outcomes#measurements")
    page.wait_for_function(
        "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"
    )
    page.screenshot(path=str(screenshots / "clinic-outcomes.png"), full_page=True)

    # At phone width the page needs no sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/clinic/patients/{patient.id}/outcomes")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshots / "clinic-outcomes-phone.png"), full_page=True)
