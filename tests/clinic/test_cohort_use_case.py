"""The cohort use case on fake repositories: who may see it, what it audits (counts only), the
clinic's PRP protocol names, the CSV export, and that another clinic's patients never count."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from fakes import FakeUnitOfWork

from regenaid.clinic import services
from regenaid.clinic.access import Role, StaffContext
from regenaid.clinic.audit import AuditEntry
from regenaid.clinic.cohort import CohortFilters
from regenaid.clinic.cohort_services import cohort_view, export_cohort_csv
from regenaid.clinic.courses import CourseSession
from regenaid.clinic.errors import PermissionDeniedError
from regenaid.clinic.outcomes import Measurement, new_measurement
from regenaid.clinic.prp import PrpProtocol, Range, SpinLimits
from regenaid.clinic.treatments import ClinicPrpProtocol
from regenaid.knowledge import load_knowledge

KB = load_knowledge()
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
DAY0 = date(2026, 3, 2)
CLINIC = "clinicA000000000000000"
OTHER = "clinicB000000000000000"


def actor(role: Role, clinic: str = CLINIC) -> services.Actor:
    return services.Actor(StaffContext(f"staff-{role.value}", clinic, role), "192.0.2.7", NOW)


def treated_patient(uow: FakeUnitOfWork, clinic: str, n: int, gain: float) -> str:
    who = actor(Role.CLINICIAN, clinic)
    patient = services.register_patient(
        uow,
        who,
        given_name=f"Person{n}",
        family_name="Example",
        birth_date=date(1980, 1, 1),
        sex="male",
        phone=None,
        email=None,
    )
    course, sessions = services.start_course(
        uow,
        who,
        KB,
        patient.id,
        condition="androgenetic_alopecia",
        treatment="prp",
        start=DAY0,
        horizon_months=6,
        severity="moderate",
    )
    first = next(s for s in sessions if s.kind == "initial")
    with uow:
        uow.records(CourseSession).replace(
            replace(first, status="done", on=DAY0, recorded_by=who.staff_id, recorded_at=NOW)
        )
        for day, value in ((0, 150.0), (100, 150.0 + gain)):
            uow.records(Measurement).add(
                new_measurement(
                    clinic_id=clinic,
                    recorded_by=who.staff_id,
                    now=NOW,
                    concern="hair",
                    patient_id=patient.id,
                    course_id=course.id,
                    measure="hair_density",
                    value=value,
                    method="phototrichogram_corrected",
                    site="vertex",
                    measured_on=DAY0 + timedelta(days=day),
                )
            )
        uow.commit()
    return patient.id


@pytest.fixture
def uow() -> FakeUnitOfWork:
    fake = FakeUnitOfWork()
    for n, gain in enumerate((40.0, 45.0, 5.0, 50.0, 38.0, 0.0)):
        treated_patient(fake, CLINIC, n, gain)
    for n in range(7):
        treated_patient(fake, OTHER, 10 + n, 90.0)
    return fake


def test_clinicians_and_nurses_see_their_clinics_cohort(uow: FakeUnitOfWork) -> None:
    for role in (Role.CLINICIAN, Role.NURSE):
        view = cohort_view(uow, actor(role), KB, CohortFilters())
        (group,) = view.groups
        assert (group.condition, group.option, group.treated.value) == (
            "androgenetic_alopecia",
            "prp",
            6,
        )
        (density,) = group.measures
        assert density.followed_up.value == 6
        assert density.change is not None
        assert density.change.estimate == pytest.approx((40 + 45 + 5 + 50 + 38 + 0) / 6)
        # responders: +26.7%, +30%, +33.3%, +25.3% reach 22.78% and beat the 7% error
        assert density.responders is not None and density.responders.count == 4
        assert density.published is not None and density.published.study == "Kieling 2024"
        assert "not a trial" in view.caveat


@pytest.mark.parametrize("role", [Role.ADMIN, Role.RECEPTION])
def test_other_roles_may_not_and_nothing_is_written(uow: FakeUnitOfWork, role: Role) -> None:
    commits = uow.commits
    with pytest.raises(PermissionDeniedError):
        cohort_view(uow, actor(role), KB, CohortFilters())
    with pytest.raises(PermissionDeniedError):
        export_cohort_csv(uow, actor(role), KB, CohortFilters())
    assert uow.commits == commits


def test_the_audit_entry_holds_counts_only(uow: FakeUnitOfWork) -> None:
    cohort_view(uow, actor(Role.CLINICIAN), KB, CohortFilters(prp_class="spins"))
    export_cohort_csv(uow, actor(Role.NURSE), KB, CohortFilters())
    entries = sorted(
        (e for e in uow.all(AuditEntry) if e.record_kind == "cohort"), key=lambda e: e.seq
    )
    assert [(e.action, e.detail) for e in entries] == [
        ("read", "groups=1,patients=6,split=spins"),
        ("export", "groups=1,patients=6,split=none"),
    ]
    assert all(e.record_id is None for e in entries)


def test_the_protocol_split_names_the_clinics_protocols(uow: FakeUnitOfWork) -> None:
    protocol = PrpProtocol(
        name="Single spin 5x",
        spins=(SpinLimits(rcf_g=Range(300, 400), minutes=Range(8, 10)),),
    )
    with uow:
        uow.records(ClinicPrpProtocol).add(
            ClinicPrpProtocol(protocol.id, CLINIC, protocol, NOW, "staff-clinician")
        )
        uow.commit()
    view = cohort_view(uow, actor(Role.CLINICIAN), KB, CohortFilters(prp_class="protocol"))
    assert [g.prp_class for g in view.groups] == ["no preparation recorded"]


def test_the_csv_export(uow: FakeUnitOfWork) -> None:
    text = export_cohort_csv(uow, actor(Role.CLINICIAN), KB, CohortFilters())
    header, line = text.strip().split("\r\n")
    assert header.startswith("condition,option,prp_class,treated")
    assert line.startswith("androgenetic_alopecia,prp,all,6,6,hair_density,/cm2,6,0,29.6")
    assert "Kieling 2024" in line
