"""Patients, consent and courses: the clinic's rules without storage."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from regenaid.clinic.courses import (
    check_can_record,
    plan_course,
    record_done,
    record_missed,
    record_moved,
    screen_for_session,
)
from regenaid.clinic.errors import RefusedError
from regenaid.clinic.patients import (
    active_consent,
    edit_patient,
    new_consent_form,
    new_patient,
    record_health,
    take_consent,
    withdraw_consent,
)
from regenaid.decide.intake import HEALTH_FLAGS
from regenaid.errors import InvalidInputError
from regenaid.knowledge import load_knowledge
from regenaid.plan import add_months

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
KB = load_knowledge()
AGA = "androgenetic_alopecia"


def patient(**changes: object):  # type: ignore[no-untyped-def]
    fields: dict[str, object] = {
        "clinic_id": "c1",
        "given_name": "  Ana  Maria ",
        "family_name": "Silva",
        "birth_date": date(1985, 3, 1),
        "sex": "female",
        "phone": "+44 20 7946 0000",
        "email": "Ana@Example.org",
        "created_by": "s1",
        "now": NOW,
    }
    fields.update(changes)
    return new_patient(**fields)  # type: ignore[arg-type]


def test_patient_fields_are_cleaned() -> None:
    p = patient()
    assert p.given_name == "Ana Maria"
    assert p.email == "ana@example.org"
    assert p.age_on(date(2026, 2, 28)) == 40
    assert p.age_on(date(2026, 3, 1)) == 41
    assert len(p.id) == 22


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"given_name": "   "}, "given_name"),
        ({"family_name": "x" * 101}, "family_name"),
        ({"family_name": "a\x00b"}, "family_name"),
        ({"birth_date": date(2027, 1, 1)}, "birth_date"),
        ({"birth_date": date(1880, 1, 1)}, "birth_date"),
        ({"sex": "f"}, "sex"),
        ({"phone": "call me"}, "phone"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_bad_patient_fields_are_named(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        patient(**changes)
    assert err.value.field == field


def test_edit_patient_checks_and_limits_fields() -> None:
    p = patient()
    assert edit_patient(p, {"phone": "0123 456 789"}, NOW).phone == "0123 456 789"
    with pytest.raises(InvalidInputError) as err:
        edit_patient(p, {"clinic_id": "c2"}, NOW)
    assert err.value.field == "clinic_id"
    with pytest.raises(InvalidInputError) as err:
        edit_patient(p, {"email": "x"}, NOW)
    assert err.value.field == "email"


def test_health_answers_cover_every_flag_and_refuse_unknown_ones() -> None:
    answers = record_health(
        clinic_id="c1", patient_id="p", flags={"anticoagulant": True}, recorded_by="s", now=NOW
    )
    assert set(answers.flags) == set(HEALTH_FLAGS)
    assert answers.flags["anticoagulant"] is True
    assert sum(answers.flags.values()) == 1
    with pytest.raises(InvalidInputError) as err:
        record_health(
            clinic_id="c1", patient_id="p", flags={"smoker": True}, recorded_by="s", now=NOW
        )
    assert err.value.field == "health.smoker"
    with pytest.raises(InvalidInputError):
        record_health(
            clinic_id="c1", patient_id="p", flags={"anemia": "yes"}, recorded_by="s", now=NOW
        )


def test_consent_versions_digest_and_withdrawal_is_kept() -> None:
    p = patient()
    v1 = new_consent_form(
        clinic_id="c1",
        procedure="prp",
        title="PRP",
        text="I understand " * 3,
        earlier=[],
        created_by="s",
        now=NOW,
    )
    v2 = new_consent_form(
        clinic_id="c1",
        procedure="prp",
        title="PRP",
        text="I understand the risks " * 2,
        earlier=[v1],
        created_by="s",
        now=NOW,
    )
    assert (v1.version, v2.version) == (1, 2)
    assert v1.digest != v2.digest and len(v2.digest) == 64
    first = take_consent(patient=p, form=v1, taken_by="s2", now=NOW)
    second = take_consent(patient=p, form=v2, taken_by="s2", now=NOW + timedelta(days=1))
    assert (second.form_version, second.taken_by) == (2, "s2")
    assert active_consent([first, second], "prp") == second
    gone = withdraw_consent(second, by="s3", note="changed her mind", now=NOW + timedelta(days=2))
    assert not gone.active and gone.withdrawn_by == "s3" and gone.form_digest == second.form_digest
    assert active_consent([first, gone], "prp") == first
    with pytest.raises(RefusedError) as refused:
        withdraw_consent(gone, by="s3", note="", now=NOW)
    assert refused.value.code == "consent_already_withdrawn"
    assert active_consent([first, gone], "exosome") is None
    with pytest.raises(InvalidInputError) as err:
        new_consent_form(
            clinic_id="c1",
            procedure="botox",
            title="x",
            text="y" * 30,
            earlier=[],
            created_by="s",
            now=NOW,
        )
    assert err.value.field == "procedure"


def course(**changes: object):  # type: ignore[no-untyped-def]
    fields: dict[str, object] = {
        "patient": patient(),
        "condition": AGA,
        "treatment": "prp",
        "start": date(2026, 12, 7),
        "horizon_months": 12,
        "severity": "moderate",
        "attached_intake": None,
        "attached_result_id": None,
        "created_by": "s1",
        "now": NOW,
    }
    fields.update(changes)
    return plan_course(KB, **fields)  # type: ignore[arg-type]


def test_course_sessions_follow_the_protocol() -> None:
    # KB protocol for PRP in pattern hair loss: 3-5 sessions 4-6 weeks apart (Gupta 2019 and
    # others), maintenance every 3-6 months; the clinic course starts with a consultation.
    made, plan, sessions = course()
    kinds = [s.kind for s in sessions]
    assert kinds[0] == "consultation"
    initial = [s for s in sessions if s.kind == "initial"]
    assert len(initial) == 3
    gaps = [(b.planned - a.planned).days for a, b in itertools.pairwise(initial)]
    assert all(28 <= g <= 42 for g in gaps)
    assert all(s.planned < add_months(date(2026, 12, 7), 12) for s in sessions)
    assert [s.number for s in sessions[1:]] == [s.number for s in plan.sessions]
    assert made.protocol_sources and all(s.status == "planned" for s in sessions)
    assert made.intake["severity"] == "moderate"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"condition": "baldness"}, "condition"),
        ({"treatment": "conventional"}, "treatment"),
        ({"severity": None}, "severity"),
        ({"attached_intake": {"condition": "acne_scars"}}, "condition"),
    ],
)
def test_course_refusals_name_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        course(**changes)
    assert err.value.field == field


def _form_and_consent(p):  # type: ignore[no-untyped-def]
    form = new_consent_form(
        clinic_id="c1",
        procedure="prp",
        title="PRP",
        text="consent text " * 3,
        earlier=[],
        created_by="s",
        now=NOW,
    )
    return take_consent(patient=p, form=form, taken_by="s", now=NOW)


def test_screening_at_the_session_uses_current_health() -> None:
    p = patient()
    made, _, _ = course(patient=p)
    consent = _form_and_consent(p)
    well = {name: False for name in HEALTH_FLAGS}
    ok = screen_for_session(KB, made, p, well, date(2026, 12, 7))
    check_can_record(ok, [consent], made)  # nothing raised

    on_warfarin = screen_for_session(KB, made, p, {**well, "anticoagulant": True}, NOW.date())
    with pytest.raises(RefusedError) as refused:
        check_can_record(on_warfarin, [consent], made)
    assert refused.value.code == "contraindicated"
    assert "(" in refused.value.reason  # the reason carries its source ids
    with pytest.raises(RefusedError) as cited:
        check_can_record(on_warfarin, [consent], made, KB)
    # with the knowledge base the sources read by author and year or title, not by their ids
    ids = [s for r in on_warfarin.reasons for s in r.sources]
    assert ids and not any(
        f"({i}" in cited.value.reason or f"; {i}" in cited.value.reason for i in ids
    )
    assert all(
        KB.sources[i].title[:20] in cited.value.reason for i in ids if not KB.sources[i].authors
    )

    pregnant = screen_for_session(
        KB, made, p, {**well, "pregnant_or_breastfeeding": True}, NOW.date()
    )
    with pytest.raises(RefusedError) as refused:
        check_can_record(pregnant, [consent], made)
    assert refused.value.code == "deferred"
    assert "after pregnancy" in refused.value.reason

    with pytest.raises(RefusedError) as refused:
        check_can_record(ok, [withdraw_consent(consent, by="s", note="", now=NOW)], made)
    assert refused.value.code == "consent_missing"

    with pytest.raises(RefusedError) as refused:
        screen_for_session(KB, made, p, None, NOW.date())
    assert refused.value.code == "health_unknown"


def test_session_outcomes() -> None:
    _, _, sessions = course()
    first = sessions[1]
    done = record_done(first, on=NOW.date(), by="s2", now=NOW)
    assert (done.status, done.recorded_by, done.on) == ("done", "s2", NOW.date())
    with pytest.raises(RefusedError):
        record_done(done, on=NOW.date(), by="s2", now=NOW)
    with pytest.raises(InvalidInputError) as err:
        record_done(first, on=NOW.date() + timedelta(days=1), by="s2", now=NOW)
    assert err.value.field == "on"
    assert record_missed(first, by="s", now=NOW).status == "missed"
    inside = record_moved(first, to=first.latest, by="s", now=NOW)
    assert inside.status == "moved" and inside.on == first.latest
    with pytest.raises(RefusedError) as refused:
        record_moved(first, to=first.latest + timedelta(days=1), by="s", now=NOW)
    assert refused.value.field == "note"
    late = record_moved(
        first, to=first.latest + timedelta(days=1), by="s", now=NOW, note="patient travelling"
    )
    assert late.note == "patient travelling"
