"""Fixtures of the demos tests: real `mogi worker` processes, a clean queue."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from tests.conftest import ROOT, subprocess_env
from tests.factories import ApiUser

# Short leases so that a lost worker's job comes back within seconds in tests.
TEST_LEASE_S = "2"
WORKER_READY_TIMEOUT_S = 120.0


@pytest.fixture(autouse=True)
def clean_queue(database_url: str) -> Iterator[None]:
    """Close jobs an earlier test left queued or running, so no worker picks them up."""
    _close_active_jobs()
    yield
    _close_active_jobs()


def _close_active_jobs() -> None:
    from app.db import session_factory
    from app.demos.models import DemoJob

    with session_factory().begin() as session:
        session.execute(
            update(DemoJob)
            .where(DemoJob.status.in_(("queued", "running")))
            .values(status="cancelled", cancel_requested=True)
            .execution_options(synchronize_session=False)
        )


@dataclass
class WorkerProcess:
    """A `mogi worker` subprocess and its log."""

    proc: subprocess.Popen[bytes]
    log_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = WORKER_READY_TIMEOUT_S) -> None:
        """Wait until the worker has torch and MNIST loaded and polls the queue."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if '"worker started"' in self.log():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited with {self.proc.returncode}:\n{self.log()}")
            time.sleep(0.1)
        raise RuntimeError(f"worker not ready after {timeout}s:\n{self.log()}")

    def wait_log(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not in the worker's log after {timeout}s:\n{self.log()}")

    def children(self) -> list[int]:
        """Pids of this worker's child processes (its training runs)."""
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


StartWorker = Callable[..., WorkerProcess]


def spawn_worker(
    data_dir: Path, *, ready: bool = True, args: Sequence[str] = (), **env: str
) -> WorkerProcess:
    """A real worker (`python -m app.cli worker ARGS`) on this run's database, short leases."""
    settings = {"MOGI_JOB_LEASE_S": TEST_LEASE_S, "MOGI_WORKER_POLL_S": "0.1", **env}
    log_path = data_dir / f"worker-{time.monotonic_ns()}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker", *args],
            cwd=ROOT,
            env=subprocess_env(**settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    worker = WorkerProcess(proc=proc, log_path=log_path, extra_env=settings)
    if ready:
        try:
            worker.wait_ready()
        except BaseException:
            worker.stop()
            raise
    return worker


@pytest.fixture
def start_worker(database_url: str, data_dir: Path) -> Iterator[StartWorker]:
    """Start workers for one test; all are stopped afterwards."""
    started: list[WorkerProcess] = []

    def start(ready: bool = True, args: Sequence[str] = (), **env: str) -> WorkerProcess:
        worker = spawn_worker(data_dir, ready=False, args=args, **env)
        started.append(worker)
        if ready:
            worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(scope="module")
def worker(database_url: str, data_dir: Path) -> Iterator[WorkerProcess]:
    """One warm worker shared by a module's tests."""
    process = spawn_worker(data_dir)
    yield process
    process.stop()


def wait_for(
    predicate: Callable[[], Any], timeout: float = 60.0, interval: float = 0.05, what: str = ""
) -> Any:
    """Poll until predicate() is truthy; its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")


def job_status(client: httpx.Client | Any, user: ApiUser, job_id: int) -> dict[str, Any]:
    r = client.get(f"/api/v1/demos/{job_id}", headers=user.headers)
    assert r.status_code == 200, r.text
    return r.json()


_seeds = iter(range(random.randrange(1000, 10**6), 2**31))

# A real run that takes a second or two: 5,000 training images, one epoch of an MLP.
TINY = {"model": "mlp", "epochs": 1, "train_subset": 5000, "batch_size": 64}
# A run long enough to be stopped in the middle (tens of seconds).
LONG = {"model": "mlp", "epochs": 5, "train_subset": 60000, "batch_size": 64}


def fresh(params: dict[str, Any]) -> dict[str, Any]:
    """params with a seed no other run of this test session used (so no cached result)."""
    return {**params, "seed": next(_seeds)}


def submit(client: Any, user: ApiUser, params: dict[str, Any], **body: Any) -> int:
    """Queue an `architecture` run through the API; its id."""
    r = client.post(
        "/api/v1/demos",
        json={"experiment": "architecture", "params": params, **body},
        headers=user.headers,
    )
    assert r.status_code == 202, r.text
    return int(r.json()["id"])


def wait_status(
    client: Any, user: ApiUser, job_id: int, statuses: tuple[str, ...], timeout: float = 90.0
) -> dict[str, Any]:
    """Poll the run until its status is one of statuses; the run."""
    return wait_for(
        lambda: (j := job_status(client, user, job_id))["status"] in statuses and j,
        timeout=timeout,
        what=f"run {job_id} to be {statuses}",
    )


def event_rows(job_id: int) -> list[Any]:
    """The run's events straight from the database."""
    from app.db import session_factory
    from app.demos import repository as repo

    with session_factory()() as session:
        return list(repo.list_events(session, job_id))


def pid_alive(pid: int) -> bool:
    """Whether pid is a live process (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
