"""The account pages: sign up, log in and out, the account page, CSRF on every form."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.deps import SESSION_COOKIE
from app.auth.models import ApiToken, User, WebSession
from app.auth.security import digest
from app.auth.views import safe_next
from tests.auth.conftest import csrf_token, page_login, page_register, post_form
from tests.factories import DEFAULT_PASSWORD, bearer, make_token, make_user, unique_name

PASSWORD = "long-enough-passphrase"


def _session_cookie(response) -> str:  # noqa: ANN001
    header = next(
        v for v in response.headers.get_list("set-cookie") if v.startswith(SESSION_COOKIE)
    )
    return header


def _logged_in_as(client: TestClient, username: str) -> bool:
    r = client.get("/account")
    return r.status_code == 200 and username in r.text


def test_register_logs_in_with_a_safe_cookie(web: TestClient, db: Session) -> None:
    name = unique_name("page")
    r = page_register(web, name, PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = _session_cookie(r)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Max-Age=2592000" in cookie  # 30 days
    assert "Secure" not in cookie
    assert _logged_in_as(web, name)
    # Only the cookie's hash is on the server.
    value = web.cookies[SESSION_COOKIE]
    row = db.scalar(select(WebSession).where(WebSession.token_hash == digest(value)))
    assert row is not None


def test_cookie_is_secure_when_configured(
    web: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.config import get_settings

    user = make_user(db)
    csrf_token(web)  # over plain http the client would not send back a Secure CSRF cookie
    monkeypatch.setenv("MOGI_SECURE_COOKIES", "true")
    get_settings.cache_clear()
    try:
        r = page_login(web, user.username, DEFAULT_PASSWORD)
    finally:
        monkeypatch.delenv("MOGI_SECURE_COOKIES")
        get_settings.cache_clear()
    assert "Secure" in _session_cookie(r)


def test_register_page_explains_a_taken_name_and_keeps_it(web: TestClient, db: Session) -> None:
    user = make_user(db)
    r = page_register(web, user.username, PASSWORD)
    assert r.status_code == 409
    assert "이미 사용 중인 사용자 이름입니다" in r.text
    assert f'value="{user.username}"' in r.text
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")


def test_register_page_explains_a_weak_password_in_english_too(web: TestClient) -> None:
    name = unique_name("weakpage")
    r = page_register(web, name, "short")
    assert r.status_code == 422
    assert "비밀번호는 10자 이상이어야 합니다." in r.text
    assert f'value="{name}"' in r.text
    web.get("/register?lang=en")
    r = page_register(web, name, "aaaaaaaaaaaaaa")
    assert "Password must not be a single character repeated." in r.text
    r = page_register(web, "x y", PASSWORD)
    assert "Username may contain only letters" in r.text


def test_register_page_escapes_what_was_typed(web: TestClient) -> None:
    r = page_register(web, '<script>alert(1)</script>"', PASSWORD)
    assert r.status_code == 422
    assert "<script>alert(1)" not in r.text
    assert "&lt;script&gt;" in r.text


def test_login_logout_and_wrong_login(web: TestClient, db: Session) -> None:
    user = make_user(db)
    wrong = page_login(web, user.username, "not-the-password")
    assert wrong.status_code == 401
    assert "사용자 이름 또는 비밀번호가 올바르지 않습니다." in wrong.text
    assert f'value="{user.username}"' in wrong.text
    assert "not-the-password" not in wrong.text

    r = page_login(web, user.username, DEFAULT_PASSWORD)
    assert r.status_code == 303
    cookie = web.cookies[SESSION_COOKIE]
    assert _logged_in_as(web, user.username)

    out = post_form(web, "/logout")
    assert out.status_code == 303 and out.headers["location"] == "/?done=logout"
    assert "로그아웃했습니다." in web.get("/?done=logout").text
    assert "You are logged out." in web.get("/?done=logout&lang=en").text
    assert db.scalar(select(WebSession).where(WebSession.token_hash == digest(cookie))) is None
    assert web.get("/account").status_code == 303
    # The old cookie, replayed, opens nothing: the server side is gone.
    web.cookies.set(SESSION_COOKIE, cookie)
    assert web.get("/api/v1/users/me").status_code == 401


def test_login_rotates_the_session(web: TestClient, db: Session) -> None:
    user = make_user(db)
    web.cookies.set(SESSION_COOKIE, "planted-by-someone-else", domain="127.0.0.1")
    page_login(web, user.username, DEFAULT_PASSWORD)
    first = web.cookies[SESSION_COOKIE]
    assert first != "planted-by-someone-else"
    page_login(web, user.username, DEFAULT_PASSWORD)
    second = web.cookies[SESSION_COOKIE]
    assert second != first
    hashes = set(db.scalars(select(WebSession.token_hash).where(WebSession.user_id == user.id)))
    assert hashes == {digest(second)}  # the replaced session ended


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/account", "/account"),
        ("/questions/deep-learning/12-3?lang=en", "/questions/deep-learning/12-3?lang=en"),
        ("//evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/\t/evil.example", "/"),
        ("", "/"),
    ],
)
def test_login_honours_next_only_for_local_paths(
    web: TestClient, db: Session, target: str, expected: str
) -> None:
    user = make_user(db)
    r = page_login(web, user.username, DEFAULT_PASSWORD, next=target)
    assert r.status_code == 303
    assert r.headers["location"] == expected


def test_safe_next() -> None:
    assert safe_next("/practice?scope=due") == "/practice?scope=due"
    for bad in (
        None,
        "",
        "evil.example",
        "//x",
        "/\\x",
        "http://x/",
        "\\\\x",
        "/x\r\nSet-Cookie: a",
    ):
        assert safe_next(bad) is None


def test_page_needing_login_sends_to_login_and_back(web: TestClient, db: Session) -> None:
    r = web.get("/account")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Faccount"
    login = web.get(r.headers["location"])
    assert 'name="next" value="/account"' in login.text
    user = make_user(db)
    done = page_login(web, user.username, DEFAULT_PASSWORD, next="/account")
    assert done.headers["location"] == "/account"


def test_login_page_hides_a_foreign_next(web: TestClient) -> None:
    r = web.get("/login?next=https://evil.example/")
    assert r.status_code == 200
    assert "evil.example" not in r.text


def test_account_page_tokens_create_show_once_list_revoke(web: TestClient, db: Session) -> None:
    user = make_user(db)
    page_login(web, user.username, DEFAULT_PASSWORD)
    r = post_form(web, "/account/tokens", name="my laptop")
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    secret = re.search(r'id="new-token-secret"[^>]*>(mogi_[^<]+)<', r.text)
    assert secret is not None
    token = secret.group(1)
    assert web.get("/api/v1/users/me", headers=bearer(token)).json()["username"] == user.username
    page = web.get("/account")
    assert "my laptop" in page.text and token[:12] in page.text
    assert token not in page.text  # shown once

    token_id = db.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
    r = post_form(web, f"/account/tokens/{token_id}/revoke")
    assert r.status_code == 303 and r.headers["location"] == "/account?done=revoked"
    assert "토큰을 폐기했습니다." in web.get(r.headers["location"]).text
    assert web.get("/api/v1/users/me", headers=bearer(token)).status_code == 401


def test_account_page_refuses_an_empty_token_name(web: TestClient, db: Session) -> None:
    user = make_user(db)
    page_login(web, user.username, DEFAULT_PASSWORD)
    r = post_form(web, "/account/tokens", name="  ")
    assert r.status_code == 422
    assert "토큰 이름을 입력하세요" in r.text
    assert db.scalar(select(func.count(ApiToken.id)).where(ApiToken.user_id == user.id)) == 0


def test_account_page_cannot_revoke_another_users_token(web: TestClient, db: Session) -> None:
    alice, bob = make_user(db), make_user(db)
    alice_token = make_token(db, alice)
    alice_token_id = db.scalar(select(ApiToken.id).where(ApiToken.user_id == alice.id))
    page_login(web, bob.username, DEFAULT_PASSWORD)
    assert post_form(web, f"/account/tokens/{alice_token_id}/revoke").status_code == 404
    assert f'data-token-id="{alice_token_id}"' not in web.get("/account").text
    assert web.get("/api/v1/users/me", headers=bearer(alice_token)).status_code == 200


def test_account_page_change_password(client_from: Callable[..., TestClient], db: Session) -> None:
    user = make_user(db)
    web, other = client_from(), client_from()
    page_login(web, user.username, DEFAULT_PASSWORD)
    page_login(other, user.username, DEFAULT_PASSWORD)

    wrong = post_form(
        web, "/account/password", current_password="nope-nope-nope", new_password="fresh-phrase-42"
    )
    assert wrong.status_code == 403 and "현재 비밀번호가 올바르지 않습니다." in wrong.text
    weak = post_form(
        web, "/account/password", current_password=DEFAULT_PASSWORD, new_password="1234567890"
    )
    assert weak.status_code == 422 and "너무 흔하거나 연속된 비밀번호" in weak.text

    ok = post_form(
        web, "/account/password", current_password=DEFAULT_PASSWORD, new_password="fresh-phrase-42"
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/account?done=password"
    assert "비밀번호를 바꿨습니다" in web.get("/account?done=password").text
    assert other.get("/account").status_code == 303
    assert page_login(other, user.username, DEFAULT_PASSWORD).status_code == 401
    assert page_login(other, user.username, "fresh-phrase-42").status_code == 303


def test_account_page_delete(web: TestClient, db: Session) -> None:
    user = make_user(db)
    user_id = user.id
    token = make_token(db, user)
    page_login(web, user.username, DEFAULT_PASSWORD)
    wrong = post_form(web, "/account/delete", password="definitely-wrong")
    assert wrong.status_code == 403
    assert "계정을 삭제하지 않았습니다" in wrong.text
    db.expire_all()
    assert db.get(User, user_id) is not None

    r = post_form(web, "/account/delete", password=DEFAULT_PASSWORD)
    assert r.status_code == 200 and "계정을 삭제했습니다" in r.text
    assert 'href="/account"' not in r.text  # the layout no longer shows a logged-in user
    db.expire_all()
    assert db.get(User, user_id) is None
    assert web.get("/account").status_code == 303
    assert web.get("/api/v1/users/me", headers=bearer(token)).status_code == 401


def test_pages_in_english(web: TestClient) -> None:
    r = web.get("/login?lang=en")
    assert "Log in" in r.text and "Username" in r.text and "Password" in r.text
    assert "Sign up" in web.get("/register").text  # the choice is remembered


# --- CSRF -------------------------------------------------------------------------------


@pytest.fixture
def victim(web: TestClient, db: Session) -> Iterator[tuple[TestClient, User]]:
    """A logged-in browser whose CSRF cookie an attacker cannot read."""
    user = make_user(db)
    page_login(web, user.username, DEFAULT_PASSWORD)
    yield web, user


def _state(db: Session, user_id: int) -> tuple[object, ...]:
    db.expire_all()
    user = db.get(User, user_id)
    return (
        user.password_hash if user else None,
        db.scalar(select(func.count(ApiToken.id)).where(ApiToken.user_id == user_id)),
        db.scalar(select(func.count(WebSession.id)).where(WebSession.user_id == user_id)),
    )


def test_every_account_form_without_csrf_token_is_403_and_changes_nothing(
    victim: tuple[TestClient, User], db: Session
) -> None:
    web, user = victim
    user_id, username = user.id, user.username
    make_token(db, user)
    token_id = db.scalar(select(ApiToken.id).where(ApiToken.user_id == user_id))
    before = _state(db, user_id)
    forms = {
        "/register": {"username": unique_name("csrf"), "password": PASSWORD},
        "/login": {"username": username, "password": DEFAULT_PASSWORD},
        "/logout": {},
        "/account/password": {
            "current_password": DEFAULT_PASSWORD,
            "new_password": "csrf-new-password",
        },
        "/account/tokens": {"name": "csrf"},
        f"/account/tokens/{token_id}/revoke": {},
        "/account/delete": {"password": DEFAULT_PASSWORD},
    }
    cookie = web.cookies[SESSION_COOKIE]
    for url, fields in forms.items():
        for forged in ({}, {"csrf_token": "forged"}):
            r = web.post(url, data={**fields, **forged})
            assert r.status_code == 403, url
            assert web.cookies[SESSION_COOKIE] == cookie, url
    assert _state(db, user_id) == before
    registered = forms["/register"]["username"]
    assert db.scalar(select(User).where(User.username == registered)) is None
    assert _logged_in_as(web, username)


def test_page_form_with_the_token_passes_csrf(victim: tuple[TestClient, User]) -> None:
    web, _ = victim
    assert post_form(web, "/account/tokens", name="ok").status_code == 201
    assert csrf_token(web)
