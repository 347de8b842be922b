"""Accounts in a real browser: sign up, log out, log in, make a token, log out."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy.orm import Session

from tests.factories import DEFAULT_PASSWORD, make_user, unique_name

PASSWORD = "browser-typed-passphrase"


@pytest.mark.browser
def test_register_logout_login_token_logout(live_server: str, page) -> None:  # noqa: ANN001
    name = unique_name("pw")
    page.goto(f"{live_server}/register")
    page.fill("#username", name)
    page.fill("#password", "short")
    page.click("form.auth-form button[type=submit]")
    assert "10자 이상" in page.locator("#form-error").inner_text()
    assert page.input_value("#username") == name  # the typed name is kept

    page.fill("#password", PASSWORD)
    page.check("[data-show-password=password]")
    assert page.get_attribute("#password", "type") == "text"
    page.click("form.auth-form button[type=submit]")
    page.goto(f"{live_server}/account")
    assert name in page.locator("main").inner_text()

    page.click(".nav-account button[type=submit]")  # log out
    page.goto(f"{live_server}/account")
    assert "/login?next=%2Faccount" in page.url

    page.fill("#username", name)
    page.fill("#password", "not-my-password")
    page.click("form.auth-form button[type=submit]")
    assert "올바르지 않습니다" in page.locator("#form-error").inner_text()
    page.fill("#password", PASSWORD)
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url(f"{live_server}/account")
    session = next(c for c in page.context.cookies() if c["name"] == "mogi_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find("mogi_session") == -1  # scripts cannot read it

    page.fill("#token-name", "browser test")
    page.click("form.token-form button[type=submit]")
    secret = page.locator("#new-token-secret").inner_text().strip()
    assert re.fullmatch(r"mogi_[A-Za-z0-9_-]{40,}", secret)
    assert page.locator("tr[data-token-id]").filter(has_text="browser test").count() == 1
    me = httpx.get(f"{live_server}/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["username"] == name

    page.click(".nav-account button[type=submit]")
    page.goto(f"{live_server}/account")
    assert "/login" in page.url
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert "mogi_session" not in cookies


@pytest.mark.browser
def test_back_after_logout_shows_nothing_private(live_server: str, page, db: Session) -> None:  # noqa: ANN001
    user = make_user(db)
    page.goto(f"{live_server}/login?next=/progress")
    page.fill("#username", user.username)
    page.fill("#password", DEFAULT_PASSWORD)
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url(f"{live_server}/progress")  # back where the login was asked for
    assert user.username in page.locator("header").inner_text()

    page.click(".nav-account button[type=submit]")  # log out
    page.wait_for_url(f"{live_server}/?done=logout")
    assert page.locator(".flash").inner_text() == "로그아웃했습니다."
    page.go_back()  # the browser may not show its copy: the page was never stored
    page.wait_for_load_state()
    assert "/login" in page.url
    assert user.username not in page.content()
