"""Failed password checks are limited per username and per address, in the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import LoginFailure
from app.auth.service import FAILURE_WINDOW, FAILURES_PER_IP, FAILURES_PER_USERNAME
from app.db import utcnow
from tests.auth.conftest import new_address, page_login
from tests.factories import DEFAULT_PASSWORD, make_user, unique_name


def _token(client: TestClient, username: str, password: str) -> int:
    return client.post(
        "/api/v1/tokens", json={"username": username, "password": password}
    ).status_code


def test_too_many_failures_for_a_name_is_429_with_retry_after(
    client_from: Callable[..., TestClient], db: Session
) -> None:
    user = make_user(db)
    for _ in range(FAILURES_PER_USERNAME):
        assert _token(client_from(), user.username, "wrong-password!") == 401
    attacker = client_from()
    r = attacker.post(
        "/api/v1/tokens", json={"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert r.status_code == 429  # even the right password, from another address
    assert r.headers["content-type"].startswith("application/problem+json")
    retry = int(r.headers["retry-after"])
    assert 0 < retry <= FAILURE_WINDOW.total_seconds()
    body = r.json()
    assert body["code"] == "too_many_attempts"
    assert "Too many failed password attempts" in body["detail"]
    # The name is spelled differently, but it is the same account.
    assert _token(client_from(), user.username.upper(), DEFAULT_PASSWORD) == 429
    # The page says so too.
    page = page_login(client_from(), user.username, DEFAULT_PASSWORD)
    assert page.status_code == 429 and "retry-after" in page.headers
    assert "비밀번호 확인 실패가 너무 많습니다" in page.text


def _seed_failures(db: Session, n: int, username: str = "x", client_ip: str = "192.0.2.9") -> None:
    """n recent failures, as if earlier requests (or another web process) had recorded them."""
    now = utcnow()
    db.add_all(
        LoginFailure(username=username.lower(), client_ip=client_ip, attempted_at=now)
        for _ in range(n)
    )
    db.commit()


def test_success_clears_the_names_counter(
    client_from: Callable[..., TestClient], db: Session
) -> None:
    user = make_user(db)
    client = client_from()
    _seed_failures(db, FAILURES_PER_USERNAME - 2, username=user.username)
    assert _token(client, user.username, "wrong-password!") == 401  # one short of the limit
    assert _token(client, user.username, DEFAULT_PASSWORD) == 201
    remaining = db.scalars(
        select(LoginFailure).where(LoginFailure.username == user.username.lower())
    ).all()
    assert remaining == []
    _seed_failures(db, FAILURES_PER_USERNAME - 1, username=user.username)
    assert _token(client, user.username, DEFAULT_PASSWORD) == 201  # still below the limit
    assert _token(client, user.username, "wrong-password!") == 401


def test_too_many_failures_from_one_address_is_429(
    client_from: Callable[..., TestClient], db: Session
) -> None:
    user = make_user(db)
    ip = new_address()
    client = client_from(ip)
    _seed_failures(db, FAILURES_PER_IP - 1, username=unique_name("ghost"), client_ip=ip)
    assert _token(client, unique_name("ghost"), "wrong-password!") == 401
    r = client.post(
        "/api/v1/tokens", json={"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert _token(client_from(), user.username, DEFAULT_PASSWORD) == 201  # another address is fine


def test_the_count_lives_in_the_database(
    client_from: Callable[..., TestClient], db: Session
) -> None:
    """Failures written by another web process count; failures older than the window do not."""
    user = make_user(db)
    key = user.username.lower()
    now = utcnow()
    old = now - FAILURE_WINDOW - timedelta(minutes=1)
    db.add_all(
        LoginFailure(username=key, client_ip="192.0.2.1", attempted_at=old) for _ in range(9)
    )
    db.commit()
    assert _token(client_from(), user.username, DEFAULT_PASSWORD) == 201

    recent = [
        now - timedelta(minutes=14),
        *[now - timedelta(minutes=1)] * (FAILURES_PER_USERNAME - 1),
    ]
    db.add_all(LoginFailure(username=key, client_ip="192.0.2.2", attempted_at=t) for t in recent)
    db.commit()
    r = client_from().post(
        "/api/v1/tokens", json={"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert r.status_code == 429
    # The oldest counted failure leaves the window in about a minute.
    assert 1 <= int(r.headers["retry-after"]) <= 61


def test_password_confirmations_count_too(
    client_from: Callable[..., TestClient], db: Session
) -> None:
    """A stolen session cannot guess the password through the change-password form."""
    from tests.factories import bearer, make_token

    user = make_user(db)
    token = make_token(db, user)
    client = client_from()
    statuses = [
        client.post(
            "/api/v1/users/me/password",
            json={"current_password": f"guess-number-{i}", "new_password": "whatever-new-1"},
            headers=bearer(token),
        ).status_code
        for i in range(FAILURES_PER_USERNAME + 1)
    ]
    assert statuses == [403] * FAILURES_PER_USERNAME + [429]
