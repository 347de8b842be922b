"""Every page route that needs an account sends a logged-out visitor to /login; pages keep users
apart; path parameters a database cannot hold are a 404, never a 500.

The walk finds the login-only pages by their `page_user` dependency, so a page added later is
checked without touching this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.auth.deps import SESSION_COOKIE, page_user
from app.auth.models import User
from app.web import CSRF_COOKIE, sign_csrf
from tests.authz import (
    _route_contexts,
    assert_page_posts_need_csrf,
    dummy_path,
    unsafe_page_routes,
)
from tests.factories import make_user, make_web_session

PACK = "deep-learning"
CSRF = "authz-pages-csrf"
BEYOND_INT64 = str(2**63)  # one past PostgreSQL's bigint
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'

# Pages that must need an account; the walk below must find at least these.
EXPECTED_LOGIN_PAGES = {
    ("GET", "/account"),
    ("POST", "/account/password"),
    ("POST", "/account/tokens"),
    ("POST", "/account/tokens/{token_id}/revoke"),
    ("POST", "/account/delete"),
    ("GET", "/practice"),
    ("POST", "/practice/sessions"),
    ("GET", "/practice/sessions/{session_id}"),
    ("POST", "/practice/sessions/{session_id}/reveal"),
    ("POST", "/practice/sessions/{session_id}/grade"),
    ("POST", "/practice/sessions/{session_id}/undo"),
    ("POST", "/practice/sessions/{session_id}/skip"),
    ("POST", "/practice/sessions/{session_id}/mark"),
    ("POST", "/practice/sessions/{session_id}/note"),
    ("POST", "/practice/questions/{pack}/{number}/card-status"),
    ("POST", "/practice/questions/{pack}/{number}/bookmark"),
    ("POST", "/practice/questions/{pack}/{number}/note"),
    ("POST", "/practice/questions/{pack}/{number}/my-answer"),
    ("GET", "/practice/settings"),
    ("POST", "/practice/settings"),
    ("GET", "/progress"),
    ("GET", "/progress/questions/{pack}/{number}"),
    ("POST", "/progress/import"),
    ("GET", "/demos/runs/{run_id}"),
    ("GET", "/practice/optimise"),
    ("POST", "/practice/optimise"),
    ("POST", "/practice/optimise/defaults"),
    ("GET", "/practice/optimise/{optimisation_id}"),
    ("POST", "/practice/optimise/{optimisation_id}/adopt"),
    ("POST", "/practice/optimise/{optimisation_id}/discard"),
}


def _needs_login(dependant: Any) -> bool:
    """Whether page_user is among the route's dependencies, however deep."""
    return any(
        d.call is page_user or _needs_login(d) for d in getattr(dependant, "dependencies", [])
    )


def _page_routes(app: FastAPI) -> Iterator[tuple[str, str, str, Any]]:
    """(method, template, concrete path, route) for every HTML page route."""
    for path, methods, route in _route_contexts(app):
        if path.startswith(("/api/", "/static", "/docs")) or path == "/healthz":
            continue
        for method in sorted(set(methods) - {"HEAD", "OPTIONS"}):
            yield method, path, dummy_path(path, route), route


def login_pages(app: FastAPI) -> list[tuple[str, str, str]]:
    return [
        (m, t, p) for m, t, p, r in _page_routes(app) if _needs_login(getattr(r, "dependant", None))
    ]


def _int_params(route: Any) -> list[str]:
    fields = getattr(getattr(route, "dependant", None), "path_params", [])
    return [f.name for f in fields if f.field_info.annotation is int]


@pytest.fixture
def anon(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as c:
        c.cookies.set(CSRF_COOKIE, CSRF)
        yield c


def _as(client: TestClient, db: Session, user: User | None = None) -> User:
    user = user or make_user(db)
    client.cookies.set(SESSION_COOKIE, make_web_session(db, user))
    client.cookies.set(CSRF_COOKIE, CSRF)
    return user


def _token(client: TestClient) -> str:
    return sign_csrf(CSRF, client.cookies.get(SESSION_COOKIE) or "")


def _post(client: TestClient, url: str, **fields: str) -> Any:
    return client.post(url, data={"csrf_token": _token(client), **fields})


def test_the_walk_finds_every_login_page(app: FastAPI) -> None:
    found = {(m, t) for m, t, _ in login_pages(app)}
    assert found >= EXPECTED_LOGIN_PAGES, EXPECTED_LOGIN_PAGES - found
    # Every unsafe page route is either a login page or one of the account forms anyone uses.
    anyone = {("POST", "/login"), ("POST", "/register"), ("POST", "/logout")}
    unsafe = {(m, t) for m, t, _ in unsafe_page_routes(app)}
    assert unsafe - found == anyone


def test_logged_out_visitors_are_sent_to_login(app: FastAPI, anon: TestClient) -> None:
    failures = []
    for method, template, path in login_pages(app):
        # A valid CSRF pair: the redirect must come from the missing account, not the token.
        r = anon.request(method, path, data={"csrf_token": _token(anon)})
        expected = "/login" if method != "GET" else f"/login?next={quote(path, safe='')}"
        if r.status_code != 303 or r.headers.get("location") != expected:
            failures.append(f"{method} {template}: {r.status_code} {r.headers.get('location')}")
    assert not failures, "\n".join(failures)


def test_public_pages_with_path_parameters_answer_404_for_unknown_objects(
    app: FastAPI, anon: TestClient, seeded: str
) -> None:
    checked = []
    for method, template, _, route in _page_routes(app):
        if "{" not in template or _needs_login(getattr(route, "dependant", None)):
            continue
        checked.append(template)
        for value in ("no-such-thing", "%00", "x" * 300, BEYOND_INT64):
            concrete = template
            for name in route.dependant.path_params:
                concrete = concrete.replace("{" + name.name + "}", value)
                concrete = concrete.replace("{" + name.name + ":path}", value)
            r = anon.request(method, concrete)
            assert r.status_code == 404, (concrete[:80], r.status_code)
            assert "<script>" not in r.text.split("</header>", 1)[-1].split("<footer", 1)[0]
    assert {"/questions/{pack}", "/questions/{pack}/{number}", "/demos/{slug}"} <= set(checked)


def test_ids_a_database_cannot_hold_are_404_not_500(
    app: FastAPI, anon: TestClient, db: Session
) -> None:
    _as(anon, db)
    checked = []
    for method, template, _, route in _page_routes(app):
        names = _int_params(route)
        if not names:
            continue
        for value in (BEYOND_INT64, "-" + BEYOND_INT64, "-1", "0"):
            concrete = template
            for name in names:
                concrete = concrete.replace("{" + name + "}", value)
            concrete = dummy_path(concrete, route)
            r = anon.request(method, concrete, data={"csrf_token": _token(anon), "question": "x/1"})
            checked.append(template)
            assert r.status_code in (404, 422), (method, concrete, r.status_code, r.text[:300])
    assert "/practice/sessions/{session_id}" in checked and "/demos/runs/{run_id}" in checked
    assert "/practice/optimise/{optimisation_id}/adopt" in checked


def test_user_b_cannot_grade_or_undo_user_as_session(
    anon: TestClient, db: Session, seeded: str
) -> None:
    _as(anon, db)
    url = _post(anon, "/practice/sessions", pack=PACK, kind="all").headers["location"]
    first = anon.get(url)
    assert first.status_code == 200
    _as(anon, db)  # someone else, in the same browser
    assert _post(anon, url + "/grade", question=f"{PACK}/1", rating="3").status_code == 404
    assert _post(anon, url + "/undo").status_code == 404
    assert anon.get(url + "?fragment=card").status_code == 404


def test_user_b_never_sees_or_changes_user_as_note_answer_and_bookmark(
    anon: TestClient, db: Session, seeded: str
) -> None:
    from app.content.models import Question

    number = _unanswered_number(db)
    base = f"/practice/questions/{PACK}/{number}"
    page = f"/questions/{PACK}/{number}"
    alice = _as(anon, db)
    assert _post(anon, base + "/note", body="alice-note " + HOSTILE).status_code == 303
    assert (
        _post(anon, base + "/my-answer", body_markdown="alice-answer " + HOSTILE).status_code == 303
    )
    assert _post(anon, base + "/bookmark", on="1").status_code == 303
    mine = anon.get(page).text
    assert "alice-note" in mine and "alice-answer" in mine
    # The note is escaped in its textarea; the own answer's Markdown is sanitised.
    assert "<script>alert(" not in mine and "<img src=x onerror" not in mine
    assert "&lt;script&gt;alert(" in mine

    _as(anon, db)
    theirs = anon.get(page).text
    assert "alice-note" not in theirs and "alice-answer" not in theirs
    # Bob's own posts change Bob's rows only.
    assert _post(anon, base + "/note", body="").status_code == 303
    assert _post(anon, base + "/my-answer", body_markdown="").status_code == 303
    assert _post(anon, base + "/bookmark", on="0").status_code == 303
    assert "alice" not in anon.get(f"/progress/questions/{PACK}/{number}").text

    _as(anon, db, alice)
    again = anon.get(page).text
    assert "alice-note" in again and "alice-answer" in again
    assert db.get(Question, _question_id(db, number)) is not None


def test_user_b_does_not_see_user_as_history(anon: TestClient, db: Session, seeded: str) -> None:
    _as(anon, db)
    url = _post(anon, "/practice/sessions", pack=PACK, kind="all").headers["location"]
    card = anon.get(url + "?fragment=card").text
    number = card.split(f"/questions/{PACK}/", 1)[1].split('"', 1)[0].split("#", 1)[0]
    assert _post(anon, url + "/reveal").status_code == 303
    assert _post(anon, url + "/grade", question=f"{PACK}/{number}", rating="3").status_code == 303
    history = f"/progress/questions/{PACK}/{number}"
    assert '"reviews": []' not in anon.get(history).text
    _as(anon, db)
    assert '"reviews": []' in anon.get(history).text


def test_user_b_cannot_open_user_as_run(anon: TestClient, db: Session) -> None:
    from app.demos import service
    from app.demos.models import DemoJob
    from app.demos.schemas import DemoCreate
    from models.catalog import EXPERIMENTS

    alice = make_user(db)
    job = service.create_job(db, alice.id, DemoCreate(experiment=next(iter(EXPERIMENTS))))
    db.commit()
    try:
        _as(anon, db, alice)
        assert anon.get(f"/demos/runs/{job.id}").status_code == 200
        _as(anon, db)
        assert anon.get(f"/demos/runs/{job.id}").status_code == 404
    finally:  # no worker of another test may pick it up
        db.execute(update(DemoJob).where(DemoJob.id == job.id).values(status="cancelled"))
        db.commit()


def _unanswered_number(db: Session) -> str:
    from sqlalchemy import select

    from app.content.models import Pack, Question

    number = db.scalar(
        select(Question.number)
        .join(Pack, Pack.id == Question.pack_id)
        .where(Pack.slug == PACK, Question.has_answer.is_(False), Question.retired.is_(False))
        .limit(1)
    )
    assert number is not None
    return number


def _question_id(db: Session, number: str) -> int:
    from sqlalchemy import select

    from app.content.models import Pack, Question

    qid = db.scalar(
        select(Question.id)
        .join(Pack, Pack.id == Question.pack_id)
        .where(Pack.slug == PACK, Question.number == number)
    )
    assert qid is not None
    return qid


def test_every_page_form_of_every_feature_needs_the_csrf_token(app: FastAPI, db: Session) -> None:
    checked = set(assert_page_posts_need_csrf(app, make_web_session(db, make_user(db))))
    expected = {f"{m} {t}" for m, t in EXPECTED_LOGIN_PAGES if m == "POST"}
    assert expected <= checked, expected - checked
