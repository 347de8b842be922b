"""learning steps: a session item may wait until its step is due

Revision ID: 0008_learning_steps
Revises: 0007_library
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_learning_steps"
down_revision: str | None = "0007_library"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quiz_session_item") as batch:
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quiz_session_item") as batch:
        batch.drop_column("due_at")
