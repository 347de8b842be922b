"""Workers that die, freeze, stop or compete: a job still commits exactly one result."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.config import get_settings
from tests.demos.conftest import (
    LONG,
    TINY,
    ApiUser,
    StartWorker,
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

# Long enough to be caught in the middle, short enough to run again after a failover.
MEDIUM = {**TINY, "train_subset": 20000}


@pytest.fixture
def many_runs_allowed() -> Iterator[None]:
    settings = get_settings()
    saved = settings.user_active_jobs
    settings.user_active_jobs = 100
    yield
    settings.user_active_jobs = saved


def owner_of(job_id: int) -> str | None:
    started = [e for e in event_rows(job_id) if e.kind == "started"]
    return started[-1].data["worker"] if started else None


def worker_owner(worker: WorkerProcess) -> str:
    return f":{worker.pid}:"


def wait_running_on(client: TestClient, user: ApiUser, job_id: int, worker: WorkerProcess) -> None:
    wait_for(lambda: worker_owner(worker) in (owner_of(job_id) or ""), what="the claim")


def finished_once(job_id: int) -> list[str]:
    """Kinds of the run's events, after checking that exactly one attempt finished it."""
    kinds = [e.kind for e in event_rows(job_id)]
    assert kinds.count("finished") == 1, kinds
    assert kinds[-1] == "finished"
    return kinds


@pytest.mark.slow
def test_killed_worker_leaves_exactly_one_result_after_a_restart(
    client: TestClient, alice: ApiUser, start_worker: StartWorker
) -> None:
    first = start_worker()
    job_id = submit(client, alice, fresh(MEDIUM))
    wait_for(lambda: job_status(client, alice, job_id)["progress"], what="first progress")
    children = first.children()
    os.kill(first.pid, signal.SIGKILL)
    first.proc.wait(timeout=10)
    # The kernel stops the orphaned child too: nothing keeps training for a dead worker.
    wait_for(lambda: not any(pid_alive(pid) for pid in children), timeout=5, what="child exit")
    assert job_status(client, alice, job_id)["status"] == "running"  # until the lease lapses
    second = start_worker()
    run = wait_status(client, alice, job_id, ("finished", "failed"))
    assert run["status"] == "finished", run["error"]
    assert run["attempt"] == 2 and run["result"]["test_accuracy"] > 0.85
    finished_once(job_id)
    owners = [e.data["worker"] for e in event_rows(job_id) if e.kind == "started"]
    assert [worker_owner(first) in owners[0], worker_owner(second) in owners[1]] == [True, True]
    # The progress shown is the finishing attempt's own.
    assert all(p["attempt"] == 2 for p in run["progress"])


@pytest.mark.slow
def test_two_workers_never_run_one_job_twice(
    client: TestClient, alice: ApiUser, start_worker: StartWorker, many_runs_allowed: None
) -> None:
    # Leases far longer than a run: any second attempt here would be a double claim.
    workers = [start_worker(MOGI_JOB_LEASE_S="30") for _ in range(2)]
    job_ids = [submit(client, alice, fresh({**TINY, "train_subset": 2000})) for _ in range(8)]
    runs = [wait_status(client, alice, job_id, ("finished", "failed")) for job_id in job_ids]
    assert [r["status"] for r in runs] == ["finished"] * 8
    assert [r["attempt"] for r in runs] == [1] * 8
    for job_id in job_ids:
        kinds = finished_once(job_id)
        assert kinds.count("started") == 1
    owners = {owner_of(job_id) for job_id in job_ids}
    assert {any(worker_owner(w) in (o or "") for o in owners) for w in workers} == {True}


@pytest.mark.slow
def test_frozen_worker_loses_its_lease_and_its_late_writes(
    client: TestClient, alice: ApiUser, start_worker: StartWorker
) -> None:
    frozen = start_worker()
    job_id = submit(client, alice, fresh(MEDIUM))
    wait_running_on(client, alice, job_id, frozen)
    os.kill(frozen.pid, signal.SIGSTOP)
    try:
        rescuer = start_worker()
        run = wait_status(client, alice, job_id, ("finished", "failed"))
    finally:
        os.kill(frozen.pid, signal.SIGCONT)
    assert run["status"] == "finished" and run["attempt"] == 2
    assert worker_owner(rescuer) in (owner_of(job_id) or "")
    # Woken up, the frozen worker finds the job is no longer its own and writes nothing.
    frozen.wait_log("lost the lease")
    wait_for(lambda: not frozen.children(), timeout=10, what="the frozen worker's child to stop")
    assert frozen.proc.poll() is None  # it lives on as a healthy worker
    finished_once(job_id)
    late = [e for e in event_rows(job_id) if e.attempt == 1 and e.kind != "started"]
    rescue_started = next(e.seq for e in event_rows(job_id) if e.attempt == 2)
    assert all(e.seq < rescue_started for e in late)


def test_sigterm_hands_a_running_job_back_and_exits(
    client: TestClient, alice: ApiUser, start_worker: StartWorker
) -> None:
    worker = start_worker()
    job_id = submit(client, alice, fresh(LONG))
    wait_for(lambda: job_status(client, alice, job_id)["progress"], what="first progress")
    children = worker.children()
    worker.proc.terminate()
    assert worker.proc.wait(timeout=20) == 0
    assert not any(pid_alive(pid) for pid in children)
    run = job_status(client, alice, job_id)
    assert run["status"] == "queued" and run["attempt"] == 1
    assert [e.kind for e in event_rows(job_id)][-1] == "requeued"


def test_time_limit_stops_the_job_and_fails_it(
    client: TestClient, alice: ApiUser, start_worker: StartWorker
) -> None:
    worker = start_worker(MOGI_JOB_TIME_LIMIT_S="2")
    job_id = submit(client, alice, fresh(LONG))
    run = wait_status(client, alice, job_id, ("finished", "failed", "cancelled"), timeout=30)
    assert run["status"] == "failed"
    assert "time limit" in run["error"] and "MOGI_JOB_TIME_LIMIT_S" in run["error"]
    assert run["attempt"] == 1  # a time limit is final, not retried
    wait_for(lambda: not worker.children(), timeout=5, what="the child to stop")
    assert [e.kind for e in event_rows(job_id)][-1] == "failed"


def test_one_worker_runs_jobs_side_by_side_with_concurrency(
    client: TestClient, alice: ApiUser, start_worker: StartWorker
) -> None:
    worker = start_worker(args=["--concurrency", "2"])
    job_ids = [submit(client, alice, fresh(LONG)) for _ in range(2)]
    for job_id in job_ids:
        wait_for(lambda j=job_id: job_status(client, alice, j)["progress"], what="progress")
    assert len(worker.children()) == 2
    assert {owner_of(job_id) for job_id in job_ids} == {owner_of(job_ids[0])}
    for job_id in job_ids:
        client.post(f"/api/v1/demos/{job_id}/cancel", headers=alice.headers)
    for job_id in job_ids:
        assert wait_status(client, alice, job_id, ("cancelled",), timeout=30)
    wait_for(lambda: not worker.children(), timeout=5, what="the children to stop")


def test_worker_without_mnist_exits_saying_what_to_set(
    tmp_path: object, start_worker: StartWorker
) -> None:
    worker = start_worker(ready=False, MOGI_MNIST_DIR=str(tmp_path))
    assert worker.proc.wait(timeout=120) == 2
    assert "MOGI_MNIST_DIR" in worker.log() and "worker cannot start" in worker.log()
