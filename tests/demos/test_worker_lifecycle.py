"""A worker's life around its jobs: hand-backs that keep the job's attempts, a worker that
leaves at once when stopped, `mogi serve --with-worker` that never leaves its worker behind,
runs that say when no worker is there to run them, and jobs that give way to requests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from tests.conftest import ROOT, free_port, subprocess_env, wait_http
from tests.demos.conftest import (
    LONG,
    TEST_LEASE_S,
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


def _hand_back_now(worker: WorkerProcess) -> None:
    """Stop the worker as a rolling restart would, without the grace period."""
    worker.proc.send_signal(signal.SIGTERM)
    worker.wait_log('"stopping"')
    worker.proc.send_signal(signal.SIGTERM)  # a second signal: hand back at once
    assert worker.proc.wait(timeout=20) == 0


def _wait_progress_of_attempt(client: TestClient, user: ApiUser, job_id: int, attempt: int) -> None:
    wait_for(
        lambda: (run := job_status(client, user, job_id))["attempt"] == attempt and run["progress"],
        what=f"progress of attempt {attempt}",
    )


def test_a_job_trains_below_the_priority_of_its_worker(
    client: TestClient, alice: ApiUser, start_worker: StartWorker
) -> None:
    """The training child is niced, so pages served from the same cores come first; the worker,
    which writes to the database, keeps its own priority."""
    worker = start_worker()
    job_id = submit(client, alice, fresh(LONG))
    wait_for(lambda: job_status(client, alice, job_id)["progress"], what="progress")
    (child,) = worker.children()
    niceness = os.getpriority(os.PRIO_PROCESS, child) - os.getpriority(os.PRIO_PROCESS, worker.pid)
    client.post(f"/api/v1/demos/{job_id}/cancel", headers=alice.headers)
    assert wait_status(client, alice, job_id, ("cancelled",), timeout=30)
    assert niceness == 10
    assert os.getpriority(os.PRIO_PROCESS, worker.pid) == os.getpriority(os.PRIO_PROCESS, 0)


@pytest.mark.slow
def test_two_graceful_hand_backs_and_a_crash_leave_the_job_runnable(
    client: TestClient, alice: ApiUser, start_worker: StartWorker
) -> None:
    job_id = submit(client, alice, fresh(LONG))
    for attempt in (1, 2):  # two rolling restarts
        worker = start_worker()
        _wait_progress_of_attempt(client, alice, job_id, attempt)
        _hand_back_now(worker)
        run = job_status(client, alice, job_id)
        assert run["status"] == "queued" and run["attempt"] == attempt
    crashing = start_worker()
    _wait_progress_of_attempt(client, alice, job_id, 3)
    os.kill(crashing.pid, signal.SIGKILL)  # one real crash: the only lost worker
    crashing.proc.wait(timeout=10)
    rescuer = start_worker()
    # max_attempts is 3, and 3 claims were made: only the crash counts, so it runs again.
    _wait_progress_of_attempt(client, alice, job_id, 4)
    assert job_status(client, alice, job_id)["status"] == "running"
    kinds = [e.kind for e in event_rows(job_id)]
    assert kinds.count("requeued") == 2 and "failed" not in kinds
    client.post(f"/api/v1/demos/{job_id}/cancel", headers=alice.headers)
    assert wait_status(client, alice, job_id, ("cancelled",), timeout=30)
    rescuer.stop()


def test_a_stopped_worker_exits_within_a_second_of_saying_so(start_worker: StartWorker) -> None:
    worker = start_worker()
    worker.proc.send_signal(signal.SIGTERM)
    worker.wait_log('"worker stopped"', timeout=10)
    said_at = time.monotonic()
    worker.proc.wait(timeout=10)
    assert time.monotonic() - said_at < 1.0


def test_runs_without_a_live_worker_say_they_wait_for_one(
    client: TestClient, alice: ApiUser, start_worker: StartWorker
) -> None:
    from app.db import session_factory
    from app.demos.models import DemoWorker

    with session_factory().begin() as session:  # no worker of an earlier test is running
        session.execute(delete(DemoWorker))
    job_id = submit(client, alice, fresh(LONG))
    run = job_status(client, alice, job_id)
    assert run["status"] == "queued" and run["waiting_for_worker"] is True
    worker = start_worker()
    _wait_progress_of_attempt(client, alice, job_id, 1)
    assert job_status(client, alice, job_id)["waiting_for_worker"] is False
    os.kill(worker.pid, signal.SIGKILL)
    worker.proc.wait(timeout=10)
    # Once the dead worker's lease lapses the run is still `running`, but says it waits.
    run = wait_for(
        lambda: (r := job_status(client, alice, job_id))["waiting_for_worker"] and r,
        timeout=float(TEST_LEASE_S) + 10,
        what="the run to wait for a worker",
    )
    assert run["status"] == "running"


# ---- mogi serve --with-worker ------------------------------------------------------------------


@pytest.fixture
def serve_with_worker(database_url: str, data_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`mogi serve --with-worker` on this run's database; its base URL as proc.args[-1]."""
    port = free_port()
    log_path = data_dir / f"serve-worker-{port}.log"
    env = subprocess_env(MOGI_JOB_LEASE_S=TEST_LEASE_S, MOGI_WORKER_POLL_S="0.1")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--with-worker"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    proc.base_url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    proc.log_path = log_path  # type: ignore[attr-defined]
    wait_http(proc.base_url + "/healthz", proc=proc)  # type: ignore[attr-defined]
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _worker_of(serve: subprocess.Popen[bytes]) -> int:
    def child() -> int | None:
        path = Path(f"/proc/{serve.pid}/task/{serve.pid}/children")
        pids = [int(p) for p in path.read_text().split()] if path.exists() else []
        return pids[0] if pids else None

    return int(wait_for(child, what="the worker process"))


def _log(serve: subprocess.Popen[bytes]) -> str:
    return Path(serve.log_path).read_text(errors="replace")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "how",
    [
        pytest.param(signal.SIGTERM, id="sigterm"),
        pytest.param(signal.SIGKILL, id="sigkill", marks=pytest.mark.slow),
    ],
)
def test_serve_with_worker_never_leaves_its_worker_behind(
    serve_with_worker: subprocess.Popen[bytes], alice: ApiUser, how: signal.Signals
) -> None:
    base = serve_with_worker.base_url  # type: ignore[attr-defined]
    api = httpx.Client(base_url=base, timeout=10)
    worker_pid = _worker_of(serve_with_worker)
    wait_for(lambda: '"worker started"' in _log(serve_with_worker), 120, what="a warm worker")
    job_id = submit(api, alice, fresh(LONG))
    wait_for(lambda: job_status(api, alice, job_id)["progress"], what="progress")
    serve_with_worker.send_signal(how)
    serve_with_worker.wait(timeout=30)
    # The worker goes with it, and the job it was running goes back to the queue.
    wait_for(lambda: not pid_alive(worker_pid), timeout=15, what="the worker to exit")
    kinds = [e.kind for e in event_rows(job_id)]
    assert kinds[-1] == "requeued", kinds
    from app.db import session_factory
    from app.demos.models import DemoJob

    with session_factory()() as session:
        job = session.get(DemoJob, job_id)
        assert job is not None and job.status == "queued" and job.handbacks == 1
