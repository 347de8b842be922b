"""HTML routes of the demos feature: the catalogue, an experiment's form, a run's page.

The pages are thin: the form is generated from the catalogue's JSON schemas; a finished run's
page is rendered whole on the server (app.demos.result_page), a live one gets its state from the
API (and its event stream) in the browser. How values read is app.demos.labels. Nothing here
imports torch; the catalogue is models.catalog, which is torch-free.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.auth.deps import PageOptionalUser, PageUser, load_user
from app.content import lookups
from app.db import DbId, SessionDep
from app.demos import service
from app.demos.labels import (
    FORM_TEXT,
    RUN_TEXT,
    STATUS_LABELS,
    localised,
    number_text,
    param_titles,
    params_text,
    run_text,
    translated,
    value_label,
)
from app.demos.result_page import result_view
from app.demos.schemas import DemoSummary
from app.errors import NotFound
from app.i18n import request_language, translate
from app.local_time import DEFAULT_TIME_ZONE, format_local
from app.practice.settings import user_time_zone
from app.web import render, verify_csrf
from models import catalog
from models.catalog import Experiment

router = APIRouter(dependencies=[Depends(verify_csrf), Depends(load_user)], include_in_schema=False)

HISTORY_LIMIT = 20


# ---- view models ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionLinkView:
    number: str
    title: str
    url: str
    look: str = ""  # what to look at in the result to see this question's answer


@dataclass(frozen=True)
class ChoiceView:
    json: str
    label: str
    selected: bool


@dataclass(frozen=True)
class FieldView:
    """One form control, derived from a parameter's JSON schema."""

    name: str
    label: str
    help: str
    kind: str  # "integer" | "number" | "boolean" | "select"
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    multiple_of: float | None = None
    nullable: bool = False
    choices: list[ChoiceView] = field(default_factory=list)

    @property
    def step(self) -> str:
        """The input's step: the schema's multipleOf, 1 for integers, else any."""
        if self.multiple_of is not None:
            return number_text(self.multiple_of)
        return "1" if self.kind == "integer" else "any"

    @property
    def default_text(self) -> str:
        return number_text(self.default) if self.default is not None else ""

    @property
    def range_text(self) -> str:
        """The bounds as a hint under the field, e.g. "1 – 10"."""
        if self.minimum is None and self.maximum is None:
            return ""
        low = "" if self.minimum is None else number_text(self.minimum)
        high = "" if self.maximum is None else number_text(self.maximum)
        return f"{low} – {high}"

    def as_json(self) -> dict[str, Any]:
        """What demo-form.js needs to check and compare this field."""
        return {
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "default": self.default,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "multipleOf": self.multiple_of,
            "nullable": self.nullable,
            "step": self.step,
            "choices": [{"json": c.json, "label": c.label} for c in self.choices],
        }


@dataclass(frozen=True)
class ExperimentView:
    slug: str
    title: str
    summary: str
    url: str
    questions: list[QuestionLinkView]
    fields: list[FieldView]
    compare_param: str | None
    compare_values: list[Any]


def _schema_type(schema: dict[str, Any]) -> tuple[str | None, bool]:
    """The schema's type and whether null is allowed (`"type": ["number", "null"]`)."""
    kind = schema.get("type")
    if isinstance(kind, list):
        others = [k for k in kind if k != "null"]
        return (others[0] if others else None), "null" in kind
    return kind, False


def field_view(name: str, schema: dict[str, Any], default: Any, lang: str) -> FieldView:
    """The form control for one parameter: select for enums, checkbox for booleans, else a
    number input with the schema's bounds and step."""
    label = localised(schema, "title", lang) or name
    help_text = localised(schema, "description", lang)
    kind, nullable = _schema_type(schema)
    if "enum" in schema:
        choices = [
            ChoiceView(json=json.dumps(v), label=value_label(v, lang), selected=v == default)
            for v in schema["enum"]
        ]
        return FieldView(name, label, help_text, "select", default, choices=choices)
    if kind == "boolean":
        return FieldView(name, label, help_text, "boolean", bool(default))
    return FieldView(
        name,
        label,
        help_text,
        "integer" if kind == "integer" else "number",
        default,
        minimum=schema.get("minimum", schema.get("exclusiveMinimum")),
        maximum=schema.get("maximum", schema.get("exclusiveMaximum")),
        multiple_of=schema.get("multipleOf"),
        nullable=nullable,
    )


def question_links(
    session: Session, ids: list[str], exp: Experiment | None = None, lang: str = "ko"
) -> list[QuestionLinkView]:
    """Links to the questions an experiment illustrates, titled when the pack is imported,
    each with what to look at in the result."""
    links = []
    for public_id in ids:
        pack, _, number = public_id.partition("/")
        title = lookups.question_title(session, public_id)
        look = exp.look(public_id, lang) if exp is not None else ""
        links.append(QuestionLinkView(number, title, lookups.question_url(pack, number), look))
    return links


def experiment_view(exp: Experiment, lang: str, session: Session) -> ExperimentView:
    """An experiment as its card and its form show it, in lang."""
    schema = catalog.params_schema(exp)["properties"]
    defaults = catalog.defaults(exp)
    return ExperimentView(
        slug=exp.slug,
        title=exp.title(lang),
        summary=exp.summary(lang),
        url=f"/demos/{exp.slug}",
        questions=question_links(session, list(exp.questions), exp, lang),
        fields=[field_view(name, prop, defaults[name], lang) for name, prop in schema.items()],
        compare_param=exp.compare_param,
        compare_values=list(exp.compare_values),
    )


def experiments(lang: str, session: Session) -> list[ExperimentView]:
    """The whole catalogue, in its order."""
    return [experiment_view(exp, lang, session) for exp in catalog.EXPERIMENTS.values()]


def find_experiment(slug: str) -> Experiment | None:
    """The catalogue's experiment `slug`, or None."""
    return catalog.EXPERIMENTS.get(slug)


@dataclass(frozen=True)
class RunRow:
    """A run in the history table."""

    id: int
    url: str
    title: str
    status: str
    accuracy: str
    compare_count: int
    created_at: datetime


def run_rows(items: list[DemoSummary], titles: dict[str, str]) -> list[RunRow]:
    """History rows for the user's runs, titled from the catalogue."""
    return [
        RunRow(
            id=item.id,
            url=f"/demos/runs/{item.id}",
            title=titles.get(item.experiment, item.experiment),
            status=item.status,
            accuracy="" if item.test_accuracy is None else f"{100 * item.test_accuracy:.2f}%",
            compare_count=len(item.compare or []),
            created_at=item.created_at,
        )
        for item in items
    ]


def progress_text(session: Session, job: Any, lang: str, time_zone: str) -> str:
    """What the page says before its scripts run: the place in the queue, or the stored run
    that answered this one."""
    if job.status == "queued":
        ahead = service.queue_position(session, job.id)
        if ahead == 0:
            return translate(RUN_TEXT["queueNext"], lang)
        return translate(RUN_TEXT["queueAhead"], lang, n=ahead)
    if job.status == "finished" and job.cached_from_id is not None:
        when = service.finished_at(session, job.cached_from_id)
        text = translate(RUN_TEXT["cachedFrom"], lang)
        return text.replace("{id}", str(job.cached_from_id)).replace(
            "{t}", format_local(when, time_zone, lang, "time") if when else ""
        )
    return ""


# ---- routes ---------------------------------------------------------------------------------


@router.get("/demos")
def demos_index(request: Request, session: SessionDep, user: PageOptionalUser) -> Response:
    """The catalogue of experiments, and the visitor's own runs when logged in."""
    lang = request_language(request)
    catalogue = experiments(lang, session)
    runs: list[RunRow] = []
    more = False
    if user is not None:
        page = service.list_jobs(session, user.id, limit=HISTORY_LIMIT, offset=0)
        runs = run_rows(page.items, {e.slug: e.title for e in catalogue})
        more = page.total > len(page.items)
    context = {
        "experiments": catalogue,
        "runs": runs,
        "more_runs": more,
        "STATUS_LABELS": STATUS_LABELS,
        "time_zone": user_time_zone(session, user.id) if runs and user else DEFAULT_TIME_ZONE,
    }
    return render(request, "demos/index.html", context)


@router.get("/demos/runs/{run_id}")
def run_page(run_id: DbId, request: Request, session: SessionDep, user: PageUser) -> Response:
    """One run: live curves while it trains, then results and the drawing pad."""
    job = service.owned_job(session, user.id, run_id)
    lang = request_language(request)
    exp = find_experiment(job.experiment)
    title = exp.title(lang) if exp is not None else job.experiment
    time_zone = user_time_zone(session, user.id)
    context = {
        "run": job,
        "exp_title": title,
        "exp_url": f"/demos/{job.experiment}",
        "params_text": params_text(job.params, job.compare, param_titles(exp, lang), lang),
        "progress_text": progress_text(session, job, lang, time_zone),
        "time_zone": time_zone,
        "result_view": result_view(job, lang),
        "js_text": run_text(lang, exp),
        "STATUS_LABELS": STATUS_LABELS,
    }
    return render(request, "demos/run.html", context)


@router.get("/demos/{slug}")
def experiment_page(slug: str, request: Request, session: SessionDep) -> Response:
    """An experiment's form: its bounded parameters with defaults, and compare mode."""
    found = find_experiment(slug)
    if found is None:
        raise NotFound("No experiment '{slug}'.", "'{slug}' 실험이 없습니다.", slug=slug)
    lang = request_language(request)
    exp = experiment_view(found, lang, session)
    form_data = {
        "fields": [f.as_json() for f in exp.fields],
        "compareParam": exp.compare_param,
        "compareValues": exp.compare_values,
        "text": translated(FORM_TEXT, lang),
    }
    return render(request, "demos/experiment.html", {"exp": exp, "form_data": form_data})
