"""Practice logic: quiz sessions, grading with FSRS, undo, bookmarks, notes, own answers."""

from __future__ import annotations

import random
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fsrs import Rating, State
from markupsafe import escape
from sqlalchemy.orm import Session

from app.auth.models import User
from app.config import get_settings
from app.content.models import Pack, Question
from app.content.render import RenderContext, render_answer
from app.db import utcnow
from app.errors import AppError, NotFound
from app.practice import repository as repo
from app.practice import terms
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
    Bookmark,
    Card,
    Note,
    QuizSession,
    QuizSessionItem,
    ReviewLog,
    UserAnswer,
)
from app.practice.schemas import (
    CardRead,
    CardStateRead,
    IntervalPreview,
    RevealRead,
    ReviewCreate,
    ReviewRead,
    ScopeRead,
    SessionCreate,
    SessionRead,
    TermRead,
    UndoRead,
)

RATING_NAMES = {1: "again", 2: "hard", 3: "good", 4: "easy"}
STATE_NAMES = {1: "learning", 2: "review", 3: "relearning"}
MOCK_SECONDS_PER_QUESTION = 120


@dataclass(frozen=True)
class QuestionRef:
    """A question with its pack, as a client names it: 'pack/number'."""

    pack: Pack
    question: Question

    @property
    def public_id(self) -> str:
        return f"{self.pack.slug}/{self.question.number}"


def fuzzing_enabled() -> bool:
    """Fuzz intervals in real use; tests compare against fsrs without fuzz."""
    return get_settings().env != "test"


# --- lookups ---


def find_pack(db: Session, slug: str) -> Pack:
    pack = repo.get_pack(db, slug)
    if pack is None:
        raise NotFound(f"No pack '{slug}'.")
    return pack


def find_question(db: Session, pack_slug: str, number: str) -> QuestionRef:
    """The question pack_slug/number, or a 404 naming it."""
    pack = find_pack(db, pack_slug)
    question = repo.get_question(db, pack.id, number)
    if question is None:
        raise NotFound(f"No question '{pack_slug}/{number}'.")
    return QuestionRef(pack, question)


def parse_question_id(public_id: str) -> tuple[str, str]:
    pack, _, number = public_id.rpartition("/")
    if not pack or not number:
        raise AppError(f"Question ids look like 'pack/number', not '{public_id}'.", 422)
    return pack, number


def find_session(db: Session, user: User, session_id: int) -> QuizSession:
    quiz = repo.get_session(db, user.id, session_id)
    if quiz is None:
        raise NotFound(f"No practice session {session_id}.")
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


def interval_previews(card: Card | None, now: datetime) -> list[IntervalPreview]:
    """What each grade would schedule, computed by fsrs on a copy (never fuzzed, like Anki)."""
    sched = scheduler(enable_fuzzing=False)
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


# --- sessions ---


def _scope_questions(
    db: Session, user: User, pack: Pack, kind: str, now: datetime
) -> list[Question]:
    questions = list(repo.pack_questions(db, pack.id))
    if kind == "all":
        return questions
    if kind == "unanswered":
        return [q for q in questions if not q.has_answer]
    if kind == "bookmarked":
        marked = repo.bookmarked_ids(db, user.id, pack.id)
        return [q for q in questions if q.id in marked]
    cards = repo.user_cards_by_question(db, user.id, [q.id for q in questions])
    if kind == "new":
        return [q for q in questions if q.id not in cards]
    if kind == "due":
        due = [q for q in questions if q.id in cards and cards[q.id].due <= now]
        return sorted(due, key=lambda q: cards[q.id].due)
    raise AppError(f"Unknown scope kind '{kind}'.", 422)


def _chain(db: Session, pack: Pack, number: str) -> list[Question]:
    """The chain of a question: its main question first, then the follow-ups in order."""
    question = repo.get_question(db, pack.id, number)
    if question is None or question.retired:
        raise NotFound(f"No question '{pack.slug}/{number}'.")
    main_id = question.parent_id or question.id
    return list(repo.chain_questions(db, main_id))


def _mock_chain(
    db: Session, user: User, pack: Pack, body: SessionCreate, now: datetime
) -> list[Question]:
    """A random main question whose chain meets the scope, with its follow-ups."""
    if body.scope.question:
        return _chain(db, pack, body.scope.question)
    kind = "all" if body.scope.kind == "chain" else body.scope.kind
    pool = _scope_questions(db, user, pack, kind, now)
    mains = sorted({q.parent_id or q.id for q in pool})
    if not mains:
        return []
    return list(repo.chain_questions(db, random.choice(mains)))


def start_session(
    db: Session, user: User, body: SessionCreate, now: datetime | None = None
) -> QuizSession:
    """A new session over the scope's questions; 409 when the scope holds none."""
    now = now or utcnow()
    pack = find_pack(db, body.scope.pack)
    if body.mode == "mock":
        questions = _mock_chain(db, user, pack, body, now)
    elif body.scope.kind == "chain":
        if not body.scope.question:
            raise AppError("A chain scope needs 'question': the main question's number.", 422)
        questions = _chain(db, pack, body.scope.question)
    else:
        questions = _scope_questions(db, user, pack, body.scope.kind, now)
    if not questions:
        raise AppError(
            "이 범위에는 지금 연습할 질문이 없습니다. (Nothing to practise in this scope now.)",
            409,
            extra={"reason": "empty_scope"},
        )
    quiz = QuizSession(
        user_id=user.id,
        mode=body.mode,
        scope_kind=body.scope.kind,
        pack_id=pack.id,
        question_id=questions[0].id if body.mode == "mock" or body.scope.kind == "chain" else None,
        created_at=now,
    )
    if body.mode == "mock":
        quiz.time_limit_s = body.time_limit_s or MOCK_SECONDS_PER_QUESTION * len(questions)
        quiz.deadline_at = now + timedelta(seconds=quiz.time_limit_s)
    repo.add_session(db, quiz, [q.id for q in questions])
    return quiz


def _seconds_left(quiz: QuizSession, now: datetime) -> int | None:
    if quiz.deadline_at is None:
        return None
    return max(0, int((quiz.deadline_at - now).total_seconds()))


def session_status(quiz: QuizSession, now: datetime) -> str:
    if quiz.finished_at is not None:
        return "finished"
    if quiz.deadline_at is not None and quiz.deadline_at <= now:
        return "expired"
    return "active"


def describe_session(db: Session, quiz: QuizSession, now: datetime | None = None) -> SessionRead:
    now = now or utcnow()
    items = repo.session_items(db, quiz.id)
    ratings = {name: 0 for name in RATING_NAMES.values()}
    for item in items:
        if item.rating is not None:
            ratings[RATING_NAMES[item.rating]] += 1
    graded = sum(1 for i in items if i.graded_at is not None)
    pack = db.get(Pack, quiz.pack_id)
    main = db.get(Question, quiz.question_id) if quiz.question_id else None
    return SessionRead(
        id=quiz.id,
        mode=quiz.mode,  # type: ignore[arg-type]
        scope=ScopeRead(
            pack=pack.slug if pack else "",
            kind=quiz.scope_kind,  # type: ignore[arg-type]
            question=main.number if main else None,
        ),
        status=session_status(quiz, now),  # type: ignore[arg-type]
        total=len(items),
        graded=graded,
        remaining=len(items) - graded,
        ratings=ratings,
        created_at=quiz.created_at,
        finished_at=quiz.finished_at if quiz.finished_at else None,
        time_limit_s=quiz.time_limit_s,
        deadline_at=quiz.deadline_at if quiz.deadline_at else None,
        seconds_left=_seconds_left(quiz, now),
    )


def _open_item(
    db: Session, quiz: QuizSession, now: datetime, lock: bool = False
) -> QuizSessionItem | None:
    """The card the session shows now; None when done or out of time."""
    if session_status(quiz, now) != "active":
        return None
    return repo.current_item(db, quiz.id, lock=lock)


def next_card(
    db: Session, user: User, quiz: QuizSession, now: datetime | None = None
) -> CardRead | None:
    """The session's current card, or None when it is over."""
    now = now or utcnow()
    item = _open_item(db, quiz, now)
    if item is None:
        return None
    question = db.get(Question, item.question_id)
    pack = db.get(Pack, quiz.pack_id)
    assert question is not None and pack is not None
    card = repo.get_card(db, user.id, question.id)
    return CardRead(
        session=quiz.id,
        question=f"{pack.slug}/{question.number}",
        number=question.number,
        title=question.title,
        html=str(escape(question.title)),
        is_follow_up=question.parent_id is not None,
        position=item.position,
        total=len(repo.session_items(db, quiz.id)),
        revealed=item.revealed_at is not None,
        answer_text=item.answer_text,
        has_answer=question.has_answer,
        previews=None if quiz.mode == "cram" else interval_previews(card, now),
        seconds_left=_seconds_left(quiz, now),
    )


def reveal(
    db: Session, user: User, quiz: QuizSession, answer_text: str | None, now: datetime | None = None
) -> RevealRead:
    """Show the model answer of the current card, with the typed answer's key-term coverage."""
    now = now or utcnow()
    item = _open_item(db, quiz, now, lock=True)
    if item is None:
        status = session_status(quiz, now)
        message = (
            "시간이 다 되었습니다. (Time is up.)"
            if status == "expired"
            else ("이 세션에 남은 카드가 없습니다. (No card left in this session.)")
        )
        raise AppError(message, 409)
    if item.revealed_at is None:
        item.revealed_at = now
    if answer_text is not None and answer_text.strip():
        item.answer_text = answer_text
    db.flush()
    return revealed_view(db, user, quiz, item, now)


def revealed_view(
    db: Session, user: User, quiz: QuizSession, item: QuizSessionItem, now: datetime
) -> RevealRead:
    """What a revealed card shows: the model (or own) answer and the key terms covered."""
    question = db.get(Question, item.question_id)
    pack = db.get(Pack, quiz.pack_id)
    assert question is not None and pack is not None
    own = repo.get_user_answer(db, user.id, question.id)
    coverage = terms.coverage(
        question.answer_markdown or (own.body_markdown if own else ""), item.answer_text
    )
    card = repo.get_card(db, user.id, question.id)
    return RevealRead(
        session=quiz.id,
        question=f"{pack.slug}/{question.number}",
        position=item.position,
        total=len(repo.session_items(db, quiz.id)),
        has_answer=question.has_answer,
        answer_html=question.answer_html,
        own_answer_html=own.body_html if own else None,
        answer_text=item.answer_text,
        terms=[TermRead(text=t.text, kind=t.kind, covered=t.covered) for t in coverage],
        covered=sum(1 for t in coverage if t.covered),
        previews=None if quiz.mode == "cram" else interval_previews(card, now),
    )


@dataclass(frozen=True)
class SessionPage:
    """Everything the session page shows at one moment."""

    summary: SessionRead
    card: CardRead | None
    revealed: RevealRead | None


def session_page(
    db: Session, user: User, quiz: QuizSession, now: datetime | None = None
) -> SessionPage:
    """The session's state for the page: summary, current card, and its answer once revealed."""
    now = now or utcnow()
    card = next_card(db, user, quiz, now)
    revealed = None
    if card is not None and card.revealed:
        item = repo.current_item(db, quiz.id)
        assert item is not None
        revealed = revealed_view(db, user, quiz, item, now)
    return SessionPage(summary=describe_session(db, quiz, now), card=card, revealed=revealed)


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


def _session_item_to_grade(db: Session, quiz: QuizSession, question: Question) -> QuizSessionItem:
    item = repo.item_for_question(db, quiz.id, question.id, graded=False)
    if item is None:
        if repo.item_for_question(db, quiz.id, question.id, graded=True) is not None:
            raise AppError(
                "이미 채점한 카드입니다. 되돌린 뒤 다시 채점하세요. (Already graded; undo first.)",
                409,
            )
        raise AppError("이 질문은 이 세션에 없습니다. (This question is not in the session.)", 409)
    if item.revealed_at is None:
        raise AppError("먼저 모범 답안을 확인하세요. (Reveal the answer before grading.)", 409)
    return item


def _schedule(
    db: Session, user: User, question: Question, rating: int, now: datetime
) -> tuple[Card, str | None]:
    """Apply one grade to the user's card with fsrs; returns the card and its state before."""
    new = new_fsrs_card(now)
    values = {
        "state": new.state.value,
        "step": new.step,
        "due": new.due,
        "reps": 0,
        "lapses": 0,
        "created_at": now,
    }
    card, created = repo.get_or_create_card(db, user.id, question.id, values)
    before = None if created else snapshot(card)
    was_review = card.state == State.Review.value
    after, _ = scheduler(fuzzing_enabled()).review_card(to_fsrs_card(card), Rating(rating), now)
    apply_fsrs_card(card, after)
    card.reps = (card.reps or 0) + 1
    if was_review and rating == Rating.Again.value:
        card.lapses = (card.lapses or 0) + 1
    return card, before


def grade(db: Session, user: User, body: ReviewCreate, now: datetime | None = None) -> ReviewRead:
    """Record a grade: a review log row, and (except in cram) the card rescheduled by fsrs."""
    now = now or utcnow()
    ref = find_question(db, *parse_question_id(body.question))
    quiz = find_session(db, user, body.session) if body.session is not None else None
    item = _session_item_to_grade(db, quiz, ref.question) if quiz is not None else None
    mode = quiz.mode if quiz is not None else "review"
    answer_text = body.answer_text or (item.answer_text if item is not None else None)
    log = ReviewLog(
        user_id=user.id,
        question_id=ref.question.id,
        rating=body.rating,
        reviewed_at=now,
        duration_ms=body.duration_ms,
        answer_text=answer_text,
        session_id=quiz.id if quiz is not None else None,
        mode=mode,
        scheduled=mode != "cram",
    )
    card = _apply_grade(db, user, ref.question, log)
    repo.add_review(db, log)
    done = _close_item(db, quiz, item, body, now) if quiz is not None and item is not None else None
    return _review_read(log, ref, card, done)


def _apply_grade(db: Session, user: User, question: Question, log: ReviewLog) -> Card | None:
    """Reschedule the card (not in cram) and copy its new state onto the log row."""
    if not log.scheduled:
        card = repo.get_card(db, user.id, question.id)
        log.card_id = card.id if card is not None else None
        return card
    card, log.card_before = _schedule(db, user, question, log.rating, log.reviewed_at)
    db.flush()
    log.card_id, log.state, log.stability = card.id, card.state, card.stability
    log.difficulty, log.due = card.difficulty, card.due
    if log.card_before is not None:
        log.elapsed_days = elapsed_days(log.card_before, log.reviewed_at)
    return card


def _review_read(
    log: ReviewLog, ref: QuestionRef, card: Card | None, done: bool | None
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
        raise AppError("되돌릴 채점이 없습니다. (Nothing to undo.)", 409)
    question = db.get(Question, log.question_id)
    pack = db.get(Pack, question.pack_id) if question is not None else None
    card = repo.get_card_by_id(db, log.card_id) if log.card_id is not None else None
    undone = UndoRead(
        question=f"{pack.slug}/{question.number}" if pack and question else "",
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
    quiz = db.get(QuizSession, log.session_id)
    if quiz is not None:
        quiz.finished_at = None


# --- bookmarks, notes, own answers ---


def set_bookmark(db: Session, user: User, ref: QuestionRef, on: bool) -> None:
    if not on:
        repo.delete_bookmark(db, user.id, ref.question.id)
        return
    if repo.get_bookmark(db, user.id, ref.question.id) is None:
        repo.insert_if_absent(
            db,
            Bookmark,
            {"user_id": user.id, "question_id": ref.question.id, "created_at": utcnow()},
        )


def is_bookmarked(db: Session, user: User, ref: QuestionRef) -> bool:
    return repo.get_bookmark(db, user.id, ref.question.id) is not None


def save_note(db: Session, user: User, ref: QuestionRef, body: str) -> Note:
    """Create or replace the user's note on the question."""
    return _upsert(db, Note, user, ref, {"body": body, "updated_at": utcnow()})  # type: ignore[no-any-return]


def _upsert(
    db: Session,
    model: type[Note] | type[UserAnswer],
    user: User,
    ref: QuestionRef,
    values: dict[str, Any],
) -> Any:
    """Insert the user's row for the question, or update the one there (even one made just now)."""
    key = {"user_id": user.id, "question_id": ref.question.id}
    if not repo.insert_if_absent(db, model, {**key, **values}):
        repo.update_owned(db, model, key, values)
    row = repo.get_owned(db, model, key)
    assert row is not None
    return row


def get_note(db: Session, user: User, ref: QuestionRef) -> Note:
    note = repo.get_note(db, user.id, ref.question.id)
    if note is None:
        raise NotFound(f"No note on '{ref.public_id}'.")
    return note


def delete_note(db: Session, user: User, ref: QuestionRef) -> None:
    repo.delete_note(db, user.id, ref.question.id)


def render_own_answer(pack_slug: str, markdown: str) -> str:
    """A user's Markdown as safe HTML, by the same renderer and allow-list as the packs."""
    return render_answer(markdown, RenderContext(pack_slug=pack_slug))


def save_user_answer(db: Session, user: User, ref: QuestionRef, markdown: str) -> UserAnswer:
    if ref.question.has_answer:
        raise AppError(
            "이 질문에는 이미 모범 답안이 있습니다. (This entry already has an answer.)", 409
        )
    html = render_own_answer(ref.pack.slug, markdown)
    values = {"body_markdown": markdown, "body_html": html, "updated_at": utcnow()}
    return _upsert(db, UserAnswer, user, ref, values)  # type: ignore[no-any-return]


def get_user_answer(db: Session, user: User, ref: QuestionRef) -> UserAnswer:
    answer = repo.get_user_answer(db, user.id, ref.question.id)
    if answer is None:
        raise NotFound(f"No answer of yours on '{ref.public_id}'.")
    return answer


def delete_user_answer(db: Session, user: User, ref: QuestionRef) -> None:
    repo.delete_user_answer(db, user.id, ref.question.id)


# --- the practice page ---


@dataclass(frozen=True)
class PackSummary:
    slug: str
    title: str
    total: int
    due: int
    new: int
    bookmarked: int
    unanswered: int


def practice_overview(db: Session, user: User, now: datetime | None = None) -> list[PackSummary]:
    """Each pack with what there is to practise in it now."""
    now = now or utcnow()
    counts = repo.pack_counts(db, user.id, now)
    out = []
    for pack in repo.list_packs(db):
        questions: Sequence[Question] = repo.pack_questions(db, pack.id)
        c = counts.get(pack.id, {"total": 0, "due": 0, "new": 0})
        out.append(
            PackSummary(
                slug=pack.slug,
                title=pack.title,
                total=c["total"],
                due=c["due"],
                new=c["new"],
                bookmarked=len(repo.bookmarked_ids(db, user.id, pack.id)),
                unanswered=sum(1 for q in questions if not q.has_answer),
            )
        )
    return out


@dataclass(frozen=True)
class QuestionState:
    """One user's practice state on one question (for the question page's panel)."""

    bookmarked: bool
    note: str | None
    own_answer_markdown: str | None
    own_answer_html: str | None
    card: CardStateRead | None
    chain_size: int


def question_state(db: Session, user_id: int, question_id: int) -> QuestionState:
    note = repo.get_note(db, user_id, question_id)
    own = repo.get_user_answer(db, user_id, question_id)
    card = repo.get_card(db, user_id, question_id)
    return QuestionState(
        bookmarked=repo.get_bookmark(db, user_id, question_id) is not None,
        note=note.body if note else None,
        own_answer_markdown=own.body_markdown if own else None,
        own_answer_html=own.body_html if own else None,
        card=card_state(card) if card else None,
        chain_size=_chain_size(db, question_id),
    )


def _chain_size(db: Session, question_id: int) -> int:
    question = db.get(Question, question_id)
    if question is None:
        return 0
    return len(repo.chain_questions(db, question.parent_id or question.id))
