"""What an experiment declares: typed parameters, the questions it answers, its cost, its run.

Each experiment is one module of `models.experiments` holding an `EXPERIMENT`; the catalogue
(models.catalog) finds them all. Declarations are read by the web process, so this module and
the declarations stay free of torch: a run function imports torch (and models.runner's training
pieces) inside its body, when the worker calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

if TYPE_CHECKING:  # the worker's side; never imported by the web process
    from models.context import Context, Plan

PACK = "deep-learning"
_NULL = {"", "auto", "none", "null"}


def _not_bool(value: object) -> object:
    # pydantic reads True as 1; a checkbox's value in a number field is a mistake, not a 1.
    if isinstance(value, bool):
        raise PydanticCustomError("number_not_bool", "expected a number, got a boolean")
    return value


def _empty_is_none(value: object) -> object:
    # "auto", "none" or an empty field from the command line or a form: the experiment picks.
    if isinstance(value, str) and value.strip().lower() in _NULL:
        return None
    return value


Int = Annotated[int, BeforeValidator(_not_bool)]
Float = Annotated[float, BeforeValidator(_not_bool)]
OptionalFloat = Annotated[float | None, BeforeValidator(_empty_is_none), BeforeValidator(_not_bool)]
OptionalInt = Annotated[int | None, BeforeValidator(_empty_is_none), BeforeValidator(_not_bool)]


def param(
    default: Any,
    ko: str,
    en: str,
    *,
    ge: float | None = None,
    le: float | None = None,
    help_ko: str | None = None,
    help_en: str | None = None,
) -> Any:
    """A parameter's field: its default, bounds and titles in both languages (the form's label)."""
    extra: dict[str, Any] = {"title_ko": ko}
    if help_ko is not None and help_en is not None:
        extra["description_ko"] = help_ko
        extra["description_en"] = help_en
    return Field(default, ge=ge, le=le, title=en, description=help_en, json_schema_extra=extra)


class Params(BaseModel):
    """The base of every experiment's parameters: unknown names refused, numbers finite."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    seed: Int = param(0, "난수 시드", "Random seed", ge=0, le=2**31 - 1)


@dataclass(frozen=True)
class Answer:
    """A question an experiment answers, and what to look at in its result to see the answer."""

    number: str  # e.g. "12-1"
    look_ko: str
    look_en: str

    @property
    def public_id(self) -> str:
        return f"{PACK}/{self.number}"

    def look(self, lang: str) -> str:
        return self.look_en if lang == "en" else self.look_ko


RunFn = Callable[[Any, "Context"], dict[str, Any]]
PlanFn = Callable[[Any, "Context"], "Plan"]
CostFn = Callable[[Any], float]


@dataclass(frozen=True)
class Experiment:
    """One experiment of the catalogue.

    `cost(params)` estimates the seconds one run takes on a CPU worker (2 cores), from the
    measured per-step costs in models.cost; the API refuses runs whose estimate does not fit
    MOGI_JOB_TIME_LIMIT_S. `budget_param` is the integer parameter the refusal suggests
    lowering. `run(params, context)` trains (in the worker) and returns the result's own keys.
    `plan(params, context)`, when a run is just a `Plan` handed to `Context.train`, lets the
    variants of a comparison train together as one grouped model (models.grouped).
    """

    slug: str
    order: int
    title_ko: str
    title_en: str
    summary_ko: str
    summary_en: str
    answers: tuple[Answer, ...]
    params_model: type[Params]
    compare_param: str
    compare_values: tuple[Any, ...]
    cost: CostFn
    budget_param: str
    run: RunFn
    plan: PlanFn | None = None

    @property
    def questions(self) -> tuple[str, ...]:
        """The public ids ("deep-learning/12") of the questions it answers."""
        return tuple(a.public_id for a in self.answers)

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_ko

    def summary(self, lang: str) -> str:
        return self.summary_en if lang == "en" else self.summary_ko

    def look(self, public_id: str, lang: str) -> str:
        """What to look at in this experiment's result for the question `public_id`."""
        for answer in self.answers:
            if answer.public_id == public_id:
                return answer.look(lang)
        return ""
