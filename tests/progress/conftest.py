"""Fixtures of the progress tests: cards and reviews written at chosen times, a second database."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.models import Pack, Question
from app.practice.models import Card, ReviewLog
from tests.factories import ApiUser

PACK = "deep-learning"


def question_id(db: Session, number: str, pack: str = PACK) -> int:
    stmt = (
        select(Question.id)
        .join(Pack, Pack.id == Question.pack_id)
        .where(Pack.slug == pack, Question.number == number)
    )
    found = db.scalar(stmt)
    assert found is not None, f"{pack}/{number} is not in the seed pack"
    return found


def live_numbers(db: Session, count: int, pack: str = PACK) -> list[str]:
    """The numbers of the first count live questions of the pack, in order."""
    stmt = (
        select(Question.number)
        .join(Pack, Pack.id == Question.pack_id)
        .where(Pack.slug == pack, Question.retired.is_(False))
        .order_by(Question.position)
        .limit(count)
    )
    return list(db.scalars(stmt))


def add_card(
    db: Session,
    who: ApiUser,
    number: str,
    *,
    state: int = 2,
    stability: float | None = 10.0,
    difficulty: float | None = 5.0,
    due: datetime,
    last_review: datetime | None,
    reps: int = 1,
    lapses: int = 0,
    step: int | None = None,
) -> Card:
    """A committed card for who on question number, with the fields given."""
    card = Card(
        user_id=who.user.id,
        question_id=question_id(db, number),
        state=state,
        step=step,
        stability=stability,
        difficulty=difficulty,
        due=due,
        last_review=last_review,
        reps=reps,
        lapses=lapses,
    )
    db.add(card)
    db.commit()
    return card


def add_review(
    db: Session,
    who: ApiUser,
    number: str,
    reviewed_at: datetime,
    rating: int = 3,
    *,
    state_after: int | None = 2,
    mode: str = "review",
    due_after: datetime | None = None,
    card: Card | None = None,
    answer_text: str | None = None,
    duration_ms: int | None = 1500,
) -> ReviewLog:
    """A committed review_log row at reviewed_at (cram rows leave the state fields empty)."""
    scheduled = mode != "cram"
    before = {
        "state": 2,
        "step": None,
        "stability": 3.0,
        "difficulty": 5.0,
        "due": reviewed_at.isoformat(),
        "last_review": None,
        "reps": 0,
        "lapses": 0,
    }
    review = ReviewLog(
        user_id=who.user.id,
        question_id=question_id(db, number),
        card_id=card.id if card else None,
        rating=rating,
        reviewed_at=reviewed_at,
        duration_ms=duration_ms,
        answer_text=answer_text,
        mode=mode,
        scheduled=scheduled,
        card_before=json.dumps(before) if scheduled else None,
        state=state_after if scheduled else None,
        stability=4.0 if scheduled else None,
        difficulty=5.0 if scheduled else None,
        due=(due_after or reviewed_at + timedelta(days=4)) if scheduled else None,
    )
    db.add(review)
    db.commit()
    return review


def progress(client: Any, who: ApiUser, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/progress", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def second_database(tmp_path: Any) -> Any:
    """A fresh, migrated database of a second Mogi instance with the shipped packs imported."""
    from sqlalchemy.orm import sessionmaker

    from app.config import get_settings
    from app.content.commands import pack_files
    from app.content.importer import import_pack_file
    from app.db import make_engine
    from app.migrate import upgrade_to_head
    from tests.conftest import BACKEND, _create_pg_database, _drop_pg_database

    pg_name = None
    if BACKEND == "postgresql":
        pg_name, url = _create_pg_database()
    else:
        url = f"sqlite:///{(tmp_path / 'second.db').as_posix()}"
    upgrade_to_head(url)
    engine = make_engine(url)
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session:
        for path in pack_files(get_settings().content_dir):
            import_pack_file(session, path)
        session.commit()
    try:
        yield factory
    finally:
        engine.dispose()
        if pg_name:
            _drop_pg_database(pg_name)
