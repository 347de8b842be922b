"""Daily limits per pack: a "learn new" session draws at most the new cards left today, a
"review due" session at most the reviews left; the day starts at 04:00 in the user's time
zone; the practice page shows the counts after the limits and says when one is reached."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.content.models import Pack, Question
from app.db import utcnow
from app.practice import service
from app.practice.limits import daily_limits
from app.practice.models import Card
from app.practice.schemas import ReviewCreate
from app.practice.settings import day_start, settings_for
from tests.factories import make_web_session
from tests.practice.conftest import PACK, ApiUser, start

AGAIN, GOOD, EASY = 1, 3, 4


def _settings(client: Any, who: ApiUser, **values: Any) -> None:
    r = client.put("/api/v1/settings", json=values, headers=who.headers)
    assert r.status_code == 200, r.text


def _grade_session(client: Any, who: ApiUser, sid: int, rating: int) -> list[str]:
    """Reveal and grade every card of a session, each with rating the first time and Easy
    when it comes back; the questions shown."""
    shown: list[str] = []
    for _ in range(100):
        r = client.get(f"/api/v1/sessions/{sid}/next", headers=who.headers)
        if r.status_code == 204:
            return shown
        question = r.json()["question"]
        first = question not in shown
        shown.append(question)
        assert client.post(f"/api/v1/sessions/{sid}/reveal", headers=who.headers).status_code == 200
        body = {"question": question, "rating": rating if first else EASY, "session": sid}
        assert client.post("/api/v1/reviews", json=body, headers=who.headers).status_code == 201
    raise AssertionError("the session never ended")


def _refused(client: Any, who: ApiUser, kind: str) -> dict[str, Any]:
    body = {"scope": {"pack": PACK, "kind": kind}, "mode": "review"}
    r = client.post("/api/v1/sessions", json=body, headers=who.headers)
    assert r.status_code == 409, r.text
    return dict(r.json())


def _practice_page(client: Any, db: Session, who: ApiUser) -> str:
    client.cookies.set("mogi_session", make_web_session(db, who.user))
    text = client.get("/practice").text
    return str(text.split("<h2>딥러닝</h2>", 1)[1].split("</article>", 1)[0])


def _stat(card_html: str, name: str) -> int:
    found = re.search(rf'class="stat-{name}">(\d+)<', card_html)
    assert found is not None
    return int(found[1])


def test_new_cards_stop_at_the_daily_limit(client: Any, db: Session, alice: ApiUser) -> None:
    _settings(client, alice, new_per_day=3)
    assert _stat(_practice_page(client, db, alice), "new") == 3
    session = start(client, alice, kind="new")
    assert session["total"] == 3
    assert len(_grade_session(client, alice, session["id"], EASY)) == 3

    refused = _refused(client, alice, "new")
    assert refused["reason"] == "daily_limit"
    assert "limit of 3 new cards" in refused["detail"]
    card = _practice_page(client, db, alice)
    assert _stat(card, "new") == 0
    assert "오늘의 새 질문 한도(3개)에 도달했습니다." in card
    assert "새 질문 배우기 (0)" in card
    # Cramming is not learning on the schedule: it may go through every new card.
    everything = start(client, alice, kind="all")["total"]
    assert start(client, alice, kind="new", mode="cram")["total"] == everything - 3

    # Undoing a first grade gives its place back; raising the limit gives more at once.
    assert client.post("/api/v1/reviews/undo", headers=alice.headers).status_code == 200
    assert start(client, alice, kind="new")["total"] == 1
    _settings(client, alice, new_per_day=5)
    assert start(client, alice, kind="new")["total"] == 3


def _seen_yesterday(db: Session, who: ApiUser, count: int) -> list[str]:
    """count questions first graded two days ago, all due now."""
    numbers = [
        n
        for n in db.scalars(
            select(Question.number)
            .join(Pack)
            .where(Pack.slug == PACK, Question.retired.is_(False))
            .order_by(Question.id)
            .limit(count)
        )
    ]
    earlier = utcnow() - timedelta(days=2)
    for number in numbers:
        body = ReviewCreate(question=f"{PACK}/{number}", rating=EASY)
        service.grade(db, who.user, body, now=earlier)
    db.execute(
        update(Card).where(Card.user_id == who.user.id).values(due=utcnow() - timedelta(hours=1))
    )
    db.commit()
    return numbers


def test_reviews_stop_at_the_daily_limit(client: Any, db: Session, alice: ApiUser) -> None:
    _seen_yesterday(db, alice, 4)
    _settings(client, alice, reviews_per_day=2)
    card = _practice_page(client, db, alice)
    assert _stat(card, "due") == 2 and "/ 4" in card
    session = start(client, alice, kind="due")
    assert session["total"] == 2
    _grade_session(client, alice, session["id"], EASY)

    refused = _refused(client, alice, "due")
    assert refused["reason"] == "daily_limit" and "limit of 2 reviews" in refused["detail"]
    card = _practice_page(client, db, alice)
    assert _stat(card, "due") == 0
    assert "오늘의 복습 한도(2개) 때문에 2개는 내일로 넘어갑니다." in card


def test_a_card_learned_today_is_never_held_back_by_the_review_limit(
    client: Any, db: Session, alice: ApiUser
) -> None:
    _settings(client, alice, reviews_per_day=0)
    body = {"question": f"{PACK}/6", "rating": AGAIN}
    assert client.post("/api/v1/reviews", json=body, headers=alice.headers).status_code == 201
    db.execute(update(Card).where(Card.user_id == alice.user.id).values(due=utcnow()))
    db.commit()
    session = start(client, alice, kind="due")
    assert session["total"] == 1
    assert _grade_session(client, alice, session["id"], EASY) == [f"{PACK}/6"]


def test_each_reviewed_card_counts_once_and_only_on_the_schedule(
    client: Any, db: Session, alice: ApiUser
) -> None:
    seen = _seen_yesterday(db, alice, 2)
    # Forgotten, then relearned in the same sitting: one review, however many steps.
    session = start(client, alice, kind="due")
    shown = _grade_session(client, alice, session["id"], AGAIN)
    assert len(shown) > 2  # the steps came back
    pack_id = db.scalar(select(Pack.id).where(Pack.slug == PACK))
    assert pack_id is not None
    today = daily_limits(db, alice.user.id, settings_for(db, alice.user.id), utcnow())
    assert today.pack(pack_id).reviews_done == 2 and today.pack(pack_id).new_done == 0
    # Cram grades count for neither.
    cram = start(client, alice, kind="chain", mode="cram", question="12")
    _grade_session(client, alice, cram["id"], GOOD)
    again = daily_limits(db, alice.user.id, settings_for(db, alice.user.id), utcnow())
    assert again.pack(pack_id) == today.pack(pack_id)
    assert len(seen) == 2


def test_the_day_of_a_grade_is_the_users_day(db: Session, alice: ApiUser) -> None:
    """A grade a minute before 04:00 local counts for the day that is ending."""
    settings = settings_for(db, alice.user.id)
    now = utcnow()
    start_of_day = day_start(settings, now)
    body = ReviewCreate(question=f"{PACK}/6", rating=EASY)
    service.grade(db, alice.user, body, now=start_of_day - timedelta(minutes=1))
    db.commit()
    pack_id = db.scalar(select(Pack.id).where(Pack.slug == PACK))
    assert pack_id is not None
    assert daily_limits(db, alice.user.id, settings, now).pack(pack_id).new_done == 0
    earlier = start_of_day - timedelta(minutes=2)
    assert daily_limits(db, alice.user.id, settings, earlier).pack(pack_id).new_done == 1
