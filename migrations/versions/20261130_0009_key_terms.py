"""key terms: each answer's terms, chosen at import time

Revision ID: 0009_key_terms
Revises: 0008_learning_steps
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_key_terms"
down_revision: str | None = "0008_learning_steps"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("question") as batch:
        batch.add_column(sa.Column("key_terms", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("question") as batch:
        batch.drop_column("key_terms")
