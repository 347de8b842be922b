"""Request and response bodies of the practice API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from app.db import DbId
from app.practice.models import MAX_TEXT_CHARS
from app.practice.settings import (
    PER_DAY_MAX,
    RETENTION_MAX,
    RETENTION_MIN,
    check_steps,
    check_time_zone,
    parse_steps,
)

ScopeKind = Literal["all", "due", "new", "bookmarked", "flagged", "unanswered", "chain"]
Mode = Literal["review", "cram", "mock"]
SessionStatus = Literal["active", "finished", "expired"]

StepsIn = list[int] | Annotated[str, StringConstraints(max_length=200)]
QUESTION_ID_PATTERN = r"^[a-z0-9][a-z0-9-]*/[0-9]+(?:-[0-9]+)*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScopeIn(_Strict):
    pack: str = Field(min_length=1, max_length=64, examples=["deep-learning"])
    kind: ScopeKind = "all"
    question: str | None = Field(
        default=None,
        max_length=32,
        description="For kind=chain (and optionally mock): the main question's number, e.g. '12'.",
        examples=["12"],
    )


class SessionCreate(_Strict):
    scope: ScopeIn
    mode: Mode = "review"
    time_limit_s: int | None = Field(
        default=None, ge=30, le=7200, description="Mock mode only: seconds for the whole chain."
    )


class ScopeRead(BaseModel):
    pack: str
    kind: ScopeKind
    question: str | None


class SessionRead(BaseModel):
    id: int
    mode: Mode
    scope: ScopeRead
    status: SessionStatus
    total: int
    graded: int
    skipped: int = Field(
        default=0, description="Cards passed over ungraded: skipped, suspended or buried."
    )
    remaining: int
    ratings: dict[str, int] = Field(description="How many of each grade: again/hard/good/easy.")
    created_at: datetime
    finished_at: datetime | None
    time_limit_s: int | None
    deadline_at: datetime | None
    seconds_left: int | None


class IntervalPreview(BaseModel):
    rating: int
    name: str
    interval_s: int
    label: str
    label_en: str


class CardRead(BaseModel):
    """The card a session shows now."""

    session: int
    question: str = Field(examples=["deep-learning/12-3"])
    number: str
    title: str
    html: str
    is_follow_up: bool
    returning: bool = Field(
        default=False, description="the card is back in this session for a learning step"
    )
    position: int
    total: int
    revealed: bool
    answer_text: str | None
    has_answer: bool
    previews: list[IntervalPreview] | None = Field(
        description="The interval each grade leads to; null in cram mode."
    )
    seconds_left: int | None


class RevealIn(_Strict):
    answer_text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)


class TermRead(BaseModel):
    text: str
    kind: str
    covered: bool


class RevealRead(BaseModel):
    session: int
    question: str
    position: int
    total: int
    has_answer: bool
    answer_html: str
    own_answer_html: str | None
    answer_text: str | None
    terms: list[TermRead]
    covered: int
    previews: list[IntervalPreview] | None


class DebriefItem(BaseModel):
    """One question of a finished (or timed-out) mock interview."""

    question: str
    number: str
    title: str
    position: int
    answer_text: str | None = Field(description="what was typed, kept even past the clock")
    has_answer: bool
    answer_html: str
    own_answer_html: str | None
    terms: list[TermRead]
    covered: int
    rating: int | None = Field(description="the grade given; null: not graded yet")


class ReviewCreate(_Strict):
    question: str = Field(pattern=QUESTION_ID_PATTERN, examples=["deep-learning/12-3"])
    rating: int = Field(ge=1, le=4, description="1 Again, 2 Hard, 3 Good, 4 Easy")
    session: DbId | None = None
    answer_text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)
    duration_ms: int | None = Field(default=None, ge=0, le=86_400_000)


class CardStateRead(BaseModel):
    state: int
    state_name: str
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    reps: int
    lapses: int


class ReviewRead(BaseModel):
    id: int
    question: str
    rating: int
    mode: Mode
    scheduled: bool
    reviewed_at: datetime
    session: int | None
    card: CardStateRead | None
    due: datetime | None
    interval_label: str | None
    session_done: bool | None
    returns_in_session_at: datetime | None = Field(
        default=None,
        description="when this card comes back in the same session (a learning step that is "
        "near, or a card forgotten while cramming); null when it does not",
    )


class UndoIn(_Strict):
    session: DbId | None = None


class UndoRead(BaseModel):
    question: str
    rating: int
    mode: Mode
    session: int | None
    card: CardStateRead | None


class BookmarkRead(BaseModel):
    question: str
    bookmarked: bool


class NoteIn(_Strict):
    body: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)


class NoteRead(BaseModel):
    question: str
    body: str
    updated_at: datetime


class UserAnswerIn(_Strict):
    body_markdown: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)


class UserAnswerRead(BaseModel):
    question: str
    body_markdown: str
    body_html: str
    updated_at: datetime


class SettingsUpdate(_Strict):
    """Review settings to change; a field left out keeps its value."""

    desired_retention: float | None = Field(
        default=None,
        ge=RETENTION_MIN,
        le=RETENTION_MAX,
        description="The probability of recall FSRS schedules each review for (0.70-0.99).",
        examples=[0.9],
    )
    new_per_day: int | None = Field(
        default=None, ge=0, le=PER_DAY_MAX, description="New cards per pack per day."
    )
    reviews_per_day: int | None = Field(
        default=None, ge=0, le=PER_DAY_MAX, description="Reviews per pack per day."
    )
    learning_steps: StepsIn | None = Field(
        default=None,
        description="Steps of a card being learned: seconds ([60, 600]) or text ('1m 10m'; "
        "s, m, h, d; a bare number is minutes). Empty: straight to review.",
        examples=["1m 10m"],
    )
    relearning_steps: StepsIn | None = Field(
        default=None,
        description="Steps after a forgotten review, like learning_steps.",
        examples=["10m"],
    )
    time_zone: str | None = Field(
        default=None,
        max_length=64,
        description="IANA time zone; the day (and its limits) starts at 04:00 there.",
        examples=["Asia/Seoul"],
    )
    mock_schedules: bool | None = Field(
        default=None, description="Whether grades in a mock interview move the FSRS schedule."
    )

    @field_validator("learning_steps", "relearning_steps")
    @classmethod
    def _steps(cls, value: list[int] | str | None, info: ValidationInfo) -> list[int] | None:
        if value is None:
            return None
        field = info.field_name or "steps"
        steps = parse_steps(field, value) if isinstance(value, str) else check_steps(field, value)
        return list(steps)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else check_time_zone(value)


class SettingsRead(BaseModel):
    desired_retention: float
    new_per_day: int
    reviews_per_day: int
    learning_steps: list[int] = Field(description="seconds")
    learning_steps_text: str = Field(examples=["1m 10m"])
    relearning_steps: list[int] = Field(description="seconds")
    relearning_steps_text: str = Field(examples=["10m"])
    time_zone: str
    day_starts_at_hour: int = Field(description="local hour the day and its limits start")
    mock_schedules: bool
    fsrs_parameters: list[float] | None = Field(
        description="FSRS weights fitted to your reviews; null: the library's defaults"
    )


class CardStatusIn(_Strict):
    """The marks to change; a field left out keeps its value."""

    suspended: bool | None = Field(
        default=None, description="true: never drawn into a session until set false again"
    )
    buried: bool | None = Field(
        default=None,
        description="true: left out until the next day starts (04:00 in your time zone)",
    )
    flagged: bool | None = Field(default=None, description="a marker for the 'flagged' scope")


class CardStatusRead(BaseModel):
    question: str
    suspended: bool
    buried_until: datetime | None = Field(description="null: not buried (or no longer)")
    flagged: bool


class SkipIn(_Strict):
    question: str | None = Field(
        default=None,
        pattern=QUESTION_ID_PATTERN,
        description="The card being skipped; when it is no longer the one shown, 409.",
        examples=["deep-learning/12-3"],
    )
