"""A request that reads what it is about to change keeps other writers out until it ends: two
grades of one card, or two undos, at the same moment never lose a write or fail.

Real transactions on the suite's database, in two threads: FOR UPDATE on PostgreSQL; on SQLite,
the write lock taken before the read."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.db import session_factory
from app.errors import AppError
from app.practice import service
from app.practice.models import Card, ReviewLog
from app.practice.schemas import ReviewCreate
from tests.factories import make_user
from tests.practice.conftest import PACK

T = TypeVar("T")
HELD_S = 0.5  # how long the first transaction stays open after its writes


@pytest.fixture
def user(db: Session) -> User:
    made = make_user(db)
    db.commit()
    return made


@pytest.fixture
def second() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(1) as pool:
        yield pool


def _in_own_session(fn: Callable[[Session], T]) -> T:
    with session_factory()() as session:
        result = fn(session)
        session.commit()
        return result


def _while_open(first: Callable[[Session], object], then: Callable[[], Future[T]]) -> Future[T]:
    """first(session) left uncommitted for HELD_S while then() starts: then()'s work must not
    finish before first's transaction commits."""
    with session_factory()() as session:
        first(session)
        started = then()
        finished_early = _done_within(started, HELD_S)
        session.commit()
    assert not finished_early, "the second request did not wait for the first"
    return started


def _done_within(future: Future[T], seconds: float) -> bool:
    done = threading.Event()
    future.add_done_callback(lambda _: done.set())
    return done.wait(seconds)


def _grade(rating: int) -> ReviewCreate:
    return ReviewCreate(question=f"{PACK}/3", rating=rating)


def _card(db: Session, user: User) -> Card:
    db.expire_all()
    cards = db.scalars(select(Card).where(Card.user_id == user.id)).all()
    assert len(cards) == 1
    return cards[0]


def test_two_grades_of_one_card_at_once_both_count(
    db: Session, user: User, second: ThreadPoolExecutor
) -> None:
    _in_own_session(lambda s: service.grade(s, user, _grade(3)))

    later = _while_open(
        lambda s: service.grade(s, user, _grade(3)),
        lambda: second.submit(_in_own_session, lambda s: service.grade(s, user, _grade(1))),
    )
    graded = later.result(timeout=30)

    card = _card(db, user)
    assert card.reps == 3  # not 2: the third grade read the card after the second's write
    assert graded.card is not None and graded.card.reps == 3
    logs = db.scalar(select(func.count()).where(ReviewLog.user_id == user.id))
    assert logs == 3


def test_two_undos_at_once_take_back_two_grades(
    db: Session, user: User, second: ThreadPoolExecutor
) -> None:
    for rating in (3, 4):
        _in_own_session(lambda s, rating=rating: service.grade(s, user, _grade(rating)))

    later = _while_open(
        lambda s: service.undo_last(s, user, None),
        lambda: second.submit(_in_own_session, lambda s: service.undo_last(s, user, None)),
    )
    undone = later.result(timeout=30)

    assert undone.rating == 3  # the first grade: the second undo saw the first one's delete
    db.expire_all()
    assert db.scalar(select(func.count()).where(ReviewLog.user_id == user.id)) == 0
    assert db.scalar(select(func.count()).where(Card.user_id == user.id)) == 0


def test_an_undo_raced_by_another_finds_nothing_left_rather_than_failing(
    db: Session, user: User, second: ThreadPoolExecutor
) -> None:
    _in_own_session(lambda s: service.grade(s, user, _grade(3)))

    later = _while_open(
        lambda s: service.undo_last(s, user, None),
        lambda: second.submit(_in_own_session, lambda s: service.undo_last(s, user, None)),
    )
    with pytest.raises(AppError) as caught:
        later.result(timeout=30)

    assert (caught.value.code, caught.value.status_code) == ("nothing_to_undo", 409)
