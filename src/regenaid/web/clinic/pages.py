"""Server-rendered clinic pages under ``/clinic``.

The pages are split by subject; each module has its own router under ``/clinic`` (with
:class:`~regenaid.web.clinic.pages_common.ClinicPageRoute`, which turns the clinic's errors
into pages) and this one gathers them:

- :mod:`.pages_auth` — sign in, authenticator code (and its set-up), sign out;
- :mod:`.pages_home` — the schedule (home), staff accounts, the audit trail;
- :mod:`.pages_patients` — patients, the patient's page and its forms, sessions;
- :mod:`.pages_sessions` — recording PRP and exosome sessions, protocols and consent texts;
- :mod:`.pages_stock` — exosome lots, recalls;
- :mod:`.pages_events` — adverse events;
- :mod:`.pages_outcomes` — a patient's measurements, change from baseline, photos;
- :mod:`.pages_cohort` — the clinic's cohort beside the published evidence, and its CSV.
"""

from __future__ import annotations

from fastapi import APIRouter

from regenaid.web.clinic import (
    pages_auth,
    pages_cohort,
    pages_events,
    pages_fhir,
    pages_home,
    pages_outcomes,
    pages_patients,
    pages_sessions,
    pages_stock,
)

router = APIRouter(include_in_schema=False)
for _module in (
    pages_auth,
    pages_home,
    pages_patients,
    pages_sessions,
    pages_stock,
    pages_events,
    pages_outcomes,
    pages_cohort,
    pages_fhir,
):
    router.include_router(_module.router)
