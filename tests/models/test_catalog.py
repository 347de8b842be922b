"""The experiment catalogue: definitions, JSON schema, parameter validation, no torch."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from models import catalog
from models.catalog import (
    EXPERIMENTS,
    BudgetError,
    ParamError,
    UnknownExperiment,
    catalogue_json,
    check_budget,
    compare_variants,
    defaults,
    params_schema,
    parse_assignments,
    validate_params,
)
from tests.conftest import ROOT

REQUIRED_QUESTIONS = {
    "activations": ["5", "12", "12-3"],
    "initialization": ["8"],
    "optimizers": ["14-1", "17", "17-3"],
    "batch-size": ["13-2", "17-2"],
    "normalization": ["16", "16-1", "16-2"],
    "input-normalization": ["4"],
    "overfitting": ["6", "15", "15-3"],
    "architecture": ["18", "19", "19-1"],
    "loss": ["19-3", "2"],
    "device": ["20", "20-1", "20-3"],
}


def test_catalogue_has_every_experiment_with_its_questions() -> None:
    for slug, numbers in REQUIRED_QUESTIONS.items():
        assert EXPERIMENTS[slug].questions[: len(numbers)] == tuple(
            f"deep-learning/{n}" for n in numbers
        )
    for experiment in EXPERIMENTS.values():
        assert experiment.title_ko and experiment.title_en
        assert experiment.summary_ko and experiment.summary_en
        assert all(re.fullmatch(r"deep-learning/\d+(-\d+)?", q) for q in experiment.questions)
        # Every question says what to look at in the result, in both languages.
        assert all(a.look_ko and a.look_en for a in experiment.answers)


def test_catalogue_finds_every_module_of_the_package() -> None:
    # Adding an experiment is adding a module: each module of models/experiments that is not a
    # shared piece (`_name`) declares one, and the catalogue lists it.
    import pkgutil

    from models import experiments

    modules = [m.name for m in pkgutil.iter_modules(experiments.__path__)]
    declared = [m for m in modules if not m.startswith("_")]
    assert len(EXPERIMENTS) == len(declared)
    assert {e.slug.replace("-", "_") for e in EXPERIMENTS.values()} == set(declared)


@pytest.mark.parametrize("slug", list(EXPERIMENTS))
def test_defaults_validate_and_round_trip(slug: str) -> None:
    experiment = EXPERIMENTS[slug]
    given = validate_params(slug, {})
    assert given == defaults(experiment)
    assert validate_params(slug, given) == given
    assert "seed" in given


@pytest.mark.parametrize("slug", list(EXPERIMENTS))
def test_schema_describes_every_parameter(slug: str) -> None:
    experiment = EXPERIMENTS[slug]
    schema = params_schema(experiment)
    assert schema["additionalProperties"] is False
    assert list(schema["properties"])[-1] == "seed"
    for name, default in defaults(experiment).items():
        entry = schema["properties"][name]
        assert entry["default"] == default
        assert entry["title"] and entry["title_ko"]
        kind = entry["type"][0] if isinstance(entry["type"], list) else entry["type"]
        if kind in ("integer", "number"):
            assert entry["minimum"] <= entry["maximum"]
            if default is not None:
                assert entry["minimum"] <= default <= entry["maximum"]
        if "enum" in entry:
            assert default in entry["enum"]


@pytest.mark.parametrize("slug", list(EXPERIMENTS))
def test_compare_values_are_valid_variants(slug: str) -> None:
    experiment = EXPERIMENTS[slug]
    assert experiment.compare_param in experiment.params_model.model_fields
    variants = compare_variants(slug)
    assert 2 <= len(variants) <= 4
    assert [v[experiment.compare_param] for v in variants] == list(experiment.compare_values)


def test_strings_from_the_command_line_are_coerced() -> None:
    params = validate_params(
        "architecture",
        parse_assignments(["model=mlp", "epochs=3", "lr=2e-3", "cnn_batch_norm=true"]),
    )
    assert params["model"] == "mlp"
    assert params["epochs"] == 3 and isinstance(params["epochs"], int)
    assert params["lr"] == pytest.approx(0.002)
    assert params["cnn_batch_norm"] is True
    assert validate_params("optimizers", {"lr": "auto"})["lr"] is None
    assert validate_params("optimizers", {"lr": 0.5})["lr"] == 0.5
    assert validate_params("overfitting", {"early_stopping": "off"})["early_stopping"] is False
    assert validate_params("architecture", {"epochs": 2.0})["epochs"] == 2
    assert validate_params("architecture", {"batch_size": ""})["batch_size"] is None
    assert validate_params("architecture", {"batch_size": "256"})["batch_size"] == 256


def test_the_architecture_recipes_pick_their_own_batch_size_when_it_is_left_empty() -> None:
    """The CNN's recipe takes batches of 192, the MLP's 128; a size the user gives wins. The
    form offers an empty integer field."""
    from models.experiments.architecture import ArchitectureParams, recipe

    assert recipe(ArchitectureParams(model="cnn")) == (0.012, 192)
    assert recipe(ArchitectureParams(model="mlp")) == (0.005, 128)
    assert recipe(ArchitectureParams(model="cnn", batch_size=64, lr=0.003)) == (0.003, 64)
    field = catalog.params_schema(catalog.get_experiment("architecture"))["properties"]
    assert field["batch_size"]["type"] == ["integer", "null"]
    assert (field["batch_size"]["minimum"], field["batch_size"]["maximum"]) == (16, 2048)


@pytest.mark.parametrize(
    ("slug", "params", "bad"),
    [
        ("architecture", {"epochs": 0}, "epochs"),
        ("architecture", {"epochs": 11}, "epochs"),
        ("architecture", {"epochs": "1.5"}, "epochs"),
        ("architecture", {"epochs": True}, "epochs"),
        ("architecture", {"lr": "fast"}, "lr"),
        ("architecture", {"lr": "nan"}, "lr"),
        ("batch-size", {"lr": None}, "lr"),
        ("architecture", {"model": "rnn"}, "model"),
        ("architecture", {"cnn_batch_norm": "maybe"}, "cnn_batch_norm"),
        ("architecture", {"colour": "red"}, "colour"),
        ("batch-size", {"batch_size": 100000}, "batch_size"),
        ("overfitting", {"train_subset": 10}, "train_subset"),
        ("activations", {"activation": "swish"}, "activation"),
        ("optimizers", {"momentum": 1.5}, "momentum"),
    ],
)
def test_bad_parameters_name_the_parameter(slug: str, params: dict, bad: str) -> None:
    with pytest.raises(ParamError) as caught:
        validate_params(slug, params)
    assert caught.value.param == bad
    assert str(caught.value).startswith(f"{bad}: ")


def test_unknown_experiment() -> None:
    with pytest.raises(UnknownExperiment, match="'nope'"):
        validate_params("nope", {})


def test_assignments_need_an_equals_sign() -> None:
    assert parse_assignments(["a=b=c", " k = v "]) == {"a": "b=c", "k": "v"}
    with pytest.raises(ParamError):
        parse_assignments(["novalue"])


def test_comparisons_take_two_to_four_distinct_values() -> None:
    variants = compare_variants("architecture", {"epochs": 1}, ["mlp", "cnn"])
    assert [v["epochs"] for v in variants] == [1, 1]
    for values in (["mlp"], ["mlp", "cnn", "mlp", "cnn", "mlp"], ["mlp", "mlp"]):
        with pytest.raises(ParamError):
            compare_variants("architecture", {}, values)


def test_catalogue_json_is_plain_json() -> None:
    listed = json.loads(json.dumps(catalogue_json(), allow_nan=False))
    assert [e["slug"] for e in listed] == list(EXPERIMENTS)
    architecture = next(e for e in listed if e["slug"] == "architecture")
    assert architecture["params"]["properties"]["model"]["enum"] == ["mlp", "cnn"]
    assert architecture["questions"] == [
        "deep-learning/18",
        "deep-learning/19",
        "deep-learning/19-1",
    ]


def test_catalogue_does_not_import_torch() -> None:
    code = "import sys, models.catalog; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


@pytest.mark.parametrize("slug", list(EXPERIMENTS))
def test_default_runs_fit_well_within_the_time_limit(slug: str) -> None:
    # The default run (the comparison) is estimated at 30 s or less on a 2-core CPU worker.
    assert catalog.estimate_s(slug, compare_variants(slug)) <= 30
    check_budget(slug, compare_variants(slug), 300)


def test_a_run_that_cannot_finish_names_the_largest_value_that_fits() -> None:
    too_long = validate_params("overfitting", {"train_subset": 58000, "epochs": 100,
                                               "width": 1024, "depth": 4})  # fmt: skip
    with pytest.raises(BudgetError) as caught:
        check_budget("overfitting", [too_long], 300)
    error = caught.value
    assert error.param == "epochs" and error.estimate_s > 300
    assert error.largest is not None and 1 <= error.largest < 100
    # The suggestion fits, and one more does not.
    check_budget("overfitting", [{**too_long, "epochs": error.largest}], 300)
    with pytest.raises(BudgetError):
        check_budget("overfitting", [{**too_long, "epochs": error.largest + 1}], 300)
    assert "largest epochs that fits is" in str(error)


def test_a_run_that_cannot_fit_at_all_says_so() -> None:
    with pytest.raises(BudgetError) as caught:
        check_budget("overfitting", [validate_params("overfitting", {})], 1)
    assert caught.value.largest is None
    assert "no value of it fits" in str(caught.value)
