"""What the clinic API refuses and how: 409 with the rule's code (and nothing written), 422
naming the field path, 401 without a session, 403 without the session's CSRF token."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pyotp
import pytest
from clinic_api_endpoints import SPECS, Ctx
from clinic_api_world import INTAKE, PASSWORD, Call, StaffClient, World, lot_values, prp_body, today

from regenaid.clinic.ids import new_id
from regenaid.store import SqlUnitOfWork, save_result


def _refusal(answer: Any, code: str, field: str | None = None) -> None:
    assert answer.status_code == 409, answer.text
    body = answer.json()
    assert body["code"] == code, body
    assert body["reason"]
    if field is not None:
        assert body["field"] == field, body


def _invalid(answer: Any, loc: list[Any]) -> dict[str, Any]:
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"][0]
    assert detail["loc"] == loc, detail
    assert detail["field"] == ".".join(str(part) for part in loc[1:]), detail
    return detail


# --- 409: rules ------------------------------------------------------------------------------


def test_prp_on_warfarin_is_contraindicated_and_nothing_is_written(world: World) -> None:
    side, nurse = world.a, world.a.clients["nurse"]
    patient, session = side.session_with_patient("prp", anticoagulant=True)
    before = _records(world)
    answer = nurse.send(Call("POST", f"/sessions/{session.id}/prp", prp_body(None)))
    _refusal(answer, "contraindicated")
    assert "blood thinner" in answer.json()["reason"].lower(), answer.json()
    assert _records(world) == before
    records = nurse.send(Call("GET", f"/patients/{patient.id}/prp-records")).json()
    assert records["items"] == []


def test_a_session_without_consent_is_refused(world: World) -> None:
    side = world.a
    _, sessions = side.course("prp", side.patient())
    session = next(s for s in sessions if s.kind == "initial")
    answer = side.clients["clinician"].send(
        Call("POST", f"/sessions/{session.id}/done", {"on": today().isoformat()})
    )
    _refusal(answer, "consent_missing", "consent")


def test_an_expired_lot_is_refused(world: World) -> None:
    side, nurse = world.a, world.a.clients["nurse"]
    yesterday = today() - timedelta(days=1)
    lot = side.lot(expiry_date=yesterday.isoformat())
    session = side.treatment_session("exosome")
    body = {"lot_id": lot.id, "quantity": 1, "route": "topical", "on": today().isoformat()}
    answer = nurse.send(Call("POST", f"/sessions/{session.id}/exosome", body))
    _refusal(answer, "lot_expired", "lot_id")
    left = nurse.send(Call("GET", f"/lots/{lot.id}")).json()["quantity_left"]
    assert Decimal(left) == 10


def test_a_recalled_lot_is_refused(world: World) -> None:
    side = world.a
    lot = side.lot()
    recalled = side.clients["admin"].send(
        Call("POST", f"/lots/{lot.id}/recall", {"reason": "maker's recall notice"})
    )
    assert recalled.status_code == 200 and recalled.json()["recalled_at"]
    again = side.clients["admin"].send(Call("POST", f"/lots/{lot.id}/recall", {"reason": "x"}))
    _refusal(again, "lot_already_recalled")
    session = side.treatment_session("exosome")
    body = {"lot_id": lot.id, "quantity": 1, "route": "topical", "on": today().isoformat()}
    answer = side.clients["nurse"].send(Call("POST", f"/sessions/{session.id}/exosome", body))
    _refusal(answer, "lot_recalled", "lot_id")


def test_an_off_label_route_needs_an_override_reason(world: World) -> None:
    side, nurse = world.a, world.a.clients["nurse"]
    lot = side.lot(labelled_routes=["topical"])
    session = side.treatment_session("exosome")
    body = {"lot_id": lot.id, "quantity": 2, "route": "microneedling", "on": today().isoformat()}
    path = f"/sessions/{session.id}/exosome"
    _refusal(nurse.send(Call("POST", path, body)), "route_override_needed", "override_reason")
    reason = {"override_reason": "clinician's decision after discussing the label"}
    use = nurse.send(Call("POST", path, {**body, **reason}))
    assert use.status_code == 201, use.text
    assert use.json()["override"] is True
    assert Decimal(nurse.send(Call("GET", f"/lots/{lot.id}")).json()["quantity_left"]) == 8
    trail = side.clients["admin"].send(Call("GET", "/audit")).json()
    assert any(
        e["action"] == "override" and e["record_id"] == use.json()["id"] for e in trail["items"]
    )
    assert trail["verification"]["ok"] is True


def test_an_outdated_consent_text_is_refused(world: World) -> None:
    side, clinician = world.a, world.a.clients["clinician"]
    # "combination": the world's own forms (prp, exosome, records) must stay the newest
    text = "What PRP with exosomes involves, its risks and the alternatives, version {}."
    forms = [
        clinician.send(
            Call(
                "POST",
                "/consent-forms",
                {"procedure": "combination", "title": "PRP and EVs", "text": text.format(n)},
            )
        ).json()
        for n in (1, 2)
    ]
    assert forms[1]["version"] == forms[0]["version"] + 1
    patient = side.patient()
    old = Call("POST", f"/patients/{patient.id}/consents", {"form_id": forms[0]["id"]})
    _refusal(clinician.send(old), "consent_form_outdated", "form_id")
    new = Call("POST", f"/patients/{patient.id}/consents", {"form_id": forms[1]["id"]})
    assert clinician.send(new).status_code == 201


def test_a_session_moved_outside_its_window_needs_a_note(world: World) -> None:
    side = world.a
    session = side.treatment_session("exosome")
    far = (session.latest + timedelta(days=30)).isoformat()
    path = f"/sessions/{session.id}/moved"
    reception = side.clients["reception"]
    _refusal(reception.send(Call("POST", path, {"to": far})), "outside_window", "note")
    moved = reception.send(Call("POST", path, {"to": far, "note": "patient abroad"}))
    assert moved.status_code == 200 and moved.json()["status"] == "moved"


def test_an_admin_cannot_deactivate_themselves(world: World) -> None:
    admin = world.a.accounts["admin"]
    answer = world.a.clients["admin"].send(Call("POST", f"/staff/{admin.id}/deactivation"))
    _refusal(answer, "self_deactivation")


# --- 422: the field path ---------------------------------------------------------------------


def test_invalid_input_names_the_field_path(world: World) -> None:
    side = world.a
    clinician, admin = side.clients["clinician"], side.clients["admin"]
    patient = side.patient()
    session = side.treatment_session("prp")
    prp = f"/sessions/{session.id}/prp"

    # the request's own schema (pydantic)
    _invalid(
        clinician.send(Call("POST", "/patients", {"given_name": "Ann"})), ["body", "family_name"]
    )
    spin = {"rpm": "3000", "minutes": 10}
    body = prp_body(None, spins=[{"rcf_g": 300.0, "minutes": 5.0}, spin])
    _invalid(clinician.send(Call("POST", prp, body)), ["body", "spins", 1, "rpm"])
    unknown = Call("PUT", f"/patients/{patient.id}/health", {"warfarin": True})
    _invalid(clinician.send(unknown), ["body", "warfarin"])
    nasal = admin.send(Call("POST", "/lots", lot_values(labelled_routes=["nasal"])))
    detail = _invalid(nasal, ["body", "labelled_routes", 0])
    assert "microneedling" in detail["allowed"]
    _invalid(admin.send(Call("GET", "/audit", params={"head": "seq=1"})), ["query", "head"])
    _invalid(clinician.send(Call("GET", "/patients/not-an-id")), ["path", "patient_id"])
    malformed = clinician.http.post(
        "/api/v1/clinic/patients",
        content=b'{"given_name": ',
        headers={"content-type": "application/json", "X-CSRF-Token": clinician.csrf or ""},
    )
    assert malformed.status_code == 422 and "malformed JSON" in malformed.json()["detail"][0]["msg"]

    # the clinic's own rules, named the same way
    future = {"given_name": "A", "family_name": "B", "birth_date": "2999-01-01", "sex": "female"}
    _invalid(clinician.send(Call("POST", "/patients", future)), ["body", "birth_date"])
    both = prp_body(None, spins=[{"rcf_g": 300.0, "rpm": 1600.0, "minutes": 5.0}])
    _invalid(clinician.send(Call("POST", prp, both)), ["body", "spins", 0, "rpm"])
    fast = prp_body(
        None, spins=[{"rcf_g": 300.0, "minutes": 5.0}, {"rpm": 30000.0, "minutes": 5.0}]
    )
    _invalid(clinician.send(Call("POST", prp, fast)), ["body", "spins", 1, "rpm"])
    too_much = prp_body(None, final_volume_ml=70.0, injected_volume_ml=None)
    _invalid(clinician.send(Call("POST", prp, too_much)), ["body", "final_volume_ml"])
    backwards = {
        "name": "Backwards",
        "spins": [{"rcf_g": {"low": 400, "high": 300}, "minutes": {"low": 5, "high": 6}}],
    }
    _invalid(
        clinician.send(Call("POST", "/prp-protocols", backwards)),
        ["body", "spins", 0, "rcf_g", "low"],
    )
    bruise = {
        "patient_id": patient.id,
        "term_id": "bruising",
        "grade": 4,
        "onset": "2026-01-01T10:00:00+00:00",
        "outcome": "recovered",
    }
    detail = _invalid(clinician.send(Call("POST", "/adverse-events", bruise)), ["body", "grade"])
    assert detail["allowed"] == ["1", "2"]
    naive = prp_body(None, drawn_at="2026-01-01T10:00:00")
    _invalid(clinician.send(Call("POST", prp, naive)), ["body", "drawn_at"])
    # nothing of the above was written
    course = clinician.send(Call("GET", f"/courses/{session.course_id}")).json()
    assert {s["id"]: s["status"] for s in course["sessions"]}[session.id] == "planned"


# --- 401 and 403 -----------------------------------------------------------------------------


SIGNED_IN = [s for s in SPECS if s.key != ("POST", "/session")]


@pytest.mark.parametrize("item", SIGNED_IN, ids=lambda s: f"{s.method} {s.path}")
def test_every_endpoint_wants_a_session(world: World, item: Any) -> None:
    call = item.prepare(Ctx(world, world.a, world.a, "clinician"))
    anonymous = world.anonymous()
    answer = anonymous.send(call)
    assert answer.status_code == 401, answer.text
    assert answer.json()["detail"][0]["type"] == "not_signed_in"
    forged = world.anonymous()
    forged.http.cookies.set("regenaid_staff", new_id() + new_id())
    assert forged.send(call).status_code == 401


def test_a_session_waiting_for_its_second_factor_reaches_nothing(world: World) -> None:
    pending = world.sign_in_only(world.a.add_account("admin"))
    assert pending.answer["second_factor_needed"] is True
    assert pending.send(Call("GET", "/me")).status_code == 401
    assert pending.send(Call("GET", "/staff")).status_code == 401
    wrong = pending.send(Call("POST", "/session/second-factor", {"code": "000000"}))
    _refusal(wrong, "totp_not_enrolled")
    secret = pending.answer["totp_enrolment"]["secret"]
    bad_code = pending.send(
        Call("POST", "/session/second-factor", {"code": "12345", "new_secret": secret})
    )
    _refusal(bad_code, "totp_code_refused", "code")
    no_csrf = Call("POST", "/session/second-factor", {"code": pyotp.TOTP(secret).now()}, csrf=False)
    assert pending.send(no_csrf).status_code == 403


def test_signing_out_ends_the_session(world: World) -> None:
    client = world.direct_client(world.a.accounts["nurse"])
    assert client.send(Call("GET", "/me")).status_code == 200
    assert client.send(Call("DELETE", "/session")).status_code == 204
    assert client.send(Call("GET", "/me")).status_code == 401


def test_sign_in_refusals_look_the_same_and_are_throttled(world: World) -> None:
    anonymous = world.anonymous()
    known = world.a.accounts["nurse"].email
    attempts = [
        anonymous.send(Call("POST", "/session", {"email": email, "password": "wrong password!!"}))
        for email in (known, "nobody@nowhere.example.org")
    ]
    for answer in attempts:
        assert answer.status_code == 401
        assert answer.json() == {
            "code": "sign_in_refused",
            "reason": "email or password not recognised",
            "field": None,
        }
    for _ in range(5):
        anonymous.send(Call("POST", "/session", {"email": known, "password": "wrong password!!"}))
    throttled = anonymous.send(Call("POST", "/session", {"email": known, "password": PASSWORD}))
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"


def _records(world: World) -> dict[str, Any]:
    """Clinic A's stored rows except its sessions (each request slides a session's idle time)."""
    rows = world.dump(world.a.id)
    del rows["staff_sessions"]
    return rows


WRITES = [s for s in SPECS if s.method != "GET" and s.key != ("POST", "/session")]


@pytest.mark.parametrize("item", WRITES, ids=lambda s: f"{s.method} {s.path}")
def test_every_write_wants_the_csrf_token(world: World, item: Any) -> None:
    for role in ("admin", "clinician"):
        call = item.prepare(Ctx(world, world.a, world.a, role))
        sender: StaffClient = call.client or world.a.clients[role]
        before = _records(world)
        missing = sender.send(Call(call.method, call.path, call.json, call.params, csrf=False))
        assert missing.status_code == 403, missing.text
        assert missing.json() == {"detail": "csrf"}
        wrong = StaffClient(sender.http, csrf=new_id()).send(call)
        assert wrong.status_code == 403
        assert _records(world) == before


# --- attaching a saved decision-aid result ---------------------------------------------------


def test_a_saved_result_is_attached_by_its_link(world: World) -> None:
    side, clinician = world.a, world.a.clients["clinician"]
    patient = side.patient(anemia=True)
    path = f"/patients/{patient.id}/results"
    attached = clinician.send(Call("POST", path, {"token": world.saved_result_token()}))
    assert attached.status_code == 201, attached.text
    assert attached.json()["intake"]["condition"] == "androgenetic_alopecia"
    chart = clinician.send(Call("GET", f"/patients/{patient.id}")).json()
    assert chart["health"]["flags"]["anemia"] is False  # the result's answers are current now
    assert [r["id"] for r in chart["results"]] == [attached.json()["id"]]

    unknown = clinician.send(Call("POST", path, {"token": "A" * 43}))
    _invalid(unknown, ["body", "token"])
    _invalid(clinician.send(Call("POST", path, {"token": "short"})), ["body", "token"])


@pytest.mark.parametrize(
    ("intake", "assessment"),
    [
        ({"concern": "hair"}, {"contract": "regenaid.assessment/1"}),  # answers no longer valid
        (None, {"contract": "regenaid.assessment/0"}),  # another contract
    ],
)
def test_a_result_the_aid_no_longer_reads_is_refused(
    world: World, intake: dict[str, Any] | None, assessment: dict[str, Any]
) -> None:
    token = save_result(SqlUnitOfWork(world.factory), intake or INTAKE, assessment)
    patient = world.a.patient()
    answer = world.a.clients["clinician"].send(
        Call("POST", f"/patients/{patient.id}/results", {"token": token})
    )
    _refusal(answer, "result_not_current", "token")


# --- odds and ends ---------------------------------------------------------------------------


def test_a_correction_cannot_blank_a_name(world: World) -> None:
    patient = world.a.patient()
    path = f"/patients/{patient.id}"
    clerk = world.a.clients["reception"]
    _invalid(clerk.send(Call("PATCH", path, {"given_name": None})), ["body", "given_name"])
    cleared = clerk.send(Call("PATCH", path, {"email": None}))
    assert cleared.status_code == 200 and cleared.json()["email"] is None
    assert cleared.json()["given_name"] == patient.given_name


def test_a_wrong_method_lists_every_method_of_the_path(world: World) -> None:
    http = world.a.clients["clinician"].http
    for path, allowed in (("/session", "DELETE, POST"), ("/patients", "GET, POST")):
        answer = http.put(f"/api/v1/clinic{path}")
        assert answer.status_code == 405
        assert answer.headers["allow"] == allowed


@pytest.mark.parametrize("method", ["GET", "PATCH", "POST", "DELETE"])
def test_an_empty_id_is_not_found_not_redirected(world: World, method: str) -> None:
    """``/patients/`` (an id left empty) would otherwise be redirected to ``/patients``."""
    http = world.a.clients["clinician"].http
    for path in ("/patients/", "/lots/", "/staff/"):
        answer = http.request(method, f"/api/v1/clinic{path}", follow_redirects=False)
        assert answer.status_code == 404, (method, path)


def test_values_the_store_cannot_keep_are_invalid_input(world: World) -> None:
    """Found by the signed-in fuzz run: a time that overflows once taken to UTC, and a
    quantity finer or larger than the store's NUMERIC(12, 3), were a 500 (or a silent
    rounding to 0); they are 422 naming the field."""
    side, clinician = world.a, world.a.clients["clinician"]
    session = side.treatment_session("prp")
    late = prp_body(None, drawn_at="9999-12-31T23:59:59-23:59", ready_at=None, injected_at=None)
    _invalid(
        clinician.send(Call("POST", f"/sessions/{session.id}/prp", late)), ["body", "drawn_at"]
    )
    lot = side.lot()
    exosome = side.treatment_session("exosome")
    for quantity in ("0.0001", "1000000000"):
        body = {
            "lot_id": lot.id,
            "quantity": quantity,
            "route": "topical",
            "on": today().isoformat(),
        }
        answer = clinician.send(Call("POST", f"/sessions/{exosome.id}/exosome", body))
        _invalid(answer, ["body", "quantity"])
