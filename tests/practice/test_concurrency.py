"""Twenty users grading at once against a real server: no review lost, no 5xx; the same card
graded twice at once, and two undos at once, land one after the other."""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.content.models import Pack, Question
from app.practice.models import Card, ReviewLog
from tests.factories import new_api_user
from tests.practice.conftest import PACK, ApiUser

USERS = 20
CHAIN = "12"  # a main question and four follow-ups
RACED = f"{PACK}/20"  # graded twice at the same moment by each user


def _twice_at_once(http: httpx.Client, path: str, bodies: tuple[dict, dict]) -> list[int]:
    with ThreadPoolExecutor(2) as pair:
        return list(pair.map(lambda body: http.post(path, json=body).status_code, bodies))


def _practise(base_url: str, who: ApiUser, barrier: threading.Barrier) -> list[int]:
    """One user's run: a chain session graded card by card (a card still learning comes back
    until it graduates); then a new card graded twice at once, twice (the second time the card
    exists), and two undos at once."""
    statuses: list[int] = []
    rng = random.Random(who.user.id)
    with httpx.Client(base_url=base_url, headers=who.headers, timeout=60) as http:
        body = {"scope": {"pack": PACK, "kind": "chain", "question": CHAIN}, "mode": "review"}
        created = http.post("/api/v1/sessions", json=body)
        statuses.append(created.status_code)
        sid = created.json()["id"]
        barrier.wait()  # everyone grades at once from here
        while True:
            card = http.get(f"/api/v1/sessions/{sid}/next")
            statuses.append(card.status_code)
            if card.status_code == 204:
                break
            statuses.append(http.post(f"/api/v1/sessions/{sid}/reveal").status_code)
            grade = {
                "question": card.json()["question"],
                "rating": rng.randint(1, 4),
                "session": sid,
            }
            statuses.append(http.post("/api/v1/reviews", json=grade).status_code)
        grades = ({"question": RACED, "rating": 3}, {"question": RACED, "rating": 4})
        for _ in range(2):
            statuses.extend(_twice_at_once(http, "/api/v1/reviews", grades))
        undo: dict = {}
        statuses.extend(_twice_at_once(http, "/api/v1/reviews/undo", (undo, undo)))
    return statuses


@pytest.mark.slow
def test_twenty_users_grading_at_once(live_server: str, db: Session, seeded: str) -> None:
    users = [new_api_user(db) for _ in range(USERS)]
    barrier = threading.Barrier(USERS, timeout=60)
    with ThreadPoolExecutor(USERS) as pool:
        runs = list(pool.map(lambda who: _practise(live_server, who, barrier), users))

    statuses = Counter(code for run in runs for code in run)
    assert not [code for code in statuses if code >= 500], statuses
    assert set(statuses) <= {200, 201, 204}, statuses
    raced = 4  # grades of RACED, two of them undone
    grades = {who.user.id: run.count(201) - 1 - raced for who, run in zip(users, runs, strict=True)}
    assert all(n >= 5 for n in grades.values()), grades  # every card of the chain, and steps

    db.expire_all()
    raced_id = db.scalar(
        select(Question.id).join(Pack).where(Pack.slug == PACK, Question.number == "20")
    )
    for who in users:
        logs = db.scalar(
            select(func.count()).select_from(ReviewLog).where(ReviewLog.user_id == who.user.id)
        )
        assert logs == grades[who.user.id] + raced - 2, who.user.username
        cards = db.scalars(select(Card).where(Card.user_id == who.user.id)).all()
        assert len(cards) == 6
        card = [c for c in cards if c.question_id == raced_id]
        # Every grade landed on the one row, each undo took back one: 4 - 2.
        assert len(card) == 1 and card[0].reps == 2
