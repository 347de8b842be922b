"""Two users kept apart on every practice route; bad input gets a clear 4xx and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.practice.models import (
    Bookmark,
    Card,
    CardStatus,
    Note,
    QuizSession,
    ReviewLog,
    UserAnswer,
)
from tests.factories import csrf_for, make_web_session
from tests.practice.conftest import PACK, ApiUser, start

Q = f"/api/v1/questions/{PACK}/3"


def _counts(db: Session, *users: ApiUser) -> dict[str, int]:
    """Rows per practice table: those of `users`, or of everybody when none is named.

    The database is shared by the whole run, so a test that acts as a user counts that
    user's rows only; the anonymous calls, which must change nobody's, count every row.
    """
    db.expire_all()
    counts = {}
    for model in (Card, ReviewLog, QuizSession, Bookmark, Note, UserAnswer, CardStatus):
        stmt = select(func.count()).select_from(model)
        if users:
            stmt = stmt.where(model.user_id.in_([u.user.id for u in users]))
        counts[model.__tablename__] = int(db.scalar(stmt) or 0)
    return counts


def _alice_state(client, alice: ApiUser) -> dict:  # noqa: ANN001
    session = start(client, alice, kind="chain", question="3")
    client.post(f"/api/v1/sessions/{session['id']}/reveal", headers=alice.headers)
    graded = client.post(
        "/api/v1/reviews",
        json={"question": f"{PACK}/3", "rating": 3, "session": session["id"]},
        headers=alice.headers,
    )
    assert graded.status_code == 201
    assert (
        client.put(Q + "/note", json={"body": "alice's"}, headers=alice.headers).status_code == 200
    )
    assert client.put(Q + "/bookmark", headers=alice.headers).status_code == 200
    mine = client.put(Q + "/my-answer", json={"body_markdown": "alice"}, headers=alice.headers)
    assert mine.status_code == 200
    return session


def test_another_users_data_is_invisible(client, db: Session, alice: ApiUser, bob: ApiUser) -> None:  # noqa: ANN001
    session = _alice_state(client, alice)
    sid = session["id"]
    before = (_counts(db, alice), _counts(db, bob))
    h = bob.headers
    assert client.get(f"/api/v1/sessions/{sid}", headers=h).status_code == 404
    assert client.get(f"/api/v1/sessions/{sid}/next", headers=h).status_code == 404
    assert client.post(f"/api/v1/sessions/{sid}/reveal", headers=h).status_code == 404
    steal = {"question": f"{PACK}/3", "rating": 1, "session": sid}
    assert client.post("/api/v1/reviews", json=steal, headers=h).status_code == 404
    assert client.post("/api/v1/reviews/undo", json={"session": sid}, headers=h).status_code == 404
    assert client.post("/api/v1/reviews/undo", headers=h).status_code == 409
    assert client.get(Q + "/note", headers=h).status_code == 404
    assert client.get(Q + "/my-answer", headers=h).status_code == 404
    assert client.get(Q + "/bookmark", headers=h).json()["bookmarked"] is False
    assert client.delete(Q + "/note", headers=h).status_code == 204
    assert client.delete(Q + "/bookmark", headers=h).status_code == 204
    assert client.delete(Q + "/my-answer", headers=h).status_code == 204
    empty = client.post(
        "/api/v1/sessions", json={"scope": {"pack": PACK, "kind": "bookmarked"}}, headers=h
    )
    assert empty.status_code == 409
    assert client.get(f"/api/v1/sessions/{sid}", headers=alice.headers).status_code == 200
    assert (_counts(db, alice), _counts(db, bob)) == before
    assert client.get(Q + "/note", headers=alice.headers).json()["body"] == "alice's"
    assert client.get(Q + "/bookmark", headers=alice.headers).json()["bookmarked"] is True
    assert client.get(Q + "/my-answer", headers=alice.headers).json()["body_markdown"] == "alice"

    assert client.put(Q + "/note", json={"body": "bob's"}, headers=h).status_code == 200
    assert client.get(Q + "/note", headers=alice.headers).json()["body"] == "alice's"


ROUTES = [
    ("post", "/api/v1/sessions", {"scope": {"pack": PACK}}),
    ("get", "/api/v1/sessions/1", None),
    ("get", "/api/v1/sessions/1/next", None),
    ("post", "/api/v1/sessions/1/reveal", None),
    ("post", "/api/v1/reviews", {"question": f"{PACK}/1", "rating": 3}),
    ("post", "/api/v1/reviews/undo", None),
    ("get", Q + "/bookmark", None),
    ("put", Q + "/bookmark", None),
    ("delete", Q + "/bookmark", None),
    ("get", Q + "/note", None),
    ("put", Q + "/note", {"body": "x"}),
    ("delete", Q + "/note", None),
    ("get", Q + "/my-answer", None),
    ("put", Q + "/my-answer", {"body_markdown": "x"}),
    ("delete", Q + "/my-answer", None),
    ("post", "/api/v1/sessions/1/skip", None),
    ("get", Q + "/card-status", None),
    ("patch", Q + "/card-status", {"suspended": True}),
]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer a b"},
    ],
    ids=["none", "empty", "unknown", "basic", "spaces"],
)
def test_every_route_needs_a_valid_token(client, db: Session, seeded: str, headers: dict) -> None:  # noqa: ANN001
    before = _counts(db)
    for method, url, body in ROUTES:
        r = client.request(method, url, json=body, headers=headers)
        assert r.status_code == 401, (method, url, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert _counts(db) == before


def test_bad_input_is_a_clear_4xx_and_changes_nothing(client, db: Session, alice: ApiUser) -> None:  # noqa: ANN001
    h = alice.headers
    assert client.put(Q + "/note", json={"body": "keep me"}, headers=h).status_code == 200
    before = _counts(db, alice)
    cases = [
        ("post", "/api/v1/reviews", {"question": f"{PACK}/999", "rating": 3}, 404),
        ("post", "/api/v1/reviews", {"question": "no-such-pack/1", "rating": 3}, 404),
        ("post", "/api/v1/reviews", {"question": f"{PACK}/1", "rating": 7}, 422),
        ("post", "/api/v1/reviews", {"question": f"{PACK}/1", "rating": 0}, 422),
        ("post", "/api/v1/reviews", {"question": f"{PACK}/1", "rating": "good"}, 422),
        ("post", "/api/v1/reviews", {"question": "1", "rating": 3}, 422),
        ("post", "/api/v1/reviews", {"question": f"{PACK}/1", "rating": 3, "session": 10**9}, 404),
        ("post", "/api/v1/sessions", {"scope": {"pack": "nope"}}, 404),
        ("post", "/api/v1/sessions", {"scope": {"pack": PACK, "kind": "weird"}}, 422),
        ("post", "/api/v1/sessions", {"scope": {"pack": PACK}, "mode": "speed"}, 422),
        (
            "post",
            "/api/v1/sessions",
            {"scope": {"pack": PACK, "kind": "chain", "question": "99"}},
            404,
        ),
        (
            "post",
            "/api/v1/sessions",
            {"scope": {"pack": PACK}, "mode": "mock", "time_limit_s": 5},
            422,
        ),
        ("get", "/api/v1/sessions/999999999", None, 404),
        ("put", Q + "/note", {"body": "x" * 20_001}, 422),
        ("put", Q + "/note", {"body": ""}, 422),
        ("put", f"/api/v1/questions/{PACK}/999/note", {"body": "x"}, 404),
        ("put", f"/api/v1/questions/{PACK}/999/bookmark", None, 404),
        ("put", Q + "/my-answer", {"body_markdown": "y" * 20_001}, 422),
    ]
    for method, url, body, expected in cases:
        r = client.request(method, url, json=body, headers=h)
        assert r.status_code == expected, (url, body and str(body)[:80], r.text[:200])
        problem = r.json()
        assert problem["status"] == expected and problem["detail"]
    assert _counts(db, alice) == before
    oversized = client.put(Q + "/note", json={"body": "x" * 20_001}, headers=h).json()
    assert "20000" in oversized["detail"] and oversized["errors"][0]["loc"][-1] == "body"
    assert client.get(Q + "/note", headers=h).json()["body"] == "keep me"


def test_cookie_calls_need_the_csrf_header(client, db: Session, alice: ApiUser) -> None:  # noqa: ANN001
    client.cookies.set("mogi_session", make_web_session(db, alice.user))
    client.cookies.set("mogi_csrf", "csrf-value")
    before = _counts(db, alice)
    body = {"question": f"{PACK}/1", "rating": 3}
    assert client.post("/api/v1/reviews", json=body).status_code == 403
    assert _counts(db, alice) == before
    ok = client.post("/api/v1/reviews", json=body, headers={"X-CSRF-Token": csrf_for(client)})
    assert ok.status_code == 201
