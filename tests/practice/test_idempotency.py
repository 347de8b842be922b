"""A grade sent again with the same Idempotency-Key is answered with the first response and
recorded once; the same key with another grade is refused; keys are each user's own."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.practice.models import ReviewLog
from tests.factories import ApiUser
from tests.practice.conftest import PACK


def _reviews(db: Session, who: ApiUser) -> int:
    return int(db.scalar(select(func.count()).where(ReviewLog.user_id == who.user.id)) or 0)


def test_a_retried_grade_is_answered_again_and_recorded_once(
    client: TestClient, db: Session, alice: ApiUser, seeded: str
) -> None:
    grade = {"question": f"{PACK}/3", "rating": 3, "duration_ms": 4200}
    headers = {**alice.headers, "Idempotency-Key": "9f1c-retry-1"}
    first = client.post("/api/v1/reviews", json=grade, headers=headers)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/reviews", json=grade, headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert _reviews(db, alice) == 1

    # The same key with another rating is a mistake of the client's, not a retry.
    other = client.post("/api/v1/reviews", json={**grade, "rating": 1}, headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert "different grade" in other.json()["detail"]
    assert _reviews(db, alice) == 1

    # A new key is a new grade.
    fresh = {**alice.headers, "Idempotency-Key": "9f1c-retry-2"}
    assert client.post("/api/v1/reviews", json=grade, headers=fresh).status_code == 201
    assert _reviews(db, alice) == 2


def test_one_users_key_means_nothing_for_another(
    client: TestClient, db: Session, alice: ApiUser, bob: ApiUser, seeded: str
) -> None:
    grade = {"question": f"{PACK}/4", "rating": 4}
    for who in (alice, bob):
        headers = {**who.headers, "Idempotency-Key": "shared-key"}
        r = client.post("/api/v1/reviews", json=grade, headers=headers)
        assert r.status_code == 201, r.text
        assert _reviews(db, who) == 1
