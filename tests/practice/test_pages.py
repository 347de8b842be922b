"""The practice pages work as plain forms, without JavaScript; the question page gets its panel."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from app.auth.models import User
from tests.factories import csrf_for, make_user, make_web_session
from tests.practice.conftest import PACK

CSRF = "page-csrf-token"


def log_in(client, db: Session, user: User | None = None) -> User:  # noqa: ANN001
    user = user or make_user(db)
    client.cookies.set("mogi_session", make_web_session(db, user))
    client.cookies.set("mogi_csrf", CSRF)
    return user


def post(client, url: str, **fields: str):  # noqa: ANN001, ANN201
    return client.post(url, data={"csrf_token": csrf_for(client), **fields}, follow_redirects=False)


def test_practice_page_needs_login(client, seeded: str) -> None:  # noqa: ANN001
    r = client.get("/practice", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_session_flow_with_forms(client, db: Session, seeded: str) -> None:  # noqa: ANN001
    log_in(client, db)
    home = client.get("/practice")
    assert home.status_code == 200 and 'name="kind" value="chain"' in home.text
    # The library has a card per pack; the seed's is the one titled 딥러닝.
    seed_card = home.text.split("<h2>딥러닝</h2>", 1)[1]
    new, due = (
        re.search(r'class="stat-new">(\d+)<', seed_card),
        re.search(r'class="stat-due">(\d+)<', seed_card),
    )
    # A new user: none due; all new, of which today's limit (20 a pack) is offered.
    assert new and due and int(new[1]) == 20 and int(due[1]) == 0
    waiting = re.search(r'class="stat-new">20<span[^>]*> / (\d+)<', seed_card)
    assert waiting and int(waiting[1]) >= 47
    english = client.get("/practice?lang=en")
    assert "Start a session" in english.text and "Review due (0)" in english.text

    r = post(client, "/practice/sessions", pack=PACK, kind="chain", question="13", mode="review")
    assert r.status_code == 303
    url = r.headers["location"]
    page = client.get(url)
    assert "1 / 4" in page.text and 'id="reveal-form"' in page.text
    assert 'name="rating"' not in page.text

    assert (
        post(client, url + "/reveal", answer_text="기울기를 따라 loss를 줄인다").status_code == 303
    )
    page = client.get(url)
    assert 'id="grade-form"' in page.text and "기울기를 따라 loss를 줄인다" in page.text
    intervals = re.findall(r'class="grade-interval">([^<]+)<', page.text)
    assert len(intervals) == 4 and all(i.strip() for i in intervals)

    assert post(client, url + "/grade", question=f"{PACK}/13", rating="3").status_code == 303
    page = client.get(url)  # Good on a new card: its 10-minute step comes back in the session
    assert "2 / 5" in page.text and 'id="undo-form"' in page.text
    assert post(client, url + "/undo").status_code == 303
    assert "1 / 4" in client.get(url).text

    fragment = client.get(url + "?fragment=card")
    assert fragment.text.lstrip().startswith('<div id="practice-card"')
    assert "<html" not in fragment.text

    no_token = client.post(url + "/undo", data={}, follow_redirects=False)
    assert no_token.status_code == 403


def test_empty_scope_shows_a_message(client, db: Session, seeded: str) -> None:  # noqa: ANN001
    log_in(client, db)
    r = post(client, "/practice/sessions", pack=PACK, kind="due", mode="review")
    assert r.status_code == 409 and "flash error" in r.text


def test_another_users_session_page_is_404(client, db: Session, seeded: str) -> None:  # noqa: ANN001
    log_in(client, db)
    url = post(client, "/practice/sessions", pack=PACK, kind="all").headers["location"]
    log_in(client, db)  # someone else, same browser
    assert client.get(url).status_code == 404
    assert post(client, url + "/reveal").status_code == 404


def test_question_panel_bookmark_note_own_answer(client, db: Session, seeded: str) -> None:  # noqa: ANN001
    anonymous = client.get(f"/questions/{PACK}/3")
    assert 'id="practice-panel"' in anonymous.text and "/login?next=" in anonymous.text

    log_in(client, db)
    page = client.get(f"/questions/{PACK}/3")
    assert 'aria-pressed="false"' in page.text and "own-answer-body" in page.text
    base = f"/practice/questions/{PACK}/3"
    assert post(client, base + "/bookmark", on="1").status_code == 303
    assert post(client, base + "/note", body="나의 메모").status_code == 303
    assert (
        post(client, base + "/my-answer", body_markdown="**정적 그래프** 대 동적").status_code
        == 303
    )
    page = client.get(f"/questions/{PACK}/3")
    assert 'aria-pressed="true"' in page.text and "나의 메모" in page.text
    assert "<strong>정적 그래프</strong>" in page.text

    assert "이 질문 연습하기" in page.text  # #3 has no follow-ups
    assert "꼬리 질문까지 연습하기 (5문항)" in client.get(f"/questions/{PACK}/12-2").text
    answered = client.get(f"/questions/{PACK}/1")
    assert "own-answer-body" not in answered.text and "practice-chain" in answered.text
    r = post(client, "/practice/sessions", pack=PACK, kind="chain", question="12-2", mode="review")
    assert r.status_code == 303
    assert "#12</a>" in client.get(r.headers["location"]).text
