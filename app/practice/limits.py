"""Daily limits per pack, as Anki has them: at most new_per_day new cards and reviews_per_day
reviews in each pack per study day (which starts at DAY_STARTS_AT_HOUR in the user's time zone).

New: questions first graded on the schedule today. Reviews: cards graded on the schedule today
that were not new today, each counted once however many steps it went through. A card learned
today is never held back by the review limit: its later steps are part of learning it. Cram
grades, and mock grades that do not schedule, count for neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from app.content.models import Question
from app.errors import AppError
from app.i18n import translate
from app.practice import repository as repo
from app.practice.settings import ReviewSettings, day_start, settings_for

NEW_LIMIT_REACHED = "오늘 이 질문 묶음의 새 질문 한도({limit}개)를 다 채웠습니다."
REVIEW_LIMIT_REACHED = "오늘 이 질문 묶음의 복습 한도({limit}개)를 다 채웠습니다."


@dataclass(frozen=True)
class DailyAllowance:
    """What one pack has left today."""

    new_per_day: int
    reviews_per_day: int
    new_done: int = 0
    reviews_done: int = 0
    new_today: frozenset[int] = field(default_factory=frozenset)  # question ids

    @property
    def new_left(self) -> int:
        return max(0, self.new_per_day - self.new_done)

    @property
    def reviews_left(self) -> int:
        return max(0, self.reviews_per_day - self.reviews_done)


@dataclass(frozen=True)
class DailyLimits:
    """Every pack's allowance for the user's current study day."""

    settings: ReviewSettings
    day_started_at: datetime
    by_pack: dict[int, DailyAllowance]

    def pack(self, pack_id: int) -> DailyAllowance:
        fresh = DailyAllowance(self.settings.new_per_day, self.settings.reviews_per_day)
        return self.by_pack.get(pack_id, fresh)


def daily_limits(db: Session, user_id: int, settings: ReviewSettings, now: datetime) -> DailyLimits:
    """How much of each pack's daily allowance the user has used so far today."""
    since = day_start(settings, now)
    new: dict[int, set[int]] = {}
    reviewed: dict[int, int] = {}
    for pack_id, question_id, graded_before in repo.graded_since(db, user_id, since):
        if graded_before:
            reviewed[pack_id] = reviewed.get(pack_id, 0) + 1
        else:
            new.setdefault(pack_id, set()).add(question_id)
    by_pack = {
        pack_id: DailyAllowance(
            settings.new_per_day,
            settings.reviews_per_day,
            new_done=len(new.get(pack_id, ())),
            reviews_done=reviewed.get(pack_id, 0),
            new_today=frozenset(new.get(pack_id, ())),
        )
        for pack_id in set(new) | set(reviewed)
    }
    return DailyLimits(settings, since, by_pack)


def limit_new(questions: Sequence[Question], allowance: DailyAllowance) -> list[Question]:
    """The first new questions the day still allows."""
    return list(questions[: allowance.new_left])


def limit_due(questions: Sequence[Question], allowance: DailyAllowance) -> list[Question]:
    """Due cards in their order: every one learned today, and as many others as the day's
    reviews allow."""
    out, left = [], allowance.reviews_left
    for question in questions:
        if question.id in allowance.new_today:
            out.append(question)
        elif left > 0:
            out.append(question)
            left -= 1
    return out


def within_daily_limits(
    db: Session, user_id: int, pack_id: int, kind: str, questions: list[Question], now: datetime
) -> list[Question]:
    """A "learn new" or "review due" scope cut to what the pack's daily limits still allow;
    409 when they allow nothing more today."""
    if kind not in ("new", "due") or not questions:
        return questions
    settings = settings_for(db, user_id)
    allowance = daily_limits(db, user_id, settings, now).pack(pack_id)
    if kind == "new":
        allowed = limit_new(questions, allowance)
        limit, text = settings.new_per_day, NEW_LIMIT_REACHED
    else:
        allowed = limit_due(questions, allowance)
        limit, text = settings.reviews_per_day, REVIEW_LIMIT_REACHED
    if not allowed:
        raise AppError(
            "daily_limit",
            en=translate(text, "en", limit=limit),
            ko=translate(text, "ko", limit=limit),
            status=409,
            extra={"reason": "daily_limit"},
        )
    return allowed


def due_within_limit(
    db: Session, user_id: int, due: int, allowance: DailyAllowance, now: datetime
) -> int:
    """How many of a pack's due cards a "review due" session would draw (as limit_due)."""
    cards = repo.user_cards_by_question(db, user_id, sorted(allowance.new_today))
    learning = min(due, sum(1 for card in cards.values() if card.due <= now))
    return learning + min(due - learning, allowance.reviews_left)
