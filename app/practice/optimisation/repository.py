"""SQL of FSRS optimisation: the grades it fits, its rows, and the weights a user adopts.

The job itself goes on the demo queue through app.demos.repository (one queue, one worker).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload

from app.demos.models import ACTIVE_STATUSES, DemoJob
from app.practice.models import PracticeSettings, ReviewLog
from app.practice.optimisation.models import FsrsOptimisation


def scheduled_grades(
    session: Session, user_id: int
) -> Sequence[Row[int, int, datetime, int | None]]:
    """(question_id, rating, reviewed_at, duration_ms) of every grade that moved the user's
    schedule, oldest first (cram grades left the cards alone, so they are left out)."""
    stmt = (
        select(
            ReviewLog.question_id, ReviewLog.rating, ReviewLog.reviewed_at, ReviewLog.duration_ms
        )
        .where(ReviewLog.user_id == user_id, ReviewLog.scheduled.is_(True))
        .order_by(ReviewLog.reviewed_at, ReviewLog.id)
    )
    return session.execute(stmt).all()


def add_optimisation(session: Session, row: FsrsOptimisation) -> FsrsOptimisation:
    session.add(row)
    session.flush()
    return row


def get_optimisation(session: Session, optimisation_id: int) -> FsrsOptimisation | None:
    """The optimisation with its job loaded."""
    stmt = (
        select(FsrsOptimisation)
        .options(joinedload(FsrsOptimisation.job))
        .where(FsrsOptimisation.id == optimisation_id)
    )
    return session.scalars(stmt).first()


def list_optimisations(session: Session, user_id: int, limit: int) -> Sequence[FsrsOptimisation]:
    """The user's optimisations with their jobs, newest first."""
    stmt = (
        select(FsrsOptimisation)
        .options(joinedload(FsrsOptimisation.job))
        .where(FsrsOptimisation.user_id == user_id)
        .order_by(FsrsOptimisation.id.desc())
        .limit(limit)
    )
    return session.scalars(stmt).all()


def active_optimisation(session: Session, user_id: int) -> FsrsOptimisation | None:
    """The user's optimisation that is queued or running, if any."""
    stmt = (
        select(FsrsOptimisation)
        .join(DemoJob, DemoJob.id == FsrsOptimisation.job_id)
        .where(FsrsOptimisation.user_id == user_id, DemoJob.status.in_(ACTIVE_STATUSES))
        .limit(1)
    )
    return session.scalars(stmt).first()


def fsrs_parameters(session: Session, user_id: int) -> list[float] | None:
    """The user's own FSRS weights, or None (no settings row, or the library's weights)."""
    stmt = select(PracticeSettings.fsrs_parameters).where(PracticeSettings.user_id == user_id)
    return session.scalar(stmt)


def set_fsrs_parameters(session: Session, user_id: int, parameters: list[float] | None) -> None:
    """Store the user's FSRS weights (None: back to the library's), making their settings row
    with the default settings if they have none. Two first writes racing both succeed."""
    dialect = session.get_bind().dialect.name
    make_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        make_insert(PracticeSettings)
        .values(user_id=user_id)
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    row = session.get(PracticeSettings, user_id, populate_existing=True)
    assert row is not None
    row.fsrs_parameters = parameters
    session.flush()
