"""Card actions as plain forms, without JavaScript: skip, bury, suspend and flag from a session's
card and from the question page; the note on the card's back; the finished screen's outlook."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.content.models import Pack, Question
from app.practice.models import MAX_TEXT_CHARS, Card, CardStatus, Note, PracticeSettings
from tests.practice.conftest import PACK
from tests.practice.test_pages import log_in, post


def _start_chain(client: Any, number: str) -> str:
    r = post(client, "/practice/sessions", pack=PACK, kind="chain", question=number, mode="review")
    assert r.status_code == 303, r.text
    return str(r.headers["location"])


def _question_id(db: Session, number: str) -> int:
    qid = db.scalar(
        select(Question.id)
        .join(Pack, Pack.id == Question.pack_id)
        .where(Pack.slug == PACK, Question.number == number)
    )
    assert qid is not None
    return int(qid)


def test_skip_bury_suspend_and_flag_from_the_card(client: Any, db: Session, seeded: str) -> None:
    user = log_in(client, db)
    url = _start_chain(client, "12")
    page = client.get(url).text
    assert 'id="skip-form"' in page and 'value="bury"' in page and 'value="suspend"' in page
    assert f'data-question="{PACK}/12"' in page and "1 / 5" in page

    assert post(client, url + "/skip", question=f"{PACK}/12").status_code == 303
    page = client.get(url).text
    assert f'data-question="{PACK}/12-1"' in page and "2 / 5" in page
    assert post(client, url + "/mark", question=f"{PACK}/12-1", action="bury").status_code == 303
    assert f'data-question="{PACK}/12-2"' in client.get(url).text
    r = post(client, url + "/mark", question=f"{PACK}/12-2", action="suspend")
    assert r.status_code == 303
    assert post(client, url + "/mark", question=f"{PACK}/12-3", action="flag").status_code == 303
    page = client.get(url).text
    assert f'data-question="{PACK}/12-3"' in page and 'aria-pressed="true"' in page

    db.expire_all()
    rows = {
        r.question_id: r
        for r in db.scalars(select(CardStatus).where(CardStatus.user_id == user.id))
    }
    assert rows[_question_id(db, "12-1")].buried_until is not None
    assert rows[_question_id(db, "12-2")].suspended
    assert rows[_question_id(db, "12-3")].flagged
    assert db.scalar(select(Card).where(Card.user_id == user.id)) is None
    english = client.get(url + "?lang=en").text
    assert "Skip" in english and "Bury" in english and "Suspend" in english
    bad = post(client, url + "/mark", question=f"{PACK}/12-3", action="explode")
    assert bad.status_code == 422


def test_the_question_page_suspends_buries_and_flags(client: Any, db: Session, seeded: str) -> None:
    log_in(client, db)
    base = f"/practice/questions/{PACK}/5/card-status"
    page = client.get(f"/questions/{PACK}/5").text
    assert 'id="panel-suspend"' in page and 'id="panel-bury"' in page
    assert post(client, base, action="suspend").status_code == 303
    assert post(client, base, action="bury").status_code == 303
    assert post(client, base, action="flag").status_code == 303
    page = client.get(f"/questions/{PACK}/5").text
    assert 'id="panel-unsuspend"' in page and 'id="panel-unbury"' in page
    assert 'value="unflag"' in page
    assert post(client, base, action="unsuspend").status_code == 303
    assert post(client, base, action="unbury").status_code == 303
    page = client.get(f"/questions/{PACK}/5").text
    assert 'id="panel-suspend"' in page and 'id="panel-bury"' in page


def test_the_note_on_the_card_back_saves_and_a_long_one_is_refused_whole(
    client: Any, db: Session, seeded: str
) -> None:
    user = log_in(client, db)
    url = _start_chain(client, "13")
    assert 'id="card-note-form"' not in client.get(url).text  # shown once the answer is
    assert post(client, url + "/reveal").status_code == 303
    assert 'id="card-note-form"' in client.get(url).text
    r = post(client, url + "/note", question=f"{PACK}/13", body="경사 하강법: 학습률 주의")
    assert r.status_code == 303 and r.headers["location"] == url + "#card-note"
    page = client.get(url).text
    assert "경사 하강법: 학습률 주의" in page and 'id="grade-form"' in page

    long = "가" * (MAX_TEXT_CHARS + 1)
    refused = post(client, url + "/note", question=f"{PACK}/13", body=long)
    assert refused.status_code == 422
    assert "20,000자까지" in refused.text and long in refused.text  # kept whole in the box
    db.expire_all()
    note = db.scalar(select(Note).where(Note.user_id == user.id))
    assert note is not None and note.body == "경사 하강법: 학습률 주의"
    english = post(client, url + "/note?lang=en", question=f"{PACK}/13", body=long)
    assert english.status_code == 422 and "at most 20,000 characters" in english.text

    assert post(client, url + "/note", question=f"{PACK}/13", body="").status_code == 303
    db.expire_all()
    assert db.scalar(select(Note).where(Note.user_id == user.id)) is None


def test_the_finished_screen_says_what_is_next(client: Any, db: Session, seeded: str) -> None:
    user = log_in(client, db)
    url = _start_chain(client, "13")
    for number in ("13", "13-1", "13-2", "13-3"):
        assert post(client, url + "/reveal").status_code == 303
        r = post(client, url + "/grade", question=f"{PACK}/{number}", rating="4")
        assert r.status_code == 303
    # One card due in a minute: the screen names its time in the user's zone.
    soon = datetime.now(UTC) + timedelta(minutes=1)
    db.execute(
        update(Card)
        .where(Card.user_id == user.id, Card.question_id == _question_id(db, "13"))
        .values(due=soon)
    )
    db.commit()
    page = client.get(url).text
    assert "세션을 마쳤습니다" in page and 'id="day-outlook"' in page
    local = soon.astimezone(ZoneInfo("Asia/Seoul"))
    assert local.strftime("%H:%M") in page and "Asia/Seoul" in page
    assert 'id="outlook-new"' in page  # the pack still has new questions
    english = client.get(url + "?lang=en").text
    assert "What&#39;s next" in english or "What's next" in english
    assert "next card:" in english and local.strftime("%H:%M") in english


def _seed_counts(client: Any) -> tuple[int, int]:
    """The seed pack's new and due counts on the practice page."""
    seed_card = client.get("/practice").text.split("<h2>딥러닝</h2>", 1)[1]
    new = re.search(r'class="stat-new">(\d+)<', seed_card)
    due = re.search(r'class="stat-due">(\d+)<', seed_card)
    assert new and due
    return int(new[1]), int(due[1])


def test_the_practice_page_counts_leave_out_suspended_and_buried_cards(
    client: Any, db: Session, seeded: str
) -> None:
    user = log_in(client, db)
    db.add(PracticeSettings(user_id=user.id, new_per_day=9999))  # every new question counted
    db.commit()
    new, due = _seed_counts(client)
    assert due == 0
    marks = f"/practice/questions/{PACK}/{{}}/card-status"
    assert post(client, marks.format("3"), action="suspend").status_code == 303
    assert _seed_counts(client) == (new - 1, 0)
    url = _start_chain(client, "13")
    assert post(client, url + "/reveal").status_code == 303
    assert post(client, url + "/grade", question=f"{PACK}/13", rating="4").status_code == 303
    db.execute(
        update(Card)
        .where(Card.user_id == user.id)
        .values(due=datetime.now(UTC) - timedelta(minutes=1))
    )
    db.commit()
    assert _seed_counts(client) == (new - 2, 1)
    assert post(client, marks.format("13"), action="bury").status_code == 303
    assert _seed_counts(client) == (new - 2, 0)
