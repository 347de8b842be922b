"""The whole practice flow through the API: sessions of each scope and mode, reveal, grade, undo."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.content.models import Pack, Question
from app.practice.models import Card, ReviewLog
from tests.practice.conftest import PACK, ApiUser, start


def reveal(client, who: ApiUser, session_id: int, text: str | None = None) -> dict:  # noqa: ANN001
    body = {"answer_text": text} if text is not None else None
    r = client.post(f"/api/v1/sessions/{session_id}/reveal", json=body, headers=who.headers)
    assert r.status_code == 200, r.text
    return r.json()


def grade(client, who: ApiUser, question: str, rating: int, session: int | None = None, **kw):  # noqa: ANN001, ANN201
    body = {"question": question, "rating": rating, "session": session, **kw}
    return client.post("/api/v1/reviews", json=body, headers=who.headers)


def card_count(db: Session, who: ApiUser) -> int:
    db.expire_all()
    return int(
        db.scalar(select(func.count()).select_from(Card).where(Card.user_id == who.user.id)) or 0
    )


def log_count(db: Session, who: ApiUser) -> int:
    db.expire_all()
    return int(
        db.scalar(
            select(func.count()).select_from(ReviewLog).where(ReviewLog.user_id == who.user.id)
        )
        or 0
    )


def test_review_session_reveal_grade_undo(client, db: Session, alice: ApiUser) -> None:  # noqa: ANN001
    session = start(client, alice, kind="all")
    assert session["status"] == "active" and session["total"] >= 40
    card = client.get(f"/api/v1/sessions/{session['id']}/next", headers=alice.headers).json()
    assert card["question"] == f"{PACK}/1" and card["position"] == 1 and not card["revealed"]
    assert [p["rating"] for p in card["previews"]] == [1, 2, 3, 4]
    assert all(p["label"] for p in card["previews"])

    early = grade(client, alice, card["question"], 3, session["id"])
    assert early.status_code == 409 and "reveal" in early.json()["detail"].lower()
    assert log_count(db, alice) == 0

    shown = reveal(
        client, alice, session["id"], "딥러닝은 인공신경망을 여러 층 쌓아 특징을 자동으로 추출한다"
    )
    assert "딥러닝" in shown["answer_html"]
    covered = {t["text"]: t["covered"] for t in shown["terms"]}
    assert covered["딥러닝"] is True and covered["AI"] is False  # AI: 인공지능 in Korean

    graded = grade(client, alice, card["question"], 3, session["id"], duration_ms=4200)
    assert graded.status_code == 201, graded.text
    state = graded.json()
    assert state["card"]["state_name"] == "learning" and state["scheduled"] is True
    assert datetime.fromisoformat(state["due"]) > datetime.fromisoformat(state["reviewed_at"])
    assert card_count(db, alice) == 1 and log_count(db, alice) == 1

    nxt = client.get(f"/api/v1/sessions/{session['id']}/next", headers=alice.headers).json()
    assert nxt["position"] == 2

    undone = client.post(
        "/api/v1/reviews/undo", json={"session": session["id"]}, headers=alice.headers
    )
    assert undone.status_code == 200, undone.text
    assert undone.json()["question"] == f"{PACK}/1" and undone.json()["card"] is None
    assert card_count(db, alice) == 0 and log_count(db, alice) == 0
    again = client.get(f"/api/v1/sessions/{session['id']}/next", headers=alice.headers).json()
    assert again["position"] == 1 and again["revealed"] is True
    assert again["answer_text"].startswith("딥러닝은")


def _card_columns(db: Session, who: ApiUser, question_id: int) -> dict:
    db.expire_all()
    card = db.scalar(
        select(Card).where(Card.user_id == who.user.id, Card.question_id == question_id)
    )
    assert card is not None
    cols = ("state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses")
    return {c: getattr(card, c) for c in cols}


def test_undo_restores_the_card_exactly(client, db: Session, alice: ApiUser) -> None:  # noqa: ANN001
    q = f"{PACK}/2"
    assert grade(client, alice, q, 3).status_code == 201
    card_id = db.scalar(select(Card.id).where(Card.user_id == alice.user.id))
    before = _card_columns(db, alice, db.get(Card, card_id).question_id)
    assert grade(client, alice, q, 1).status_code == 201
    assert _card_columns(db, alice, db.get(Card, card_id).question_id) != before
    r = client.post("/api/v1/reviews/undo", headers=alice.headers)
    assert r.status_code == 200 and r.json()["rating"] == 1
    assert _card_columns(db, alice, db.get(Card, card_id).question_id) == before
    assert log_count(db, alice) == 1
    assert client.post("/api/v1/reviews/undo", headers=alice.headers).status_code == 200
    assert card_count(db, alice) == 0
    nothing = client.post("/api/v1/reviews/undo", headers=alice.headers)
    assert nothing.status_code == 409 and nothing.json()["title"] == "Conflict"


def test_scopes_new_due_bookmarked_unanswered(client, db: Session, alice: ApiUser) -> None:  # noqa: ANN001
    # The scopes themselves, past the daily limits (tests/practice/test_daily_limits.py).
    limits = {"new_per_day": 9999}
    assert client.put("/api/v1/settings", json=limits, headers=alice.headers).status_code == 200
    everything = start(client, alice, kind="all")["total"]
    assert start(client, alice, kind="new")["total"] == everything
    empty = client.post(
        "/api/v1/sessions", json={"scope": {"pack": PACK, "kind": "due"}}, headers=alice.headers
    )
    assert empty.status_code == 409 and empty.json()["reason"] == "empty_scope"

    assert grade(client, alice, f"{PACK}/4", 1).status_code == 201
    assert start(client, alice, kind="new")["total"] == everything - 1
    card = db.scalar(select(Card).where(Card.user_id == alice.user.id))
    card.due = datetime(2020, 1, 1, tzinfo=UTC)
    db.commit()
    due = start(client, alice, kind="due")
    assert due["total"] == 1
    first = client.get(f"/api/v1/sessions/{due['id']}/next", headers=alice.headers).json()
    assert first["question"] == f"{PACK}/4"

    for number in ("5", "12-3"):
        r = client.put(f"/api/v1/questions/{PACK}/{number}/bookmark", headers=alice.headers)
        assert r.status_code == 200 and r.json()["bookmarked"] is True
    marked = start(client, alice, kind="bookmarked")
    assert marked["total"] == 2

    unanswered = start(client, alice, kind="unanswered")
    without_answer = db.scalar(
        select(func.count())
        .select_from(Question)
        .join(Pack)
        .where(Pack.slug == PACK, Question.has_answer.is_(False), Question.retired.is_(False))
    )
    assert unanswered["total"] == without_answer >= 11
    nxt = client.get(f"/api/v1/sessions/{unanswered['id']}/next", headers=alice.headers).json()
    assert nxt["has_answer"] is False


def test_chain_is_main_question_then_follow_ups(client, alice: ApiUser) -> None:  # noqa: ANN001
    session = start(client, alice, kind="chain", question="12-3")
    assert session["scope"] == {"pack": PACK, "kind": "chain", "question": "12"}
    seen = []
    for _ in range(session["total"]):
        card = client.get(f"/api/v1/sessions/{session['id']}/next", headers=alice.headers).json()
        seen.append(card["number"])
        reveal(client, alice, session["id"])
        assert grade(client, alice, card["question"], 4, session["id"]).status_code == 201
    assert seen == ["12", "12-1", "12-2", "12-3", "12-4"]
    done = client.get(f"/api/v1/sessions/{session['id']}/next", headers=alice.headers)
    assert done.status_code == 204
    summary = client.get(f"/api/v1/sessions/{session['id']}", headers=alice.headers).json()
    assert summary["status"] == "finished" and summary["ratings"]["easy"] == 5
    twice = grade(client, alice, f"{PACK}/12", 3, session["id"])
    assert twice.status_code == 409
    missing = client.post(
        "/api/v1/sessions", json={"scope": {"pack": PACK, "kind": "chain"}}, headers=alice.headers
    )
    assert missing.status_code == 422


def test_cram_logs_grades_without_touching_the_schedule(
    client, db: Session, alice: ApiUser
) -> None:  # noqa: ANN001
    assert grade(client, alice, f"{PACK}/1", 3).status_code == 201
    before = _card_columns(
        db, alice, db.scalar(select(Card.question_id).where(Card.user_id == alice.user.id))
    )
    session = start(client, alice, kind="chain", question="1", mode="cram")
    card = client.get(f"/api/v1/sessions/{session['id']}/next", headers=alice.headers).json()
    assert card["previews"] is None
    reveal(client, alice, session["id"])
    r = grade(client, alice, card["question"], 1, session["id"])
    assert r.status_code == 201 and r.json()["scheduled"] is False and r.json()["due"] is None
    assert (
        _card_columns(
            db, alice, db.scalar(select(Card.question_id).where(Card.user_id == alice.user.id))
        )
        == before
    )
    assert log_count(db, alice) == 2

    new_q = start(client, alice, kind="chain", question="2", mode="cram")
    reveal(client, alice, new_q["id"])
    r = grade(client, alice, f"{PACK}/2", 4, new_q["id"])
    assert r.status_code == 201 and r.json()["card"] is None
    assert card_count(db, alice) == 1  # cram never creates a card
    db.expire_all()
    cram_rows = db.scalars(
        select(ReviewLog).where(ReviewLog.user_id == alice.user.id, ReviewLog.mode == "cram")
    ).all()
    assert len(cram_rows) == 2 and all(not row.scheduled and row.state is None for row in cram_rows)


def test_mock_interview_runs_against_a_clock(client, db: Session, alice: ApiUser) -> None:  # noqa: ANN001
    from app.practice.models import QuizSession

    session = start(client, alice, mode="mock", time_limit_s=300)
    assert session["mode"] == "mock" and session["time_limit_s"] == 300
    assert 0 < session["seconds_left"] <= 300 and session["scope"]["question"] is not None
    first = client.get(f"/api/v1/sessions/{session['id']}/next", headers=alice.headers).json()
    assert first["number"] == session["scope"]["question"] and not first["is_follow_up"]
    assert first["seconds_left"] is not None

    chained = start(client, alice, mode="mock", question="13")
    assert chained["total"] == 4 and chained["time_limit_s"] == 4 * 120

    quiz = db.get(QuizSession, session["id"])
    quiz.deadline_at = datetime(2020, 1, 1, tzinfo=UTC)
    db.commit()
    over = client.get(f"/api/v1/sessions/{session['id']}", headers=alice.headers).json()
    assert over["status"] == "expired" and over["seconds_left"] == 0
    assert (
        client.get(f"/api/v1/sessions/{session['id']}/next", headers=alice.headers).status_code
        == 204
    )
    late = client.post(f"/api/v1/sessions/{session['id']}/reveal", headers=alice.headers)
    assert late.status_code == 409 and "time" in late.json()["detail"].lower()
    # ... but what was being typed when the clock ran out is kept, for the debrief.
    typed = client.post(
        f"/api/v1/sessions/{session['id']}/reveal",
        json={"answer_text": "다 못 쓴 답"},
        headers=alice.headers,
    )
    assert typed.status_code == 200 and typed.json()["answer_text"] == "다 못 쓴 답"


def test_own_answer_notes_and_bookmarks(client, alice: ApiUser) -> None:  # noqa: ANN001
    base = f"/api/v1/questions/{PACK}/3"
    assert client.get(base + "/note", headers=alice.headers).status_code == 404
    r = client.put(base + "/note", json={"body": "PyTorch: define-by-run"}, headers=alice.headers)
    assert r.status_code == 200 and r.json()["body"] == "PyTorch: define-by-run"
    r = client.put(base + "/note", json={"body": "updated"}, headers=alice.headers)
    assert client.get(base + "/note", headers=alice.headers).json()["body"] == "updated"
    assert client.delete(base + "/note", headers=alice.headers).status_code == 204
    assert client.get(base + "/note", headers=alice.headers).status_code == 404

    md = "**동적 그래프**와 `torch.jit` <script>alert(1)</script>"
    r = client.put(base + "/my-answer", json={"body_markdown": md}, headers=alice.headers)
    assert r.status_code == 200, r.text
    html = r.json()["body_html"]
    assert "<strong>동적 그래프</strong>" in html and "<script" not in html
    assert client.get(base + "/my-answer", headers=alice.headers).json()["body_markdown"] == md
    answered = client.put(
        f"/api/v1/questions/{PACK}/1/my-answer", json={"body_markdown": "x"}, headers=alice.headers
    )
    assert answered.status_code == 409

    session = start(client, alice, kind="chain", question="3")
    shown = reveal(client, alice, session["id"], "동적 그래프를 쓴다")
    assert shown["has_answer"] is False and "동적 그래프" in shown["own_answer_html"]
    assert {t["text"]: t["covered"] for t in shown["terms"]}.get("동적 그래프") is True

    assert client.get(base + "/bookmark", headers=alice.headers).json()["bookmarked"] is False
    assert client.put(base + "/bookmark", headers=alice.headers).status_code == 200
    assert client.put(base + "/bookmark", headers=alice.headers).status_code == 200
    assert client.get(base + "/bookmark", headers=alice.headers).json()["bookmarked"] is True
    assert client.delete(base + "/bookmark", headers=alice.headers).status_code == 204
    assert client.get(base + "/bookmark", headers=alice.headers).json()["bookmarked"] is False
