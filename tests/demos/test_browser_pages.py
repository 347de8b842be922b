"""The demo pages in Chromium, without a worker: the form's checks, compare mode, the server's
answers shown where they belong, and the layout on a phone."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.auth.models import User
from app.demos import service
from app.demos.schemas import DemoCreate
from tests.factories import make_finished_run, make_user, make_web_session

pytestmark = pytest.mark.browser


def log_in(page: Any, db: Session, base: str) -> User:
    """Give the browser a session cookie, as the login form would."""
    user = make_user(db)
    cookie = make_web_session(db, user)
    page.context.add_cookies([{"name": "mogi_session", "value": cookie, "url": base}])
    return user


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


def test_a_broken_event_stream_is_reopened(page: Any, live_server: str, db: Session) -> None:
    """The stream fails once (say, a proxy restarting): the page re-reads the run, reconnects,
    and still hears how the run ends."""
    user = log_in(page, db, live_server)
    job = service.create_job(db, user.id, DemoCreate(experiment="activations"))
    db.commit()
    opened: list[str] = []

    def flaky(route: Any) -> None:
        opened.append(route.request.url)
        if len(opened) == 1:
            route.fulfill(status=503, body="")
        else:
            route.continue_()

    page.route("**/events*", flaky)
    page.goto(f"{live_server}/demos/runs/{job.id}")
    deadline = time.monotonic() + 15
    while len(opened) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert len(opened) >= 2, opened
    service.cancel_job(db, job)
    db.commit()
    page.wait_for_function("document.getElementById('demo-run').dataset.status === 'cancelled'")
    assert page.is_visible("#run-problem")


def test_a_run_without_live_events_draws_its_stored_history(
    page: Any, live_server: str, db: Session
) -> None:
    """A run served from an identical stored run has no progress events of its own: the page
    draws the curves from the result's history, and shows the failure of the model fetch."""
    user = log_in(page, db, live_server)
    run_id = make_finished_run(db, user.id, extra={"note": "stored"})
    page.goto(f"{live_server}/demos/runs/{run_id}")
    page.wait_for_function("document.getElementById('demo-run').dataset.result === 'shown'")
    assert page.get_attribute("#charts", "data-points") == "4"
    assert page.is_visible("#chart-loss .u-over")
    assert page.is_hidden("#charts-empty")
    assert page.locator("#confusion tbody td").count() == 100
    assert "90%" in page.text_content("#summary-body")
    assert "1,234" in page.text_content("#summary-body")
    # No weights stored: the drawing pad says so instead of failing silently.
    page.wait_for_function(
        "document.getElementById('draw-status').textContent.includes('모델을 불러오지 못했습니다')"
    )


def test_a_failed_run_says_why(page: Any, live_server: str, db: Session) -> None:
    user = log_in(page, db, live_server)
    job = service.create_job(db, user.id, DemoCreate(experiment="activations"))
    job.status, job.error = "failed", "the training process was killed by signal 9"
    db.commit()
    page.goto(f"{live_server}/demos/runs/{job.id}?lang=en")
    page.wait_for_function("document.getElementById('demo-run').dataset.status === 'failed'")
    # The page is served saying `failed` already: the script shows the problem a moment later.
    page.wait_for_selector("#run-problem", state="visible")
    assert page.text_content("#run-problem h2") == "The run failed"
    assert "killed by signal 9" in page.text_content("#run-problem p")
    assert page.is_hidden("#run-loading") and page.is_hidden("#run-cancel")
    assert page.is_hidden("#run-result")


def test_a_finished_run_reads_on_a_phone(phone_page: Any, live_server: str, db: Session) -> None:
    """390 px: the whole confusion matrix is on screen, the results table does not wrap letter
    by letter, and the settings read as a person would write them."""
    user = log_in(phone_page, db, live_server)
    job = service.create_job(
        db, user.id, DemoCreate(experiment="architecture", params={"model": "mlp"})
    )
    matrix = [[980 if i == j else 3 for j in range(10)] for i in range(10)]
    job.status, job.result = "finished", {
        "device": "cpu", "torch_version": "2.13.0+cpu", "test_accuracy": 0.9812,
        "test_loss": 0.07, "train_time_s": 3.25, "params_count": 203530, "history": [],
        "confusion_matrix": matrix, "samples": [], "layer_stats": [], "extra": {},
        "threads": 2, "thread_choice": {"chosen": "split"}, "split_by": "hidden_units",
    }  # fmt: skip
    db.commit()
    phone_page.goto(f"{live_server}/demos/runs/{job.id}")
    phone_page.wait_for_function("document.getElementById('demo-run').dataset.result === 'shown'")
    # The script redraws the run's facts as the server wrote them: the CPU threads too.
    meta = phone_page.text_content("#run-meta")
    assert "CPU 스레드" in meta and "2 (은닉 유닛을 반씩 두 프로세스에서)" in meta
    matrix_box = phone_page.locator("#confusion").bounding_box()
    assert matrix_box["x"] >= 0 and matrix_box["x"] + matrix_box["width"] <= 390
    overflow = phone_page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    # One line per cell: a cell's height is about one line of text.
    heights = phone_page.eval_on_selector_all(
        "#summary-body td, #summary-body th", "cells => cells.map((c) => c.offsetHeight)"
    )
    line = phone_page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#summary-body td')).lineHeight)"
    )
    assert max(heights) < 2.2 * line
    settings = phone_page.text_content(".run-params")
    assert "None" not in settings and "False" not in settings and "cnn_" not in settings
    assert "모델: MLP" in settings and "CNN" not in settings


def test_a_run_with_no_worker_alive_says_it_waits_for_one(
    page: Any, live_server: str, db: Session
) -> None:
    from sqlalchemy import delete

    from app.demos.models import DemoWorker

    user = log_in(page, db, live_server)
    db.execute(delete(DemoWorker))  # no worker runs in this module
    job = service.create_job(db, user.id, DemoCreate(experiment="activations"))
    db.commit()
    page.goto(f"{live_server}/demos/runs/{job.id}?lang=en")
    page.wait_for_function("document.getElementById('demo-run').dataset.status === 'queued'")
    page.wait_for_function(
        "(document.getElementById('run-progress').textContent || '').includes('No worker')"
    )
    assert page.is_visible("#run-progress")


def test_a_finished_comparison_reads_on_a_phone_without_scripts(
    browser: Any, live_server: str, db: Session
) -> None:
    """390 px with JavaScript off: a real finished comparison still shows its results table,
    every variant's whole confusion matrix and its curves, all within the screen's width."""
    from app.demos.tasks import JobSpec, run_job, without_inference
    from models import catalog
    from models.data import load_mnist
    from tests.conftest import MNIST_DIR

    if not (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"MNIST is not in {MNIST_DIR}")
    variants = catalog.compare_variants(
        "activations", {"train_subset": 1000, "depth": 2, "width": 16, "epochs": 2},
        ["tanh", "relu"],
    )  # fmt: skip
    result = run_job(
        JobSpec("activations", variants[0], variants), device="cpu",
        data=load_mnist(MNIST_DIR), emit=lambda _e: None,
    )  # fmt: skip
    context = browser.new_context(
        locale="ko-KR", viewport={"width": 390, "height": 844}, is_mobile=True,
        java_script_enabled=False, bypass_csp=True,
    )  # fmt: skip
    page = context.new_page()
    try:
        user = make_user(db)
        cookie = make_web_session(db, user)
        page.context.add_cookies([{"name": "mogi_session", "value": cookie, "url": live_server}])
        job = service.create_job(db, user.id, DemoCreate(experiment="activations"))
        job.params, job.compare = variants[0], variants
        job.status, job.result = "finished", without_inference(result)
        db.commit()
        page.goto(f"{live_server}/demos/runs/{job.id}?lang=en")
        assert page.locator("#summary-body tr").count() == 2
        assert "Tanh" in page.text_content("#summary-body")
        tables = page.locator("table.confusion")
        assert tables.count() == 2  # the second from <noscript>, for readers without scripts
        for i in range(2):
            box = tables.nth(i).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390
            assert tables.nth(i).locator("tbody td").count() == 100
        charts = page.locator("svg.chart-svg")
        assert charts.count() == 2
        for i in range(2):
            box = charts.nth(i).bounding_box()
            assert box["width"] > 300 and box["x"] + box["width"] <= 390
        # The first variant's test digits with its guesses, as images.
        assert page.locator("#samples figure.digit img").count() == len(
            result["variants"][0]["samples"]
        )
        legend = page.text_content(".chart-legend")
        assert "Tanh" in legend and "train" in legend and "test" in legend
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        text = page.text_content("#run-result")
        assert "None" not in text and "False" not in text and "{" not in text
    finally:
        context.close()
