"""Learning steps inside a session, as Anki has them: a card graded Again (or still learning)
comes back in the same session when its step is due, before the cards after it; with nothing
else left it comes back at once (learn ahead); undo takes the step back too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.practice.models import QuizSessionItem
from tests.practice.conftest import PACK, ApiUser, start

AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4


def _next(client: Any, who: ApiUser, sid: int) -> dict[str, Any] | None:
    r = client.get(f"/api/v1/sessions/{sid}/next", headers=who.headers)
    assert r.status_code in (200, 204), r.text
    return r.json() if r.status_code == 200 else None


def _answer(client: Any, who: ApiUser, sid: int, rating: int) -> dict[str, Any]:
    """Reveal the session's current card and grade it; the grade's response."""
    card = _next(client, who, sid)
    assert card is not None
    r = client.post(f"/api/v1/sessions/{sid}/reveal", headers=who.headers)
    assert r.status_code == 200, r.text
    body = {"question": card["question"], "rating": rating, "session": sid}
    r = client.post("/api/v1/reviews", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    return {**r.json(), "shown": card}


def _session(client: Any, who: ApiUser, sid: int) -> dict[str, Any]:
    r = client.get(f"/api/v1/sessions/{sid}", headers=who.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_an_again_card_comes_back_in_its_session(client: Any, alice: ApiUser) -> None:
    sid = start(client, alice, kind="chain", question="12")["id"]
    first = _answer(client, alice, sid, AGAIN)
    assert first["shown"]["question"] == f"{PACK}/12" and not first["shown"]["returning"]
    back_at = datetime.fromisoformat(first["returns_in_session_at"])
    reviewed = datetime.fromisoformat(first["reviewed_at"])
    assert timedelta(seconds=30) <= back_at - reviewed <= timedelta(minutes=2)  # FSRS: 1 minute
    assert first["session_done"] is False
    assert _session(client, alice, sid)["total"] == 6  # 12, 12-1..12-4, and 12 again

    # Its step is not due yet: the follow-ups come first; Easy graduates them at once.
    shown = [_answer(client, alice, sid, EASY)["shown"]["question"] for _ in range(4)]
    assert shown == [f"{PACK}/12-{n}" for n in range(1, 5)]
    # Nothing else is left: the card is shown now rather than after an idle minute.
    again = _next(client, alice, sid)
    assert again is not None and again["question"] == f"{PACK}/12" and again["returning"]
    good = _answer(client, alice, sid, GOOD)  # one step on (10 minutes): still learning
    assert good["card"]["state_name"] == "learning" and good["returns_in_session_at"]
    last = _answer(client, alice, sid, EASY)
    assert last["returns_in_session_at"] is None and last["session_done"] is True
    assert _session(client, alice, sid)["status"] == "finished"


def test_a_due_step_comes_before_the_next_card_in_order(
    client: Any, db: Session, alice: ApiUser
) -> None:
    sid = start(client, alice, kind="chain", question="12")["id"]
    _answer(client, alice, sid, AGAIN)
    assert _answer(client, alice, sid, EASY)["shown"]["question"] == f"{PACK}/12-1"
    # A minute and a half later (the step's wait, without sleeping through it):
    past = datetime.now(UTC) - timedelta(seconds=1)
    db.execute(
        update(QuizSessionItem)
        .where(QuizSessionItem.session_id == sid, QuizSessionItem.due_at.is_not(None))
        .values(due_at=past)
    )
    db.commit()
    card = _next(client, alice, sid)
    assert card is not None and card["question"] == f"{PACK}/12" and card["returning"]


def test_undo_takes_the_step_back_with_the_grade(client: Any, alice: ApiUser) -> None:
    sid = start(client, alice, kind="chain", question="12")["id"]
    _answer(client, alice, sid, AGAIN)
    assert _session(client, alice, sid)["total"] == 6
    r = client.post("/api/v1/reviews/undo", json={"session": sid}, headers=alice.headers)
    assert r.status_code == 200, r.text
    assert _session(client, alice, sid)["total"] == 5
    card = _next(client, alice, sid)
    assert card is not None and card["question"] == f"{PACK}/12" and not card["returning"]


def test_graduated_cards_and_mock_interviews_do_not_come_back(client: Any, alice: ApiUser) -> None:
    sid = start(client, alice, kind="chain", question="12")["id"]
    assert _answer(client, alice, sid, EASY)["returns_in_session_at"] is None
    mock = start(client, alice, kind="chain", question="12", mode="mock")["id"]
    graded = _answer(client, alice, mock, AGAIN)
    assert graded["returns_in_session_at"] is None
    assert _session(client, alice, mock)["total"] == 5


def test_cramming_brings_back_what_was_forgotten(client: Any, alice: ApiUser) -> None:
    sid = start(client, alice, kind="chain", question="12", mode="cram")["id"]
    forgot = _answer(client, alice, sid, AGAIN)
    assert forgot["scheduled"] is False and forgot["returns_in_session_at"]
    assert _answer(client, alice, sid, GOOD)["returns_in_session_at"] is None
    assert _session(client, alice, sid)["total"] == 6
