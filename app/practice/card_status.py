"""Card actions outside grading, as Anki has them: suspend, bury, flag, and skipping a card in
a session; the day's boundary in the user's time zone; what is left to do today and tomorrow.

Its queries live here beside the logic rather than in repository.py: they touch only
card_status rows and the session items these actions close.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app import local_time
from app.auth.models import User
from app.content import lookups
from app.content.lookups import QuestionRef
from app.content.models import Pack, Question
from app.db import utcnow
from app.errors import AppError
from app.practice import repository as repo
from app.practice.models import (
    Card,
    CardStatus,
    QuizSession,
    QuizSessionItem,
)
from app.practice.settings import user_time_zone

# --- queries ---


def get_status(db: Session, user_id: int, question_id: int) -> CardStatus | None:
    return db.scalar(
        select(CardStatus)
        .where(CardStatus.user_id == user_id, CardStatus.question_id == question_id)
        .execution_options(populate_existing=True)
    )


def excluded_question_ids(db: Session, user_id: int, now: datetime) -> set[int]:
    """Questions no session may draw now: suspended ones, and those buried until later."""
    rows = db.scalars(
        select(CardStatus.question_id).where(
            CardStatus.user_id == user_id,
            or_(CardStatus.suspended.is_(True), CardStatus.buried_until > now),
        )
    )
    return set(rows)


def less_hidden(
    db: Session, user_id: int, counts: dict[int, dict[str, int]], now: datetime
) -> dict[int, dict[str, int]]:
    """Per-pack due and new counts (as repository.pack_counts gives them) less the suspended
    and buried questions, which no session would draw now."""
    rows = db.execute(
        select(Question.pack_id, Card.due)
        .join(CardStatus, CardStatus.question_id == Question.id)
        .outerjoin(Card, (Card.question_id == Question.id) & (Card.user_id == user_id))
        .where(
            CardStatus.user_id == user_id,
            Question.retired.is_(False),
            or_(CardStatus.suspended.is_(True), CardStatus.buried_until > now),
        )
    ).all()
    out = {pack_id: dict(c) for pack_id, c in counts.items()}
    for pack_id, due in rows:
        if pack_id not in out:
            continue
        if due is None:
            out[pack_id]["new"] -= 1
        elif due <= now:
            out[pack_id]["due"] -= 1
    return out


def flagged_ids(db: Session, user_id: int, pack_id: int) -> set[int]:
    rows = db.scalars(
        select(CardStatus.question_id)
        .join(Question, Question.id == CardStatus.question_id)
        .where(
            CardStatus.user_id == user_id,
            CardStatus.flagged.is_(True),
            Question.pack_id == pack_id,
        )
    )
    return set(rows)


def _close_open_items(db: Session, user_id: int, question_id: int, now: datetime) -> None:
    """Close the question's open items in the user's unfinished sessions, ungraded, and
    finish a session left with nothing open. A mock interview keeps the questions it asks:
    its debrief grades every one."""
    active = select(QuizSession.id).where(
        QuizSession.user_id == user_id,
        QuizSession.finished_at.is_(None),
        QuizSession.mode != "mock",
    )
    touched = db.scalars(
        update(QuizSessionItem)
        .where(
            QuizSessionItem.question_id == question_id,
            QuizSessionItem.graded_at.is_(None),
            QuizSessionItem.session_id.in_(active),
        )
        .values(graded_at=now)
        .returning(QuizSessionItem.session_id)
    ).all()
    for session_id in set(touched):
        _finish_if_done(db, session_id, now)


def _finish_if_done(db: Session, session_id: int, now: datetime) -> None:
    if repo.count_open_items(db, session_id) == 0:
        db.execute(
            update(QuizSession)
            .where(QuizSession.id == session_id, QuizSession.finished_at.is_(None))
            .values(finished_at=now)
        )


# --- the study day ---


def user_zone(db: Session, user_id: int) -> tzinfo:
    """The zone the user's day is counted in, as a tzinfo (see settings.user_time_zone)."""
    return local_time.zone(user_time_zone(db, user_id))


def next_day_start(now: datetime, zone: tzinfo) -> datetime:
    """The next DAY_STARTS_AT_HOUR in zone after now, in UTC."""
    return local_time.next_day_start(now, zone)


# --- actions ---


@dataclass(frozen=True)
class StatusView:
    """A user's marks on one question, as the API and pages show them."""

    suspended: bool
    buried_until: datetime | None
    flagged: bool


def status_view(db: Session, user_id: int, question_id: int, now: datetime) -> StatusView:
    row = get_status(db, user_id, question_id)
    if row is None:
        return StatusView(suspended=False, buried_until=None, flagged=False)
    buried = row.buried_until if row.buried_until and row.buried_until > now else None
    return StatusView(suspended=row.suspended, buried_until=buried, flagged=row.flagged)


def change_status(
    db: Session,
    user: User,
    ref: QuestionRef,
    changes: dict[str, bool],
    now: datetime | None = None,
) -> StatusView:
    """Set the marks named in changes (suspended, buried, flagged); the others stay. Suspending
    or burying a card takes it out of every unfinished session of the user, as skipping would."""
    now = now or utcnow()
    key = {"user_id": user.id, "question_id": ref.id}
    repo.insert_if_absent(db, CardStatus, {**key, "updated_at": now})
    values: dict[str, object] = {"updated_at": now}
    if "suspended" in changes:
        values["suspended"] = changes["suspended"]
    if "buried" in changes:
        zone = user_zone(db, user.id)
        values["buried_until"] = next_day_start(now, zone) if changes["buried"] else None
    if "flagged" in changes:
        values["flagged"] = changes["flagged"]
    db.execute(
        update(CardStatus)
        .where(CardStatus.user_id == user.id, CardStatus.question_id == ref.id)
        .values(**values)
    )
    if changes.get("suspended") or changes.get("buried"):
        _close_open_items(db, user.id, ref.id, now)
    db.flush()
    return status_view(db, user.id, ref.id, now)


def skip(
    db: Session,
    user: User,
    quiz: QuizSession,
    question: str | None = None,
    now: datetime | None = None,
) -> None:
    """Move past the session's current card without grading it: the item is closed with no
    rating and the card's schedule is left alone. question, when given, must be the card
    shown now (a second press of skip does not pass over the next card too)."""
    now = now or utcnow()
    if quiz.mode == "mock":
        raise AppError(
            "mock_cannot_skip",
            en="A mock interview cannot skip: say you do not know, then reveal.",
            ko="모의 면접에서는 건너뛸 수 없습니다. 모르면 모른다고 적고 답을 확인하세요.",
            status=409,
        )
    item = repo.current_item(db, quiz.id, now, lock=True) if quiz.finished_at is None else None
    expired = quiz.deadline_at is not None and quiz.deadline_at <= now
    if item is None or expired:
        raise AppError(
            "no_card_left",
            en="No card left in this session.",
            ko="이 세션에 남은 카드가 없습니다.",
            status=409,
        )
    shown = f"{quiz.pack.slug}/{item.question.number}"
    if question is not None and question != shown:
        raise AppError(
            "not_current_card",
            en="That is not the card shown now.",
            ko="지금 보이는 카드가 아닙니다.",
            status=409,
        )
    item.graded_at = now
    db.flush()
    _finish_if_done(db, quiz.id, now)


# --- what is next, once a session is over ---


@dataclass(frozen=True)
class DayOutlook:
    """What a pack holds for the rest of today and for tomorrow, for the finished screen."""

    pack: str
    due_now: int
    new: int
    later_today: int
    next_due_at: datetime | None  # in the user's zone
    tomorrow: int
    zone: str
    today: date  # the calendar date now, in the user's zone

    def next_due_text(self, lang: str) -> str:
        """When the next card is due, as a person reads it: 오늘 15:20 / today 15:20."""
        when = self.next_due_at
        if when is None:
            return ""
        clock = when.strftime("%H:%M")
        days = (when.date() - self.today).days
        if lang == "ko":
            named = {0: "오늘", 1: "내일"}.get(days, f"{when.month}월 {when.day}일")
        else:
            named = {0: "today", 1: "tomorrow"}.get(days, when.strftime("%b ") + str(when.day))
        return f"{named} {clock}"


def day_outlook(db: Session, user: User, pack: Pack, now: datetime | None = None) -> DayOutlook:
    """Counts for the finished screen, leaving out suspended and buried cards."""
    now = now or utcnow()
    zone = user_zone(db, user.id)
    day_end = next_day_start(now, zone)
    hidden = excluded_question_ids(db, user.id, now)
    live = [q.id for q in lookups.live_questions(db, pack) if q.id not in hidden]
    cards = repo.user_cards_by_question(db, user.id, live)
    upcoming = sorted(c.due for c in cards.values() if c.due > now)
    return DayOutlook(
        pack=pack.slug,
        due_now=len(cards) - len(upcoming),
        new=len(live) - len(cards),
        later_today=sum(1 for d in upcoming if d < day_end),
        next_due_at=upcoming[0].astimezone(zone) if upcoming else None,
        tomorrow=sum(1 for d in upcoming if day_end <= d < day_end + timedelta(days=1)),
        zone=str(zone),  # a ZoneInfo prints its IANA key
        today=now.astimezone(zone).date(),
    )
