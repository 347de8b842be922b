"""What the API says about an FSRS optimisation and about the weights in use."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class OptimisationLinks(BaseModel):
    self: str
    adopt: str
    discard: str


class OptimisationProgress(BaseModel):
    stage: str = Field(description="before (loss of the weights in use), fitting, after")
    epoch: int | None = None
    epochs: int | None = None


class OptimisationRead(BaseModel):
    """One fit of the caller's FSRS weights to their review log."""

    id: int
    status: Literal["queued", "running", "finished", "failed", "cancelled"]
    decision: Literal["adopted", "discarded"] | None = Field(
        description="What the caller did with the fitted weights; null until they decide"
    )
    in_use: bool = Field(description="Whether the fitted weights are the ones scheduling now")
    reviews: int = Field(description="Scheduled grades in the snapshot the fit uses")
    cards: int = Field(description="Questions those grades belong to")
    measured_reviews: int = Field(
        description="Grades a day or more after the card's previous one: the log loss is "
        "measured on these"
    )
    log_loss_before: float | None = Field(
        description="Log loss of the weights in use when the fit was asked for"
    )
    log_loss_after: float | None = Field(description="Log loss of the fitted weights")
    parameters_before: list[float] | None
    parameters: list[float] | None = Field(description="The fitted FSRS weights")
    seconds: float | None = Field(description="How long the fit took on the worker")
    progress: OptimisationProgress | None
    queue_position: int | None = Field(description="Queued jobs ahead of this one")
    waiting_for_worker: bool
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    decided_at: datetime | None
    links: OptimisationLinks


class FsrsParametersRead(BaseModel):
    """The FSRS weights that schedule the caller's reviews."""

    parameters: list[float]
    source: Literal["default", "optimised"] = Field(
        description="default: the fsrs library's weights; optimised: fitted to your reviews"
    )
    optimisation: int | None = Field(description="The optimisation they came from, if known")
