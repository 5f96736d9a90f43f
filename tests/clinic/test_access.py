"""The permission matrix, checked against a table written out by hand, and the tenant wall.

The expected table below is typed here on purpose, not derived from ``PERMISSIONS``: a change
to the matrix has to be made twice (code and this table) and shows up in review.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from regenaid.clinic.access import (
    PERMISSIONS,
    Action,
    Role,
    StaffContext,
    authorize_record,
    can,
    permission_matrix_markdown,
    require,
    require_same_clinic,
)
from regenaid.clinic.errors import PermissionDeniedError, RecordNotFoundError
from regenaid.errors import InvalidInputError

DOC = Path(__file__).resolve().parents[2] / "docs" / "clinic-access.md"

# Y = allowed, - = refused.
EXPECTED_TABLE = """
action                     admin  clinician  nurse  reception
view_schedule                Y        Y        Y        Y
manage_appointments          -        Y        Y        Y
view_patient_demographics    Y        Y        Y        Y
edit_patient                 -        Y        -        Y
view_clinical                -        Y        Y        -
record_consent               -        Y        -        -
withdraw_consent             -        Y        Y        -
plan_course                  -        Y        -        -
record_session               -        Y        Y        -
view_preparation             -        Y        Y        -
record_preparation           -        Y        Y        -
manage_protocols             -        Y        -        -
view_lots                    Y        Y        Y        -
manage_lots                  Y        Y        -        -
recall_lot                   Y        Y        -        -
view_recall_list             Y        Y        Y        -
report_adverse_event         -        Y        Y        -
view_adverse_events          -        Y        Y        -
view_outcomes                -        Y        Y        -
record_outcomes              -        Y        Y        -
export_patient               Y        Y        -        -
import_patient               -        Y        -        -
view_audit                   Y        -        -        -
manage_staff                 Y        -        -        -
"""


def _parse_table(text: str) -> dict[tuple[str, str], bool]:
    lines = [line.split() for line in text.strip().splitlines()]
    roles = lines[0][1:]
    table: dict[tuple[str, str], bool] = {}
    for row in lines[1:]:
        action, marks = row[0], row[1:]
        assert len(marks) == len(roles), row
        for role, mark in zip(roles, marks, strict=True):
            assert mark in {"Y", "-"}, row
            table[(role, action)] = mark == "Y"
    return table


EXPECTED = _parse_table(EXPECTED_TABLE)
CASES = sorted(EXPECTED.items())

OWN_CLINIC = "clinicAAAAAAAAAAAAAAAAA"
OTHER_CLINIC = "clinicBBBBBBBBBBBBBBBBB"


def test_the_table_covers_every_role_and_every_action_exactly_once() -> None:
    assert {role for role, _ in EXPECTED} == {r.value for r in Role}
    assert {action for _, action in EXPECTED} == {a.value for a in Action}
    assert len(EXPECTED) == len(Role) * len(Action)


@pytest.mark.parametrize(("key", "allowed"), CASES, ids=[f"{r}-{a}" for (r, a), _ in CASES])
def test_can_matches_the_table(key: tuple[str, str], allowed: bool) -> None:
    role, action = key
    assert can(role, action) is allowed
    assert (Action(action) in PERMISSIONS[Role(role)]) is allowed


@pytest.mark.parametrize("clinic", ["own", "other"])
@pytest.mark.parametrize(("key", "allowed"), CASES, ids=[f"{r}-{a}" for (r, a), _ in CASES])
def test_role_by_action_by_clinic(key: tuple[str, str], allowed: bool, clinic: str) -> None:
    """Own clinic: the table decides. Other clinic: a refused role is refused for its role
    (which says nothing about the record); an allowed role finds no such record."""
    role, action = key
    ctx = StaffContext(staff_id="staffXXXXXXXXXXXXXXXXX", clinic_id=OWN_CLINIC, role=Role(role))
    record_clinic = OWN_CLINIC if clinic == "own" else OTHER_CLINIC

    def attempt() -> None:
        authorize_record(
            ctx, action, record_clinic_id=record_clinic, kind="patient", record_id="p1"
        )

    if not allowed:
        with pytest.raises(PermissionDeniedError) as denied:
            attempt()
        assert (denied.value.role, denied.value.action) == (role, action)
    elif clinic == "other":
        with pytest.raises(RecordNotFoundError) as missing:
            attempt()
        assert (missing.value.kind, missing.value.record_id) == ("patient", "p1")
    else:
        attempt()  # no error


def test_require_raises_for_refused_and_passes_for_allowed() -> None:
    require(Role.CLINICIAN, Action.PLAN_COURSE)
    with pytest.raises(PermissionDeniedError, match="reception"):
        require(Role.RECEPTION, Action.VIEW_CLINICAL)
    ctx = StaffContext(staff_id="s", clinic_id=OWN_CLINIC, role=Role.NURSE)
    assert ctx.can(Action.RECORD_SESSION)
    with pytest.raises(PermissionDeniedError):
        ctx.require(Action.PLAN_COURSE)


def test_another_clinics_record_looks_exactly_like_a_missing_one() -> None:
    ctx = StaffContext(staff_id="s", clinic_id=OWN_CLINIC, role=Role.CLINICIAN)
    with pytest.raises(RecordNotFoundError) as other:
        require_same_clinic(ctx, OTHER_CLINIC, "patient", "abc")
    missing = RecordNotFoundError("patient", "abc")  # what a lookup that found nothing raises
    assert str(other.value) == str(missing)
    assert OTHER_CLINIC not in str(other.value)
    require_same_clinic(ctx, OWN_CLINIC, "patient", "abc")  # own clinic: no error


@pytest.mark.parametrize(
    ("role", "action", "field"),
    [("owner", "view_schedule", "role"), ("admin", "delete_everything", "action")],
)
def test_unknown_role_or_action_names_the_field(role: str, action: str, field: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        can(role, action)
    assert error.value.field == field
    assert error.value.allowed


def test_reception_sees_no_clinical_preparation_or_outcome_data() -> None:
    """The issue's own example, stated directly."""
    for action in (Action.VIEW_CLINICAL, Action.VIEW_PREPARATION, Action.VIEW_OUTCOMES):
        assert not can(Role.RECEPTION, action)
    assert can(Role.RECEPTION, Action.VIEW_SCHEDULE)


def test_markdown_matrix_has_a_row_per_action_and_a_column_per_role() -> None:
    lines = permission_matrix_markdown().splitlines()
    assert lines[0] == "| Action | What it covers | admin | clinician | nurse | reception |"
    rows = lines[2:]
    assert len(rows) == len(Action)
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        action = cells[0].strip("`")
        marks = cells[2:]
        expected = [
            "yes" if EXPECTED[(r, action)] else "no"
            for r in ("admin", "clinician", "nurse", "reception")
        ]
        assert marks == expected, action


def test_the_doc_contains_exactly_the_generated_matrix() -> None:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(
        r"<!-- BEGIN permission-matrix[^>]*-->\n(.*?)<!-- END permission-matrix -->",
        text,
        re.DOTALL,
    )
    assert found, "docs/clinic-access.md lacks the permission-matrix markers"
    assert found.group(1) == permission_matrix_markdown()
