"""A mock interview ends in a debrief: every question asked, what was typed (even when the clock
ran out mid-answer), the model answer and its key terms; the rest can be graded there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.practice.models import QuizSession, ReviewLog
from tests.practice.conftest import PACK, ApiUser, start

TYPED = "ReLU는 양수에서 기울기가 1이라 기울기 소실이 적고 계산이 빠르다"


def _run_out_of_time(db: Session, sid: int) -> None:
    """The clock runs out (without sleeping through it): the deadline is now past."""
    past = datetime.now(UTC) - timedelta(seconds=1)
    db.execute(update(QuizSession).where(QuizSession.id == sid).values(deadline_at=past))
    db.commit()


def test_a_timed_out_mock_interview_ends_in_a_debrief(
    client: Any, db: Session, alice: ApiUser
) -> None:
    sid = start(client, alice, kind="chain", question="12", mode="mock", time_limit_s=60)["id"]
    first = client.get(f"/api/v1/sessions/{sid}/next", headers=alice.headers).json()
    early = client.get(f"/api/v1/sessions/{sid}/debrief", headers=alice.headers)
    assert early.status_code == 409  # the interview is still running
    _run_out_of_time(db, sid)
    # The clock ran out mid-answer: the page sends what was typed, and it is kept.
    r = client.post(
        f"/api/v1/sessions/{sid}/reveal", json={"answer_text": TYPED}, headers=alice.headers
    )
    assert r.status_code == 200, r.text
    assert client.get(f"/api/v1/sessions/{sid}", headers=alice.headers).json()["status"] == (
        "expired"
    )

    debrief = client.get(f"/api/v1/sessions/{sid}/debrief", headers=alice.headers)
    assert debrief.status_code == 200, debrief.text
    items = debrief.json()
    assert [i["question"] for i in items][0] == first["question"] == f"{PACK}/12"
    assert len(items) == 5  # #12 and its follow-ups: every question asked, none graded
    assert items[0]["answer_text"] == TYPED and items[0]["answer_html"]
    assert items[0]["terms"] and 0 <= items[0]["covered"] <= len(items[0]["terms"])
    assert all(i["rating"] is None for i in items)

    # Grades given in the debrief count, even for questions the clock cut off.
    for item, rating in zip(items, (3, 1, 2, 4, 3), strict=True):
        body = {"question": item["question"], "rating": rating, "session": sid}
        graded = client.post("/api/v1/reviews", json=body, headers=alice.headers)
        assert graded.status_code == 201, graded.text
    after = client.get(f"/api/v1/sessions/{sid}/debrief", headers=alice.headers).json()
    assert [i["rating"] for i in after] == [3, 1, 2, 4, 3]
    db.expire_all()
    logs = db.scalars(select(ReviewLog).where(ReviewLog.session_id == sid)).all()
    assert len(logs) == 5 and all(log.mode == "mock" and log.scheduled for log in logs)


def test_the_debrief_page_lists_typed_answers(client: Any, db: Session, alice: ApiUser) -> None:
    from tests.factories import make_web_session

    sid = start(client, alice, kind="chain", question="12", mode="mock", time_limit_s=60)["id"]
    _run_out_of_time(db, sid)
    client.post(
        f"/api/v1/sessions/{sid}/reveal", json={"answer_text": TYPED}, headers=alice.headers
    )
    client.cookies.set("mogi_session", make_web_session(db, alice.user))
    page = client.get(f"/practice/sessions/{sid}")
    assert page.status_code == 200
    assert "면접 돌아보기" in page.text and TYPED in page.text
    assert page.text.count('class="debrief-item"') == 5
    assert page.text.count('class="debrief-grade-form"') == 5
