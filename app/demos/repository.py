"""All SQL of the demos feature: the job queue (claim, fenced writes) and the event log.

Every write a worker makes to a job it runs is fenced: the UPDATE matches only while
`lease_owner` and `attempt` are still the worker's own, and bumps `event_seq` in the same
statement, so events are numbered under the row's lock and a worker that lost its lease
(frozen, partitioned, too slow) writes nothing.

SQLite: each worker transaction starts with its UPDATE, which takes the database's write lock
before reading, so the claim's subquery and its update see one state. PostgreSQL: the claim's
subquery locks the row it picks with FOR UPDATE SKIP LOCKED, so concurrent workers pick
different jobs without waiting on each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.orm import Session

from app.auth.models import User
from app.db import utcnow
from app.demos.models import ACTIVE_STATUSES, DemoEvent, DemoJob

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


@dataclass(frozen=True)
class Fenced:
    """The outcome of a fenced write that matched: the last event number and the cancel flag."""

    event_seq: int
    cancel_requested: bool


# ---- web side -------------------------------------------------------------------------------


def lock_user(session: Session, user_id: int) -> None:
    """Serialise one user's enqueues (PostgreSQL row lock; SQLite's write lock already does)."""
    # NO KEY UPDATE: inserts elsewhere that reference the user (KEY SHARE) need not wait.
    session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


def add_job(session: Session, job: DemoJob) -> DemoJob:
    session.add(job)
    session.flush()
    return job


def count_active_jobs(session: Session, user_id: int) -> int:
    """The user's queued and running jobs."""
    stmt = select(func.count(DemoJob.id)).where(
        DemoJob.user_id == user_id, DemoJob.status.in_(ACTIVE_STATUSES)
    )
    return int(session.scalar(stmt) or 0)


def count_queued_jobs(session: Session) -> int:
    stmt = select(func.count(DemoJob.id)).where(DemoJob.status == "queued")
    return int(session.scalar(stmt) or 0)


def get_job(session: Session, job_id: int) -> DemoJob | None:
    return session.get(DemoJob, job_id)


def list_jobs(session: Session, user_id: int, *, limit: int, offset: int) -> Sequence[DemoJob]:
    """The user's jobs, newest first."""
    stmt = (
        select(DemoJob)
        .where(DemoJob.user_id == user_id)
        .order_by(DemoJob.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return session.scalars(stmt).all()


def count_jobs(session: Session, user_id: int) -> int:
    stmt = select(func.count(DemoJob.id)).where(DemoJob.user_id == user_id)
    return int(session.scalar(stmt) or 0)


def list_events(
    session: Session, job_id: int, *, after_seq: int = 0, kinds: Sequence[str] | None = None
) -> Sequence[DemoEvent]:
    """The job's events numbered after `after_seq`, in order."""
    stmt = select(DemoEvent).where(DemoEvent.job_id == job_id, DemoEvent.seq > after_seq)
    if kinds is not None:
        stmt = stmt.where(DemoEvent.kind.in_(kinds))
    return session.scalars(stmt.order_by(DemoEvent.seq)).all()


def job_state(session: Session, job_id: int) -> tuple[str, int] | None:
    """(status, event_seq) of a job, or None when it is gone."""
    row = session.execute(
        select(DemoJob.status, DemoJob.event_seq).where(DemoJob.id == job_id)
    ).first()
    return None if row is None else (row.status, row.event_seq)


def cancel_queued_job(session: Session, job_id: int, now: datetime) -> int | None:
    """Cancel a job no worker holds yet; the new event number, or None if it is not queued."""
    stmt = (
        update(DemoJob)
        .where(DemoJob.id == job_id, DemoJob.status == "queued")
        .values(
            status="cancelled",
            cancel_requested=True,
            finished_at=now,
            event_seq=DemoJob.event_seq + 1,
        )
        .returning(DemoJob.event_seq, DemoJob.attempt)
        .execution_options(**_NO_SYNC)
    )
    row = session.execute(stmt).first()
    if row is None:
        return None
    insert_events(session, job_id, row.attempt, row.event_seq, [("cancelled", {"by": "user"})])
    return int(row.event_seq)


def request_cancel(session: Session, job_id: int) -> bool:
    """Ask the worker running a job to stop it; False when the job is not running."""
    stmt = (
        update(DemoJob)
        .where(DemoJob.id == job_id, DemoJob.status == "running")
        .values(cancel_requested=True)
        .execution_options(**_NO_SYNC)
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def append_event(session: Session, job_id: int, kind: str, data: dict[str, Any]) -> int:
    """Append one event outside any lease (the web's `queued`); returns its number."""
    stmt = (
        update(DemoJob)
        .where(DemoJob.id == job_id)
        .values(event_seq=DemoJob.event_seq + 1)
        .returning(DemoJob.event_seq, DemoJob.attempt)
        .execution_options(**_NO_SYNC)
    )
    row = session.execute(stmt).one()
    insert_events(session, job_id, row.attempt, row.event_seq, [(kind, data)])
    return int(row.event_seq)


def insert_events(
    session: Session,
    job_id: int,
    attempt: int,
    last_seq: int,
    events: Sequence[tuple[str, dict[str, Any]]],
) -> None:
    """Insert events numbered so that the last one gets `last_seq`."""
    if not events:
        return
    first = last_seq - len(events) + 1
    now = utcnow()
    rows = [
        {
            "job_id": job_id,
            "seq": first + i,
            "attempt": attempt,
            "kind": kind,
            "data": data,
            "created_at": now,
        }
        for i, (kind, data) in enumerate(events)
    ]
    session.execute(insert(DemoEvent), rows)


# ---- worker side ----------------------------------------------------------------------------


def _runnable(now: datetime) -> Any:
    lapsed = and_(
        DemoJob.status == "running",
        DemoJob.lease_expires_at < now,
        DemoJob.attempt < DemoJob.max_attempts,
        DemoJob.cancel_requested.is_(False),
    )
    return or_(DemoJob.status == "queued", lapsed)


def has_runnable_job(session: Session, now: datetime) -> bool:
    """Whether a claim could succeed now (a plain read: no lock taken)."""
    return session.scalar(select(DemoJob.id).where(_runnable(now)).limit(1)) is not None


def claim_next_job(
    session: Session, owner: str, *, lease_s: float, device_kind: str, now: datetime
) -> Claim | None:
    """Lease the oldest runnable job to `owner`: queued, or running with a lapsed lease."""
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
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_s),
            heartbeat_at=now,
            started_at=func.coalesce(DemoJob.started_at, now),
            device_kind=device_kind,
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
        owner=owner,
        event_seq=row.event_seq,
        experiment=row.experiment,
        params=row.params,
        compare=row.compare,
    )


def fenced_update(
    session: Session,
    job_id: int,
    owner: str,
    attempt: int,
    *,
    n_events: int,
    values: dict[str, Any],
) -> Fenced | None:
    """Update a running job only while (owner, attempt) still hold it; reserves n_events numbers."""
    stmt = (
        update(DemoJob)
        .where(
            DemoJob.id == job_id,
            DemoJob.lease_owner == owner,
            DemoJob.attempt == attempt,
            DemoJob.status == "running",
        )
        .values(event_seq=DemoJob.event_seq + n_events, **values)
        .returning(DemoJob.event_seq, DemoJob.cancel_requested)
        .execution_options(**_NO_SYNC)
    )
    row = session.execute(stmt).first()
    if row is None:
        return None
    return Fenced(event_seq=int(row.event_seq), cancel_requested=bool(row.cancel_requested))


def lost_job_ids(session: Session, now: datetime) -> Sequence[int]:
    """Running jobs whose lease lapsed and that may not be retried (attempts used or cancelled)."""
    stmt = select(DemoJob.id).where(
        DemoJob.status == "running",
        DemoJob.lease_expires_at < now,
        or_(DemoJob.attempt >= DemoJob.max_attempts, DemoJob.cancel_requested.is_(True)),
    )
    return session.scalars(stmt.order_by(DemoJob.id).limit(20)).all()


def close_lost_job(
    session: Session, job_id: int, now: datetime, error: str
) -> tuple[str, int, int] | None:
    """Close a lost job (failed, or cancelled if asked); (status, event_seq, attempt) or None."""
    asked = DemoJob.cancel_requested.is_(True)
    stmt = (
        update(DemoJob)
        .where(DemoJob.id == job_id, DemoJob.status == "running", DemoJob.lease_expires_at < now)
        .values(
            status=case((asked, "cancelled"), else_="failed"),
            error=case((asked, None), else_=error),
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


def find_cached_result(session: Session, cache_key: str, exclude_id: int) -> DemoJob | None:
    """The newest finished job with the same cache key (any user), if one exists."""
    stmt = (
        select(DemoJob)
        .where(
            DemoJob.cache_key == cache_key,
            DemoJob.status == "finished",
            DemoJob.result.is_not(None),
            DemoJob.id != exclude_id,
        )
        .order_by(DemoJob.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def progress_of_attempt(session: Session, job_id: int, attempt: int) -> Sequence[DemoEvent]:
    """The progress events one attempt of a job wrote, in order."""
    stmt = (
        select(DemoEvent)
        .where(
            DemoEvent.job_id == job_id,
            DemoEvent.attempt == attempt,
            DemoEvent.kind == "progress",
        )
        .order_by(DemoEvent.seq)
    )
    return session.scalars(stmt).all()


def find_stored_result(session: Session, cache_keys: Sequence[str]) -> DemoJob | None:
    """The newest finished job whose cache key is one of `cache_keys` (any user)."""
    stmt = (
        select(DemoJob)
        .where(
            DemoJob.cache_key.in_(cache_keys),
            DemoJob.status == "finished",
            DemoJob.result.is_not(None),
        )
        .order_by(DemoJob.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def queue_position(session: Session, job_id: int) -> int:
    """How many queued jobs are ahead of `job_id` (0: it is next)."""
    stmt = select(func.count(DemoJob.id)).where(DemoJob.status == "queued", DemoJob.id < job_id)
    return int(session.scalar(stmt) or 0)
