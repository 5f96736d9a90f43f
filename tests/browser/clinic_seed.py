"""Records the clinic browser tests start from, written through the use cases on the test
server's own database (what ``regenaid clinic create-admin`` and an admin's staff page do)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from regenaid.clinic.access import Role, StaffContext
from regenaid.clinic.accounts import StaffAccount, new_staff_account
from regenaid.clinic.services import Actor
from regenaid.clinic.staff import create_clinic_with_admin
from regenaid.store.clinic_uow import SqlClinicUnitOfWork


def clinic_with_clinician(
    factory: sessionmaker[Session],
    *,
    clinic_name: str,
    admin_email: str,
    admin_password: str,
    email: str,
    display_name: str,
    password: str,
    now: datetime,
) -> Actor:
    """A clinic in GB with its first admin and a clinician; the clinician as the actor."""
    clinic, _ = create_clinic_with_admin(
        SqlClinicUnitOfWork(factory),
        clinic_name=clinic_name,
        jurisdiction="GB",
        email=admin_email,
        display_name="Ada Admin",
        password=admin_password,
        now=now,
    )
    clinician = new_staff_account(
        clinic_id=clinic.id,
        email=email,
        display_name=display_name,
        role=Role.CLINICIAN,
        password=password,
        now=now,
    )
    with SqlClinicUnitOfWork(factory) as uow:
        uow.records(StaffAccount).add(clinician)
        uow.commit()
    return Actor(StaffContext(clinician.id, clinic.id, Role.CLINICIAN), "127.0.0.1", now)
