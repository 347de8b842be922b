"""Review settings: the API (bounds, time zones, steps, problem details, users apart), the page
(inline errors in the page's language, nothing typed lost), and reading steps as people write
them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.practice.models import PracticeSettings
from app.practice.settings import (
    DEFAULTS,
    ReviewSettings,
    SettingsInvalid,
    day_start,
    format_steps,
    parse_steps,
    settings_for,
)
from tests.factories import csrf_for, make_user, make_web_session
from tests.practice.conftest import ApiUser

URL = "/api/v1/settings"


def _put(client: Any, who: ApiUser, **body: Any) -> Any:
    return client.put(URL, json=body, headers=who.headers)


def test_defaults_until_changed(client: Any, alice: ApiUser) -> None:
    r = client.get(URL, headers=alice.headers)
    assert r.status_code == 200
    assert r.json() == {
        "desired_retention": 0.9,
        "new_per_day": 20,
        "reviews_per_day": 200,
        "learning_steps": [60, 600],
        "learning_steps_text": "1m 10m",
        "relearning_steps": [600],
        "relearning_steps_text": "10m",
        "time_zone": "Asia/Seoul",
        "day_starts_at_hour": 4,
        "mock_schedules": True,
        "fsrs_parameters": None,
    }


def test_the_table_defaults_are_the_settings_defaults(db: Session, alice: ApiUser) -> None:
    """A row made with only a user id holds the same values as no row at all."""
    db.add(PracticeSettings(user_id=alice.user.id))
    db.commit()
    assert settings_for(db, alice.user.id) == DEFAULTS


def test_a_change_keeps_the_other_settings(client: Any, db: Session, alice: ApiUser) -> None:
    r = _put(client, alice, desired_retention=0.85, learning_steps="2m 15m 1h", time_zone="UTC")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["desired_retention"] == 0.85 and body["time_zone"] == "UTC"
    assert body["learning_steps"] == [120, 900, 3600] and body["learning_steps_text"] == "2m 15m 1h"
    assert body["new_per_day"] == 20 and body["relearning_steps"] == [600]
    r = _put(client, alice, relearning_steps=[300, 1800], new_per_day=0, mock_schedules=False)
    body = r.json()
    assert body["relearning_steps_text"] == "5m 30m" and body["new_per_day"] == 0
    assert body["desired_retention"] == 0.85 and body["learning_steps"] == [120, 900, 3600]
    assert client.get(URL, headers=alice.headers).json() == body
    stored = db.scalar(select(PracticeSettings).where(PracticeSettings.user_id == alice.user.id))
    assert stored is not None and stored.mock_schedules is False
    assert _put(client, alice, learning_steps="").json()["learning_steps"] == []


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"desired_retention": 0.5}, "desired_retention", "greater than or equal to 0.7"),
        ({"desired_retention": 1.0}, "desired_retention", "less than or equal to 0.99"),
        ({"desired_retention": "high"}, "desired_retention", "valid number"),
        ({"new_per_day": -1}, "new_per_day", "greater than or equal to 0"),
        ({"reviews_per_day": 10_000}, "reviews_per_day", "less than or equal to 9999"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Unknown time zone 'Mars/Olympus'"),
        ({"time_zone": "../../etc/passwd"}, "time_zone", "IANA name such as Asia/Seoul"),
        ({"learning_steps": "1m 10x"}, "learning_steps", "Cannot read the step '10x'"),
        ({"learning_steps": [60, 0]}, "learning_steps", "from 1 second to 7d"),
        ({"relearning_steps": "30d"}, "relearning_steps", "from 1 second to 7d: '30d'"),
        ({"relearning_steps": " ".join(["1m"] * 11)}, "relearning_steps", "At most 10 steps"),
        ({"fsrs_parameters": [0.1] * 21}, "fsrs_parameters", "Extra inputs are not permitted"),
    ],
)
def test_bad_values_are_refused_with_a_clear_problem(
    client: Any, alice: ApiUser, body: dict[str, Any], field: str, words: str
) -> None:
    r = client.put(URL, json=body, headers=alice.headers)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert field in problem["detail"] and words in problem["detail"], problem["detail"]
    assert client.get(URL, headers=alice.headers).json()["new_per_day"] == 20  # nothing stored


def test_users_never_see_or_change_each_others_settings(
    client: Any, alice: ApiUser, bob: ApiUser
) -> None:
    assert _put(client, alice, new_per_day=3, time_zone="Europe/Berlin").status_code == 200
    theirs = client.get(URL, headers=bob.headers).json()
    assert theirs["new_per_day"] == 20 and theirs["time_zone"] == "Asia/Seoul"
    assert _put(client, bob, new_per_day=50).status_code == 200
    mine = client.get(URL, headers=alice.headers).json()
    assert mine["new_per_day"] == 3 and mine["time_zone"] == "Europe/Berlin"
    assert client.get(URL).status_code == 401


# --- the page ---


def _browser(client: Any, db: Session) -> Any:
    user = make_user(db)
    client.cookies.set("mogi_session", make_web_session(db, user))
    client.cookies.set("mogi_csrf", "settings-page-csrf")
    return user


def _form(**changes: str) -> dict[str, str]:
    values = {
        "desired_retention": "90",
        "new_per_day": "20",
        "reviews_per_day": "200",
        "learning_steps": "1m 10m",
        "relearning_steps": "10m",
        "time_zone": "Asia/Seoul",
        "mock_schedules": "1",
    }
    return {**values, **changes}


def test_the_page_shows_the_settings_as_people_write_them(
    client: Any, db: Session, seeded: str
) -> None:
    _browser(client, db)
    page = client.get("/practice/settings")
    assert page.status_code == 200
    assert 'name="learning_steps" value="1m 10m"' in page.text
    assert 'name="desired_retention" value="90"' in page.text
    assert 'name="mock_schedules" value="1" checked' in page.text
    assert 'href="/practice/settings"' in client.get("/practice").text


def test_bad_values_are_shown_next_to_their_fields_with_everything_kept(
    client: Any, db: Session, seeded: str
) -> None:
    user = _browser(client, db)
    typed = _form(desired_retention="101", learning_steps="1m 7분 huh", time_zone="Seoul")
    r = client.post("/practice/settings", data={"csrf_token": csrf_for(client), **typed})
    assert r.status_code == 422
    assert "70에서 99 사이의 숫자를 입력하세요." in r.text
    assert "간격을 알아볼 수 없습니다: &#39;huh&#39;" in r.text
    assert "알 수 없는 시간대입니다: &#39;Seoul&#39;" in r.text
    assert 'id="learning_steps-error"' in r.text and 'aria-invalid="true"' in r.text
    for value in ("101", "1m 7분 huh", "Seoul"):
        assert f'value="{value}"' in r.text
    assert 'id="new_per_day-error"' not in r.text
    assert settings_for(db, user.id) == DEFAULTS  # nothing saved while a field is wrong

    client.cookies.set("mogi_lang", "en")
    r = client.post("/practice/settings", data={"csrf_token": csrf_for(client), **typed})
    assert "Enter a number from 70 to 99." in r.text and "Cannot read the step" in r.text


def test_a_valid_form_is_saved(client: Any, db: Session, seeded: str) -> None:
    user = _browser(client, db)
    form = _form(desired_retention="85.5", new_per_day="3", learning_steps="2 분 20분, 1h")
    del form["mock_schedules"]  # an unticked box is not sent
    r = client.post(
        "/practice/settings",
        data={"csrf_token": csrf_for(client), **form},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/practice/settings?saved=1"
    db.expire_all()
    settings = settings_for(db, user.id)
    assert settings.desired_retention == 0.855 and settings.new_per_day == 3
    assert settings.learning_steps == (120, 1200, 3600) and settings.mock_schedules is False
    page = client.get("/practice/settings?saved=1").text
    assert "설정을 저장했습니다." in page and 'value="2m 20m 1h"' in page
    no_token = client.post("/practice/settings", data=form, follow_redirects=False)
    assert no_token.status_code == 403


# --- steps and days ---


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1m 10m", (60, 600)),
        ("10m", (600,)),
        ("1h", (3600,)),
        ("30s, 1d", (30, 86400)),
        ("1 m   10 M", (60, 600)),
        ("5", (300,)),
        ("1.5h", (5400,)),
        ("1분 10분 1시간 2일", (60, 600, 3600, 172800)),
        ("", ()),
    ],
)
def test_steps_are_read_as_people_write_them(text: str, seconds: tuple[int, ...]) -> None:
    assert parse_steps("learning_steps", text) == seconds


def test_steps_are_written_back_the_same_way() -> None:
    assert format_steps((60, 600)) == "1m 10m"
    assert format_steps((30, 5400, 86400)) == "30s 90m 1d"
    with pytest.raises(SettingsInvalid) as bad:
        parse_steps("learning_steps", "1m ten")
    assert bad.value.message("ko") == "간격을 알아볼 수 없습니다: 'ten'. 예: 1m 10m, 1h, 1d"


def test_the_day_starts_at_four_in_the_users_time_zone() -> None:
    seoul = DEFAULTS  # Asia/Seoul, nine hours ahead of UTC
    before_four = datetime(2026, 3, 1, 18, 30, tzinfo=UTC)  # 03:30 on 2 March in Seoul
    after_four = datetime(2026, 3, 1, 19, 30, tzinfo=UTC)  # 04:30
    assert day_start(seoul, before_four) == datetime(2026, 2, 28, 19, 0, tzinfo=UTC)
    assert day_start(seoul, after_four) == datetime(2026, 3, 1, 19, 0, tzinfo=UTC)
    # New York: 04:00 is 09:00 UTC in winter, 08:00 UTC once summer time starts (8 March).
    new_york = ReviewSettings(time_zone="America/New_York")
    assert day_start(new_york, datetime(2026, 3, 2, 12, tzinfo=UTC)).hour == 9
    assert day_start(new_york, datetime(2026, 3, 9, 12, tzinfo=UTC)).hour == 8
