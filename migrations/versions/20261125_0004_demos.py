"""demos tables

Revision ID: 0004_demos
Revises: 0003_practice
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_demos"
down_revision: str | None = "0003_practice"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "demo_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("experiment", sa.String(64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("compare", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(128), nullable=True),
        sa.Column("lease_expires_at", TZ, nullable=True),
        sa.Column("heartbeat_at", TZ, nullable=True),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("device_kind", sa.String(16), nullable=True),
        sa.Column("cache_key", sa.String(64), nullable=True),
        sa.Column("cached_from_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("started_at", TZ, nullable=True),
        sa.Column("finished_at", TZ, nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'finished', 'failed', 'cancelled')",
            name=op.f("ck_demo_job_status"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            ondelete="CASCADE",
            name=op.f("fk_demo_job_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demo_job")),
    )
    op.create_index(op.f("ix_demo_job_user_id"), "demo_job", ["user_id"])
    op.create_index(op.f("ix_demo_job_cache_key"), "demo_job", ["cache_key"])
    op.create_index("ix_demo_job_status_id", "demo_job", ["status", "id"])
    op.create_table(
        "demo_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["demo_job.id"],
            ondelete="CASCADE",
            name=op.f("fk_demo_event_job_id_demo_job"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demo_event")),
        sa.UniqueConstraint("job_id", "seq", name=op.f("uq_demo_event_job_id_seq")),
    )


def downgrade() -> None:
    op.drop_table("demo_event")
    op.drop_index("ix_demo_job_status_id", table_name="demo_job")
    op.drop_index(op.f("ix_demo_job_cache_key"), table_name="demo_job")
    op.drop_index(op.f("ix_demo_job_user_id"), table_name="demo_job")
    op.drop_table("demo_job")
