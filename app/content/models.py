"""Content tables: packs, their questions (main and follow-up) and each question's references."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UtcDateTime, utcnow


class Pack(Base):
    """One imported Markdown pack, with the source it was taken from."""

    __tablename__ = "pack"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    source_repository: Mapped[str] = mapped_column(String(200), default="")
    source_commit: Mapped[str] = mapped_column(String(64), default="")
    source_path: Mapped[str] = mapped_column(String(300), default="")
    license: Mapped[str] = mapped_column(String(100), default="")
    copyright: Mapped[str] = mapped_column(String(300), default="")
    # sha256 of the file, its metadata and the renderer version: equal means nothing to do.
    content_hash: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="pack", lazy="raise", order_by="Question.position"
    )


class Question(Base):
    """An entry of a pack; identity is (pack, number), so ids survive re-imports."""

    __tablename__ = "question"
    __table_args__ = (
        UniqueConstraint("pack_id", "number"),
        Index("ix_question_pack_id_position", "pack_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("pack.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("question.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    answer_markdown: Mapped[str] = mapped_column(Text, default="")
    answer_html: Mapped[str] = mapped_column(Text, default="")
    has_answer: Mapped[bool] = mapped_column(Boolean, default=False)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    # Lower-cased title + answer text + reference titles: substring search (LIKE) works for
    # Korean on SQLite and PostgreSQL alike, where word-based full-text search does not.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    pack: Mapped[Pack] = relationship(back_populates="questions", lazy="raise")
    references: Mapped[list[Reference]] = relationship(
        back_populates="question",
        lazy="raise",
        order_by="Reference.position",
        cascade="all, delete-orphan",
    )


class Reference(Base):
    """One item of an entry's `#### References` list."""

    __tablename__ = "question_reference"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text, default="")

    question: Mapped[Question] = relationship(back_populates="references", lazy="raise")
