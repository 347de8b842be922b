"""Streaks and local days: the pure functions behind the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.progress.statistics import compute_streak, end_of_local_day, local_today

TODAY = date(2026, 3, 1)


def _days(*ago: int) -> list[date]:
    return [TODAY - timedelta(days=n) for n in ago]


def test_no_days_no_streak() -> None:
    streak = compute_streak([], TODAY)
    assert (streak.current, streak.longest, streak.reviewed_today) == (0, 0, False)


def test_today_alone() -> None:
    streak = compute_streak(_days(0), TODAY)
    assert (streak.current, streak.longest, streak.reviewed_today) == (1, 1, True)


def test_a_streak_lasts_until_today_is_over() -> None:
    streak = compute_streak(_days(1, 2, 3), TODAY)
    assert (streak.current, streak.longest, streak.reviewed_today) == (3, 3, False)


def test_a_missed_day_breaks_it() -> None:
    streak = compute_streak(_days(2, 3, 4, 5), TODAY)
    assert (streak.current, streak.longest) == (0, 4)


def test_longest_run_in_the_past_and_duplicates() -> None:
    streak = compute_streak(_days(0, 1, 0, 1, 5, 6, 7, 8, 9, 20), TODAY)
    assert (streak.current, streak.longest) == (2, 5)


def test_across_a_month_and_leap_day() -> None:
    today = date(2028, 3, 1)  # 2028 is a leap year: Feb 29 sits between
    days = [date(2028, 2, 28), date(2028, 2, 29), date(2028, 3, 1)]
    streak = compute_streak(days, today)
    assert (streak.current, streak.longest) == (3, 3)


def test_future_days_count_for_longest_only() -> None:
    streak = compute_streak([TODAY, TODAY + timedelta(days=1), TODAY + timedelta(days=2)], TODAY)
    assert (streak.current, streak.longest) == (1, 3)


def test_local_day_boundaries() -> None:
    now = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    assert local_today(now, 0) == date(2026, 3, 1)
    assert local_today(now, 540) == date(2026, 3, 2)  # 01:30 in Seoul
    assert local_today(now, -600) == date(2026, 3, 1)
    assert end_of_local_day(now, 0) == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    assert end_of_local_day(now, 540) == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert end_of_local_day(now, -300) == datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
