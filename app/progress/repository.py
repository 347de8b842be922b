"""All SQL of the progress feature: aggregates for the progress page and the rows of an export."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, insert, literal_column, select
from sqlalchemy.orm import Session

from app.content.models import Pack, Question
from app.practice.models import (
    Bookmark,
    Card,
    Note,
    QuizSession,
    QuizSessionItem,
    ReviewLog,
    UserAnswer,
)

REVIEW_STATE = 2
"""fsrs.State.Review: a card past its learning steps; retention is measured on these."""


def _in_pack(stmt: Select[Any], pack: str | None) -> Select[Any]:
    """stmt (already joined to Question) limited to one pack if asked."""
    if pack is not None:
        stmt = stmt.join(Pack, Pack.id == Question.pack_id).where(Pack.slug == pack)
    return stmt


def _scoped(stmt: Select[Any], pack: str | None) -> Select[Any]:
    """stmt (already joined to Question) limited to live questions, and to one pack if asked."""
    return _in_pack(stmt.where(Question.retired.is_(False)), pack)


def _local_day(session: Session, column: Any, offset_minutes: int) -> ColumnElement[str]:
    """The 'YYYY-MM-DD' of a UTC timestamp column in a zone offset_minutes east of UTC."""
    offset = int(offset_minutes)  # inlined into SQL below: an int, never user text
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column, literal_column(f"'{offset:+d} minutes'"))
    utc_wall = func.timezone("UTC", column)
    shifted = utc_wall + literal_column(f"interval '{offset} minutes'")
    return func.to_char(shifted, "YYYY-MM-DD")


# --- progress aggregates ---------------------------------------------------------------------


def count_questions_by_pack(session: Session, pack: str | None) -> Sequence[Any]:
    """(pack, title, title_en, questions) for each pack, counting live questions only."""
    count = func.count(Question.id).label("questions")
    stmt = (
        select(Pack.slug.label("pack"), Pack.title, Pack.title_en, count)
        .join(Question, (Question.pack_id == Pack.id) & Question.retired.is_(False), isouter=True)
        .group_by(Pack.id, Pack.slug, Pack.title, Pack.title_en)
        .order_by(Pack.slug)
    )
    if pack is not None:
        stmt = stmt.where(Pack.slug == pack)
    return session.execute(stmt).all()


def _last_rating_subquery(user_id: int) -> Any:
    """The latest grade of each of the user's questions (any mode)."""
    ranked = (
        select(
            ReviewLog.question_id,
            ReviewLog.rating,
            func.row_number()
            .over(
                partition_by=ReviewLog.question_id,
                order_by=(ReviewLog.reviewed_at.desc(), ReviewLog.id.desc()),
            )
            .label("rn"),
        )
        .where(ReviewLog.user_id == user_id)
        .subquery()
    )
    return select(ranked.c.question_id, ranked.c.rating).where(ranked.c.rn == 1).subquery()


def card_rows(session: Session, user_id: int, pack: str | None) -> Sequence[Any]:
    """Every card of the user on a live question, with its question's ref and last grade."""
    last = _last_rating_subquery(user_id)
    stmt = (
        select(
            Card.id,
            Card.state,
            Card.step,
            Card.stability,
            Card.difficulty,
            Card.due,
            Card.last_review,
            Card.reps,
            Card.lapses,
            Question.number,
            Question.title,
            Question.position,
            Pack.slug.label("pack"),
            last.c.rating.label("last_rating"),
        )
        .join(Question, Question.id == Card.question_id)
        .join(Pack, Pack.id == Question.pack_id)
        .join(last, last.c.question_id == Card.question_id, isouter=True)
        .where(Card.user_id == user_id, Question.retired.is_(False))
        .order_by(Pack.slug, Question.position)
    )
    if pack is not None:
        stmt = stmt.where(Pack.slug == pack)
    return session.execute(stmt).all()


def due_counts(
    session: Session,
    user_id: int,
    pack: str | None,
    now: datetime,
    end_of_day: datetime,
    week_end: datetime,
) -> Any:
    """How many cards are due by now, by the end of the local day and within a week."""

    def due_by(moment: datetime) -> Any:
        return func.coalesce(func.sum(case((Card.due <= moment, 1), else_=0)), 0)

    stmt = select(
        due_by(now).label("now"),
        due_by(end_of_day).label("today"),
        due_by(week_end).label("week"),
    ).join(Question, Question.id == Card.question_id)
    stmt = _scoped(stmt.where(Card.user_id == user_id), pack)
    row = session.execute(stmt).one()
    return row


# Activity (grades given, days, retention) counts retired questions too: what was practised
# stays practised when a re-import drops an entry. Mastery and due counts cover live ones only.


def review_total(session: Session, user_id: int, pack: str | None) -> int:
    stmt = select(func.count(ReviewLog.id)).join(Question, Question.id == ReviewLog.question_id)
    stmt = _in_pack(stmt.where(ReviewLog.user_id == user_id), pack)
    return int(session.scalar(stmt) or 0)


def reviews_per_day(
    session: Session, user_id: int, pack: str | None, offset_minutes: int
) -> Sequence[Any]:
    """(day, reviews, scheduled) for every local day with a review, oldest first."""
    inner = select(
        _local_day(session, ReviewLog.reviewed_at, offset_minutes).label("day"),
        case((ReviewLog.scheduled.is_(True), 1), else_=0).label("scheduled"),
    ).join(Question, Question.id == ReviewLog.question_id)
    sub = _in_pack(inner.where(ReviewLog.user_id == user_id), pack).subquery()
    stmt = (
        select(sub.c.day, func.count().label("reviews"), func.sum(sub.c.scheduled).label("sched"))
        .group_by(sub.c.day)
        .order_by(sub.c.day)
    )
    return session.execute(stmt).all()


def retention_per_day(
    session: Session, user_id: int, pack: str | None, offset_minutes: int
) -> Sequence[Any]:
    """(day, reviews, passed) per local day, counting only grades of Review-state cards.

    The state a card was in when graded is the state the previous scheduled grade left it in,
    so a window over each question's scheduled grades finds it without a stored copy.
    """
    graded = (
        select(
            ReviewLog.reviewed_at,
            ReviewLog.rating,
            func.lag(ReviewLog.state)
            .over(
                partition_by=ReviewLog.question_id,
                order_by=(ReviewLog.reviewed_at, ReviewLog.id),
            )
            .label("state_before"),
        )
        .join(Question, Question.id == ReviewLog.question_id)
        .where(ReviewLog.user_id == user_id, ReviewLog.scheduled.is_(True))
    )
    graded_sub = _in_pack(graded, pack).subquery()
    inner = (
        select(
            _local_day(session, graded_sub.c.reviewed_at, offset_minutes).label("day"),
            case((graded_sub.c.rating >= 2, 1), else_=0).label("passed"),
        )
        .where(graded_sub.c.state_before == REVIEW_STATE)
        .subquery()
    )
    stmt = (
        select(inner.c.day, func.count().label("reviews"), func.sum(inner.c.passed).label("passed"))
        .group_by(inner.c.day)
        .order_by(inner.c.day)
    )
    return session.execute(stmt).all()


def question_reviews(session: Session, user_id: int, question_id: int) -> Sequence[ReviewLog]:
    """The user's grades of one question, oldest first."""
    stmt = (
        select(ReviewLog)
        .where(ReviewLog.user_id == user_id, ReviewLog.question_id == question_id)
        .order_by(ReviewLog.reviewed_at, ReviewLog.id)
    )
    return session.scalars(stmt).all()


def get_card(session: Session, user_id: int, question_id: int) -> Card | None:
    stmt = select(Card).where(Card.user_id == user_id, Card.question_id == question_id)
    return session.scalar(stmt)


# --- export ----------------------------------------------------------------------------------


def _with_ref(model: Any, *columns: Any) -> Select[Any]:
    """select(model, pack slug, question number) joined through model.question_id."""
    return (
        select(model, Pack.slug, Question.number, *columns)
        .join(Question, Question.id == model.question_id)
        .join(Pack, Pack.id == Question.pack_id)
    )


def export_cards(session: Session, user_id: int) -> Sequence[Any]:
    stmt = _with_ref(Card).where(Card.user_id == user_id).order_by(Pack.slug, Question.position)
    return session.execute(stmt).all()


def export_reviews(session: Session, user_id: int) -> Sequence[Any]:
    stmt = (
        _with_ref(ReviewLog)
        .where(ReviewLog.user_id == user_id)
        .order_by(ReviewLog.reviewed_at, ReviewLog.id)
    )
    return session.execute(stmt).all()


def export_notes(session: Session, user_id: int) -> Sequence[Any]:
    stmt = _with_ref(Note).where(Note.user_id == user_id).order_by(Pack.slug, Question.position)
    return session.execute(stmt).all()


def export_bookmarks(session: Session, user_id: int) -> Sequence[Any]:
    stmt = (
        _with_ref(Bookmark)
        .where(Bookmark.user_id == user_id)
        .order_by(Pack.slug, Question.position)
    )
    return session.execute(stmt).all()


def export_answers(session: Session, user_id: int) -> Sequence[Any]:
    stmt = (
        _with_ref(UserAnswer)
        .where(UserAnswer.user_id == user_id)
        .order_by(Pack.slug, Question.position)
    )
    return session.execute(stmt).all()


def export_sessions(session: Session, user_id: int) -> Sequence[Any]:
    """The user's quiz sessions with their pack's slug and chain question's number."""
    chain = Question.__table__.alias("chain_question")
    stmt = (
        select(QuizSession, Pack.slug, chain.c.number)
        .join(Pack, Pack.id == QuizSession.pack_id)
        .join(chain, chain.c.id == QuizSession.question_id, isouter=True)
        .where(QuizSession.user_id == user_id)
        .order_by(QuizSession.created_at, QuizSession.id)
    )
    return session.execute(stmt).all()


def export_session_items(session: Session, user_id: int) -> Sequence[Any]:
    stmt = (
        _with_ref(QuizSessionItem)
        .join(QuizSession, QuizSession.id == QuizSessionItem.session_id)
        .where(QuizSession.user_id == user_id)
        .order_by(QuizSessionItem.session_id, QuizSessionItem.position)
    )
    return session.execute(stmt).all()


# --- import ----------------------------------------------------------------------------------


def user_cards(session: Session, user_id: int) -> dict[int, Card]:
    """The user's cards by question id."""
    cards = session.scalars(select(Card).where(Card.user_id == user_id)).all()
    return {card.question_id: card for card in cards}


def user_review_keys(session: Session, user_id: int) -> Sequence[Any]:
    """(question_id, reviewed_at, rating) of every review the user has: the dedupe keys."""
    stmt = select(ReviewLog.question_id, ReviewLog.reviewed_at, ReviewLog.rating).where(
        ReviewLog.user_id == user_id
    )
    return session.execute(stmt).all()


def user_sessions(session: Session, user_id: int) -> Sequence[QuizSession]:
    return session.scalars(select(QuizSession).where(QuizSession.user_id == user_id)).all()


def user_rows(session: Session, model: Any, user_id: int) -> dict[int, Any]:
    """The user's rows of a one-per-question table (note, bookmark, user_answer) by question."""
    rows = session.scalars(select(model).where(model.user_id == user_id)).all()
    return {row.question_id: row for row in rows}


def insert_reviews(session: Session, rows: list[dict[str, Any]]) -> None:
    """Many review_log rows in one executemany: nothing points at them, so no ids are needed."""
    if rows:
        session.execute(insert(ReviewLog), rows)


def add_all(session: Session, rows: Iterable[Any]) -> None:
    """Stage new rows and flush, so their ids exist for the rows that point at them."""
    session.add_all(list(rows))
    session.flush()


# --- the home page ---


def review_times_since(session: Session, user_id: int, since: datetime) -> Sequence[datetime]:
    """When the user graded, newest first, back to since."""
    return session.scalars(
        select(ReviewLog.reviewed_at)
        .where(ReviewLog.user_id == user_id, ReviewLog.reviewed_at >= since)
        .order_by(ReviewLog.reviewed_at.desc())
    ).all()
