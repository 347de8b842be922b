"""Tiny real runs of every experiment: real accuracy, JSON-ready results, events, determinism."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import torch

from models.runner import DeviceError, TrainingStopped, resolve_device, run_experiment
from tests.models.inference_reference import forward

# A few hundred steps at most on a subset; each threshold is far above chance (10%) and a little
# below what the run reaches, which is deterministic on the CPU for a given seed.
TINY: list[tuple[str, dict[str, Any], float]] = [
    ("activations", {"train_subset": 3000, "depth": 3, "width": 64, "epochs": 3}, 0.80),
    ("initialization", {"train_subset": 3000, "depth": 3, "width": 64, "epochs": 3}, 0.80),
    ("optimizers", {"train_subset": 3000, "width": 64}, 0.78),
    ("batch-size", {"train_subset": 3000, "width": 64}, 0.75),
    ("normalization", {"train_subset": 3000, "depth": 2, "width": 64}, 0.83),
    ("input-normalization", {"train_subset": 3000, "width": 64, "lr": 0.1}, 0.75),
    ("overfitting", {"train_subset": 500, "epochs": 5, "width": 64, "early_stopping": True},
     0.78),
    ("architecture", {"train_subset": 3000, "batch_size": 64, "epochs": 1}, 0.90),
    ("architecture", {"model": "mlp", "train_subset": 3000, "batch_size": 64, "epochs": 1},
     0.85),
    ("loss", {"train_subset": 3000, "width": 64, "lr": 0.003}, 0.78),
    ("device", {"model": "mlp", "train_subset": 3000, "batch_size": 64, "benchmark_steps": 5},
     0.85),
    ("linear-models", {"model": "deep_linear", "train_subset": 3000, "epochs": 1}, 0.80),
]  # fmt: skip
RESULT_KEYS = {
    "experiment", "params", "device", "device_name", "torch_version", "threads", "test_accuracy",
    "test_loss", "train_time_s", "wall_time_s", "params_count", "epochs_completed", "steps",
    "diverged", "history", "confusion_matrix", "samples", "layer_stats", "extra", "inference",
    "split_by",  # what two processes split, if they did: "batch" or "hidden_units"
    "thread_choice",  # no thread count was given: the run measured which to use
}  # fmt: skip
EVENT_KEYS = {"type", "epoch", "step", "elapsed_s", "loss", "train_accuracy", "test_accuracy",
              "test_loss", "lr", "grad_norms", "progress"}  # fmt: skip


def _run(mnist, slug: str, params: dict[str, Any], **kw: Any) -> tuple[dict, list[dict]]:  # noqa: ANN001
    events: list[dict[str, Any]] = []
    result = run_experiment(slug, params, device="cpu", emit=events.append, data=mnist, **kw)
    return result, events


@pytest.mark.parametrize(("slug", "params", "floor"), TINY, ids=[f"{s}-{i}" for i, (s, _, _) in
                                                                  enumerate(TINY)])  # fmt: skip
def test_tiny_run_learns(mnist, slug: str, params: dict[str, Any], floor: float) -> None:  # noqa: ANN001
    result, events = _run(mnist, slug, params)
    json.dumps(result, allow_nan=False)  # plain JSON, no NaN
    assert set(result) == RESULT_KEYS
    assert result["test_accuracy"] > floor
    assert result["device"] == "cpu" and result["torch_version"] == torch.__version__
    assert result["params"]["seed"] == 0 and result["history"] == events
    _check_events(events)
    _check_confusion(result)
    _check_samples(result)
    assert [s["name"] for s in result["layer_stats"]][-1] == "out"
    assert all(s["params"] > 0 for s in result["layer_stats"])
    # BN scales and shifts are the only parameters outside the weight layers
    assert sum(s["params"] for s in result["layer_stats"]) <= result["params_count"]


def _check_events(events: list[dict[str, Any]]) -> None:
    assert len(events) >= 2
    for event in events:
        assert set(event) >= EVENT_KEYS
        assert event["type"] == "progress"
    epochs = [e["epoch"] for e in events]
    assert epochs == sorted(epochs) and epochs[-1] > 0
    assert [e["elapsed_s"] for e in events] == sorted(e["elapsed_s"] for e in events)
    assert events[-1]["test_accuracy"] is not None  # scored at the end
    assert any(e["test_accuracy"] is None for e in events)  # and not after every few steps


def _check_confusion(result: dict[str, Any]) -> None:
    matrix = result["confusion_matrix"]
    assert len(matrix) == 10 and all(len(row) == 10 for row in matrix)
    assert sum(map(sum, matrix)) == 10000
    assert sum(matrix[i][i] for i in range(10)) / 10000 == pytest.approx(result["test_accuracy"])


def _check_samples(result: dict[str, Any]) -> None:
    samples = result["samples"]
    assert len(samples) == 32
    wrong = [s["label"] != s["prediction"] for s in samples]
    assert wrong == sorted(wrong, reverse=True)  # mistakes first
    assert any(wrong)
    for sample in samples:
        assert len(base64.b64decode(sample["pixels"])) == 784
        assert sum(sample["probabilities"]) == pytest.approx(1.0, abs=1e-3)
        assert max(range(10), key=lambda d: sample["probabilities"][d]) == sample["prediction"]


def test_inference_export_reproduces_the_samples(mnist) -> None:  # noqa: ANN001
    result, _ = _run(mnist, "normalization", {"train_subset": 1000, "depth": 2, "width": 32})
    for sample in result["samples"][:3]:
        got = forward(result["inference"], base64.b64decode(sample["pixels"]))
        assert got == pytest.approx(sample["probabilities"], abs=2e-4)


def test_same_seed_same_run(mnist) -> None:  # noqa: ANN001
    params = {"model": "mlp", "train_subset": 1000, "batch_size": 64, "epochs": 1}
    first, _ = _run(mnist, "architecture", params, threads=1)
    second, _ = _run(mnist, "architecture", params, threads=1)
    assert [e["loss"] for e in first["history"]] == [e["loss"] for e in second["history"]]
    assert first["inference"] == second["inference"]
    other, _ = _run(mnist, "architecture", {**params, "seed": 1}, threads=1)
    assert other["inference"] != first["inference"]


def test_experiment_extras(mnist) -> None:  # noqa: ANN001
    base = {"train_subset": 1000, "width": 32}
    zeros, _ = _run(mnist, "initialization", {**base, "init": "zeros"})
    assert zeros["test_accuracy"] < 0.2  # symmetric weights never learn
    assert all(s["activation_std"] == 0 for s in zeros["extra"]["initial_layer_stats"][:-1])

    sigmoid, _ = _run(mnist, "activations", {**base, "activation": "sigmoid", "depth": 6})
    norms = [s["grad_norm"] for s in sigmoid["layer_stats"]]
    assert norms[0] < norms[-1] / 100  # the first layer's gradient has all but vanished

    modes, _ = _run(mnist, "normalization", {**base, "depth": 2})
    rows = {(r["mode"], r["batch_size"]): r["accuracy"] for r in modes["extra"]["inference_modes"]}
    assert rows[("train", 2)] < rows[("eval", 2000)] - 0.1  # BN on 2-image batches goes wrong

    device, _ = _run(mnist, "device", {"model": "mlp", "train_subset": 1000, "benchmark_steps": 5})
    memory = device["extra"]["memory"]
    assert memory["measured"]["weights"] == memory["estimated"]["weights"] == 4 * memory["params"]
    assert memory["measured"]["saved_activations"] > 0
    assert device["extra"]["throughput"][0]["images_per_s"] > 0


def test_too_high_learning_rate_diverges_cleanly(mnist) -> None:  # noqa: ANN001
    result, events = _run(mnist, "batch-size", {"train_subset": 2000, "lr": 10.0})
    assert result["diverged"] is True
    assert events[-1]["loss"] is None and result["epochs_completed"] < 1
    json.dumps(result, allow_nan=False)


def test_should_stop_interrupts_between_steps(mnist) -> None:  # noqa: ANN001
    calls = []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(TrainingStopped):
        _run(mnist, "loss", {"train_subset": 1000}, should_stop=should_stop)
    assert len(calls) == 4


def test_resolve_device() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("").type == expected
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="no CUDA device"):
            resolve_device("cuda:0")
    with pytest.raises(DeviceError):
        resolve_device("quantum")


@pytest.mark.parametrize("network", ["cnn", "mlp"])
def test_a_network_trained_on_split_steps_learns_and_repeats_itself(mnist, network: str) -> None:  # noqa: ANN001
    """The split mode the thread tuner may choose, through the real training loop: a partner
    process trains each batch's second half (the CNN) or half of the hidden units (the
    default MLP). It learns, its progress events read whole gradients, and the same seed gives
    the same curve and weights again."""
    from models.nets import Cnn, CnnConfig, Mlp, MlpConfig
    from models.threads import use_threads
    from models.train import Dataset, TrainConfig, fit

    train = Dataset(mnist.train.images[:3000], mnist.train.labels[:3000])
    test = Dataset(mnist.test.images[:1000], mnist.test.labels[:1000])
    cnn = network == "cnn"
    config = TrainConfig(epochs=1, batch_size=100, lr=0.01 if cnn else 0.005,
                         schedule="one_cycle", label_smoothing=0.1, channels_last=cnn)  # fmt: skip
    before = torch.get_num_threads()
    runs = []
    try:
        use_threads(1, split_batches=True)
        for _ in range(2):
            torch.manual_seed(0)
            model = (
                Cnn(CnnConfig()).to(memory_format=torch.channels_last)  # type: ignore[call-overload]
                if cnn
                else Mlp(MlpConfig())
            )
            result = fit(model, train, test, config, emit=lambda _e: None,
                         generator=torch.Generator().manual_seed(0))  # fmt: skip
            # Every batch split but the first, which makes Adam's state before the fork.
            assert result.split_steps == result.steps - 1 == 29
            assert result.split_by == ("batch" if cnn else "hidden_units")
            norms = [e["grad_norms"] for e in result.history]
            assert all(v is not None and v > 0 for n in norms for v in n.values())
            runs.append((result.history, [p.detach().clone() for p in model.parameters()]))
    finally:
        use_threads(before)
    (history, weights), (again, weights_again) = runs
    assert history[-1]["test_accuracy"] > (0.85 if cnn else 0.8)
    assert [e["loss"] for e in history] == [e["loss"] for e in again]
    assert all(torch.equal(a, b) for a, b in zip(weights, weights_again, strict=True))
