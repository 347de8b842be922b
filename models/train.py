"""The training loop: the whole dataset in memory, progress several times per epoch, test and
validation scores at epoch ends, early stopping. Losses and optimisers are in models.optim, what
is measured of a trained model in models.stats."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from models import threads
from models.nets import count_params
from models.optim import LossFn, loss_function, make_optimizer, make_scheduler
from models.partner import SplitBatches
from models.stats import finite, weight_layers

__all__ = ["Dataset", "Evaluation", "FitResult", "TrainConfig", "TrainingStopped", "evaluate",
           "finite", "fit", "train_epoch"]  # fmt: skip

Emit = Callable[[dict[str, Any]], None]
ShouldStop = Callable[[], bool]

EVAL_BATCH = 2000


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
    split_steps: int = 0  # steps split between two processes (models.partner)
    split_by: str | None = None  # what those steps split: "batch" or "hidden_units"
    epochs_completed: float = 0.0
    diverged: bool = False
    best_epoch: int | None = None
    stopped_early_at: int | None = None
    grad_norm_sums: dict[str, float] = field(default_factory=dict)
    grad_norm_count: int = 0


class Stopwatch:
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
class Window:
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
    on_event: Callable[[int, int, Window], bool],
    should_stop: ShouldStop | None = None,
    monitors: dict[str, LossFn] | None = None,
    first_epoch: bool = False,
    halves: SplitBatches | None = None,
) -> int:
    """One pass over `data` in shuffled batches; returns the number of steps taken.

    `on_event(step, steps_per_epoch, window)` runs every few steps and at the end of the epoch;
    it returns False to end the epoch early (divergence). With `halves`, each batch is split
    in two whenever the thread tuner has chosen split batches (models.partner).
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
    window = new_window(data.labels.device, monitors)
    # Cleared by hand: optimizer.zero_grad's profiling hooks cost a small MLP's step 3%.
    params = [p for group in optimizer.param_groups for p in group["params"]]
    for step in range(steps):
        if should_stop is not None and should_stop():
            raise TrainingStopped
        index = order[step * batch_size : (step + 1) * batch_size]
        # index_select: a third of the time of `inputs[index]` for a batch's rows.
        labels = data.labels.index_select(0, index)  # (B,)
        for p in params:
            p.grad = None
        stepped = False  # the optimiser's step taken already, by the split halves
        event = (step + 1) % event_every == 0 or step + 1 in (steps, early)
        if halves is not None and halves.ready(criterion):
            # The whole gradient where an event reads its norms, after this step.
            logits, loss = halves.step(index, whole_grads=event)
            stepped = halves.steps_optimizer
        else:
            inputs = data.inputs.index_select(0, index)  # (B, 1, 28, 28)
            if config.channels_last:
                inputs = inputs.contiguous(memory_format=torch.channels_last)
            logits = model(inputs)  # (B, 10)
            loss = criterion(logits, labels)
            loss.backward()
        if not stepped:
            optimizer.step()
        if scheduler is not None:
            scheduler.step()
        accumulate(window, logits, labels, loss, monitors)
        if event:
            keep_going = on_event(step + 1, steps, window)
            window = new_window(data.labels.device, monitors)
            if not keep_going:
                return step + 1
    return steps


def new_window(device: torch.device, monitors: dict[str, LossFn] | None) -> Window:
    zero = torch.zeros((), device=device)
    return Window(
        loss=zero.clone(),
        correct=zero.clone(),
        monitors={k: zero.clone() for k in monitors or {}},
    )


def accumulate(
    window: Window,
    logits: torch.Tensor,
    labels: torch.Tensor,
    loss: torch.Tensor,
    monitors: dict[str, LossFn] | None,
) -> None:
    # Sums stay on the device: no host sync per step, one .item() per progress event.
    with torch.no_grad():
        batch = labels.shape[0]
        window.loss.add_(loss.detach(), alpha=batch)
        window.correct.add_(torch.eq(logits.argmax(dim=1), labels).sum())
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
    watch = Stopwatch(device)
    tracker = EarlyStopping(config.early_stopping_patience)
    layers = weight_layers(model)
    threads.training((type(model).__name__, count_params(model), config.batch_size))
    with SplitBatches(model, train, config, optimizer) as halves:
        for epoch in range(config.epochs):

            def on_event(step: int, steps: int, window: Window, epoch: int = epoch) -> bool:
                watch.pause()
                event = progress_event(
                    window, epoch + step / steps, result.steps + step, watch.total, optimizer
                )
                event["grad_norms"] = grad_norms(layers, result)
                # The share of the run done, for the page's percentage and time left.
                event["progress"] = round(min(1.0, (epoch + step / steps) / config.epochs), 4)
                result.diverged = event["loss"] is None
                if step == steps or result.diverged:
                    last = epoch + 1 == config.epochs or result.diverged
                    with_test = last or (epoch + 1) % config.test_every == 0
                    add_scores(event, model, test if with_test else None, validation, config)
                result.history.append(event)
                emit(event)
                watch.start()
                return not result.diverged

            watch.start()
            result.steps += train_epoch(
                model, optimizer, scheduler, train, config,
                generator=generator, on_event=on_event, should_stop=should_stop, monitors=monitors,
                first_epoch=epoch == 0, halves=halves,
            )  # fmt: skip
            watch.pause()
            result.epochs_completed = result.history[-1]["epoch"]
            if result.diverged:
                break
            if tracker.update(model, result.history[-1].get("val_loss"), epoch + 1):
                result.stopped_early_at = epoch + 1
                break
        result.split_steps, result.split_by = halves.steps, halves.kind
    result.train_time_s = watch.total
    result.best_epoch = tracker.restore(model)
    return result


def progress_event(
    window: Window, epoch: float, step: int, elapsed: float, optimizer: torch.optim.Optimizer
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


def grad_norms(
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


def add_scores(
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


class EarlyStopping:
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
