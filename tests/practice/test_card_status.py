"""Card actions as in Anki: suspend (never drawn until unsuspended), bury (left out until the next
day starts at 04:00 in the user's time zone), flag (a scope of its own), and skip (on to the next
card without a grade, the schedule untouched)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.auth.models import User
from app.local_time import DAY_STARTS_AT_HOUR
from app.practice import sessions
from app.practice.card_status import next_day_start
from app.practice.models import Card, CardStatus, PracticeSettings, QuizSessionItem, ReviewLog
from app.practice.schemas import ScopeIn, SessionCreate
from tests.factories import csrf_for, make_web_session
from tests.practice.conftest import PACK, ApiUser, start

SEOUL = ZoneInfo("Asia/Seoul")


def _status_url(number: str) -> str:
    return f"/api/v1/questions/{PACK}/{number}/card-status"


def _mark(client: Any, who: ApiUser, number: str, **changes: bool) -> dict[str, Any]:
    r = client.patch(_status_url(number), json=changes, headers=who.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _drawn(db: Session, session_id: int) -> list[str]:
    """The numbers of the questions a session drew, in order."""
    from app.content.models import Question

    db.expire_all()
    rows = db.execute(
        select(Question.number)
        .join(QuizSessionItem, QuizSessionItem.question_id == Question.id)
        .where(QuizSessionItem.session_id == session_id)
        .order_by(QuizSessionItem.position)
    )
    return [n for (n,) in rows]


def _empty_scope(client: Any, who: ApiUser, kind: str) -> bool:
    body = {"scope": {"pack": PACK, "kind": kind}}
    r = client.post("/api/v1/sessions", json=body, headers=who.headers)
    return r.status_code == 409 and r.json()["reason"] == "empty_scope"


def _grade_outside_session(client: Any, who: ApiUser, number: str) -> None:
    body = {"question": f"{PACK}/{number}", "rating": 3}
    assert client.post("/api/v1/reviews", json=body, headers=who.headers).status_code == 201


def _make_due(db: Session, who: ApiUser) -> None:
    db.execute(
        update(Card)
        .where(Card.user_id == who.user.id)
        .values(due=datetime.now(UTC) - timedelta(minutes=1))
    )
    db.commit()


def test_a_suspended_card_is_drawn_into_no_session_until_unsuspended(
    client: Any, db: Session, alice: ApiUser
) -> None:
    everything = _drawn(db, start(client, alice, kind="all")["id"])
    assert "3" in everything and "5" in everything
    assert _mark(client, alice, "3", suspended=True)["suspended"] is True
    assert "3" not in _drawn(db, start(client, alice, kind="all")["id"])
    assert "3" not in _drawn(db, start(client, alice, kind="new")["id"])
    assert "3" not in _drawn(db, start(client, alice, kind="all", mode="cram")["id"])

    _grade_outside_session(client, alice, "5")
    _make_due(db, alice)
    assert _drawn(db, start(client, alice, kind="due")["id"]) == ["5"]
    _mark(client, alice, "5", suspended=True)
    assert _empty_scope(client, alice, "due")

    _mark(client, alice, "3", suspended=False)
    _mark(client, alice, "5", suspended=False)
    assert _drawn(db, start(client, alice, kind="all")["id"]) == everything
    assert _drawn(db, start(client, alice, kind="due")["id"]) == ["5"]
    status = client.get(_status_url("3"), headers=alice.headers).json()
    assert status == {
        "question": f"{PACK}/3",
        "suspended": False,
        "buried_until": None,
        "flagged": False,
    }


def test_the_day_starts_at_four_in_the_users_zone() -> None:
    assert DAY_STARTS_AT_HOUR == 4
    before = datetime(2026, 12, 1, 3, 59, tzinfo=SEOUL)
    assert next_day_start(before, SEOUL) == datetime(2026, 12, 1, 4, tzinfo=SEOUL)
    at_four = datetime(2026, 12, 1, 4, tzinfo=SEOUL)
    assert next_day_start(at_four, SEOUL) == datetime(2026, 12, 2, 4, tzinfo=SEOUL)
    late = datetime(2026, 12, 1, 23, 30, tzinfo=SEOUL)
    assert next_day_start(late, SEOUL) == datetime(2026, 12, 2, 4, tzinfo=SEOUL)
    assert next_day_start(late, SEOUL).tzinfo == UTC


def test_a_buried_card_is_back_when_the_next_day_starts(
    client: Any, db: Session, alice: ApiUser
) -> None:
    before = datetime.now(UTC)
    until = datetime.fromisoformat(_mark(client, alice, "3", buried=True)["buried_until"])
    after = datetime.now(UTC)
    assert until in (next_day_start(before, SEOUL), next_day_start(after, SEOUL))
    local = until.astimezone(SEOUL)
    assert (local.hour, local.minute) == (DAY_STARTS_AT_HOUR, 0)
    assert timedelta(0) < until - before <= timedelta(days=1)
    assert "3" not in _drawn(db, start(client, alice, kind="all")["id"])

    user = db.get(User, alice.user.id)
    assert user is not None
    body = SessionCreate(scope=ScopeIn(pack=PACK, kind="all"))
    just_before = sessions.start_session(db, user, body, now=until - timedelta(seconds=1))
    at_rollover = sessions.start_session(db, user, body, now=until)
    db.flush()
    assert "3" not in _drawn_flushed(db, just_before.id)
    assert "3" in _drawn_flushed(db, at_rollover.id)
    db.rollback()

    # The same card, its burial over (written into the past): drawn again.
    _bury_until(db, alice, "3", datetime.now(UTC) - timedelta(seconds=1))
    assert "3" in _drawn(db, start(client, alice, kind="all")["id"])
    assert client.get(_status_url("3"), headers=alice.headers).json()["buried_until"] is None

    _mark(client, alice, "3", buried=True)
    assert _mark(client, alice, "3", buried=False)["buried_until"] is None
    assert "3" in _drawn(db, start(client, alice, kind="all")["id"])


def _drawn_flushed(db: Session, session_id: int) -> list[str]:
    from app.content.models import Question

    rows = db.execute(
        select(Question.number)
        .join(QuizSessionItem, QuizSessionItem.question_id == Question.id)
        .where(QuizSessionItem.session_id == session_id)
    )
    return [n for (n,) in rows]


def _bury_until(db: Session, who: ApiUser, number: str, until: datetime) -> None:
    from app.content.models import Pack, Question

    qid = db.scalar(
        select(Question.id)
        .join(Pack, Pack.id == Question.pack_id)
        .where(Pack.slug == PACK, Question.number == number)
    )
    db.execute(
        update(CardStatus)
        .where(CardStatus.user_id == who.user.id, CardStatus.question_id == qid)
        .values(buried_until=until)
    )
    db.commit()


def test_burial_follows_the_users_own_time_zone(client: Any, db: Session, alice: ApiUser) -> None:
    db.add(PracticeSettings(user_id=alice.user.id, time_zone="America/New_York"))
    db.commit()
    until = datetime.fromisoformat(_mark(client, alice, "4", buried=True)["buried_until"])
    local = until.astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (DAY_STARTS_AT_HOUR, 0)
    assert until.astimezone(SEOUL).hour != DAY_STARTS_AT_HOUR


def _next(client: Any, who: ApiUser, sid: int) -> dict[str, Any] | None:
    r = client.get(f"/api/v1/sessions/{sid}/next", headers=who.headers)
    assert r.status_code in (200, 204), r.text
    return r.json() if r.status_code == 200 else None


def test_skip_moves_on_without_a_grade_and_leaves_the_card_alone(
    client: Any, db: Session, alice: ApiUser
) -> None:
    sid = start(client, alice, kind="chain", question="12")["id"]
    first = _next(client, alice, sid)
    assert first is not None and first["question"] == f"{PACK}/12"
    r = client.post(
        f"/api/v1/sessions/{sid}/skip", json={"question": f"{PACK}/12"}, headers=alice.headers
    )
    assert r.status_code == 200, r.text
    assert (r.json()["graded"], r.json()["skipped"], r.json()["remaining"]) == (0, 1, 4)
    nxt = _next(client, alice, sid)
    assert nxt is not None and nxt["question"] == f"{PACK}/12-1"
    # A second press naming the card already passed over skips nothing more.
    again = client.post(
        f"/api/v1/sessions/{sid}/skip", json={"question": f"{PACK}/12"}, headers=alice.headers
    )
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")

    db.expire_all()
    item = db.scalar(
        select(QuizSessionItem).where(
            QuizSessionItem.session_id == sid, QuizSessionItem.position == 1
        )
    )
    assert item is not None and item.rating is None and item.graded_at is not None
    assert db.scalar(select(Card).where(Card.user_id == alice.user.id)) is None
    assert db.scalar(select(ReviewLog).where(ReviewLog.user_id == alice.user.id)) is None
    assert (
        client.post(
            "/api/v1/reviews/undo", json={"session": sid}, headers=alice.headers
        ).status_code
        == 409
    )

    for _ in range(4):
        assert client.post(f"/api/v1/sessions/{sid}/skip", headers=alice.headers).status_code == 200
    assert _next(client, alice, sid) is None
    done = client.get(f"/api/v1/sessions/{sid}", headers=alice.headers).json()
    assert (done["status"], done["graded"], done["skipped"]) == ("finished", 0, 5)
    assert client.post(f"/api/v1/sessions/{sid}/skip", headers=alice.headers).status_code == 409


def test_suspending_or_burying_the_current_card_moves_the_session_on(
    client: Any, db: Session, alice: ApiUser
) -> None:
    sid = start(client, alice, kind="chain", question="12")["id"]
    _mark(client, alice, "12", suspended=True)
    card = _next(client, alice, sid)
    assert card is not None and card["question"] == f"{PACK}/12-1"
    _mark(client, alice, "12-1", buried=True)
    card = _next(client, alice, sid)
    assert card is not None and card["question"] == f"{PACK}/12-2"
    summary = client.get(f"/api/v1/sessions/{sid}", headers=alice.headers).json()
    assert (summary["skipped"], summary["graded"], summary["status"]) == (2, 0, "active")
    # Flagging leaves the card where it is.
    _mark(client, alice, "12-2", flagged=True)
    card = _next(client, alice, sid)
    assert card is not None and card["question"] == f"{PACK}/12-2"
    assert db.scalar(select(Card).where(Card.user_id == alice.user.id)) is None


def test_flags_toggle_and_the_flagged_scope_draws_only_flagged_cards(
    client: Any, db: Session, alice: ApiUser
) -> None:
    assert _empty_scope(client, alice, "flagged")
    assert _mark(client, alice, "4", flagged=True)["flagged"] is True
    assert _mark(client, alice, "7", flagged=True)["flagged"] is True
    assert _drawn(db, start(client, alice, kind="flagged")["id"]) == ["4", "7"]
    assert _mark(client, alice, "7", flagged=False)["flagged"] is False
    assert _drawn(db, start(client, alice, kind="flagged")["id"]) == ["4"]
    # A flag survives a suspension, but the suspended card is still left out.
    _mark(client, alice, "4", suspended=True)
    assert _mark(client, alice, "4")["flagged"] is True
    assert _empty_scope(client, alice, "flagged")


def test_marks_and_skips_belong_to_their_user(
    client: Any, db: Session, alice: ApiUser, bob: ApiUser
) -> None:
    sid = start(client, alice, kind="chain", question="12")["id"]
    assert client.post(f"/api/v1/sessions/{sid}/skip", headers=bob.headers).status_code == 404
    card = _next(client, alice, sid)
    assert card is not None and card["question"] == f"{PACK}/12"

    _mark(client, bob, "12", suspended=True, flagged=True)
    mine = client.get(_status_url("12"), headers=alice.headers).json()
    assert (mine["suspended"], mine["flagged"]) == (False, False)
    # Bob's suspension takes the card out of Bob's sessions only.
    card = _next(client, alice, sid)
    assert card is not None and card["question"] == f"{PACK}/12"
    assert "12" in _drawn(db, start(client, alice, kind="all")["id"])
    assert "12" not in _drawn(db, start(client, bob, kind="all")["id"])


def test_bad_card_status_input_is_a_clear_4xx(client: Any, alice: ApiUser) -> None:
    cases = [
        (_status_url("999"), {"suspended": True}, 404),
        ("/api/v1/questions/nope/1/card-status", {"flagged": True}, 404),
        (_status_url("3"), {"suspended": "maybe"}, 422),
        (_status_url("3"), {"hidden": True}, 422),
    ]
    for url, body, code in cases:
        r = client.patch(url, json=body, headers=alice.headers)
        assert r.status_code == code, (url, body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    r = client.post("/api/v1/sessions/1/skip", json={"question": "12"}, headers=alice.headers)
    assert r.status_code in (404, 422)


def test_cookie_callers_need_the_csrf_header(client: Any, db: Session, alice: ApiUser) -> None:
    client.cookies.set("mogi_session", make_web_session(db, alice.user))
    client.cookies.set("mogi_csrf", "csrf-value")
    assert client.patch(_status_url("3"), json={"flagged": True}).status_code == 403
    assert client.get(_status_url("3")).json()["flagged"] is False
    ok = client.patch(
        _status_url("3"), json={"flagged": True}, headers={"X-CSRF-Token": csrf_for(client)}
    )
    assert ok.status_code == 200 and ok.json()["flagged"] is True
    sid = start(client, alice, kind="chain", question="12")["id"]
    assert client.post(f"/api/v1/sessions/{sid}/skip").status_code == 403
    skipped = client.post(
        f"/api/v1/sessions/{sid}/skip", headers={"X-CSRF-Token": csrf_for(client)}
    )
    assert skipped.status_code == 200


def test_suspend_then_skip_with_nothing_left_is_refused(client: Any, alice: ApiUser) -> None:
    sid = start(client, alice, kind="chain", question="13")["id"]
    for number in ("13", "13-1", "13-2", "13-3"):
        _mark(client, alice, number, suspended=True)
    assert _next(client, alice, sid) is None
    assert client.get(f"/api/v1/sessions/{sid}", headers=alice.headers).json()["status"] == (
        "finished"
    )
    r = client.post(f"/api/v1/sessions/{sid}/skip", headers=alice.headers)
    assert r.status_code == 409


def test_a_mock_interview_keeps_its_questions(client: Any, db: Session, alice: ApiUser) -> None:
    sid = start(client, alice, mode="mock", question="12")["id"]
    r = client.post(f"/api/v1/sessions/{sid}/skip", headers=alice.headers)
    assert r.status_code == 409 and "mock" in r.json()["detail"]
    # Suspended while asked, the question stays in the interview (its debrief grades it) but
    # leaves every session drawn after.
    _mark(client, alice, "12", suspended=True)
    card = _next(client, alice, sid)
    assert card is not None and card["question"] == f"{PACK}/12"
    assert "12" not in _drawn(db, start(client, alice, kind="all")["id"])
