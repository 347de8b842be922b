"""Request and response bodies of the demos API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

JobStatus = Literal["queued", "running", "finished", "failed", "cancelled"]


class LocalizedText(BaseModel):
    ko: str
    en: str


class AnswerRead(BaseModel):
    question: str = Field(description='The question, as "pack/number".')
    look: LocalizedText = Field(description="What to look at in the result to see the answer.")


class ExperimentRead(BaseModel):
    """An experiment of the catalogue, as models.catalog describes it."""

    slug: str
    title: LocalizedText
    summary: LocalizedText
    questions: list[str] = Field(description='The questions it illustrates, as "pack/number".')
    answers: list[AnswerRead] = Field(
        description="Each question it answers, with what to look at in its result."
    )
    params: dict[str, Any] = Field(
        description="JSON schema (object) of the parameters; each property has its default."
    )
    default_estimate_s: float = Field(
        description="Estimated seconds of its default run (the comparison) on a CPU worker."
    )
    compare_param: str = Field(description="The parameter a comparison varies by default.")
    compare_values: list[Any] = Field(description="Its default 2-4 values to compare.")


class DemoCreate(BaseModel):
    """A run to queue: an experiment and its parameters, or 2-4 variants side by side."""

    experiment: str = Field(max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)
    compare: list[dict[str, Any] | str | int | float | bool | None] | None = Field(
        default=None,
        min_length=2,
        max_length=4,
        description=(
            "2-4 variants trained side by side on the same seed and data: each is either a "
            "value of the experiment's compare_param or an object of parameters applied on "
            "top of params."
        ),
    )

    model_config = ConfigDict(extra="forbid")


class DemoLinks(BaseModel):
    self: str
    events: str
    cancel: str
    model: str


class DemoSummary(BaseModel):
    """A run in the history list."""

    id: int
    experiment: str
    status: JobStatus
    params: dict[str, Any]
    compare: list[dict[str, Any]] | None
    test_accuracy: float | None = None
    created_at: datetime
    finished_at: datetime | None


class DemoRead(DemoSummary):
    """A run: where it is, the progress so far, and the result once finished.

    `progress` holds the progress events of the current attempt (each with `variant` for a
    comparison). `result` omits the trained weights; `links.model` serves them.
    """

    attempt: int
    max_attempts: int
    cancel_requested: bool
    waiting_for_worker: bool = Field(
        description="Queued or running, but no worker is alive to run it (its worker was lost "
        "or none is started): it runs once a worker comes."
    )
    device_kind: str | None
    cached_from: int | None = Field(
        description="The finished run whose stored result answered this one (same parameters)."
    )
    cached_from_at: datetime | None = Field(description="When that run finished.")
    queue_position: int | None = Field(
        description="While queued: how many queued runs are ahead of this one."
    )
    error: str | None
    started_at: datetime | None
    last_event_id: int
    progress: list[dict[str, Any]]
    result: dict[str, Any] | None
    links: DemoLinks


class DemoPage(BaseModel):
    items: list[DemoSummary]
    total: int
    limit: int
    offset: int
