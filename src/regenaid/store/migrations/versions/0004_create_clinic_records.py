"""Create the clinic's records: clinics, staff accounts and sessions, sign-in failures, the
audit trail (hash chains and their heads), patients, health answers, attached decision-aid
results, consent forms and consents, courses and sessions, PRP protocols and preparation
records, exosome lots and their uses, adverse events.

Generated from ``regenaid.store.clinic_tables`` and reviewed; a test compares the migrated
schema with those tables on SQLite and PostgreSQL.

Revision ID: 0004_clinic_records
Revises: 0003_saved_results_choice
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_clinic_records"
down_revision = "0003_saved_results_choice"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clinic_audit",
        sa.Column("chain", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("clinic_id", sa.String(length=22), nullable=True),
        sa.Column("staff_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("record_kind", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("seq >= 1", name="seq_positive"),
        sa.PrimaryKeyConstraint("chain", "seq"),
    )
    op.create_table(
        "clinic_audit_heads",
        sa.Column("chain", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain"),
    )
    op.create_table(
        "clinics",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("jurisdiction", sa.String(length=2), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=320), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('email', 'address')", name="kind_allowed"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index("login_failures_key_at", ["kind", "key", "at"], unique=False)

    op.create_table(
        "consent_forms",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("clinic_id", sa.String(length=22), nullable=False),
        sa.Column("procedure", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=22), nullable=False),
        sa.CheckConstraint(
            "procedure IN ('prp', 'exosome', 'combination', 'records')", name="procedure_allowed"
        ),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "id", name="consent_forms_clinic_id_id"),
        sa.UniqueConstraint("clinic_id", "procedure", "version", name="consent_forms_version"),
        info={"order_by": ("procedure", "version")},
    )
    with op.batch_alter_table("consent_forms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_forms_clinic_id"), ["clinic_id"], unique=False)

    op.create_table(
        "exosome_lots",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("clinic_id", sa.String(length=22), nullable=False),
        sa.Column("product_name", sa.String(length=200), nullable=False),
        sa.Column("manufacturer", sa.String(length=200), nullable=False),
        sa.Column("manufacturer_country", sa.String(length=2), nullable=False),
        sa.Column("lot_number", sa.String(length=200), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=False),
        sa.Column("received_date", sa.Date(), nullable=False),
        sa.Column("quantity_unit", sa.String(length=16), nullable=False),
        sa.Column("quantity_received", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("quantity_left", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("maker_term", sa.String(length=200), nullable=False),
        sa.Column("form", sa.String(length=16), nullable=False),
        sa.Column("labelled_routes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=22), nullable=False),
        sa.Column("catalogue_number", sa.String(length=200), nullable=True),
        sa.Column("manufacture_date", sa.Date(), nullable=True),
        sa.Column("source_detail", sa.String(length=500), nullable=True),
        sa.Column("donor_eligibility", sa.String(length=2000), nullable=True),
        sa.Column("separation_method", sa.String(length=200), nullable=True),
        sa.Column("particle_concentration_per_ml", sa.Float(), nullable=True),
        sa.Column("particle_method", sa.String(length=32), nullable=True),
        sa.Column("size_mode_nm", sa.Float(), nullable=True),
        sa.Column("protein_ug_per_ml", sa.Float(), nullable=True),
        sa.Column("markers", sa.JSON(), nullable=False),
        sa.Column("imaging_method", sa.String(length=200), nullable=True),
        sa.Column("sterility", sa.String(length=16), nullable=False),
        sa.Column("endotoxin", sa.String(length=16), nullable=False),
        sa.Column("mycoplasma", sa.String(length=16), nullable=False),
        sa.Column("storage_min_c", sa.Float(), nullable=True),
        sa.Column("storage_max_c", sa.Float(), nullable=True),
        sa.Column("coa_file", sa.String(length=500), nullable=True),
        sa.Column("coa_sha256", sa.String(length=64), nullable=True),
        sa.Column("coa_name", sa.String(length=200), nullable=True),
        sa.Column("regulatory", sa.JSON(), nullable=False),
        sa.Column("recalled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recall_reason", sa.String(length=2000), nullable=True),
        sa.CheckConstraint(
            "(recalled_at IS NULL) = (recall_reason IS NULL)", name="recall_has_when_and_why"
        ),
        sa.CheckConstraint(
            "quantity_left <= quantity_received", name="quantity_left_at_most_received"
        ),
        sa.CheckConstraint("quantity_left >= 0", name="quantity_left_not_negative"),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "id", name="exosome_lots_clinic_id_id"),
        sa.UniqueConstraint("clinic_id", "manufacturer", "lot_number", name="exosome_lots_lot"),
        info={"order_by": ("expiry_date", "lot_number")},
    )
    with op.batch_alter_table("exosome_lots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exosome_lots_clinic_id"), ["clinic_id"], unique=False)

    op.create_table(
        "patients",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("clinic_id", sa.String(length=22), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=22), nullable=False),
        sa.CheckConstraint("sex IN ('female', 'male', 'other', 'unknown')", name="sex_allowed"),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "id", name="patients_clinic_id_id"),
        info={"order_by": ("family_name", "given_name")},
    )
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patients_clinic_id"), ["clinic_id"], unique=False)

    op.create_table(
        "prp_protocols",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("clinic_id", sa.String(length=22), nullable=False),
        sa.Column("protocol", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=22), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "id", name="prp_protocols_clinic_id_id"),
        info={"order_by": ("created_at",)},
    )
    with op.batch_alter_table("prp_protocols", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prp_protocols_clinic_id"), ["clinic_id"], unique=False)

    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("clinic_id", sa.String(length=22), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_last_used_step", sa.BigInteger(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('admin', 'clinician', 'nurse', 'reception')", name="role_allowed"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "id", name="staff_accounts_clinic_id_id"),
        sa.UniqueConstraint("email"),
        info={"order_by": ("display_name",)},
    )
    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_accounts_clinic_id"), ["clinic_id"], unique=False
        )

    op.create_table(
        "attached_results",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("clinic_id", sa.String(length=22), nullable=False),
        sa.Column("patient_id", sa.String(length=22), nullable=False),
        sa.Column("intake", sa.JSON(), nullable=False),
        sa.Column("assessment", sa.JSON(), nullable=False),
        sa.Column("choice", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attached_by", sa.String(length=22), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"], ["patients.clinic_id", "patients.id"], name="patient_id_fk"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "id", name="attached_results_clinic_id_id"),
        info={"order_by": ("attached_at",)},
    )
    with op.batch_alter_table("attached_results", schema=None) as batch_op:
        batch_op.create_index("attached_results_patient", ["clinic_id", "patient_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_attached_results_clinic_id"), ["clinic_id"], unique=False
        )

    op.create_table(
        "consents",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("clinic_id", sa.String(length=22), nullable=False),
        sa.Column("patient_id", sa.String(length=22), nullable=False),
        sa.Column("procedure", sa.String(length=16), nullable=False),
        sa.Column("form_id", sa.String(length=22), nullable=False),
        sa.Column("form_version", sa.Integer(), nullable=False),
        sa.Column("form_digest", sa.String(length=64), nullable=False),
        sa.Column("taken_by", sa.String(length=22), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=22), nullable=True),
        sa.Column("withdrawal_note", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "procedure IN ('prp', 'exosome', 'combination', 'records')", name="procedure_allowed"
        ),
        sa.CheckConstraint(
            "(withdrawn_at IS NULL) = (withdrawn_by IS NULL)", name="withdrawal_has_who_and_when"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "form_id"],
            ["consent_forms.clinic_id", "consent_forms.id"],
            name="form_id_fk",
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"], ["patients.clinic_id", "patients.id"], name="patient_id_fk"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "id", name="consents_clinic_id_id"),
        info={"order_by": ("taken_at",)},
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index("consents_patient", ["clinic_id", "patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consents_clinic_id"), ["clinic_id"], unique=False)

    op.create_table(
        "health_answers",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("clinic_id", sa.String(length=22), nullable=False),
        sa.Column("patient_id", sa.String(length=22), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=22), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"], ["patients.clinic_id", "patients.id"], name="patient_id_fk"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "id", name="health_answers_clinic_id_id"),
        info={"order_by": ("recorded_at",)},
    )
    with op.batch_alter_table("health_answers", schema=None) as batch_op:
        batch_op.create_index(
            "health_answers_patient", ["clinic_id", "patient_id", "recorded_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_health_answers_clinic_id"), ["clinic_id"], unique=False
        )

    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("clinic_id", sa.String(length=22), nullable=False),
        sa.Column("staff_id", sa.String(length=22), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("second_factor_done", sa.Boolean(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id", "staff_id"],
            ["staff_accounts.clinic_id", "staff_accounts.id"],
            name="staff_id_fk",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        info={"order_by": ("created_at",)},
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_sessions_last_seen_at"), ["last_seen_at"], unique=False
        )

    op.create_table(
        "courses",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("clinic_id", sa.String(length=22), nullable=False),
        sa.Column("patient_id", sa.String(length=22), nullable=False),
        sa.Column("condition", sa.String(length=64), nullable=False),
        sa.Column("treatment", sa.String(length=16), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("horizon_months", sa.Integer(), nullable=False),
        sa.Column("protocol_sources", sa.JSON(), nullable=False),
        sa.Column("intake", sa.JSON(), nullable=False),
        sa.Column("attached_result_id", sa.String(length=22), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=22), nullable=False),
        sa.CheckConstraint(
            "treatment IN ('prp', 'exosome', 'combination')", name="treatment_allowed"
        ),
        sa.CheckConstraint("horizon_months BETWEEN 1 AND 240", name="horizon_months_range"),
        sa.ForeignKeyConstraint(
            ["clinic_id", "attached_result_id"],
            ["attached_results.clinic_id", "attached_results.id"],
            name="attached_result_id_fk",
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"], ["patients.clinic_id", "patients.id"], name="patient_id_fk"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "id", name="courses_clinic_id_id"),
        info={"order_by": ("start",)},
    )
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.create_index("courses_patient", ["clinic_id", "patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_courses_clinic_id"), ["clinic_id"], unique=False)

    op.create_table(
        "course_sessions",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("clinic_id", sa.String(length=22), nullable=False),
        sa.Column("course_id", sa.String(length=22), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("planned", sa.Date(), nullable=False),
        sa.Column("earliest", sa.Date(), nullable=False),
        sa.Column("latest", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=22), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.CheckConstraint(
            "kind IN ('consultation', 'initial', 'maintenance')", name="kind_allowed"
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'done', 'moved', 'missed')", name="status_allowed"
        ),
        sa.CheckConstraint("(status = 'done') <= (\"on\" IS NOT NULL)", name="done_has_a_day"),
        sa.CheckConstraint("earliest <= planned AND planned <= latest", name="planned_in_window"),
        sa.ForeignKeyConstraint(
            ["clinic_id", "course_id"], ["courses.clinic_id", "courses.id"], name="course_id_fk"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "id", name="course_sessions_clinic_id_id"),
        sa.UniqueConstraint("course_id", "number", "kind", name="course_sessions_number"),
        info={"order_by": ("planned", "number")},
    )
    with op.batch_alter_table("course_sessions", schema=None) as batch_op:
        batch_op.create_index("course_sessions_course", ["clinic_id", "course_id"], unique=False)
        batch_op.create_index("course_sessions_day", ["clinic_id", "planned"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_course_sessions_clinic_id"), ["clinic_id"], unique=False
        )

    op.create_table(
        "lot_uses",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("clinic_id", sa.String(length=22), nullable=False),
        sa.Column("lot_id", sa.String(length=22), nullable=False),
        sa.Column("used_on", sa.Date(), nullable=False),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("override", sa.Boolean(), nullable=False),
        sa.Column("override_reason", sa.String(length=1000), nullable=True),
        sa.Column("patient_id", sa.String(length=22), nullable=True),
        sa.Column("session_id", sa.String(length=22), nullable=True),
        sa.CheckConstraint("override = (override_reason IS NOT NULL)", name="override_has_reason"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.ForeignKeyConstraint(
            ["clinic_id", "lot_id"], ["exosome_lots.clinic_id", "exosome_lots.id"], name="lot_id_fk"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"], ["patients.clinic_id", "patients.id"], name="patient_id_fk"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "session_id"],
            ["course_sessions.clinic_id", "course_sessions.id"],
            name="session_id_fk",
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "id", name="lot_uses_clinic_id_id"),
        info={"order_by": ("used_on",)},
    )
    with op.batch_alter_table("lot_uses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lot_uses_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index("lot_uses_lot", ["clinic_id", "lot_id", "used_on"], unique=False)

    op.create_table(
        "prp_records",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("clinic_id", sa.String(length=22), nullable=False),
        sa.Column("session_id", sa.String(length=22), nullable=False),
        sa.Column("patient_id", sa.String(length=22), nullable=False),
        sa.Column("preparation", sa.JSON(), nullable=False),
        sa.Column("derived", sa.JSON(), nullable=False),
        sa.Column("formula_version", sa.String(length=120), nullable=False),
        sa.Column("concentration_factor", sa.Float(), nullable=True),
        sa.Column("paw_code", sa.String(length=40), nullable=False),
        sa.Column("depa_code", sa.String(length=40), nullable=False),
        sa.Column("protocol_id", sa.String(length=22), nullable=True),
        sa.Column("deviations", sa.JSON(), nullable=False),
        sa.Column("deviation_note", sa.String(length=1000), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=22), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"], ["patients.clinic_id", "patients.id"], name="patient_id_fk"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "protocol_id"],
            ["prp_protocols.clinic_id", "prp_protocols.id"],
            name="protocol_id_fk",
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "session_id"],
            ["course_sessions.clinic_id", "course_sessions.id"],
            name="session_id_fk",
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "id", name="prp_records_clinic_id_id"),
        sa.UniqueConstraint("session_id", name="prp_records_one_per_session"),
        info={"order_by": ("recorded_at",)},
    )
    with op.batch_alter_table("prp_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prp_records_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index("prp_records_patient", ["clinic_id", "patient_id"], unique=False)

    op.create_table(
        "adverse_events",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("clinic_id", sa.String(length=22), nullable=False),
        sa.Column("patient_id", sa.String(length=22), nullable=False),
        sa.Column("term_id", sa.String(length=80), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("onset", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=22), nullable=False),
        sa.Column("session_id", sa.String(length=22), nullable=True),
        sa.Column("product_lot_id", sa.String(length=22), nullable=True),
        sa.Column("prp_preparation_id", sa.String(length=22), nullable=True),
        sa.Column("term_detail", sa.String(length=200), nullable=True),
        sa.Column("seriousness", sa.JSON(), nullable=False),
        sa.Column("actions_taken", sa.JSON(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("description", sa.String(length=4000), nullable=True),
        sa.CheckConstraint("(grade = 5) = (outcome = 'fatal')", name="grade_5_is_fatal"),
        sa.CheckConstraint("grade BETWEEN 1 AND 5", name="grade_range"),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"], ["patients.clinic_id", "patients.id"], name="patient_id_fk"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "product_lot_id"],
            ["exosome_lots.clinic_id", "exosome_lots.id"],
            name="product_lot_id_fk",
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "prp_preparation_id"],
            ["prp_records.clinic_id", "prp_records.id"],
            name="prp_preparation_id_fk",
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "session_id"],
            ["course_sessions.clinic_id", "course_sessions.id"],
            name="session_id_fk",
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "id", name="adverse_events_clinic_id_id"),
        info={"order_by": ("onset",)},
    )
    with op.batch_alter_table("adverse_events", schema=None) as batch_op:
        batch_op.create_index("adverse_events_patient", ["clinic_id", "patient_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_adverse_events_clinic_id"), ["clinic_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("adverse_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adverse_events_clinic_id"))
        batch_op.drop_index("adverse_events_patient")

    op.drop_table("adverse_events")
    with op.batch_alter_table("prp_records", schema=None) as batch_op:
        batch_op.drop_index("prp_records_patient")
        batch_op.drop_index(batch_op.f("ix_prp_records_clinic_id"))

    op.drop_table("prp_records")
    with op.batch_alter_table("lot_uses", schema=None) as batch_op:
        batch_op.drop_index("lot_uses_lot")
        batch_op.drop_index(batch_op.f("ix_lot_uses_clinic_id"))

    op.drop_table("lot_uses")
    with op.batch_alter_table("course_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_sessions_clinic_id"))
        batch_op.drop_index("course_sessions_day")
        batch_op.drop_index("course_sessions_course")

    op.drop_table("course_sessions")
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_courses_clinic_id"))
        batch_op.drop_index("courses_patient")

    op.drop_table("courses")
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_sessions_last_seen_at"))

    op.drop_table("staff_sessions")
    with op.batch_alter_table("health_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_answers_clinic_id"))
        batch_op.drop_index("health_answers_patient")

    op.drop_table("health_answers")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consents_clinic_id"))
        batch_op.drop_index("consents_patient")

    op.drop_table("consents")
    with op.batch_alter_table("attached_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attached_results_clinic_id"))
        batch_op.drop_index("attached_results_patient")

    op.drop_table("attached_results")
    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_accounts_clinic_id"))

    op.drop_table("staff_accounts")
    with op.batch_alter_table("prp_protocols", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prp_protocols_clinic_id"))

    op.drop_table("prp_protocols")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patients_clinic_id"))

    op.drop_table("patients")
    with op.batch_alter_table("exosome_lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exosome_lots_clinic_id"))

    op.drop_table("exosome_lots")
    with op.batch_alter_table("consent_forms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_forms_clinic_id"))

    op.drop_table("consent_forms")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index("login_failures_key_at")

    op.drop_table("login_failures")
    op.drop_table("clinics")
    op.drop_table("clinic_audit_heads")
    op.drop_table("clinic_audit")
