"""The accounts API: sign-up, tokens, the caller's account, password change, deletion."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.models import ApiToken, User, WebSession
from tests.factories import DEFAULT_PASSWORD, bearer, make_token, make_user, unique_name

PASSWORD = "long-enough-passphrase"


def _problem(response, status: int) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    return body


def _token_for(client: TestClient, username: str, password: str = PASSWORD) -> str:
    r = client.post(
        "/api/v1/tokens", json={"username": username, "password": password, "name": "t"}
    )
    assert r.status_code == 201, r.text
    return r.json()["token"]


def test_register_returns_the_user_without_secrets(web: TestClient) -> None:
    name = unique_name("reg")
    r = web.post("/api/v1/users", json={"username": name, "password": PASSWORD})
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"id", "username", "created_at"}
    assert body["username"] == name


def test_taken_name_is_409_regardless_of_case(web: TestClient) -> None:
    name = unique_name("Taken")
    assert (
        web.post("/api/v1/users", json={"username": name, "password": PASSWORD}).status_code == 201
    )
    for variant in (name, name.lower(), name.upper()):
        body = _problem(
            web.post("/api/v1/users", json={"username": variant, "password": PASSWORD}), 409
        )
        assert body["code"] == "username_taken"
        assert "already taken" in body["detail"]
        assert body["errors"][0]["loc"] == ["body", "username"]


@pytest.mark.parametrize(
    ("username", "fragment"),
    [
        ("ab", "3-32 characters"),
        ("a" * 33, "3-32 characters"),
        ("has space", "only letters"),
        ("한글이름", "only letters"),
        ("semi;colon", "only letters"),
    ],
)
def test_bad_username_is_422_saying_what_to_fix(
    web: TestClient, username: str, fragment: str
) -> None:
    body = _problem(
        web.post("/api/v1/users", json={"username": username, "password": PASSWORD}), 422
    )
    assert body["code"] == "invalid_username"
    assert fragment in body["detail"]
    assert body["errors"][0]["loc"] == ["body", "username"]


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("short", "at least 10 characters"),
        ("aaaaaaaaaaaa", "single character repeated"),
        ("1234567890", "too common or sequential"),
        ("Password123", "too common or sequential"),
        ("abcdefghijkl", "too common or sequential"),
        ("SAME-AS-NAME", "same as the username"),
    ],
)
def test_weak_password_is_422_saying_what_to_fix(
    web: TestClient, db: Session, password: str, fragment: str
) -> None:
    name = "same-as-name" if password == "SAME-AS-NAME" else unique_name("weak")
    body = _problem(web.post("/api/v1/users", json={"username": name, "password": password}), 422)
    assert body["code"] == "weak_password"
    assert fragment in body["detail"]
    assert body["errors"][0]["loc"] == ["body", "password"]
    assert db.scalar(select(User).where(User.username == name)) is None


def test_missing_fields_are_422_problem(web: TestClient) -> None:
    body = _problem(web.post("/api/v1/users", json={"username": "someone"}), 422)
    assert any(e["loc"][-1] == "password" for e in body["errors"])


def test_token_flow_create_list_use_revoke(web: TestClient, db: Session) -> None:
    name = unique_name("tok")
    web.post("/api/v1/users", json={"username": name, "password": PASSWORD})
    r = web.post(
        "/api/v1/tokens", json={"username": name, "password": PASSWORD, "name": "laptop CLI"}
    )
    assert r.status_code == 201
    created = r.json()
    assert set(created) == {"id", "name", "token", "prefix", "created_at"}
    assert r.headers["cache-control"] == "no-store"
    secret = created["token"]
    assert secret.startswith("mogi_") and created["prefix"] == secret[:12]
    # Only the hash is stored.
    stored = db.get(ApiToken, created["id"])
    assert stored is not None and secret not in (stored.token_hash, stored.prefix)

    me = web.get("/api/v1/users/me", headers=bearer(secret))
    assert me.status_code == 200 and me.json()["username"] == name

    listed = web.get("/api/v1/tokens", headers=bearer(secret)).json()
    assert [t["id"] for t in listed] == [created["id"]]
    assert "token" not in listed[0] and listed[0]["name"] == "laptop CLI"
    assert listed[0]["last_used_at"] is not None
    assert secret not in web.get("/api/v1/tokens", headers=bearer(secret)).text

    assert web.delete(f"/api/v1/tokens/{created['id']}", headers=bearer(secret)).status_code == 204
    body = _problem(web.get("/api/v1/users/me", headers=bearer(secret)), 401)
    assert "revoked" in body["detail"]


def test_token_name_defaults_and_is_checked(web: TestClient, db: Session) -> None:
    user = make_user(db)
    r = web.post("/api/v1/tokens", json={"username": user.username, "password": DEFAULT_PASSWORD})
    assert r.status_code == 201 and r.json()["name"] == "API token"
    body = _problem(
        web.post(
            "/api/v1/tokens",
            json={"username": user.username, "password": DEFAULT_PASSWORD, "name": "   "},
        ),
        422,
    )
    assert body["errors"][0]["loc"] == ["body", "name"]


def test_a_hundred_tokens_are_the_most_until_one_is_revoked(web: TestClient, db: Session) -> None:
    from app.auth.service import TOKENS_PER_USER

    user = make_user(db)
    for n in range(TOKENS_PER_USER - 1):
        make_token(db, user, name=f"script {n}")
    login = {"username": user.username, "password": DEFAULT_PASSWORD, "name": "last"}
    last = web.post("/api/v1/tokens", json=login)
    assert last.status_code == 201, last.text
    body = _problem(web.post("/api/v1/tokens", json={**login, "name": "one more"}), 409)
    assert body["code"] == "too_many_tokens" and "at most 100" in body["detail"]
    secret = last.json()["token"]
    assert len(web.get("/api/v1/tokens", headers=bearer(secret)).json()) == TOKENS_PER_USER
    oldest = db.scalar(select(func.min(ApiToken.id)).where(ApiToken.user_id == user.id))
    assert web.delete(f"/api/v1/tokens/{oldest}", headers=bearer(secret)).status_code == 204
    assert web.post("/api/v1/tokens", json={**login, "name": "one more"}).status_code == 201


def test_login_name_is_case_insensitive_and_trimmed(web: TestClient, db: Session) -> None:
    user = make_user(db, username=unique_name("Case"))
    for typed in (user.username.upper(), f"  {user.username.lower()} "):
        r = web.post("/api/v1/tokens", json={"username": typed, "password": DEFAULT_PASSWORD})
        assert r.status_code == 201


def test_wrong_login_is_401_and_says_so(web: TestClient, db: Session) -> None:
    user = make_user(db)
    for username, password in (
        (user.username, "wrong-password!"),
        (unique_name("nobody"), "x" * 12),
    ):
        body = _problem(
            web.post("/api/v1/tokens", json={"username": username, "password": password}), 401
        )
        assert body["detail"] == "Wrong username or password."
        assert body["code"] == "invalid_credentials"


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer two parts", "Token abc", "mogi_abc"],
)
def test_malformed_authorization_header_is_401_with_clear_detail(
    web: TestClient, header: str
) -> None:
    body = _problem(web.get("/api/v1/users/me", headers={"Authorization": header}), 401)
    assert body["detail"] == "Authorization header must be 'Bearer <token>'."


def test_unknown_token_and_no_credentials_are_401(web: TestClient) -> None:
    r = web.get("/api/v1/users/me", headers=bearer("mogi_unknown"))
    assert _problem(r, 401)["detail"] == "Invalid or revoked API token."
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert "Bearer" in _problem(web.get("/api/v1/users/me"), 401)["detail"]


def test_revoking_another_users_token_is_404_and_changes_nothing(
    web: TestClient, db: Session
) -> None:
    alice, bob = make_user(db), make_user(db)
    alice_token = make_token(db, alice)
    bob_token = make_token(db, bob)
    alice_token_id = db.scalar(select(ApiToken.id).where(ApiToken.user_id == alice.id))
    r = web.delete(f"/api/v1/tokens/{alice_token_id}", headers=bearer(bob_token))
    assert _problem(r, 404)["detail"] == "No such token."
    missing = web.delete("/api/v1/tokens/999999999", headers=bearer(bob_token))
    assert _problem(missing, 404)["detail"] == r.json()["detail"]  # ids leak nothing
    assert web.get("/api/v1/users/me", headers=bearer(alice_token)).status_code == 200
    bobs = web.get("/api/v1/tokens", headers=bearer(bob_token)).json()
    assert alice_token_id not in {t["id"] for t in bobs}


def test_change_password(client_from: Callable[..., TestClient], db: Session) -> None:
    web = client_from()
    user = make_user(db)
    token = make_token(db, user)
    other_browser = client_from()
    from tests.auth.conftest import page_login

    assert page_login(other_browser, user.username, DEFAULT_PASSWORD).status_code == 303
    new = "a-brand-new-passphrase"

    wrong = web.post(
        "/api/v1/users/me/password",
        json={"current_password": "not-the-password", "new_password": new},
        headers=bearer(token),
    )
    assert _problem(wrong, 403)["errors"][0]["loc"] == ["body", "current_password"]
    weak = web.post(
        "/api/v1/users/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": "short"},
        headers=bearer(token),
    )
    assert _problem(weak, 422)["errors"][0]["loc"] == ["body", "new_password"]
    same = web.post(
        "/api/v1/users/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": DEFAULT_PASSWORD},
        headers=bearer(token),
    )
    assert "same as the current one" in _problem(same, 422)["detail"]
    assert other_browser.get("/account").status_code == 200  # nothing changed yet

    ok = web.post(
        "/api/v1/users/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": new},
        headers=bearer(token),
    )
    assert ok.status_code == 204
    assert other_browser.get("/account").status_code == 303  # logged out everywhere
    assert web.get("/api/v1/users/me", headers=bearer(token)).status_code == 200  # tokens stay
    old = web.post("/api/v1/tokens", json={"username": user.username, "password": DEFAULT_PASSWORD})
    assert old.status_code == 401
    assert _token_for(web, user.username, new)


def test_cookie_password_change_keeps_the_callers_session(
    client_from: Callable[..., TestClient], db: Session
) -> None:
    from tests.auth.conftest import csrf_token, page_login

    user = make_user(db)
    me, other = client_from(), client_from()
    page_login(me, user.username, DEFAULT_PASSWORD)
    page_login(other, user.username, DEFAULT_PASSWORD)
    r = me.post(
        "/api/v1/users/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": "another-fine-phrase"},
        headers={"X-CSRF-Token": csrf_token(me)},
    )
    assert r.status_code == 204
    assert me.get("/account").status_code == 200
    assert other.get("/account").status_code == 303
    assert db.scalar(select(func.count()).where(WebSession.user_id == user.id)) == 1


def test_delete_me_needs_the_password(web: TestClient, db: Session) -> None:
    user = make_user(db)
    user_id, username = user.id, user.username
    token = make_token(db, user)
    wrong = web.request(
        "DELETE", "/api/v1/users/me", json={"password": "not-it-at-all"}, headers=bearer(token)
    )
    assert _problem(wrong, 403)["code"] == "wrong_password"
    assert _problem(web.request("DELETE", "/api/v1/users/me", headers=bearer(token)), 422)
    db.expire_all()
    assert db.get(User, user_id) is not None

    ok = web.request(
        "DELETE", "/api/v1/users/me", json={"password": DEFAULT_PASSWORD}, headers=bearer(token)
    )
    assert ok.status_code == 204
    db.expire_all()
    assert db.get(User, user_id) is None
    assert _problem(web.get("/api/v1/users/me", headers=bearer(token)), 401)
    # The name is free again.
    again = web.post("/api/v1/users", json={"username": username, "password": PASSWORD})
    assert again.status_code == 201


def test_cookie_authenticated_api_write_needs_csrf_header(
    client_from: Callable[..., TestClient], db: Session
) -> None:
    from tests.auth.conftest import page_login

    user = make_user(db)
    token = make_token(db, user)
    token_id = db.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
    browser = client_from()
    page_login(browser, user.username, DEFAULT_PASSWORD)
    assert browser.get("/api/v1/users/me").status_code == 200  # reads need no header
    refused = browser.delete(f"/api/v1/tokens/{token_id}")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    refused = browser.request("DELETE", "/api/v1/users/me", json={"password": DEFAULT_PASSWORD})
    assert refused.status_code == 403
    wrong = browser.delete(f"/api/v1/tokens/{token_id}", headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403
    db.expire_all()
    assert db.get(User, user.id) is not None
    assert browser.get("/api/v1/tokens", headers=bearer(token)).status_code == 200


def test_openapi_documents_the_accounts_api(web: TestClient) -> None:
    doc = web.get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    create_user = paths["/api/v1/users"]["post"]
    assert {"201", "409", "422"} <= set(create_user["responses"])
    create_token = paths["/api/v1/tokens"]["post"]
    assert {"201", "401", "429"} <= set(create_token["responses"])
    assert "TokenCreated" in str(create_token["responses"]["201"])
    assert "Problem" in str(create_token["responses"]["429"])
    assert {"get"} <= set(paths["/api/v1/tokens"])
    assert "404" in paths["/api/v1/tokens/{token_id}"]["delete"]["responses"]
    assert {"get", "delete"} <= set(paths["/api/v1/users/me"])
    assert "/api/v1/users/me/password" in paths
    schemas = doc["components"]["schemas"]
    assert "token" not in schemas["TokenRead"]["properties"]
