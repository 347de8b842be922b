"""The API's docs page: Swagger UI authorizes with a personal token, and "Try it out" works for a
logged-in browser too (its calls carry the CSRF header)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories import browser_log_in, make_token, make_user


def test_the_openapi_document_declares_the_bearer_scheme(client: Any) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["components"]["securitySchemes"]["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token: POST /api/v1/tokens, or the account page.",
    }
    me = doc["paths"]["/api/v1/users/me"]["get"]
    assert me["security"] == [{"token": []}]
    assert "security" not in doc["paths"]["/api/v1/packs"]["get"]  # public


def _execute(page: Any, operation: str, **params: str) -> str:
    """Open an operation, try it out with params, run it; the status Swagger shows."""
    block = page.locator(f"#operations-{operation}")
    block.locator(".opblock-summary").click()
    block.locator(".try-out__btn").click()
    for name, value in params.items():
        block.locator(f'tr[data-param-name="{name}"] input').fill(value)
    block.locator(".execute").click()
    status = block.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    return str(status.inner_text()).strip()


@pytest.mark.browser
def test_swagger_authorize_takes_a_token(page: Any, live_server: str, db: Session) -> None:
    user = make_user(db)
    token = make_token(db, user)
    page.goto(f"{live_server}/api/v1/docs")
    page.locator(".btn.authorize").click()
    page.locator(".auth-container input").fill(token)
    page.locator(".auth-btn-wrapper .authorize").click()
    page.locator(".auth-btn-wrapper .btn-done").click()
    assert _execute(page, "accounts-read_me_api_v1_users_me_get") == "200"
    assert user.username in page.locator(".live-responses-table .microlight").first.inner_text()


@pytest.mark.browser
def test_try_it_out_as_the_logged_in_browser(
    page: Any, live_server: str, db: Session, seeded: str
) -> None:
    browser_log_in(page, db, live_server)
    page.goto(f"{live_server}/api/v1/docs")
    put = "practice-put_bookmark_api_v1_questions__pack___number__bookmark_put"
    # A change made with the session cookie alone is refused without the CSRF header.
    assert _execute(page, put, pack=seeded, number="12") == "200"
