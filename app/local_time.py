"""Times as a user reads them: in their time zone, written the way their page language writes.

Every page that prints a moment does it through `local_time` (a Jinja global), which wraps it
in `<time datetime="...">` with the exact UTC instant for machines. The zone comes from the
page's context (`time_zone`, set by views from the user's review settings); a visitor, or a
user who never chose one, reads Seoul time, like the day boundaries of their reviews.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import pass_context
from markupsafe import Markup, escape

DEFAULT_TIME_ZONE = "Asia/Seoul"
# Reviews of "a day" run from 04:00 to 04:00 local time, as in Anki: a late-night session still
# counts for the evening it started in.
DAY_STARTS_AT_HOUR = 4
Style = Literal["datetime", "date", "time"]
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Korea has had no daylight saving since 1988: a fixed offset when the system lacks tz data.
_SEOUL_FALLBACK = timezone(timedelta(hours=9), "KST")


@cache
def zone(name: str | None) -> tzinfo:
    """The zone of an IANA name; Seoul for an empty or unknown one."""
    for candidate in (name, DEFAULT_TIME_ZONE):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return _SEOUL_FALLBACK


def known_zone(name: str | None) -> bool:
    """Whether name is an IANA zone this system knows."""
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def to_local(moment: datetime, time_zone: str | None) -> datetime:
    """The moment on the wall clock of time_zone (a naive value is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone(time_zone))


def review_day(moment: datetime, time_zone: str | None) -> date:
    """The review day a moment falls in (days start at DAY_STARTS_AT_HOUR, local time)."""
    return (to_local(moment, time_zone) - timedelta(hours=DAY_STARTS_AT_HOUR)).date()


def day_start(moment: datetime, tz: tzinfo) -> datetime:
    """When the review day of moment began in tz, in UTC."""
    local_day = (moment.astimezone(tz) - timedelta(hours=DAY_STARTS_AT_HOUR)).date()
    return datetime.combine(local_day, time(DAY_STARTS_AT_HOUR), tzinfo=tz).astimezone(UTC)


def next_day_start(moment: datetime, tz: tzinfo) -> datetime:
    """When the review day after moment's begins in tz, in UTC."""
    local_day = (moment.astimezone(tz) - timedelta(hours=DAY_STARTS_AT_HOUR)).date()
    following = local_day + timedelta(days=1)
    return datetime.combine(following, time(DAY_STARTS_AT_HOUR), tzinfo=tz).astimezone(UTC)


def format_local(
    moment: datetime, time_zone: str | None, lang: str = "ko", style: Style = "datetime"
) -> str:
    """The moment as text in the page language: '2026년 12월 1일 15:05 KST' or
    'Dec 1, 2026, 3:05 PM KST'."""
    local = to_local(moment, time_zone)
    abbr = local.tzname() or ""
    if lang == "en":
        day = f"{_MONTHS[local.month - 1]} {local.day}, {local.year}"
        hour = local.hour % 12 or 12
        clock = f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'} {abbr}".strip()
        sep = ", "
    else:
        day = f"{local.year}년 {local.month}월 {local.day}일"
        clock = f"{local.hour:02d}:{local.minute:02d} {abbr}".strip()
        sep = " "
    if style == "date":
        return day
    if style == "time":
        return clock
    return f"{day}{sep}{clock}"


@pass_context
def local_time(context: Any, moment: datetime | None, style: Style = "datetime") -> Markup:
    """`{{ local_time(card.due) }}`: a <time> element in the page's zone and language."""
    if moment is None:
        return Markup("")
    time_zone = context.get("time_zone") or DEFAULT_TIME_ZONE
    text = format_local(moment, time_zone, context.get("lang", "ko"), style)
    instant = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
    return Markup('<time datetime="{}">{}</time>').format(escape(instant), text)
