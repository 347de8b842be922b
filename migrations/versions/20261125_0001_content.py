"""content tables

Revision ID: 0001_content
Revises: None
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_content"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("title_en", sa.String(200), nullable=False),
        sa.Column("source_repository", sa.String(200), nullable=False),
        sa.Column("source_commit", sa.String(64), nullable=False),
        sa.Column("source_path", sa.String(300), nullable=False),
        sa.Column("license", sa.String(100), nullable=False),
        sa.Column("copyright", sa.String(300), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pack")),
        sa.UniqueConstraint("slug", name=op.f("uq_pack_slug")),
    )
    op.create_table(
        "question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("answer_markdown", sa.Text(), nullable=False),
        sa.Column("answer_html", sa.Text(), nullable=False),
        sa.Column("has_answer", sa.Boolean(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pack_id"], ["pack.id"], ondelete="CASCADE", name=op.f("fk_question_pack_id_pack")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["question.id"],
            ondelete="SET NULL",
            name=op.f("fk_question_parent_id_question"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question")),
        sa.UniqueConstraint("pack_id", "number", name=op.f("uq_question_pack_id_number")),
    )
    op.create_index("ix_question_pack_id_position", "question", ["pack_id", "position"])
    op.create_index(op.f("ix_question_parent_id"), "question", ["parent_id"])
    op.create_table(
        "question_reference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            ondelete="CASCADE",
            name=op.f("fk_question_reference_question_id_question"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_reference")),
    )
    op.create_index(
        op.f("ix_question_reference_question_id"), "question_reference", ["question_id"]
    )


def downgrade() -> None:
    op.drop_table("question_reference")
    op.drop_table("question")
    op.drop_table("pack")
