"""An FSRS optimisation from the API to a decision, its job run in this process as a worker runs
it: the queue's claim, the job body on the snapshot the API took (a simulated history just over
the optimiser's minimum of 512 measured grades), progress in heartbeats, the result committed.
The same job in a real `mogi worker` process is in test_optimisation_worker.py (slow)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from fastapi import FastAPI
from fastapi.testclient import TestClient
from fsrs import optimizer as fsrs_optimizer
from fsrs.scheduler import DEFAULT_PARAMETERS

from app.config import get_settings
from app.db import session_factory
from app.practice.optimisation.job import run_optimisation
from app.practice.optimisation.models import FsrsOptimisation
from app.practice.optimisation.service import MIN_MEASURED_REVIEWS
from app.worker.lease import JobQueue, Lease
from tests.factories import ApiUser, make_web_session, new_api_user
from tests.practice.review_history import measured, question_ids, simulate, store

API = "/api/v1/fsrs/optimisations"
# 50 cards over 180 days: some 820 grades, about 560 of them measured (a fit of a few seconds).
CARDS, DAYS = 50, 180


@dataclass
class Fit:
    """A fit claimed from the queue and computed, but not yet committed."""

    user: ApiUser
    optimisation_id: int
    queue: JobQueue
    lease: Lease
    result: dict[str, Any]
    events: list[dict[str, Any]]
    snapshot: int  # the grades the API's snapshot kept (64 at most of each card)


@pytest.fixture(scope="module")
def api(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def _user_with_history(seed: int) -> tuple[ApiUser, int]:
    with session_factory()() as db:
        user = new_api_user(db)
        grades = simulate(question_ids(db, CARDS), DAYS, seed=seed)
        assert measured(grades) >= MIN_MEASURED_REVIEWS
        store(db, user.user.id, grades)
    return user, len(grades)


def _run_job(params: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """The job body as a worker's child runs it. The job sets torch's threads and swaps fsrs's
    tqdm for its own process; here it shares the test process, which gets both back."""
    threads = torch.get_num_threads()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fsrs_optimizer, "tqdm", fsrs_optimizer.tqdm)
        try:
            return run_optimisation(params, emit=events.append)
        finally:
            torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def running(api: TestClient, seeded: str) -> Fit:
    """Alice's fit, started through the API, claimed and computed (once for the module)."""
    user, _ = _user_with_history(seed=11)
    started = api.post(API, headers=user.headers)
    assert started.status_code == 202, started.text
    queue = JobQueue(session_factory(), owner="test-worker", lease_s=60, device_kind="cpu")
    lease = queue.claim()
    assert lease is not None
    with session_factory()() as db:
        row = db.get(FsrsOptimisation, started.json()["id"])
        assert row is not None and row.job_id == lease.job_id
    events: list[dict[str, Any]] = []
    result = _run_job(lease.claim.params, events)
    run = started.json()
    return Fit(user, run["id"], queue, lease, result, events, run["reviews"])


@pytest.fixture(scope="module")
def finished(running: Fit) -> Fit:
    assert running.queue.finish(running.lease, running.result, [])
    return running


def _page_client(api: TestClient, user: ApiUser) -> tuple[TestClient, dict[str, str]]:
    """A browser's client logged in as user, and the CSRF field its forms carry."""
    from app.web import CSRF_COOKIE, SESSION_COOKIE, sign_csrf

    with session_factory()() as db:
        cookie = make_web_session(db, user.user)
    browser = TestClient(api.app, cookies={SESSION_COOKIE: cookie, CSRF_COOKIE: "job-csrf"})
    return browser, {"csrf_token": sign_csrf("job-csrf", cookie)}


def test_the_job_fits_weights_that_beat_the_defaults_and_reports_each_epoch(
    running: Fit,
) -> None:
    result, events = running.result, running.events
    assert result["log_loss_after"] < result["log_loss_before"]
    assert math.isfinite(result["log_loss_before"]) and math.isfinite(result["log_loss_after"])
    assert result["parameters_before"] == pytest.approx(list(DEFAULT_PARAMETERS))
    assert len(result["parameters"]) == len(DEFAULT_PARAMETERS)
    assert result["parameters"] != pytest.approx(list(DEFAULT_PARAMETERS))
    assert result["reviews"] == running.snapshot == len(running.lease.claim.params["reviews"])
    assert result["seconds"] > 0 and result["fsrs_version"].count(".") >= 1

    stages = [e["stage"] for e in events]
    assert stages[0] == "before" and stages[-1] == "after"
    fitting = [e for e in events if e["stage"] == "fitting"]
    epochs = fitting[0]["epochs"]
    assert [e["epoch"] for e in fitting] == list(range(1, epochs + 1))
    assert all(e["epochs"] == epochs for e in fitting) and events[-1]["epoch"] == epochs
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress) and progress[0] == 0.0 and progress[-1] < 1.0


def test_a_running_fit_shows_its_last_epoch_and_cannot_be_adopted(
    api: TestClient, running: Fit
) -> None:
    user, url = running.user, f"{API}/{running.optimisation_id}"
    assert running.queue.heartbeat(running.lease, [("progress", e) for e in running.events])
    run = api.get(url, headers=user.headers).json()
    epochs = running.events[-1]["epochs"]
    assert run["status"] == "running"
    assert run["progress"] == {"stage": "after", "epoch": epochs, "epochs": epochs}
    early = api.post(f"{url}/adopt", headers=user.headers)
    assert early.status_code == 409 and early.json()["status"] == "running"

    browser, form = _page_client(api, user)
    with browser:
        page_url = f"/practice/optimise/{running.optimisation_id}"
        refused = browser.post(f"{page_url}/adopt?lang=en", data=form)
        assert refused.status_code == 409
        assert "Only a finished optimisation can be adopted." in refused.text
        assert 'role="alert"' in refused.text and 'http-equiv="refresh"' in refused.text
    weights = api.get("/api/v1/fsrs/parameters", headers=user.headers).json()
    assert weights["source"] == "default"


def test_adopted_weights_stay_until_the_defaults_are_asked_for(
    api: TestClient, finished: Fit
) -> None:
    user, fitted = finished.user, finished.result["parameters"]
    page_url = f"/practice/optimise/{finished.optimisation_id}"
    browser, form = _page_client(api, user)
    with browser:
        adopted = browser.post(f"{page_url}/adopt", data=form, follow_redirects=False)
        assert (adopted.status_code, adopted.headers["location"]) == (303, page_url)
        weights = api.get("/api/v1/fsrs/parameters", headers=user.headers).json()
        assert weights == {
            "parameters": fitted,
            "source": "optimised",
            "optimisation": finished.optimisation_id,
        }
        # Adopted weights are not thrown away by discarding: the page says how to go back.
        refused = browser.post(f"{page_url}/discard?lang=en", data=form)
        assert refused.status_code == 409
        assert "go back to the default weights instead" in refused.text
        assert "These weights now schedule your reviews." in refused.text

    back = api.delete("/api/v1/fsrs/parameters", headers=user.headers)
    assert back.status_code == 200
    assert back.json() == {
        "parameters": pytest.approx(list(DEFAULT_PARAMETERS)),
        "source": "default",
        "optimisation": None,
    }
    run = api.get(f"{API}/{finished.optimisation_id}", headers=user.headers).json()
    assert (run["decision"], run["in_use"]) == ("adopted", False)


def test_a_full_queue_refuses_a_fit_saying_when_to_try_again(api: TestClient, seeded: str) -> None:
    user, _ = _user_with_history(seed=12)
    settings = get_settings()
    saved = settings.queue_cap
    settings.queue_cap = 1
    try:
        first = api.post(API, headers=user.headers)
        assert first.status_code == 202, first.text
        other, _ = _user_with_history(seed=13)
        full = api.post(API, headers=other.headers)
    finally:
        settings.queue_cap = saved
    assert full.status_code == 429
    assert full.json()["scope"] == "queue" and full.json()["limit"] == 1
    assert int(full.headers["retry-after"]) > 0
    assert api.get(API, headers=other.headers).json() == []
    discarded = api.post(f"{API}/{first.json()['id']}/discard", headers=user.headers)
    assert discarded.json()["status"] == "cancelled"
