"""Saved results expire: add saved_results.expires_at (existing rows get created_at + 365 days).

Revision ID: 0002_saved_results_expiry
Revises: 0001_saved_results_audit_log
Create Date: 2026-11-22
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0002_saved_results_expiry"
down_revision = "0001_saved_results_audit_log"
branch_labels = None
depends_on = None

RETENTION = timedelta(days=365)


def upgrade() -> None:
    with op.batch_alter_table("saved_results") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    table = sa.table(
        "saved_results",
        sa.column("id", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("expires_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(table.c.id, table.c.created_at)).all()
    for row_id, created_at in rows:
        connection.execute(
            table.update().where(table.c.id == row_id).values(expires_at=created_at + RETENTION)
        )
    with op.batch_alter_table("saved_results") as batch:
        batch.alter_column("expires_at", nullable=False)
        batch.create_index("ix_saved_results_expires_at", ["expires_at"])


def downgrade() -> None:
    with op.batch_alter_table("saved_results") as batch:
        batch.drop_index("ix_saved_results_expires_at")
        batch.drop_column("expires_at")
