"""Jobs other features queue on the worker's queue: internal kinds (INTERNAL_KINDS), never
listed as demo runs. Practice queues its FSRS optimisations here; it goes through these
functions, never through this feature's tables.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.config import get_settings
from app.demos import repository as repo
from app.demos.models import INTERNAL_KINDS, DemoJob
from app.demos.service import QUEUE_RETRY_AFTER_S
from app.errors import AppError


def lock_user_jobs(session: Session, user_id: int) -> None:
    """Serialise this user's job submissions until the transaction ends."""
    repo.lock_user(session, user_id)


def queue_internal_job(
    session: Session, user_id: int, kind: str, params: dict[str, Any]
) -> DemoJob:
    """Queue a job of an internal kind (the caller commits); 429 when the queue is full."""
    if kind not in INTERNAL_KINDS:
        raise ValueError(f"{kind!r} is not an internal job kind")
    settings = get_settings()
    if repo.count_queued_jobs(session) >= settings.queue_cap:
        raise AppError(
            "queue_full",
            en="The worker's queue is full; try again shortly.",
            ko="작업 대기열이 가득 찼습니다. 잠시 후 다시 시도해 주세요.",
            status=429,
            headers={"Retry-After": str(QUEUE_RETRY_AFTER_S)},
            extra={"limit": settings.queue_cap, "scope": "queue"},
        )
    return repo.add_queued_job(
        session,
        user_id=user_id,
        experiment=kind,
        params=params,
        compare=None,
        max_attempts=settings.job_max_attempts,
    )


def latest_progress(session: Session, job: DemoJob) -> dict[str, Any] | None:
    """The data of the job's newest progress event in its current attempt, if any."""
    events = repo.list_events(session, job.id, kinds=("progress",))
    latest = [e.data for e in events if e.attempt == job.attempt]
    return latest[-1] if latest else None
