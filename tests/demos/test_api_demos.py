"""The demos API without a worker: catalogue, validation, limits, ownership, cancel, events."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.config import get_settings
from tests.demos.conftest import ApiUser
from tests.factories import csrf_for, new_api_user

TINY = {"model": "mlp", "epochs": 1, "train_subset": 2000}


@pytest.fixture
def settings() -> Iterator[object]:
    """The app's settings; limits changed by a test are put back."""
    settings = get_settings()
    saved = settings.model_dump()
    yield settings
    for key in ("user_active_jobs", "queue_cap"):
        setattr(settings, key, saved[key])


def post(client: TestClient, user: ApiUser, **body: object) -> object:
    return client.post("/api/v1/demos", json=body, headers=user.headers)


def test_experiments_are_public_with_schemas_and_questions(client: TestClient) -> None:
    r = client.get("/api/v1/experiments")
    assert r.status_code == 200
    by_slug = {e["slug"]: e for e in r.json()}
    arch = by_slug["architecture"]
    assert "deep-learning/18" in arch["questions"]
    assert arch["params"]["properties"]["model"]["enum"] == ["mlp", "cnn"]
    assert arch["params"]["properties"]["model"]["default"] == "cnn"
    assert arch["compare_param"] == "model"
    assert arch["title"]["en"] and arch["title"]["ko"]
    assert {"activations", "optimizers", "batch-size"} <= set(by_slug)


def test_experiments_answer_forty_of_the_seed_questions_each_saying_what_to_look_at(
    client: TestClient,
) -> None:
    import re

    from tests.conftest import ROOT

    seed = re.findall(r"^## #(\S+)", (ROOT / "content" / "deep-learning.md").read_text(), re.M)
    assert len(seed) == 47
    listed = client.get("/api/v1/experiments").json()
    linked = {q for e in listed for q in e["questions"]}
    assert linked <= {f"deep-learning/{n}" for n in seed}
    assert len(linked) >= 40
    for experiment in listed:
        assert [a["question"] for a in experiment["answers"]] == experiment["questions"]
        assert all(a["look"]["ko"] and a["look"]["en"] for a in experiment["answers"])
        assert 0 < experiment["default_estimate_s"] <= 30


def test_queueing_needs_an_account(client: TestClient) -> None:
    r = client.post("/api/v1/demos", json={"experiment": "architecture"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


def test_queue_run_returns_202_location_and_filled_params(
    client: TestClient, alice: ApiUser
) -> None:
    r = post(client, alice, experiment="architecture", params=TINY)
    assert r.status_code == 202, r.text
    body = r.json()
    assert r.headers["location"] == f"/api/v1/demos/{body['id']}"
    assert body["status"] == "queued"
    assert body["params"]["model"] == "mlp"
    assert body["params"]["seed"] == 0  # defaults filled in
    assert body["compare"] is None and body["result"] is None
    assert body["links"]["events"] == f"/api/v1/demos/{body['id']}/events"
    again = client.get(r.headers["location"], headers=alice.headers)
    assert again.status_code == 200 and again.json()["id"] == body["id"]


@pytest.mark.parametrize(
    ("body", "param", "loc"),
    [
        (
            {"experiment": "architecture", "params": {"epochs": 0}},
            "epochs",
            ["body", "params", "epochs"],
        ),
        (
            {"experiment": "architecture", "params": {"model": "rnn"}},
            "model",
            ["body", "params", "model"],
        ),
        ({"experiment": "architecture", "params": {"gpus": 8}}, "gpus", ["body", "params", "gpus"]),
        ({"experiment": "architecture", "params": {"lr": "fast"}}, "lr", ["body", "params", "lr"]),
        ({"experiment": "nope"}, "experiment", ["body", "experiment"]),
        (
            {"experiment": "activations", "compare": ["relu", "swish"]},
            "activation",
            ["body", "compare", "1", "activation"],
        ),
        (
            {"experiment": "activations", "compare": [{"depth": 2}, {"depth": 99}]},
            "depth",
            ["body", "compare", "1", "depth"],
        ),
    ],
)
def test_bad_parameters_are_422_naming_the_parameter(
    client: TestClient, alice: ApiUser, body: dict[str, object], param: str, loc: list[str]
) -> None:
    r = client.post("/api/v1/demos", json=body, headers=alice.headers)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert problem["param"] == param
    assert problem["errors"][0]["loc"] == loc
    assert param in problem["detail"]


def test_a_queued_run_knows_its_place_in_the_queue(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    first = post(client, alice, experiment="architecture", params={**TINY, "seed": 101}).json()
    second = post(client, bob, experiment="architecture", params={**TINY, "seed": 102}).json()
    ahead = second["queue_position"] - first["queue_position"]
    assert ahead == 1 and first["queue_position"] >= 0
    client.post(f"/api/v1/demos/{first['id']}/cancel", headers=alice.headers)
    again = client.get(f"/api/v1/demos/{second['id']}", headers=bob.headers).json()
    assert again["queue_position"] == second["queue_position"] - 1


def test_a_run_that_cannot_finish_in_time_is_422_with_the_largest_value_that_fits(
    client: TestClient, alice: ApiUser
) -> None:
    # overfitting at its maximum needs far more than the 300 s a job may run on a CPU worker.
    params = {"train_subset": 58000, "epochs": 100, "width": 1024, "depth": 4}
    r = post(client, alice, experiment="overfitting", params=params)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["param"] == "epochs"
    assert problem["errors"][0]["loc"] == ["body", "params", "epochs"]
    assert problem["limit_s"] == 300 and problem["estimate_s"] > 300
    assert f"the largest epochs that fits is {problem['largest']}" in problem["detail"]
    korean = problem["messages"]["ko"]
    assert (
        "데모 작업 한도 300초" in korean and f"가장 큰 epochs 값은 {problem['largest']}" in korean
    )
    # The suggested value is accepted.
    fits = post(client, alice, experiment="overfitting",
                params={**params, "epochs": problem["largest"]})  # fmt: skip
    assert fits.status_code == 202, fits.text
    # A comparison counts every variant: each alone fits, four together do not.
    big = {**params, "epochs": problem["largest"]}
    r = post(client, alice, experiment="overfitting", params=big,
             compare=[0.0, 0.001, 0.01, 0.1])  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "compare"]


@pytest.mark.parametrize(
    "compare", [["relu"], ["relu", "tanh", "sigmoid", "leaky_relu", "relu"], ["relu", "relu"]]
)
def test_comparisons_take_two_to_four_distinct_variants(
    client: TestClient, alice: ApiUser, compare: list[str]
) -> None:
    r = post(client, alice, experiment="activations", compare=compare)
    assert r.status_code == 422, r.text


def test_comparison_stores_full_variants(client: TestClient, alice: ApiUser) -> None:
    r = post(
        client,
        alice,
        experiment="activations",
        params={"depth": 3},
        compare=["sigmoid", {"activation": "relu", "lr": 0.1}],
    )
    assert r.status_code == 202, r.text
    variants = r.json()["compare"]
    assert [v["activation"] for v in variants] == ["sigmoid", "relu"]
    assert [v["depth"] for v in variants] == [3, 3]
    assert variants[1]["lr"] == 0.1


def test_runs_are_private_to_their_owner(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    job_id = post(client, alice, experiment="architecture", params=TINY).json()["id"]
    for path in ("", "/events", "/model"):
        assert client.get(f"/api/v1/demos/{job_id}{path}", headers=bob.headers).status_code == 404
    assert client.post(f"/api/v1/demos/{job_id}/cancel", headers=bob.headers).status_code == 404
    assert job_id not in [
        j["id"] for j in client.get("/api/v1/demos", headers=bob.headers).json()["items"]
    ]
    mine = client.get("/api/v1/demos", headers=alice.headers).json()
    assert mine["items"][0]["id"] == job_id and mine["total"] >= 1


def test_history_is_paginated_newest_first(client: TestClient, alice: ApiUser) -> None:
    ids = []
    for _ in range(3):
        ids.append(post(client, alice, experiment="architecture", params=TINY).json()["id"])
        client.post(f"/api/v1/demos/{ids[-1]}/cancel", headers=alice.headers)
    page = client.get("/api/v1/demos?limit=2&offset=1", headers=alice.headers).json()
    assert [j["id"] for j in page["items"]] == [ids[1], ids[0]]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)


def test_per_user_limit_is_429_with_retry_after(
    client: TestClient, alice: ApiUser, bob: ApiUser, settings: object
) -> None:
    limit = get_settings().user_active_jobs
    for _ in range(limit):
        assert post(client, alice, experiment="architecture", params=TINY).status_code == 202
    r = post(client, alice, experiment="architecture", params=TINY)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    assert r.json()["scope"] == "user"
    # Others are not limited by alice's runs; a cancel frees alice's slot.
    assert post(client, bob, experiment="architecture", params=TINY).status_code == 202
    first = client.get("/api/v1/demos", headers=alice.headers).json()["items"][0]["id"]
    client.post(f"/api/v1/demos/{first}/cancel", headers=alice.headers)
    assert post(client, alice, experiment="architecture", params=TINY).status_code == 202


def test_full_queue_is_429_with_retry_after(
    client: TestClient, db: Session, alice: ApiUser, settings: object
) -> None:
    assert post(client, alice, experiment="architecture", params=TINY).status_code == 202
    from app.demos import repository as repo

    get_settings().queue_cap = repo.count_queued_jobs(db)
    r = post(client, new_api_user(db), experiment="architecture", params=TINY)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    assert r.json()["scope"] == "queue"


def test_cancel_of_a_queued_run_is_immediate(client: TestClient, alice: ApiUser) -> None:
    job_id = post(client, alice, experiment="architecture", params=TINY).json()["id"]
    r = client.post(f"/api/v1/demos/{job_id}/cancel", headers=alice.headers)
    assert r.status_code == 202
    assert r.json()["status"] == "cancelled"
    # Cancelling again changes nothing.
    again = client.post(f"/api/v1/demos/{job_id}/cancel", headers=alice.headers)
    assert again.json()["status"] == "cancelled"
    assert client.get(f"/api/v1/demos/{job_id}/model", headers=alice.headers).status_code == 409


def test_events_of_an_ended_run_replay_and_resume(client: TestClient, alice: ApiUser) -> None:
    job_id = post(client, alice, experiment="architecture", params=TINY).json()["id"]
    client.post(f"/api/v1/demos/{job_id}/cancel", headers=alice.headers)
    r = client.get(f"/api/v1/demos/{job_id}/events", headers=alice.headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    assert "id: 1\nevent: queued\n" in r.text
    assert "id: 2\nevent: cancelled\n" in r.text
    resumed = client.get(
        f"/api/v1/demos/{job_id}/events", headers={**alice.headers, "Last-Event-ID": "1"}
    )
    assert "event: queued" not in resumed.text and "event: cancelled" in resumed.text


def test_cookie_session_posts_need_the_csrf_header(client: TestClient, db: Session) -> None:
    from tests.factories import make_user, make_web_session

    cookie = make_web_session(db, make_user(db))
    client.cookies.set("mogi_session", cookie)
    client.cookies.set("mogi_csrf", "token-1")
    body = {"experiment": "architecture", "params": TINY}
    assert client.post("/api/v1/demos", json=body).status_code == 403
    r = client.post("/api/v1/demos", json=body, headers={"X-CSRF-Token": csrf_for(client)})
    assert r.status_code == 202, r.text


def test_concurrent_posts_respect_the_per_user_limit(live_server: str, alice: ApiUser) -> None:
    """Simultaneous requests of one user: each gets 202 or 429 (no lock error), and exactly the
    limit gets through."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    body = {"experiment": "architecture", "params": TINY}

    def attempt(_: int) -> int:
        r = httpx.post(f"{live_server}/api/v1/demos", json=body, headers=alice.headers, timeout=30)
        return r.status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(attempt, range(6)))
    assert sorted(codes) == [202] * get_settings().user_active_jobs + [429] * (
        6 - get_settings().user_active_jobs
    )


@pytest.mark.parametrize(
    ("params", "compare", "korean"),
    [
        ({"epochs": 999}, None, "이하여야 합니다 (받은 값: 999)"),
        ({"epochs": 0}, None, "1 이상이어야 합니다"),
        ({"epochs": "many"}, None, "정수여야 합니다"),
        ({"epochs": True}, None, "참/거짓이 아닌 숫자여야 합니다"),
        ({"activation": "swish"}, None, "중 하나여야 합니다"),
        ({"colour": "red"}, None, "activations에 없는 파라미터입니다"),
        ({}, ["relu", "relu"], "서로 달라야 합니다"),
    ],
)
def test_a_refused_parameter_is_explained_in_korean_too(
    client: TestClient,
    alice: ApiUser,
    params: dict[str, object],
    compare: list[str] | None,
    korean: str,
) -> None:
    body: dict[str, object] = {"experiment": "activations", "params": params}
    if compare is not None:
        body["compare"] = compare
    r = client.post("/api/v1/demos", json=body, headers=alice.headers)
    assert r.status_code == 422, r.text
    ko = r.json()["messages"]["ko"]
    assert korean in ko
    # The whole sentence is Korean: no English reason is left inside it.
    for english in ("must be", "expected", "unknown", "Input should", "would take", "differ"):
        assert english not in ko, ko
