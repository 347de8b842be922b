"""The training loop: the whole dataset in memory, progress several times per epoch, statistics."""

from __future__ import annotations

import base64
import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

Emit = Callable[[dict[str, Any]], None]
ShouldStop = Callable[[], bool]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

EVAL_BATCH = 2000
SAMPLE_COUNT = 32


class TrainingStopped(Exception):
    """`should_stop()` answered True between two steps."""


@dataclass(frozen=True)
class Dataset:
    """Inputs (N, 1, 28, 28) float32 and labels (N,) int64, already on the training device."""

    inputs: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclass(frozen=True)
class TrainConfig:
    """How to train: epochs, batches, optimiser, schedule, loss, progress and early stopping."""

    epochs: int
    batch_size: int
    optimizer: str = "adam"  # sgd | momentum | nesterov | rmsprop | adam | adagrad
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "constant"  # constant | one_cycle
    loss: str = "cross_entropy"  # cross_entropy | bce | mse
    label_smoothing: float = 0.0
    events_per_epoch: int = 8
    early_stopping_patience: int | None = None  # needs validation data
    test_every: int = 1  # epochs between test scores; the last epoch is always scored
    channels_last: bool = False


@dataclass
class Evaluation:
    """Loss and accuracy on a dataset, with the per-example outputs when asked for."""

    loss: float
    accuracy: float
    predictions: torch.Tensor | None = None  # (N,) int64, CPU
    probabilities: torch.Tensor | None = None  # (N, 10) float32, CPU


@dataclass
class FitResult:
    """What the loop did: history, training seconds, steps, and how it ended."""

    history: list[dict[str, Any]] = field(default_factory=list)
    train_time_s: float = 0.0
    steps: int = 0
    epochs_completed: float = 0.0
    diverged: bool = False
    best_epoch: int | None = None
    stopped_early_at: int | None = None
    grad_norm_sums: dict[str, float] = field(default_factory=dict)
    grad_norm_count: int = 0


def finite(value: float | None, digits: int = 6) -> float | None:
    """`value` rounded, or None when missing or not finite (JSON has no NaN)."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def loss_function(kind: str, label_smoothing: float = 0.0) -> LossFn:
    """The training loss `kind` as a function of (logits, labels)."""
    if kind == "cross_entropy":
        return lambda logits, labels: F.cross_entropy(
            logits, labels, label_smoothing=label_smoothing
        )
    if kind == "bce":
        return bce_loss
    if kind == "mse":
        return mse_loss
    raise ValueError(f"unknown loss {kind!r}")


def bce_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of each class's sigmoid against the one-hot target."""
    target = F.one_hot(labels, logits.shape[1]).to(logits.dtype)
    return F.binary_cross_entropy_with_logits(logits, target)


def mse_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean squared error between the softmax probabilities and the one-hot target."""
    target = F.one_hot(labels, logits.shape[1]).to(logits.dtype)
    return F.mse_loss(torch.softmax(logits, dim=1), target)


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """The optimiser named in `config`."""
    params = list(model.parameters())
    name, lr, wd = config.optimizer, config.lr, config.weight_decay
    # One fused kernel per step instead of a few ops per tensor: ~17% off an MLP step on a CPU.
    fused = params[0].device.type in ("cpu", "cuda")
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=wd)
    if name in ("momentum", "nesterov"):
        return torch.optim.SGD(
            params, lr=lr, momentum=config.momentum, nesterov=name == "nesterov", weight_decay=wd
        )
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, weight_decay=wd)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd, fused=fused)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd, fused=fused)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=wd)
    raise ValueError(f"unknown optimizer {name!r}")


def make_scheduler(
    optimizer: torch.optim.Optimizer, config: TrainConfig, total_steps: int
) -> torch.optim.lr_scheduler.LRScheduler | None:
    """The learning-rate schedule, stepped once per batch (None: constant rate)."""
    if config.schedule == "constant":
        return None
    if config.schedule == "one_cycle":
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=config.lr, total_steps=max(total_steps, 2)
        )
    raise ValueError(f"unknown schedule {config.schedule!r}")


def weight_layers(model: nn.Module) -> list[tuple[str, nn.Linear | nn.Conv2d]]:
    """The (name, module) of every linear and conv layer, in forward order."""
    return [(n, m) for n, m in model.named_children() if isinstance(m, nn.Linear | nn.Conv2d)]


class _Stopwatch:
    """Counts training seconds only; evaluation and statistics are paused out."""

    def __init__(self, device: torch.device) -> None:
        self.total = 0.0
        self._started: float | None = None
        self._cuda = device.type == "cuda"

    def start(self) -> None:
        self._started = time.perf_counter()

    def pause(self) -> None:
        if self._started is None:
            return
        if self._cuda:  # kernels run asynchronously; wait for them so the time is real
            torch.cuda.synchronize()
        self.total += time.perf_counter() - self._started
        self._started = None


@dataclass
class _Window:
    """Loss, accuracy and monitors summed over the steps since the last progress event."""

    loss: torch.Tensor
    correct: torch.Tensor
    count: int = 0
    monitors: dict[str, torch.Tensor] = field(default_factory=dict)


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None,
    data: Dataset,
    config: TrainConfig,
    *,
    generator: torch.Generator,
    on_event: Callable[[int, int, _Window], bool],
    should_stop: ShouldStop | None = None,
    monitors: dict[str, LossFn] | None = None,
    first_epoch: bool = False,
) -> int:
    """One pass over `data` in shuffled batches; returns the number of steps taken.

    `on_event(step, steps_per_epoch, window)` runs every few steps and at the end of the epoch;
    it returns False to end the epoch early (divergence).
    """
    model.train()
    criterion = loss_function(config.loss, config.label_smoothing)
    n, batch_size = len(data), config.batch_size
    steps = math.ceil(n / batch_size)
    event_every = max(1, math.ceil(steps / max(1, config.events_per_epoch)))
    # One early event in the first epoch, so a live chart moves within a fraction of a second.
    early = math.ceil(event_every / 4) if first_epoch and event_every >= 4 else None
    # The permutation is drawn on the CPU generator so CPU and GPU runs see the same order.
    order = torch.randperm(n, generator=generator).to(data.labels.device)
    window = _new_window(data.labels.device, monitors)
    for step in range(steps):
        if should_stop is not None and should_stop():
            raise TrainingStopped
        index = order[step * batch_size : (step + 1) * batch_size]
        inputs, labels = data.inputs[index], data.labels[index]  # (B, 1, 28, 28), (B,)
        if config.channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        logits = model(inputs)  # (B, 10)
        loss = criterion(logits, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        _accumulate(window, logits, labels, loss, monitors)
        if (step + 1) % event_every == 0 or step + 1 in (steps, early):
            keep_going = on_event(step + 1, steps, window)
            window = _new_window(data.labels.device, monitors)
            if not keep_going:
                return step + 1
    return steps


def _new_window(device: torch.device, monitors: dict[str, LossFn] | None) -> _Window:
    zero = torch.zeros((), device=device)
    return _Window(
        loss=zero.clone(),
        correct=zero.clone(),
        monitors={k: zero.clone() for k in monitors or {}},
    )


def _accumulate(
    window: _Window,
    logits: torch.Tensor,
    labels: torch.Tensor,
    loss: torch.Tensor,
    monitors: dict[str, LossFn] | None,
) -> None:
    # Sums stay on the device: no host sync per step, one .item() per progress event.
    with torch.no_grad():
        batch = labels.shape[0]
        window.loss += loss.detach() * batch
        window.correct += (logits.argmax(dim=1) == labels).sum()
        for name, fn in (monitors or {}).items():
            window.monitors[name] += fn(logits.detach(), labels) * batch
    window.count += batch


def evaluate(
    model: nn.Module,
    data: Dataset,
    *,
    with_outputs: bool = False,
    channels_last: bool = False,
    batch_size: int = EVAL_BATCH,
) -> Evaluation:
    """Cross-entropy loss and accuracy of `model` on `data`, in eval mode."""
    model.eval()
    total_loss, correct = 0.0, 0
    predictions, probabilities = [], []
    with torch.inference_mode():
        for start in range(0, len(data), batch_size):
            inputs = data.inputs[start : start + batch_size]
            labels = data.labels[start : start + batch_size]
            if channels_last:
                inputs = inputs.contiguous(memory_format=torch.channels_last)
            logits = model(inputs)  # (B, 10)
            total_loss += F.cross_entropy(logits, labels, reduction="sum").item()
            predicted = logits.argmax(dim=1)
            correct += int((predicted == labels).sum().item())
            if with_outputs:
                predictions.append(predicted.cpu())
                probabilities.append(torch.softmax(logits.float(), dim=1).cpu())
    n = max(1, len(data))
    result = Evaluation(loss=total_loss / n, accuracy=correct / n)
    if with_outputs:
        result.predictions = torch.cat(predictions)
        result.probabilities = torch.cat(probabilities)
    return result


def fit(
    model: nn.Module,
    train: Dataset,
    test: Dataset,
    config: TrainConfig,
    *,
    emit: Emit,
    generator: torch.Generator,
    should_stop: ShouldStop | None = None,
    validation: Dataset | None = None,
    monitors: dict[str, LossFn] | None = None,
) -> FitResult:
    """Train for `config.epochs`, emitting progress; test (and validation) scores at epoch ends."""
    device = train.labels.device
    optimizer = make_optimizer(model, config)
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    scheduler = make_scheduler(optimizer, config, steps_per_epoch * config.epochs)
    result = FitResult()
    watch = _Stopwatch(device)
    tracker = _EarlyStopping(config.early_stopping_patience)
    layers = weight_layers(model)

    for epoch in range(config.epochs):

        def on_event(step: int, steps: int, window: _Window, epoch: int = epoch) -> bool:
            watch.pause()
            event = _progress_event(
                window, epoch + step / steps, result.steps + step, watch.total, optimizer
            )
            event["grad_norms"] = _grad_norms(layers, result)
            # The share of the run done, for the page's percentage and time left.
            event["progress"] = round(min(1.0, (epoch + step / steps) / config.epochs), 4)
            result.diverged = event["loss"] is None
            if step == steps or result.diverged:
                last = epoch + 1 == config.epochs or result.diverged
                with_test = last or (epoch + 1) % config.test_every == 0
                _add_scores(event, model, test if with_test else None, validation, config)
            result.history.append(event)
            emit(event)
            watch.start()
            return not result.diverged

        watch.start()
        result.steps += train_epoch(
            model, optimizer, scheduler, train, config,
            generator=generator, on_event=on_event, should_stop=should_stop, monitors=monitors,
            first_epoch=epoch == 0,
        )  # fmt: skip
        watch.pause()
        result.epochs_completed = result.history[-1]["epoch"]
        if result.diverged:
            break
        if tracker.update(model, result.history[-1].get("val_loss"), epoch + 1):
            result.stopped_early_at = epoch + 1
            break
    result.train_time_s = watch.total
    result.best_epoch = tracker.restore(model)
    return result


def _progress_event(
    window: _Window, epoch: float, step: int, elapsed: float, optimizer: torch.optim.Optimizer
) -> dict[str, Any]:
    count = max(1, window.count)
    event: dict[str, Any] = {
        "type": "progress",
        "epoch": round(epoch, 4),
        "step": step,
        "elapsed_s": round(elapsed, 4),
        "loss": finite(window.loss.item() / count),
        "train_accuracy": finite(window.correct.item() / count),
        "test_accuracy": None,
        "test_loss": None,
        "lr": finite(optimizer.param_groups[0]["lr"], 8),
    }
    for name, total in window.monitors.items():
        event[name] = finite(total.item() / count)
    return event


def _grad_norms(
    layers: list[tuple[str, nn.Linear | nn.Conv2d]], result: FitResult
) -> dict[str, float | None]:
    # The gradient of the step just taken, per weight layer: where vanishing gradients show.
    norms: dict[str, float | None] = {}
    for name, module in layers:
        grad = module.weight.grad
        value = finite(grad.norm().item()) if grad is not None else None
        norms[name] = value
        if value is not None:
            result.grad_norm_sums[name] = result.grad_norm_sums.get(name, 0.0) + value
    result.grad_norm_count += 1
    return norms


def _add_scores(
    event: dict[str, Any],
    model: nn.Module,
    test: Dataset | None,
    validation: Dataset | None,
    config: TrainConfig,
) -> None:
    if test is not None:
        scored = evaluate(model, test, channels_last=config.channels_last)
        event["test_accuracy"] = finite(scored.accuracy)
        event["test_loss"] = finite(scored.loss)
    if validation is not None:
        checked = evaluate(model, validation, channels_last=config.channels_last)
        event["val_accuracy"] = finite(checked.accuracy)
        event["val_loss"] = finite(checked.loss)
    model.train()


class _EarlyStopping:
    """Keeps the weights of the epoch with the lowest validation loss; stops after `patience`."""

    def __init__(self, patience: int | None) -> None:
        self.patience = patience
        self.best_loss = math.inf
        self.best_epoch: int | None = None
        self.best_state: dict[str, torch.Tensor] | None = None

    def update(self, model: nn.Module, val_loss: float | None, epoch: int) -> bool:
        """Record this epoch; True when training should stop."""
        if self.patience is None or val_loss is None:
            return False
        if val_loss < self.best_loss:
            self.best_loss, self.best_epoch = val_loss, epoch
            self.best_state = copy.deepcopy(model.state_dict())
            return False
        assert self.best_epoch is not None
        return epoch - self.best_epoch >= self.patience

    def restore(self, model: nn.Module) -> int | None:
        """Load the best weights back; the best epoch, or None when not tracking."""
        if self.best_state is not None:
            model.load_state_dict(self.best_state)
        return self.best_epoch


def confusion_matrix(labels: torch.Tensor, predictions: torch.Tensor) -> list[list[int]]:
    """10x10 counts: row = true digit, column = predicted digit."""
    flat = torch.bincount(labels.cpu() * 10 + predictions.cpu(), minlength=100)
    return flat.view(10, 10).tolist()


def sample_grid(
    pixels: torch.Tensor, labels: torch.Tensor, scored: Evaluation, count: int = SAMPLE_COUNT
) -> list[dict[str, Any]]:
    """Test digits with the model's guesses: the most confident mistakes first, then hits."""
    assert scored.predictions is not None and scored.probabilities is not None
    labels = labels.cpu()
    predictions, probabilities = scored.predictions, scored.probabilities
    confidence = probabilities.max(dim=1).values
    wrong = (predictions != labels).nonzero().flatten()
    wrong = wrong[confidence[wrong].argsort(descending=True)][:count]
    right = (predictions == labels).nonzero().flatten()[: count - len(wrong)]
    samples = []
    for index in torch.cat([wrong, right]).tolist():
        samples.append(
            {
                "index": index,
                "label": int(labels[index]),
                "prediction": int(predictions[index]),
                "probabilities": [round(p, 4) for p in probabilities[index].tolist()],
                "pixels": base64.b64encode(bytes(pixels[index].flatten().tolist())).decode(),
            }
        )
    return samples


def layer_stats(
    model: nn.Module,
    probe: torch.Tensor,
    fitted: FitResult | None = None,
    *,
    channels_last: bool = False,
) -> list[dict[str, Any]]:
    """Per weight layer: size, weight and gradient norms, and its activation's statistics.

    The activation statistics come from one eval-mode forward pass over `probe`; `dead_fraction`
    (ReLU-like) is the share of units that output nothing for every probe image, and
    `saturated_fraction` (sigmoid, tanh) the share of outputs stuck near the flat ends.
    """
    outputs = _activation_outputs(model, probe, channels_last)
    stats = []
    for name, module in weight_layers(model):
        weight = module.weight.detach()
        act_name, act_module, act_out = outputs.get(name, (None, None, None))
        entry: dict[str, Any] = {
            "name": name,
            "kind": "conv2d" if isinstance(module, nn.Conv2d) else "linear",
            "weight_shape": list(weight.shape),
            "params": sum(p.numel() for p in module.parameters()),
            "weight_norm": finite(weight.norm().item()),
            "weight_std": finite(weight.float().std().item()) if weight.numel() > 1 else None,
            "grad_norm": _mean_grad_norm(name, fitted),
            "activation": _activation_kind(act_module),
        }
        entry.update(_activation_summary(act_module, act_out))
        stats.append(entry)
    return stats


def _mean_grad_norm(name: str, fitted: FitResult | None) -> float | None:
    if fitted is None or fitted.grad_norm_count == 0 or name not in fitted.grad_norm_sums:
        return None
    return finite(fitted.grad_norm_sums[name] / fitted.grad_norm_count)


def _activation_kind(module: nn.Module | None) -> str | None:
    kinds = {nn.ReLU: "relu", nn.LeakyReLU: "leaky_relu", nn.Sigmoid: "sigmoid", nn.Tanh: "tanh"}
    return kinds.get(type(module)) if module is not None else None


def _activation_outputs(
    model: nn.Module, probe: torch.Tensor, channels_last: bool
) -> dict[str, tuple[str, nn.Module | None, torch.Tensor]]:
    """For each weight layer: its activation (or itself, for the output layer) and the output."""
    owner: dict[str, str] = {}  # activation name -> weight layer it follows
    current = None
    for name, module in model.named_children():
        if isinstance(module, nn.Linear | nn.Conv2d):
            current = name
            owner[name] = name  # until an activation follows, the layer's own output
        elif _activation_kind(module) is not None and current is not None:
            owner.pop(current, None)
            owner[name] = current
            current = None
    captured: dict[str, tuple[str, nn.Module | None, torch.Tensor]] = {}
    hooks = []
    modules = dict(model.named_children())
    for child, layer in owner.items():
        module = modules[child]

        def hook(
            _m: nn.Module, _i: Any, out: torch.Tensor, layer: str = layer, child: str = child
        ) -> None:
            act = modules[child] if child != layer else None
            captured[layer] = (child, act, out.detach().float().cpu().clone())

        hooks.append(module.register_forward_hook(hook))
    try:
        model.eval()
        with torch.inference_mode():
            inputs = probe.contiguous(memory_format=torch.channels_last) if channels_last else probe
            model(inputs)
    finally:
        for handle in hooks:
            handle.remove()
    return captured


def _activation_summary(module: nn.Module | None, out: torch.Tensor | None) -> dict[str, Any]:
    if out is None:
        return {"activation_mean": None, "activation_std": None, "dead_fraction": None,
                "saturated_fraction": None}  # fmt: skip
    kind = _activation_kind(module)
    summary: dict[str, Any] = {
        "activation_mean": finite(out.mean().item()),
        "activation_std": finite(out.std().item()) if out.numel() > 1 else None,
        "dead_fraction": None,
        "saturated_fraction": None,
    }
    if kind in ("relu", "leaky_relu"):
        # A unit is dead when it is not positive for any probe image: no gradient flows through it.
        alive = (out > 0).flatten(1).any(dim=0)  # (units,)
        summary["dead_fraction"] = finite(1.0 - alive.float().mean().item())
    elif kind == "sigmoid":
        summary["saturated_fraction"] = finite(((out < 0.01) | (out > 0.99)).float().mean().item())
    elif kind == "tanh":
        summary["saturated_fraction"] = finite((out.abs() > 0.99).float().mean().item())
    return summary
