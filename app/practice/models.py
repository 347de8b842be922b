"""Practice tables: FSRS cards and review logs, quiz sessions, bookmarks, notes, own answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.content.models import Pack, Question
from app.db import Base, UtcDateTime, utcnow

MAX_TEXT_CHARS = 20_000
"""Longest note, own answer or typed answer a user may store."""

_USER_FK = "user_account.id"
_QUESTION_FK = "question.id"


def _question() -> Any:
    """The question a row is about. Loaded only when asked for (lazy="raise"), so a query
    that forgets to load it fails in tests instead of issuing one SELECT per row."""
    return relationship(Question, lazy="raise", viewonly=True)


class Card(Base):
    """One user's FSRS state for one question, made on the first grade (no row means new)."""

    __tablename__ = "card"
    __table_args__ = (UniqueConstraint("user_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey(_QUESTION_FK, ondelete="CASCADE"), index=True
    )
    state: Mapped[int] = mapped_column(Integer)
    step: Mapped[int | None] = mapped_column(Integer)
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    due: Mapped[datetime] = mapped_column(UtcDateTime)
    last_review: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reps: Mapped[int] = mapped_column(Integer, default=0)
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    question: Mapped[Question] = _question()


class QuizSession(Base):
    """A run of cards drawn from a scope, in one mode (review, cram or mock)."""

    __tablename__ = "quiz_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    scope_kind: Mapped[str] = mapped_column(String(16))
    pack_id: Mapped[int] = mapped_column(ForeignKey("pack.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey(_QUESTION_FK, ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    time_limit_s: Mapped[int | None] = mapped_column(Integer)
    deadline_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    pack: Mapped[Pack] = relationship(lazy="raise")
    # The main question of a chain or mock session; None for a scope of many.
    main_question: Mapped[Question | None] = relationship(lazy="raise")


class QuizSessionItem(Base):
    """One card of a session, in its order, with what happened to it."""

    __tablename__ = "quiz_session_item"
    __table_args__ = (UniqueConstraint("session_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("quiz_session.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        ForeignKey(_QUESTION_FK, ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    revealed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    graded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rating: Mapped[int | None] = mapped_column(Integer)
    answer_text: Mapped[str | None] = mapped_column(Text)
    # A card graded Again or Hard comes back in the same session when its learning step is
    # due; the item that brings it back waits until then (None: shown in position order).
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    question: Mapped[Question] = _question()


class ReviewLog(Base):
    """One grade. Cram grades are logged with scheduled=False and leave the card alone."""

    __tablename__ = "review_log"
    __table_args__ = (Index("ix_review_log_user_id_reviewed_at", "user_id", "reviewed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        ForeignKey(_QUESTION_FK, ondelete="CASCADE"), index=True
    )
    card_id: Mapped[int | None] = mapped_column(
        ForeignKey("card.id", ondelete="CASCADE"), index=True
    )
    rating: Mapped[int] = mapped_column(Integer)
    reviewed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    answer_text: Mapped[str | None] = mapped_column(Text)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("quiz_session.id", ondelete="SET NULL"), index=True
    )
    mode: Mapped[str] = mapped_column(String(16))
    scheduled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The card's fields before this grade, as JSON, so an undo restores it exactly.
    card_before: Mapped[str | None] = mapped_column(Text)
    state: Mapped[int | None] = mapped_column(Integer)
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    due: Mapped[datetime | None] = mapped_column(UtcDateTime)
    elapsed_days: Mapped[int | None] = mapped_column(Integer)

    question: Mapped[Question] = _question()


class Bookmark(Base):
    __tablename__ = "bookmark"
    __table_args__ = (UniqueConstraint("user_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey(_QUESTION_FK, ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    question: Mapped[Question] = _question()


class Note(Base):
    """A user's private note on a question."""

    __tablename__ = "note"
    __table_args__ = (UniqueConstraint("user_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey(_QUESTION_FK, ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    question: Mapped[Question] = _question()


class UserAnswer(Base):
    """A user's own answer to an entry that has none; the HTML is rendered and sanitised."""

    __tablename__ = "user_answer"
    __table_args__ = (UniqueConstraint("user_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey(_QUESTION_FK, ondelete="CASCADE"), index=True
    )
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    question: Mapped[Question] = _question()


class GradeRequest(Base):
    """A grade sent with an `Idempotency-Key`: a retry of the same key answers the stored
    response instead of grading twice (a client that lost the first answer to a dropped
    connection cannot know whether it was recorded)."""

    __tablename__ = "grade_request"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(128))
    # sha256 of the request body: the same key with another body is the client's mistake.
    body_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CardStatus(Base):
    """What a user did to a card outside grading: suspended (never shown until unsuspended),
    buried (left out until the next day starts), flagged (to look at again). A row only
    for questions a user has touched this way; it outlives the FSRS card, which a new
    question does not have yet."""

    __tablename__ = "card_status"
    __table_args__ = (UniqueConstraint("user_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey(_QUESTION_FK, ondelete="CASCADE"), index=True
    )
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    buried_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    question: Mapped[Question] = _question()


class PracticeSettings(Base):
    """A user's review settings; no row means the defaults (PracticeSettings.defaults())."""

    __tablename__ = "practice_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), primary_key=True)
    desired_retention: Mapped[float] = mapped_column(Float, default=0.9)
    # Per pack and per day (the day starts at DAY_STARTS_AT_HOUR in time_zone).
    new_per_day: Mapped[int] = mapped_column(Integer, default=20)
    reviews_per_day: Mapped[int] = mapped_column(Integer, default=200)
    # Seconds: FSRS's own defaults (1 and 10 minutes; 10 minutes after a lapse).
    learning_steps: Mapped[list[int]] = mapped_column(JSON, default=lambda: [60, 600])
    relearning_steps: Mapped[list[int]] = mapped_column(JSON, default=lambda: [600])
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Seoul")
    # Whether grades given in a mock interview move the FSRS schedule.
    mock_schedules: Mapped[bool] = mapped_column(Boolean, default=True)
    # FSRS weights from the user's own review log (None: the library's defaults).
    fsrs_parameters: Mapped[list[float] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
