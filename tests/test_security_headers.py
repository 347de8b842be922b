"""Security headers on every response, a policy the pages live with, and templates it allows."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.security_headers import DOCS_PATH, content_security_policy
from tests.factories import make_finished_run, make_user, make_web_session

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (p.split() for p in policy.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/questions/deep-learning/1",
        "/search?q=x",
        "/login",
        "/practice",  # a redirect
        "/no-such-page",  # an error page
        "/api/v1/packs",
        "/api/v1/users/me",  # a 401 problem
        "/static/css/app.css",
        "/healthz",
    ],
)
def test_every_response_carries_the_headers(client: TestClient, seeded: str, path: str) -> None:
    r = client.get(path, follow_redirects=False)
    for name, value in EXPECTED.items():
        assert r.headers.get(name) == value, (path, name)
    policy = _directives(r.headers["content-security-policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert len(r.headers.get_list("content-security-policy")) == 1


def test_remote_images_are_allowed_from_their_host_only() -> None:
    policy = _directives(content_security_policy("https://img.example.org/base/path/"))
    assert policy["img-src"] == ["'self'", "data:", "https://img.example.org"]
    assert _directives(content_security_policy(""))["img-src"] == ["'self'", "data:"]
    assert _directives(content_security_policy("javascript:x"))["img-src"] == ["'self'", "data:"]


def test_the_api_docs_page_keeps_working(client: TestClient) -> None:
    """Swagger UI is vendored and started from a file: no inline script, no other host."""
    r = client.get(DOCS_PATH)
    assert r.status_code == 200
    scripts = _directives(r.headers["content-security-policy"])["script-src"]
    assert scripts == ["'self'"]


def test_templates_have_no_inline_scripts_or_event_handlers() -> None:
    """script-src 'self' runs only files: no inline code and no on*= attributes in a page."""
    problems = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text, re.I):
            if "src=" not in tag and 'type="application/json"' not in tag:
                problems.append(f"{path.name}: {tag}")
        problems += [f"{path.name}: {m}" for m in re.findall(r"\son[a-z]+\s*=", text, re.I)]
        problems += [f"{path.name}: {m}" for m in re.findall(r"javascript:", text, re.I)]
    assert not problems, problems


# --- in a real browser ---------------------------------------------------------------------

_LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def _question_with_math(db: Session) -> str:
    from app.content.models import Pack, Question

    number = db.scalar(
        select(Question.number)
        .join(Pack, Pack.id == Question.pack_id)
        .where(Pack.slug == "deep-learning", Question.answer_html.contains("<math"))
        .limit(1)
    )
    assert number is not None
    return number


def _wait_until(page: Any, expression: str, timeout_s: float = 10.0) -> None:
    """Poll expression from outside the page (wait_for_function would need eval, which the
    policy forbids)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.05)


@pytest.fixture
def strict_page(browser: Any) -> Iterator[Any]:
    """A page that obeys the CSP (the shared `page` fixture bypasses it)."""
    context = browser.new_context(locale="ko-KR", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.mark.browser
def test_main_pages_raise_no_policy_violations(
    strict_page: Any, live_server: str, db: Session, seeded: str
) -> None:
    page = strict_page
    user = make_user(db)
    cookie = make_web_session(db, user)
    page.context.add_cookies([{"name": "mogi_session", "value": cookie, "url": live_server}])
    page.context.add_init_script(_LISTEN)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    math = _question_with_math(db)
    run_id = make_finished_run(db, user.id)

    violations: list[str] = []

    def collect() -> None:  # each page starts its own list
        violations.extend(page.evaluate("window.__cspViolations || []"))

    def visit(path: str) -> None:
        collect()
        response = page.goto(live_server + path)
        assert response is not None and response.ok, path
        assert "script-src 'self'" in (response.headers.get("content-security-policy") or "")
        page.wait_for_load_state("networkidle")

    visit("/")
    visit(f"/questions/deep-learning/{math}")
    assert page.locator(".answer-body math").count() > 0
    visit("/practice")
    page.click("form.start-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/practice/sessions/\d+$"))
    page.wait_for_load_state("networkidle")
    page.keyboard.press("Space")  # practice.js reveals through the API and swaps the card
    page.locator("#grade-form").wait_for()
    visit("/progress")
    visit("/demos")
    visit("/demos/activations")
    visit(f"/demos/runs/{run_id}")
    _wait_until(page, "document.getElementById('demo-run').dataset.result === 'shown'")
    assert page.is_visible("#chart-loss .u-over")
    collect()
    refused = [m for m in console if "Content Security Policy" in m or "Refused to" in m]
    assert not violations and not refused, (violations, refused)
    # The listener does hear a violation: an inline script is refused and reported.
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = 1'; document.body.append(s); }"
    )
    _wait_until(page, "window.__cspViolations.length > 0")
    assert page.evaluate("window.__ran") is None


def test_answers_to_a_known_user_are_never_stored(client: TestClient, db: Session) -> None:
    """A page or API answer for a logged-in user (or a token) carries no-store; the same
    page for a visitor, and static files for anyone, stay cacheable."""
    from tests.factories import bearer, make_token, make_user, make_web_session

    user = make_user(db)
    assert "no-store" not in client.get("/").headers.get("cache-control", "")
    client.cookies.set("mogi_session", make_web_session(db, user))
    for path in ("/", "/account", "/progress", "/practice", "/questions"):
        assert client.get(path).headers.get("cache-control") == "no-store", path
    assert "no-store" not in client.get("/static/css/app.css").headers.get("cache-control", "")
    client.cookies.clear()
    me = client.get("/api/v1/users/me", headers=bearer(make_token(db, user)))
    assert me.status_code == 200 and me.headers["cache-control"] == "no-store"
