"""Who may do what in a clinic: roles, actions, the permission matrix and the tenant wall.

Every clinic action is a member of :class:`Action`; every staff account has one :class:`Role`.
:data:`PERMISSIONS` is the whole matrix, deny by default: an action missing from a role's set is
refused (OWASP ASVS 4.0 V4.1.3 least privilege, V4.1.5 deny by default). The rationale for each
row is in ``docs/clinic-access.md``; that file's table is :func:`permission_matrix_markdown`'s
output, and a test keeps the two identical.

Two separate checks guard a record, in this order:

1. :func:`require` — may this *role* do this *action* at all? (:class:`PermissionDeniedError`;
   it depends only on the role, so it reveals nothing about any record);
2. :func:`require_same_clinic` — is the record in the signed-in clinic? A record of another
   clinic raises :class:`RecordNotFoundError`, exactly what a record that does not exist raises,
   so one clinic can never learn that another clinic's record exists (ASVS V4.2.1, IDOR).

:func:`authorize_record` does both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from regenaid.clinic.errors import PermissionDeniedError, RecordNotFoundError
from regenaid.errors import InvalidInputError

__all__ = [
    "ACTION_DESCRIPTIONS",
    "PERMISSIONS",
    "ROLE_DESCRIPTIONS",
    "Action",
    "Role",
    "StaffContext",
    "authorize_record",
    "can",
    "permission_matrix_markdown",
    "require",
    "require_same_clinic",
]


class Role(StrEnum):
    """A staff account's role in its clinic (one role per account)."""

    ADMIN = "admin"
    CLINICIAN = "clinician"
    NURSE = "nurse"
    RECEPTION = "reception"


class Action(StrEnum):
    """Everything a clinic's staff can ask regenaid to do with the clinic's records."""

    VIEW_SCHEDULE = "view_schedule"
    MANAGE_APPOINTMENTS = "manage_appointments"
    VIEW_PATIENT_DEMOGRAPHICS = "view_patient_demographics"
    EDIT_PATIENT = "edit_patient"
    VIEW_CLINICAL = "view_clinical"
    RECORD_CONSENT = "record_consent"
    WITHDRAW_CONSENT = "withdraw_consent"
    PLAN_COURSE = "plan_course"
    RECORD_SESSION = "record_session"
    VIEW_PREPARATION = "view_preparation"
    RECORD_PREPARATION = "record_preparation"
    MANAGE_PROTOCOLS = "manage_protocols"
    VIEW_LOTS = "view_lots"
    MANAGE_LOTS = "manage_lots"
    RECALL_LOT = "recall_lot"
    VIEW_RECALL_LIST = "view_recall_list"
    REPORT_ADVERSE_EVENT = "report_adverse_event"
    VIEW_ADVERSE_EVENTS = "view_adverse_events"
    VIEW_OUTCOMES = "view_outcomes"
    RECORD_OUTCOMES = "record_outcomes"
    EXPORT_PATIENT = "export_patient"
    IMPORT_PATIENT = "import_patient"
    VIEW_AUDIT = "view_audit"
    MANAGE_STAFF = "manage_staff"


ROLE_DESCRIPTIONS: Mapping[Role, str] = MappingProxyType(
    {
        Role.ADMIN: (
            "runs the clinic's system: staff accounts, audit trail, product stock and recalls, "
            "patient data exports; no clinical records"
        ),
        Role.CLINICIAN: "prescriber (doctor or independent prescriber): everything clinical",
        Role.NURSE: "carries out sessions and preparations under a clinician's plan",
        Role.RECEPTION: "front desk: appointments and patient contact details only",
    }
)

ACTION_DESCRIPTIONS: Mapping[Action, str] = MappingProxyType(
    {
        Action.VIEW_SCHEDULE: "see appointments and session dates",
        Action.MANAGE_APPOINTMENTS: "book, move, cancel or mark an appointment missed",
        Action.VIEW_PATIENT_DEMOGRAPHICS: "see name, date of birth, sex and contact details",
        Action.EDIT_PATIENT: "register a patient, correct demographics and contact details",
        Action.VIEW_CLINICAL: (
            "see the attached decision-aid result, screening, courses, sessions and notes"
        ),
        Action.RECORD_CONSENT: "record a patient's consent to a procedure",
        Action.WITHDRAW_CONSENT: "record that a patient withdrew consent",
        Action.PLAN_COURSE: "plan a treatment course (protocol, sessions, product)",
        Action.RECORD_SESSION: "record a treatment session that took place",
        Action.VIEW_PREPARATION: "see PRP preparation records",
        Action.RECORD_PREPARATION: "record a PRP preparation (blood volume, spin, counts)",
        Action.MANAGE_PROTOCOLS: "create and change the clinic's treatment protocols",
        Action.VIEW_LOTS: "see exosome product lots in stock",
        Action.MANAGE_LOTS: "receive, correct and retire product lots",
        Action.RECALL_LOT: "put a product lot under recall or quarantine",
        Action.VIEW_RECALL_LIST: "see which patients were treated with a recalled lot",
        Action.REPORT_ADVERSE_EVENT: "report an adverse event",
        Action.VIEW_ADVERSE_EVENTS: "see adverse event reports",
        Action.VIEW_OUTCOMES: "see outcome measurements and the clinic's outcome summaries",
        Action.RECORD_OUTCOMES: "record outcome measurements (density, photos, scores)",
        Action.EXPORT_PATIENT: "export a patient's whole record (access or transfer request)",
        Action.IMPORT_PATIENT: (
            "import a patient's whole record exported by a clinic (FHIR), as a new patient"
        ),
        Action.VIEW_AUDIT: "read the clinic's audit trail and verify its hash chain",
        Action.MANAGE_STAFF: "create, change and deactivate staff accounts",
    }
)

_A = Action

PERMISSIONS: Mapping[Role, frozenset[Action]] = MappingProxyType(
    {
        Role.ADMIN: frozenset(
            {
                _A.VIEW_SCHEDULE,
                _A.VIEW_PATIENT_DEMOGRAPHICS,
                _A.VIEW_LOTS,
                _A.MANAGE_LOTS,
                _A.RECALL_LOT,
                _A.VIEW_RECALL_LIST,
                _A.EXPORT_PATIENT,
                _A.VIEW_AUDIT,
                _A.MANAGE_STAFF,
            }
        ),
        Role.CLINICIAN: frozenset(
            {
                _A.VIEW_SCHEDULE,
                _A.MANAGE_APPOINTMENTS,
                _A.VIEW_PATIENT_DEMOGRAPHICS,
                _A.EDIT_PATIENT,
                _A.VIEW_CLINICAL,
                _A.RECORD_CONSENT,
                _A.WITHDRAW_CONSENT,
                _A.PLAN_COURSE,
                _A.RECORD_SESSION,
                _A.VIEW_PREPARATION,
                _A.RECORD_PREPARATION,
                _A.MANAGE_PROTOCOLS,
                _A.VIEW_LOTS,
                _A.MANAGE_LOTS,
                _A.RECALL_LOT,
                _A.VIEW_RECALL_LIST,
                _A.REPORT_ADVERSE_EVENT,
                _A.VIEW_ADVERSE_EVENTS,
                _A.VIEW_OUTCOMES,
                _A.RECORD_OUTCOMES,
                _A.EXPORT_PATIENT,
                _A.IMPORT_PATIENT,
            }
        ),
        Role.NURSE: frozenset(
            {
                _A.VIEW_SCHEDULE,
                _A.MANAGE_APPOINTMENTS,
                _A.VIEW_PATIENT_DEMOGRAPHICS,
                _A.VIEW_CLINICAL,
                _A.WITHDRAW_CONSENT,
                _A.RECORD_SESSION,
                _A.VIEW_PREPARATION,
                _A.RECORD_PREPARATION,
                _A.VIEW_LOTS,
                _A.VIEW_RECALL_LIST,
                _A.REPORT_ADVERSE_EVENT,
                _A.VIEW_ADVERSE_EVENTS,
                _A.VIEW_OUTCOMES,
                _A.RECORD_OUTCOMES,
            }
        ),
        Role.RECEPTION: frozenset(
            {
                _A.VIEW_SCHEDULE,
                _A.MANAGE_APPOINTMENTS,
                _A.VIEW_PATIENT_DEMOGRAPHICS,
                _A.EDIT_PATIENT,
            }
        ),
    }
)


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInputError("role", f"unknown role {role!r}", [r.value for r in Role]) from None


def _action(action: Action | str) -> Action:
    try:
        return Action(action)
    except ValueError:
        raise InvalidInputError(
            "action", f"unknown action {action!r}", [a.value for a in Action]
        ) from None


def can(role: Role | str, action: Action | str) -> bool:
    """True when ``role`` may do ``action``; unknown names raise InvalidInputError."""
    return _action(action) in PERMISSIONS[_role(role)]


def require(role: Role | str, action: Action | str) -> None:
    """Raise :class:`PermissionDeniedError` unless ``role`` may do ``action``."""
    if not can(role, action):
        raise PermissionDeniedError(str(role), str(action))


@dataclass(frozen=True, slots=True)
class StaffContext:
    """Who is asking: the signed-in staff account, its clinic and its role."""

    staff_id: str
    clinic_id: str
    role: Role

    def can(self, action: Action | str) -> bool:
        return can(self.role, action)

    def require(self, action: Action | str) -> None:
        require(self.role, action)


def require_same_clinic(
    ctx: StaffContext, record_clinic_id: str, kind: str, record_id: str
) -> None:
    """Raise :class:`RecordNotFoundError` when the record belongs to another clinic.

    The error is the one a missing record raises, so another clinic's record is
    indistinguishable from no record at all. Repositories should also filter by
    ``ctx.clinic_id`` in the query itself; this check is the second wall, not the only one.
    """
    if record_clinic_id != ctx.clinic_id:
        raise RecordNotFoundError(kind, record_id)


def authorize_record(
    ctx: StaffContext,
    action: Action | str,
    *,
    record_clinic_id: str,
    kind: str,
    record_id: str,
) -> None:
    """:func:`require` the action for the role, then :func:`require_same_clinic`."""
    ctx.require(action)
    require_same_clinic(ctx, record_clinic_id, kind, record_id)


def permission_matrix_markdown() -> str:
    """The permission matrix as a Markdown table (one row per action, one column per role).

    ``docs/clinic-access.md`` contains exactly this text; a test keeps them in step.
    """
    roles = list(Role)
    header = "| Action | What it covers | " + " | ".join(r.value for r in roles) + " |"
    rule = "|---|---|" + "|".join(":-:" for _ in roles) + "|"
    lines = [header, rule]
    for action in Action:
        cells = " | ".join("yes" if action in PERMISSIONS[r] else "no" for r in roles)
        lines.append(f"| `{action.value}` | {ACTION_DESCRIPTIONS[action]} | {cells} |")
    return "\n".join(lines) + "\n"
