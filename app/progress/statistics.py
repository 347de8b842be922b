"""Progress numbers from review rows: due counts, activity, streaks, retention, mastery."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.auth.models import User
from app.content import lookups
from app.db import utcnow
from app.practice import fsrs_adapter
from app.practice.models import (
    Card,
    ReviewLog,
)
from app.practice.settings import settings_for
from app.progress import repository as repo
from app.progress.schemas import (
    DayCount,
    DueCounts,
    PackMastery,
    ProgressRead,
    QuestionHistoryRead,
    QuestionMastery,
    Retention,
    ReviewHistoryItem,
    Streak,
    Totals,
    WeekRetention,
)

HEATMAP_DAYS = 365
RETENTION_WEEKS = 26
WEAKEST_COUNT = 10
"""Largest export accepted by an import (about 50,000 reviews with typed answers)."""


# --- local days ------------------------------------------------------------------------------


def local_today(now: datetime, offset_minutes: int) -> date:
    """The calendar date at now in a zone offset_minutes east of UTC."""
    return (now.astimezone(UTC) + timedelta(minutes=offset_minutes)).date()


def end_of_local_day(now: datetime, offset_minutes: int) -> datetime:
    """The UTC instant the local day of now ends."""
    tomorrow = local_today(now, offset_minutes) + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=UTC) - timedelta(
        minutes=offset_minutes
    )


def compute_streak(days: Iterable[date], today: date) -> Streak:
    """Current and longest runs of consecutive days in days.

    A streak still counts until today is over: with nothing done yet today, it runs to
    yesterday, as in Anki and Duolingo.
    """
    day_set = set(days)
    reviewed_today = today in day_set
    current = 0
    cursor = today if reviewed_today else today - timedelta(days=1)
    while cursor in day_set:
        current += 1
        cursor -= timedelta(days=1)
    longest = run = 0
    previous: date | None = None
    for day in sorted(day_set):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    return Streak(current=current, longest=longest, reviewed_today=reviewed_today)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# --- progress --------------------------------------------------------------------------------


@dataclass
class _Scope:
    user_id: int
    pack: str | None
    offset: int
    now: datetime


def get_progress(
    session: Session,
    user: User,
    *,
    pack: str | None = None,
    tz_offset_minutes: int = 0,
    now: datetime | None = None,
) -> ProgressRead:
    """Everything the progress page shows, for one user (and one pack if asked)."""
    if pack is not None:
        lookups.find_pack(session, pack)
    scope = _Scope(user.id, pack, tz_offset_minutes, (now or utcnow()))
    questions = _question_mastery(session, scope)
    pack_rows = repo.count_questions_by_pack(session, pack)
    return ProgressRead(
        generated_at=scope.now,
        tz_offset_minutes=scope.offset,
        pack=pack,
        totals=Totals(
            questions=sum(int(row.questions) for row in pack_rows),
            seen=len(questions),
            reviews=repo.review_total(session, user.id, pack),
        ),
        due=_due_counts(session, scope),
        **_activity(session, scope),
        retention=_retention(session, scope),
        packs=_pack_mastery(pack_rows, questions),
        questions=questions,
        weakest=weakest(questions),
    )


def _due_counts(session: Session, scope: _Scope) -> DueCounts:
    row = repo.due_counts(
        session,
        scope.user_id,
        scope.pack,
        scope.now,
        end_of_local_day(scope.now, scope.offset),
        scope.now + timedelta(days=7),
    )
    return DueCounts(now=int(row.now), today=int(row.today), week=int(row.week))


def _activity(session: Session, scope: _Scope) -> dict[str, Any]:
    """Reviews per day for the heatmap, and the streak of days with a scheduled grade."""
    rows = repo.reviews_per_day(session, scope.user_id, scope.pack, scope.offset)
    per_day = {_as_date(row.day): int(row.reviews) for row in rows}
    today = local_today(scope.now, scope.offset)
    first = today - timedelta(days=HEATMAP_DAYS - 1)
    heatmap = [
        DayCount(date=first + timedelta(days=i), reviews=per_day.get(first + timedelta(days=i), 0))
        for i in range(HEATMAP_DAYS)
    ]
    scheduled_days = [_as_date(row.day) for row in rows if int(row.sched or 0) > 0]
    return {"reviews_per_day": heatmap, "streak": compute_streak(scheduled_days, today)}


def _ratio(passed: int, total: int) -> float | None:
    return passed / total if total else None


def _retention(session: Session, scope: _Scope) -> Retention:
    rows = repo.retention_per_day(session, scope.user_id, scope.pack, scope.offset)
    today = local_today(scope.now, scope.offset)
    month_start = today - timedelta(days=29)
    this_week = today - timedelta(days=today.weekday())
    first_week = this_week - timedelta(weeks=RETENTION_WEEKS - 1)
    weeks: dict[date, list[int]] = {first_week + timedelta(weeks=i): [0, 0] for i in range(26)}
    total = passed = month_total = month_passed = 0
    for row in rows:
        day, n, ok = _as_date(row.day), int(row.reviews), int(row.passed or 0)
        total, passed = total + n, passed + ok
        if day >= month_start:
            month_total, month_passed = month_total + n, month_passed + ok
        week = day - timedelta(days=day.weekday())
        if week in weeks:
            weeks[week][0] += n
            weeks[week][1] += ok
    return Retention(
        last_30_days=_ratio(month_passed, month_total),
        last_30_days_reviews=month_total,
        all_time=_ratio(passed, total),
        all_time_reviews=total,
        weekly=[
            WeekRetention(week_start=week, reviews=n, retention=_ratio(ok, n))
            for week, (n, ok) in sorted(weeks.items())
        ],
    )


def _mastery(row: Any, now: datetime, sched: Any) -> QuestionMastery:
    return QuestionMastery(
        question=f"{row.pack}/{row.number}",
        pack=row.pack,
        number=row.number,
        title=row.title,
        state=row.state,
        retrievability=fsrs_adapter.retrievability(row, now, sched),
        stability=row.stability,
        difficulty=row.difficulty,
        due=row.due,
        last_review=row.last_review if row.last_review else None,
        last_rating=row.last_rating,
        reps=row.reps,
        lapses=row.lapses,
    )


def _question_mastery(session: Session, scope: _Scope) -> list[QuestionMastery]:
    # Recall decays by the user's own FSRS weights when they have fitted ones.
    sched = fsrs_adapter.scheduler(False, settings_for(session, scope.user_id))
    rows = repo.card_rows(session, scope.user_id, scope.pack)
    return [_mastery(row, scope.now, sched) for row in rows]


def _pack_mastery(
    pack_rows: Sequence[Any], questions: Sequence[QuestionMastery]
) -> list[PackMastery]:
    recall: dict[str, float] = defaultdict(float)
    states: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for q in questions:
        recall[q.pack] += q.retrievability
        states[q.pack][q.state] += 1
    out = []
    for row in pack_rows:
        count, by_state = int(row.questions), states[row.pack]
        out.append(
            PackMastery(
                pack=row.pack,
                title=row.title,
                title_en=row.title_en,
                questions=count,
                mastery=recall[row.pack] / count if count else 0.0,
                new=max(count - sum(by_state.values()), 0),
                learning=by_state[1],
                review=by_state[2],
                relearning=by_state[3],
            )
        )
    return out


def weakest(
    questions: Sequence[QuestionMastery], limit: int = WEAKEST_COUNT
) -> list[QuestionMastery]:
    """The seen questions least likely to be recalled now; more lapses first among equals."""
    ranked = sorted(questions, key=lambda q: (round(q.retrievability, 2), -q.lapses, q.due))
    return ranked[:limit]


def get_question_history(
    session: Session, user: User, pack: str, number: str, now: datetime | None = None
) -> QuestionHistoryRead:
    """Every grade the user gave one question, with the card it stands at now."""
    question = lookups.find_question(session, pack, number)
    card = repo.get_card(session, user.id, question.id)
    reviews = repo.question_reviews(session, user.id, question.id)
    mastery = None
    if card is not None:
        last = reviews[-1].rating if reviews else None
        row = _CardView(card, question.pack, question.number, question.title, last)
        sched = fsrs_adapter.scheduler(False, settings_for(session, user.id))
        mastery = _mastery(row, (now or utcnow()), sched)
    return QuestionHistoryRead(
        question=f"{question.pack}/{question.number}",
        pack=question.pack,
        number=question.number,
        title=question.title,
        card=mastery,
        reviews=[_history_item(review) for review in reviews],
    )


class _CardView:
    """A card row with its question's ref, shaped like a repo.card_rows row."""

    def __init__(self, card: Card, pack: str, number: str, title: str, last: int | None) -> None:
        self.id, self.state, self.step = card.id, card.state, card.step
        self.stability, self.difficulty = card.stability, card.difficulty
        self.due, self.last_review = card.due, card.last_review
        self.reps, self.lapses = card.reps, card.lapses
        self.pack, self.number, self.title, self.last_rating = pack, number, title, last


def _history_item(review: ReviewLog) -> ReviewHistoryItem:
    reviewed_at = review.reviewed_at
    interval = None
    if review.scheduled and review.due is not None:
        interval = (review.due - reviewed_at).total_seconds() / 86400
    return ReviewHistoryItem(
        reviewed_at=reviewed_at,
        rating=review.rating,
        mode=review.mode,
        scheduled=review.scheduled,
        interval_days=interval,
        state=review.state,
        stability=review.stability,
        difficulty=review.difficulty,
        duration_ms=review.duration_ms,
        answer_text=review.answer_text,
    )


# --- export ----------------------------------------------------------------------------------
