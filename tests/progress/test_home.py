"""The home page: a visitor's introduction; a user's due counts, session to continue, streak.
Times on pages in the user's time zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from app.db import utcnow
from app.local_time import format_local, review_day
from app.practice.models import PracticeSettings
from app.practice.settings import user_time_zone
from app.progress.home import home_for
from tests.factories import ApiUser, make_web_session
from tests.practice.conftest import start
from tests.progress.conftest import add_card, add_review, live_numbers

NEW_YORK = "America/New_York"


def _log_in(client: Any, db: Session, who: ApiUser) -> None:
    client.cookies.set("mogi_session", make_web_session(db, who.user))


def _set_zone(db: Session, who: ApiUser, name: str) -> None:
    db.add(PracticeSettings(user_id=who.user.id, time_zone=name))
    db.commit()


def _stat(html: str, name: str) -> str:
    found = re.search(rf'data-stat="{name}">([^<]*)<', html)
    assert found is not None, name
    return found[1]


# --- times in a zone, written for a language ---


def test_a_moment_is_written_in_the_zone_and_language_asked() -> None:
    moment = datetime(2027, 1, 15, 15, 30, tzinfo=UTC)
    assert format_local(moment, NEW_YORK, "ko") == "2027년 1월 15일 10:30 EST"
    assert format_local(moment, NEW_YORK, "en") == "Jan 15, 2027, 10:30 AM EST"
    assert format_local(moment, "Asia/Seoul", "ko") == "2027년 1월 16일 00:30 KST"
    assert format_local(moment, "Asia/Seoul", "en", "time") == "12:30 AM KST"
    assert format_local(moment, "Asia/Seoul", "ko", "date") == "2027년 1월 16일"
    # Summer time: the same wall clock is an hour closer to UTC.
    assert format_local(datetime(2027, 7, 1, 14, 0, tzinfo=UTC), NEW_YORK, "en").endswith(
        "10:00 AM EDT"
    )
    # An unknown or empty zone reads as Seoul, never an error.
    assert format_local(moment, "Mars/Olympus", "ko") == "2027년 1월 16일 00:30 KST"
    assert format_local(moment, "", "ko") == "2027년 1월 16일 00:30 KST"


def test_a_review_day_starts_at_four_in_the_morning() -> None:
    seoul = ZoneInfo("Asia/Seoul")
    late = datetime(2027, 3, 2, 3, 59, tzinfo=seoul)
    early = datetime(2027, 3, 2, 4, 0, tzinfo=seoul)
    assert review_day(late, "Asia/Seoul") == date(2027, 3, 1)
    assert review_day(early, "Asia/Seoul") == date(2027, 3, 2)
    # The same instant is still the evening before in New York.
    assert review_day(early, NEW_YORK) == date(2027, 3, 1)


# --- the home page ---


def test_a_visitor_learns_what_mogi_is_and_where_to_start(client: Any, seeded: str) -> None:
    html = client.get("/").text
    assert "FSRS" in html and "MNIST" in html
    for link in ('href="/register"', 'href="/questions"', 'href="/demos"', 'action="/search"'):
        assert link in html, link
    assert 'id="dash-h"' not in html
    english = client.get("/?lang=en").text
    assert "spaced repetition" in english and "MNIST demos next to the questions" in english
    assert "Sign up and start practising" in english


def test_a_new_user_is_told_to_start_with_new_questions(
    client: Any, db: Session, alice: ApiUser
) -> None:
    _log_in(client, db, alice)
    html = client.get("/").text
    assert 'id="home-empty"' in html and "새 질문 배우기" in html
    assert _stat(html, "due-total") == "0" and _stat(html, "streak") == "0"
    assert int(_stat(html, "new-total")) > 0
    assert 'id="resume-session"' not in html
    assert 'data-start="new"' in html and 'data-start="due"' not in html
    english = client.get("/?lang=en").text
    assert "You have not graded a card yet" in english and "Learn new" in english


def test_a_user_sees_due_cards_the_session_to_continue_and_the_streak(
    client: Any, db: Session, alice: ApiUser
) -> None:
    now = utcnow()
    first, second = live_numbers(db, 2)
    card = add_card(db, alice, first, due=now - timedelta(hours=1), last_review=now)
    add_card(db, alice, second, due=now + timedelta(days=3), last_review=now)
    for days_ago in (0, 1, 2):
        add_review(db, alice, first, now - timedelta(days=days_ago), card=card)
    session = start(client, alice, kind="all")
    _log_in(client, db, alice)
    html = client.get("/").text
    pack = html.split('data-pack="deep-learning"', 1)[1].split("</li>", 1)[0]
    assert _stat(html, "due-total") == "1" and _stat(pack, "due") == "1"
    assert _stat(html, "streak") == "3"
    assert f'id="resume-session" href="/practice/sessions/{session["id"]}"' in html
    assert 'id="home-empty"' not in html
    assert 'data-start="due"' in html


def test_a_finished_session_is_not_offered_to_continue(
    client: Any, db: Session, alice: ApiUser
) -> None:
    session = start(client, alice, kind="chain", mode="cram", question="1")
    sid, h = session["id"], alice.headers
    while (card := client.get(f"/api/v1/sessions/{sid}/next", headers=h)).status_code == 200:
        assert client.post(f"/api/v1/sessions/{sid}/reveal", headers=h).status_code == 200
        body = {"question": card.json()["question"], "rating": 4, "session": sid}
        assert client.post("/api/v1/reviews", json=body, headers=h).status_code == 201
    assert client.get(f"/api/v1/sessions/{sid}", headers=h).json()["remaining"] == 0
    _log_in(client, db, alice)
    html = client.get("/").text
    assert 'id="resume-session"' not in html
    assert _stat(html, "streak") == "1"


def test_the_streak_counts_days_in_the_users_zone(db: Session, alice: ApiUser) -> None:
    _set_zone(db, alice, NEW_YORK)
    zone = ZoneInfo(NEW_YORK)
    now = datetime(2027, 3, 10, 12, 0, tzinfo=zone)
    (number,) = live_numbers(db, 1)
    # 03:30 on the 10th still belongs to the 9th; 23:00 on the 8th is the 8th.
    for moment in (
        datetime(2027, 3, 10, 3, 30, tzinfo=zone),
        datetime(2027, 3, 8, 23, 0, tzinfo=zone),
    ):
        add_review(db, alice, number, moment.astimezone(UTC))
    home = home_for(db, alice.user, now.astimezone(UTC))
    assert home.time_zone == NEW_YORK
    assert home.streak.current == 2 and not home.streak.reviewed_today
    # In Seoul those two grades fall on the 10th and the 9th (Seoul time): today is done.
    seoul_now = datetime(2027, 3, 10, 22, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    db.query(PracticeSettings).filter_by(user_id=alice.user.id).update({"time_zone": "Asia/Seoul"})
    db.commit()
    seoul = home_for(db, alice.user, seoul_now.astimezone(UTC))
    assert seoul.streak.current == 2 and seoul.streak.reviewed_today


def test_a_long_streak_is_counted_past_the_first_window(db: Session, alice: ApiUser) -> None:
    now = utcnow()
    (number,) = live_numbers(db, 1)
    for days_ago in range(50):
        add_review(db, alice, number, now - timedelta(days=days_ago))
    assert home_for(db, alice.user, now).streak.current == 50


def test_without_settings_the_zone_is_seoul(db: Session, alice: ApiUser) -> None:
    assert user_time_zone(db, alice.user.id) == "Asia/Seoul"
    _set_zone(db, alice, "No/Such_Zone")
    assert user_time_zone(db, alice.user.id) == "Asia/Seoul"


# --- times on pages, in the user's zone ---


@pytest.mark.parametrize(
    ("zone", "korean", "english"),
    [
        (NEW_YORK, "2027년 1월 15일 10:30 EST", "Jan 15, 2027, 10:30 AM EST"),
        ("Asia/Seoul", "2027년 1월 16일 00:30 KST", "Jan 16, 2027, 12:30 AM KST"),
        (None, "2027년 1월 16일 00:30 KST", "Jan 16, 2027, 12:30 AM KST"),
    ],
)
def test_the_progress_page_shows_the_due_time_in_the_users_zone(
    client: Any, db: Session, alice: ApiUser, zone: str | None, korean: str, english: str
) -> None:
    if zone:
        _set_zone(db, alice, zone)
    (number,) = live_numbers(db, 1)
    due = datetime(2027, 1, 15, 15, 30, tzinfo=UTC)
    card = add_card(db, alice, number, due=due, last_review=due - timedelta(days=3))
    add_review(db, alice, number, due - timedelta(days=3), card=card)
    _log_in(client, db, alice)
    instant = f'<time datetime="{due.isoformat()}">'
    page = client.get("/progress").text
    assert f"{instant}{korean}</time>" in page
    history = client.get(f"/progress/questions/deep-learning/{number}").text
    assert f"{instant}{korean}</time>" in history
    question = client.get(f"/questions/deep-learning/{number}").text
    assert f"{instant}{korean}</time>" in question
    assert " UTC<" not in page + history + question
    assert f"{instant}{english}</time>" in client.get("/progress?lang=en").text


def test_account_and_session_times_are_in_the_users_zone(
    client: Any, db: Session, alice: ApiUser
) -> None:
    _set_zone(db, alice, NEW_YORK)
    _log_in(client, db, alice)
    session = start(client, alice, kind="all")
    created = datetime.fromisoformat(session["created_at"])
    expected = format_local(created, NEW_YORK, "ko")
    assert re.search(r"\d\d:\d\d E[SD]T$", expected)
    assert expected in client.get("/practice").text
    assert expected in client.get("/").text  # next to the session to continue
    account = client.get("/account").text
    joined = format_local(alice.user.created_at, NEW_YORK, "ko")
    assert joined in account and " UTC<" not in account


def test_demo_run_times_are_in_the_users_zone(client: Any, db: Session, alice: ApiUser) -> None:
    from app.demos import service as demos
    from app.demos.schemas import DemoCreate
    from app.demos.views import progress_text
    from models.catalog import EXPERIMENTS

    _set_zone(db, alice, NEW_YORK)
    slug = next(iter(EXPERIMENTS))
    first = demos.create_job(db, alice.user.id, DemoCreate(experiment=slug, params={}))
    first.created_at = datetime(2027, 1, 15, 15, 30, tzinfo=UTC)
    first.status, first.finished_at = "finished", datetime(2027, 1, 15, 15, 45, tzinfo=UTC)
    db.commit()
    _log_in(client, db, alice)
    runs = client.get("/demos").text
    instant = f'<time datetime="{first.created_at.isoformat()}">'
    assert f"{instant}2027년 1월 15일 10:30 EST</time>" in runs
    again = demos.create_job(db, alice.user.id, DemoCreate(experiment=slug, params={}))
    again.status, again.cached_from_id = "finished", first.id
    db.commit()
    assert "10:45 EST" in progress_text(db, again, "ko", NEW_YORK)
    assert "10:45 AM EST" in progress_text(db, again, "en", NEW_YORK)
