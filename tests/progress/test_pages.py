"""The progress pages, rendered in-process."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.db import utcnow
from app.static_files import static_url
from tests.factories import make_web_session
from tests.progress.conftest import PACK, ApiUser, add_card, add_review, live_numbers


def _page_data(html: str) -> dict[str, Any]:
    """The JSON progress.js draws from."""
    found = re.search(r'id="progress-data">(.*?)</script>', html, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found[1])
    return data


def _log_in(client: Any, db: Session, who: ApiUser) -> None:
    client.cookies.set("mogi_session", make_web_session(db, who.user))


def _with_history(db: Session, who: ApiUser) -> list[str]:
    now = utcnow()
    numbers = live_numbers(db, 3)
    for i, number in enumerate(numbers):
        card = add_card(
            db,
            who,
            number,
            last_review=now - timedelta(days=i + 1),
            due=now - timedelta(hours=1) if i == 0 else now + timedelta(days=3),
            lapses=i,
        )
        add_review(
            db,
            who,
            number,
            now - timedelta(days=i + 1),
            3,
            card=card,
            answer_text="<script>alert(1)</script>",
        )
    return numbers


def test_progress_page_needs_login(client: Any) -> None:
    response = client.get("/progress", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fprogress"


def test_new_user_sees_the_empty_state(client: Any, db: Session, alice: ApiUser) -> None:
    _log_in(client, db, alice)
    page = client.get("/progress")
    assert page.status_code == 200
    assert "아직 복습 기록이 없습니다" in page.text
    assert 'href="/practice"' in page.text
    assert 'href="/api/v1/export"' in page.text and 'href="/api/v1/export/reviews.csv"' in page.text
    assert 'action="/progress/import"' in page.text and 'enctype="multipart/form-data"' in page.text
    from tests.factories import csrf_for

    csrf = csrf_for(client)
    assert client.cookies.get("mogi_csrf") and f'name="csrf_token" value="{csrf}"' in page.text
    assert 'id="heatmap"' not in page.text


def test_progress_page_shows_numbers_and_charts(client: Any, db: Session, alice: ApiUser) -> None:
    numbers = _with_history(db, alice)
    _log_in(client, db, alice)
    page = client.get("/progress")
    assert page.status_code == 200
    html = page.text
    assert re.search(r'data-stat="due-now">1<', html)
    assert re.search(r'data-stat="due-week">3<', html)
    assert re.search(r'data-stat="reviews">3<', html)
    for chart in ("heatmap", "reviews-chart", "retention-chart"):
        assert f'id="{chart}"' in html
    assert 'role="img" aria-label="' in html  # charts carry a text alternative
    assert static_url("vendor/uplot/uPlot.iife.min.js") in html and "https://" not in html
    data = _page_data(html)
    assert len(data["days"]) == 365 and sum(n for _, n in data["days"]) == 3
    weakest = numbers[2]  # reviewed longest ago, most lapses
    assert f'href="/questions/{PACK}/{weakest}"' in html
    assert f'href="/progress/questions/{PACK}/{weakest}"' in html
    assert f"/practice?pack={PACK}&amp;kind=chain&amp;question={weakest}" in html
    assert "팩별 숙련도" in html


def test_progress_page_in_english(client: Any, db: Session, alice: ApiUser) -> None:
    _log_in(client, db, alice)
    page = client.get("/progress?lang=en")
    assert "No reviews yet" in page.text and "Your data" in page.text
    _with_history(db, alice)
    page = client.get("/progress?lang=en")
    assert "Mastery by pack" in page.text and "Review calendar" in page.text


def test_progress_page_uses_the_browser_day(client: Any, db: Session, alice: ApiUser) -> None:
    _log_in(client, db, alice)
    client.cookies.set("mogi_tz", "540")
    page = client.get("/progress")
    data = _page_data(page.text)
    assert data["tz"] == 540
    client.cookies.set("mogi_tz", "not-a-number")
    page = client.get("/progress")
    assert _page_data(page.text)["tz"] == 0


def test_question_history_page(client: Any, db: Session, alice: ApiUser) -> None:
    numbers = _with_history(db, alice)
    _log_in(client, db, alice)
    page = client.get(f"/progress/questions/{PACK}/{numbers[0]}")
    assert page.status_code == 200
    assert 'id="history-table"' in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text  # typed answers are escaped
    assert "<script>alert(1)</script>" not in page.text
    assert f'href="/questions/{PACK}/{numbers[0]}"' in page.text
    untouched = live_numbers(db, 5)[4]
    empty = client.get(f"/progress/questions/{PACK}/{untouched}")
    assert empty.status_code == 200 and 'id="history-empty"' in empty.text


def test_question_history_page_unknown_question(client: Any, db: Session, alice: ApiUser) -> None:
    _log_in(client, db, alice)
    assert client.get(f"/progress/questions/{PACK}/99999").status_code == 404


def test_question_page_links_to_its_history(client: Any, db: Session, alice: ApiUser) -> None:
    assert "/progress/questions/" not in client.get(f"/questions/{PACK}/1").text
    _log_in(client, db, alice)
    page = client.get(f"/questions/{PACK}/1")
    assert page.status_code == 200
    assert f'href="/progress/questions/{PACK}/1"' in page.text
