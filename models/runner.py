"""Run one experiment of the catalogue (or the variants of a comparison), and the training
pieces its run function builds on.

The worker calls `run_comparison` / `run_experiment` in a child process that already holds torch
and MNIST; `mogi train` calls `run_experiment` in the foreground. An experiment's run function
(models.experiments.*) gets a `Context` (models.context) and either builds a `Plan` (a model, its
data and how to train it) and hands it to `Context.train`, which gives the standard classifier
result, or measures something of its own and returns `charts` and `tables` (see
`custom_result`). The result is plain JSON (no NaN).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from models.catalog import get_experiment
from models.context import (
    PROBE_SIZE,
    STANDARD_SCALE,
    STANDARD_SHIFT,
    Context,
    Plan,
    custom_result,
    text,
)
from models.data import Mnist
from models.devicebench import device_name
from models.experiment import Experiment, Params
from models.grouped import groupable, train_together
from models.nets import Cnn, CnnConfig, Mlp, MlpConfig
from models.stats import layer_stats
from models.threads import (
    ThreadTuner,
    auto_threads,
    available_cpus,
    single_threaded,
    use_threads,
)
from models.train import Dataset, Emit, LossFn, ShouldStop, TrainConfig, TrainingStopped, evaluate

__all__ = [
    "STANDARD_SCALE",
    "STANDARD_SHIFT",
    "Context",
    "DeviceError",
    "Plan",
    "TrainingStopped",
    "custom_result",
    "device_name",
    "resolve_device",
    "run_comparison",
    "run_experiment",
    "text",
    "warm_up",
]


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


def run_experiment(
    slug: str,
    params: dict[str, Any] | None,
    *,
    device: torch.device | str,
    emit: Emit,
    data: Mnist,
    should_stop: ShouldStop | None = None,
    threads: int | None = None,
    max_threads: int | None = None,
) -> dict[str, Any]:
    """Validate `params`, run the experiment, and return the result (JSON-ready; deterministic
    per seed on the CPU for a given thread count).

    `emit` receives progress events (see models.train.fit). `should_stop()` is asked between
    steps; answering True raises TrainingStopped. `threads`: a fixed torch thread count; by
    default the run measures its first steps on one thread and on `max_threads` (default: the
    cores this process may use) and keeps the faster (models.threads).

    Every result has experiment, params, device, device_name, torch_version, threads,
    test_accuracy, test_loss, train_time_s, wall_time_s, params_count and extra; a classifier's
    also history, confusion_matrix, samples, layer_stats, steps, epochs_completed, diverged and
    inference; a custom one charts, tables, images and code. ParamError / UnknownExperiment come
    from the catalogue, before any work.
    """
    started = time.perf_counter()
    experiment = get_experiment(slug)
    values = experiment.params_model.model_validate(params or {})
    device = torch.device(device)
    tuner = _thread_choice(device, threads, max_threads)
    stop = _ticking(should_stop, tuner)
    context = _context(values, data, device, emit, stop, started)
    own = experiment.run(values, context)
    return _result(experiment, values, device, tuner, own, started)


def run_comparison(
    slug: str,
    variants: Sequence[dict[str, Any]],
    *,
    device: torch.device | str,
    emit_for: Callable[[int], Emit],
    data: Mnist,
    should_stop: ShouldStop | None = None,
    threads: int | None = None,
    max_threads: int | None = None,
) -> list[dict[str, Any]] | None:
    """The variants of a comparison trained together as one grouped model (models.grouped),
    each with the result `run_experiment` would give it; None when they cannot train together
    (the experiment declares no `plan`, or the plans differ in shape, data or batches), and the
    caller trains them in turn. `emit_for(i)` receives variant i's events."""
    started = time.perf_counter()
    experiment = get_experiment(slug)
    if experiment.plan is None or len(variants) < 2:
        return None
    values = [experiment.params_model.model_validate(p) for p in variants]
    device = torch.device(device)
    tuner = _thread_choice(device, threads, max_threads)
    stop = _ticking(should_stop, tuner)
    contexts, plans = [], []
    for v, value in enumerate(values):
        context = _context(value, data, device, emit_for(v), stop, started)
        plan = experiment.plan(value, context)
        context.prepare(plan)
        contexts.append(context)
        plans.append(plan)
    if not groupable(plans, [c.generator for c in contexts]):
        return None
    fitted = train_together(plans, [c.emit for c in contexts], contexts[0].generator, stop)
    results = []
    for value, context, plan, fit_result in zip(values, contexts, plans, fitted, strict=True):
        own = context.finish(plan, fit_result)
        own["trained_together"] = len(plans)
        results.append(_result(experiment, value, device, tuner, own, started))
    return results


def _context(
    values: Params,
    data: Mnist,
    device: torch.device,
    emit: Emit,
    should_stop: ShouldStop | None,
    started: float,
) -> Context:
    torch.manual_seed(values.seed)  # the model's initial weights
    return Context(
        data=data, device=device, generator=torch.Generator().manual_seed(values.seed),
        emit=emit, should_stop=should_stop, started=started,
    )  # fmt: skip


def _result(
    experiment: Experiment,
    values: Params,
    device: torch.device,
    tuner: ThreadTuner | None,
    own: dict[str, Any],
    started: float,
) -> dict[str, Any]:
    result = {
        "experiment": experiment.slug,
        "params": values.model_dump(),
        "device": str(device),
        "device_name": device_name(device),
        "torch_version": torch.__version__,
        "threads": tuner.cores if tuner is not None else torch.get_num_threads(),
        **({"thread_choice": tuner.summary()} if tuner is not None else {}),
        **own,
        "wall_time_s": round(time.perf_counter() - started, 3),
    }
    return json_safe(result)


def _thread_choice(
    device: torch.device, threads: int | None, most: int | None
) -> ThreadTuner | None:
    """A fixed thread count, or the tuner that measures (CPU runs only: a GPU run's host
    threads only launch kernels)."""
    if threads is not None or device.type != "cpu":
        use_threads(threads or most or available_cpus())
        return None
    return auto_threads(most)


def _ticking(should_stop: ShouldStop | None, tuner: ThreadTuner | None) -> ShouldStop | None:
    # Every loop asks whether to stop between two steps: the tuner's clock rides on that.
    if tuner is None:
        return should_stop

    def ask() -> bool:
        tuner.tick()
        return should_stop is not None and should_stop()

    return ask


def json_safe(value: Any) -> Any:
    """`value` with every NaN or infinity replaced by None (a diverged run has plenty)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


# ---- shared pieces of the classifier experiments ---------------------------------------------


def mlp(hidden: Sequence[int], **options: Any) -> Mlp:
    """An MLP with these hidden widths (see models.nets.MlpConfig for the options)."""
    return Mlp(MlpConfig(hidden=tuple(hidden), **options))


def cnn(**options: Any) -> Cnn:
    """The small CNN (see models.nets.CnnConfig for the options)."""
    return Cnn(CnnConfig(**options))


def standard_plan(
    model: nn.Module, config: TrainConfig, context: Context, train_subset: int = 60_000
) -> Plan:
    """`model` trained by `config` on a seeded subset of standardised images, scored on all
    10,000 test images."""
    return Plan(model, config, context.train_set(train_subset), context.test_set())


def initial_stats(model: nn.Module, test: Dataset) -> list[dict[str, Any]]:
    """Before any step: how the activations' spread changes with depth under this start."""
    keep = ("name", "activation_mean", "activation_std", "dead_fraction", "saturated_fraction")
    stats = layer_stats(model, test.inputs[:PROBE_SIZE].cpu())
    return [{k: s[k] for k in keep} for s in stats]


def train_mode_accuracy(model: nn.Module, data: Dataset, batch_size: int) -> float:
    """Accuracy with the model left in train mode (batch statistics, dropout on), on a copy so
    the real model's running statistics are not disturbed."""
    probe = copy.deepcopy(model).train()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(data), batch_size):
            logits = probe(data.inputs[start : start + batch_size])
            correct += int((logits.argmax(1) == data.labels[start : start + batch_size]).sum())
    return correct / max(1, len(data))


def quick_train(
    model: nn.Module,
    data: Dataset,
    *,
    epochs: float,
    batch_size: int,
    lr: float,
    generator: torch.Generator,
    optimizer: str = "adam",
    context: Context | None = None,
    loss_fn: LossFn | None = None,
) -> list[float]:
    """A plain training loop for experiments that train many small models: no events of its
    own (the caller reports progress), cancellable between steps. Returns the loss of each
    step (floats, read once at the end)."""
    from models.optim import make_optimizer

    config = TrainConfig(epochs=1, batch_size=batch_size, optimizer=optimizer, lr=lr)
    opt = make_optimizer(model, config)
    criterion = loss_fn or nn.functional.cross_entropy
    n = len(data)
    steps = max(1, round(epochs * math.ceil(n / batch_size)))
    losses = []
    model.train()
    order = torch.randperm(n, generator=generator)
    at = 0
    for _ in range(steps):
        if context is not None:
            context.check()
        if at + batch_size > n:
            order, at = torch.randperm(n, generator=generator), 0
        index = order[at : at + batch_size].to(data.labels.device)
        at += batch_size
        loss = criterion(model(data.inputs[index]), data.labels[index])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.detach())
    return [float(v) for v in torch.stack(losses).tolist()]


def accuracy(model: nn.Module, data: Dataset) -> float:
    """Test accuracy of `model` on `data` (eval mode)."""
    return evaluate(model, data).accuracy


def downsample(values: Sequence[float], points: int = 200) -> tuple[list[int], list[float]]:
    """At most `points` (index, mean) pairs of a long series, for a chart."""
    n = len(values)
    if n <= points:
        return list(range(1, n + 1)), [float(v) for v in values]
    size = n / points
    xs, ys = [], []
    for i in range(points):
        chunk = values[int(i * size) : max(int((i + 1) * size), int(i * size) + 1)]
        xs.append(int((i + 1) * size))
        ys.append(sum(chunk) / len(chunk))
    return xs, ys
