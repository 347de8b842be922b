"""A real browser on the settings page, on a desktop and on a 390px phone: a bad value is
answered next to its field in Korean with what was typed kept, and a valid save shows on the
practice page (the new-card limit)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.factories import browser_log_in

pytestmark = pytest.mark.browser


def _change_the_new_card_limit(page, base: str, pack: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/practice")
    page.click("#settings-link")
    page.wait_for_url("**/practice/settings")
    page.fill("#new_per_day", "열 개")
    page.fill("#learning_steps", "2m 20m")
    page.click(".settings-form button[type=submit]")

    error = page.locator("#new_per_day-error")
    error.wait_for()
    assert error.inner_text() == "0에서 9999 사이의 정수를 입력하세요."
    assert page.locator("#new_per_day").input_value() == "열 개"  # nothing typed is lost
    assert page.locator("#learning_steps").input_value() == "2m 20m"
    assert page.locator("#new_per_day").get_attribute("aria-invalid") == "true"
    field = page.locator("#new_per_day").bounding_box()
    below = error.bounding_box()
    assert field and below and 0 <= below["y"] - (field["y"] + field["height"]) < 40  # next to it

    page.fill("#new_per_day", "3")
    page.click(".settings-form button[type=submit]")
    page.wait_for_url("**/practice/settings?saved=1")
    assert page.locator(".flash.ok").inner_text() == "설정을 저장했습니다."
    assert page.locator("#learning_steps").input_value() == "2m 20m"

    page.goto(f"{base}/practice")
    learn = page.locator(f'form:has(input[name="pack"][value="{pack}"][type="hidden"])').nth(1)
    assert learn.locator("button").inner_text().strip() == "새 질문 배우기 (3)"


def test_settings_on_a_desktop(live_server: str, page, db: Session, seeded: str) -> None:  # noqa: ANN001
    browser_log_in(page, db, live_server)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _change_the_new_card_limit(page, live_server, seeded)
    assert errors == []


def test_settings_on_a_phone(live_server: str, phone_page, db: Session, seeded: str) -> None:  # noqa: ANN001
    page = phone_page
    browser_log_in(page, db, live_server)
    page.goto(f"{live_server}/practice/settings")
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(overflow) <= 1
    for name in ("desired_retention", "new_per_day", "learning_steps", "time_zone"):
        box = page.locator(f"#{name}").bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 30
    _change_the_new_card_limit(page, live_server, seeded)
    page.goto(f"{live_server}/practice/settings")
    page.fill("#time_zone", "Seoul")
    page.locator(".settings-form button[type=submit]").tap()
    page.locator("#time_zone-error").wait_for()
    assert "알 수 없는 시간대입니다" in page.locator("#time_zone-error").inner_text()
    assert page.evaluate(overflow) <= 1
