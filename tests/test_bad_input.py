"""Malformed requests to every API route are refused with problem details, never a 500.

Each route gets ids and offsets beyond what the database holds, bad JSON, the wrong JSON
types, a NUL character (PostgreSQL text cannot hold one) and a huge string; the walk covers
routes added later.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.authz import _route_contexts
from tests.factories import bearer, make_token, make_user

BEYOND_INT64 = 2**63
NUL = "a\u0000b"
# Routes a probe must not call: it would end the probing user's account.
SKIP = {("DELETE", "/api/v1/users/me")}


def _api_routes(app: FastAPI) -> Iterator[tuple[str, str, Any]]:
    for path, methods, route in _route_contexts(app):
        if path.startswith("/api/v1/") and "docs" not in path and "openapi" not in path:
            for method in sorted(set(methods) - {"HEAD", "OPTIONS"}):
                if (method, path) not in SKIP:
                    yield method, path, route


def _fill(template: str, route: Any, value: str) -> str:
    """template with int path parameters set to value and string ones to the seed pack's."""
    for field in getattr(route.dependant, "path_params", []):
        if field.field_info.annotation is int or "_id" in field.name:
            filler = value
        elif field.name == "pack":
            filler = "deep-learning"
        else:
            filler = "1"
        template = template.replace("{" + field.name + "}", filler)
    return template


def _bodies() -> list[tuple[str, bytes]]:
    """Labelled raw JSON bodies, each wrong in its own way."""
    huge = "가" * 300_000
    values: dict[str, Any] = {
        "list": [],
        "string": "text",
        "number": 7,
        "null": None,
        "wrong types": {
            "body": 1,
            "body_markdown": [],
            "scope": "x",
            "question": 5,
            "rating": "x",
            "session": "x",
            "experiment": 1,
            "params": [],
            "name": {},
            "username": 1,
            "password": 1,
        },
        "huge ints": {
            "session": BEYOND_INT64,
            "rating": BEYOND_INT64,
            "question": "deep-learning/1",
            "scope": {"pack": "deep-learning", "kind": "all"},
            "time_limit_s": BEYOND_INT64,
            "duration_ms": -BEYOND_INT64,
            "experiment": "x",
            "params": {"epochs": BEYOND_INT64},
        },
        "too large a body": {"body": huge, "body_markdown": huge, "name": huge, "username": huge},
    }
    # One field at a time, so that a strict schema cannot refuse the body for another key.
    password = "correct-horse-battery-staple"
    for key, extra in {
        "body": {},
        "body_markdown": {},
        "name": {},
        "answer_text": {},
        "username": {"password": password},
        "password": {"username": "nul_probe"},
        "new_password": {"current_password": password},
        "question": {"rating": 3},
        "experiment": {"params": {}},
    }.items():
        values[f"NUL in {key}"] = {key: NUL, **extra}
        values[f"long {key}"] = {key: "가" * 100_000, **extra}  # under the body limit
    values["NUL in scope"] = {"scope": {"pack": NUL, "kind": "chain", "question": NUL}}
    values["NUL in params"] = {"experiment": "activations", "params": {NUL: NUL}}
    bodies = [(label, json.dumps(v, ensure_ascii=False).encode()) for label, v in values.items()]
    bodies += [("not JSON", b"{not json"), ("bad UTF-8", b'{"body": "\xff\xfe"}')]
    return bodies


@pytest.fixture(scope="module")
def prober(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(
        app, base_url="http://127.0.0.1", raise_server_exceptions=False, follow_redirects=False
    ) as client:
        yield client


def _check(response: Any, what: str, failures: list[str]) -> None:
    if response.status_code >= 500:
        failures.append(f"{what}: {response.status_code} {response.text[:160]}")
    elif response.status_code == 413:
        pass  # a body declared too large is refused before routing, in plain text
    elif response.status_code >= 400 and not response.headers.get("content-type", "").startswith(
        "application/problem+json"
    ):
        failures.append(f"{what}: {response.status_code} without problem details")


def test_malformed_requests_never_500(
    app: FastAPI, prober: TestClient, db: Session, seeded: str
) -> None:
    headers = bearer(make_token(db, make_user(db)))
    failures: list[str] = []
    for method, template, route in _api_routes(app):
        for value in (str(BEYOND_INT64), str(-BEYOND_INT64), "-1", "0", "abc"):
            path = _fill(template, route, value)
            _check(prober.request(method, path, headers=headers), f"{method} {path}", failures)
        path = _fill(template, route, "1")
        for query in (
            f"offset={BEYOND_INT64}",
            "limit=-1",
            f"after={BEYOND_INT64}",
            "q=a%00b",
            "pack=a%00b",
            "q=" + "x" * 5000,
        ):
            r = prober.request(method, f"{path}?{query}", headers=headers)
            _check(r, f"{method} {template}?{query[:30]}", failures)
        for event_id in (str(BEYOND_INT64), "abc"):
            r = prober.request(method, path, headers={**headers, "Last-Event-ID": event_id})
            _check(r, f"{method} {template} Last-Event-ID {event_id}", failures)
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            for label, raw in _bodies():
                r = prober.request(
                    method,
                    path,
                    content=raw,
                    headers={**headers, "Content-Type": "application/json"},
                )
                _check(r, f"{method} {template} ({label})", failures)
    assert not failures, "\n".join(failures)


def test_malformed_page_forms_never_500(
    app: FastAPI, prober: TestClient, db: Session, seeded: str
) -> None:
    from app.auth.deps import SESSION_COOKIE
    from app.web import CSRF_COOKIE, sign_csrf
    from tests.authz import dummy_path, unsafe_page_routes

    fields = ("body", "body_markdown", "name", "answer_text", "question", "pack", "kind", "mode")
    failures: list[str] = []
    for method, template, _ in unsafe_page_routes(app):
        if template in ("/logout", "/account/delete", "/account/password"):
            continue  # they would end the probing session
        for value in (NUL, "가" * 30_000, str(BEYOND_INT64)):
            prober.cookies.clear()
            web_session = _web_session(db)
            prober.cookies.set(SESSION_COOKIE, web_session)
            prober.cookies.set(CSRF_COOKIE, "probe")
            path = dummy_path(template.replace("{pack}", "deep-learning"), None)
            form = {
                "csrf_token": sign_csrf("probe", web_session),
                "rating": value,
                "time_limit_min": value,
            }
            form |= {name: value for name in fields}
            r = prober.request(method, path, data=form, headers={"Accept": "text/html"})
            if r.status_code >= 500:
                failures.append(f"{method} {template} ({value[:10]!r}): {r.status_code}")
    assert not failures, "\n".join(failures)


def _web_session(db: Session) -> str:
    from tests.factories import make_web_session

    return make_web_session(db, make_user(db))


def test_bodies_have_a_size_limit(prober: TestClient, db: Session, seeded: str) -> None:
    from app.main import MAX_BODY_BYTES

    headers = {**bearer(make_token(db, make_user(db))), "Content-Type": "application/json"}
    note = "/api/v1/questions/deep-learning/1/note"
    big = b'{"body": "' + b"a" * MAX_BODY_BYTES + b'"}'
    r = prober.put(note, content=big, headers=headers)
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "bytes" in r.json()["detail"]
    assert r.headers["x-content-type-options"] == "nosniff"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts what arrives
        yield b'{"body": "'
        for _ in range(MAX_BODY_BYTES // 65536 + 1):
            yield b"a" * 65536
        yield b'"}'

    r = prober.put(note, content=chunks(), headers=headers)
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    form = {"csrf_token": "x", "username": "a" * MAX_BODY_BYTES, "password": "p"}
    r = prober.post("/login", data=form)
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("text/html")
    # An import may be larger than the default.
    doc = b"{" + b" " * (3 * MAX_BODY_BYTES) + b"}"
    r = prober.post("/api/v1/import", content=doc, headers=headers)
    assert r.status_code == 422 and "Not a Mogi export" in r.json()["detail"]
