"""The demo pages in Chromium, without a worker: the form's checks, compare mode, the server's
answers shown where they belong, and the layout on a phone."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories import make_user, make_web_session

pytestmark = pytest.mark.browser


def log_in(page: Any, db: Session, base: str) -> None:
    """Give the browser a session cookie, as the login form would."""
    cookie = make_web_session(db, make_user(db))
    page.context.add_cookies([{"name": "mogi_session", "value": cookie, "url": base}])


def test_out_of_range_value_is_refused_in_the_browser(
    page: Any, live_server: str, db: Session
) -> None:
    log_in(page, db, live_server)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(f"{live_server}/demos/activations")
    page.fill("#param-depth", "99")
    page.click("#run-button")
    assert "10" in page.text_content("#error-depth")
    assert page.get_attribute("#param-depth", "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "param-depth"
    assert not posts
    assert page.url.endswith("/demos/activations")


def test_server_422_lands_next_to_its_field(page: Any, live_server: str, db: Session) -> None:
    log_in(page, db, live_server)
    problem = {
        "type": "about:blank",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "params.lr: must be at most 2, got 3",
        "param": "lr",
        "errors": [{"loc": ["body", "params", "lr"], "msg": "must be at most 2, got 3"}],
    }
    page.route(
        "**/api/v1/demos",
        lambda route: route.fulfill(
            status=422, content_type="application/problem+json", body=json.dumps(problem)
        ),
    )
    page.goto(f"{live_server}/demos/activations")
    page.click("#run-button")
    page.wait_for_function("document.getElementById('error-lr').textContent.length > 0")
    assert page.text_content("#error-lr") == "must be at most 2, got 3"
    assert "고쳐" in page.text_content("#form-status")


def test_compare_mode_sends_the_chosen_values(page: Any, live_server: str, db: Session) -> None:
    log_in(page, db, live_server)
    sent: list[dict[str, Any]] = []

    def answer(route: Any) -> None:
        sent.append(json.loads(route.request.post_data))
        route.fulfill(
            status=429,
            content_type="application/problem+json",
            headers={"Retry-After": "10"},
            body=json.dumps({"status": 429, "detail": "You already have 2 demo runs queued."}),
        )

    page.route("**/api/v1/demos", answer)
    page.goto(f"{live_server}/demos/activations")
    page.check("#compare-on")
    assert page.is_visible("#compare-body")
    assert page.is_disabled("#param-activation")  # the compared parameter comes from below
    # The catalogue's suggestion: all four activations; keep three.
    boxes = page.locator("#compare-values input[type=checkbox]")
    assert boxes.count() == 4
    page.uncheck("#compare-values input[value='\"leaky_relu\"']")
    page.fill("#param-epochs", "1")
    page.click("#run-button")
    page.wait_for_function("document.getElementById('form-status').textContent.includes('10')")
    assert len(sent) == 1
    body = sent[0]
    assert body["experiment"] == "activations"
    assert body["compare"] == [
        {"activation": "sigmoid"},
        {"activation": "tanh"},
        {"activation": "relu"},
    ]
    assert "activation" not in body["params"]
    assert body["params"]["epochs"] == 1
    assert "demo runs queued" in page.text_content("#form-status")
    # A numeric comparison: the values come from number inputs, checked against the bounds.
    page.select_option("#compare-param", "lr")
    page.fill("#compare-values input[type=number] >> nth=0", "50")
    page.click("#run-button")
    assert "2" in page.text_content("#error-compare")
    assert len(sent) == 1


def test_the_cookie_session_and_csrf_header_queue_a_run(
    page: Any, live_server: str, db: Session
) -> None:
    """The real POST (no interception): the form navigates to the new run's page."""
    log_in(page, db, live_server)
    page.goto(f"{live_server}/demos/activations")
    page.click("#run-button")
    page.wait_for_url("**/demos/runs/*")
    assert page.locator("#demo-run").get_attribute("data-api").startswith("/api/v1/demos/")
    # No worker here: the run waits in the queue, and the page says so.
    page.wait_for_function("document.getElementById('run-loading-text').textContent.length > 0")
    assert page.is_visible("#run-loading")
    assert page.get_attribute("#run-status", "class").endswith("status-queued")
    page.click("#run-cancel")
    page.wait_for_function("document.getElementById('demo-run').dataset.status === 'cancelled'")
    assert page.is_visible("#run-problem")


def test_pages_fit_a_phone(phone_page: Any, live_server: str, db: Session) -> None:
    log_in(phone_page, db, live_server)
    for path in ("/demos", "/demos/activations"):
        phone_page.goto(live_server + path)
        overflow = phone_page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
