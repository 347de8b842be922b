"""Run one experiment of the catalogue: build the network, train it, and gather the result.

The worker calls `run_experiment` in a child process that already holds torch and MNIST;
`mogi train` calls it in the foreground. The result is plain JSON (no NaN), described in
`run_experiment`'s docstring.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from models.catalog import Value, validate_params
from models.data import MNIST_MEAN, MNIST_STD, Mnist
from models.devicebench import device_name, device_report
from models.export import export_inference
from models.nets import Cnn, CnnConfig, Mlp, MlpConfig, count_params
from models.threads import available_cpus, single_threaded
from models.train import (
    Dataset,
    Emit,
    FitResult,
    LossFn,
    ShouldStop,
    TrainConfig,
    TrainingStopped,
    bce_loss,
    confusion_matrix,
    evaluate,
    finite,
    fit,
    layer_stats,
    mse_loss,
    sample_grid,
)

__all__ = ["DeviceError", "TrainingStopped", "resolve_device", "run_experiment", "warm_up"]

PROBE_SIZE = 1000
VALIDATION_SIZE = 2000
# Each optimiser's customary learning rate, used when the user leaves `lr` empty.
USUAL_LR = {"sgd": 0.01, "momentum": 0.01, "nesterov": 0.01, "rmsprop": 0.001, "adam": 0.001,
            "adagrad": 0.01}  # fmt: skip


class DeviceError(RuntimeError):
    """The configured device (MOGI_DEVICE) is not available on this machine."""


def resolve_device(setting: str = "") -> torch.device:
    """The training device: `setting` ("cpu", "cuda", "cuda:1", "mps"), or CUDA when present."""
    setting = setting.strip().lower()
    if not setting:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(setting)
    except RuntimeError as exc:
        raise DeviceError(f"MOGI_DEVICE={setting!r} is not a device name ({exc})") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(
                f"MOGI_DEVICE={setting!r} but no CUDA device is usable "
                f"(torch {torch.__version__}, built for CUDA {torch.version.cuda or 'none'})"
            )
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise DeviceError(
                f"MOGI_DEVICE={setting!r} but this machine has {count} CUDA device(s)"
            )
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError(f"MOGI_DEVICE={setting!r} but MPS is not available")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise DeviceError(f"MOGI_DEVICE={setting!r}: use cpu, cuda, cuda:N or mps")
    return device


def warm_up() -> None:
    """Ready a worker process to fork jobs: torch's lazy imports done, on one thread only.

    The first optimiser a process builds imports torch._dynamo (1-2 s, far more on a busy
    machine); doing it once here spares every forked job. Everything runs single-threaded, so
    children forked afterwards can still use several threads (see models.threads).
    """
    with single_threaded():
        for model in (Mlp(MlpConfig(hidden=(8,))), Cnn(CnnConfig(channels=(2, 2), hidden=4))):
            optimizer = torch.optim.Adam(model.parameters())
            logits = model(torch.zeros(2, 1, 28, 28))
            nn.functional.cross_entropy(logits, torch.zeros(2, dtype=torch.int64)).backward()
            optimizer.step()


@dataclass
class Plan:
    """What one experiment trains, on which data, and what it adds to the result."""

    model: nn.Module
    config: TrainConfig
    train: Dataset
    test: Dataset
    input_scale: float
    input_shift: float
    validation: Dataset | None = None
    monitors: dict[str, LossFn] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Runs after training with the trained model; returns more `extra` entries.
    after: Callable[[nn.Module], dict[str, Any]] | None = None


@dataclass(frozen=True)
class Context:
    """Everything a planner needs besides the parameters."""

    data: Mnist
    device: torch.device
    generator: torch.Generator


def run_experiment(
    slug: str,
    params: dict[str, Any] | None,
    *,
    device: torch.device | str,
    emit: Emit,
    data: Mnist,
    should_stop: ShouldStop | None = None,
    threads: int | None = None,
) -> dict[str, Any]:
    """Validate `params`, train, and return the result (JSON-ready, deterministic per seed on CPU).

    `emit` receives progress events (see models.train.fit). `should_stop()` is asked between steps;
    answering True raises TrainingStopped. `threads`: torch CPU threads (default: the cores this
    process may use). Result keys: experiment, params, device, device_name, torch_version,
    threads, test_accuracy, test_loss, train_time_s, wall_time_s, params_count, epochs_completed,
    steps, diverged, history, confusion_matrix, samples, layer_stats, extra, inference.
    ParamError / UnknownExperiment come from the catalogue, before any work.
    """
    started = time.perf_counter()
    values = validate_params(slug, params)
    device = torch.device(device)
    torch.set_num_threads(threads or available_cpus())
    seed = int(values["seed"])  # type: ignore[arg-type]
    torch.manual_seed(seed)
    context = Context(data, device, torch.Generator().manual_seed(seed))
    plan = PLANNERS[slug](values, context)
    plan.model.to(device)
    if plan.config.channels_last:
        plan.model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    fitted = fit(
        plan.model, plan.train, plan.test, plan.config,
        emit=emit, generator=context.generator, should_stop=should_stop,
        validation=plan.validation, monitors=plan.monitors,
    )  # fmt: skip
    extra = dict(plan.extra)
    if plan.config.early_stopping_patience is not None:
        extra["best_epoch"] = fitted.best_epoch
        extra["stopped_early_at"] = fitted.stopped_early_at
    if plan.after is not None:
        extra.update(plan.after(plan.model))
    result = _result(slug, values, plan, fitted, context)
    result["extra"] = extra
    result["wall_time_s"] = round(time.perf_counter() - started, 3)
    return json_safe(result)


def json_safe(value: Any) -> Any:
    """`value` with every NaN or infinity replaced by None (a diverged run has plenty)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def _result(
    slug: str, values: dict[str, Value], plan: Plan, fitted: FitResult, context: Context
) -> dict[str, Any]:
    scored = evaluate(plan.model, plan.test, with_outputs=True,
                      channels_last=plan.config.channels_last)  # fmt: skip
    probe = plan.test.inputs[:PROBE_SIZE]
    assert scored.predictions is not None
    return {
        "experiment": slug,
        "params": values,
        "device": str(context.device),
        "device_name": device_name(context.device),
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "test_accuracy": finite(scored.accuracy),
        "test_loss": finite(scored.loss),
        "train_time_s": round(fitted.train_time_s, 3),
        "params_count": count_params(plan.model),
        "epochs_completed": fitted.epochs_completed,
        "steps": fitted.steps,
        "diverged": fitted.diverged,
        "history": fitted.history,
        "confusion_matrix": confusion_matrix(plan.test.labels, scored.predictions),
        "samples": sample_grid(context.data.test.pixels, plan.test.labels, scored),
        "layer_stats": layer_stats(
            plan.model, probe, fitted, channels_last=plan.config.channels_last
        ),  # fmt: skip
        "inference": export_inference(
            plan.model.cpu(), scale=plan.input_scale, shift=plan.input_shift
        ),
    }


# ---- data ------------------------------------------------------------------------------------

STANDARD_SCALE = 1.0 / (255.0 * MNIST_STD)
STANDARD_SHIFT = -MNIST_MEAN / MNIST_STD


def _train_indices(values: dict[str, Value], context: Context, n: int) -> torch.Tensor | None:
    """A seeded random subset of the training set, or None for all of it."""
    size = int(values.get("train_subset", n))  # type: ignore[arg-type]
    if size >= n:
        return None
    return torch.randperm(n, generator=context.generator)[:size]


def _datasets(
    values: dict[str, Value], context: Context
) -> tuple[Dataset, Dataset, torch.Tensor | None]:
    """Standardised train (subset) and test sets on the device, and the subset's indices."""
    mnist, device = context.data, context.device
    index = _train_indices(values, context, len(mnist.train))
    images = mnist.train.images if index is None else mnist.train.images[index]
    labels = mnist.train.labels if index is None else mnist.train.labels[index]
    train = Dataset(images.to(device), labels.to(device))
    test = Dataset(mnist.test.images.to(device), mnist.test.labels.to(device))
    return train, test, index


def _hidden(values: dict[str, Value]) -> tuple[int, ...]:
    return (int(values["width"]),) * int(values["depth"])  # type: ignore[arg-type]


def _int(values: dict[str, Value], name: str) -> int:
    return int(values[name])  # type: ignore[arg-type]


def _float(values: dict[str, Value], name: str) -> float:
    return float(values[name])  # type: ignore[arg-type]


def _plain_config(values: dict[str, Value], optimizer: str, lr: float, **kw: Any) -> TrainConfig:
    return TrainConfig(
        epochs=_int(values, "epochs"), batch_size=_int(values, "batch_size"),
        optimizer=optimizer, lr=lr, **kw,
    )  # fmt: skip


def _standard_plan(
    model: nn.Module, config: TrainConfig, values: dict[str, Value], context: Context
) -> Plan:
    train, test, _ = _datasets(values, context)
    return Plan(model, config, train, test, STANDARD_SCALE, STANDARD_SHIFT)


# ---- experiments -----------------------------------------------------------------------------


def plan_activations(values: dict[str, Value], context: Context) -> Plan:
    """A deep MLP with plain SGD, so vanishing gradients are not hidden by adaptive steps.

    Each activation gets its customary initialisation (He for ReLU-like, Xavier for sigmoid and
    tanh), so the comparison is about the activation, not a mismatched start.
    """
    activation = str(values["activation"])
    init = "he" if activation in ("relu", "leaky_relu") else "xavier"
    config = MlpConfig(hidden=_hidden(values), activation=activation, init=init)
    model = Mlp(config)
    plan = _standard_plan(
        model, _plain_config(values, "sgd", _float(values, "lr")), values, context
    )
    plan.extra["initial_layer_stats"] = _initial_stats(model, plan.test)
    return plan


def plan_initialization(values: dict[str, Value], context: Context) -> Plan:
    """The same deep MLP, re-initialised by the chosen scheme."""
    config = MlpConfig(
        hidden=_hidden(values), activation=str(values["activation"]), init=str(values["init"])
    )
    model = Mlp(config)
    plan = _standard_plan(
        model, _plain_config(values, "sgd", _float(values, "lr")), values, context
    )
    plan.extra["initial_layer_stats"] = _initial_stats(model, plan.test)
    return plan


def _initial_stats(model: nn.Module, test: Dataset) -> list[dict[str, Any]]:
    # Before any step: how the activations' spread changes with depth under this initialisation.
    keep = ("name", "activation_mean", "activation_std", "dead_fraction", "saturated_fraction")
    stats = layer_stats(model, test.inputs[:PROBE_SIZE].cpu())
    return [{k: s[k] for k in keep} for s in stats]


def plan_optimizers(values: dict[str, Value], context: Context) -> Plan:
    """A ReLU MLP; only the optimiser (and its usual rate, unless given) changes."""
    name = str(values["optimizer"])
    lr = USUAL_LR[name] if values["lr"] is None else _float(values, "lr")
    config = _plain_config(values, name, lr, momentum=_float(values, "momentum"))
    plan = _standard_plan(Mlp(MlpConfig(hidden=_hidden(values))), config, values, context)
    plan.extra["lr"] = lr
    return plan


def plan_batch_size(values: dict[str, Value], context: Context) -> Plan:
    """Plain SGD: the rate and batch size are all there is."""
    # Frequent events, so a loss that climbs before it blows up is seen climbing.
    config = _plain_config(values, "sgd", _float(values, "lr"), events_per_epoch=20)
    plan = _standard_plan(Mlp(MlpConfig(hidden=_hidden(values))), config, values, context)
    plan.extra["steps_per_epoch"] = math.ceil(len(plan.train) / config.batch_size)
    return plan


def plan_normalization(values: dict[str, Value], context: Context) -> Plan:
    """An MLP with BN and dropout switchable; afterwards scored in eval and in train mode."""
    mlp = MlpConfig(
        hidden=_hidden(values),
        batch_norm=bool(values["batch_norm"]),
        dropout=_float(values, "dropout"),
    )
    config = _plain_config(values, "momentum", _float(values, "lr"))
    plan = _standard_plan(Mlp(mlp), config, values, context)
    plan.after = lambda model: {"inference_modes": _mode_accuracies(model, plan.test)}
    return plan


def _mode_accuracies(model: nn.Module, test: Dataset) -> list[dict[str, Any]]:
    """Accuracy on the first 2000 test images in eval mode and in train mode at several batches.

    Train mode normalises with each batch's own statistics (and keeps dropping units), so the
    same image gets a different answer depending on what else is in its batch.
    """
    subset = Dataset(test.inputs[:2000], test.labels[:2000])
    rows = [{"mode": "eval", "batch_size": 2000,
             "accuracy": finite(evaluate(model, subset).accuracy)}]  # fmt: skip
    for batch_size in (2000, 16, 2):
        accuracy = finite(_train_mode_accuracy(model, subset, batch_size))
        rows.append({"mode": "train", "batch_size": batch_size, "accuracy": accuracy})
    return rows


def _train_mode_accuracy(model: nn.Module, data: Dataset, batch_size: int) -> float:
    # A copy, so the running statistics of the real model are not disturbed.
    probe = copy.deepcopy(model).train()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(data), batch_size):
            logits = probe(data.inputs[start : start + batch_size])
            correct += int((logits.argmax(1) == data.labels[start : start + batch_size]).sum())
    return correct / max(1, len(data))


def plan_input_normalization(values: dict[str, Value], context: Context) -> Plan:
    """The same MLP and SGD fed raw, [0, 1] or standardised pixels."""
    scaling = str(values["input_scaling"])
    scale, shift = {
        "raw": (1.0, 0.0),
        "unit": (1.0 / 255.0, 0.0),
        "standard": (STANDARD_SCALE, STANDARD_SHIFT),
    }[scaling]
    mnist, device = context.data, context.device
    index = _train_indices(values, context, len(mnist.train))
    pixels = mnist.train.pixels if index is None else mnist.train.pixels[index]
    labels = mnist.train.labels if index is None else mnist.train.labels[index]

    def scaled(raw: torch.Tensor) -> torch.Tensor:
        return (raw.unsqueeze(1).float() * scale + shift).to(device)  # (N, 1, 28, 28)

    train = Dataset(scaled(pixels), labels.to(device))
    test = Dataset(scaled(mnist.test.pixels), mnist.test.labels.to(device))
    config = _plain_config(values, "sgd", _float(values, "lr"))
    plan = Plan(Mlp(MlpConfig(hidden=_hidden(values))), config, train, test, scale, shift)
    plan.extra["input_range"] = [finite(train.inputs.min().item()),
                                 finite(train.inputs.max().item())]  # fmt: skip
    return plan


def plan_overfitting(values: dict[str, Value], context: Context) -> Plan:
    """A wide MLP on a small subset; validation images come from the unused training images."""
    mnist, device = context.data, context.device
    order = torch.randperm(len(mnist.train), generator=context.generator)
    size = _int(values, "train_subset")
    held_out = order[size:][:VALIDATION_SIZE]
    order = order[:size]
    train = Dataset(mnist.train.images[order].to(device), mnist.train.labels[order].to(device))
    validation = Dataset(
        mnist.train.images[held_out].to(device), mnist.train.labels[held_out].to(device)
    )
    test = Dataset(mnist.test.images.to(device), mnist.test.labels.to(device))
    mlp = MlpConfig(hidden=_hidden(values), dropout=_float(values, "dropout"))
    config = _plain_config(
        values, "momentum", _float(values, "lr"), test_every=5,
        weight_decay=_float(values, "weight_decay"), events_per_epoch=1,
        early_stopping_patience=_int(values, "patience") if values["early_stopping"] else None,
    )  # fmt: skip
    plan = Plan(Mlp(mlp), config, train, test, STANDARD_SCALE, STANDARD_SHIFT,
                validation=validation)  # fmt: skip
    plan.extra["validation_size"] = len(validation)
    return plan


# Learning rates of the fast recipes when the user leaves `lr` empty (batch 128, 2 epochs): at
# 0.005 the CNN stays just under 99%, at 0.01 the MLP just under 98%.
RECIPE_LR = {"cnn": 0.01, "mlp": 0.005}


def plan_architecture(values: dict[str, Value], context: Context) -> Plan:
    """The fast recipes: Adam with a one-cycle rate, label smoothing, batch 128, 2 epochs."""
    lr = RECIPE_LR[str(values["model"])] if values["lr"] is None else _float(values, "lr")
    model: nn.Module
    if values["model"] == "cnn":
        model = Cnn(
            CnnConfig(
                batch_norm=bool(values["cnn_batch_norm"]),
                downsample=str(values["cnn_downsample"]),
            )
        )
    else:
        model = Mlp(MlpConfig(hidden=(_int(values, "mlp_width"),)))
    config = _plain_config(
        values, "adam", lr, schedule="one_cycle",
        label_smoothing=_float(values, "label_smoothing"),
        channels_last=values["model"] == "cnn",
    )  # fmt: skip
    plan = _standard_plan(model, config, values, context)
    plan.extra["lr"] = lr
    return plan


def plan_loss(values: dict[str, Value], context: Context) -> Plan:
    """Train on one loss and record all three on every batch."""
    config = _plain_config(values, "adam", _float(values, "lr"), loss=str(values["loss"]))
    plan = _standard_plan(Mlp(MlpConfig(hidden=_hidden(values))), config, values, context)
    plan.monitors = {
        "cross_entropy": lambda logits, labels: nn.functional.cross_entropy(logits, labels),
        "bce": bce_loss,
        "mse": mse_loss,
    }
    return plan


def plan_device(values: dict[str, Value], context: Context) -> Plan:
    """Train briefly on the job's device, then time steps on every device and measure memory."""
    is_cnn = values["model"] == "cnn"

    def build() -> nn.Module:
        return Cnn(CnnConfig()) if is_cnn else Mlp(MlpConfig(hidden=(256,)))

    config = _plain_config(
        values, "adam", 0.01, schedule="one_cycle", label_smoothing=0.1, channels_last=is_cnn
    )
    plan = _standard_plan(build(), config, values, context)
    plan.after = lambda _model: device_report(
        build, plan.train, context.device, batch_size=_int(values, "batch_size"),
        steps=_int(values, "benchmark_steps"), channels_last=is_cnn,
    )  # fmt: skip
    return plan


PLANNERS: dict[str, Callable[[dict[str, Value], Context], Plan]] = {
    "activations": plan_activations,
    "initialization": plan_initialization,
    "optimizers": plan_optimizers,
    "batch-size": plan_batch_size,
    "normalization": plan_normalization,
    "input-normalization": plan_input_normalization,
    "overfitting": plan_overfitting,
    "architecture": plan_architecture,
    "loss": plan_loss,
    "device": plan_device,
}
