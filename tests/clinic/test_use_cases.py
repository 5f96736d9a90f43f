"""The clinic's use cases end to end on fake repositories: rules, refusals that write nothing,
the role table, and the audit chain they leave."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fakes import FakeUnitOfWork
from test_exosome_lots import lot_values
from test_prp_record import full_record

from regenaid.clinic import services, staff, treatments
from regenaid.clinic.access import Role, StaffContext
from regenaid.clinic.audit import AuditEntry, verify_chains
from regenaid.clinic.errors import PermissionDeniedError, RecordNotFoundError, RefusedError
from regenaid.clinic.exosome_lots import ExosomeLot
from regenaid.clinic.patients import Patient
from regenaid.knowledge import load_knowledge

KB = load_knowledge()
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
START = date(2026, 12, 1)


def actor(role: Role, clinic: str = "clinicA000000000000000", who: str = "staff") -> services.Actor:
    return services.Actor(StaffContext(f"{who}-{role.value}", clinic, role), "192.0.2.7", NOW)


CLIN = actor(Role.CLINICIAN)
NURSE = actor(Role.NURSE)
ADMIN = actor(Role.ADMIN)
DESK = actor(Role.RECEPTION)


def setup_patient(uow: FakeUnitOfWork, **health: bool) -> tuple[Patient, Any]:
    patient = services.register_patient(
        uow,
        CLIN,
        given_name="Ana",
        family_name="Silva",
        birth_date=date(1985, 3, 1),
        sex="female",
        phone=None,
        email=None,
    )
    services.record_health_answers(uow, CLIN, patient.id, health)
    for procedure in ("prp", "exosome"):
        form = services.add_consent_form(
            uow,
            CLIN,
            procedure=procedure,
            title=f"{procedure} consent",
            text=f"I understand what {procedure} treatment involves and its risks.",
        )
        services.record_consent(uow, CLIN, patient.id, form.id)
    return patient, form


def start_course(uow: FakeUnitOfWork, patient: Patient, treatment: str) -> tuple[Any, Any]:
    """A 12-month course for moderate pattern hair loss starting on START, by the clinician."""
    return services.start_course(
        uow,
        CLIN,
        KB,
        patient.id,
        condition="androgenetic_alopecia",
        treatment=treatment,
        start=START,
        horizon_months=12,
        severity="moderate",
    )


def prepared_now(session_id: str, **changes: Any) -> Any:
    """A full PRP preparation for the session: drawn an hour ago, injected 5 minutes ago."""
    return full_record(
        session_id=session_id,
        drawn_at=NOW - timedelta(hours=1),
        ready_at=NOW - timedelta(minutes=20),
        injected_at=NOW - timedelta(minutes=5),
        **changes,
    )


def first_treatment(sessions: Any) -> Any:
    return next(s for s in sessions if s.kind == "initial")


def test_prp_course_from_plan_to_recorded_preparation() -> None:
    uow = FakeUnitOfWork()
    patient, _ = setup_patient(uow)
    _course, sessions = start_course(uow, patient, "prp")
    session = first_treatment(sessions)
    prep = prepared_now(
        session.id,
        protocol_id=None,
    )
    record = treatments.record_prp_session(uow, NURSE, KB, prep, on=NOW.date())
    # 1,100 / 250 x10^3/uL = 4.4x; dose 1,100 x 6 mL / 1000 = 6.6 x10^9 (DEPA dose A: > 5)
    assert record.concentration_factor == pytest.approx(4.4)
    assert record.depa_code.startswith("D:A")
    stored = {s.id: s for s in uow.all(type(session))}
    assert stored[session.id].status == "done"
    assert stored[session.id].recorded_by == NURSE.staff_id
    reports = verify_chains(uow.all(AuditEntry))
    assert all(r.ok for r in reports.values())
    actions = [(e.action, e.record_kind) for e in sorted(uow.all(AuditEntry), key=lambda e: e.seq)]
    assert ("create", "prp_preparation") in actions
    assert actions.count(("update", "course_session")) == 1


def test_screening_blocks_a_session_and_nothing_is_written() -> None:
    uow = FakeUnitOfWork()
    patient, _ = setup_patient(uow)
    _, sessions = start_course(uow, patient, "prp")
    later = dataclasses.replace(CLIN, now=NOW + timedelta(seconds=1))
    services.record_health_answers(uow, later, patient.id, {"anticoagulant": True})
    before = {k: dict(v) for k, v in uow.committed.items()}
    session = first_treatment(sessions)
    prep = prepared_now(
        session.id,
        protocol_id=None,
    )
    with pytest.raises(RefusedError) as refused:
        treatments.record_prp_session(uow, CLIN, KB, prep, on=NOW.date())
    assert refused.value.code == "contraindicated"
    assert uow.committed == before


def test_protocol_deviation_needs_a_note() -> None:
    uow = FakeUnitOfWork()
    patient, _ = setup_patient(uow)
    _, sessions = start_course(uow, patient, "prp")
    from test_prp_protocol import PROTOCOL

    saved = treatments.save_prp_protocol(uow, CLIN, PROTOCOL)
    session = first_treatment(sessions)
    prep = prepared_now(
        session.id,
        protocol_id=saved.id,
        whole_blood_volume_ml=200.0,
    )
    with pytest.raises(RefusedError) as refused:
        treatments.record_prp_session(uow, CLIN, KB, prep, on=NOW.date())
    assert refused.value.field == "deviation_note"
    record = treatments.record_prp_session(
        uow, CLIN, KB, prep, on=NOW.date(), deviation_note="second draw after clotting"
    )
    assert record.deviations and record.deviation_note == "second draw after clotting"


def exosome_setup(uow: FakeUnitOfWork, **lot_changes: Any) -> tuple[Any, ExosomeLot]:
    patient, _ = setup_patient(uow)
    _, sessions = start_course(uow, patient, "exosome")
    lot = treatments.receive_lot(uow, ADMIN, **lot_values(**lot_changes))
    return first_treatment(sessions), lot


def test_exosome_session_uses_the_lot_and_recall_lists_the_patient() -> None:
    uow = FakeUnitOfWork()
    session, lot = exosome_setup(uow, labelled_routes=("topical", "microneedling"))
    use = treatments.record_exosome_session(
        uow,
        CLIN,
        KB,
        session.id,
        lot_id=lot.id,
        quantity=2,
        route="microneedling",
        on=NOW.date(),
    )
    assert use.quantity == Decimal(2)
    assert treatments.get_lot(uow, CLIN, lot.id).quantity_left == Decimal(8)
    treatments.recall_lot(uow, ADMIN, lot.id, "supplier recall notice 2026-12")
    lines = treatments.recall_list(uow, ADMIN, lot.id)
    assert [line.patient.family_name for line in lines] == ["Silva"]
    assert "lot_id,used_on,patient_id" in treatments.export_recall_csv(uow, NURSE, lot.id)


def test_lot_refusals_write_nothing_and_an_override_is_audited() -> None:
    uow = FakeUnitOfWork()
    session, lot = exosome_setup(uow, expiry_date=date(2026, 11, 30))
    before = {k: dict(v) for k, v in uow.committed.items()}
    with pytest.raises(RefusedError) as refused:
        treatments.record_exosome_session(
            uow,
            CLIN,
            KB,
            session.id,
            lot_id=lot.id,
            quantity=1,
            route="topical",
            on=NOW.date(),
        )
    assert refused.value.code == "lot_expired"
    assert uow.committed == before

    uow = FakeUnitOfWork()
    session, lot = exosome_setup(uow)  # labelled topical only
    with pytest.raises(RefusedError) as refused:
        treatments.record_exosome_session(
            uow,
            CLIN,
            KB,
            session.id,
            lot_id=lot.id,
            quantity=1,
            route="injection",
            on=NOW.date(),
        )
    assert refused.value.code == "route_override_needed"
    use = treatments.record_exosome_session(
        uow,
        CLIN,
        KB,
        session.id,
        lot_id=lot.id,
        quantity=1,
        route="injection",
        on=NOW.date(),
        override_reason="clinician decision, documented in notes",
    )
    assert use.override
    assert any(e.action == "override" for e in uow.all(AuditEntry))


def test_adverse_event_must_name_the_patients_own_session() -> None:
    uow = FakeUnitOfWork()
    session, _ = exosome_setup(uow)
    other = services.register_patient(
        uow,
        CLIN,
        given_name="Bo",
        family_name="Lee",
        birth_date=date(1990, 1, 1),
        sex="male",
        phone=None,
        email=None,
    )
    event = treatments.report_adverse_event(
        uow,
        NURSE,
        patient_id=session_patient(uow, session),
        term_id="syncope",
        grade=3,
        onset=NOW,
        outcome="recovered",
        session_id=session.id,
        seriousness=(),
        actions_taken=("observation",),
    )
    assert event.grade == 3
    with pytest.raises(Exception) as err:
        treatments.report_adverse_event(
            uow,
            NURSE,
            patient_id=other.id,
            term_id="syncope",
            grade=3,
            onset=NOW,
            outcome="recovered",
            session_id=session.id,
        )
    assert getattr(err.value, "field", None) == "session_id"


def session_patient(uow: FakeUnitOfWork, session: Any) -> str:
    from regenaid.clinic.courses import Course

    return next(c.patient_id for c in uow.all(Course) if c.id == session.course_id)


def test_other_clinics_records_are_not_found() -> None:
    uow = FakeUnitOfWork()
    patient, _ = setup_patient(uow)
    elsewhere = actor(Role.CLINICIAN, clinic="clinicB000000000000000")
    with pytest.raises(RecordNotFoundError):
        services.open_patient(uow, elsewhere, patient.id)
    with pytest.raises(RecordNotFoundError):
        services.edit_patient(uow, elsewhere, patient.id, {"phone": "0123 456 789"})
    assert services.list_patients(uow, elsewhere) == []


# Who may call what: written out here, not read from access.PERMISSIONS.
ROLE_TABLE: dict[str, set[Role]] = {
    "register_patient": {Role.CLINICIAN, Role.RECEPTION},
    "open_patient": {Role.ADMIN, Role.CLINICIAN, Role.NURSE, Role.RECEPTION},
    "record_consent": {Role.CLINICIAN},
    "start_course": {Role.CLINICIAN},
    "receive_lot": {Role.ADMIN, Role.CLINICIAN},
    "recall_lot": {Role.ADMIN, Role.CLINICIAN},
    "report_adverse_event": {Role.CLINICIAN, Role.NURSE},
    "add_staff": {Role.ADMIN},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("name", sorted(ROLE_TABLE))
def test_role_table(name: str, role: Role) -> None:
    uow = FakeUnitOfWork()
    patient, form = setup_patient(uow)
    lot = treatments.receive_lot(uow, ADMIN, **lot_values())
    who = actor(role)
    calls = {
        "register_patient": lambda: services.register_patient(
            uow,
            who,
            given_name="Cy",
            family_name="Ng",
            birth_date=date(1970, 1, 1),
            sex="other",
            phone=None,
            email=None,
        ),
        "open_patient": lambda: services.open_patient(uow, who, patient.id),
        "record_consent": lambda: services.record_consent(uow, who, patient.id, form.id),
        "start_course": lambda: services.start_course(
            uow,
            who,
            KB,
            patient.id,
            condition="androgenetic_alopecia",
            treatment="prp",
            start=START,
            horizon_months=6,
            severity="mild",
        ),
        "receive_lot": lambda: treatments.receive_lot(uow, who, **lot_values(lot_number="L2")),
        "recall_lot": lambda: treatments.recall_lot(uow, who, lot.id, "supplier notice"),
        "report_adverse_event": lambda: treatments.report_adverse_event(
            uow,
            who,
            patient_id=patient.id,
            term_id="injection_site_reaction",
            grade=1,
            onset=NOW,
            outcome="recovered",
        ),
        "add_staff": lambda: staff.add_staff(
            uow,
            who,
            email="new@clinic.example",
            display_name="New Person",
            role="nurse",
            password="a long enough passphrase here",
        ),
    }
    if role in ROLE_TABLE[name]:
        calls[name]()
    else:
        before = {k: dict(v) for k, v in uow.committed.items()}
        with pytest.raises(PermissionDeniedError):
            calls[name]()
        assert uow.committed == before


def test_open_patient_hides_clinical_parts_from_reception() -> None:
    uow = FakeUnitOfWork()
    patient, _ = setup_patient(uow)
    chart = services.open_patient(uow, DESK, patient.id)
    assert chart.patient == patient
    assert (chart.health, chart.consents, chart.courses, chart.results) == (None,) * 4
    full = services.open_patient(uow, CLIN, patient.id)
    assert full.health is not None and full.consents


def test_dataclass_records_are_frozen() -> None:
    assert all(
        dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen  # type: ignore[attr-defined]
        for kind in (Patient, ExosomeLot, AuditEntry)
    )


def test_combination_session_takes_both_products_once_each() -> None:
    uow = FakeUnitOfWork()
    patient, _ = setup_patient(uow)
    combo = services.add_consent_form(
        uow,
        CLIN,
        procedure="combination",
        title="PRP with exosomes",
        text="I understand what the combined treatment involves and its risks.",
    )
    services.record_consent(uow, CLIN, patient.id, combo.id)
    _, sessions = start_course(uow, patient, "combination")
    session = first_treatment(sessions)
    lot = treatments.receive_lot(uow, ADMIN, **lot_values(labelled_routes=("microneedling",)))
    treatments.record_exosome_session(
        uow, CLIN, KB, session.id, lot_id=lot.id, quantity=1, route="microneedling", on=NOW.date()
    )
    prep = prepared_now(
        session.id,
        protocol_id=None,
    )
    treatments.record_prp_session(uow, CLIN, KB, prep, on=NOW.date())  # same session: allowed
    with pytest.raises(RefusedError) as refused:  # a second lot use at the same session is not
        treatments.record_exosome_session(
            uow,
            CLIN,
            KB,
            session.id,
            lot_id=lot.id,
            quantity=1,
            route="microneedling",
            on=NOW.date(),
        )
    assert refused.value.code == "already_done"


def test_wrong_codes_count_towards_the_throttle() -> None:
    import pyotp

    from regenaid.clinic.accounts import new_totp_secret

    uow = FakeUnitOfWork()
    staff.create_clinic_with_admin(
        uow,
        clinic_name="Throttle",
        jurisdiction=None,
        email="ad@min.example",
        display_name="Ad Min",
        password="a passphrase long enough",
        now=NOW,
    )
    started = staff.sign_in(
        uow,
        email="ad@min.example",
        password="a passphrase long enough",
        client="192.0.2.9",
        now=NOW,
    )
    secret = new_totp_secret()
    for _ in range(5):
        with pytest.raises(RefusedError) as refused:
            staff.second_factor(
                uow,
                token=started.token,
                code="000000",
                client="192.0.2.9",
                now=NOW,
                new_secret=secret,
            )
        assert refused.value.code == "totp_code_refused"
    with pytest.raises(RefusedError) as refused:  # even the right code waits now
        staff.second_factor(
            uow,
            token=started.token,
            code=pyotp.TOTP(secret).at(NOW),
            client="192.0.2.9",
            now=NOW,
            new_secret=secret,
        )
    assert refused.value.code == "throttled"
