"""Practice at its core: finding questions and sessions, intervals, grading with FSRS, undo."""

from __future__ import annotations

from copy import copy
from datetime import datetime, timedelta

from fsrs import Rating, State
from sqlalchemy.orm import Session

from app.auth.models import User
from app.config import get_settings
from app.content import lookups
from app.db import utcnow
from app.errors import AppError, NotFound
from app.practice import repository as repo
from app.practice.fsrs_adapter import (
    apply_fsrs_card,
    elapsed_days,
    new_fsrs_card,
    restore,
    scheduler,
    snapshot,
    to_fsrs_card,
)
from app.practice.models import (
    Card,
    QuizSession,
    QuizSessionItem,
    ReviewLog,
)
from app.practice.schemas import (
    CardStateRead,
    IntervalPreview,
    ReviewCreate,
    ReviewRead,
    UndoRead,
)
from app.practice.settings import DEFAULTS, ReviewSettings, settings_for

RATING_NAMES = {1: "again", 2: "hard", 3: "good", 4: "easy"}
STATE_NAMES = {1: "learning", 2: "review", 3: "relearning"}
MOCK_SECONDS_PER_QUESTION = 120
CRAM_AGAIN_S = 60  # cramming schedules nothing; a forgotten card simply comes back soon


def fuzzing_enabled() -> bool:
    """Fuzz intervals in real use; tests compare against fsrs without fuzz."""
    return get_settings().env != "test"


# --- lookups ---


def find_session(db: Session, user: User, session_id: int) -> QuizSession:
    quiz = repo.get_session(db, user.id, session_id)
    if quiz is None:
        raise NotFound(
            "No practice session {id}.", "연습 세션 {id}을(를) 찾을 수 없습니다.", id=session_id
        )
    return quiz


# --- intervals ---


def format_interval(seconds: float, lang: str = "ko") -> str:
    """A short human interval: 10분, 1일, 3.2개월 / 10m, 1d, 3.2mo."""
    ko = lang == "ko"
    minutes = seconds / 60
    if minutes < 1:
        return "<1분" if ko else "<1m"
    if minutes < 60:
        return f"{round(minutes)}{'분' if ko else 'm'}"
    hours = minutes / 60
    if hours < 24:
        return f"{round(hours)}{'시간' if ko else 'h'}"
    days = hours / 24
    if days < 30:
        return f"{round(days)}{'일' if ko else 'd'}"
    if days < 365:
        return f"{days / 30:.1f}".rstrip("0").rstrip(".") + ("개월" if ko else "mo")
    return f"{days / 365:.1f}".rstrip("0").rstrip(".") + ("년" if ko else "y")


def interval_previews(
    card: Card | None, now: datetime, settings: ReviewSettings = DEFAULTS
) -> list[IntervalPreview]:
    """What each grade would schedule, computed by fsrs on a copy (never fuzzed, like Anki)."""
    sched = scheduler(enable_fuzzing=False, settings=settings)
    current = to_fsrs_card(card) if card is not None else new_fsrs_card(now)
    out = []
    for rating in (1, 2, 3, 4):
        after, _ = sched.review_card(copy(current), Rating(rating), now)
        seconds = max(0, int((after.due - now).total_seconds()))
        out.append(
            IntervalPreview(
                rating=rating,
                name=RATING_NAMES[rating],
                interval_s=seconds,
                label=format_interval(seconds, "ko"),
                label_en=format_interval(seconds, "en"),
            )
        )
    return out


# --- grading ---


def card_state(card: Card) -> CardStateRead:
    return CardStateRead(
        state=card.state,
        state_name=STATE_NAMES.get(card.state, str(card.state)),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review if card.last_review else None,
        reps=card.reps,
        lapses=card.lapses,
    )


def _session_item_to_grade(
    db: Session, quiz: QuizSession, question_id: int, now: datetime
) -> QuizSessionItem:
    item = repo.item_for_question(db, quiz.id, question_id, graded=False)
    if item is None:
        if repo.item_for_question(db, quiz.id, question_id, graded=True) is not None:
            raise AppError(
                "already_graded",
                en="This card is already graded; undo first to grade it again.",
                ko="이미 채점한 카드입니다. 되돌린 뒤 다시 채점하세요.",
                status=409,
            )
        raise AppError(
            "not_in_session",
            en="This question is not in the session.",
            ko="이 질문은 이 세션에 없습니다.",
            status=409,
        )
    # A timed-out mock interview shows every model answer in its debrief: grade any of them.
    debriefed = quiz.mode == "mock" and quiz.deadline_at is not None and quiz.deadline_at <= now
    if item.revealed_at is None and not debriefed:
        raise AppError(
            "not_revealed",
            en="Reveal the model answer before grading.",
            ko="먼저 모범 답안을 확인하세요.",
            status=409,
        )
    return item


def _schedule(
    db: Session, user: User, log: ReviewLog, settings: ReviewSettings
) -> tuple[Card, str | None]:
    """Apply one grade to the user's card with fsrs; returns the card and its state before."""
    now = log.reviewed_at
    new = new_fsrs_card(now)
    values = {
        "state": new.state.value,
        "step": new.step,
        "due": new.due,
        "reps": 0,
        "lapses": 0,
        "created_at": now,
    }
    card, created = repo.get_or_create_card(db, user.id, log.question_id, values)
    if card.last_review is not None and card.last_review > now:
        # Two grades of this card at once: this one waited for the other's lock and comes
        # after it, so it is dated no earlier (undo takes back the latest by date).
        now = log.reviewed_at = card.last_review
    before = None if created else snapshot(card)
    was_review = card.state == State.Review.value
    sched = scheduler(fuzzing_enabled(), settings)
    after, _ = sched.review_card(to_fsrs_card(card), Rating(log.rating), now)
    apply_fsrs_card(card, after)
    card.reps = (card.reps or 0) + 1
    if was_review and log.rating == Rating.Again.value:
        card.lapses = (card.lapses or 0) + 1
    return card, before


def grade(db: Session, user: User, body: ReviewCreate, now: datetime | None = None) -> ReviewRead:
    """Record a grade: a review log row, and the card rescheduled by fsrs (not in cram, nor in
    a mock interview when the user's settings keep mock grades off the schedule)."""
    now = now or utcnow()
    settings = settings_for(db, user.id)
    ref = lookups.find_question(db, *lookups.parse_question_id(body.question))
    quiz = find_session(db, user, body.session) if body.session is not None else None
    item = _session_item_to_grade(db, quiz, ref.id, now) if quiz is not None else None
    mode = quiz.mode if quiz is not None else "review"
    answer_text = body.answer_text or (item.answer_text if item is not None else None)
    log = ReviewLog(
        user_id=user.id,
        question_id=ref.id,
        rating=body.rating,
        reviewed_at=now,
        duration_ms=body.duration_ms,
        answer_text=answer_text,
        session_id=quiz.id if quiz is not None else None,
        mode=mode,
        scheduled=schedules(mode, settings),
    )
    card = _apply_grade(db, user, log, settings)
    repo.add_review(db, log)
    if quiz is None or item is None:
        return _review_read(log, ref, card, None, None)
    returns_at = _bring_back(db, quiz, item.question_id, card, body.rating, now, settings)
    done = _close_item(db, quiz, item, body, now)
    return _review_read(log, ref, card, done, returns_at)


def schedules(mode: str, settings: ReviewSettings) -> bool:
    """Whether a grade given in mode moves the card's schedule."""
    return mode == "review" or (mode == "mock" and settings.mock_schedules)


def _bring_back(
    db: Session,
    quiz: QuizSession,
    question_id: int,
    card: Card | None,
    rating: int,
    now: datetime,
    settings: ReviewSettings,
) -> datetime | None:
    """Queue the card again in this session when its next learning step is near (one of the
    user's steps shorter than a day), as Anki does; cram brings back what was forgotten a
    minute later. Returns when it comes back."""
    if quiz.mode == "review" and card is not None:
        learning = card.state in (State.Learning.value, State.Relearning.value)
        if not learning or (card.due - now).total_seconds() > settings.in_session_step_s:
            return None
        repo.add_item(db, quiz.id, question_id, card.due)
        return card.due
    if quiz.mode == "cram" and rating == Rating.Again.value:
        again = now + timedelta(seconds=CRAM_AGAIN_S)
        repo.add_item(db, quiz.id, question_id, again)
        return again
    return None


def _apply_grade(db: Session, user: User, log: ReviewLog, settings: ReviewSettings) -> Card | None:
    """Reschedule the card (if the grade schedules) and copy its new state onto the log row."""
    if not log.scheduled:
        card = repo.get_card(db, user.id, log.question_id)
        log.card_id = card.id if card is not None else None
        return card
    card, log.card_before = _schedule(db, user, log, settings)
    db.flush()
    log.card_id, log.state, log.stability = card.id, card.state, card.stability
    log.difficulty, log.due = card.difficulty, card.due
    if log.card_before is not None:
        log.elapsed_days = elapsed_days(log.card_before, log.reviewed_at)
    return card


def _review_read(
    log: ReviewLog,
    ref: lookups.QuestionRef,
    card: Card | None,
    done: bool | None,
    returns_at: datetime | None,
) -> ReviewRead:
    scheduled = card is not None and log.scheduled
    return ReviewRead(
        id=log.id,
        question=ref.public_id,
        rating=log.rating,
        mode=log.mode,  # type: ignore[arg-type]
        scheduled=log.scheduled,
        reviewed_at=log.reviewed_at,
        session=log.session_id,
        card=card_state(card) if card is not None else None,
        due=card.due if card is not None and scheduled else None,
        interval_label=(
            format_interval((card.due - log.reviewed_at).total_seconds())
            if card is not None and scheduled
            else None
        ),
        session_done=done,
        returns_in_session_at=returns_at,
    )


def _close_item(
    db: Session, quiz: QuizSession, item: QuizSessionItem, body: ReviewCreate, now: datetime
) -> bool:
    """Mark the item graded; the session finishes with its last card. True when it did."""
    item.graded_at, item.rating = now, body.rating
    if body.answer_text:
        item.answer_text = body.answer_text
    db.flush()
    if repo.count_open_items(db, quiz.id) == 0:
        quiz.finished_at = now
        return True
    return False


def undo_last(db: Session, user: User, session_id: int | None) -> UndoRead:
    """Take back the user's last grade: the card as it was, the log row gone, the item open."""
    quiz = find_session(db, user, session_id) if session_id is not None else None
    log = repo.last_review(db, user.id, quiz.id if quiz is not None else None)
    if log is None:
        raise AppError(
            "nothing_to_undo", en="Nothing to undo.", ko="되돌릴 채점이 없습니다.", status=409
        )
    card = repo.get_card_by_id(db, log.card_id) if log.card_id is not None else None
    undone = UndoRead(
        question=lookups.ref_of(log.question).public_id,
        rating=log.rating,
        mode=log.mode,  # type: ignore[arg-type]
        session=log.session_id,
        card=None,
    )
    _reopen_item(db, log)
    repo.delete_row(db, log)
    if log.scheduled and card is not None:
        if log.card_before is None:
            repo.delete_row(db, card)  # this grade made the card: the question is new again
            card = None
        else:
            restore(card, log.card_before)
    undone.card = card_state(card) if card is not None else None
    db.flush()
    return undone


def _reopen_item(db: Session, log: ReviewLog) -> None:
    if log.session_id is None:
        return
    item = repo.item_for_question(db, log.session_id, log.question_id, graded=True)
    if item is not None:
        item.graded_at, item.rating = None, None
        repo.drop_open_items_after(db, log.session_id, log.question_id, item.position)
    quiz = repo.get_session(db, log.user_id, log.session_id)
    if quiz is not None:
        quiz.finished_at = None
