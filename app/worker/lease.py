"""The lease on a demo job, from claim to close: everything a worker writes to the jobs table.

Read top to bottom, a job's life on the worker's side is:

1. **Claim.** A worker takes the oldest runnable job — queued, or running with a lease that
   lapsed (its worker was lost) — in one UPDATE: `status='running'`, `attempt + 1`,
   `lease_owner` = this worker, `lease_expires_at` = now + lease. On PostgreSQL the UPDATE's
   subquery locks the row it picks with FOR UPDATE SKIP LOCKED, so concurrent workers pick
   different jobs without waiting on each other; on SQLite the UPDATE takes the database's
   single write lock before it reads, so the subquery and the update see one state.
2. **Heartbeat.** About once a second the worker extends the lease and appends the progress
   events it has; the same statement reads `cancel_requested`.
3. **Fencing.** Every write after the claim is `UPDATE ... WHERE id = ? AND lease_owner = ? AND
   attempt = ? AND status = 'running'`, with the events it adds in the same transaction. When it
   matches no row the job is no longer this worker's (it froze, was partitioned, or was too
   slow): the worker stops the training and drops what it had, so a job has exactly one result.
4. **Close.** finished (with the result), failed, or cancelled — a fenced write too.
5. **Hand-back.** A worker that is shutting down (SIGTERM, its parent gone) puts its running
   jobs back in the queue: status `queued`, no owner, a `requeued` event, and `handbacks + 1`.
   A hand-back is not a lost worker, so it does not use up an attempt.
6. **Reaping.** A job whose lease lapsed counts one lost worker. It is claimed again while
   `attempt - handbacks < max_attempts`; after that any worker closes it as failed (or
   cancelled, if the user asked), saying why.

Workers also keep a row in `demo_worker` fresh while they run, so the web can tell a queued
job that waits for a busy worker from one that waits for a worker that is not there.

Each method is one short transaction of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.demos.models import DemoJob, DemoWorker
from app.demos.repository import insert_events

log = logging.getLogger("mogi.worker.lease")

Event = tuple[str, dict[str, Any]]
LOST_WORKER_ERROR = "the worker running this job stopped answering on every attempt"
_NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True)
class Claim:
    """A job a worker has just claimed: what to run and the fencing token (owner, attempt)."""

    job_id: int
    attempt: int
    owner: str
    event_seq: int
    experiment: str
    params: dict[str, Any]
    compare: list[dict[str, Any]] | None


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
    """Claims, heartbeats, closes and hands back jobs for one worker process (`owner`)."""

    def __init__(
        self, sessions: sessionmaker[Session], *, owner: str, lease_s: float, device_kind: str
    ) -> None:
        self.sessions = sessions
        self.owner = owner
        self.lease_s = lease_s
        self.device_kind = device_kind

    # ---- 1. claim -------------------------------------------------------------------------

    def claim(self) -> Lease | None:
        """Lease the next runnable job and record its `started` event, or None when idle."""
        now = utcnow()
        with self.sessions() as session:
            # A cheap read first, so that an idle worker does not take SQLite's write lock
            # several times a second.
            if session.scalar(select(DemoJob.id).where(_runnable(now)).limit(1)) is None:
                return None
        with self.sessions.begin() as session:
            claim = self._claim_next(session, now)
            if claim is None:
                return None
            started = {"attempt": claim.attempt, "worker": self.owner, "device": self.device_kind}
            insert_events(
                session, claim.job_id, claim.attempt, claim.event_seq, [("started", started)]
            )
        log.info("claimed job", extra={"job_id": claim.job_id, "attempt": claim.attempt})
        return Lease(claim)

    def _claim_next(self, session: Session, now: datetime) -> Claim | None:
        candidate = (
            select(DemoJob.id)
            .where(_runnable(now))
            .order_by(DemoJob.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        stmt = (
            update(DemoJob)
            .where(DemoJob.id == candidate)
            .values(
                status="running",
                attempt=DemoJob.attempt + 1,
                lease_owner=self.owner,
                lease_expires_at=now + timedelta(seconds=self.lease_s),
                heartbeat_at=now,
                started_at=func.coalesce(DemoJob.started_at, now),
                device_kind=self.device_kind,
                event_seq=DemoJob.event_seq + 1,
            )
            .returning(
                DemoJob.id,
                DemoJob.attempt,
                DemoJob.event_seq,
                DemoJob.experiment,
                DemoJob.params,
                DemoJob.compare,
            )
            .execution_options(**_NO_SYNC)
        )
        row = session.execute(stmt).first()
        if row is None:
            return None
        return Claim(
            job_id=row.id,
            attempt=row.attempt,
            owner=self.owner,
            event_seq=row.event_seq,
            experiment=row.experiment,
            params=row.params,
            compare=row.compare,
        )

    # ---- 2. heartbeat ---------------------------------------------------------------------

    def heartbeat(self, lease: Lease, events: Sequence[Event] = ()) -> bool:
        """Extend the lease and append events; False when the job is no longer ours."""
        now = utcnow()
        values = {"heartbeat_at": now, "lease_expires_at": now + timedelta(seconds=self.lease_s)}
        return self._fenced(lease, events, values)

    # ---- 3. fencing -----------------------------------------------------------------------

    def _fenced(self, lease: Lease, events: Sequence[Event], values: dict[str, Any]) -> bool:
        """Write values and events only while (owner, attempt) still hold the running job."""
        if lease.lost:
            return False
        with self.sessions.begin() as session:
            stmt = (
                update(DemoJob)
                .where(
                    DemoJob.id == lease.job_id,
                    DemoJob.lease_owner == self.owner,
                    DemoJob.attempt == lease.attempt,
                    DemoJob.status == "running",
                )
                # Event numbers are reserved under the row's lock, in the same statement.
                .values(event_seq=DemoJob.event_seq + len(events), **values)
                .returning(DemoJob.event_seq, DemoJob.cancel_requested)
                .execution_options(**_NO_SYNC)
            )
            row = session.execute(stmt).first()
            if row is None:
                lease.lost = True
                log.warning(
                    "lost the lease", extra={"job_id": lease.job_id, "attempt": lease.attempt}
                )
                return False
            insert_events(session, lease.job_id, lease.attempt, int(row.event_seq), events)
        lease.cancel_requested = bool(row.cancel_requested)
        return True

    # ---- 4. close -------------------------------------------------------------------------

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

    def _close(self, lease: Lease, events: Sequence[Event], values: dict[str, Any]) -> bool:
        values = {**values, "finished_at": utcnow(), "lease_expires_at": None}
        return self._fenced(lease, events, values)

    # ---- 5. hand-back ---------------------------------------------------------------------

    def release(self, lease: Lease, events: Sequence[Event] = (), reason: str = "") -> bool:
        """Hand the job back to the queue (this worker is stopping); it keeps its attempts."""
        values = {
            "status": "queued",
            "lease_owner": None,
            "lease_expires_at": None,
            "heartbeat_at": None,
            "handbacks": DemoJob.handbacks + 1,
        }
        requeued = ("requeued", {"reason": reason or "worker stopped"})
        return self._fenced(lease, [*events, requeued], values)

    # ---- 6. reaping -----------------------------------------------------------------------

    def close_lost_jobs(self) -> int:
        """Fail (or cancel) jobs whose workers were lost once too often; how many were closed."""
        now = utcnow()
        with self.sessions() as session:
            stmt = select(DemoJob.id).where(_lapsed(now), ~_retryable())
            job_ids = session.scalars(stmt.order_by(DemoJob.id).limit(20)).all()
        closed = 0
        for job_id in job_ids:
            with self.sessions.begin() as session:
                row = _close_lost_job(session, job_id, now)
                if row is None:
                    continue
                status, seq, attempt = row
                data = {"error": LOST_WORKER_ERROR} if status == "failed" else {"by": "user"}
                insert_events(session, job_id, attempt, seq, [(status, data)])
                closed += 1
        return closed

    # ---- liveness -------------------------------------------------------------------------

    def announce(self) -> None:
        """Record (or refresh) this worker in `demo_worker`."""
        now = utcnow()
        with self.sessions.begin() as session:
            row = session.get(DemoWorker, self.owner)
            if row is not None:
                row.seen_at = now
            else:
                session.add(
                    DemoWorker(
                        owner=self.owner,
                        device_kind=self.device_kind,
                        started_at=now,
                        seen_at=now,
                    )
                )
            # Rows of workers gone for a long time are no one's: clear them.
            stale = now - timedelta(seconds=max(600.0, self.lease_s * 10))
            session.execute(
                delete(DemoWorker).where(DemoWorker.seen_at < stale).execution_options(**_NO_SYNC)
            )

    def retire(self) -> None:
        """Remove this worker from `demo_worker` (clean exit)."""
        with self.sessions.begin() as session:
            session.execute(
                delete(DemoWorker)
                .where(DemoWorker.owner == self.owner)
                .execution_options(**_NO_SYNC)
            )


def _lapsed(now: datetime) -> Any:
    return and_(DemoJob.status == "running", DemoJob.lease_expires_at < now)


def _retryable() -> Any:
    """Lost workers so far (hand-backs do not count) leave an attempt, and no cancel is asked."""
    lost = DemoJob.attempt - DemoJob.handbacks
    return and_(lost < DemoJob.max_attempts, DemoJob.cancel_requested.is_(False))


def _runnable(now: datetime) -> Any:
    return or_(DemoJob.status == "queued", and_(_lapsed(now), _retryable()))


def _close_lost_job(session: Session, job_id: int, now: datetime) -> tuple[str, int, int] | None:
    """Close a lost job (failed, or cancelled if asked); (status, event_seq, attempt) or None."""
    asked = DemoJob.cancel_requested.is_(True)
    stmt = (
        update(DemoJob)
        .where(DemoJob.id == job_id, _lapsed(now))
        .values(
            status=case((asked, "cancelled"), else_="failed"),
            error=case((asked, None), else_=LOST_WORKER_ERROR),
            lease_owner=None,
            lease_expires_at=None,
            finished_at=now,
            event_seq=DemoJob.event_seq + 1,
        )
        .returning(DemoJob.status, DemoJob.event_seq, DemoJob.attempt)
        .execution_options(**_NO_SYNC)
    )
    row = session.execute(stmt).first()
    return None if row is None else (row.status, int(row.event_seq), int(row.attempt))
