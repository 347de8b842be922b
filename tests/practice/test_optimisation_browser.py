"""A real browser on a phone: start an optimisation from its page, watch it wait for a worker
(the page reloads itself), cancel it, with nothing wider than the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from tests.factories import browser_log_in
from tests.practice.review_history import question_ids, simulate, store

pytestmark = pytest.mark.browser


def _overflow(page) -> int:  # noqa: ANN001
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def test_start_follow_and_cancel_on_a_phone(
    live_server: str,
    phone_page,  # noqa: ANN001
    db: Session,
    seeded: str,
) -> None:
    page = phone_page
    user = browser_log_in(page, db, live_server)
    page.goto(f"{live_server}/practice")
    page.click("a[href='/practice/optimise']")
    page.wait_for_url("**/practice/optimise")
    assert page.locator(".optimise-start button[type=submit]").is_disabled()
    assert _overflow(page) <= 1

    store(db, user.id, simulate(question_ids(db, 60), 150, seed=11))
    page.reload()
    start = page.locator(".optimise-start button[type=submit]")
    assert start.is_enabled()
    start.tap()
    page.wait_for_url("**/practice/optimise/*")
    # The page reloads itself every few seconds while the job waits: every check below waits
    # for what it looks for rather than reading the page once.
    status = page.locator("#optimisation-status")
    expect(status).to_have_text("대기 중")
    # No worker runs in this test: the page says so, and keeps looking.
    expect(page.get_by_text("mogi worker")).to_be_visible()
    expect(page.locator('meta[http-equiv="refresh"]')).to_have_count(1)
    assert _overflow(page) <= 1
    for _ in range(3):  # a reload that lands between finding the button and the tap eats it
        page.get_by_role("button", name="취소하고 버리기").tap()
        try:
            expect(status).to_have_text("취소됨", timeout=5_000)
            break
        except AssertionError:
            continue
    expect(status).to_have_text("취소됨")
    expect(page.locator('meta[http-equiv="refresh"]')).to_have_count(0)
