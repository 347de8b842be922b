"""Text from users, uploads and URLs reaches pages escaped, wherever it is echoed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth.deps import SESSION_COOKIE
from app.content.render import RenderContext, render_answer
from app.content.views import highlight
from app.web import CSRF_COOKIE
from tests.factories import csrf_for, make_user, make_web_session

CSRF = "xss-csrf"
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'><svg onload=alert(3)>"
RAW_MARKERS = ("<script>alert", "<img src=x onerror", "<svg onload")


def _clean(html: str) -> bool:
    return not any(marker in html for marker in RAW_MARKERS)


@pytest.fixture
def web(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as c:
        c.cookies.set(CSRF_COOKIE, CSRF)
        yield c


def _log_in(client: TestClient, db: Session) -> None:
    client.cookies.set(SESSION_COOKIE, make_web_session(db, make_user(db)))


def test_search_echoes_the_query_escaped(web: TestClient, seeded: str) -> None:
    r = web.get("/search", params={"q": HOSTILE[:200], "pack": HOSTILE[:64]})
    assert r.status_code == 404 and _clean(r.text)  # no such pack, named in the message
    r = web.get("/search", params={"q": HOSTILE[:200]})
    assert r.status_code == 200 and _clean(r.text)
    marked = str(highlight("a <b> a", ["<b>"]))
    assert marked == "a <mark>&lt;b&gt;</mark> a"


def test_unknown_objects_echo_their_name_escaped(web: TestClient, seeded: str) -> None:
    for path in ("/demos/", "/questions/", "/questions/deep-learning/"):
        r = web.get(path + HOSTILE.replace("/", ""))
        assert r.status_code == 404 and _clean(r.text), path


def test_login_form_echoes_the_username_escaped(web: TestClient) -> None:
    r = web.post(
        "/login", data={"csrf_token": csrf_for(web), "username": HOSTILE, "password": "x" * 12}
    )
    assert r.status_code in (400, 401, 422) and _clean(r.text)
    r = web.get("/login", params={"next": "/" + HOSTILE})
    assert _clean(r.text)


def test_token_name_is_escaped_on_the_account_page(web: TestClient, db: Session) -> None:
    _log_in(web, db)
    r = web.post("/account/tokens", data={"csrf_token": csrf_for(web), "name": HOSTILE[:60]})
    assert r.status_code in (201, 422) and _clean(r.text)
    assert _clean(web.get("/account").text)


def test_an_uploaded_export_is_echoed_escaped(web: TestClient, db: Session, seeded: str) -> None:
    _log_in(web, db)
    when = datetime(2026, 1, 2, tzinfo=UTC).isoformat()
    for ref in ("deep-learning/1", "deep-learning/" + HOSTILE.replace("/", "")[:40]):
        doc = {
            "format": "mogi-export",
            "version": 1,
            "exported_at": when,
            "user": {"username": HOSTILE},
            "reviews": [{"question": ref, "reviewed_at": when, "rating": 3, "mode": "review"}],
        }
        files = {"file": ("x.json", json.dumps(doc).encode(), "application/json")}
        r = web.post("/progress/import", files=files, data={"csrf_token": csrf_for(web)})
        assert r.status_code in (200, 422) and _clean(r.text), r.text[:300]


def test_markdown_of_users_and_packs_is_sanitised() -> None:
    hostile_markdown = (
        HOSTILE
        + "\n\n[x](javascript:alert(4)) <a href='data:text/html,x'>d</a>"
        + "<iframe src=//evil></iframe><p style='background:url(//evil)'>s</p>"
        + "<!-- $\\text{</mtext><script>alert(5)</script>}$ -->"
        + "\n\n<form action=//evil><input name=q></form><math><mtext><img src=x onerror=alert(6)>"
    )
    html = render_answer(hostile_markdown, RenderContext(pack_slug="deep-learning"))
    lowered = html.lower()
    refused = ("<script", "onerror", "onload", 'href="javascript:', "data:text", "<iframe")
    for bad in (*refused, "style=", "<form", "<input"):
        assert bad not in lowered, (bad, html)


def test_a_hostile_csrf_cookie_is_escaped_in_the_shared_anonymous_page(
    web: TestClient, seeded: str
) -> None:
    web.cookies.set(CSRF_COOKIE, '"><script>alert(1)</script>')
    r = web.get("/questions/deep-learning/1")
    assert r.status_code == 200 and _clean(r.text)
