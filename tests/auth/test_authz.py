"""Every protected route refuses anonymous callers; users are kept apart; forms need CSRF."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.auth.deps import CurrentUser  # module level: the routes below resolve it by name
from tests.authz import (
    assert_api_routes_require_auth,
    assert_page_posts_need_csrf,
    assert_token_isolated,
    protected_api_routes,
)
from tests.factories import make_user, make_web_session


def test_every_protected_api_route_requires_credentials(app: FastAPI) -> None:
    checked = assert_api_routes_require_auth(app)
    for route in ("GET /api/v1/users/me", "GET /api/v1/tokens", "DELETE /api/v1/tokens/{token_id}"):
        assert route in checked
    optimisation = "/api/v1/fsrs/optimisations/{optimisation_id}"
    for route in (
        "POST /api/v1/fsrs/optimisations",
        "GET /api/v1/fsrs/optimisations",
        f"GET {optimisation}",
        f"POST {optimisation}/adopt",
        f"POST {optimisation}/discard",
        "GET /api/v1/fsrs/parameters",
        "DELETE /api/v1/fsrs/parameters",
    ):
        assert route in checked


def test_the_walk_sees_routes_added_later() -> None:
    """A route a feature adds tomorrow is checked without touching the test."""
    from app.main import create_app

    app = create_app()

    @app.get("/api/v1/added-later/{item_id}")
    def added_later(item_id: int, user: CurrentUser) -> dict[str, int]:
        return {"item": item_id}

    @app.post("/api/v1/forgot-the-user")
    def forgot_the_user() -> dict[str, bool]:
        return {"oops": True}

    templates = {t for _, t, _ in protected_api_routes(app)}
    assert {"/api/v1/added-later/{item_id}", "/api/v1/forgot-the-user"} <= templates
    try:
        assert_api_routes_require_auth(app)
    except AssertionError as exc:
        assert "POST /api/v1/forgot-the-user" in str(exc)
        assert "added-later" not in str(exc)
    else:
        raise AssertionError("a route without authentication went unnoticed")


def test_user_b_cannot_read_or_change_user_as_token(app: FastAPI, db: Session) -> None:
    assert_token_isolated(app, db)


def test_every_page_form_needs_the_csrf_token(app: FastAPI, db: Session) -> None:
    checked = assert_page_posts_need_csrf(app, make_web_session(db, make_user(db)))
    for route in ("POST /login", "POST /register", "POST /logout", "POST /account/delete"):
        assert route in checked
