"""The home page in a real browser, on a desktop and on a 390px phone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from app.db import utcnow
from tests.factories import make_web_session, new_api_user
from tests.progress.conftest import PACK, add_card, add_review, live_numbers

pytestmark = pytest.mark.browser


def _overflow(page: Any) -> int:
    """Pixels the page is wider than the viewport (a mobile browser widens innerWidth)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def _user_with_due_card_and_open_session(page: Any, db: Session, base: str) -> int:
    """Log the browser in as a user with one due card, two days of grades and an open session."""
    who = new_api_user(db)
    page.context.add_cookies(
        [{"name": "mogi_session", "value": make_web_session(db, who.user), "url": base}]
    )
    now = utcnow()
    first, second = live_numbers(db, 2)
    card = add_card(db, who, first, due=now - timedelta(hours=2), last_review=now)
    add_review(db, who, first, now - timedelta(days=1), card=card)
    add_review(db, who, first, now, card=card)
    body = {"scope": {"pack": PACK, "kind": "all"}, "mode": "review"}
    started = httpx.post(f"{base}/api/v1/sessions", json=body, headers=who.headers)
    assert started.status_code == 201, started.text
    return int(started.json()["id"])


@pytest.mark.parametrize("device", ["page", "phone_page"])
def test_a_user_sees_what_is_due_and_continues_their_session(
    live_server: str, db: Session, seeded: str, device: str, request: pytest.FixtureRequest
) -> None:
    page = request.getfixturevalue(device)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    session_id = _user_with_due_card_and_open_session(page, db, live_server)
    page.goto(live_server + "/")
    assert page.locator("h1").first.inner_text() == "오늘의 연습"
    assert page.locator('[data-stat="due-total"]').inner_text() == "1"
    assert page.locator('[data-stat="streak"]').inner_text() == "2"
    pack = page.locator('.due-pack[data-pack="deep-learning"]')
    assert pack.locator('[data-stat="due"]').inner_text() == "1"
    assert pack.locator('[data-start="due"]').is_visible()
    resume = page.locator("#resume-session")
    assert resume.is_visible()
    box = resume.bounding_box()
    assert box is not None and box["height"] >= 24  # big enough to tap on a phone
    assert _overflow(page) <= 0
    resume.click()
    page.wait_for_url(f"**/practice/sessions/{session_id}")
    assert not errors


@pytest.mark.parametrize("device", ["page", "phone_page"])
def test_a_visitor_sees_what_mogi_is(
    live_server: str, seeded: str, device: str, request: pytest.FixtureRequest
) -> None:
    page = request.getfixturevalue(device)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(live_server + "/")
    assert page.locator("h1").first.inner_text().startswith("모의 면접으로")
    for name in ("가입하고 연습 시작", "질문 목록", "데모"):
        assert page.locator(".intro-actions a", has_text=name).is_visible(), name
    assert page.locator(".intro-features li").count() == 3
    assert _overflow(page) <= 0
    # The stylesheet came by its hashed name, and it styles the page.
    sheet = page.evaluate("getComputedStyle(document.querySelector('.intro-actions')).display")
    assert sheet == "flex"
    assert not failed
    page.locator(".intro-actions a", has_text="가입하고 연습 시작").click()
    page.wait_for_url("**/register")
