"""Pydantic shapes of the content API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SourceRead(BaseModel):
    repository: str = Field(description="owner/name of the repository the pack was taken from")
    commit: str = Field(description="the pinned commit the pack and its images are read at")
    path: str
    license: str
    copyright: str
    url: str | None = Field(description="the file at the pinned commit")


class PackRead(BaseModel):
    slug: str
    position: int = Field(default=0, description="the pack's place in the library")
    title: str
    title_en: str
    question_count: int
    answered_count: int
    source: SourceRead


class QuestionLink(BaseModel):
    id: str = Field(description="public id: '{pack}/{number}'", examples=["deep-learning/12-3"])
    pack: str
    number: str
    title: str
    has_answer: bool
    url: str = Field(description="the question's page")


class QuestionSummary(QuestionLink):
    parent: str | None = Field(description="number of the main question of a follow-up")
    snippet: str | None = Field(default=None, description="answer text around a search hit")
    highlights: list[str] = Field(
        default_factory=list, description="the index terms of the query this question matched"
    )


class QuestionList(BaseModel):
    items: list[QuestionSummary]
    total: int
    limit: int
    offset: int


class ReferenceRead(BaseModel):
    title: str
    url: str


class QuestionRead(BaseModel):
    id: str
    pack: str
    number: str
    title: str
    parent: QuestionLink | None
    follow_ups: list[QuestionLink]
    previous: QuestionLink | None
    next: QuestionLink | None
    has_answer: bool
    retired: bool = Field(description="gone from the latest import of its pack")
    answer_markdown: str
    answer_html: str = Field(description="pre-rendered, sanitised HTML (math as MathML)")
    references: list[ReferenceRead]
    url: str
