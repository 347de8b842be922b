"""Tiny real runs of the experiments that measure something of their own (charts and tables):
each result is plain JSON in the documented shape, and shows what its page says it shows."""

from __future__ import annotations

import json
from typing import Any

import pytest

from models.catalog import EXPERIMENTS
from models.runner import run_experiment

CUSTOM = {
    "bias": {"steps": 300, "train_subset": 1000},
    "relu-curve": {"units": 4, "steps": 400},
    "loss-landscape": {"steps": 30, "train_subset": 500, "points": 11},
    "from-scratch": {"train_subset": 1000},
    "seeds": {"runs": 2, "epochs": 1, "train_subset": 500, "points": 5},
    "test-reuse": {"candidates": 3, "test_size": 100, "train_subset": 300, "holdout_size": 1000},
    "gradient-noise": {"samples": 4, "full_size": 1000, "warmup_steps": 10},
    "hyperparameter-search": {"train_subset": 500, "width": 16},
    "debugging": {"steps": 60},
    "one-shot": {"train_subset": 2000, "episodes": 5, "epochs": 1},
    "temperature": {"train_subset": 500, "epochs": 2, "width": 64},
    "define-by-run": {"timed_steps": 10},
    "rbm": {"train_subset": 2000, "epochs": 2, "gibbs_steps": 50},
    "gan": {"steps": 300, "width": 64, "generator_bn": "all"},
    "data-parallel": {"width": 32, "steps": 30, "batch_size": 64, "train_subset": 1000},
}


def _run(mnist: Any, slug: str, params: dict[str, Any]) -> tuple[dict[str, Any], list[dict]]:
    events: list[dict[str, Any]] = []
    result = run_experiment(slug, params, device="cpu", emit=events.append, data=mnist)
    json.dumps(result, allow_nan=False)
    return result, events


def _check_shape(result: dict[str, Any], events: list[dict[str, Any]]) -> None:
    # Progress moves forward to the end, so the page can show a percentage.
    fractions = [e["progress"] for e in events]
    assert fractions and fractions == sorted(fractions) and fractions[-1] == 1.0
    for chart in result["charts"]:
        assert chart["title"]["ko"] and chart["title"]["en"]
        for series in chart["series"]:
            assert len(series["x"]) == len(series["y"]) > 0
            assert series["style"] in ("line", "dashed", "points")
    for table in result["tables"]:
        assert table["title"]["ko"] and table["title"]["en"]
        assert all(len(row) == len(table["columns"]) for row in table["rows"])
    assert result["charts"] or result["tables"]


def test_every_experiment_is_covered_by_a_test() -> None:
    from tests.models.test_runner import TINY

    assert set(CUSTOM) | {slug for slug, _, _ in TINY} == set(EXPERIMENTS)


@pytest.mark.parametrize("slug", list(CUSTOM))
def test_custom_experiment_runs_and_shows_its_point(mnist: Any, slug: str) -> None:
    result, events = _run(mnist, slug, CUSTOM[slug])
    _check_shape(result, events)
    CHECKS[slug](mnist, result)


def _bias(mnist: Any, result: dict[str, Any]) -> None:
    with_bias = result["tables"][0]["rows"][0]
    without, _ = _run(mnist, "bias", {**CUSTOM["bias"], "bias": False})
    # Without biases a ReLU network's output at 0 is exactly 0, so the fit is far worse.
    assert without["tables"][0]["rows"][0][1] == 0.0
    assert without["tables"][0]["rows"][0][0] > 10 * with_bias[0]


def _relu_curve(_mnist: Any, result: dict[str, Any]) -> None:
    units, kinks, _ = result["tables"][0]["rows"][0]
    assert units == 4 and kinks == len(result["extra"]["kinks"]) <= 4


def _landscape(_mnist: Any, result: dict[str, Any]) -> None:
    along = result["charts"][0]["series"][0]
    start = along["x"].index(min(along["x"], key=abs))
    # Moving a little against the gradient lowers the loss.
    assert min(along["y"][start:]) < along["y"][start]
    start_loss, final_loss = result["tables"][0]["rows"][0][:2]
    assert final_loss < start_loss


def _scratch(mnist: Any, result: dict[str, Any]) -> None:
    assert all(row[2] < 1e-5 for row in result["tables"][0]["rows"])  # same as autograd
    assert result["test_accuracy"] > 0.75
    code = result["code"]
    assert code["lines"] <= 30 and code["backprop_lines"] == len(code["marked"]) > 0
    assert "backward" in code["source"].splitlines()[code["marked"][0] - 1]
    cnn, _ = _run(mnist, "from-scratch", {**CUSTOM["from-scratch"], "model": "cnn"})
    assert all(row[2] < 1e-5 for row in cnn["tables"][0]["rows"])
    assert cnn["code"]["lines"] > code["lines"]


def _seeds(_mnist: Any, result: dict[str, Any]) -> None:
    rows = result["tables"][0]["rows"]
    assert [r[0] for r in rows] == [0, 1] and len({r[1] for r in rows}) == 2  # two solutions
    line = result["charts"][0]["series"][0]["y"]
    assert line[0] == pytest.approx(rows[0][1], rel=1e-4)  # the line starts at seed 0's loss


def _reuse(_mnist: Any, result: dict[str, Any]) -> None:
    by_test, _ = result["tables"][0]["rows"]
    candidates = result["tables"][1]["rows"]
    assert by_test[2] == max(r[3] for r in candidates)  # chosen by its test score
    assert by_test[4] == pytest.approx(by_test[2] - by_test[3])


def _noise(_mnist: Any, result: dict[str, Any]) -> None:
    rows = result["tables"][0]["rows"]
    assert rows[-1][1] > rows[0][1]  # batch 1024 follows the full gradient better than batch 1
    assert rows[-1][1] > 0.9


def _search(_mnist: Any, result: dict[str, Any]) -> None:
    grid = result["tables"][0]["rows"]
    assert [row[0] for row in grid] == [0.001, 0.01, 0.1, 0.5, 2.0]
    best = max(v for row in grid for v in row[1:] if v is not None)
    assert result["test_accuracy"] == best > 0.5


def _debugging(mnist: Any, result: dict[str, Any]) -> None:
    final_loss, fit, _ = result["tables"][0]["rows"][0]
    assert final_loss < 0.05 and fit == 1.0  # one batch memorised
    shuffled, _ = _run(mnist, "debugging", {"steps": 60, "check": "shuffled_labels"})
    assert shuffled["test_accuracy"] < 0.2  # labels that mean nothing teach nothing
    nan, _ = _run(mnist, "debugging", {"steps": 60, "check": "find_nan"})
    step, report = nan["tables"][0]["rows"][0]
    assert step is not None and "nan" in report.lower()


def _one_shot(_mnist: Any, result: dict[str, Any]) -> None:
    embedding, pixels, chance = (row[1] for row in result["tables"][0]["rows"])
    assert embedding > 2 * chance and pixels > chance


def _temperature(_mnist: Any, result: dict[str, Any]) -> None:
    rows = result["tables"][0]["rows"]
    assert len({r[1] for r in rows}) == 1  # dividing logits never changes the prediction
    confidences = [r[2] for r in sorted(rows)]
    assert confidences == sorted(confidences, reverse=True)


def _define_by_run(_mnist: Any, result: dict[str, Any]) -> None:
    graph, per_input, timings = result["tables"]
    assert graph["rows"][0][1] == "NllLossBackward0"
    assert len({row[1] for row in per_input["rows"]}) > 1  # a graph per input
    assert any(row[4]["en"] == "no" for row in per_input["rows"])  # the trace replays one path
    assert [row[0] for row in timings["rows"]] == ["eager", "traced"]


def _rbm(_mnist: Any, result: dict[str, Any]) -> None:
    import base64

    rows = result["tables"][0]["rows"]
    assert [r[0] for r in rows] == [1, 2]
    # Contrastive divergence lowers the reconstruction error and the data's free energy.
    assert rows[1][1] < rows[0][1] and rows[1][3] < rows[0][3]
    filters, samples = result["images"]
    assert len(filters["items"]) == len(samples["items"]) == 16
    for item in filters["items"] + samples["items"]:
        assert len(base64.b64decode(item["pixels"])) == 784
    # A dreamed digit is mostly background with some ink, like MNIST, not noise at 50%.
    ink = [sum(p > 127 for p in base64.b64decode(i["pixels"])) / 784 for i in samples["items"]]
    assert 0.02 < sum(ink) / len(ink) < 0.35


def _gan(mnist: Any, result: dict[str, Any]) -> None:
    import base64

    assert len(result["images"]) == 3  # samples at a third, two thirds and the end
    for group in result["images"]:
        assert [len(base64.b64decode(i["pixels"])) for i in group["items"]] == [784] * 12
    real, made = result["tables"][0]["rows"]
    without, _ = _run(mnist, "gan", {**CUSTOM["gan"], "generator_bn": "none"})
    _, made_without = without["tables"][0]["rows"]
    # BN on the generator's output keeps the background from reaching -1: the mean pixel of
    # its images is much further from real MNIST's than without it.
    assert abs(made[1] - real[1]) > 2 * abs(made_without[1] - real[1])


def _data_parallel(_mnist: Any, result: dict[str, Any]) -> None:
    single, parallel = result["tables"][0]["rows"]
    # Two processes, each on half of every batch, end on the same weights as one process.
    assert result["tables"][1]["rows"][0][0] < 1e-4
    assert parallel[4] == pytest.approx(single[4], abs=0.002)  # the same test accuracy
    assert (
        single[1] > 0
        and parallel[1] > 0
        and parallel[3] == pytest.approx(single[1] / parallel[1], rel=1e-6)
    )
    one, two = (s["y"] for s in result["charts"][0]["series"])
    assert two == pytest.approx(one, abs=1e-4)  # the same loss at every step


CHECKS = {
    "bias": _bias,
    "relu-curve": _relu_curve,
    "loss-landscape": _landscape,
    "from-scratch": _scratch,
    "seeds": _seeds,
    "test-reuse": _reuse,
    "gradient-noise": _noise,
    "hyperparameter-search": _search,
    "debugging": _debugging,
    "one-shot": _one_shot,
    "temperature": _temperature,
    "define-by-run": _define_by_run,
    "rbm": _rbm,
    "gan": _gan,
    "data-parallel": _data_parallel,
}
