"""The variants of a comparison trained together, as one grouped model.

When the variants are MLPs of the same shapes on the same data and batches (activations,
initialisations, optimisers, learning rates, weight decay, losses), each step runs them all at
once: the first layer as one matrix product over the variants' weights side by side, the others
as one batched product (`bmm`) over their stacked weights, the activation of each variant on its
own slice. Each variant keeps its own parameters (its `nn.Module`, untouched) and its own
optimiser, schedule and loss; the summed loss gives each variant exactly its own gradient. So
each variant sees what it would have seen trained alone (the same start, the same batches in the
same order) and reports its own curves and results, while a step costs about one variant's
fixed overhead (kernel launches, Python, the optimiser) instead of one per variant, which is
most of a small MLP's step on a CPU.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import nn

from models.nets import Mlp
from models.optim import loss_function, make_optimizer, make_scheduler
from models.stats import weight_layers
from models.train import (
    Emit,
    FitResult,
    ShouldStop,
    Stopwatch,
    TrainingStopped,
    Window,
    accumulate,
    add_scores,
    grad_norms,
    new_window,
    progress_event,
)

if TYPE_CHECKING:
    from models.context import Plan

Activation = Callable[[torch.Tensor], torch.Tensor]
# What the variants must share to train as one: the batches and when progress is reported.
SHARED = ("epochs", "batch_size", "events_per_epoch", "test_every", "channels_last")


def _activation(module: nn.Module) -> tuple[str, Activation] | None:
    """A key (equal keys: the same function) and an out-of-place function for `module`."""
    if isinstance(module, nn.ReLU):
        return "relu", torch.relu
    if isinstance(module, nn.LeakyReLU):
        slope = float(module.negative_slope)
        return f"leaky_relu:{slope}", lambda x: F.leaky_relu(x, slope)
    if isinstance(module, nn.Sigmoid):
        return "sigmoid", torch.sigmoid
    if isinstance(module, nn.Tanh):
        return "tanh", torch.tanh
    if isinstance(module, nn.Identity):
        return "identity", lambda x: x
    return None


Layer = tuple[nn.Linear, tuple[str, Activation] | None]


def mlp_layers(model: nn.Module) -> list[Layer] | None:
    """The (linear layer, its activation) pairs of a plain MLP; None for anything else (batch
    norm and dropout behave per batch or at random, and a CNN is not a stack of products)."""
    if not isinstance(model, Mlp):
        return None
    layers: list[Layer] = []
    for name, module in model.named_children():
        if name == "flatten":
            continue
        if isinstance(module, nn.Linear):
            layers.append((module, None))
            continue
        act = _activation(module)
        if act is None or not layers or layers[-1][1] is not None:
            return None
        layers[-1] = (layers[-1][0], act)
    return layers


def _shapes(layers: list[Layer]) -> list[tuple[tuple[int, ...], bool]]:
    return [(tuple(lin.weight.shape), lin.bias is not None) for lin, _ in layers]


def groupable(plans: Sequence[Plan], generators: Sequence[torch.Generator]) -> bool:
    """Whether these plans can train as one: plain MLPs of the same shapes, the same data, the
    same batch order to come, the same epochs and batch size, no early stopping."""
    if len(plans) < 2:
        return False
    stacks = [mlp_layers(p.model) for p in plans]
    if any(s is None for s in stacks):
        return False
    first, reference = plans[0], stacks[0]
    assert reference is not None
    state = generators[0].get_state()
    for plan, layers, generator in zip(plans, stacks, generators, strict=True):
        assert layers is not None
        config = plan.config
        if _shapes(layers) != _shapes(reference) or config.early_stopping_patience is not None:
            return False
        if any(getattr(config, k) != getattr(first.config, k) for k in SHARED):
            return False
        if sorted(plan.monitors or {}) != sorted(first.monitors or {}):
            return False
        if not torch.equal(generator.get_state(), state):
            return False
        pairs = [(plan.train, first.train), (plan.test, first.test)]
        if (plan.validation is None) != (first.validation is None):
            return False
        if plan.validation is not None and first.validation is not None:
            pairs.append((plan.validation, first.validation))
        for mine, theirs in pairs:
            if mine is theirs:
                continue
            if not (
                torch.equal(mine.labels, theirs.labels) and torch.equal(mine.inputs, theirs.inputs)
            ):
                return False
    return True


def grouped_forward(stacks: list[list[Layer]], inputs: torch.Tensor) -> torch.Tensor:
    """The logits of every variant, (V, B, 10), for the same inputs (B, 1, 28, 28)."""
    count, batch = len(stacks), inputs.shape[0]
    h = inputs.flatten(1)  # (B, 784)
    for i in range(len(stacks[0])):
        linears = [layers[i][0] for layers in stacks]
        biased = linears[0].bias is not None
        if i == 0:  # one product over the variants' first layers side by side
            weight = torch.cat([lin.weight for lin in linears])  # (V*out, 784)
            bias = torch.cat([lin.bias for lin in linears]) if biased else None  # type: ignore[misc]
            h = F.linear(h, weight, bias).view(batch, count, -1).transpose(0, 1)  # (V, B, out)
        else:
            weight = torch.stack([lin.weight for lin in linears]).transpose(1, 2)  # (V, in, out)
            if biased:
                bias = torch.stack([lin.bias for lin in linears]).unsqueeze(1)  # type: ignore[misc]
                h = torch.baddbmm(bias, h, weight)  # (V, B, out)
            else:
                h = torch.bmm(h, weight)
        acts = [layers[i][1] for layers in stacks]
        if acts[0] is None:  # the output layer
            continue
        keys = {act[0] for act in acts if act is not None}
        if len(keys) == 1:
            h = acts[0][1](h)
        else:
            h = torch.stack([act[1](h[v]) for v, act in enumerate(acts) if act is not None])
    return h


def _per_variant_loss(
    plans: Sequence[Plan], logits: torch.Tensor, labels: torch.Tensor
) -> torch.Tensor:
    """Each variant's mean loss on the batch, (V,)."""
    configs = [p.config for p in plans]
    count, batch, classes = logits.shape
    same = {(c.loss, c.label_smoothing) for c in configs}
    if same == {("cross_entropy", configs[0].label_smoothing)}:
        flat = F.cross_entropy(
            logits.reshape(count * batch, classes),
            labels.repeat(count),
            label_smoothing=configs[0].label_smoothing,
            reduction="none",
        )
        return flat.view(count, batch).mean(dim=1)
    losses = [loss_function(c.loss, c.label_smoothing)(logits[v], labels)
              for v, c in enumerate(configs)]  # fmt: skip
    return torch.stack(losses)


def _optimizers(plans: Sequence[Plan]) -> list[torch.optim.Optimizer]:
    """One optimiser per variant; variants with the same settings share one (fewer kernels)."""
    by_settings: dict[tuple[Any, ...], list[int]] = {}
    for v, plan in enumerate(plans):
        c = plan.config
        key = (c.optimizer, c.lr, c.momentum, c.weight_decay, c.schedule)
        by_settings.setdefault(key, []).append(v)
    chosen: list[torch.optim.Optimizer | None] = [None] * len(plans)
    for members in by_settings.values():
        together = nn.ModuleList([plans[v].model for v in members])
        optimizer = make_optimizer(together, plans[members[0]].config)
        for v in members:
            chosen[v] = optimizer
    return [o for o in chosen if o is not None]


def train_together(
    plans: Sequence[Plan],
    emits: Sequence[Emit],
    generator: torch.Generator,
    should_stop: ShouldStop | None = None,
) -> list[FitResult]:
    """Train the plans (see `groupable`) as one; each variant's events go to its own emit, as
    models.train.fit would send them. The training seconds are the group's."""
    config = plans[0].config
    train, device = plans[0].train, plans[0].train.labels.device
    stacks = [mlp_layers(p.model) or [] for p in plans]
    per_variant = _optimizers(plans)
    optimizers = list({id(o): o for o in per_variant}.values())
    steps = math.ceil(len(train) / config.batch_size)
    schedulers = [make_scheduler(o, plans[0].config, steps * config.epochs) for o in optimizers]
    results = [FitResult() for _ in plans]
    layers = [weight_layers(p.model) for p in plans]
    live = [True] * len(plans)
    watch = Stopwatch(device)
    event_every = max(1, math.ceil(steps / max(1, config.events_per_epoch)))
    for plan in plans:
        plan.model.train()

    for epoch in range(config.epochs):
        early = math.ceil(event_every / 4) if epoch == 0 and event_every >= 4 else None
        order = torch.randperm(len(train), generator=generator).to(device)
        windows = [new_window(device, p.monitors) for p in plans]
        watch.start()
        for step in range(steps):
            if should_stop is not None and should_stop():
                raise TrainingStopped
            index = order[step * config.batch_size : (step + 1) * config.batch_size]
            inputs, labels = train.inputs[index], train.labels[index]
            logits = grouped_forward(stacks, inputs)  # (V, B, 10)
            losses = _per_variant_loss(plans, logits, labels)  # (V,)
            for optimizer in optimizers:
                optimizer.zero_grad(set_to_none=True)
            losses.sum().backward()
            for optimizer in optimizers:
                optimizer.step()
            for scheduler in schedulers:
                if scheduler is not None:
                    scheduler.step()
            for v, plan in enumerate(plans):
                accumulate(windows[v], logits[v], labels, losses[v], plan.monitors)
            if (step + 1) % event_every == 0 or step + 1 in (steps, early):
                watch.pause()
                for v in range(len(plans)):
                    if live[v]:
                        at = (epoch, step + 1, steps, watch.total)
                        live[v] = _report(v, plans, results, layers, per_variant, windows[v],
                                          emits[v], at)  # fmt: skip
                windows = [new_window(device, p.monitors) for p in plans]
                if not any(live):
                    break
                watch.start()
        watch.pause()
        for v, result in enumerate(results):
            if live[v]:
                result.steps += steps
                result.epochs_completed = result.history[-1]["epoch"]
        if not any(live):
            break
    for result in results:
        result.train_time_s = watch.total
    return results


def _report(
    v: int,
    plans: Sequence[Plan],
    results: list[FitResult],
    layers: list[list[tuple[str, nn.Linear | nn.Conv2d]]],
    optimizers: list[torch.optim.Optimizer],
    window: Window,
    emit: Emit,
    at: tuple[int, int, int, float],
) -> bool:
    """Variant v's progress event, as fit sends it, at (epoch, step, steps per epoch, training
    seconds); False once it diverged."""
    epoch, step, steps, elapsed = at
    plan, result = plans[v], results[v]
    config = plan.config
    event = progress_event(
        window, epoch + step / steps, result.steps + step, elapsed, optimizers[v]
    )
    event["grad_norms"] = grad_norms(layers[v], result)
    event["progress"] = round(min(1.0, (epoch + step / steps) / config.epochs), 4)
    result.diverged = event["loss"] is None
    if step == steps or result.diverged:
        last = epoch + 1 == config.epochs or result.diverged
        with_test = last or (epoch + 1) % config.test_every == 0
        add_scores(event, plan.model, plan.test if with_test else None, plan.validation, config)
    result.history.append(event)
    emit(event)
    if result.diverged:
        result.epochs_completed = event["epoch"]
        result.steps += step
    return not result.diverged
