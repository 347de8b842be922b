"""demo workers: hand-backs counted apart from lost workers; live workers

Revision ID: 0005_demo_workers
Revises: 0004_demos
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_demo_workers"
down_revision: str | None = "0004_demos"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("demo_job") as batch:
        batch.add_column(sa.Column("handbacks", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "demo_worker",
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("device_kind", sa.String(16), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("seen_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_demo_worker")),
    )


def downgrade() -> None:
    op.drop_table("demo_worker")
    with op.batch_alter_table("demo_job") as batch:
        batch.drop_column("handbacks")
