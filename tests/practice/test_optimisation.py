"""Optimising FSRS weights, on the web's side: the snapshot of grades, refusals, the queued job
(kept out of the demos), cancel by discarding, privacy, pages and their translations. The fit
itself, by a real worker, is in test_optimisation_worker.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.demos.models import DemoJob
from app.i18n import english
from app.practice.optimisation import service
from app.practice.optimisation.models import FsrsOptimisation
from tests.conftest import ROOT
from tests.factories import make_web_session
from tests.practice.conftest import ApiUser
from tests.practice.review_history import measured, question_ids, simulate, store

API = "/api/v1/fsrs/optimisations"


def _with_history(db: Session, who: ApiUser, cards: int = 60, days: int = 150) -> int:
    grades = simulate(question_ids(db, cards), days, seed=11)
    store(db, who.user.id, grades)
    return measured(grades)


@pytest.fixture
def close_jobs(db: Session) -> Any:
    """No job of this module stays queued: another module's worker never sees this database,
    but the queue's counts should start clean for each test."""
    yield
    db.execute(
        update(DemoJob)
        .where(DemoJob.status.in_(("queued", "running")))
        .values(status="cancelled", cancel_requested=True)
    )
    db.commit()


def test_too_few_reviews_are_refused_saying_how_many_it_takes(
    client: TestClient, db: Session, alice: ApiUser
) -> None:
    store(db, alice.user.id, simulate(question_ids(db, 5), 20, seed=1))
    r = client.post(API, headers=alice.headers)
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert "at least 512" in body["detail"] and body["required"] == 512
    assert 0 < body["measured_reviews"] < 512
    assert client.get(API, headers=alice.headers).json() == []


def test_the_snapshot_holds_scheduled_grades_only_with_the_question_as_card(
    db: Session, alice: ApiUser
) -> None:
    ids = question_ids(db, 3)
    grades = simulate(ids, 60, seed=2)
    store(db, alice.user.id, grades)
    store(db, alice.user.id, simulate(question_ids(db, 2, skip=3), 60, seed=3), scheduled=False)
    snapshot = service.grade_snapshot(db, alice.user.id)
    assert len(snapshot.reviews) == len(grades) and snapshot.cards == 3
    assert {card for card, *_ in snapshot.reviews} == set(ids)
    assert snapshot.measured == measured(grades)
    first = min(grades, key=lambda g: g.at)
    assert snapshot.reviews[0] == [
        first.question_id,
        first.rating,
        int(first.at.timestamp() * 1000),
        first.duration_ms,
    ]


def test_a_queued_optimisation_is_private_and_no_demo_run(
    client: TestClient, db: Session, alice: ApiUser, bob: ApiUser, close_jobs: None
) -> None:
    enough = _with_history(db, alice)
    assert enough >= 512
    r = client.post(API, headers=alice.headers)
    assert r.status_code == 202, r.text
    run = r.json()
    assert r.headers["location"] == f"{API}/{run['id']}"
    assert (run["status"], run["decision"], run["in_use"]) == ("queued", None, False)
    assert run["measured_reviews"] == enough and run["cards"] == 60
    assert run["log_loss_before"] is None and run["queue_position"] == 0
    # One at a time per user: a second start names the first.
    again = client.post(API, headers=alice.headers)
    assert again.status_code == 409 and again.json()["optimisation"] == run["id"]

    job_id = db.get(FsrsOptimisation, run["id"]).job_id  # type: ignore[union-attr]
    assert client.get("/api/v1/demos", headers=alice.headers).json()["total"] == 0
    assert client.get(f"/api/v1/demos/{job_id}", headers=alice.headers).status_code == 404

    for method, path in (
        ("GET", f"{API}/{run['id']}"),
        ("POST", f"{API}/{run['id']}/adopt"),
        ("POST", f"{API}/{run['id']}/discard"),
    ):
        theirs = client.request(method, path, headers=bob.headers)
        assert theirs.status_code == 404, (method, path)
        assert theirs.headers["content-type"].startswith("application/problem+json")
    assert client.get(API, headers=bob.headers).json() == []

    early = client.post(f"{API}/{run['id']}/adopt", headers=alice.headers)
    assert early.status_code == 409 and "finished" in early.json()["detail"]
    # Discarding a queued fit cancels its job; the weights stay the defaults.
    gone = client.post(f"{API}/{run['id']}/discard", headers=alice.headers).json()
    assert (gone["status"], gone["decision"]) == ("cancelled", "discarded")
    weights = client.get("/api/v1/fsrs/parameters", headers=alice.headers).json()
    assert weights["source"] == "default" and weights["optimisation"] is None
    discarded = client.post(f"{API}/{run['id']}/adopt", headers=alice.headers)
    assert discarded.status_code == 409 and "discarded" in discarded.json()["detail"]


def _log_in(client: TestClient, db: Session, who: ApiUser) -> str:
    from app.web import CSRF_COOKIE, SESSION_COOKIE, sign_csrf

    cookie = make_web_session(db, who.user)
    client.cookies.set(SESSION_COOKIE, cookie)
    client.cookies.set(CSRF_COOKIE, "optimise-csrf")
    return sign_csrf("optimise-csrf", cookie)


def test_pages_start_show_and_discard_an_optimisation(
    client: TestClient, db: Session, alice: ApiUser, bob: ApiUser, close_jobs: None
) -> None:
    csrf = _log_in(client, db, alice)
    page = client.get("/practice/optimise")
    assert page.status_code == 200
    assert "기본 가중치 (FSRS 라이브러리)" in page.text
    assert "512개 이상 있어야 합니다" in page.text and " disabled>" in page.text
    refused = client.post("/practice/optimise", data={"csrf_token": csrf})
    assert refused.status_code == 409 and 'role="alert"' in refused.text

    _with_history(db, alice)
    assert "disabled>" not in client.get("/practice/optimise").text
    started = client.post("/practice/optimise", data={"csrf_token": csrf}, follow_redirects=False)
    assert started.status_code == 303
    url = started.headers["location"]
    assert re.fullmatch(r"/practice/optimise/\d+", url)
    queued = client.get(url + "?lang=en")
    assert '<meta http-equiv="refresh"' in queued.text
    assert "Queued: 0 jobs ahead" in queued.text
    # A second start goes to the one already queued.
    again = client.post("/practice/optimise", data={"csrf_token": csrf}, follow_redirects=False)
    assert again.headers["location"] == url

    _log_in(client, db, bob)
    assert client.get(url).status_code == 404
    csrf = _log_in(client, db, alice)
    done = client.post(url + "/discard", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    shown = client.get(url + "?lang=ko")
    assert "취소된 최적화입니다" in shown.text and "http-equiv" not in shown.text
    assert "#" + url.rsplit("/", 1)[1] in client.get("/practice/optimise").text
    assert "/practice/optimise" in client.get("/practice").text


def test_every_string_of_the_pages_has_its_english() -> None:
    """Every Korean string the optimisation pages and errors show exists in English."""
    table = english()
    found: set[str] = set()
    for name in ("optimise.html", "optimisation.html"):
        text = (ROOT / "templates" / "practice" / name).read_text()
        found |= set(re.findall(r'_\("([^"]+)"', text))
    source = Path(service.__file__).read_text()
    found |= {getattr(service, name) for name in re.findall(r"^([A-Z_]+_PAGE) = ", source, re.M)}
    missing = sorted(s for s in found if s not in table)
    assert not missing, missing
    assert len(found) > 40


def test_the_snapshot_keeps_what_the_optimiser_reads(db: Session, alice: ApiUser) -> None:
    """The optimiser reads a card's first 64 grades: later ones are left out of the job."""
    from datetime import UTC, datetime, timedelta

    from tests.practice.review_history import Grade

    question = question_ids(db, 1)[0]
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    grades = [Grade(question, 3, start + timedelta(days=2 * i), 5_000) for i in range(70)]
    store(db, alice.user.id, grades)
    snapshot = service.grade_snapshot(db, alice.user.id)
    assert (len(snapshot.reviews), snapshot.cards, snapshot.measured) == (64, 1, 63)
    assert snapshot.reviews[-1][2] == int(grades[63].at.timestamp() * 1000)
