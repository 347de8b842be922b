"""library: figures shipped with packs, renumbering aliases, search terms, glossary

Revision ID: 0007_library
Revises: 0006_grade_requests
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_library"
down_revision: str | None = "0006_grade_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pack") as batch:
        batch.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("source_aliases", sa.JSON(), nullable=False, server_default="[]")
        )
        batch.add_column(sa.Column("glossary", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("question") as batch:
        batch.add_column(sa.Column("title_terms", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("body_terms", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "question_alias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["pack_id"], ["pack.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["question_id"], ["question.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pack_id", "number"),
    )
    op.create_index("ix_question_alias_question_id", "question_alias", ["question_id"])
    op.create_table(
        "pack_asset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["pack_id"], ["pack.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pack_id", "path"),
    )


def downgrade() -> None:
    op.drop_table("pack_asset")
    op.drop_index("ix_question_alias_question_id", "question_alias")
    op.drop_table("question_alias")
    with op.batch_alter_table("question") as batch:
        batch.drop_column("body_terms")
        batch.drop_column("title_terms")
    with op.batch_alter_table("pack") as batch:
        batch.drop_column("glossary")
        batch.drop_column("source_aliases")
        batch.drop_column("position")
