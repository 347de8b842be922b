"""A user's review settings, and the study day they count in.

Desired retention, learning and relearning steps and FSRS weights build the scheduler; new
cards and reviews per day limit what a session draws from a pack (app/practice/limits.py); the
study day starts at DAY_STARTS_AT_HOUR in the user's time zone; mock_schedules says whether a
mock interview's grades move the schedule. A user without a row has DEFAULTS.

Bad values raise SettingsInvalid, whose text is a Korean source string with its English in
app/practice/messages.py: the API answers in English, the settings page in its own language.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy.orm import Session

from app import local_time
from app.i18n import translate
from app.local_time import DEFAULT_TIME_ZONE
from app.practice import repository as repo

log = logging.getLogger("mogi.practice")

DAY_S = 86_400
RETENTION_MIN, RETENTION_MAX = 0.70, 0.99
PER_DAY_MAX = 9999
MAX_STEPS = 10
STEP_MAX_S = 7 * DAY_S
HARD_STEP_FACTOR = 1.5  # fsrs waits 1.5 times a lone step after Hard


@dataclass(frozen=True)
class ReviewSettings:
    """The review settings in effect for one user (the defaults where none are stored)."""

    desired_retention: float = 0.9
    new_per_day: int = 20
    reviews_per_day: int = 200
    learning_steps: tuple[int, ...] = (60, 600)  # seconds: fsrs's own 1 and 10 minutes
    relearning_steps: tuple[int, ...] = (600,)
    time_zone: str = DEFAULT_TIME_ZONE
    mock_schedules: bool = True
    fsrs_parameters: tuple[float, ...] | None = None  # None: the fsrs library's weights

    @property
    def in_session_step_s(self) -> float:
        """How near a learning step must be to come back in the same sitting: up to the
        longest configured step shorter than a day (after Hard's stretch); a step of a day
        or more waits for a "review due" session, as in Anki."""
        steps = [s for s in (*self.learning_steps, *self.relearning_steps) if s < DAY_S]
        return HARD_STEP_FACTOR * max(steps, default=0)


DEFAULTS = ReviewSettings()
EDITABLE = tuple(f.name for f in fields(ReviewSettings) if f.name != "fsrs_parameters")
"""What a user sets; fsrs_parameters comes from the optimiser, fitted to their review log."""


class SettingsInvalid(ValueError):
    """A bad value for one setting; str() is the English text (pydantic shows it as is)."""

    def __init__(self, field: str, text: str, **params: object) -> None:
        self.field, self.text, self.params = field, text, params
        super().__init__(translate(text, "en", **params))

    def message(self, lang: str) -> str:
        return translate(self.text, lang, **self.params)


class SettingsFormInvalid(Exception):
    """Every bad field of a settings form, by field name."""

    def __init__(self, errors: dict[str, SettingsInvalid]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


# --- reading and saving ---


def user_time_zone(db: Session, user_id: int) -> str:
    """The zone the user's days and times are in: their settings' when this system knows it,
    else Seoul. Pages show times in it; limits, bury and the streak count days in it."""
    name = settings_for(db, user_id).time_zone
    return name if local_time.known_zone(name) else DEFAULT_TIME_ZONE


def settings_for(db: Session, user_id: int) -> ReviewSettings:
    """The user's settings in effect: their row, or DEFAULTS."""
    row = repo.get_practice_settings(db, user_id)
    if row is None:
        return DEFAULTS
    params = row.fsrs_parameters
    return ReviewSettings(
        desired_retention=row.desired_retention,
        new_per_day=row.new_per_day,
        reviews_per_day=row.reviews_per_day,
        learning_steps=tuple(int(s) for s in row.learning_steps),
        relearning_steps=tuple(int(s) for s in row.relearning_steps),
        time_zone=row.time_zone,
        mock_schedules=row.mock_schedules,
        fsrs_parameters=tuple(float(w) for w in params) if params else None,
    )


def update_settings(db: Session, user_id: int, changes: Mapping[str, Any]) -> ReviewSettings:
    """Store the settings named in changes (already checked); the others keep their value."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not user settings: {sorted(unknown)}")
    defaults = {name: _column_value(getattr(DEFAULTS, name)) for name in EDITABLE}
    row = repo.get_or_create_practice_settings(db, user_id, defaults)
    for name, value in changes.items():
        setattr(row, name, _column_value(value))
    db.flush()
    return settings_for(db, user_id)


def stored_settings(db: Session, user_id: int) -> tuple[ReviewSettings, datetime] | None:
    """The user's own settings and when they last changed (for an export); None: defaults."""
    row = repo.get_practice_settings(db, user_id)
    return None if row is None else (settings_for(db, user_id), row.updated_at)


def restore_settings(
    db: Session, user_id: int, settings: ReviewSettings, updated_at: datetime
) -> str:
    """Take settings from an export unless the user's own changed later: added, updated or
    unchanged."""
    current = repo.get_practice_settings(db, user_id)
    if current is not None and current.updated_at >= updated_at:
        return "unchanged"
    values = {f.name: _column_value(getattr(settings, f.name)) for f in fields(ReviewSettings)}
    row = repo.get_or_create_practice_settings(db, user_id, values)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = updated_at
    db.flush()
    return "added" if current is None else "updated"


def _column_value(value: Any) -> Any:
    return list(value) if isinstance(value, tuple | list) else value


# --- checking values (shared by the API's schema and the page's form) ---


def check_retention(value: float) -> float:
    if not RETENTION_MIN <= value <= RETENTION_MAX:
        raise SettingsInvalid(
            "desired_retention",
            "{low}에서 {high} 사이의 숫자를 입력하세요.",
            low=RETENTION_MIN,
            high=RETENTION_MAX,
        )
    return value


def check_per_day(field: str, value: int) -> int:
    if not 0 <= value <= PER_DAY_MAX:
        raise SettingsInvalid(
            field, "{low}에서 {high} 사이의 정수를 입력하세요.", low=0, high=PER_DAY_MAX
        )
    return value


@lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    """Every IANA time zone name this machine knows."""
    return frozenset(available_timezones())


def check_time_zone(name: str) -> str:
    """name if it is an IANA time zone (Asia/Seoul, Europe/Berlin, UTC)."""
    name = name.strip()
    if name not in time_zones():
        raise SettingsInvalid(
            "time_zone",
            "알 수 없는 시간대입니다: '{zone}'. Asia/Seoul, Europe/Berlin 같은 IANA 이름을 "
            "입력하세요.",
            zone=name[:64],
        )
    return name


_UNITS = {"s": 1, "초": 1, "m": 60, "분": 60, "h": 3600, "시간": 3600, "d": DAY_S, "일": DAY_S}
_STEP = re.compile(r"(\d+(?:\.\d+)?)(s|m|h|d|초|분|시간|일)?", re.IGNORECASE)


def parse_steps(field: str, text: str) -> tuple[int, ...]:
    """Steps written as people write them: "1m 10m", "10m", "1h", "1d", "30s" (a bare number
    is minutes, as in Anki; 분/시간/일 work too). Empty: no steps."""
    joined = re.sub(r"(\d)\s+(?=[^\d\s,])", r"\1", text.strip())  # "1 m" is "1m"
    steps = []
    for token in (t for t in re.split(r"[\s,]+", joined) if t):
        match = _STEP.fullmatch(token)
        if match is None:
            raise SettingsInvalid(
                field, "간격을 알아볼 수 없습니다: '{token}'. 예: 1m 10m, 1h, 1d", token=token[:20]
            )
        steps.append(round(float(match[1]) * _UNITS[(match[2] or "m").lower()]))
    return check_steps(field, steps)


def check_steps(field: str, steps: list[int] | tuple[int, ...]) -> tuple[int, ...]:
    if len(steps) > MAX_STEPS:
        raise SettingsInvalid(field, "간격은 {most}개까지 입력할 수 있습니다.", most=MAX_STEPS)
    for step in steps:
        if not 1 <= step <= STEP_MAX_S:
            raise SettingsInvalid(
                field,
                "간격은 1초에서 {longest} 사이여야 합니다: '{step}'",
                longest=format_step(STEP_MAX_S),
                step=format_step(step) if step > 0 else str(step),
            )
    return tuple(steps)


def format_step(seconds: int) -> str:
    """One step the way people write it: 1m, 10m, 1h, 1d, 90s."""
    for unit, size in (("d", DAY_S), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def format_steps(steps: tuple[int, ...] | list[int]) -> str:
    return " ".join(format_step(s) for s in steps)


# --- the settings page's form ---


def form_values(settings: ReviewSettings) -> dict[str, str]:
    """The settings as the page's form shows them (retention in percent, steps as text)."""
    return {
        "desired_retention": f"{round(settings.desired_retention * 100, 2):g}",
        "new_per_day": str(settings.new_per_day),
        "reviews_per_day": str(settings.reviews_per_day),
        "learning_steps": format_steps(settings.learning_steps),
        "relearning_steps": format_steps(settings.relearning_steps),
        "time_zone": settings.time_zone,
        "mock_schedules": "1" if settings.mock_schedules else "",
    }


def read_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The changes a settings form asks for; SettingsFormInvalid lists every bad field."""
    readers = {
        "desired_retention": lambda text: check_retention(_percent(text)),
        "new_per_day": lambda text: check_per_day("new_per_day", _whole("new_per_day", text)),
        "reviews_per_day": lambda text: check_per_day(
            "reviews_per_day", _whole("reviews_per_day", text)
        ),
        "learning_steps": lambda text: parse_steps("learning_steps", text),
        "relearning_steps": lambda text: parse_steps("relearning_steps", text),
        "time_zone": check_time_zone,
    }
    changes: dict[str, Any] = {}
    errors: dict[str, SettingsInvalid] = {}
    for name, reader in readers.items():
        try:
            changes[name] = reader(form.get(name, ""))
        except SettingsInvalid as exc:
            errors[name] = exc
    if errors:
        raise SettingsFormInvalid(errors)
    changes["mock_schedules"] = form.get("mock_schedules", "") not in ("", "0")
    return changes


def _percent(text: str) -> float:
    """A retention typed in percent on the page ("90", "92.5") as a fraction."""
    low, high = round(RETENTION_MIN * 100), round(RETENTION_MAX * 100)
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        value = float("nan")
    if not low <= value <= high:  # NaN and infinities fail here too
        raise SettingsInvalid(
            "desired_retention", "{low}에서 {high} 사이의 숫자를 입력하세요.", low=low, high=high
        )
    return round(value / 100, 4)


def _whole(field: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise SettingsInvalid(
            field, "{low}에서 {high} 사이의 정수를 입력하세요.", low=0, high=PER_DAY_MAX
        ) from None


# --- the study day ---


def day_start(settings: ReviewSettings, now: datetime) -> datetime:
    """When the user's study day of now began (DAY_STARTS_AT_HOUR local time), in UTC."""
    return local_time.day_start(now, local_time.zone(settings.time_zone))
