"""fsrs optimisation: a user's fit of their FSRS weights, its queued job, and their decision

Revision ID: 0011_fsrs_optimisation
Revises: 0010_practice_settings
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_fsrs_optimisation"
down_revision: str | None = "0010_practice_settings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fsrs_optimisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("review_count", sa.Integer(), nullable=False),
        sa.Column("card_count", sa.Integer(), nullable=False),
        sa.Column("measured_count", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IN ('adopted', 'discarded')", name=op.f("ck_fsrs_optimisation_decision")
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["demo_job.id"],
            ondelete="CASCADE",
            name=op.f("fk_fsrs_optimisation_job_id_demo_job"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            ondelete="CASCADE",
            name=op.f("fk_fsrs_optimisation_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fsrs_optimisation")),
        sa.UniqueConstraint("job_id", name=op.f("uq_fsrs_optimisation_job_id")),
    )
    op.create_index(op.f("ix_fsrs_optimisation_user_id"), "fsrs_optimisation", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_fsrs_optimisation_user_id"), table_name="fsrs_optimisation")
    op.drop_table("fsrs_optimisation")
