"""A real `mogi worker` process runs queued runs: results, cancel, comparisons, cache, SSE."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.demos.conftest import (
    LONG,
    TINY,
    ApiUser,
    WorkerProcess,
    event_rows,
    fresh,
    job_status,
    pid_alive,
    submit,
    wait_for,
    wait_status,
)

pytestmark = [pytest.mark.worker, pytest.mark.shared("mnist")]


def test_run_finishes_with_real_accuracy(
    client: TestClient, alice: ApiUser, worker: WorkerProcess
) -> None:
    params = fresh(TINY)
    job_id = submit(client, alice, params)
    run = wait_status(client, alice, job_id, ("finished", "failed"))
    assert run["status"] == "finished", run["error"]
    result = run["result"]
    # Chance is 10%; one epoch on 5,000 images gets an MLP past 85%.
    assert result["test_accuracy"] > 0.85
    assert run["test_accuracy"] == result["test_accuracy"]
    assert result["device"] == "cpu" and result["torch_version"].startswith("2.")
    assert sum(map(sum, result["confusion_matrix"])) == 10_000
    assert "inference" not in result
    assert (run["attempt"], run["device_kind"], run["cached_from"]) == (1, "cpu", None)
    epochs = [p["epoch"] for p in run["progress"]]
    assert epochs == sorted(epochs) and epochs[-1] == 1.0
    assert all(p["variant"] == 0 and p["loss"] > 0 for p in run["progress"])
    assert [e.kind for e in event_rows(job_id)][:2] == ["queued", "started"]
    assert [e.kind for e in event_rows(job_id)][-1] == "finished"


def test_model_weights_are_served_and_cacheable(
    client: TestClient, alice: ApiUser, worker: WorkerProcess
) -> None:
    job_id = submit(client, alice, fresh(TINY))
    wait_status(client, alice, job_id, ("finished",))
    r = client.get(f"/api/v1/demos/{job_id}/model", headers=alice.headers)
    assert r.status_code == 200
    ops = [layer["op"] for layer in r.json()["layers"]]
    assert "linear" in ops
    assert "private" in r.headers["cache-control"] and r.headers["etag"]
    again = client.get(
        f"/api/v1/demos/{job_id}/model",
        headers={**alice.headers, "If-None-Match": r.headers["etag"]},
    )
    assert again.status_code == 304
    missing = client.get(f"/api/v1/demos/{job_id}/model?variant=1", headers=alice.headers)
    assert missing.status_code == 404


def test_identical_run_is_served_from_the_stored_result(
    client: TestClient, alice: ApiUser, bob: ApiUser, worker: WorkerProcess
) -> None:
    params = fresh(TINY)
    first = wait_status(client, alice, submit(client, alice, params), ("finished",))
    # Answered at once, when it is submitted: no queue, no worker.
    r = client.post(
        "/api/v1/demos", json={"experiment": "architecture", "params": params}, headers=bob.headers
    )
    assert r.status_code == 202 and r.json()["status"] == "finished"
    second_id = r.json()["id"]
    second = wait_status(client, bob, second_id, ("finished",))
    assert second["cached_from"] == first["id"]
    assert second["cached_from_at"] is not None
    assert second["result"]["test_accuracy"] == first["result"]["test_accuracy"]
    assert len(second["progress"]) == len(first["progress"])
    # A different seed is a different run.
    third = wait_status(client, alice, submit(client, alice, fresh(TINY)), ("finished",))
    assert third["cached_from"] is None


def test_comparison_trains_each_variant(
    client: TestClient, alice: ApiUser, worker: WorkerProcess
) -> None:
    params = fresh({**TINY, "train_subset": 2000})
    job_id = submit(client, alice, params, compare=[{"mlp_width": 32}, {"mlp_width": 64}])
    run = wait_status(client, alice, job_id, ("finished", "failed"))
    assert run["status"] == "finished", run["error"]
    variants = run["result"]["variants"]
    assert [v["params"]["mlp_width"] for v in variants] == [32, 64]
    assert all(v["test_accuracy"] > 0.5 for v in variants)
    assert variants[0]["params_count"] < variants[1]["params_count"]
    assert {p["variant"] for p in run["progress"]} == {0, 1}
    for variant in (0, 1):
        r = client.get(f"/api/v1/demos/{job_id}/model?variant={variant}", headers=alice.headers)
        assert r.status_code == 200


def test_cancel_stops_a_running_job_within_seconds(
    client: TestClient, alice: ApiUser, worker: WorkerProcess
) -> None:
    job_id = submit(client, alice, fresh(LONG))
    wait_for(lambda: job_status(client, alice, job_id)["progress"], what="first progress")
    children = worker.children()
    assert len(children) == 1 and pid_alive(children[0])
    asked = time.monotonic()
    r = client.post(f"/api/v1/demos/{job_id}/cancel", headers=alice.headers)
    assert r.status_code == 202 and r.json()["cancel_requested"] is True
    run = wait_status(client, alice, job_id, ("cancelled", "finished", "failed"), timeout=30)
    took = time.monotonic() - asked
    assert run["status"] == "cancelled"
    assert took < 3.0, f"cancel took {took:.1f}s"
    wait_for(lambda: not pid_alive(children[0]), timeout=5, what="the child to exit")
    assert run["result"] is None
    assert run["progress"][-1]["epoch"] < LONG["epochs"]
    kinds = [e.kind for e in event_rows(job_id)]
    assert kinds[-1] == "cancelled" and "finished" not in kinds


def test_events_stream_in_order_and_resume(
    live_server: str, alice: ApiUser, worker: WorkerProcess
) -> None:
    with httpx.Client(base_url=live_server, headers=alice.headers, timeout=60) as http:
        job_id = submit(http, alice, fresh(TINY))
        events = read_sse(http, f"/api/v1/demos/{job_id}/events")
        kinds = [kind for _, kind, _ in events]
        assert kinds[:2] == ["queued", "started"]
        assert kinds[-1] == "finished"
        assert set(kinds[2:-1]) == {"progress"} and len(kinds) >= 4
        ids = [event_id for event_id, _, _ in events]
        assert ids == list(range(1, len(ids) + 1))
        progress = [data for _, kind, data in events if kind == "progress"]
        assert all("loss" in p and "epoch" in p for p in progress)
        # Reconnecting with Last-Event-ID sends only what came after it.
        resumed = read_sse(
            http, f"/api/v1/demos/{job_id}/events", headers={"Last-Event-ID": str(ids[1])}
        )
        assert [event_id for event_id, _, _ in resumed] == ids[2:]


def read_sse(
    http: httpx.Client, path: str, headers: dict[str, str] | None = None
) -> list[tuple[int, str, dict[str, Any]]]:
    """Every event of an SSE stream until the server closes it: (id, event, data)."""
    events: list[tuple[int, str, dict[str, Any]]] = []
    fields: dict[str, str] = {}
    with http.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if not line:
                if "event" in fields:
                    events.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
    return events
