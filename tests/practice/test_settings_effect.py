"""Settings take effect: the scheduler is built from the user's retention, steps and weights
(results equal to the fsrs library's with the same options), and mock grades stay off the
schedule when the user says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.practice import service
from app.practice.models import Card, PracticeSettings, ReviewLog
from app.practice.schemas import ReviewCreate
from app.practice.settings import update_settings
from tests.factories import make_web_session
from tests.practice.conftest import PACK, ApiUser, start

AGAIN, GOOD, EASY = 1, 3, 4
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _grade(db: Session, who: ApiUser, number: str, rating: int, now: datetime) -> Card:
    service.grade(db, who.user, ReviewCreate(question=f"{PACK}/{number}", rating=rating), now=now)
    db.commit()
    card = db.scalar(
        select(Card).where(Card.user_id == who.user.id).order_by(Card.last_review.desc()).limit(1)
    )
    assert card is not None
    return card


def _reference(scheduler: Scheduler, ratings: list[tuple[int, datetime]]) -> FsrsCard:
    card = FsrsCard(card_id=1)
    for rating, at in ratings:
        card, _ = scheduler.review_card(card, Rating(rating), at)
    return card


def test_desired_retention_changes_the_interval_of_a_good_grade(
    db: Session, alice: ApiUser
) -> None:
    update_settings(db, alice.user.id, {"desired_retention": 0.8})
    db.commit()
    first = _grade(db, alice, "6", EASY, T0)
    second_at = first.due
    card = _grade(db, alice, "6", GOOD, second_at)
    grades = [(EASY, T0), (GOOD, second_at)]
    mine = _reference(Scheduler(desired_retention=0.8, enable_fuzzing=False), grades)
    default = _reference(Scheduler(desired_retention=0.9, enable_fuzzing=False), grades)
    assert card.due == mine.due and card.stability == mine.stability
    # Aiming at 80% recall instead of 90% waits longer before the next review.
    assert card.due - second_at > default.due - second_at


def test_learning_steps_decide_when_an_again_card_comes_back(
    client: Any, db: Session, alice: ApiUser
) -> None:
    r = client.put("/api/v1/settings", json={"learning_steps": "5m 30m"}, headers=alice.headers)
    assert r.status_code == 200
    sid = start(client, alice, kind="chain", question="12")["id"]
    card = client.get(f"/api/v1/sessions/{sid}/next", headers=alice.headers).json()
    assert [p["interval_s"] for p in card["previews"]][:3] == [300, 1050, 1800]  # Hard: between
    assert client.post(f"/api/v1/sessions/{sid}/reveal", headers=alice.headers).status_code == 200
    body = {"question": f"{PACK}/12", "rating": AGAIN, "session": sid}
    graded = client.post("/api/v1/reviews", json=body, headers=alice.headers).json()
    reviewed = datetime.fromisoformat(graded["reviewed_at"])
    back = datetime.fromisoformat(graded["returns_in_session_at"])
    assert datetime.fromisoformat(graded["due"]) - reviewed == timedelta(minutes=5)
    assert back - reviewed == timedelta(minutes=5)


def test_a_step_of_a_day_waits_for_another_session(
    client: Any, db: Session, alice: ApiUser
) -> None:
    r = client.put("/api/v1/settings", json={"learning_steps": "1d"}, headers=alice.headers)
    assert r.status_code == 200
    sid = start(client, alice, kind="chain", question="12")["id"]
    assert client.post(f"/api/v1/sessions/{sid}/reveal", headers=alice.headers).status_code == 200
    body = {"question": f"{PACK}/12", "rating": AGAIN, "session": sid}
    graded = client.post("/api/v1/reviews", json=body, headers=alice.headers).json()
    reviewed = datetime.fromisoformat(graded["reviewed_at"])
    assert datetime.fromisoformat(graded["due"]) - reviewed == timedelta(days=1)
    assert graded["card"]["state_name"] == "learning"
    assert graded["returns_in_session_at"] is None  # not brought back in this sitting
    session = client.get(f"/api/v1/sessions/{sid}", headers=alice.headers).json()
    assert session["total"] == 5


def test_relearning_steps_follow_the_settings(db: Session, alice: ApiUser) -> None:
    update_settings(db, alice.user.id, {"relearning_steps": (1200,)})
    db.commit()
    learned = _grade(db, alice, "7", EASY, T0)
    lapsed_at = learned.due + timedelta(days=1)
    card = _grade(db, alice, "7", AGAIN, lapsed_at)
    assert card.state == 3 and card.due - lapsed_at == timedelta(minutes=20)


def test_fitted_weights_in_the_settings_row_change_the_schedule(
    db: Session, alice: ApiUser
) -> None:
    weights = list(Scheduler().parameters)
    weights[3] = 20.0  # a first Easy is remembered for 20 days, not 8
    db.add(PracticeSettings(user_id=alice.user.id, fsrs_parameters=weights))
    db.commit()
    card = _grade(db, alice, "8", EASY, T0)
    fitted = _reference(Scheduler(parameters=weights, enable_fuzzing=False), [(EASY, T0)])
    default = _reference(Scheduler(enable_fuzzing=False), [(EASY, T0)])
    assert card.due == fitted.due and card.stability == fitted.stability == 20.0
    assert card.due != default.due


def test_weights_fsrs_refuses_fall_back_to_its_defaults(db: Session, alice: ApiUser) -> None:
    db.add(PracticeSettings(user_id=alice.user.id, fsrs_parameters=[1.0] * 5))
    db.commit()
    card = _grade(db, alice, "9", EASY, T0)
    assert card.due == _reference(Scheduler(enable_fuzzing=False), [(EASY, T0)]).due


def _mock_grade(client: Any, who: ApiUser) -> tuple[int, dict[str, Any], dict[str, Any]]:
    sid = start(client, who, mode="mock", kind="chain", question="12")["id"]
    shown = client.get(f"/api/v1/sessions/{sid}/next", headers=who.headers).json()
    assert client.post(f"/api/v1/sessions/{sid}/reveal", headers=who.headers).status_code == 200
    body = {"question": f"{PACK}/12", "rating": GOOD, "session": sid}
    r = client.post("/api/v1/reviews", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    return sid, shown, r.json()


def test_mock_grades_leave_the_card_alone_when_the_settings_say_so(
    client: Any, db: Session, alice: ApiUser
) -> None:
    r = client.put("/api/v1/settings", json={"mock_schedules": False}, headers=alice.headers)
    assert r.status_code == 200
    sid, shown, graded = _mock_grade(client, alice)
    assert shown["previews"] is None  # no interval to promise
    assert graded["scheduled"] is False and graded["mode"] == "mock" and graded["due"] is None
    cards = db.scalar(select(func.count()).select_from(Card).where(Card.user_id == alice.user.id))
    assert cards == 0
    log = db.scalar(select(ReviewLog).where(ReviewLog.user_id == alice.user.id))
    assert log is not None and log.scheduled is False and log.rating == GOOD

    client.cookies.set("mogi_session", make_web_session(db, alice.user))
    page = client.get(f"/practice/sessions/{sid}").text
    assert "이 모의 면접의 채점은 기록만 되고 복습 일정에는 반영되지 않습니다." in page


def test_mock_grades_schedule_by_default(client: Any, db: Session, alice: ApiUser) -> None:
    sid, shown, graded = _mock_grade(client, alice)
    assert shown["previews"] is not None
    assert graded["scheduled"] is True and graded["card"]["reps"] == 1
    client.cookies.set("mogi_session", make_web_session(db, alice.user))
    page = client.get(f"/practice/sessions/{sid}").text
    assert "이 모의 면접의 채점은 복습 일정에 반영됩니다." in page
