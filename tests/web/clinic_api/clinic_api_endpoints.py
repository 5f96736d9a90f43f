"""Every endpoint of the clinic API as a request that would succeed for a role allowed to
make it, built on fresh records, and the status each role must get: the permission matrix,
written out by hand (not computed from ``regenaid.clinic.access.PERMISSIONS``).

``Spec.prepare(ctx)`` makes the records a request needs and returns the request: the records
named in its path (and ``patient_id`` of an adverse event) belong to ``ctx.owner``, those
named in its body or query (a consent form, a lot, a protocol, an attached result) to
``ctx.refs``. The cross-clinic test sends clinic A's staff requests whose owner or refs are
clinic B; the matrix test sends them with both in the caller's own clinic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyotp
from clinic_api_world import (
    PASSWORD,
    PREFIX,
    Call,
    Side,
    World,
    adverse_body,
    jpeg,
    lot_values,
    prp_body,
    today,
)
from fastapi.routing import iter_route_contexts

from regenaid.clinic.accounts import new_totp_secret

# The permission matrix of the API: one row per endpoint, one column per role, the status a
# valid request in the caller's own clinic gets.
MATRIX = """
endpoint                                       admin  clinician  nurse  reception
POST   /session                                 200      200      200      200
POST   /session/second-factor                   200      200      200      200
DELETE /session                                 204      204      204      204
GET    /me                                      200      200      200      200
GET    /staff                                   200      403      403      403
POST   /staff                                   201      403      403      403
POST   /staff/{staff_id}/deactivation           200      403      403      403
GET    /audit                                   200      403      403      403
GET    /patients                                200      200      200      200
POST   /patients                                403      201      403      201
GET    /patients/{patient_id}                   200      200      200      200
PATCH  /patients/{patient_id}                   403      200      403      200
PUT    /patients/{patient_id}/health            403      200      200      403
POST   /patients/{patient_id}/results           403      201      403      403
GET    /patients/{patient_id}/prp-records       403      200      200      403
GET    /consent-forms                           200      200      200      200
POST   /consent-forms                           403      201      403      403
POST   /patients/{patient_id}/consents          403      201      403      403
POST   /consents/{consent_id}/withdrawal        403      200      200      403
POST   /patients/{patient_id}/courses           403      201      403      403
GET    /courses/{course_id}                     200      200      200      200
POST   /sessions/{session_id}/done              403      200      200      403
POST   /sessions/{session_id}/missed            403      200      200      200
POST   /sessions/{session_id}/moved             403      200      200      200
POST   /sessions/{session_id}/prp               403      201      201      403
POST   /sessions/{session_id}/exosome           403      201      201      403
GET    /prp-protocols                           403      200      200      403
POST   /prp-protocols                           403      201      403      403
GET    /lots                                    200      200      200      403
POST   /lots                                    201      201      403      403
GET    /lots/{lot_id}                           200      200      200      403
POST   /lots/{lot_id}/recall                    200      200      403      403
GET    /lots/{lot_id}/recall-list               200      200      200      403
GET    /adverse-events                          403      200      200      403
POST   /adverse-events                          403      201      201      403
POST   /measurements                            403      201      201      403
GET    /patients/{patient_id}/outcomes          403      200      200      403
POST   /patients/{patient_id}/photos            403      201      201      403
GET    /photos/{photo_id}                       403      200      200      403
PATCH  /photos/{photo_id}                       403      200      200      403
GET    /outcomes/cohort                         403      200      200      403
GET    /patients/{patient_id}/fhir              200      200      403      403
POST   /fhir/import                             403      201      403      403
"""


def _matrix() -> dict[tuple[str, str], dict[str, int]]:
    lines = [line.split() for line in MATRIX.strip().splitlines()]
    roles = lines[0][1:]
    return {(row[0], row[1]): dict(zip(roles, map(int, row[2:]), strict=True)) for row in lines[1:]}


EXPECTED: dict[tuple[str, str], dict[str, int]] = _matrix()


@dataclass
class Ctx:
    world: World
    owner: Side
    refs: Side
    role: str


@dataclass(frozen=True)
class Spec:
    method: str
    path: str
    prepare: Callable[[Ctx], Call]
    owned: bool = False  # names records of ``owner``
    refers: bool = False  # names records of ``refs``

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


SPECS: list[Spec] = []


def spec(method: str, path: str, *, owned: bool = False, refers: bool = False) -> Any:
    def register(prepare: Callable[[Ctx], Call]) -> Callable[[Ctx], Call]:
        SPECS.append(Spec(method, path, prepare, owned, refers))
        return prepare

    return register


# --- session and staff ------------------------------------------------------------------------


@spec("POST", "/session")
def _sign_in(ctx: Ctx) -> Call:
    account = ctx.owner.accounts[ctx.role]
    anonymous = ctx.world.anonymous()
    return Call(
        "POST", "/session", {"email": account.email, "password": PASSWORD}, client=anonymous
    )


@spec("POST", "/session/second-factor")
def _second_factor(ctx: Ctx) -> Call:
    # a fresh account: admins finish signing in by enrolling, the others enrol voluntarily
    client = ctx.world.sign_in_only(ctx.owner.add_account(ctx.role))
    secret = new_totp_secret()
    body = {"code": pyotp.TOTP(secret).now(), "new_secret": secret}
    return Call("POST", "/session/second-factor", body, client=client)


@spec("DELETE", "/session")
def _sign_out(ctx: Ctx) -> Call:
    return Call("DELETE", "/session", client=ctx.world.direct_client(ctx.owner.accounts[ctx.role]))


@spec("GET", "/me")
def _me(ctx: Ctx) -> Call:
    return Call("GET", "/me")


@spec("GET", "/staff")
def _staff(ctx: Ctx) -> Call:
    return Call("GET", "/staff")


@spec("POST", "/staff")
def _add_staff(ctx: Ctx) -> Call:
    email = f"new{ctx.owner.unique()}-{ctx.role}@{ctx.owner.name.lower()}.example.org"
    body = {"email": email, "display_name": "New Nurse", "role": "nurse", "password": PASSWORD}
    return Call("POST", "/staff", body)


@spec("POST", "/staff/{staff_id}/deactivation", owned=True)
def _deactivate(ctx: Ctx) -> Call:
    return Call("POST", f"/staff/{ctx.owner.add_account('nurse').id}/deactivation")


@spec("GET", "/audit")
def _audit(ctx: Ctx) -> Call:
    return Call("GET", "/audit")


# --- patients and consent ---------------------------------------------------------------------


@spec("GET", "/patients")
def _patients(ctx: Ctx) -> Call:
    return Call("GET", "/patients")


@spec("POST", "/patients")
def _register(ctx: Ctx) -> Call:
    body = {
        "given_name": "Nia",
        "family_name": f"New{ctx.owner.name}",
        "birth_date": "1990-06-15",
        "sex": "female",
        "phone": "+44 20 7946 0001",
    }
    return Call("POST", "/patients", body)


@spec("GET", "/patients/{patient_id}", owned=True)
def _chart(ctx: Ctx) -> Call:
    return Call("GET", f"/patients/{ctx.owner.patient().id}")


@spec("PATCH", "/patients/{patient_id}", owned=True)
def _edit(ctx: Ctx) -> Call:
    return Call("PATCH", f"/patients/{ctx.owner.patient().id}", {"phone": "+44 20 7946 0999"})


@spec("PUT", "/patients/{patient_id}/health", owned=True)
def _health(ctx: Ctx) -> Call:
    return Call("PUT", f"/patients/{ctx.owner.patient().id}/health", {"anemia": True})


@spec("POST", "/patients/{patient_id}/results", owned=True)
def _attach(ctx: Ctx) -> Call:
    body = {"token": ctx.world.saved_result_token()}
    return Call("POST", f"/patients/{ctx.owner.patient().id}/results", body)


@spec("GET", "/patients/{patient_id}/prp-records", owned=True)
def _prp_records(ctx: Ctx) -> Call:
    return Call("GET", f"/patients/{ctx.owner.prp_record().patient_id}/prp-records")


@spec("GET", "/consent-forms")
def _forms(ctx: Ctx) -> Call:
    return Call("GET", "/consent-forms")


@spec("POST", "/consent-forms")
def _add_form(ctx: Ctx) -> Call:
    body = {
        "procedure": "combination",
        "title": "Combination consent",
        "text": "PRP and exosome treatment together: what it involves and its risks.",
    }
    return Call("POST", "/consent-forms", body)


@spec("POST", "/patients/{patient_id}/consents", owned=True, refers=True)
def _consent(ctx: Ctx) -> Call:
    form = ctx.refs.form("records")
    return Call("POST", f"/patients/{ctx.owner.patient().id}/consents", {"form_id": form.id})


@spec("POST", "/consents/{consent_id}/withdrawal", owned=True)
def _withdraw(ctx: Ctx) -> Call:
    return Call("POST", f"/consents/{ctx.owner.consent()}/withdrawal", {"note": "moved away"})


# --- courses and sessions ---------------------------------------------------------------------


@spec("POST", "/patients/{patient_id}/courses", owned=True, refers=True)
def _start_course(ctx: Ctx) -> Call:
    patient = ctx.owner.patient()
    holder = patient if ctx.refs is ctx.owner else ctx.refs.patient()
    body = {
        "condition": "androgenetic_alopecia",
        "treatment": "prp",
        "start": today().isoformat(),
        "horizon_months": 12,
        "attached_result_id": ctx.refs.attached_result(holder),
    }
    return Call("POST", f"/patients/{patient.id}/courses", body)


@spec("GET", "/courses/{course_id}", owned=True)
def _course(ctx: Ctx) -> Call:
    course_id, _ = ctx.owner.course("prp")
    return Call("GET", f"/courses/{course_id}")


@spec("POST", "/sessions/{session_id}/done", owned=True)
def _done(ctx: Ctx) -> Call:
    session = ctx.owner.treatment_session("prp")
    return Call("POST", f"/sessions/{session.id}/done", {"on": today().isoformat()})


@spec("POST", "/sessions/{session_id}/missed", owned=True)
def _missed(ctx: Ctx) -> Call:
    session = ctx.owner.treatment_session("exosome")
    return Call("POST", f"/sessions/{session.id}/missed", {"note": "did not come"})


@spec("POST", "/sessions/{session_id}/moved", owned=True)
def _moved(ctx: Ctx) -> Call:
    session = ctx.owner.treatment_session("exosome")
    return Call("POST", f"/sessions/{session.id}/moved", {"to": session.latest.isoformat()})


# --- PRP and exosome lots ---------------------------------------------------------------------


@spec("POST", "/sessions/{session_id}/prp", owned=True, refers=True)
def _prp(ctx: Ctx) -> Call:
    session = ctx.owner.treatment_session("prp")
    return Call("POST", f"/sessions/{session.id}/prp", prp_body(ctx.refs.protocol().id))


@spec("POST", "/sessions/{session_id}/exosome", owned=True, refers=True)
def _exosome(ctx: Ctx) -> Call:
    session = ctx.owner.treatment_session("exosome")
    body = {
        "lot_id": ctx.refs.lot().id,
        "quantity": 1,
        "route": "microneedling",
        "on": today().isoformat(),
    }
    return Call("POST", f"/sessions/{session.id}/exosome", body)


@spec("GET", "/prp-protocols")
def _protocols(ctx: Ctx) -> Call:
    return Call("GET", "/prp-protocols")


@spec("POST", "/prp-protocols")
def _save_protocol(ctx: Ctx) -> Call:
    body = {
        "name": "Single spin",
        "spins": [{"rcf_g": {"low": 300, "high": 400}, "minutes": {"low": 8, "high": 10}}],
        "final_volume_ml": {"low": 4, "high": 8},
    }
    return Call("POST", "/prp-protocols", body)


@spec("GET", "/lots")
def _lots(ctx: Ctx) -> Call:
    return Call("GET", "/lots")


@spec("POST", "/lots")
def _receive_lot(ctx: Ctx) -> Call:
    return Call("POST", "/lots", lot_values())


@spec("GET", "/lots/{lot_id}", owned=True)
def _lot(ctx: Ctx) -> Call:
    return Call("GET", f"/lots/{ctx.owner.lot().id}")


@spec("POST", "/lots/{lot_id}/recall", owned=True)
def _recall(ctx: Ctx) -> Call:
    return Call("POST", f"/lots/{ctx.owner.lot().id}/recall", {"reason": "maker's notice"})


@spec("GET", "/lots/{lot_id}/recall-list", owned=True)
def _recall_list(ctx: Ctx) -> Call:
    return Call("GET", f"/lots/{ctx.owner.used_lot().id}/recall-list")


# --- adverse events ---------------------------------------------------------------------------


@spec("GET", "/adverse-events", owned=True)
def _events(ctx: Ctx) -> Call:
    return Call("GET", "/adverse-events", params={"patient_id": ctx.owner.patient().id})


@spec("POST", "/adverse-events", owned=True, refers=True)
def _report(ctx: Ctx) -> Call:
    patient, session = ctx.owner.session_with_patient("exosome")
    body = adverse_body(patient.id, session_id=session.id, lot_id=ctx.refs.lot().id)
    return Call("POST", "/adverse-events", body)


# --- outcomes ---------------------------------------------------------------------------------


@spec("POST", "/measurements", owned=True, refers=True)
def _measure(ctx: Ctx) -> Call:
    patient = ctx.owner.patient()
    course_id, _ = ctx.refs.course("prp", patient if ctx.refs is ctx.owner else None)
    body = {
        "patient_id": patient.id,
        "measure": "hair_density",
        "value": 150,
        "method": "phototrichogram_corrected",
        "site": "vertex",
        "site_marking": "tattoo",
        "measured_on": today().isoformat(),
        "course_id": course_id,
    }
    return Call("POST", "/measurements", body)


@spec("GET", "/patients/{patient_id}/outcomes", owned=True)
def _outcomes(ctx: Ctx) -> Call:
    return Call("GET", f"/patients/{ctx.owner.measured_patient().id}/outcomes")


@spec("POST", "/patients/{patient_id}/photos", owned=True)
def _upload_photo(ctx: Ctx) -> Call:
    return Call(
        "POST",
        f"/patients/{ctx.owner.patient().id}/photos",
        files={"photo": ("scalp.jpg", jpeg(), "image/jpeg")},
        data={"view": "vertex", "taken_on": today().isoformat()},
    )


@spec("GET", "/photos/{photo_id}", owned=True)
def _photo(ctx: Ctx) -> Call:
    return Call("GET", f"/photos/{ctx.owner.photo().id}")


@spec("PATCH", "/photos/{photo_id}", owned=True)
def _photo_consent(ctx: Ctx) -> Call:
    return Call("PATCH", f"/photos/{ctx.owner.photo().id}", {"marketing_consent": True})


@spec("GET", "/outcomes/cohort")
def _cohort(ctx: Ctx) -> Call:
    return Call("GET", "/outcomes/cohort", params={"measure": "hair_density"})


# --- FHIR -------------------------------------------------------------------------------------


@spec("GET", "/patients/{patient_id}/fhir", owned=True)
def _fhir_export(ctx: Ctx) -> Call:
    return Call("GET", f"/patients/{ctx.owner.patient().id}/fhir")


@spec("POST", "/fhir/import")
def _fhir_import(ctx: Ctx) -> Call:
    from regenaid.clinic import fhir_services

    owner = ctx.owner
    bundle = fhir_services.export_patient_fhir(owner.uow(), owner.actor(), owner.patient().id)
    return Call("POST", "/fhir/import", bundle)


NOT_AN_ENDPOINT = "/{rest:path}/"  # answers 404 to any path ending in "/" (api.py)


def clinic_routes(world: World) -> set[tuple[str, str]]:
    """(method, path below the prefix) of every clinic API route the app serves."""
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(world.app.routes):  # included routers, flattened
        path = route.path or ""
        if path.startswith(PREFIX + "/") and path != PREFIX + NOT_AN_ENDPOINT:
            for method in (route.methods or set()) - {"HEAD", "OPTIONS"}:
                found.add((method, path.removeprefix(PREFIX)))
    return found


def variants(item: Spec, a: Side, b: Side) -> list[tuple[Side, Side]]:
    """(owner, refs) pairs that name clinic ``b``'s records in a request of ``a``'s staff;
    (a, a) for an endpoint that names no record (its answer must show none of ``b``'s)."""
    if item.owned and item.refers:
        return [(b, b), (a, b), (b, a)]
    if item.owned:
        return [(b, b)]
    return [(a, a)]
