"""The clinic's whole journey in Chromium, as issue 11 asks for it: an admin made with one
command (here the use case behind it) signs in and sets up the authenticator, adds a
clinician; the clinician registers a patient, attaches the result the patient saved in the
decision aid, records health answers, consent texts and consent, plans a PRP and an exosome
course, records a PRP session (derived values shown) and an exosome session from a lot
received on the way, and reports an adverse event; the admin recalls the lot (the recall list
names the patient) and sees the audit trail verified.

Every clinic page on the way is scanned with axe-core (no serious or critical violation).
Screenshots of three pages land in ``test-output/screenshots/clinic-*.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from browser_journeys import Person, axe_violations, fill_intake
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
    expect,
)

from live_server import sqlite_server
from regenaid.clinic.staff import create_clinic_with_admin
from regenaid.store import make_engine, make_session_factory
from regenaid.store.clinic_uow import SqlClinicUnitOfWork

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "admin@lakeside.example"
ADMIN_PASSWORD = "harbour violet engine softly 19"
CLINICIAN_EMAIL = "dr.ito@lakeside.example"
CLINICIAN_PASSWORD = "copper meadow lantern winter 8"
PATIENT = Person(
    slug="clinic-patient",
    concern="hair",
    condition="androgenetic_alopecia",
    age=41,
    sex="female",
    severity="moderate",
    jurisdiction="US",
    priorities={"evidence": 4},
)


@pytest.fixture(scope="module")
def clinic_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server of its own (its database is needed to create the admin); (url, database)."""
    with sqlite_server(
        tmp_path_factory.mktemp("clinic-server"), "clinic-browser-test-secret"
    ) as server:
        yield server


@pytest.fixture(scope="module")
def base_url(clinic_server: tuple[str, str]) -> str:
    """The browser fixtures of conftest.py open this module's pages on its own server."""
    return clinic_server[0]


def create_admin(database: str) -> None:
    """What ``regenaid clinic create-admin`` does: a clinic and its first admin."""
    engine = make_engine(database)
    try:
        create_clinic_with_admin(
            SqlClinicUnitOfWork(make_session_factory(engine)),
            clinic_name="Lakeside Skin and Hair",
            jurisdiction="US",
            email=ADMIN_EMAIL,
            display_name="Sam Admin",
            password=ADMIN_PASSWORD,
            now=datetime.now(UTC),
        )
    finally:
        engine.dispose()


def watched(context: BrowserContext, errors: list[str]) -> Page:
    """A page whose script errors, CSP violations and failed sub-resources go to ``errors``
    (as the conftest's ``page`` fixture does for the patient's page)."""
    new_page = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        # a page answering 409 or 422 on purpose is a document, not a broken sub-resource
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response: Response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            errors.append(f"{response.status} {response.url}")

    new_page.on("console", on_console)
    new_page.on("pageerror", lambda e: errors.append(str(e)))
    new_page.on("response", on_response)
    return new_page


def accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/clinic")
    expect(page).to_have_url(re.compile(r"/clinic/sign-in$"))
    accessible(page)
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.click("button:has-text('Sign in')")


def test_clinic_journey(
    page: Page, browser: Browser, clinic_server: tuple[str, str], screenshots: Path
) -> None:
    base, database = clinic_server
    today = date.today()

    # The patient, at home: the decision aid, a leaning and the SURE test, a private link.
    fill_intake(page, PATIENT)
    page.check("#leaning-prp")
    for item, answer in (
        ("sure", "yes"),
        ("understand", "yes"),
        ("risk_benefit", "no"),
        ("encouragement", "yes"),
    ):
        page.check(f"#sure-{item}-{answer}")
    page.click("form[action='/saved'] button")
    saved = page.locator("[data-testid=saved-link]").get_attribute("href")
    assert saved and re.fullmatch(r"/r/[A-Za-z0-9_-]{43}", saved)
    private_link = base + saved

    # One command makes the clinic and its admin, who sets up the authenticator.
    create_admin(database)
    errors: list[str] = []
    admin_context = browser.new_context(base_url=base)
    admin = watched(admin_context, errors)
    sign_in(admin, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(admin.locator("h1")).to_have_text("Set up your authenticator app")
    accessible(admin)
    secret = admin.locator("#totp-secret").get_attribute("data-secret")
    assert secret and re.fullmatch(r"[A-Z2-7]{32}", secret)
    expect(admin.locator("img.totp-qr")).to_be_visible()
    admin.fill("#f-totp_code", pyotp.TOTP(secret).now())
    admin.click("button:has-text('Continue')")
    expect(admin.locator("h1")).to_have_text("Schedule")
    accessible(admin)

    # The admin adds a clinician.
    admin.click("nav >> text=Staff")
    accessible(admin)
    admin.fill("#f-display_name", "Dr Mei Ito")
    admin.fill("#f-email", CLINICIAN_EMAIL)
    admin.select_option("#f-role", "clinician")
    admin.fill("#f-password", CLINICIAN_PASSWORD)
    admin.click("button:has-text('Add the account')")
    expect(admin.locator(".clinic-notice")).to_contain_text("The account is created")
    expect(admin.locator("table")).to_contain_text(CLINICIAN_EMAIL)

    # The clinician signs in (a new browser), writes the consent texts.
    clinician_context = browser.new_context(base_url=base)
    doc = watched(clinician_context, errors)
    sign_in(doc, CLINICIAN_EMAIL, CLINICIAN_PASSWORD)
    expect(doc.locator(".clinic-who")).to_contain_text("Dr Mei Ito, Clinician at Lakeside")
    accessible(doc)
    doc.click("nav >> text=Protocols and consent texts")
    accessible(doc)
    for procedure, title in (("prp", "PRP for hair loss"), ("exosome", "Exosome treatment")):
        if not doc.locator("#f-procedure").is_visible():
            doc.click("summary:has-text('Add a consent text')")
        doc.select_option("#f-procedure", procedure)
        doc.fill("#f-title", title)
        doc.fill("#f-text", f"{title}: what it is, what it may do, its risks, the other choices.")
        doc.click("button:has-text('Save the text')")
        expect(doc.locator(".clinic-notice")).to_contain_text("saved as a new version")

    # ... registers the patient,
    doc.click("nav >> text=Patients")
    accessible(doc)
    doc.click("text=Register a patient")
    accessible(doc)
    doc.fill("#f-given_name", "Grace")
    doc.fill("#f-family_name", "Moreno")
    doc.fill("#f-birth_date", "1985-04-12")
    doc.select_option("#f-sex", "female")
    doc.fill("#f-phone", "+1 555 0142")
    doc.click("button:has-text('Register')")
    expect(doc.locator("h1")).to_have_text("Grace Moreno")
    patient_url = doc.url.split("?")[0]

    # ... attaches the saved result by its private link (leaning and SURE answers shown),
    doc.fill("#f-link", private_link)
    doc.click("button:has-text('Attach the result')")
    result = doc.locator(".attached-result")
    expect(result).to_contain_text("Leaning toward: PRP (your own blood plasma)")
    expect(result).to_contain_text("Are you clear about which benefits and risks matter most")
    expect(result).to_contain_text("No to 1 of the four SURE questions")
    accessible(doc)

    # ... records today's health answers,
    doc.click("summary:has-text('Update the health answers')")
    doc.check("#f-health-needle_phobia")
    doc.click("button:has-text('Save the health answers')")
    expect(doc.locator("ul.health-yes")).to_contain_text("I am very afraid of needles")

    # ... records consent to PRP and to exosomes,
    for label in ("PRP: “PRP for hair loss”, version 1", "Exosome therapy: “Exosome treatment”"):
        option = doc.locator("#f-form_id option", has_text=label).get_attribute("value")
        assert option
        doc.select_option("#f-form_id", option)
        doc.check("#f-confirmed")
        doc.click("button:has-text('Record the consent')")
        expect(doc.locator(".clinic-notice")).to_contain_text("The consent is recorded")
    expect(doc.locator("#consents table")).to_contain_text("Exosome therapy")

    # ... plans a PRP course with the patient's answers, then an exosome course.
    for treatment in ("prp", "exosome"):
        if not doc.locator("#f-treatment").is_visible():
            doc.click("summary:has-text('Plan a course')")
        doc.select_option("#f-treatment", treatment)
        doc.select_option("#f-condition", "androgenetic_alopecia")
        doc.select_option("#f-attached_result_id", index=1)
        doc.fill("#f-start", today.isoformat())
        doc.click("button:has-text('Plan the course')")
        expect(doc.locator(".clinic-notice")).to_contain_text("The course is planned")
    accessible(doc)

    # A PRP session: every MIBO group, then what it gives.
    doc.locator("a[href$='/prp']").first.click()
    expect(doc.locator("h1")).to_have_text("Record a PRP session")
    accessible(doc)
    stamp = today.isoformat()
    for field, value in {
        "#f-drawn_at": f"{stamp}T08:30",
        "#f-whole_blood_volume_ml": "30",
        "#f-anticoagulant_volume_ml": "3",
        "#f-kit_brand": "SpinKit",
        "#f-claimed_concentration_factor": "5",
        "#f-centrifuge_model": "Benchtop 3000",
        "#f-rotor_radius_cm": "10",
        "#f-spins-0-speed": "1500",
        "#f-spins-0-minutes": "10",
        "#f-spins-0-temperature_c": "20",
        "#f-baseline_platelets_k_per_ul": "250",
        "#f-baseline_leukocytes_k_per_ul": "6",
        "#f-prp_platelets_k_per_ul": "1250",
        "#f-prp_leukocytes_k_per_ul": "2",
        "#f-final_volume_ml": "5",
        "#f-ready_at": f"{stamp}T09:05",
        "#f-injected_at": f"{stamp}T09:15",
    }.items():
        doc.fill(field, value)
    doc.select_option("#f-anticoagulant", "acd_a")
    doc.select_option("#f-system_type", "closed")
    doc.select_option("#f-activation", "none")
    doc.click("button:has-text('Record the PRP session')")
    expect(doc.locator("h1")).to_have_text("PRP preparation")
    derived = doc.locator(".derived")
    expect(derived).to_contain_text("5.00×")
    expect(derived).to_contain_text("6.25 ×10⁹ platelets")
    expect(doc.locator("#d-paw")).to_contain_text("P3B")
    expect(doc.locator("#d-depa")).to_contain_text("D:A E:B")
    expect(doc.locator("#d-family")).to_contain_text("P-PRP")
    expect(doc.locator("td.rcf").first).to_have_text("252 × g")
    expect(doc.locator("#d-mibo")).to_contain_text("of 20 items reported")
    expect(doc.locator("ul.mibo-missing")).to_contain_text("analyser used for the counts")
    accessible(doc)
    doc.screenshot(path=str(screenshots / "clinic-prp.png"), full_page=True)

    # A lot received (MISEV gaps on its page), then an exosome session from it.
    doc.click("nav >> text=Exosome lots")
    accessible(doc)
    doc.click("text=Receive a lot")
    accessible(doc)
    for field, value in {
        "#f-product_name": "DermaVesicle",
        "#f-manufacturer": "VesiLab Inc",
        "#f-manufacturer_country": "US",
        "#f-lot_number": "DV-0451",
        "#f-expiry_date": (today + timedelta(days=200)).isoformat(),
        "#f-quantity_received": "6",
        "#f-separation_method": "size-exclusion chromatography",
    }.items():
        doc.fill(field, value)
    doc.select_option("#f-quantity_unit", "vial")
    doc.select_option("#f-source", "plant")
    doc.select_option("#f-form", "lyophilised")
    doc.check("#f-labelled_routes")  # topical
    doc.check("#f-labelled_routes-microneedling")
    doc.click("button:has-text('Receive the lot')")
    expect(doc.locator("h1")).to_have_text("DermaVesicle, lot DV-0451")
    expect(doc.locator(".misev-gaps")).to_contain_text("No particle concentration is reported.")
    expect(doc.locator("#naming-h + p")).to_contain_text("MISEV calls it extracellular vesicles")
    expect(doc.locator("main")).to_contain_text("US:")
    accessible(doc)
    lot_url = doc.url.split("?")[0]

    doc.goto(patient_url)
    doc.locator("a[href$='/exosome']").first.click()
    expect(doc.locator("h1")).to_have_text("Record an exosome session")
    accessible(doc)
    lot_option = doc.locator("#f-lot_id option", has_text="DermaVesicle").get_attribute("value")
    assert lot_option
    doc.select_option("#f-lot_id", lot_option)
    doc.fill("#f-quantity", "1")
    doc.select_option("#f-route", "microneedling")
    doc.click("button:has-text('Record the exosome session')")
    expect(doc.locator(".clinic-notice")).to_contain_text("the lot's stock reduced")
    expect(doc.locator("#courses")).to_contain_text("done")

    # An adverse event after the exosome session: the term, its own grades, where to report.
    doc.click("text=Report an adverse event")
    accessible(doc)
    doc.select_option("#f-term_id", "injection_site_reaction")
    doc.click("button:has-text('Show its grades')")
    expect(doc.locator("#term-h")).to_have_text("Injection site reaction")
    accessible(doc)
    doc.check("#f-grade")  # grade 1
    # the start of today: never in the future (00:30 was, in the first half hour of a day)
    doc.fill("#f-onset", f"{stamp}T00:00")
    doc.check("#f-actions_taken-observation")
    doc.select_option("#f-outcome", "recovering")
    doc.select_option("#f-product_lot_id", lot_option)
    doc.click("button:has-text('Report the event')")
    event = doc.locator("article.event").first
    expect(event).to_contain_text("Injection site reaction, grade 1")
    expect(event).to_contain_text("MedWatch")
    accessible(doc)

    # The admin recalls the lot: the recall list names the patient.
    admin.goto(lot_url)
    accessible(admin)
    admin.fill("#f-recall_reason", "Maker's recall notice VL-2026-07 (endotoxin)")
    admin.click("button:has-text('Recall the lot')")
    expect(admin.locator(".refusal")).to_contain_text("Recalled on")
    recall = admin.locator("table.recall-list")
    expect(recall).to_contain_text("Grace Moreno")
    expect(recall).to_contain_text("+1 555 0142")
    expect(recall).to_contain_text(stamp)
    expect(admin.locator("a[href$='/recall.csv']")).to_be_visible()
    accessible(admin)
    admin.screenshot(path=str(screenshots / "clinic-recall.png"), full_page=True)

    # ... and the recalled lot is refused at the next exosome session.
    doc.goto(patient_url)
    doc.locator("a[href$='/exosome']").first.click()
    expect(doc.locator(".refusal")).to_have_count(0)
    doc.select_option("#f-lot_id", lot_option)
    doc.fill("#f-quantity", "1")
    doc.select_option("#f-route", "microneedling")
    doc.click("button:has-text('Record the exosome session')")
    expect(doc.locator(".refusal")).to_contain_text("was recalled on")

    # At phone width the clinic's longest pages need no sideways scrolling.
    doc.set_viewport_size({"width": 390, "height": 844})
    for path in (patient_url, lot_url):
        doc.goto(path)
        assert doc.evaluate("document.documentElement.scrollWidth") <= 390, path

    # The admin sees the audit trail verified, with the head to write down.
    admin.click("nav >> text=Audit trail")
    expect(admin.locator(".audit-result")).to_contain_text("Verified: all")
    head = admin.locator("#audit-head").inner_text()
    assert re.fullmatch(r"chain=[A-Za-z0-9_-]{22} seq=\d+ sha256=[0-9a-f]{64}", head)
    expect(admin.locator("table.audit-table")).to_contain_text("recall")
    accessible(admin)
    admin.screenshot(path=str(screenshots / "clinic-audit.png"), full_page=False)
    admin_context.close()
    clinician_context.close()
    assert errors == [], f"browser errors on the clinic pages: {errors}"
