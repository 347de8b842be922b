"""A realistic review history for a user: cards scheduled by FSRS's default weights, recalled
(or forgotten) as a learner whose memory follows other, known weights (TRUE_WEIGHTS).

Deterministic for a seed. The learner forgets faster than the defaults expect, so a fit of the
weights to the history must predict it better than the defaults do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.models import Pack, Question
from app.practice.models import ReviewLog

# First stabilities a third of the defaults', slower growth after a success.
TRUE_WEIGHTS = tuple(
    w / 3 if i < 4 else (1.0 if i == 8 else w) for i, w in enumerate(DEFAULT_PARAMETERS)
)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Grade:
    question_id: int
    rating: int
    at: datetime
    duration_ms: int


def question_ids(db: Session, count: int, skip: int = 0) -> list[int]:
    """Ids of `count` imported questions (any pack), in id order, after the first `skip`."""
    stmt = select(Question.id).order_by(Question.id).offset(skip).limit(count)
    ids = list(db.scalars(stmt))
    assert len(ids) == count, f"fewer than {skip + count} questions are imported"
    return ids


def public_id(db: Session, question_id: int) -> str:
    """The API's name of a question: pack/number."""
    row = db.execute(
        select(Pack.slug, Question.number)
        .join(Pack, Pack.id == Question.pack_id)
        .where(Question.id == question_id)
    ).one()
    return f"{row.slug}/{row.number}"


def simulate(questions: list[int], days: int, seed: int) -> list[Grade]:
    """Each question is learned on one of the first 30 days, then reviewed when the default
    scheduler says so (learning steps included) until `days` have passed."""
    rng = random.Random(seed)
    scheduler = Scheduler(enable_fuzzing=False)
    memory = Scheduler(parameters=TRUE_WEIGHTS, enable_fuzzing=False)
    end = START + timedelta(days=days)
    grades: list[Grade] = []
    for question_id in questions:
        at = START + timedelta(days=rng.randrange(30), minutes=rng.randrange(600))
        card = learner = FsrsCard(due=at)
        while at < end:
            rating = _rating(rng, memory, learner, at)
            card, _ = scheduler.review_card(card, rating, at)
            learner, _ = memory.review_card(learner, rating, at)
            grades.append(Grade(question_id, int(rating), at, rng.randrange(3_000, 30_000)))
            at = max(card.due, at + timedelta(seconds=30)) + timedelta(minutes=rng.randrange(120))
    return grades


def _rating(rng: random.Random, memory: Scheduler, learner: FsrsCard, at: datetime) -> Rating:
    if learner.last_review is None:
        return rng.choice([Rating.Again, Rating.Hard, Rating.Good, Rating.Good])
    if rng.random() >= memory.get_card_retrievability(learner, at):
        return Rating.Again
    return rng.choices([Rating.Hard, Rating.Good, Rating.Easy], [0.15, 0.75, 0.10])[0]


def store(db: Session, user_id: int, grades: list[Grade], *, scheduled: bool = True) -> None:
    """Write the grades to the user's review log (cram grades with scheduled=False)."""
    db.add_all(
        ReviewLog(
            user_id=user_id,
            question_id=g.question_id,
            rating=g.rating,
            reviewed_at=g.at,
            duration_ms=g.duration_ms,
            mode="review" if scheduled else "cram",
            scheduled=scheduled,
        )
        for g in grades
    )
    db.commit()


def measured(grades: list[Grade]) -> int:
    """Grades a day or more after the same question's previous grade (the first 64 of each)."""
    by_question: dict[int, list[datetime]] = {}
    for g in sorted(grades, key=lambda g: g.at):
        by_question.setdefault(g.question_id, []).append(g.at)
    return sum(
        sum(1 for a, b in zip(times[:64], times[1:64], strict=False) if (b - a).days > 0)
        for times in by_question.values()
    )
