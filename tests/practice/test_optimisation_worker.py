"""A real `mogi worker` fits FSRS weights to a simulated review history: the fitted weights
predict it better than the defaults; adopting them puts them in the user's settings (and the
next grade is scheduled with them), discarding leaves the settings alone."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from fsrs.scheduler import DEFAULT_PARAMETERS

from app.db import session_factory
from app.practice.models import PracticeSettings
from tests.demos.conftest import WorkerProcess, event_rows, spawn_worker, wait_for
from tests.factories import ApiUser, make_web_session, new_api_user
from tests.practice.review_history import (
    measured,
    public_id,
    question_ids,
    simulate,
    store,
)

pytestmark = [pytest.mark.slow, pytest.mark.worker, pytest.mark.shared("mnist")]

API = "/api/v1/fsrs/optimisations"
CARDS, DAYS = 60, 150
# Fitting about 800 measured grades takes some 10 s on one slow core; the worker's start more.
FIT_TIMEOUT_S = 240.0


@dataclass
class Fit:
    user: ApiUser
    run: dict[str, Any]
    grades: int
    measured: int


@pytest.fixture(scope="module")
def worker(database_url: str, data_dir: Path) -> Iterator[WorkerProcess]:
    process = spawn_worker(data_dir)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def api(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def _wait_done(api: TestClient, user: ApiUser, optimisation_id: int) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        run = api.get(f"{API}/{optimisation_id}", headers=user.headers).json()
        return run if run["status"] in ("finished", "failed", "cancelled") else None

    return wait_for(done, timeout=FIT_TIMEOUT_S, interval=0.5, what="the fit to end")


def _user_with_history(seed: int) -> tuple[ApiUser, int, int]:
    with session_factory()() as db:
        user = new_api_user(db)
        grades = simulate(question_ids(db, CARDS), DAYS, seed=seed)
        store(db, user.user.id, grades)
    return user, len(grades), measured(grades)


@pytest.fixture(scope="module")
def fit(api: TestClient, worker: WorkerProcess, seeded: str) -> Fit:
    """Alice's history, fitted by the worker (once for the module)."""
    user, grades, count = _user_with_history(seed=11)
    started = api.post(API, headers=user.headers)
    assert started.status_code == 202, started.text
    run = _wait_done(api, user, started.json()["id"])
    assert run["status"] == "finished", (run["error"], worker.log()[-3000:])
    return Fit(user=user, run=run, grades=grades, measured=count)


def _settings(user: ApiUser) -> PracticeSettings | None:
    with session_factory()() as db:
        return db.get(PracticeSettings, user.user.id)


def test_the_fitted_weights_predict_the_history_better(fit: Fit) -> None:
    run = fit.run
    assert run["log_loss_after"] < run["log_loss_before"]
    assert (run["reviews"], run["cards"], run["measured_reviews"]) == (
        fit.grades,
        CARDS,
        fit.measured,
    )
    assert run["parameters_before"] == pytest.approx(list(DEFAULT_PARAMETERS))
    assert len(run["parameters"]) == len(DEFAULT_PARAMETERS)
    assert run["parameters"] != pytest.approx(list(DEFAULT_PARAMETERS))
    assert run["seconds"] > 0 and run["progress"] is None
    assert (run["decision"], run["in_use"], run["error"]) == (None, False, None)
    assert _settings(fit.user) is None  # nothing changes before the user decides


def test_the_job_reports_each_epoch(fit: Fit) -> None:
    with session_factory()() as db:
        from app.practice.optimisation.models import FsrsOptimisation

        row = db.get(FsrsOptimisation, fit.run["id"])
        assert row is not None
        job_id = row.job_id
    events = event_rows(job_id)
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["queued", "started"] and kinds[-1] == "finished"
    stages = [e.data["stage"] for e in events if e.kind == "progress"]
    assert stages[0] == "before" and stages[-1] == "after"
    epochs = [e.data["epoch"] for e in events if e.data.get("stage") == "fitting"]
    assert epochs == list(range(1, epochs[-1] + 1)) and epochs[-1] >= 1


def test_adopting_puts_the_weights_in_the_settings(api: TestClient, fit: Fit) -> None:
    user, run = fit.user, fit.run
    r = api.post(f"{API}/{run['id']}/adopt", headers=user.headers)
    assert r.status_code == 200, r.text
    assert (r.json()["decision"], r.json()["in_use"]) == ("adopted", True)
    row = _settings(user)
    assert row is not None and row.fsrs_parameters == run["parameters"]
    # The row was made for the weights: every other setting is the default.
    assert (row.desired_retention, row.learning_steps) == (0.9, [60, 600])
    weights = api.get("/api/v1/fsrs/parameters", headers=user.headers).json()
    assert weights == {
        "parameters": run["parameters"],
        "source": "optimised",
        "optimisation": run["id"],
    }
    # Adopting again changes nothing; discarding adopted weights is refused.
    assert api.post(f"{API}/{run['id']}/adopt", headers=user.headers).status_code == 200
    refused = api.post(f"{API}/{run['id']}/discard", headers=user.headers)
    assert refused.status_code == 409 and "default" in refused.json()["detail"]


def test_a_grade_after_adopting_is_scheduled_with_the_fitted_weights(
    api: TestClient, fit: Fit
) -> None:
    from app.practice import fsrs_adapter

    if "settings" not in inspect.signature(fsrs_adapter.scheduler).parameters:
        pytest.skip("the scheduler does not read the user's review settings in this checkout")
    user, run = fit.user, fit.run
    assert api.post(f"{API}/{run['id']}/adopt", headers=user.headers).status_code == 200
    with session_factory()() as db:
        fresh = public_id(db, question_ids(db, 1, skip=CARDS)[0])
    r = api.post("/api/v1/reviews", json={"question": fresh, "rating": 3}, headers=user.headers)
    assert r.status_code == 201, r.text
    # A first grade of Good gives the card the weights' initial stability for Good, w[2].
    stability = r.json()["card"]["stability"]
    assert stability == pytest.approx(run["parameters"][2])
    assert stability != pytest.approx(DEFAULT_PARAMETERS[2])


def test_back_to_the_defaults_from_the_page(api: TestClient, fit: Fit) -> None:
    from app.web import CSRF_COOKIE, SESSION_COOKIE, sign_csrf

    user, run = fit.user, fit.run
    api.post(f"{API}/{run['id']}/adopt", headers=user.headers)
    with session_factory()() as db:
        cookie = make_web_session(db, user.user)
    cookies = {SESSION_COOKIE: cookie, CSRF_COOKIE: "fit-csrf"}
    with TestClient(api.app, cookies=cookies) as browser:
        page = browser.get(f"/practice/optimise/{run['id']}?lang=en")
        assert "These weights now schedule your reviews." in page.text
        assert f"{run['log_loss_before']:.4f}" in page.text
        assert f"{run['log_loss_after']:.4f}" in page.text
        form = {"csrf_token": sign_csrf("fit-csrf", cookie)}
        back = browser.post("/practice/optimise/defaults", data=form, follow_redirects=False)
        assert back.status_code == 303
        assert "The default weights" in browser.get("/practice/optimise?lang=en").text
    row = _settings(user)
    assert row is not None and row.fsrs_parameters is None
    weights = api.get("/api/v1/fsrs/parameters", headers=user.headers).json()
    assert weights["source"] == "default"


def test_discarding_a_finished_fit_leaves_the_settings_alone(
    api: TestClient, worker: WorkerProcess, seeded: str
) -> None:
    user, _, _ = _user_with_history(seed=12)
    with session_factory()() as db:
        own = [w + 0.01 for w in DEFAULT_PARAMETERS]
        db.add(PracticeSettings(user_id=user.user.id, desired_retention=0.85, fsrs_parameters=own))
        db.commit()
    started = api.post(API, headers=user.headers).json()
    assert started["status"] == "queued"
    run = _wait_done(api, user, started["id"])
    assert run["status"] == "finished", run["error"]
    # The loss before is the user's own weights', not the library's.
    assert run["parameters_before"] == pytest.approx(own)
    r = api.post(f"{API}/{run['id']}/discard", headers=user.headers)
    assert r.status_code == 200 and r.json()["decision"] == "discarded"
    row = _settings(user)
    assert row is not None
    assert (row.fsrs_parameters, row.desired_retention) == (own, 0.85)
    assert api.post(f"{API}/{run['id']}/adopt", headers=user.headers).status_code == 409


def test_another_user_cannot_see_or_adopt_the_fit(api: TestClient, fit: Fit) -> None:
    with session_factory()() as db:
        mallory = new_api_user(db)
    for method, suffix in (("GET", ""), ("POST", "/adopt"), ("POST", "/discard")):
        r = api.request(method, f"{API}/{fit.run['id']}{suffix}", headers=mallory.headers)
        assert r.status_code == 404, (method, suffix, r.text)
    assert _settings(mallory) is None
