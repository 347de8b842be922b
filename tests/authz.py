"""Reusable authorization checks that walk the app's routes, so routes added later are covered.

`assert_api_routes_require_auth` sends every /api/v1 route that is not in PUBLIC_API_ROUTES a
request without credentials (and with a malformed and a bogus token) and expects 401 problem
details. A route is public only by being listed here on purpose: a feature that adds a public
route adds it to PUBLIC_API_ROUTES with a comment saying why.

`assert_page_posts_need_csrf` sends every unsafe page route (outside /api/) a request from a
logged-in browser without the CSRF token and expects 403.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase

from fastapi import FastAPI
from fastapi.testclient import TestClient

API_PREFIX = "/api/v1"
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")

# (method, path pattern) pairs anyone may call; fnmatch patterns over route path templates.
PUBLIC_API_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        # The API's own description.
        ("GET", "/api/v1/openapi.json"),
        ("GET", "/api/v1/docs"),
        # Accounts: signing up and logging in for a token are how credentials are obtained.
        ("POST", "/api/v1/users"),
        ("POST", "/api/v1/tokens"),
        # Content is readable without an account, like the question pages. (fnmatch's "*"
        # also matches "/": list each route, so /questions/{pack}/{number}/note stays private.)
        ("GET", "/api/v1/packs"),
        ("GET", "/api/v1/packs/{pack}"),
        ("GET", "/api/v1/questions"),
        ("GET", "/api/v1/questions/{pack}/{number}"),
        ("GET", "/api/v1/search"),
        # The demo catalogue describes what can be run (experiments and their parameters);
        # running one needs an account.
        ("GET", "/api/v1/experiments"),
    }
)


def _dummy_value(route: object, name: str) -> str:
    """A value the route accepts for path parameter name: "1" suits int, float and str."""
    for field in getattr(getattr(route, "dependant", None), "path_params", []):
        if field.name == name and field.field_info.annotation is uuid.UUID:
            return str(uuid.UUID(int=1))
    return "1"


def dummy_path(template: str, route: object) -> str:
    """template with every {param} (or {param:convertor}) replaced by an accepted value."""
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: _dummy_value(route, m.group(1)), template)


def _route_contexts(app: FastAPI) -> Iterator[tuple[str, set[str], object]]:
    """(full path, methods, the route) for every route, inside included routers too."""
    try:  # FastAPI >= 0.16x keeps included routers nested; this walks into them
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI copied every route into app.routes
        for route in app.routes:
            yield getattr(route, "path", ""), getattr(route, "methods", None) or set(), route
        return
    for context in iter_route_contexts(app.routes):
        yield context.path or "", context.methods or set(), context.original_route


def routes(app: FastAPI) -> Iterator[tuple[str, str, str]]:
    """(method, path template, a concrete path) for every HTTP route of the app."""
    for path, methods, route in _route_contexts(app):
        for method in sorted(set(methods) - {"HEAD", "OPTIONS"}):
            yield method, path, dummy_path(path, route)


def is_public(method: str, template: str, public: Iterable[tuple[str, str]]) -> bool:
    return any(method == m and fnmatchcase(template, pattern) for m, pattern in public)


def protected_api_routes(
    app: FastAPI, public: Iterable[tuple[str, str]] = PUBLIC_API_ROUTES
) -> list[tuple[str, str, str]]:
    """The /api/v1 routes that must refuse a caller without credentials."""
    allowed = list(public)
    return [
        r
        for r in routes(app)
        if r[1].startswith(API_PREFIX + "/") and not is_public(r[0], r[1], allowed)
    ]


def _is_401_problem(response: object) -> bool:
    status = getattr(response, "status_code", None)
    headers = getattr(response, "headers", {})
    return status == 401 and headers.get("content-type", "").startswith("application/problem+json")


def assert_api_routes_require_auth(
    app: FastAPI, public: Iterable[tuple[str, str]] = PUBLIC_API_ROUTES
) -> list[str]:
    """Every protected API route answers 401 problem+json to anonymous and bad-token callers.

    Returns the routes checked (so a caller can assert the walk found some).
    """
    failures: list[str] = []
    checked: list[str] = []
    attempts: dict[str, dict[str, str]] = {
        "no credentials": {},
        "malformed header": {"Authorization": "Basic dXNlcjpwYXNz"},
        "unknown token": {"Authorization": "Bearer mogi_not-a-real-token"},
    }
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for method, template, path in protected_api_routes(app, public):
            checked.append(f"{method} {template}")
            for label, headers in attempts.items():
                client.cookies.clear()
                response = client.request(method, path, headers=headers)
                if not _is_401_problem(response):
                    failures.append(
                        f"{method} {template} ({label}): {response.status_code} "
                        f"{response.headers.get('content-type')} {response.text[:200]}"
                    )
    assert not failures, "routes that do not require authentication:\n" + "\n".join(failures)
    return checked


def unsafe_page_routes(app: FastAPI) -> list[tuple[str, str, str]]:
    """Page routes (outside /api/) that change something: each must demand the CSRF token."""
    return [
        r
        for r in routes(app)
        if r[0] in UNSAFE and not r[1].startswith("/api/") and not r[1].startswith("/static")
    ]


def assert_page_posts_need_csrf(app: FastAPI, session_cookie: str) -> list[str]:
    """A logged-in browser's unsafe page request without the CSRF token is refused with 403."""
    from app.auth.deps import SESSION_COOKIE
    from app.web import CSRF_COOKIE

    failures: list[str] = []
    checked: list[str] = []
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
        for method, template, path in unsafe_page_routes(app):
            checked.append(f"{method} {template}")
            forms = (
                ("no token", {}),
                ("wrong token", {"csrf_token": "forged"}),
                # The cookie's own value was the token before tokens were signed: no more.
                ("unsigned cookie value", {"csrf_token": "the-real-token"}),
            )
            for label, form in forms:
                client.cookies.clear()
                client.cookies.set(SESSION_COOKIE, session_cookie)
                client.cookies.set(CSRF_COOKIE, "the-real-token")
                response = client.request(method, path, data=form)
                if response.status_code != 403:
                    failures.append(f"{method} {template} ({label}): {response.status_code}")
    assert not failures, "page routes that accept a request without CSRF token:\n" + "\n".join(
        failures
    )
    return checked


def assert_token_isolated(app: FastAPI, db: object) -> None:
    """User B can neither see nor revoke user A's API token, through the API or the pages."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from app.auth.models import ApiToken
    from tests.factories import bearer, make_token, make_user, make_web_session

    assert isinstance(db, Session)
    alice, bob = make_user(db), make_user(db)
    alice_secret, bob_secret = make_token(db, alice, "alice's"), make_token(db, bob, "bob's")
    alice_id = db.scalar(select(ApiToken.id).where(ApiToken.user_id == alice.id))
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
        listed = client.get(f"{API_PREFIX}/tokens", headers=bearer(bob_secret)).json()
        assert alice_id not in {t["id"] for t in listed}
        assert all(t["name"] != "alice's" for t in listed)
        r = client.delete(f"{API_PREFIX}/tokens/{alice_id}", headers=bearer(bob_secret))
        assert r.status_code == 404

        from app.auth.deps import SESSION_COOKIE
        from app.web import CSRF_COOKIE, sign_csrf

        bob_session = make_web_session(db, bob)
        client.cookies.set(SESSION_COOKIE, bob_session, domain="127.0.0.1")
        client.cookies.set(CSRF_COOKIE, "csrf", domain="127.0.0.1")
        page = client.get("/account")
        assert page.status_code == 200 and "alice's" not in page.text
        token = sign_csrf("csrf", bob_session)
        r = client.post(f"/account/tokens/{alice_id}/revoke", data={"csrf_token": token})
        assert r.status_code == 404
        client.cookies.clear()
        mine = client.get(f"{API_PREFIX}/users/me", headers=bearer(alice_secret))
        assert mine.status_code == 200 and mine.json()["username"] == alice.username
