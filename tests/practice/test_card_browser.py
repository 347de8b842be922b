"""A real browser on the card's actions: bury, suspend, skip and flag by key and by thumb, the
note edited on the card's back, and the finished screen naming when the next card is due."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.practice.models import MAX_TEXT_CHARS, Card, CardStatus, Note, ReviewLog
from tests.practice.test_browser import _log_in, _overflow, _start_chain

pytestmark = pytest.mark.browser


def _on(page, number: str, seeded: str) -> None:  # noqa: ANN001
    """Wait until the card shown is seeded/number."""
    page.locator(f'#practice-card[data-question="{seeded}/{number}"]').wait_for()


def test_keys_bury_suspend_skip_and_flag(live_server: str, page, db: Session, seeded: str) -> None:  # noqa: ANN001
    user = _log_in(page, db, live_server)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _start_chain(page, live_server, seeded, "12")
    _on(page, "12", seeded)
    page.keyboard.press("-")  # bury, as in Anki
    _on(page, "12-1", seeded)
    page.keyboard.press("@")  # suspend, as in Anki
    _on(page, "12-2", seeded)
    page.keyboard.press("s")  # skip: on without a grade
    _on(page, "12-3", seeded)
    page.keyboard.press("f")
    page.locator('#flag-button[aria-pressed="true"]').wait_for()
    _on(page, "12-3", seeded)  # flagging leaves the card where it is
    assert page.locator("#progress-count").inner_text() == "4 / 5"

    # A note past the limit is refused in place, whole; the card stays revealed.
    page.keyboard.press("Space")
    page.locator("#grade-form").wait_for()
    page.fill("#card-note-body", "x" * (MAX_TEXT_CHARS + 1))
    page.click("#card-note-save")
    page.locator("#card-note-error:not([hidden])").wait_for()
    assert "20,000" in page.locator("#card-note-error").inner_text()
    assert len(page.input_value("#card-note-body")) == MAX_TEXT_CHARS + 1

    # A note typed and not yet saved outlives the card being redrawn by an unflag.
    page.fill("#card-note-body", "다음에 다시: 연쇄 법칙")
    page.keyboard.press("Escape")
    page.keyboard.press("f")
    page.locator('#flag-button[aria-pressed="false"]').wait_for()
    assert page.input_value("#card-note-body") == "다음에 다시: 연쇄 법칙"
    assert not errors, errors

    db.expire_all()
    marks = db.scalars(select(CardStatus).where(CardStatus.user_id == user.id)).all()
    assert sum(1 for m in marks if m.buried_until is not None) == 1
    assert sum(1 for m in marks if m.suspended) == 1
    assert sum(1 for m in marks if m.flagged) == 0  # flagged, then unflagged
    assert db.scalar(select(Note).where(Note.user_id == user.id)) is None
    assert db.scalar(select(ReviewLog).where(ReviewLog.user_id == user.id)) is None


def test_on_a_phone_bury_suspend_note_and_the_finished_screen(
    live_server: str,
    phone_page,  # noqa: ANN001
    db: Session,
    seeded: str,
) -> None:
    page = phone_page
    user = _log_in(page, db, live_server)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _start_chain(page, live_server, seeded, "13")
    _on(page, "13", seeded)
    assert _overflow(page) <= 1
    page.locator("#bury-button").tap()
    _on(page, "13-1", seeded)
    page.locator("#suspend-button").tap()
    _on(page, "13-2", seeded)

    page.locator("#reveal-button").tap()
    page.locator("#card-note-body").wait_for()
    assert _overflow(page) <= 1
    page.fill("#card-note-body", "역전파: 연쇄 법칙으로 기울기")
    page.locator("#card-note-save").tap()
    page.wait_for_function(
        "document.querySelector('#practice-status').textContent.includes('메모를 저장했습니다')"
    )
    assert page.locator("#grade-form").is_visible()  # still on the same card
    for _ in range(2):
        page.locator("#grade-form .grade-4").tap()
        page.wait_for_function(
            "!document.querySelector('#grade-form') || "
            "document.querySelector('#practice-card').dataset.revealed === 'false'"
        )
        if page.locator("#reveal-button").count():
            page.locator("#reveal-button").tap()
            page.locator("#grade-form").wait_for()
    page.locator("#day-outlook").wait_for()
    assert _overflow(page) <= 1

    db.expire_all()
    note = db.scalar(select(Note).where(Note.user_id == user.id))
    assert note is not None and note.body == "역전파: 연쇄 법칙으로 기울기"
    dues = db.scalars(select(Card.due).where(Card.user_id == user.id)).all()
    assert len(dues) == 2  # the buried and the suspended card were never graded
    first = min(d for d in dues if d > datetime.now(UTC)).astimezone(ZoneInfo("Asia/Seoul"))
    outlook = page.locator("#day-outlook").inner_text()
    assert first.strftime("%H:%M") in outlook and "Asia/Seoul" in outlook
    assert "내일 복습할 카드" in outlook
    assert page.locator("#outlook-new").is_visible()
    assert not errors, errors
