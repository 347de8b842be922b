"""The catalogue: every experiment of `models.experiments`, found by looking, and checked.

Adding an experiment is adding one module to models/experiments/ that defines `EXPERIMENT`
(see models.experiment). The web process imports this module to list experiments, validate
parameters and refuse runs that cannot finish in time, so it must stay free of torch;
`tests/models/test_catalog.py` checks that.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from models import cost as costs
from models import experiments as package
from models.experiment import PACK, Experiment

__all__ = [
    "EXPERIMENTS",
    "PACK",
    "BudgetError",
    "Experiment",
    "ParamError",
    "UnknownExperiment",
    "catalogue_json",
    "check_budget",
    "compare_variants",
    "get_experiment",
    "parse_assignments",
    "validate_params",
]

Value = int | float | bool | str | None


class ParamError(ValueError):
    """A parameter is unknown, of the wrong type or out of bounds: `message` in English,
    `message_ko` in Korean, for the demo page in either language."""

    def __init__(self, param: str, message: str, message_ko: str | None = None) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message
        self.message_ko = message_ko or message


class UnknownExperiment(LookupError):
    """No experiment has this slug."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"unknown experiment {slug!r}; known: {', '.join(EXPERIMENTS)}")
        self.slug = slug
        self.message_ko = f"{slug!r}라는 실험은 없습니다. 있는 실험: {', '.join(EXPERIMENTS)}"


@dataclass(frozen=True)
class BudgetError(ValueError):
    """A run would not finish within the time limit; `largest` of `param` would (or None)."""

    param: str
    largest: int | None
    estimate_s: float
    limit_s: float

    def __str__(self) -> str:
        fits = (
            f"the largest {self.param} that fits is {self.largest}"
            if self.largest is not None
            else "no value of it fits; make the run smaller"
        )
        return (
            f"this run would take about {self.estimate_s:.0f} s on a CPU worker, more than the "
            f"{self.limit_s:.0f} s a demo job may run; {fits}"
        )

    @property
    def message_ko(self) -> str:
        fits = (
            f"들어가는 가장 큰 {self.param} 값은 {self.largest}입니다"
            if self.largest is not None
            else "어떤 값으로도 들어가지 않으니 실행을 줄이세요"
        )
        return (
            f"이 실행은 CPU 워커에서 약 {self.estimate_s:.0f}초 걸려, 데모 작업 한도 "
            f"{self.limit_s:.0f}초를 넘습니다. {fits}"
        )


def _discover() -> dict[str, Experiment]:
    found: list[Experiment] = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        experiment = getattr(module, "EXPERIMENT", None)
        if isinstance(experiment, Experiment):
            found.append(experiment)
    found.sort(key=lambda e: (e.order, e.slug))
    return {e.slug: e for e in found}


EXPERIMENTS: dict[str, Experiment] = _discover()


def get_experiment(slug: str) -> Experiment:
    """The experiment called `slug`, or UnknownExperiment."""
    try:
        return EXPERIMENTS[slug]
    except KeyError:
        raise UnknownExperiment(slug) from None


def validate_params(slug: str, params: Mapping[str, object] | None = None) -> dict[str, Value]:
    """`params` checked and completed with defaults; ParamError names the first bad one."""
    experiment = get_experiment(slug)
    try:
        return experiment.params_model.model_validate(dict(params or {})).model_dump()
    except ValidationError as exc:
        raise _param_error(experiment, exc) from None


def _param_error(experiment: Experiment, exc: ValidationError) -> ParamError:
    first = exc.errors()[0]
    name = ".".join(str(part) for part in first["loc"]) or "params"
    if first["type"] == "extra_forbidden":
        known = ", ".join(experiment.params_model.model_fields)
        return ParamError(
            name,
            f"unknown parameter of {experiment.slug}; known: {known}",
            f"{experiment.slug}에 없는 파라미터입니다. 있는 파라미터: {known}",
        )
    return ParamError(name, _message(first), _message_ko(first))


# pydantic's error types for a value of the wrong kind, as the Korean form says them.
_KIND_KO = {
    "int_parsing": "정수여야 합니다",
    "int_type": "정수여야 합니다",
    "int_from_float": "정수여야 합니다",
    "float_parsing": "숫자여야 합니다",
    "float_type": "숫자여야 합니다",
    "bool_parsing": "참(true) 또는 거짓(false)이어야 합니다",
    "bool_type": "참(true) 또는 거짓(false)이어야 합니다",
    "string_type": "문자열이어야 합니다",
    "finite_number": "유한한 숫자여야 합니다",
    "missing": "값이 필요합니다",
    "number_not_bool": "참/거짓이 아닌 숫자여야 합니다",
}


def _message(error: Any) -> str:
    """pydantic's message, worded as a person would (and as the form words it)."""
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "greater_than_equal":
        return f"must be at least {context['ge']:g}, got {error['input']}"
    if kind == "less_than_equal":
        return f"must be at most {context['le']:g}, got {error['input']}"
    if kind == "literal_error":
        return f"expected one of {context['expected']}, got {error['input']!r}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _message_ko(error: Any) -> str:
    """The same reason in Korean; a reason of the experiment's own validator stays as written."""
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "greater_than_equal":
        return f"{context['ge']:g} 이상이어야 합니다 (받은 값: {error['input']})"
    if kind == "less_than_equal":
        return f"{context['le']:g} 이하여야 합니다 (받은 값: {error['input']})"
    if kind == "literal_error":
        return f"{context['expected']} 중 하나여야 합니다 (받은 값: {error['input']!r})"
    if kind in _KIND_KO:
        return f"{_KIND_KO[kind]} (받은 값: {error.get('input')!r})"
    return _message(error)


def parse_assignments(assignments: Sequence[str]) -> dict[str, str]:
    """`["key=value", ...]` from the command line as a dict (values stay strings)."""
    parsed: dict[str, str] = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParamError(item, "expected key=value")
        parsed[key.strip()] = value.strip()
    return parsed


def compare_variants(
    slug: str, params: Mapping[str, object] | None = None, values: Sequence[object] | None = None
) -> list[dict[str, Value]]:
    """2-4 validated parameter sets differing only in the experiment's compare parameter."""
    experiment = get_experiment(slug)
    chosen = list(experiment.compare_values if values is None else values)
    if not 2 <= len(chosen) <= 4:
        raise ParamError(experiment.compare_param, "a comparison takes 2 to 4 values")
    variants = [
        validate_params(slug, {**(params or {}), experiment.compare_param: v}) for v in chosen
    ]
    if len({repr(v[experiment.compare_param]) for v in variants}) != len(variants):
        raise ParamError(experiment.compare_param, "the compared values must differ")
    return variants


# ---- cost -----------------------------------------------------------------------------------


def estimate_s(slug: str, variants: Sequence[Mapping[str, Any]]) -> float:
    """Estimated seconds on a CPU worker to run `variants` (validated parameter sets) in turn."""
    experiment = get_experiment(slug)
    models = [experiment.params_model.model_validate(v) for v in variants]
    return costs.start_s() + sum(experiment.cost(m) for m in models)


def check_budget(slug: str, variants: Sequence[Mapping[str, Any]], limit_s: float) -> None:
    """BudgetError when the run would not finish within `limit_s` on a CPU worker; the error
    names the experiment's budget parameter and the largest value of it that would."""
    experiment = get_experiment(slug)
    budget = costs.budget_s(limit_s)
    estimate = estimate_s(slug, variants)
    if estimate <= budget:
        return
    name = experiment.budget_param
    field = experiment.params_model.model_fields[name]
    low = int(_bound(field, "ge", 1))
    high = max(int(v[name]) for v in variants)

    def fits(value: int) -> bool:
        return estimate_s(slug, [{**v, name: min(int(v[name]), value)} for v in variants]) <= budget

    largest: int | None = None
    if fits(low):
        # The cost grows with the parameter: bisect for the largest value that fits.
        largest, top = low, high
        while largest < top:
            middle = (largest + top + 1) // 2
            largest, top = (middle, top) if fits(middle) else (largest, middle - 1)
    raise BudgetError(name, largest, estimate * costs.SAFETY, limit_s)


def _bound(field: Any, kind: str, default: float) -> float:
    for meta in field.metadata:
        value = getattr(meta, kind, None)
        if value is not None:
            return float(value)
    return default


# ---- JSON -----------------------------------------------------------------------------------


def params_schema(experiment: Experiment) -> dict[str, Any]:
    """The parameters' JSON schema, flattened for forms: a nullable number is
    `"type": ["number", "null"]` with its bounds beside it, not an `anyOf`."""
    schema = experiment.params_model.model_json_schema()
    properties = {}
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        options = prop.pop("anyOf", None)
        if options:
            kinds = [o.get("type") for o in options]
            for option in options:
                prop.update({k: v for k, v in option.items() if k != "type"})
            prop["type"] = kinds
        properties[name] = prop
    # The seed is the base class's field, so first in the model; it reads best last in a form.
    properties["seed"] = properties.pop("seed")
    return {"type": "object", "properties": properties, "additionalProperties": False}


def defaults(experiment: Experiment) -> dict[str, Value]:
    """Every parameter at its default."""
    return experiment.params_model().model_dump()


def to_json(experiment: Experiment) -> dict[str, Any]:
    """The experiment as the API lists it."""
    return {
        "slug": experiment.slug,
        "title": {"ko": experiment.title_ko, "en": experiment.title_en},
        "summary": {"ko": experiment.summary_ko, "en": experiment.summary_en},
        "questions": list(experiment.questions),
        "answers": [
            {"question": a.public_id, "look": {"ko": a.look_ko, "en": a.look_en}}
            for a in experiment.answers
        ],
        "compare_param": experiment.compare_param,
        "compare_values": list(experiment.compare_values),
        "params": params_schema(experiment),
        "default_estimate_s": round(
            estimate_s(experiment.slug, compare_variants(experiment.slug)), 1
        ),  # fmt: skip
    }


def catalogue_json() -> list[dict[str, Any]]:
    """Every experiment as the API lists it."""
    return [to_json(e) for e in EXPERIMENTS.values()]
