"""The clinic's tables. Column names are the field names of the records in ``regenaid.clinic``.

Rules the database can hold, it holds: every table has ``clinic_id``; every reference to
another record is a composite foreign key ``(clinic_id, x_id)``, so a row can never point at a
record of another clinic; check constraints carry the allowed values and orderings.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.sql.schema import SchemaItem

from regenaid.store.orm import Base

ID = 22  # regenaid.clinic.ids.new_id: 22 URL-safe characters
metadata = Base.metadata


def _in(column: str, values: tuple[str, ...]) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=f"{column}_allowed")


def _ref(column: str, table: str, *, nullable: bool = False) -> list[SchemaItem]:
    """``column`` (nullable or not) referencing ``table`` within the same clinic."""
    return [
        Column(column, String(ID), nullable=nullable),
        ForeignKeyConstraint(
            ["clinic_id", column], [f"{table}.clinic_id", f"{table}.id"], name=f"{column}_fk"
        ),
    ]


def record_table(name: str, *items: SchemaItem, order_by: tuple[str, ...] = ()) -> Table:
    """A table of clinic records: ``id`` (primary key), ``clinic_id``, and ``items``."""
    return Table(
        name,
        metadata,
        Column("id", String(ID), primary_key=True),
        Column("clinic_id", String(ID), ForeignKey("clinics.id"), nullable=False, index=True),
        *items,
        UniqueConstraint("clinic_id", "id", name=f"{name}_clinic_id_id"),
        info={"order_by": order_by},
    )


clinics = Table(
    "clinics",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("jurisdiction", String(2)),
)

staff_accounts = record_table(
    "staff_accounts",
    Column("email", String(254), nullable=False, unique=True),  # one account per email
    Column("display_name", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("totp_secret", String(64)),
    Column("totp_last_used_step", BigInteger),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    _in("role", ("admin", "clinician", "nurse", "reception")),
    order_by=("display_name",),
)

# server-side sign-in sessions; ``id`` is the SHA-256 of the cookie's token, never the token
staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("clinic_id", String(ID), ForeignKey("clinics.id"), nullable=False),
    Column("staff_id", String(ID), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False, index=True),
    Column("second_factor_done", Boolean, nullable=False),
    Column("csrf_token", String(64), nullable=False),
    ForeignKeyConstraint(
        ["clinic_id", "staff_id"],
        ["staff_accounts.clinic_id", "staff_accounts.id"],
        name="staff_id_fk",
        ondelete="CASCADE",
    ),
    info={"order_by": ("created_at",)},
)

# failed sign-in checks, for the throttle (``key``: the typed email's key or the address)
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(8), nullable=False),
    Column("key", String(320), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("login_failures_key_at", "kind", "key", "at"),
    _in("kind", ("email", "address")),
)

# the audit trail: one hash chain per clinic (and "system"); rows are never updated
audit_entries = Table(
    "clinic_audit",
    metadata,
    Column("chain", String(64), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("clinic_id", String(ID)),
    Column("staff_id", String(64)),
    Column("action", String(32), nullable=False),
    Column("record_kind", String(40), nullable=False),
    Column("record_id", String(64)),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("client", String(64), nullable=False),
    Column("detail", String(200), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("seq >= 1", name="seq_positive"),
)

# the newest entry of each chain: locked by every append (so appends of one clinic queue up)
# and compared at verification (so deleting the newest rows is seen)
audit_heads = Table(
    "clinic_audit_heads",
    metadata,
    Column("chain", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

patients = record_table(
    "patients",
    Column("given_name", String(100), nullable=False),
    Column("family_name", String(100), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(16), nullable=False),
    Column("phone", String(30)),
    Column("email", String(254)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(ID), nullable=False),
    _in("sex", ("female", "male", "other", "unknown")),
    order_by=("family_name", "given_name"),
)

health_answers = record_table(
    "health_answers",
    *_ref("patient_id", "patients"),
    Column("flags", JSON, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(ID), nullable=False),
    Index("health_answers_patient", "clinic_id", "patient_id", "recorded_at"),
    order_by=("recorded_at",),
)

attached_results = record_table(
    "attached_results",
    *_ref("patient_id", "patients"),
    Column("intake", JSON, nullable=False),
    Column("assessment", JSON, nullable=False),
    Column("choice", JSON(none_as_null=True)),
    Column("saved_at", DateTime(timezone=True), nullable=False),
    Column("attached_at", DateTime(timezone=True), nullable=False),
    Column("attached_by", String(ID), nullable=False),
    Index("attached_results_patient", "clinic_id", "patient_id"),
    order_by=("attached_at",),
)

PROCEDURES = ("prp", "exosome", "combination", "records")

consent_forms = record_table(
    "consent_forms",
    Column("procedure", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("title", String(100), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(ID), nullable=False),
    UniqueConstraint("clinic_id", "procedure", "version", name="consent_forms_version"),
    CheckConstraint("version >= 1", name="version_positive"),
    _in("procedure", PROCEDURES),
    order_by=("procedure", "version"),
)

consents = record_table(
    "consents",
    *_ref("patient_id", "patients"),
    Column("procedure", String(16), nullable=False),
    *_ref("form_id", "consent_forms"),
    Column("form_version", Integer, nullable=False),
    Column("form_digest", String(64), nullable=False),
    Column("taken_by", String(ID), nullable=False),
    Column("taken_at", DateTime(timezone=True), nullable=False),
    Column("withdrawn_at", DateTime(timezone=True)),
    Column("withdrawn_by", String(ID)),
    Column("withdrawal_note", String(500)),
    _in("procedure", PROCEDURES),
    CheckConstraint(
        "(withdrawn_at IS NULL) = (withdrawn_by IS NULL)", name="withdrawal_has_who_and_when"
    ),
    Index("consents_patient", "clinic_id", "patient_id"),
    order_by=("taken_at",),
)

courses = record_table(
    "courses",
    *_ref("patient_id", "patients"),
    Column("condition", String(64), nullable=False),
    Column("treatment", String(16), nullable=False),
    Column("start", Date, nullable=False),
    Column("horizon_months", Integer, nullable=False),
    Column("protocol_sources", JSON, nullable=False),
    Column("intake", JSON, nullable=False),
    *_ref("attached_result_id", "attached_results", nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(ID), nullable=False),
    _in("treatment", ("prp", "exosome", "combination")),
    CheckConstraint("horizon_months BETWEEN 1 AND 240", name="horizon_months_range"),
    Index("courses_patient", "clinic_id", "patient_id"),
    order_by=("start",),
)

course_sessions = record_table(
    "course_sessions",
    *_ref("course_id", "courses"),
    Column("number", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("planned", Date, nullable=False),
    Column("earliest", Date, nullable=False),
    Column("latest", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("on", Date),
    Column("recorded_by", String(ID)),
    Column("recorded_at", DateTime(timezone=True)),
    Column("note", String(1000)),
    UniqueConstraint("course_id", "number", "kind", name="course_sessions_number"),
    _in("kind", ("consultation", "initial", "maintenance")),
    _in("status", ("planned", "done", "moved", "missed")),
    CheckConstraint("earliest <= planned AND planned <= latest", name="planned_in_window"),
    CheckConstraint("(status = 'done') <= (\"on\" IS NOT NULL)", name="done_has_a_day"),
    Index("course_sessions_day", "clinic_id", "planned"),
    Index("course_sessions_course", "clinic_id", "course_id"),
    order_by=("planned", "number"),
)

exosome_lots = record_table(
    "exosome_lots",
    Column("product_name", String(200), nullable=False),
    Column("manufacturer", String(200), nullable=False),
    Column("manufacturer_country", String(2), nullable=False),
    Column("lot_number", String(200), nullable=False),
    Column("expiry_date", Date, nullable=False),
    Column("received_date", Date, nullable=False),
    Column("quantity_unit", String(16), nullable=False),
    Column("quantity_received", Numeric(12, 3), nullable=False),
    Column("quantity_left", Numeric(12, 3), nullable=False),
    Column("source", String(40), nullable=False),
    Column("maker_term", String(200), nullable=False),
    Column("form", String(16), nullable=False),
    Column("labelled_routes", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(ID), nullable=False),
    Column("catalogue_number", String(200)),
    Column("manufacture_date", Date),
    Column("source_detail", String(500)),
    Column("donor_eligibility", String(2000)),
    Column("separation_method", String(200)),
    Column("particle_concentration_per_ml", Float),
    Column("particle_method", String(32)),
    Column("size_mode_nm", Float),
    Column("protein_ug_per_ml", Float),
    Column("markers", JSON, nullable=False),
    Column("imaging_method", String(200)),
    Column("sterility", String(16), nullable=False),
    Column("endotoxin", String(16), nullable=False),
    Column("mycoplasma", String(16), nullable=False),
    Column("storage_min_c", Float),
    Column("storage_max_c", Float),
    Column("coa_file", String(500)),
    Column("coa_sha256", String(64)),
    Column("coa_name", String(200)),
    Column("regulatory", JSON, nullable=False),
    Column("recalled_at", DateTime(timezone=True)),
    Column("recall_reason", String(2000)),
    UniqueConstraint("clinic_id", "manufacturer", "lot_number", name="exosome_lots_lot"),
    CheckConstraint("quantity_left >= 0", name="quantity_left_not_negative"),
    CheckConstraint("quantity_left <= quantity_received", name="quantity_left_at_most_received"),
    CheckConstraint(
        "(recalled_at IS NULL) = (recall_reason IS NULL)", name="recall_has_when_and_why"
    ),
    order_by=("expiry_date", "lot_number"),
)

lot_uses = record_table(
    "lot_uses",
    *_ref("lot_id", "exosome_lots"),
    Column("used_on", Date, nullable=False),
    Column("route", String(16), nullable=False),
    Column("quantity", Numeric(12, 3), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("override", Boolean, nullable=False),
    Column("override_reason", String(1000)),
    *_ref("patient_id", "patients", nullable=True),
    *_ref("session_id", "course_sessions", nullable=True),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint("override = (override_reason IS NOT NULL)", name="override_has_reason"),
    Index("lot_uses_lot", "clinic_id", "lot_id", "used_on"),
    order_by=("used_on",),
)

adverse_events = record_table(
    "adverse_events",
    *_ref("patient_id", "patients"),
    Column("term_id", String(80), nullable=False),
    Column("grade", Integer, nullable=False),
    Column("onset", DateTime(timezone=True), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(ID), nullable=False),
    *_ref("session_id", "course_sessions", nullable=True),
    *_ref("product_lot_id", "exosome_lots", nullable=True),
    *_ref("prp_preparation_id", "prp_records", nullable=True),
    Column("term_detail", String(200)),
    Column("seriousness", JSON, nullable=False),
    Column("actions_taken", JSON, nullable=False),
    Column("resolved_on", Date),
    Column("description", String(4000)),
    CheckConstraint("grade BETWEEN 1 AND 5", name="grade_range"),
    CheckConstraint("(grade = 5) = (outcome = 'fatal')", name="grade_5_is_fatal"),
    Index("adverse_events_patient", "clinic_id", "patient_id"),
    order_by=("onset",),
)

prp_protocols = record_table(
    "prp_protocols",
    Column("protocol", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(ID), nullable=False),
    Column("retired", Boolean, nullable=False),
    order_by=("created_at",),
)

prp_records = record_table(
    "prp_records",
    *_ref("session_id", "course_sessions"),
    *_ref("patient_id", "patients"),
    Column("preparation", JSON, nullable=False),
    Column("derived", JSON, nullable=False),
    Column("formula_version", String(120), nullable=False),
    Column("concentration_factor", Float),
    Column("paw_code", String(40), nullable=False),
    Column("depa_code", String(40), nullable=False),
    *_ref("protocol_id", "prp_protocols", nullable=True),
    Column("deviations", JSON, nullable=False),
    Column("deviation_note", String(1000)),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(ID), nullable=False),
    UniqueConstraint("session_id", name="prp_records_one_per_session"),
    Index("prp_records_patient", "clinic_id", "patient_id"),
    order_by=("recorded_at",),
)

measurements = record_table(
    "measurements",
    *_ref("patient_id", "patients"),
    Column("measure", String(40), nullable=False),
    Column("value", Float, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("method", String(40), nullable=False),
    Column("site", String(100), nullable=False),
    Column("site_marking", String(16), nullable=False),
    Column("measured_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(ID), nullable=False),
    *_ref("course_id", "courses", nullable=True),
    Column("landmark", String(200)),
    Column("rater_blinded", Boolean),
    Column("note", String(1000)),
    _in("site_marking", ("tattoo", "landmark", "none")),
    Index("measurements_patient", "clinic_id", "patient_id", "measured_on"),
    Index("measurements_measure", "clinic_id", "measure", "patient_id"),
    order_by=("measured_on", "recorded_at"),
)

photos = record_table(
    "photos",
    *_ref("patient_id", "patients"),
    Column("view", String(32), nullable=False),
    Column("taken_on", Date, nullable=False),
    Column("file_key", String(64), nullable=False, unique=True),
    Column("sha256", String(64), nullable=False),
    Column("content_type", String(32), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("byte_size", Integer, nullable=False),
    Column("marketing_consent", Boolean, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(ID), nullable=False),
    *_ref("course_id", "courses", nullable=True),
    Column("note", String(500)),
    _in("content_type", ("image/jpeg", "image/png", "image/webp")),
    CheckConstraint("width > 0 AND height > 0 AND byte_size > 0", name="photo_size_positive"),
    Index("photos_patient", "clinic_id", "patient_id", "taken_on"),
    order_by=("taken_on", "recorded_at"),
)
