"""The clinic's home (the schedule, for every role), staff accounts and the audit trail."""

from __future__ import annotations

import re
from datetime import timedelta

from clinic_pages_world import PASSWORD, World, error_for, now, sign_in, text_of
from sqlalchemy import update

from regenaid.clinic.accounts import StaffAccount
from regenaid.store.clinic_tables import audit_entries


def test_schedule_is_for_every_role(world: World) -> None:
    patient = world.patient(given_name="Lena", family_name="Park")
    world.course(patient, "prp", start=now().date())
    later = world.patient(given_name="Omar", family_name="Haddad")
    world.course(later, "exosome", start=now().date() + timedelta(days=3))
    for role in ("admin", "clinician", "nurse", "reception"):
        page = world.as_role(role).get("/clinic")
        assert page.status_code == 200
        words = text_of(page.text)
        today_part = words.split("Next 14 days")[0]
        upcoming = words.split("Next 14 days")[1]
        assert "Lena Park" in today_part and "Omar Haddad" not in today_part
        assert "Omar Haddad" in upcoming
        clinical = role in ("clinician", "nurse")
        assert ("PRP (your own blood plasma)" in words) is clinical
    reception = world.as_role("reception").get("/clinic").text
    assert 'href="/clinic/staff"' not in reception and 'href="/clinic/lots"' not in reception
    admin = world.as_role("admin").get("/clinic").text
    assert 'href="/clinic/staff"' in admin and 'href="/clinic/audit"' in admin
    assert 'href="/clinic/adverse-events"' not in admin


def test_admin_adds_staff_who_can_then_sign_in(world: World) -> None:
    admin = world.as_role("admin")
    short = admin.post(
        "/clinic/staff",
        {
            "display_name": "Dr Bea",
            "email": "bea@riverside.example",
            "role": "clinician",
            "password": "short",
        },
    )
    assert short.status_code == 422
    assert "15" in (error_for(short.text, "f-password") or "")
    assert 'value="bea@riverside.example"' in short.text
    assert 'value="short"' not in short.text, "a password is never sent back"
    taken = admin.post(
        "/clinic/staff",
        {
            "display_name": "Dr Bea",
            "email": world.accounts["nurse"].email,
            "role": "clinician",
            "password": PASSWORD,
        },
    )
    assert taken.status_code == 422
    assert error_for(taken.text, "f-email") == "! an account with this e-mail already exists"
    added = admin.post(
        "/clinic/staff",
        {
            "display_name": "Dr Bea",
            "email": "bea@riverside.example",
            "role": "clinician",
            "password": PASSWORD,
        },
    )
    assert added.status_code == 303
    words = text_of(admin.follow(added).text)
    assert "Dr Bea bea@riverside.example clinician not set up active" in words
    uow = world.uow()
    with uow:
        bea = next(
            a for a in uow.records(StaffAccount).find(world.clinic.id) if a.display_name == "Dr Bea"
        )
    signed = sign_in(world.browser(), bea)
    assert "Dr Bea, Clinician at Riverside Hair Clinic" in text_of(signed.get("/clinic").text)
    deactivated = admin.post(f"/clinic/staff/{bea.id}/deactivate")
    assert deactivated.status_code == 303
    assert signed.get("/clinic").status_code == 303, "their session ends"
    myself = admin.post(f"/clinic/staff/{world.accounts['admin'].id}/deactivate")
    assert myself.status_code == 409
    assert "you cannot deactivate your own account" in text_of(myself.text)
    assert world.as_role("clinician").get("/clinic/staff").status_code == 403


def test_audit_page_verifies_the_chain_and_gives_the_head(world: World) -> None:
    patient = world.patient()
    admin = world.as_role("admin")
    page = admin.get("/clinic/audit")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Verified: all" in words
    head = re.search(r'<code class="audit-head" id="audit-head">([^<]+)</code>', page.text)
    assert head and head.group(1).startswith(f"chain={world.clinic.id} seq=")
    assert f"create patient {patient.id}" in words
    assert "Ana" not in words.split("Entries, newest first")[1], "entries hold ids, no names"
    compared = admin.get("/clinic/audit", params={"head": head.group(1)})
    assert "and the chain still holds the head you gave" in text_of(compared.text)
    malformed = admin.get("/clinic/audit", params={"head": "not a head"})
    assert malformed.status_code == 422
    assert "expected 'chain=<id> seq=<n> sha256=<64 hex>'" in (
        error_for(malformed.text, "f-head") or ""
    )
    other = admin.get("/clinic/audit", params={"head": "chain=system seq=1 sha256=" + "a" * 64})
    assert other.status_code == 422
    # a changed row is found
    with world.app.state.engine.begin() as connection:
        connection.execute(
            update(audit_entries)
            .where(audit_entries.c.chain == world.clinic.id, audit_entries.c.seq == 2)
            .values(detail="tampered")
        )
    broken = text_of(admin.get("/clinic/audit").text)
    assert "Check failed at entry 2: hash mismatch" in broken
    for role in ("clinician", "nurse", "reception"):
        assert world.as_role(role).get("/clinic/audit").status_code == 403
