"""The table of FSRS optimisations: a user's request, its job on the queue, and their decision."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UtcDateTime, utcnow
from app.demos.models import DemoJob

DECISIONS = ("adopted", "discarded")


class FsrsOptimisation(Base):
    """One fit of a user's FSRS weights: the job that runs it holds the snapshot of the review
    log (params) and the fitted weights with both losses (result); the decision is the user's."""

    __tablename__ = "fsrs_optimisation"
    __table_args__ = (CheckConstraint("decision IN ('adopted', 'discarded')", name="decision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    job_id: Mapped[int] = mapped_column(ForeignKey("demo_job.id", ondelete="CASCADE"), unique=True)
    # What the snapshot holds: grades, the cards they belong to, and how many of the grades
    # came a day or more after the card's previous one (the only ones the loss is measured on).
    review_count: Mapped[int] = mapped_column(Integer)
    card_count: Mapped[int] = mapped_column(Integer)
    measured_count: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str | None] = mapped_column(String(16))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    job: Mapped[DemoJob] = relationship(lazy="raise")
