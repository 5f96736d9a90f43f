"""Add outcome measurements (per patient, measure, site, day and method) and clinical photos
(metadata; the image bytes are kept in the document store).

Generated from ``regenaid.store.clinic_tables`` and reviewed; a test compares the migrated
schema with those tables on SQLite and PostgreSQL.

Revision ID: 0005_outcomes
Revises: 0004_clinic_records
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_outcomes"
down_revision = "0004_clinic_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "measurements",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("clinic_id", sa.String(length=22), nullable=False),
        sa.Column("patient_id", sa.String(length=22), nullable=False),
        sa.Column("measure", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("site_marking", sa.String(length=16), nullable=False),
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=22), nullable=False),
        sa.Column("course_id", sa.String(length=22), nullable=True),
        sa.Column("landmark", sa.String(length=200), nullable=True),
        sa.Column("rater_blinded", sa.Boolean(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.CheckConstraint(
            "site_marking IN ('tattoo', 'landmark', 'none')", name="site_marking_allowed"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "course_id"], ["courses.clinic_id", "courses.id"], name="course_id_fk"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"], ["patients.clinic_id", "patients.id"], name="patient_id_fk"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "id", name="measurements_clinic_id_id"),
        info={"order_by": ("measured_on", "recorded_at")},
    )
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_measurements_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index(
            "measurements_measure", ["clinic_id", "measure", "patient_id"], unique=False
        )
        batch_op.create_index(
            "measurements_patient", ["clinic_id", "patient_id", "measured_on"], unique=False
        )

    op.create_table(
        "photos",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("clinic_id", sa.String(length=22), nullable=False),
        sa.Column("patient_id", sa.String(length=22), nullable=False),
        sa.Column("view", sa.String(length=32), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("file_key", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("marketing_consent", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=22), nullable=False),
        sa.Column("course_id", sa.String(length=22), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "content_type IN ('image/jpeg', 'image/png', 'image/webp')", name="content_type_allowed"
        ),
        sa.CheckConstraint(
            "width > 0 AND height > 0 AND byte_size > 0", name="photo_size_positive"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "course_id"], ["courses.clinic_id", "courses.id"], name="course_id_fk"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"], ["patients.clinic_id", "patients.id"], name="patient_id_fk"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"],
            ["clinics.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "id", name="photos_clinic_id_id"),
        sa.UniqueConstraint("file_key"),
        info={"order_by": ("taken_on", "recorded_at")},
    )
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photos_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index(
            "photos_patient", ["clinic_id", "patient_id", "taken_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index("photos_patient")
        batch_op.drop_index(batch_op.f("ix_photos_clinic_id"))

    op.drop_table("photos")
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.drop_index("measurements_patient")
        batch_op.drop_index("measurements_measure")
        batch_op.drop_index(batch_op.f("ix_measurements_clinic_id"))

    op.drop_table("measurements")
