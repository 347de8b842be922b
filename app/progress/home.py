"""What the home page shows a logged-in user: what is due, where they left off, their streak."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.auth.models import User
from app.db import utcnow
from app.local_time import review_day
from app.practice.schemas import SessionRead
from app.practice.sessions import PackSummary, practice_overview, unfinished_session
from app.practice.settings import user_time_zone
from app.progress import repository as repo
from app.progress.schemas import Streak
from app.progress.statistics import compute_streak

# The streak is counted on this many days of grades first, then on more when it is longer.
_FIRST_WINDOW_DAYS = 35
_MAX_WINDOW_DAYS = 20 * 365


def streak(session: Session, user_id: int, time_zone: str, now: datetime) -> Streak:
    """The user's streak of days with at least one grade, days starting at 04:00 their time
    (the progress page's calendar counts days from midnight at the browser's offset)."""
    today = review_day(now, time_zone)
    window = _FIRST_WINDOW_DAYS
    while True:
        times = repo.review_times_since(session, user_id, now - timedelta(days=window + 1))
        found = compute_streak((review_day(t, time_zone) for t in times), today)
        # A streak that fills the window may go on before it: look further back.
        if found.current < window or window >= _MAX_WINDOW_DAYS:
            return found
        window = min(window * 8, _MAX_WINDOW_DAYS)


@dataclass(frozen=True)
class Home:
    """The logged-in home page's data."""

    packs: list[PackSummary]
    due: int
    new: int
    resume: SessionRead | None
    streak: Streak
    started: bool  # whether the user has graded any card yet
    time_zone: str


def home_for(session: Session, user: User, now: datetime | None = None) -> Home:
    """Everything the home page shows a logged-in user, read in one go."""
    now = now or utcnow()
    time_zone = user_time_zone(session, user.id)
    # Packs with cards due first, then those with the most left to learn.
    packs = sorted(practice_overview(session, user, now), key=lambda p: (-p.due, -p.new))
    return Home(
        packs=packs,
        due=sum(p.due for p in packs),
        new=sum(p.new for p in packs),
        resume=unfinished_session(session, user, now),
        streak=streak(session, user.id, time_zone, now),
        started=any(p.total > p.new_waiting for p in packs),  # new_waiting: before limits
        time_zone=time_zone,
    )
