"""The worker's side of the jobs table: claim a job, then write to it only while it is ours.

Each call is one short transaction. A `Lease` is the fencing token (owner, attempt); every
write through it returns False once another worker or attempt owns the job, and the caller
must then stop the child and drop whatever it produced.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.demos import repository as repo
from app.demos.repository import Claim

log = logging.getLogger("mogi.worker.queue")

Event = tuple[str, dict[str, Any]]


@dataclass
class Lease:
    """A claimed job and the token that fences every write about it."""

    claim: Claim
    cancel_requested: bool = False
    lost: bool = False

    @property
    def job_id(self) -> int:
        return self.claim.job_id

    @property
    def attempt(self) -> int:
        return self.claim.attempt


class JobQueue:
    """Claims, heartbeats and closes jobs for one worker process (`owner`)."""

    def __init__(
        self, sessions: sessionmaker[Session], *, owner: str, lease_s: float, device_kind: str
    ) -> None:
        self.sessions = sessions
        self.owner = owner
        self.lease_s = lease_s
        self.device_kind = device_kind

    def claim(self) -> Lease | None:
        """Lease the next runnable job and record its `started` event, or None when idle."""
        now = utcnow()
        with self.sessions() as session:
            # A cheap read first, so that an idle worker does not take SQLite's write lock
            # several times a second.
            if not repo.has_runnable_job(session, now):
                return None
        with self.sessions.begin() as session:
            claim = repo.claim_next_job(
                session, self.owner, lease_s=self.lease_s, device_kind=self.device_kind, now=now
            )
            if claim is None:
                return None
            started = {"attempt": claim.attempt, "worker": self.owner, "device": self.device_kind}
            repo.insert_events(
                session, claim.job_id, claim.attempt, claim.event_seq, [("started", started)]
            )
        log.info("claimed job", extra={"job_id": claim.job_id, "attempt": claim.attempt})
        return Lease(claim)

    def heartbeat(self, lease: Lease, events: Sequence[Event] = ()) -> bool:
        """Extend the lease and append events; False when the job is no longer ours."""
        now = utcnow()
        values = {"heartbeat_at": now, "lease_expires_at": now + timedelta(seconds=self.lease_s)}
        return self._fenced(lease, events, values)

    def finish(
        self, lease: Lease, result: dict[str, Any], events: Sequence[Event], **values: Any
    ) -> bool:
        """Commit the result with the last events and `finished`; False when fenced out."""
        summary = {"test_accuracy": result.get("test_accuracy"), "device": result.get("device")}
        done = {"status": "finished", "result": result, **values}
        return self._close(lease, [*events, ("finished", summary)], done)

    def fail(self, lease: Lease, error: str, events: Sequence[Event] = ()) -> bool:
        return self._close(
            lease, [*events, ("failed", {"error": error})], {"status": "failed", "error": error}
        )

    def cancel(self, lease: Lease, events: Sequence[Event] = ()) -> bool:
        return self._close(lease, [*events, ("cancelled", {"by": "user"})], {"status": "cancelled"})

    def release(self, lease: Lease, events: Sequence[Event] = ()) -> bool:
        """Hand the job back to the queue (worker shutting down); another worker resumes it."""
        values = {
            "status": "queued",
            "lease_owner": None,
            "lease_expires_at": None,
            "heartbeat_at": None,
        }
        return self._fenced(lease, [*events, ("requeued", {"reason": "worker stopped"})], values)

    def close_lost_jobs(self) -> int:
        """Fail (or cancel) jobs whose workers were lost once too often; how many were closed."""
        now = utcnow()
        with self.sessions() as session:
            job_ids = repo.lost_job_ids(session, now)
        closed = 0
        for job_id in job_ids:
            with self.sessions.begin() as session:
                error = "the worker running this job stopped answering on every attempt"
                row = repo.close_lost_job(session, job_id, now, error)
                if row is None:
                    continue
                status, seq, attempt = row
                data = {"error": error} if status == "failed" else {"by": "user"}
                repo.insert_events(session, job_id, attempt, seq, [(status, data)])
                closed += 1
        return closed

    def _close(self, lease: Lease, events: Sequence[Event], values: dict[str, Any]) -> bool:
        values = {**values, "finished_at": utcnow(), "lease_expires_at": None}
        return self._fenced(lease, events, values)

    def _fenced(self, lease: Lease, events: Sequence[Event], values: dict[str, Any]) -> bool:
        if lease.lost:
            return False
        with self.sessions.begin() as session:
            fenced = repo.fenced_update(
                session,
                lease.job_id,
                self.owner,
                lease.attempt,
                n_events=len(events),
                values=values,
            )
            if fenced is None:
                lease.lost = True
                log.warning(
                    "lost the lease", extra={"job_id": lease.job_id, "attempt": lease.attempt}
                )
                return False
            repo.insert_events(session, lease.job_id, lease.attempt, fenced.event_seq, events)
        lease.cancel_requested = fenced.cancel_requested
        return True
