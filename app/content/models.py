"""Content tables: packs, their questions (main and follow-up) and each question's references."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
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
    # Other paths of the source repository this pack's file was known under (links from other
    # packs to them come to this pack's pages), and the glossary its text defines:
    # [["오버피팅", "overfitting"], ...], for search.
    position: Mapped[int] = mapped_column(Integer, default=0)  # order in the library
    source_aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    glossary: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
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
    # Lower-cased title + answer text + reference titles, as plain text (for ad-hoc SQL; search
    # itself ranks the stored index terms below).
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Index terms (morphemes, lower-cased, space-separated) of the title and of the answer and
    # references, made at import time by the Korean analyser so that the web process need not.
    title_terms: Mapped[str] = mapped_column(Text, default="")
    body_terms: Mapped[str] = mapped_column(Text, default="")
    # The answer's key terms (text, kind, other spellings), chosen at import time: what a
    # typed answer is checked against in practice.
    key_terms: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=list)
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


class QuestionAlias(Base):
    """A number a question had before an upstream renumbering: its old URL redirects."""

    __tablename__ = "question_alias"
    __table_args__ = (UniqueConstraint("pack_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("pack.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32))
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), index=True
    )


class PackAsset(Base):
    """A figure shipped with a pack (by its path in the source repository), served by Mogi."""

    __tablename__ = "pack_asset"
    __table_args__ = (UniqueConstraint("pack_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("pack.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
