"""GET /api/v1/progress and a question's history, computed from review rows at chosen times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import fsrs
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.content.models import Pack, Question
from app.db import utcnow
from app.progress import statistics
from tests.factories import new_api_user
from tests.progress.conftest import (
    PACK,
    ApiUser,
    add_card,
    add_review,
    live_numbers,
    progress,
)

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _live_questions(db: Session, pack: str | None = None) -> int:
    stmt = select(func.count(Question.id)).where(Question.retired.is_(False))
    if pack:
        stmt = stmt.join(Pack, Pack.id == Question.pack_id).where(Pack.slug == pack)
    return int(db.scalar(stmt) or 0)


def _fsrs_recall(stability: float, last_review: datetime, now: datetime) -> float:
    """The fsrs library's own retrievability for a Review card, for comparison."""
    card = fsrs.Card(
        card_id=1,
        state=fsrs.State.Review,
        stability=stability,
        difficulty=5.0,
        due=now,
        last_review=last_review,
    )
    return float(fsrs.Scheduler().get_card_retrievability(card, now))


@pytest.fixture
def history(db: Session, alice: ApiUser) -> dict[str, Any]:
    """Three cards of alice and eight grades over 100 days before NOW."""
    q1, q2, q3 = live_numbers(db, 3)
    c1 = add_card(
        db,
        alice,
        q1,
        stability=10.0,
        last_review=NOW - 5 * DAY,
        due=NOW - timedelta(hours=1),
        reps=3,
        lapses=1,
    )
    c2 = add_card(
        db,
        alice,
        q2,
        state=1,
        step=0,
        stability=0.5,
        last_review=NOW - timedelta(hours=2),
        due=NOW + timedelta(hours=3),
    )
    c3 = add_card(
        db, alice, q3, stability=30.0, last_review=NOW - 3 * DAY, due=NOW + 5 * DAY, reps=3
    )
    add_review(db, alice, q1, NOW - 20 * DAY, 3, state_after=1, card=c1)
    add_review(db, alice, q1, NOW - 15 * DAY, 3, state_after=2, card=c1)
    add_review(db, alice, q1, NOW - 5 * DAY, 1, state_after=3, card=c1)  # Review card forgotten
    add_review(db, alice, q3, NOW - 100 * DAY, 3, state_after=2, card=c3)
    add_review(db, alice, q3, NOW - 40 * DAY, 3, state_after=2, card=c3)  # passed, > 30 days
    add_review(db, alice, q3, NOW - 3 * DAY, 4, state_after=2, card=c3)  # passed
    add_review(db, alice, q2, NOW - timedelta(hours=2), 1, state_after=1, card=c2)
    add_review(db, alice, q2, NOW - DAY, 4, mode="cram")  # logged, never scheduled
    return {"numbers": (q1, q2, q3)}


def test_progress_numbers_from_review_rows(db: Session, alice: ApiUser, history: dict) -> None:
    q1, q2, q3 = history["numbers"]
    p = statistics.get_progress(db, alice.user, now=NOW)
    assert p.totals.seen == 3
    assert p.totals.reviews == 8
    assert p.totals.questions == _live_questions(db)
    assert (p.due.now, p.due.today, p.due.week) == (1, 2, 3)

    days = {d.date: d.reviews for d in p.reviews_per_day}
    assert len(p.reviews_per_day) == 365
    assert p.reviews_per_day[-1].date == NOW.date()
    assert days[NOW.date()] == 1
    assert days[(NOW - DAY).date()] == 1  # the cram grade is activity too
    assert days[(NOW - 100 * DAY).date()] == 1
    assert sum(days.values()) == 8

    # Today has a scheduled grade; yesterday only a cram one, which does not extend a streak.
    assert (p.streak.current, p.streak.longest, p.streak.reviewed_today) == (1, 1, True)

    # Grades of Review-state cards: -40d pass, -5d fail, -3d pass.
    assert p.retention.all_time == pytest.approx(2 / 3)
    assert p.retention.all_time_reviews == 3
    assert p.retention.last_30_days == pytest.approx(1 / 2)
    assert p.retention.last_30_days_reviews == 2
    assert len(p.retention.weekly) == 26
    assert sum(w.reviews for w in p.retention.weekly) == 3  # all within 26 weeks


def test_mastery_is_fsrs_retrievability(db: Session, alice: ApiUser, history: dict) -> None:
    q1, q2, q3 = history["numbers"]
    p = statistics.get_progress(db, alice.user, now=NOW)
    by_number = {q.number: q for q in p.questions}
    assert by_number[q1].retrievability == pytest.approx(
        _fsrs_recall(10.0, NOW - 5 * DAY, NOW), abs=1e-12
    )
    assert by_number[q3].retrievability == pytest.approx(
        _fsrs_recall(30.0, NOW - 3 * DAY, NOW), abs=1e-12
    )
    assert by_number[q2].retrievability == pytest.approx(1.0)  # graded today
    assert by_number[q1].last_rating == 1 and by_number[q3].last_rating == 4
    assert by_number[q2].last_rating == 1  # the latest grade (the cram one came before)
    assert 0 < by_number[q1].retrievability < by_number[q3].retrievability < 1

    pack = next(pk for pk in p.packs if pk.pack == PACK)
    total = _live_questions(db, PACK)
    expected = sum(q.retrievability for q in p.questions) / total
    assert pack.mastery == pytest.approx(expected)
    assert (pack.new, pack.learning, pack.review, pack.relearning) == (total - 3, 1, 2, 0)
    assert [q.number for q in p.weakest] == [q1, q3, q2]


def test_due_today_follows_the_local_day(db: Session, alice: ApiUser) -> None:
    (q1, q2) = live_numbers(db, 2)
    # NOW is 21:00 in Seoul (UTC+9): the Seoul day ends at 15:00 UTC, the UTC day at 24:00.
    add_card(db, alice, q1, due=NOW + timedelta(hours=2), last_review=NOW - DAY)
    add_card(db, alice, q2, due=NOW + timedelta(hours=4), last_review=NOW - DAY)
    utc = statistics.get_progress(db, alice.user, now=NOW, tz_offset_minutes=0)
    seoul = statistics.get_progress(db, alice.user, now=NOW, tz_offset_minutes=540)
    assert (utc.due.now, utc.due.today, utc.due.week) == (0, 2, 2)
    assert (seoul.due.now, seoul.due.today, seoul.due.week) == (0, 1, 2)


def test_reviews_per_day_use_the_local_day(db: Session, alice: ApiUser) -> None:
    (q1,) = live_numbers(db, 1)
    late = datetime(2026, 6, 14, 23, 30, tzinfo=UTC)  # 08:30 on the 15th in Seoul
    add_review(db, alice, q1, late, 3)
    utc = statistics.get_progress(db, alice.user, now=NOW, tz_offset_minutes=0)
    seoul = statistics.get_progress(db, alice.user, now=NOW, tz_offset_minutes=540)
    west = statistics.get_progress(db, alice.user, now=NOW, tz_offset_minutes=-300)
    assert {d.date.isoformat(): d.reviews for d in utc.reviews_per_day if d.reviews} == {
        "2026-06-14": 1
    }
    assert {d.date.isoformat(): d.reviews for d in seoul.reviews_per_day if d.reviews} == {
        "2026-06-15": 1
    }
    assert seoul.streak.reviewed_today and not utc.streak.reviewed_today
    assert utc.streak.current == 1  # yesterday's grade keeps the streak until today ends
    assert [d.date.isoformat() for d in west.reviews_per_day if d.reviews] == ["2026-06-14"]


def test_streak_over_consecutive_local_days(db: Session, alice: ApiUser) -> None:
    (q1,) = live_numbers(db, 1)
    for days_ago in (0, 1, 2, 10, 11, 12, 13, 30):
        add_review(db, alice, q1, NOW - days_ago * DAY - timedelta(minutes=1), 3)
    p = statistics.get_progress(db, alice.user, now=NOW)
    assert (p.streak.current, p.streak.longest) == (3, 4)


def test_api_progress_after_grading_through_the_practice_api(client: Any, alice: ApiUser) -> None:
    graded = client.post(
        "/api/v1/reviews", json={"question": f"{PACK}/1", "rating": 3}, headers=alice.headers
    )
    assert graded.status_code == 201, graded.text
    card = graded.json()["card"]
    p = progress(client, alice)
    assert p["totals"]["seen"] == 1 and p["totals"]["reviews"] == 1
    assert p["streak"] == {"current": 1, "longest": 1, "reviewed_today": True}
    assert p["reviews_per_day"][-1]["reviews"] == 1
    (q,) = p["questions"]
    assert q["question"] == f"{PACK}/1" and q["last_rating"] == 3 and q["reps"] >= 1
    expected = fsrs.Scheduler().get_card_retrievability(
        fsrs.Card(
            card_id=1,
            state=fsrs.State(card["state"]),
            step=card["step"],
            stability=card["stability"],
            difficulty=card["difficulty"],
            due=datetime.fromisoformat(card["due"]),
            last_review=datetime.fromisoformat(card["last_review"]),
        ),
        utcnow(),
    )
    assert q["retrievability"] == pytest.approx(expected)
    history = client.get(f"/api/v1/progress/questions/{PACK}/1", headers=alice.headers)
    assert history.status_code == 200
    (review,) = history.json()["reviews"]
    assert review["rating"] == 3 and review["mode"] == "review" and review["scheduled"]
    assert review["interval_days"] is not None and review["interval_days"] > 0


def test_question_history_lists_grades_in_order(client: Any, db: Session, alice: ApiUser) -> None:
    (q1,) = live_numbers(db, 1)
    card = add_card(db, alice, q1, last_review=NOW - DAY, due=NOW + 3 * DAY)
    add_review(
        db,
        alice,
        q1,
        NOW - 3 * DAY,
        1,
        state_after=1,
        card=card,
        due_after=NOW - 3 * DAY + timedelta(minutes=10),
        answer_text="첫 답",
    )
    add_review(db, alice, q1, NOW - DAY, 3, card=card, due_after=NOW + 3 * DAY)
    add_review(db, alice, q1, NOW - DAY + timedelta(hours=1), 2, mode="cram")
    body = client.get(f"/api/v1/progress/questions/{PACK}/{q1}", headers=alice.headers).json()
    assert body["question"] == f"{PACK}/{q1}"
    assert [r["rating"] for r in body["reviews"]] == [1, 3, 2]
    assert [r["mode"] for r in body["reviews"]] == ["review", "review", "cram"]
    first, second, cram = body["reviews"]
    assert first["interval_days"] == pytest.approx(10 / 1440)
    assert second["interval_days"] == pytest.approx(4.0)
    assert cram["interval_days"] is None and cram["scheduled"] is False
    assert first["answer_text"] == "첫 답"
    assert body["card"]["stability"] == 10.0


def test_question_history_unknown_question_is_404(client: Any, alice: ApiUser) -> None:
    response = client.get(f"/api/v1/progress/questions/{PACK}/99999", headers=alice.headers)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_unknown_pack_is_404_and_pack_filter_limits(
    client: Any, db: Session, alice: ApiUser, history: dict
) -> None:
    assert client.get("/api/v1/progress?pack=nope", headers=alice.headers).status_code == 404
    p = progress(client, alice, pack=PACK)
    assert [pk["pack"] for pk in p["packs"]] == [PACK]
    assert p["totals"]["questions"] == _live_questions(db, PACK)


def test_bad_tz_is_422(client: Any, alice: ApiUser) -> None:
    assert client.get("/api/v1/progress?tz=5000", headers=alice.headers).status_code == 422


def test_new_user_has_empty_progress(client: Any, db: Session, alice: ApiUser) -> None:
    p = progress(client, alice, tz=540)
    assert p["totals"]["seen"] == 0 and p["totals"]["reviews"] == 0
    assert p["due"] == {"now": 0, "today": 0, "week": 0}
    assert p["streak"] == {"current": 0, "longest": 0, "reviewed_today": False}
    assert p["retention"]["all_time"] is None and p["retention"]["last_30_days"] is None
    assert len(p["reviews_per_day"]) == 365 and not any(d["reviews"] for d in p["reviews_per_day"])
    assert p["questions"] == [] and p["weakest"] == []
    pack = next(pk for pk in p["packs"] if pk["pack"] == PACK)
    assert pack["mastery"] == 0 and pack["new"] == pack["questions"] > 0


def test_progress_needs_authentication(client: Any) -> None:
    for path in ("/api/v1/progress", f"/api/v1/progress/questions/{PACK}/1"):
        response = client.get(path)
        assert response.status_code == 401


def test_users_never_see_each_others_progress(
    client: Any, db: Session, alice: ApiUser, bob: ApiUser, history: dict
) -> None:
    q1 = history["numbers"][0]
    theirs = progress(client, bob)
    assert theirs["totals"]["seen"] == 0 and theirs["totals"]["reviews"] == 0
    assert theirs["questions"] == [] and theirs["retention"]["all_time_reviews"] == 0
    body = client.get(f"/api/v1/progress/questions/{PACK}/{q1}", headers=bob.headers).json()
    assert body["reviews"] == [] and body["card"] is None
    mine = client.get(f"/api/v1/progress/questions/{PACK}/{q1}", headers=alice.headers).json()
    assert len(mine["reviews"]) == 3


def test_progress_queries_do_not_grow_with_cards(db: Session, seeded: str) -> None:
    """One query per aggregate, however many cards: no per-question round trips."""
    from sqlalchemy import event

    def count_queries(who: ApiUser) -> int:
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(args[2])

        engine = db.get_bind()
        event.listen(engine, "before_cursor_execute", record)
        try:
            statistics.get_progress(db, who.user, now=NOW)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(statements)

    few, many = new_api_user(db), new_api_user(db)
    numbers = live_numbers(db, 30)
    add_card(db, few, numbers[0], last_review=NOW - DAY, due=NOW)
    for number in numbers:
        card = add_card(db, many, number, last_review=NOW - DAY, due=NOW)
        add_review(db, many, number, NOW - DAY, 3, card=card)
    db.expire_all()
    assert count_queries(many) == count_queries(few) <= 10
