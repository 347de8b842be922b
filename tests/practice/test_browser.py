"""A real browser: start a session, type, reveal with Space, grade with 3, undo with U, finish."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.content.models import Pack
from app.practice.models import QuizSession, ReviewLog
from tests.factories import make_user, make_web_session, unique_name

pytestmark = pytest.mark.browser


def _start_chain(page, base: str, pack: str, number: str, mode: str = "review") -> None:  # noqa: ANN001
    """Start a chain session from the practice page's form, as a person would."""
    page.goto(f"{base}/practice")
    # Other tests of the run may have added packs that sort first: choose ours.
    page.select_option("#pack", pack)
    page.check('input[name="kind"][value="chain"]')
    page.check(f'.start-form input[type=radio][name="mode"][value="{mode}"]')
    page.fill("#question", number)
    page.click(".start-form button[type=submit]")
    page.wait_for_url("**/practice/sessions/*")


def _log_in(page, db: Session, base: str):  # noqa: ANN001, ANN202
    user = make_user(db)
    page.context.add_cookies(
        [{"name": "mogi_session", "value": make_web_session(db, user), "url": base}]
    )
    return user


def _overflow(page) -> int:  # noqa: ANN001
    """How many pixels the page is wider than the phone's layout viewport.

    A mobile browser widens window.innerWidth along with wide content, so compare with
    clientWidth, which stays the device width.
    """
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def test_keyboard_session(live_server: str, page, db: Session, seeded: str) -> None:  # noqa: ANN001
    user = _log_in(page, db, live_server)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _start_chain(page, live_server, seeded, "13")
    count = page.locator("#progress-count")
    assert count.inner_text() == "1 / 4"

    page.fill("#answer-text", "손실을 줄이는 방향으로 기울기를 따라 내려간다")
    page.keyboard.press("Space")  # typing: the key goes into the textarea, nothing happens
    assert page.locator("#grade-form").count() == 0
    page.keyboard.press("Escape")
    page.keyboard.press("Space")
    page.locator("#grade-form").wait_for()
    assert "기울기를 따라 내려간다" in page.locator(".typed").inner_text()
    assert page.locator(".grade-interval").first.inner_text().strip()

    page.keyboard.press("3")  # Good on a new card: its next step comes back in this session
    page.wait_for_function(
        "document.querySelector('#progress-count').textContent.trim() === '2 / 5'"
    )
    assert page.locator("#grade-form").count() == 0
    page.keyboard.press("u")
    page.wait_for_function(
        "document.querySelector('#progress-count').textContent.trim() === '1 / 4'"
    )
    page.locator("#grade-form").wait_for()  # back on the revealed card, ready to grade again
    page.keyboard.press("3")
    page.wait_for_function(
        "document.querySelector('#progress-count').textContent.trim() === '2 / 5'"
    )

    for _ in range(4):  # three follow-ups, then #13 again (learn ahead: nothing else is left)
        page.keyboard.press("Space")
        page.locator("#grade-form").wait_for()
        page.keyboard.press("4")
        page.locator("#grade-form").wait_for(state="detached")
        if page.locator(".badge.returning").count():
            assert page.locator(".qmeta a").inner_text() == "#13"
    page.locator(".session-done").wait_for()
    assert page.locator('.session-done a[href="/progress"]').is_visible()
    assert errors == []
    db.expire_all()
    logs = db.scalar(
        select(func.count()).select_from(ReviewLog).where(ReviewLog.user_id == user.id)
    )
    assert logs == 5


def test_session_fits_a_phone(live_server: str, phone_page, db: Session, seeded: str) -> None:  # noqa: ANN001
    page = phone_page
    _log_in(page, db, live_server)
    _start_chain(page, live_server, seeded, "16")
    page.click("#reveal-button")
    page.locator("#grade-form").wait_for()
    buttons = page.locator(".grade")
    assert buttons.count() == 4 and all(buttons.nth(i).is_visible() for i in range(4))
    # #16's answer is long: the page runs well past the screen, the grades stay in sight.
    assert page.evaluate("document.documentElement.scrollHeight") > 1.5 * 844
    for at in ("top", "middle"):
        if at == "middle":
            page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight / 2)")
        for i in range(4):
            box = buttons.nth(i).bounding_box()  # relative to the viewport
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844, (at, i)
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 44
    head = page.locator(".practice-head").bounding_box()
    assert head is not None and head["y"] >= -1 and head["y"] < 60  # the count stays on top
    assert _overflow(page) <= 1
    buttons.nth(2).tap()  # Good, by thumb
    page.wait_for_function(
        "document.querySelector('#progress-count').textContent.trim().startsWith('2 /')"
    )


def test_space_and_enter_grade_good_after_the_reveal(
    live_server: str,
    page,  # noqa: ANN001
    db: Session,
    seeded: str,
) -> None:
    user = _log_in(page, db, live_server)
    _start_chain(page, live_server, seeded, "13")
    for key, count in (("Space", "2 / 5"), ("Enter", "3 / 6")):
        page.keyboard.press("Space")  # reveal
        page.locator("#grade-form").wait_for()
        page.keyboard.press(key)
        page.wait_for_function(
            f"document.querySelector('#progress-count').textContent.trim() === '{count}'"
        )
    db.expire_all()
    ratings = db.scalars(select(ReviewLog.rating).where(ReviewLog.user_id == user.id)).all()
    assert list(ratings) == [3, 3]


@pytest.fixture
def long_title_pack(db: Session, seeded: str) -> Iterator[Pack]:
    """A pack whose title has no place to break; removed again so no other test sees it."""
    pack = Pack(slug=unique_name("wide"), title=uuid.uuid4().hex * 2, content_hash="0" * 64)
    db.add(pack)
    db.commit()
    yield pack
    db.delete(pack)
    db.commit()


def test_a_long_pack_title_wraps_on_a_phone(
    live_server: str,
    phone_page,  # noqa: ANN001
    db: Session,
    long_title_pack: Pack,
) -> None:
    page = phone_page
    _log_in(page, db, live_server)
    page.goto(f"{live_server}/practice")
    assert page.locator(".pack-card h2", has_text=long_title_pack.title).is_visible()
    assert _overflow(page) <= 1


def test_a_mock_time_out_ends_in_a_debrief_with_what_was_typed(
    live_server: str,
    phone_page,  # noqa: ANN001
    db: Session,
    seeded: str,
) -> None:
    page = phone_page
    _log_in(page, db, live_server)
    _start_chain(page, live_server, seeded, "12", mode="mock")
    session_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    # Four seconds left on the clock (the form's shortest is half a minute):
    soon = datetime.now(UTC) + timedelta(seconds=4)
    db.execute(update(QuizSession).where(QuizSession.id == session_id).values(deadline_at=soon))
    db.commit()
    page.reload()
    typed = "ReLU는 기울기 소실이 적다"
    page.fill("#answer-text", typed)
    page.locator(".debrief").wait_for(timeout=15_000)  # the clock ran out mid-answer
    first = page.locator(".debrief-item").first
    assert typed in first.locator(".typed").inner_text()
    assert page.locator(".debrief-item").count() == 5
    first.locator(".debrief-grade-form .grade-3").click()
    page.wait_for_load_state()
    assert (
        page.locator(".debrief-item").first.locator(".debrief-grade strong").inner_text() == "좋음"
    )
