"""All SQL of the practice feature.

One module past 400 lines: the house keeps a feature's queries together (repository.py), so a
change to a table shows every query that reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import case, delete, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from app.content.models import Question
from app.db import lock_rows
from app.practice.models import (
    Bookmark,
    Card,
    CardStatus,
    GradeRequest,
    Note,
    PracticeSettings,
    QuizSession,
    QuizSessionItem,
    ReviewLog,
    UserAnswer,
)


def user_cards_by_question(
    session: Session, user_id: int, question_ids: Sequence[int]
) -> dict[int, Card]:
    if not question_ids:
        return {}
    rows = session.scalars(
        select(Card).where(Card.user_id == user_id, Card.question_id.in_(question_ids))
    ).all()
    return {c.question_id: c for c in rows}


def bookmarked_ids(session: Session, user_id: int, pack_id: int | None = None) -> set[int]:
    query = select(Bookmark.question_id).where(Bookmark.user_id == user_id)
    if pack_id is not None:
        query = query.join(Question, Question.id == Bookmark.question_id).where(
            Question.pack_id == pack_id
        )
    return set(session.scalars(query).all())


def pack_counts(session: Session, user_id: int, now: datetime) -> dict[int, dict[str, int]]:
    """Per pack: live questions, cards due now, questions never graded."""
    totals = session.execute(
        select(Question.pack_id, func.count())
        .where(Question.retired.is_(False))
        .group_by(Question.pack_id)
    ).all()
    seen = session.execute(
        select(Question.pack_id, func.count(), func.sum(case((Card.due <= now, 1), else_=0)))
        .join(Card, Card.question_id == Question.id)
        .where(Card.user_id == user_id, Question.retired.is_(False))
        .group_by(Question.pack_id)
    ).all()
    out = {pack_id: {"total": n, "due": 0, "new": n} for pack_id, n in totals}
    for pack_id, cards, due in seen:
        if pack_id in out:
            out[pack_id]["due"] = int(due or 0)
            out[pack_id]["new"] = out[pack_id]["total"] - int(cards)
    return out


# --- quiz sessions ---


def add_session(session: Session, quiz: QuizSession, question_ids: Sequence[int]) -> None:
    session.add(quiz)
    session.flush()
    session.add_all(
        QuizSessionItem(session_id=quiz.id, question_id=qid, position=i)
        for i, qid in enumerate(question_ids, start=1)
    )
    session.flush()


def get_session(session: Session, user_id: int, session_id: int) -> QuizSession | None:
    """A user's quiz session; another user's is as good as missing."""
    return session.scalar(
        select(QuizSession)
        .where(QuizSession.id == session_id, QuizSession.user_id == user_id)
        .options(selectinload(QuizSession.pack), selectinload(QuizSession.main_question))
    )


def session_items(
    session: Session, session_id: int, *, with_questions: bool = False
) -> Sequence[QuizSessionItem]:
    query = (
        select(QuizSessionItem)
        .where(QuizSessionItem.session_id == session_id)
        .order_by(QuizSessionItem.position)
    )
    if with_questions:
        query = query.options(selectinload(QuizSessionItem.question))
    return session.scalars(query).all()


def current_item(
    session: Session, session_id: int, now: datetime, lock: bool = False
) -> QuizSessionItem | None:
    """The item the session shows now, with its question: a learning step that is due first
    (as Anki does), then the next card in order; with nothing else left, the step due soonest
    (learn ahead) rather than an idle wait."""
    open_items = select(QuizSessionItem).where(
        QuizSessionItem.session_id == session_id, QuizSessionItem.graded_at.is_(None)
    )
    waiting = QuizSessionItem.due_at.is_not(None)
    query = (
        open_items.order_by(
            case((waiting & (QuizSessionItem.due_at <= now), 0), (~waiting, 1), else_=2),
            QuizSessionItem.due_at,
            QuizSessionItem.position,
        )
        .limit(1)
        .options(selectinload(QuizSessionItem.question))
    )
    if lock:
        query = lock_rows(session, query)
    return session.scalar(query)


def add_item(
    session: Session, session_id: int, question_id: int, due_at: datetime | None
) -> QuizSessionItem:
    """One more item at the end of a session (a card coming back for its next step)."""
    # Positions are counted under the session's lock.
    session.execute(lock_rows(session, select(QuizSession.id).where(QuizSession.id == session_id)))
    last = session.scalar(
        select(func.max(QuizSessionItem.position)).where(QuizSessionItem.session_id == session_id)
    )
    item = QuizSessionItem(
        session_id=session_id, question_id=question_id, position=(last or 0) + 1, due_at=due_at
    )
    session.add(item)
    session.flush()
    return item


def drop_open_items_after(
    session: Session, session_id: int, question_id: int, position: int
) -> None:
    """The open items of a question past position: a step that an undone grade had queued."""
    session.execute(
        delete(QuizSessionItem).where(
            QuizSessionItem.session_id == session_id,
            QuizSessionItem.question_id == question_id,
            QuizSessionItem.position > position,
            QuizSessionItem.graded_at.is_(None),
        )
    )


def item_for_question(
    session: Session, session_id: int, question_id: int, *, graded: bool
) -> QuizSessionItem | None:
    """The session's item for a question: the first open one, or the last graded one."""
    query = select(QuizSessionItem).where(
        QuizSessionItem.session_id == session_id, QuizSessionItem.question_id == question_id
    )
    if graded:
        # A skipped item is closed with no rating: it has no grade to find or undo.
        query = query.where(QuizSessionItem.rating.is_not(None)).order_by(
            QuizSessionItem.position.desc()
        )
    else:
        query = query.where(QuizSessionItem.graded_at.is_(None)).order_by(QuizSessionItem.position)
    return session.scalar(lock_rows(session, query.limit(1)))


def count_open_items(session: Session, session_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                QuizSessionItem.session_id == session_id, QuizSessionItem.graded_at.is_(None)
            )
        )
        or 0
    )


def recent_sessions(session: Session, user_id: int, limit: int = 5) -> Sequence[QuizSession]:
    return session.scalars(
        select(QuizSession)
        .where(QuizSession.user_id == user_id)
        .order_by(QuizSession.id.desc())
        .limit(limit)
        .options(selectinload(QuizSession.pack), selectinload(QuizSession.main_question))
    ).all()


# --- cards and review logs ---


def get_card(session: Session, user_id: int, question_id: int, lock: bool = False) -> Card | None:
    query = select(Card).where(Card.user_id == user_id, Card.question_id == question_id)
    if lock:
        query = lock_rows(session, query)
    return session.scalar(query)


def insert_if_absent(
    session: Session,
    model: type[Card | Bookmark | Note | UserAnswer | CardStatus],
    values: dict[str, Any],
) -> bool:
    """INSERT one row unless the user already has one for the question; True when inserted.

    ON CONFLICT DO NOTHING on (user_id, question_id) makes two requests racing to create the
    same row both succeed (the loser then reads the winner's row), with no savepoint needed.
    """
    dialect = session.get_bind().dialect.name
    make_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        make_insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["user_id", "question_id"])
        .returning(model.id)
    )
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT that did nothing.
    return session.execute(statement).first() is not None


def get_or_create_card(
    session: Session, user_id: int, question_id: int, values: dict[str, Any]
) -> tuple[Card, bool]:
    """The user's card for the question (locked on PostgreSQL), made from values if none."""
    existing = get_card(session, user_id, question_id, lock=True)
    if existing is not None:
        return existing, False
    created = insert_if_absent(
        session, Card, {"user_id": user_id, "question_id": question_id, **values}
    )
    card = get_card(session, user_id, question_id, lock=True)
    assert card is not None
    return card, created


def add_review(session: Session, log: ReviewLog) -> None:
    session.add(log)
    session.flush()


def last_review(session: Session, user_id: int, session_id: int | None) -> ReviewLog | None:
    query = select(ReviewLog).where(ReviewLog.user_id == user_id)
    if session_id is not None:
        query = query.where(ReviewLog.session_id == session_id)
    # By time, not id: an import adds old grades with new ids, and undo must take the latest.
    query = query.order_by(ReviewLog.reviewed_at.desc(), ReviewLog.id.desc()).limit(1)
    query = query.options(selectinload(ReviewLog.question).selectinload(Question.pack))
    return session.scalar(lock_rows(session, query))


def get_card_by_id(session: Session, card_id: int) -> Card | None:
    return session.get(Card, card_id)


def delete_row(session: Session, row: object) -> None:
    session.delete(row)
    session.flush()


# --- review settings and what was graded today ---


def get_practice_settings(session: Session, user_id: int) -> PracticeSettings | None:
    return session.get(PracticeSettings, user_id)


def get_or_create_practice_settings(
    session: Session, user_id: int, values: dict[str, Any]
) -> PracticeSettings:
    """The user's settings row (locked on PostgreSQL), made from values if none.

    ON CONFLICT DO NOTHING: two first saves racing both succeed, the later one wins."""
    make_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        make_insert(PracticeSettings)
        .values(user_id=user_id, **values)
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    query = lock_rows(session, select(PracticeSettings).where(PracticeSettings.user_id == user_id))
    row = session.scalar(query.execution_options(populate_existing=True))
    assert row is not None
    return row


def graded_since(session: Session, user_id: int, since: datetime) -> list[tuple[int, int, bool]]:
    """(pack id, question id, graded before since) for each question the user graded on the
    schedule (not cram) since then: the ones never graded before were new that day."""
    today = (
        select(ReviewLog.question_id)
        .where(
            ReviewLog.user_id == user_id,
            ReviewLog.scheduled.is_(True),
            ReviewLog.reviewed_at >= since,
        )
        .distinct()
        .subquery()
    )
    earlier = exists().where(
        ReviewLog.user_id == user_id,
        ReviewLog.scheduled.is_(True),
        ReviewLog.question_id == today.c.question_id,
        ReviewLog.reviewed_at < since,
    )
    rows = session.execute(
        select(Question.pack_id, Question.id, earlier).join(
            today, today.c.question_id == Question.id
        )
    ).all()
    return [(int(pack_id), int(qid), bool(before)) for pack_id, qid, before in rows]


# --- bookmarks, notes, own answers ---


def get_bookmark(session: Session, user_id: int, question_id: int) -> Bookmark | None:
    return session.scalar(
        select(Bookmark).where(Bookmark.user_id == user_id, Bookmark.question_id == question_id)
    )


def get_owned(
    session: Session, model: type[Note] | type[UserAnswer], key: dict[str, int]
) -> Note | UserAnswer | None:
    query = select(model).where(
        model.user_id == key["user_id"], model.question_id == key["question_id"]
    )
    # A row just changed by a Core statement must be read afresh, not from the identity map.
    row = session.scalar(query.execution_options(populate_existing=True))
    return cast(Note | UserAnswer | None, row)


def update_owned(
    session: Session,
    model: type[Note] | type[UserAnswer],
    key: dict[str, int],
    values: dict[str, Any],
) -> None:
    session.execute(
        update(model)
        .where(model.user_id == key["user_id"], model.question_id == key["question_id"])
        .values(**values)
    )


def delete_bookmark(session: Session, user_id: int, question_id: int) -> None:
    session.execute(
        delete(Bookmark).where(Bookmark.user_id == user_id, Bookmark.question_id == question_id)
    )


def get_note(session: Session, user_id: int, question_id: int) -> Note | None:
    return session.scalar(
        select(Note).where(Note.user_id == user_id, Note.question_id == question_id)
    )


def delete_note(session: Session, user_id: int, question_id: int) -> int:
    result = session.execute(
        delete(Note).where(Note.user_id == user_id, Note.question_id == question_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def get_user_answer(session: Session, user_id: int, question_id: int) -> UserAnswer | None:
    return session.scalar(
        select(UserAnswer).where(
            UserAnswer.user_id == user_id, UserAnswer.question_id == question_id
        )
    )


def delete_user_answer(session: Session, user_id: int, question_id: int) -> int:
    result = session.execute(
        delete(UserAnswer).where(
            UserAnswer.user_id == user_id, UserAnswer.question_id == question_id
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


# ---- grade requests (Idempotency-Key) ---------------------------------------------------------


def get_grade_request(session: Session, user_id: int, key: str) -> GradeRequest | None:
    stmt = select(GradeRequest).where(GradeRequest.user_id == user_id, GradeRequest.key == key)
    return session.scalars(stmt).first()


def add_grade_request(session: Session, request: GradeRequest) -> None:
    """Insert the key; an IntegrityError here means the same key is being used right now."""
    session.add(request)
    session.flush()


def delete_grade_requests_before(session: Session, user_id: int, before: datetime) -> None:
    session.execute(
        delete(GradeRequest).where(
            GradeRequest.user_id == user_id, GradeRequest.created_at < before
        )
    )
