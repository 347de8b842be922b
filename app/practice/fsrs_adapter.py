"""The bridge between card rows and the fsrs library, which does all the scheduling."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any, Protocol

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State

from app.practice.models import Card
from app.practice.settings import DEFAULTS, ReviewSettings

log = logging.getLogger("mogi.practice")

DESIRED_RETENTION = DEFAULTS.desired_retention


class CardFields(Protocol):
    """What to_fsrs_card reads: a Card row, or anything with the same columns."""

    id: Any
    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None


def scheduler(enable_fuzzing: bool = True, settings: ReviewSettings = DEFAULTS) -> Scheduler:
    """The FSRS scheduler of a user's settings: their desired retention, learning and
    relearning steps, and their fitted weights when they have some (else fsrs's own)."""
    options: dict[str, Any] = {
        "desired_retention": settings.desired_retention,
        "learning_steps": [timedelta(seconds=s) for s in settings.learning_steps],
        "relearning_steps": [timedelta(seconds=s) for s in settings.relearning_steps],
        "enable_fuzzing": enable_fuzzing,
    }
    if settings.fsrs_parameters is not None:
        try:
            return Scheduler(parameters=settings.fsrs_parameters, **options)
        except ValueError as exc:  # weights fsrs refuses (a count or range it does not take)
            log.warning("stored FSRS weights refused, using the defaults: %s", exc)
    return Scheduler(**options)


def new_fsrs_card(now: datetime) -> FsrsCard:
    """The state of a question never graded (no card row yet)."""
    return FsrsCard(card_id=0, state=State.Learning, step=0, due=now)


def to_fsrs_card(row: CardFields) -> FsrsCard:
    """The fsrs.Card for a stored card row."""
    return FsrsCard(
        card_id=row.id or 0,
        state=State(row.state),
        step=row.step,
        stability=row.stability,
        difficulty=row.difficulty,
        due=row.due,
        last_review=row.last_review if row.last_review else None,
    )


def apply_fsrs_card(row: Card, card: FsrsCard) -> None:
    """Copy the scheduling fields of an fsrs.Card onto a card row."""
    row.state = int(card.state.value)
    row.step = card.step
    row.stability = card.stability
    row.difficulty = card.difficulty
    row.due = card.due
    row.last_review = card.last_review


def snapshot(row: Card) -> str:
    """The row's fields as JSON: stored with each grade so an undo restores them exactly."""
    return json.dumps(
        {
            "state": row.state,
            "step": row.step,
            "stability": row.stability,
            "difficulty": row.difficulty,
            "due": row.due.isoformat(),
            "last_review": row.last_review.isoformat() if row.last_review else None,
            "reps": row.reps,
            "lapses": row.lapses,
        }
    )


def restore(row: Card, saved: str) -> None:
    """Put back the fields a snapshot() took."""
    data = json.loads(saved)
    row.state = int(data["state"])
    row.step = data["step"]
    row.stability = data["stability"]
    row.difficulty = data["difficulty"]
    row.due = datetime.fromisoformat(data["due"])
    row.last_review = datetime.fromisoformat(data["last_review"]) if data["last_review"] else None
    row.reps = int(data["reps"])
    row.lapses = int(data["lapses"])


def elapsed_days(saved: str, now: datetime) -> int | None:
    """Whole days from the last review in a snapshot() to now (None for a card never reviewed)."""
    last = json.loads(saved).get("last_review")
    return (now - datetime.fromisoformat(last)).days if last else None


def retrievability(row: CardFields, now: datetime, sched: Scheduler | None = None) -> float:
    """FSRS probability of recall of a card at now (0 for a card never reviewed)."""
    sched = sched or scheduler(False)
    return float(sched.get_card_retrievability(to_fsrs_card(row), now))


__all__ = [
    "DESIRED_RETENTION",
    "Rating",
    "State",
    "apply_fsrs_card",
    "elapsed_days",
    "new_fsrs_card",
    "restore",
    "retrievability",
    "scheduler",
    "snapshot",
    "to_fsrs_card",
]
