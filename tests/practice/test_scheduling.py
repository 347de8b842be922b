"""Scheduling is fsrs's: the stored card matches fsrs.Scheduler run on the same grades and times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.practice import service
from app.practice.models import Card, ReviewLog
from app.practice.schemas import ReviewCreate
from tests.practice.conftest import PACK, ApiUser

GRADES = [3, 3, 1, 2, 4, 3, 1, 3]


def _assert_same(stored: Card | ReviewLog, expected: FsrsCard) -> None:
    assert stored.state == expected.state.value
    assert stored.due == expected.due  # aware UTC from the column type itself
    assert stored.stability == pytest.approx(expected.stability, rel=1e-12)
    assert stored.difficulty == pytest.approx(expected.difficulty, rel=1e-12)


def test_api_grades_match_fsrs(client, db: Session, alice: ApiUser) -> None:  # noqa: ANN001
    reference = Scheduler(desired_retention=0.9, enable_fuzzing=False)
    expected = FsrsCard(card_id=1)
    for rating in GRADES:
        r = client.post(
            "/api/v1/reviews",
            json={"question": f"{PACK}/6", "rating": rating},
            headers=alice.headers,
        )
        assert r.status_code == 201, r.text
        body = r.json()
        at = datetime.fromisoformat(body["reviewed_at"]).astimezone(UTC)
        expected, _ = reference.review_card(expected, Rating(rating), at)
        assert datetime.fromisoformat(body["due"]) == expected.due
        assert body["card"]["stability"] == pytest.approx(expected.stability, rel=1e-12)
        assert body["card"]["difficulty"] == pytest.approx(expected.difficulty, rel=1e-12)
        db.expire_all()
        card = db.scalar(select(Card).where(Card.user_id == alice.user.id))
        _assert_same(card, expected)
    logs = db.scalars(
        select(ReviewLog).where(ReviewLog.user_id == alice.user.id).order_by(ReviewLog.id)
    ).all()
    assert [log.rating for log in logs] == GRADES
    _assert_same(logs[-1], expected)
    assert card.reps == len(GRADES)


def test_grades_over_weeks_match_fsrs(db: Session, alice: ApiUser) -> None:
    """The same, on a simulated clock, so that Review-state intervals of days are exercised."""
    reference = Scheduler(desired_retention=0.9, enable_fuzzing=False)
    expected = FsrsCard(card_id=1)
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    lapses, longest = 0, timedelta(0)
    for rating in GRADES:
        was_review = expected.state.value == 2
        expected, _ = reference.review_card(expected, Rating(rating), now)
        lapses += int(was_review and rating == 1)
        result = service.grade(
            db, alice.user, ReviewCreate(question=f"{PACK}/7", rating=rating), now=now
        )
        db.commit()
        assert result.due == expected.due
        card = db.scalar(select(Card).where(Card.user_id == alice.user.id))
        _assert_same(card, expected)
        longest = max(longest, expected.due - now)
        now = expected.due + timedelta(hours=3)  # come back a little after it is due
    assert card.lapses == lapses >= 1
    assert longest > timedelta(days=2)  # Review-state intervals were exercised


@pytest.mark.parametrize(
    ("seconds", "ko", "en"),
    [
        (30, "<1분", "<1m"),
        (600, "10분", "10m"),
        (5 * 3600, "5시간", "5h"),
        (3 * 86400, "3일", "3d"),
        (96 * 86400, "3.2개월", "3.2mo"),
        (90 * 86400, "3개월", "3mo"),
        (800 * 86400, "2.2년", "2.2y"),
    ],
)
def test_the_interval_under_each_grade_button_reads_short(seconds: int, ko: str, en: str) -> None:
    assert (service.format_interval(seconds, "ko"), service.format_interval(seconds, "en")) == (
        ko,
        en,
    )
