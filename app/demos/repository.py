"""SQL of the demos feature on the web's side: queueing runs, reading them back, the event log.

The worker's writes to a job it runs (claim, heartbeat, fencing, hand-back, reaping) live in
one place, app/worker/lease.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from app.auth.models import User
from app.db import begin_writing, utcnow
from app.demos.models import ACTIVE_STATUSES, INTERNAL_KINDS, DemoEvent, DemoJob, DemoWorker

_NO_SYNC = {"synchronize_session": False}


# ---- web side -------------------------------------------------------------------------------


def lock_user(session: Session, user_id: int) -> None:
    """Serialise one user's enqueues, so that the count of their active jobs that follows
    cannot be passed by two requests at once."""
    if session.get_bind().dialect.name == "sqlite":
        begin_writing(session)  # the database's write lock now, before the count
        return
    # NO KEY UPDATE: inserts elsewhere that reference the user (KEY SHARE) need not wait.
    session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


def add_job(session: Session, job: DemoJob) -> DemoJob:
    session.add(job)
    session.flush()
    return job


def add_queued_job(
    session: Session,
    *,
    user_id: int,
    experiment: str,
    params: dict[str, Any],
    compare: list[dict[str, Any]] | None,
    max_attempts: int,
) -> DemoJob:
    """A new queued job with its `queued` event (a demo run or another feature's job)."""
    job = add_job(
        session,
        DemoJob(
            user_id=user_id,
            experiment=experiment,
            params=params,
            compare=compare,
            status="queued",
            attempt=0,
            max_attempts=max_attempts,
            event_seq=0,
            cancel_requested=False,
        ),
    )
    append_event(session, job.id, "queued", {"experiment": experiment})
    return job


def _demo_runs() -> Any:
    """Jobs that are demo runs (not another feature's job on the same queue)."""
    return DemoJob.experiment.not_in(INTERNAL_KINDS)


def count_active_jobs(session: Session, user_id: int) -> int:
    """The user's queued and running demo runs."""
    stmt = select(func.count(DemoJob.id)).where(
        DemoJob.user_id == user_id, DemoJob.status.in_(ACTIVE_STATUSES), _demo_runs()
    )
    return int(session.scalar(stmt) or 0)


def count_queued_jobs(session: Session) -> int:
    """Queued jobs of every kind: they all wait for the same workers."""
    stmt = select(func.count(DemoJob.id)).where(DemoJob.status == "queued")
    return int(session.scalar(stmt) or 0)


def worker_alive(session: Session, seen_since: datetime) -> bool:
    """Whether some worker refreshed its demo_worker row since seen_since."""
    stmt = select(DemoWorker.owner).where(DemoWorker.seen_at >= seen_since).limit(1)
    return session.scalar(stmt) is not None


def get_job(session: Session, job_id: int) -> DemoJob | None:
    return session.get(DemoJob, job_id)


def list_jobs(session: Session, user_id: int, *, limit: int, offset: int) -> Sequence[DemoJob]:
    """The user's demo runs, newest first."""
    stmt = (
        select(DemoJob)
        .where(DemoJob.user_id == user_id, _demo_runs())
        .order_by(DemoJob.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return session.scalars(stmt).all()


def count_jobs(session: Session, user_id: int) -> int:
    stmt = select(func.count(DemoJob.id)).where(DemoJob.user_id == user_id, _demo_runs())
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


# ---- results and events the worker reads (its lease lives in app/worker/lease.py) ------------


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
