"""The progress page in a real browser: numbers, the calendar and the charts are drawn."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.db import utcnow
from tests.factories import make_web_session, new_api_user
from tests.progress.conftest import PACK, add_card, add_review, live_numbers

pytestmark = pytest.mark.browser


def _user_with_history(db: Session) -> tuple[Any, str, list[str]]:
    who = new_api_user(db)
    now = utcnow()
    numbers = live_numbers(db, 4)
    for i, number in enumerate(numbers):
        card = add_card(
            db,
            who,
            number,
            last_review=now - timedelta(days=i),
            due=now + timedelta(days=i - 1, hours=1),
        )
        for days_ago in (40, 20, i):
            add_review(db, who, number, now - timedelta(days=days_ago, seconds=30), 3, card=card)
    return who, make_web_session(db, who.user), numbers


def _open(page: Any, base: str, cookie: str, path: str = "/progress") -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.context.add_cookies([{"name": "mogi_session", "value": cookie, "url": base}])
    page.goto(base + path)
    return errors


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not displayed"
    return box


def _check_drawn(page: Any) -> None:
    page.wait_for_selector("#heatmap svg rect.hm-cell")
    assert page.locator("#heatmap rect.hm-cell").count() == 365
    assert page.locator("#heatmap rect.hm-cell:not(.hm-0)").count() >= 3
    heatmap = _box(page, "#heatmap svg")
    assert heatmap["width"] > 100 and heatmap["height"] > 50
    for chart in ("#reviews-chart canvas", "#retention-chart canvas"):
        page.wait_for_selector(chart)
        box = _box(page, chart)
        assert box["width"] > 100 and box["height"] > 50, (chart, box)
    assert page.locator("#heatmap").get_attribute("aria-label")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_progress_page_draws_numbers_calendar_and_charts(
    live_server: str, db: Session, seeded: str, request: pytest.FixtureRequest, viewport: str
) -> None:
    page = request.getfixturevalue("page" if viewport == "desktop" else "phone_page")
    _, cookie, numbers = _user_with_history(db)
    errors = _open(page, live_server, cookie)
    assert page.locator("h1").inner_text() == "진행 상황"
    assert page.locator('[data-stat="reviews"]').inner_text() == "12"
    assert page.locator('[data-stat="due-now"]').inner_text() == "1"
    assert "4일" in page.locator('[data-stat="streak"]').inner_text()  # today and 3 days before
    _check_drawn(page)
    weakest = page.locator(".weak-list a.weak-title").first
    assert weakest.get_attribute("href", timeout=1000).startswith(f"/questions/{PACK}/")
    # Nothing is wider than a phone's screen: wide parts scroll inside their own box. (A mobile
    # browser widens window.innerWidth with wide content; clientWidth stays the device width.)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1
    assert errors == []


def test_empty_state_for_a_new_user(live_server: str, db: Session, seeded: str, page: Any) -> None:
    who = new_api_user(db)
    _open(page, live_server, make_web_session(db, who.user))
    assert page.locator("#progress-empty").is_visible()
    assert "아직 복습 기록이 없습니다" in page.locator("#progress-empty").inner_text()
    assert page.locator("#progress-empty a[href='/practice']").is_visible()


def test_days_follow_the_browser_time_zone(
    live_server: str, db: Session, seeded: str, browser: Any
) -> None:
    _, cookie, _ = _user_with_history(db)
    context = browser.new_context(
        timezone_id="Asia/Seoul", viewport={"width": 1000, "height": 800}, bypass_csp=True
    )
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        _open(page, live_server, cookie)
        page.wait_for_function(
            "JSON.parse(document.getElementById('progress-data').textContent).tz === 540"
        )
        _check_drawn(page)
    finally:
        context.close()


def test_question_history_and_import_in_the_browser(
    live_server: str, db: Session, seeded: str, page: Any
) -> None:
    who, cookie, numbers = _user_with_history(db)
    errors = _open(page, live_server, cookie, f"/progress/questions/{PACK}/{numbers[1]}")
    assert page.locator("#history-table tbody tr").count() == 3
    page.wait_for_selector("#history-chart canvas")
    assert _box(page, "#history-chart canvas")["width"] > 100

    other = new_api_user(db)
    exported = page.request.get(live_server + "/api/v1/export")
    assert exported.ok
    document = exported.json()
    assert len(document["reviews"]) == 12
    page.context.clear_cookies()
    _open(page, live_server, make_web_session(db, other.user))
    page.set_input_files(
        "#import-file",
        files=[
            {
                "name": "export.json",
                "mimeType": "application/json",
                "buffer": json.dumps(document).encode(),
            }
        ],
    )
    page.locator(".import-form button[type=submit]").click()
    page.wait_for_selector("#import-ok")
    assert page.locator("tr[data-kind=reviews] td").first.inner_text() == "12"
    page.goto(live_server + "/progress")
    assert page.locator('[data-stat="reviews"]').inner_text() == "12"
    assert errors == []


def test_calendar_days_count_reviews_in_the_pages_language(
    page: Any, live_server: str, db: Session, seeded: str
) -> None:
    _, cookie, _ = _user_with_history(db)
    titles = {}
    for lang in ("en", "ko"):
        _open(page, live_server, cookie, f"/progress?lang={lang}")
        page.wait_for_selector("#heatmap svg rect.hm-cell")
        titles[lang] = page.evaluate(
            "[...document.querySelectorAll('#heatmap rect.hm-cell:not(.hm-0) title')]"
            ".map((t) => t.textContent)"
        )
    # Each of the last four days has one review, 20 and 40 days ago four each.
    assert any(t.endswith(": 1 review") for t in titles["en"]), titles["en"]
    assert any(t.endswith(": 4 reviews") for t in titles["en"]), titles["en"]
    assert not any("1 reviews" in t or "{n" in t for t in titles["en"])
    assert any(t.endswith(": 1회") for t in titles["ko"]) and any(
        t.endswith(": 4회") for t in titles["ko"]
    )
