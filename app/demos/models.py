"""Demo jobs: the queue of training runs and the events each run emits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db import Base, UtcDateTime, utcnow

JOB_STATUSES = ("queued", "running", "finished", "failed", "cancelled")
ACTIVE_STATUSES = ("queued", "running")
TERMINAL_STATUSES = ("finished", "failed", "cancelled")
# Jobs of other features that the same queue and worker run: never listed, counted or shown
# as demo runs. (The fit of a user's FSRS weights to their review log: app/practice/optimisation.)
FSRS_OPTIMISATION = "fsrs-optimisation"
INTERNAL_KINDS = (FSRS_OPTIMISATION,)


class DemoJob(Base):
    """One training run (or a comparison of 2-4 runs), leased by one worker at a time.

    A worker owns a running job while `lease_owner` and `attempt` are its own; every write it
    makes checks both (fencing), so a worker that lost its lease can never commit a result.
    """

    __tablename__ = "demo_job"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'finished', 'failed', 'cancelled')",
            name="status",
        ),
        # The claim query: the oldest queued job, or a running one whose lease lapsed.
        Index("ix_demo_job_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    experiment: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Full parameter sets of a side-by-side comparison (2-4), or None for a single run.
    compare: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    # Claims so far; `handbacks` of them ended with the worker handing the job back (shutting
    # down), so attempt - handbacks is the number of workers lost on it.
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    handbacks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The sequence number of the job's last event (SSE ids); bumped under the row's lock.
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    device_kind: Mapped[str | None] = mapped_column(String(16))
    # sha256 of experiment, parameters and device kind; equal keys give equal results.
    cache_key: Mapped[str | None] = mapped_column(String(64), index=True)
    cached_from_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    # Loaded only when asked for (lazy="raise"): the queue works on ids and never needs them.
    owner: Mapped[User] = relationship(lazy="raise", viewonly=True)


class DemoEvent(Base):
    """One event of a job, in order: queued, started, progress..., finished/failed/cancelled."""

    __tablename__ = "demo_event"
    __table_args__ = (UniqueConstraint("job_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("demo_job.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    job: Mapped[DemoJob] = relationship(lazy="raise", viewonly=True)


class DemoWorker(Base):
    """A running `mogi worker`, refreshed every few seconds; gone when it exits cleanly."""

    __tablename__ = "demo_worker"

    owner: Mapped[str] = mapped_column(String(128), primary_key=True)
    device_kind: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
