"""practice tables

Revision ID: 0003_practice
Revises: 0002_auth
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_practice"
down_revision: str | None = "0002_auth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"],
        ["user_account.id"],
        ondelete="CASCADE",
        name=op.f(f"fk_{table}_user_id_user_account"),
    )


def _question_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["question_id"],
        ["question.id"],
        ondelete="CASCADE",
        name=op.f(f"fk_{table}_question_id_question"),
    )


def _owned_question_table(table: str, *columns: sa.Column) -> None:
    """A table of one row per user and question (bookmark, note, own answer)."""
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        *columns,
        _user_fk(table),
        _question_fk(table),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("user_id", "question_id", name=op.f(f"uq_{table}_user_id_question_id")),
    )
    op.create_index(op.f(f"ix_{table}_user_id"), table, ["user_id"])
    op.create_index(op.f(f"ix_{table}_question_id"), table, ["question_id"])


def upgrade() -> None:
    _owned_question_table(
        "card",
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("stability", sa.Float(), nullable=True),
        sa.Column("difficulty", sa.Float(), nullable=True),
        sa.Column("due", TZ, nullable=False),
        sa.Column("last_review", TZ, nullable=True),
        sa.Column("reps", sa.Integer(), nullable=False),
        sa.Column("lapses", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "quiz_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("scope_kind", sa.String(16), nullable=False),
        sa.Column("pack_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("time_limit_s", sa.Integer(), nullable=True),
        sa.Column("deadline_at", TZ, nullable=True),
        _user_fk("quiz_session"),
        _question_fk("quiz_session"),
        sa.ForeignKeyConstraint(
            ["pack_id"],
            ["pack.id"],
            ondelete="CASCADE",
            name=op.f("fk_quiz_session_pack_id_pack"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_session")),
    )
    op.create_index(op.f("ix_quiz_session_user_id"), "quiz_session", ["user_id"])
    op.create_index(op.f("ix_quiz_session_pack_id"), "quiz_session", ["pack_id"])
    op.create_table(
        "quiz_session_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("revealed_at", TZ, nullable=True),
        sa.Column("graded_at", TZ, nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("answer_text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["quiz_session.id"],
            ondelete="CASCADE",
            name=op.f("fk_quiz_session_item_session_id_quiz_session"),
        ),
        _question_fk("quiz_session_item"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_session_item")),
        sa.UniqueConstraint(
            "session_id", "position", name=op.f("uq_quiz_session_item_session_id_position")
        ),
    )
    op.create_index(op.f("ix_quiz_session_item_question_id"), "quiz_session_item", ["question_id"])
    op.create_table(
        "review_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", TZ, nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("answer_text", sa.Text(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("scheduled", sa.Boolean(), nullable=False),
        sa.Column("card_before", sa.Text(), nullable=True),
        sa.Column("state", sa.Integer(), nullable=True),
        sa.Column("stability", sa.Float(), nullable=True),
        sa.Column("difficulty", sa.Float(), nullable=True),
        sa.Column("due", TZ, nullable=True),
        sa.Column("elapsed_days", sa.Integer(), nullable=True),
        _user_fk("review_log"),
        _question_fk("review_log"),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["card.id"],
            ondelete="CASCADE",
            name=op.f("fk_review_log_card_id_card"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["quiz_session.id"],
            ondelete="SET NULL",
            name=op.f("fk_review_log_session_id_quiz_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_log")),
    )
    op.create_index("ix_review_log_user_id_reviewed_at", "review_log", ["user_id", "reviewed_at"])
    op.create_index(op.f("ix_review_log_question_id"), "review_log", ["question_id"])
    op.create_index(op.f("ix_review_log_card_id"), "review_log", ["card_id"])
    op.create_index(op.f("ix_review_log_session_id"), "review_log", ["session_id"])
    _owned_question_table("bookmark", sa.Column("created_at", TZ, nullable=False))
    _owned_question_table(
        "note",
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    _owned_question_table(
        "user_answer",
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )


def downgrade() -> None:
    for table in ("user_answer", "note", "bookmark", "review_log", "quiz_session_item"):
        op.drop_table(table)
    op.drop_table("quiz_session")
    op.drop_table("card")
