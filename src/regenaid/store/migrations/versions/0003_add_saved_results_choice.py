"""The person's choice travels with a saved result: add saved_results.choice (JSON, nullable).

It holds the option the person is leaning toward and their SURE test answers (see
``regenaid.store.records.SavedResult.choice``); existing rows keep NULL: nothing answered.

Revision ID: 0003_saved_results_choice
Revises: 0002_saved_results_expiry
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_saved_results_choice"
down_revision = "0002_saved_results_expiry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("saved_results") as batch:
        batch.add_column(sa.Column("choice", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("saved_results") as batch:
        batch.drop_column("choice")
