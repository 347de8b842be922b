"""`mogi worker`: run demo jobs from the queue, each in a child process of a warm parent.

One thread drives everything: it claims jobs while it has free slots, forwards each child's
progress events to the database with a heartbeat that also extends the lease, stops children
that were cancelled, ran out of time or lost their lease, and commits results. SIGTERM (or
Ctrl-C) stops claiming, lets running jobs finish for a few seconds, then hands the rest back
to the queue; a second signal hands them back at once.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from types import FrameType
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from app.config import Settings, get_settings
from app.db import get_engine, session_factory
from app.demos import repository as repo
from app.demos.models import INTERNAL_KINDS
from app.demos.tasks import JobSpec, cache_key
from app.errors import database_fault
from app.logs import configure_logging
from app.ops import heartbeat
from app.ops.launch import load_runtime_or_wait
from app.worker.lease import Event, JobQueue, Lease
from app.worker.runtime import ChildRun, WarmRuntime

log = logging.getLogger("mogi.worker")

# Progress reaches the database at most this often per job (the SSE stream polls it).
FLUSH_INTERVAL_S = 0.2
# How long running jobs may go on after SIGTERM before they are handed back.
SHUTDOWN_GRACE_S = 5.0
# How often lost jobs (lease lapsed, no attempts left) are closed.
REAP_INTERVAL_S = 5.0
# How often the worker refreshes its row in demo_worker (the web's "is a worker alive?").
ANNOUNCE_INTERVAL_S = 2.0


@dataclass
class ActiveJob:
    """A job this worker runs: its lease, its child, and events not yet written."""

    lease: Lease
    spec: JobSpec
    child: ChildRun
    key: str | None  # None: a job of another feature, never served from or kept as a cache
    deadline: float
    pending: list[Event] = field(default_factory=list)
    last_write: float = field(default_factory=time.monotonic)


class Worker:
    """The claim / supervise loop of one worker process."""

    def __init__(
        self,
        settings: Settings,
        runtime: WarmRuntime,
        concurrency: int,
        parent_pid: int | None = None,
    ) -> None:
        self.settings = settings
        self.runtime = runtime
        self.concurrency = max(1, concurrency)
        owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.queue = JobQueue(
            session_factory(),
            owner=owner,
            lease_s=settings.job_lease_s,
            device_kind=runtime.device_kind,
        )
        # Heartbeats come often enough that a cancel is seen within a second and the lease
        # never lapses while the worker is alive.
        self.heartbeat_s = min(1.0, settings.job_lease_s / 3)
        self.active: list[ActiveJob] = []
        self.stopping_since: float | None = None
        self.hand_back_now = False
        self.last_reap = 0.0
        self.last_announce = 0.0
        # Started by `mogi serve --with-worker`: stop when that process is gone, whatever
        # ended it (the kernel's parent-death signal covers Linux; this covers the rest).
        self.parent_pid = parent_pid
        self.parent_gone = False

    def run(self, *, once: bool) -> int:
        """Run until stopped (or, with once, until the queue is empty); the exit status."""
        log.info(
            "worker started", extra={"owner": self.queue.owner, "concurrency": self.concurrency}
        )
        while True:
            self._watch_parent()
            self._announce()
            heartbeat.beat()
            claimed = self._fill_slots() if self.stopping_since is None else 0
            if not self.active:
                if self.stopping_since is not None or (once and claimed == 0):
                    break
                time.sleep(self.settings.worker_poll_s)
                continue
            self._wait_for_children()
            for job in list(self.active):
                self._supervise(job)
            self._shut_down_if_due()
        self._guarded(self.queue.retire)
        log.info("worker stopped", extra={"owner": self.queue.owner})
        return 0

    def _watch_parent(self) -> None:
        if self.parent_pid is not None and os.getppid() != self.parent_pid:
            if self.stopping_since is None:
                log.warning("parent process gone: handing jobs back")
            self.parent_gone = True
            self.stopping_since = self.stopping_since or time.monotonic()
            self.hand_back_now = True

    def _announce(self) -> None:
        now = time.monotonic()
        if now - self.last_announce >= ANNOUNCE_INTERVAL_S:
            self.last_announce = now
            self._guarded(self.queue.announce)

    def request_stop(self, signum: int, _frame: FrameType | None) -> None:
        """SIGTERM/SIGINT: the first stops claiming, the second hands jobs back at once."""
        if self.stopping_since is not None:
            self.hand_back_now = True
        self.stopping_since = self.stopping_since or time.monotonic()
        log.info("stopping", extra={"signal": signum, "running": len(self.active)})

    # ---- claiming ---------------------------------------------------------------------------

    def _fill_slots(self) -> int:
        claimed = 0
        self._close_lost_jobs()
        while len(self.active) < self.concurrency:
            lease = self._guarded(self.queue.claim)
            if lease is None:
                break
            claimed += 1
            self._start(lease)
        return claimed

    def _start(self, lease: Lease) -> None:
        claim = lease.claim
        spec = JobSpec(claim.experiment, claim.params, claim.compare)
        key = None
        if claim.experiment not in INTERNAL_KINDS:
            key = cache_key(spec, self.runtime.device_kind)
            if self._serve_from_cache(lease, key):
                return
        child = self.runtime.start(spec)
        deadline = time.monotonic() + self.settings.job_time_limit_s
        self.active.append(
            ActiveJob(lease=lease, spec=spec, child=child, key=key, deadline=deadline)
        )

    def _serve_from_cache(self, lease: Lease, key: str) -> bool:
        """Finish a job from an identical finished run's stored result; True if it was."""
        try:
            return self._copy_cached_result(lease, key)
        except SQLAlchemyError as exc:  # no cache then: train it
            if database_fault(exc) is None:
                raise
            log.warning("cache lookup failed", extra={"error": str(exc)[:200]})
            return False

    def _copy_cached_result(self, lease: Lease, key: str) -> bool:
        with self.queue.sessions() as session:
            source = repo.find_cached_result(session, key, exclude_id=lease.job_id)
            if source is None or source.result is None:
                return False
            events: list[Event] = [
                ("progress", {**e.data, "cached": True})
                for e in repo.progress_of_attempt(session, source.id, source.attempt)
            ]
            result = source.result
        self.queue.finish(lease, result, events, cache_key=key, cached_from_id=source.id)
        log.info("served from cache", extra={"job_id": lease.job_id, "source": source.id})
        return True

    def _close_lost_jobs(self) -> None:
        now = time.monotonic()
        if now - self.last_reap >= REAP_INTERVAL_S:
            self.last_reap = now
            self._guarded(self.queue.close_lost_jobs)

    # ---- supervising ------------------------------------------------------------------------

    def _wait_for_children(self) -> None:
        conns = [job.child.conn for job in self.active if not job.child.closed]
        timeout = FLUSH_INTERVAL_S if conns else self.settings.worker_poll_s
        if conns:
            wait(conns, timeout=timeout)
        else:
            time.sleep(timeout)

    def _supervise(self, job: ActiveJob) -> None:
        child = job.child
        job.pending.extend(("progress", event) for event in child.drain())
        if job.lease.cancel_requested:
            self._end(job, "cancel")
        elif time.monotonic() > job.deadline:
            self._end(job, "time limit")
        elif child.result is not None:
            self._commit(job, child.result)
        elif child.done:
            self._end(job, "crashed")
        elif self._write_due(job):
            self._flush(job)

    def _write_due(self, job: ActiveJob) -> bool:
        since = time.monotonic() - job.last_write
        return since >= self.heartbeat_s or (bool(job.pending) and since >= FLUSH_INTERVAL_S)

    def _flush(self, job: ActiveJob) -> None:
        events, job.pending = job.pending, []
        ok = self._guarded(self.queue.heartbeat, job.lease, events)
        if ok is None:  # the database did not answer: keep the events for the next try
            job.pending = events + job.pending
            return
        job.last_write = time.monotonic()
        if not ok:
            self._drop(job, "lease lost")

    def _commit(self, job: ActiveJob, result: dict[str, Any]) -> None:
        job.child.reap()
        ok = self._guarded(
            self.queue.finish,
            job.lease,
            result,
            job.pending,
            cache_key=job.key,
        )
        if ok is None:
            return  # retried on the next pass; the result is kept until then
        self.active.remove(job)
        log.info(
            "job finished" if ok else "result dropped: lease lost",
            extra={"job_id": job.lease.job_id, "attempt": job.lease.attempt},
        )

    def _end(self, job: ActiveJob, why: str) -> None:
        """Stop the child and close the job as cancelled or failed."""
        job.pending.extend(("progress", event) for event in job.child.drain())
        job.child.stop()
        if why == "cancel":
            ok = self._guarded(self.queue.cancel, job.lease, job.pending)
        elif why == "time limit":
            limit = self.settings.job_time_limit_s
            error = f"the job ran past its time limit of {limit:g} s (MOGI_JOB_TIME_LIMIT_S)"
            ok = self._guarded(self.queue.fail, job.lease, error, job.pending)
        else:
            ok = self._guarded(self.queue.fail, job.lease, job.child.exit_reason(), job.pending)
        if ok is None:
            job.pending = []
            return  # the database is away; the lease lapses and the job is retried or closed
        self.active.remove(job)
        log.info("job ended", extra={"job_id": job.lease.job_id, "why": why, "written": ok})

    def _drop(self, job: ActiveJob, why: str) -> None:
        """Stop the child of a job we no longer own; nothing more is written."""
        job.child.stop()
        if job in self.active:
            self.active.remove(job)
        log.warning("job dropped", extra={"job_id": job.lease.job_id, "why": why})

    def _shut_down_if_due(self) -> None:
        if self.stopping_since is None or not self.active:
            return
        if not self.hand_back_now and time.monotonic() - self.stopping_since < SHUTDOWN_GRACE_S:
            return
        for job in list(self.active):
            job.pending.extend(("progress", e) for e in job.child.drain())
            job.child.stop()
            reason = "worker lost its parent" if self.parent_gone else "worker stopped"
            self._guarded(self.queue.release, job.lease, job.pending, reason)
            self.active.remove(job)
            log.info("job handed back", extra={"job_id": job.lease.job_id})

    def _guarded(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a queue call; a database that is briefly away is logged, not fatal."""
        try:
            return call(*args, **kwargs)
        except SQLAlchemyError as exc:
            if database_fault(exc) is None:
                raise
            log.warning("database unavailable", extra={"error": str(exc)[:200]})
            return None


def _end_frozen_transactions(lease_s: float) -> None:
    """On PostgreSQL, have the server end this worker's transactions left open longer than a
    lease: a worker frozen inside one would otherwise keep the job's row locked, and no other
    worker could take the job over when the lease lapses."""
    engine = get_engine()
    if engine.dialect.name != "postgresql":
        return
    timeout_ms = max(1000, int(lease_s * 1000))

    @event.listens_for(engine, "connect")
    def _set_timeout(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cursor:
            cursor.execute(f"SET idle_in_transaction_session_timeout = {timeout_ms}")
        dbapi_conn.commit()


def run_worker(concurrency: int, once: bool, parent_pid: int | None = None) -> int:
    """Load torch and MNIST once, then run jobs until SIGTERM (or until idle, with once)."""
    settings = get_settings()
    configure_logging(settings.log_level)
    try:  # MNIST missing or corrupt, MOGI_DEVICE not usable: waits or exits, saying why
        runtime = load_runtime_or_wait(settings, concurrency)
    except SystemExit as exc:
        return int(exc.code or 0)
    _end_frozen_transactions(settings.job_lease_s)
    worker = Worker(settings, runtime, concurrency, parent_pid=parent_pid)
    signal.signal(signal.SIGTERM, worker.request_stop)
    signal.signal(signal.SIGINT, worker.request_stop)
    status = worker.run(once=once)
    # Jobs are handed back and children stopped: nothing is left to clean up, and the
    # interpreter's teardown with torch loaded takes seconds that a `docker stop` or a
    # rolling restart would wait for. Leave now.
    get_engine().dispose()
    logging.shutdown()
    os._exit(status)
