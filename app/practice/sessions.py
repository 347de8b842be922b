"""Quiz sessions: scopes and modes, the next card, the reveal, the page of a session, and the
practice overview of every pack.

A little past 400 lines: the session page gathers its card, marks, note and day outlook here,
where the rest of what a session shows is assembled, rather than in a second page module."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import escape
from sqlalchemy.orm import Session

from app.auth.models import User
from app.content import keyterms as terms
from app.content import lookups
from app.content.models import Pack, Question
from app.db import utcnow
from app.errors import AppError, NotFound
from app.practice import card_status, limits
from app.practice import repository as repo
from app.practice.models import (
    Card,
    QuizSession,
    QuizSessionItem,
)
from app.practice.schemas import (
    CardRead,
    CardStateRead,
    DebriefItem,
    IntervalPreview,
    RevealRead,
    ScopeRead,
    SessionCreate,
    SessionRead,
    TermRead,
)
from app.practice.service import (
    MOCK_SECONDS_PER_QUESTION,
    RATING_NAMES,
    card_state,
    interval_previews,
    schedules,
)
from app.practice.settings import settings_for

# --- sessions ---


def _drawable(db: Session, user: User, questions: list[Question], now: datetime) -> list[Question]:
    """questions less the suspended ones and those buried for the rest of the day."""
    hidden = card_status.excluded_question_ids(db, user.id, now)
    return [q for q in questions if q.id not in hidden]


def _scope_questions(
    db: Session, user: User, pack: Pack, kind: str, now: datetime
) -> list[Question]:
    questions = _drawable(db, user, list(lookups.live_questions(db, pack)), now)
    if kind == "all":
        return questions
    if kind == "unanswered":
        return [q for q in questions if not q.has_answer]
    if kind == "bookmarked":
        marked = repo.bookmarked_ids(db, user.id, pack.id)
        return [q for q in questions if q.id in marked]
    if kind == "flagged":
        flagged = card_status.flagged_ids(db, user.id, pack.id)
        return [q for q in questions if q.id in flagged]
    cards = repo.user_cards_by_question(db, user.id, [q.id for q in questions])
    if kind == "new":
        return [q for q in questions if q.id not in cards]
    if kind == "due":
        due = [q for q in questions if q.id in cards and cards[q.id].due <= now]
        return sorted(due, key=lambda q: cards[q.id].due)
    raise AppError(
        "unknown_scope",
        en="Unknown scope kind '{kind}'.",
        ko="알 수 없는 범위 종류입니다: '{kind}'.",
        status=422,
        kind=kind,
    )


def _chain(db: Session, pack: Pack, number: str) -> list[Question]:
    """The chain of a question: its main question first, then the follow-ups in order."""
    question = lookups.find_question_row(db, pack.slug, number)
    if question.retired:
        raise NotFound(
            "No question '{id}'.", "질문 '{id}'이(가) 없습니다.", id=f"{pack.slug}/{number}"
        )
    return list(lookups.chain(db, question.parent_id or question.id))


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
    return list(lookups.chain(db, random.choice(mains)))


def start_session(
    db: Session, user: User, body: SessionCreate, now: datetime | None = None
) -> QuizSession:
    """A new session over the scope's questions; 409 when the scope holds none."""
    now = now or utcnow()
    pack = lookups.find_pack(db, body.scope.pack)
    if body.mode == "mock":
        questions = _mock_chain(db, user, pack, body, now)
    elif body.scope.kind == "chain":
        if not body.scope.question:
            raise AppError(
                "chain_needs_question",
                en="A chain scope needs 'question': the main question's number.",
                ko="연속 질문 범위에는 주 질문 번호('question')가 필요합니다.",
                status=422,
            )
        questions = _chain(db, pack, body.scope.question)
    else:
        kind = body.scope.kind
        questions = _scope_questions(db, user, pack, kind, now)
        if body.mode == "review":  # what other modes grade does not count against the limits
            questions = limits.within_daily_limits(db, user.id, pack.id, kind, questions, now)
    questions = _drawable(db, user, questions, now)
    if not questions:
        raise AppError(
            "empty_scope",
            en="Nothing to practise in this scope now.",
            ko="이 범위에는 지금 연습할 질문이 없습니다.",
            status=409,
            extra={"reason": "empty_scope"},
        )
    quiz = QuizSession(
        user_id=user.id,
        mode=body.mode,
        scope_kind=body.scope.kind,
        pack=pack,
        main_question=questions[0] if body.mode == "mock" or body.scope.kind == "chain" else None,
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
    graded = sum(1 for i in items if i.rating is not None)
    skipped = sum(1 for i in items if i.graded_at is not None and i.rating is None)
    main = quiz.main_question
    return SessionRead(
        id=quiz.id,
        mode=quiz.mode,  # type: ignore[arg-type]
        scope=ScopeRead(
            pack=quiz.pack.slug,
            kind=quiz.scope_kind,  # type: ignore[arg-type]
            question=main.number if main else None,
        ),
        status=session_status(quiz, now),  # type: ignore[arg-type]
        total=len(items),
        graded=graded,
        skipped=skipped,
        remaining=len(items) - graded - skipped,
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
    return repo.current_item(db, quiz.id, now, lock=lock)


def _previews(
    db: Session, user: User, quiz: QuizSession, card: Card | None, now: datetime
) -> list[IntervalPreview] | None:
    """The interval each grade leads to; None where grades leave the schedule alone."""
    settings = settings_for(db, user.id)
    return interval_previews(card, now, settings) if schedules(quiz.mode, settings) else None


def next_card(
    db: Session, user: User, quiz: QuizSession, now: datetime | None = None
) -> CardRead | None:
    """The session's current card, or None when it is over."""
    now = now or utcnow()
    item = _open_item(db, quiz, now)
    if item is None:
        return None
    question = item.question
    card = repo.get_card(db, user.id, question.id)
    return CardRead(
        session=quiz.id,
        question=f"{quiz.pack.slug}/{question.number}",
        number=question.number,
        title=question.title,
        html=str(escape(question.title)),
        is_follow_up=question.parent_id is not None,
        returning=item.due_at is not None,
        position=item.position,
        total=len(repo.session_items(db, quiz.id)),
        revealed=item.revealed_at is not None,
        answer_text=item.answer_text,
        has_answer=question.has_answer,
        previews=_previews(db, user, quiz, card, now),
        seconds_left=_seconds_left(quiz, now),
    )


def reveal(
    db: Session, user: User, quiz: QuizSession, answer_text: str | None, now: datetime | None = None
) -> RevealRead:
    """Show the model answer of the current card, with the typed answer's key-term coverage."""
    now = now or utcnow()
    item = _open_item(db, quiz, now, lock=True)
    late = quiz.mode == "mock" and session_status(quiz, now) == "expired"
    if item is None and late and answer_text and answer_text.strip():
        # The clock ran out mid-answer: what was typed is kept for the debrief.
        item = repo.current_item(db, quiz.id, now, lock=True)
    if item is None:
        status = session_status(quiz, now)
        if status == "expired":
            raise AppError("time_up", en="Time is up.", ko="시간이 다 되었습니다.", status=409)
        raise AppError(
            "no_card_left",
            en="No card is left in this session.",
            ko="이 세션에 남은 카드가 없습니다.",
            status=409,
        )
    if item.revealed_at is None:
        item.revealed_at = now
    if answer_text is not None and answer_text.strip():
        item.answer_text = answer_text
    db.flush()
    return revealed_view(db, user, quiz, item, now)


def debrief_items(db: Session, user: User, quiz: QuizSession) -> list[DebriefItem]:
    """A mock interview, question by question: what was typed against the model answer."""
    out = []
    for item in repo.session_items(db, quiz.id, with_questions=True):
        question = item.question
        own = None if question.has_answer else repo.get_user_answer(db, user.id, question.id)
        model = question.answer_markdown or (own.body_markdown if own else "")
        found = terms.coverage(model, item.answer_text, question.key_terms)
        out.append(
            DebriefItem(
                question=f"{quiz.pack.slug}/{question.number}",
                number=question.number,
                title=question.title,
                position=item.position,
                answer_text=item.answer_text,
                has_answer=question.has_answer,
                answer_html=question.answer_html,
                own_answer_html=own.body_html if own else None,
                terms=[TermRead(text=t.text, kind=t.kind, covered=t.covered) for t in found],
                covered=sum(1 for t in found if t.covered),
                rating=item.rating,
            )
        )
    return out


def revealed_view(
    db: Session, user: User, quiz: QuizSession, item: QuizSessionItem, now: datetime
) -> RevealRead:
    """What a revealed card shows: the model (or own) answer and the key terms covered."""
    question = item.question
    own = repo.get_user_answer(db, user.id, question.id)
    coverage = terms.coverage(
        question.answer_markdown or (own.body_markdown if own else ""),
        item.answer_text,
        question.key_terms,
    )
    card = repo.get_card(db, user.id, question.id)
    return RevealRead(
        session=quiz.id,
        question=f"{quiz.pack.slug}/{question.number}",
        position=item.position,
        total=len(repo.session_items(db, quiz.id)),
        has_answer=question.has_answer,
        answer_html=question.answer_html,
        own_answer_html=own.body_html if own else None,
        answer_text=item.answer_text,
        terms=[TermRead(text=t.text, kind=t.kind, covered=t.covered) for t in coverage],
        covered=sum(1 for t in coverage if t.covered),
        previews=_previews(db, user, quiz, card, now),
    )


@dataclass(frozen=True)
class SessionPage:
    """Everything the session page shows at one moment."""

    summary: SessionRead
    card: CardRead | None
    revealed: RevealRead | None
    debrief: list[DebriefItem] | None = None
    # The current card's marks, and once it is revealed the user's note on it.
    marks: card_status.StatusView | None = None
    note: str | None = None
    # Once the session is over (not a mock): what the pack holds for later today and tomorrow.
    outlook: card_status.DayOutlook | None = None


def session_page(
    db: Session, user: User, quiz: QuizSession, now: datetime | None = None
) -> SessionPage:
    """The session's state for the page: summary, current card, and its answer once revealed."""
    now = now or utcnow()
    card = next_card(db, user, quiz, now)
    revealed, marks, note = None, None, None
    item = repo.current_item(db, quiz.id, now) if card is not None else None
    if item is not None:
        marks = card_status.status_view(db, user.id, item.question_id, now)
    if item is not None and card is not None and card.revealed:
        revealed = revealed_view(db, user, quiz, item, now)
        saved_note = repo.get_note(db, user.id, item.question_id)
        note = saved_note.body if saved_note else None
    summary = describe_session(db, quiz, now)
    over = quiz.mode == "mock" and summary.status != "active"
    items = debrief_items(db, user, quiz) if over else None
    outlook = None
    if card is None and quiz.mode != "mock":
        outlook = card_status.day_outlook(db, user, quiz.pack, now)
    return SessionPage(
        summary=summary,
        card=card,
        revealed=revealed,
        debrief=items,
        marks=marks,
        note=note,
        outlook=outlook,
    )


# --- the practice page ---


@dataclass(frozen=True)
class PackSummary:
    """A pack on the practice page. due and new are what today's limits let a session draw;
    due_waiting and new_waiting what there is without them."""

    slug: str
    title: str
    title_en: str
    total: int
    due: int
    new: int
    bookmarked: int
    unanswered: int
    due_waiting: int = 0
    new_waiting: int = 0
    allowance: limits.DailyAllowance | None = None


def practice_overview(db: Session, user: User, now: datetime | None = None) -> list[PackSummary]:
    """Each pack with what there is to practise in it now, within today's limits."""
    now = now or utcnow()
    counts = card_status.less_hidden(db, user.id, repo.pack_counts(db, user.id, now), now)
    today = limits.daily_limits(db, user.id, settings_for(db, user.id), now)
    out = []
    for pack in lookups.all_packs(db):
        questions: Sequence[Question] = lookups.live_questions(db, pack)
        c = counts.get(pack.id, {"total": 0, "due": 0, "new": 0})
        allowance = today.pack(pack.id)
        out.append(
            PackSummary(
                slug=pack.slug,
                title=pack.title,
                title_en=pack.title_en,
                total=c["total"],
                due=limits.due_within_limit(db, user.id, c["due"], allowance, now),
                new=min(c["new"], allowance.new_left),
                bookmarked=len(repo.bookmarked_ids(db, user.id, pack.id)),
                unanswered=sum(1 for q in questions if not q.has_answer),
                due_waiting=c["due"],
                new_waiting=c["new"],
                allowance=allowance,
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
    marks: card_status.StatusView | None = None
    note_updated_at: datetime | None = None


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
        marks=card_status.status_view(db, user_id, question_id, utcnow()),
        note_updated_at=note.updated_at if note else None,
    )


def _chain_size(db: Session, question_id: int) -> int:
    return len(lookups.chain_of(db, question_id))


def unfinished_session(db: Session, user: User, now: datetime | None = None) -> SessionRead | None:
    """The user's latest session still open with questions left, to carry on with."""
    now = now or utcnow()
    for quiz in repo.recent_sessions(db, user.id):
        summary = describe_session(db, quiz, now)
        if summary.status == "active" and summary.remaining:
            return summary
    return None
