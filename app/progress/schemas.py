"""Pydantic shapes of the progress API and of the export document."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from app.practice.models import MAX_TEXT_CHARS
from app.practice.schemas import Mode, ScopeKind
from app.practice.settings import (
    PER_DAY_MAX,
    RETENTION_MAX,
    RETENTION_MIN,
    check_steps,
    check_time_zone,
)

EXPORT_FORMAT = "mogi-export"
EXPORT_VERSION = 1


# --- progress --------------------------------------------------------------------------------


class Totals(BaseModel):
    questions: int = Field(description="live questions in scope")
    seen: int = Field(description="questions graded at least once (have a card)")
    reviews: int = Field(description="grades given, all modes")


class DueCounts(BaseModel):
    now: int = Field(description="cards due now")
    today: int = Field(description="cards due by the end of the local day")
    week: int = Field(description="cards due within the next 7 days")


class DayCount(BaseModel):
    date: date
    reviews: int


class Streak(BaseModel):
    current: int = Field(description="consecutive local days with a scheduled grade, to today")
    longest: int
    reviewed_today: bool


class Retention(BaseModel):
    """Share of grades of Review-state cards that were not Again (Hard, Good or Easy)."""

    last_30_days: float | None
    last_30_days_reviews: int
    all_time: float | None
    all_time_reviews: int
    weekly: list[WeekRetention]


class WeekRetention(BaseModel):
    week_start: date
    reviews: int
    retention: float | None


class PackMastery(BaseModel):
    pack: str
    title: str
    title_en: str = Field(default="", description="the pack's English title, if it has one")
    questions: int
    mastery: float = Field(description="mean retrievability over the pack, unseen counted as 0")
    new: int
    learning: int
    review: int
    relearning: int


class QuestionMastery(BaseModel):
    question: str = Field(description="pack/number")
    pack: str
    number: str
    title: str
    state: int = Field(description="fsrs.State: 1 Learning, 2 Review, 3 Relearning")
    retrievability: float
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    last_rating: int | None
    reps: int
    lapses: int


class ProgressRead(BaseModel):
    generated_at: datetime
    tz_offset_minutes: int
    pack: str | None
    totals: Totals
    due: DueCounts
    reviews_per_day: list[DayCount] = Field(description="the last 365 local days, oldest first")
    streak: Streak
    retention: Retention
    packs: list[PackMastery]
    questions: list[QuestionMastery]
    weakest: list[QuestionMastery]


class ReviewHistoryItem(BaseModel):
    reviewed_at: datetime
    rating: int
    mode: str
    scheduled: bool
    interval_days: float | None = Field(description="time to the due date this grade set")
    state: int | None
    stability: float | None
    difficulty: float | None
    duration_ms: int | None
    answer_text: str | None


class QuestionHistoryRead(BaseModel):
    question: str
    pack: str
    number: str
    title: str
    card: QuestionMastery | None
    reviews: list[ReviewHistoryItem]


# --- export document -------------------------------------------------------------------------


def _check_ref(value: str) -> str:
    pack, sep, number = value.partition("/")
    if not sep or not pack or not number or "/" in number:
        raise ValueError("a question is written 'pack/number', e.g. 'deep-learning/12-3'")
    return value


_SNAPSHOT_KEYS = {
    "state",
    "step",
    "stability",
    "difficulty",
    "due",
    "last_review",
    "reps",
    "lapses",
}


def _check_snapshot(value: str | None) -> str | None:
    """card_before is restored by an undo, so it must be the card snapshot it claims to be."""
    if value is None:
        return None
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError("card_before must be a JSON object") from exc
    if not isinstance(data, dict) or set(data) != _SNAPSHOT_KEYS:
        raise ValueError(f"card_before must have exactly the keys {sorted(_SNAPSHOT_KEYS)}")
    try:
        datetime.fromisoformat(data["due"])
        int(data["state"]), int(data["reps"]), int(data["lapses"])
        if data["last_review"] is not None:
            datetime.fromisoformat(data["last_review"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"card_before has a bad value: {exc}") from exc
    return value


QuestionRef = Annotated[str, Field(max_length=200), AfterValidator(_check_ref)]
Snapshot = Annotated[str | None, Field(max_length=2000), AfterValidator(_check_snapshot)]
Text = Annotated[str, Field(max_length=MAX_TEXT_CHARS)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExportCard(_Strict):
    question: QuestionRef
    state: int = Field(ge=1, le=3)
    step: int | None = Field(default=None, ge=0)
    stability: float | None = Field(default=None, gt=0)
    difficulty: float | None = Field(default=None, ge=0)
    due: AwareDatetime
    last_review: AwareDatetime | None = None
    reps: int = Field(default=0, ge=0)
    lapses: int = Field(default=0, ge=0)
    created_at: AwareDatetime


class ExportReview(_Strict):
    question: QuestionRef
    reviewed_at: AwareDatetime
    rating: int = Field(ge=1, le=4)
    mode: Mode
    scheduled: bool = True
    duration_ms: int | None = Field(default=None, ge=0)
    answer_text: Text | None = None
    session: int | None = Field(default=None, ge=0, description="index into sessions")
    card_before: Snapshot = None
    state: int | None = Field(default=None, ge=1, le=3)
    stability: float | None = None
    difficulty: float | None = None
    due: AwareDatetime | None = None
    elapsed_days: int | None = None


class ExportNote(_Strict):
    question: QuestionRef
    body: Text
    updated_at: AwareDatetime


class ExportBookmark(_Strict):
    question: QuestionRef
    created_at: AwareDatetime


class ExportAnswer(_Strict):
    question: QuestionRef
    body_markdown: Text
    updated_at: AwareDatetime


class ExportSessionItem(_Strict):
    question: QuestionRef
    position: int = Field(ge=0)
    revealed_at: AwareDatetime | None = None
    graded_at: AwareDatetime | None = None
    rating: int | None = Field(default=None, ge=1, le=4)
    answer_text: Text | None = None
    due_at: AwareDatetime | None = Field(
        default=None, description="a learning step's item: when it comes back in the session"
    )


class ExportSession(_Strict):
    mode: Mode
    scope_kind: ScopeKind
    pack: Annotated[str, Field(min_length=1, max_length=100)]
    question: QuestionRef | None = None
    created_at: AwareDatetime
    finished_at: AwareDatetime | None = None
    time_limit_s: int | None = Field(default=None, ge=0)
    deadline_at: AwareDatetime | None = None
    items: list[ExportSessionItem] = []


def _steps(field: str) -> AfterValidator:
    return AfterValidator(lambda steps: list(check_steps(field, steps)))


class ExportSettings(_Strict):
    """The review settings, checked as the settings API checks them."""

    desired_retention: float = Field(ge=RETENTION_MIN, le=RETENTION_MAX)
    new_per_day: int = Field(ge=0, le=PER_DAY_MAX)
    reviews_per_day: int = Field(ge=0, le=PER_DAY_MAX)
    learning_steps: Annotated[list[int], _steps("learning_steps")]
    relearning_steps: Annotated[list[int], _steps("relearning_steps")]
    time_zone: Annotated[str, Field(max_length=64), AfterValidator(check_time_zone)]
    mock_schedules: bool
    fsrs_parameters: list[float] | None = Field(default=None, max_length=64)
    updated_at: AwareDatetime


class ExportUser(_Strict):
    username: str


class ExportDocument(_Strict):
    """Everything a user owns in Mogi; questions are named 'pack/number', never by database id."""

    format: Literal["mogi-export"]
    version: Literal[1]
    exported_at: AwareDatetime
    user: ExportUser
    cards: list[ExportCard] = []
    reviews: list[ExportReview] = []
    notes: list[ExportNote] = []
    bookmarks: list[ExportBookmark] = []
    answers: list[ExportAnswer] = []
    sessions: list[ExportSession] = []
    settings: ExportSettings | None = None


class ImportCounts(BaseModel):
    added: int = 0
    updated: int = 0
    unchanged: int = 0


class ImportResult(BaseModel):
    cards: ImportCounts
    reviews: ImportCounts
    notes: ImportCounts
    bookmarks: ImportCounts
    answers: ImportCounts
    sessions: ImportCounts
    settings: ImportCounts = Field(default_factory=ImportCounts)
    skipped_questions: list[str] = Field(
        description="questions not on this instance whose rows were left out (skip_unknown=true)"
    )


Retention.model_rebuild()
