"""A one-hidden-layer MLP's step split between the run and its partner process by hidden units:
each side computes half of the hidden units for the whole batch, and no gradient crosses.

Why not split the batch, as models.partner does for other networks: split batches cost the
default MLP (784-256-10) about 0.6 ms a step beyond the halves' own work, a third of its step.
Each step its 203,530 gradients cross between the processes, each core writes weights the
other has just read, and each side waits for the other's gradients before its Adam step
(benches/RESULTS.md, 2026-12-01). Split by hidden units, a unit's weights (its row of `fc1`,
its column of `out`) get their whole gradient on the side that owns the unit, from the whole
batch. What crosses is each side's share of the logits: 10 numbers a row.

One step:
- The run posts the batch's row numbers. Each side computes its units' share of the logits,
  `act(x W1_s^T + b1_s) W2_s^T` (the run's share adds `out`'s bias), posts it and takes the
  other's. Both add them in one order, the run's first, so both have the very same logits and
  loss (IEEE addition is commutative).
- Each side backpropagates into its own units' weights and takes fused Adam's step on its rows
  of `fc1`. The partner posts its gradient of `out`'s columns (2,560 numbers) and its state; the
  run then steps all of `out`.
- Each step ends with both sides done, so the model in shared memory is whole between steps:
  evaluation, a whole-batch step (the thread tuner may switch) and the result read it as is.

The same arithmetic as a whole-batch step, summed in another order: the weights agree with a
whole-batch run to rounding, and a split run repeats itself exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeGuard

import torch
import torch.nn.functional as F
from torch import nn

from models.nets import Mlp
from models.pair import COUNT, DECAY, LR, WHOLE, PartnerProcess
from models.split_adam import adam_step, hyperparameters, shared_state

if TYPE_CHECKING:
    from models.optim import LossFn
    from models.train import Dataset


def hidden_splittable(model: nn.Module, optimizer: torch.optim.Optimizer | None) -> TypeGuard[Mlp]:
    """Whether `model` trains faster split by hidden units: an MLP of one hidden layer without
    batch norm or dropout, with fused Adam as models.split_adam.shardable accepts it."""
    if not isinstance(model, Mlp) or len(model.config.hidden) != 1:
        return False
    config = model.config
    return (
        not config.batch_norm
        and config.dropout == 0
        and config.hidden[0] >= 2
        and isinstance(optimizer, torch.optim.Adam)
    )


def _layers(model: Mlp) -> tuple[nn.Linear, nn.Module, nn.Linear]:
    fc1, act, out = (model.get_submodule(name) for name in ("fc1", "act1", "out"))
    assert isinstance(fc1, nn.Linear) and isinstance(out, nn.Linear)
    return fc1, act, out


def _weights(layer: nn.Linear) -> list[torch.Tensor]:
    return [layer.weight] + ([layer.bias] if layer.bias is not None else [])


class _Units:
    """One side's hidden units: views of their weights in the shared model, as autograd
    leaves of that side's steps, and of their Adam state."""

    def __init__(
        self, model: Mlp, state: dict[torch.Tensor, dict[str, torch.Tensor]], rows: slice
    ) -> None:
        fc1, self.act, out = _layers(model)
        first = _weights(fc1)
        # Rows of fc1 (contiguous: what the fused Adam kernel needs), columns of out (read and
        # differentiated here, stepped by the run with the whole of out).
        self.first = [p.detach()[rows].requires_grad_() for p in first]
        self.exp_avg = [state[p]["exp_avg"][rows] for p in first]
        self.exp_avg_sq = [state[p]["exp_avg_sq"][rows] for p in first]
        self.steps = [state[p]["step"] for p in first]
        self.w2 = out.weight.detach()[:, rows].requires_grad_()

    def share(self, x: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        """These units' share of the logits of the rows `x`."""
        bias1 = self.first[1] if len(self.first) > 1 else None
        return F.linear(self.act(F.linear(x, self.first[0], bias1)), self.w2, bias)

    def grads(self) -> list[torch.Tensor]:
        """The gradients of these units' rows of fc1, after a backward pass."""
        return [_grad(p) for p in self.first]

    def step(self, adamw: bool, hyper: list[float]) -> None:
        """Adam's step of these units' rows of fc1."""
        weights = [p.detach() for p in self.first]
        with torch.no_grad():
            adam_step(
                adamw, weights, self.grads(), self.exp_avg, self.exp_avg_sq, self.steps, hyper
            )

    def clear(self) -> None:
        for p in (*self.first, self.w2):
            p.grad = None


class HiddenPartner(PartnerProcess):
    """A forked process that trains the second half of a one-hidden-layer MLP's hidden units
    on every batch of one run, while the run trains the first."""

    steps_optimizer = True  # each step is Adam's too

    def __init__(
        self,
        model: Mlp,
        data: Dataset,
        criterion: LossFn,
        *,
        max_batch: int,
        optimizer: torch.optim.Optimizer,
    ) -> None:
        super().__init__(max_batch)
        self.model, self.data, self.criterion = model, data, criterion
        group = optimizer.param_groups[0]
        self.group, self.adamw = group, bool(group["decoupled_weight_decay"])
        params = [p for p in model.parameters() if p.requires_grad]
        model.share_memory()  # before the fork, with Adam's state: both sides read and write
        entries = shared_state(optimizer, params)
        state: dict[torch.Tensor, dict[str, torch.Tensor]] = dict(zip(params, entries, strict=True))
        self.all_steps = [entry["step"] for entry in entries]
        fc1, _, out = _layers(model)
        self.fc1, self.out = _weights(fc1), _weights(out)
        self.out_state = [state[p] for p in self.out]
        # out's bias is in the run's share of the logits only: a leaf of the run's steps.
        self.out_bias = out.bias.detach().requires_grad_() if out.bias is not None else None
        hidden, cut = fc1.out_features, fc1.out_features // 2
        self.run_units = _Units(model, state, slice(0, cut))
        self.their_units = _Units(model, state, slice(cut, hidden))
        outputs = out.out_features
        # Each side's share of the batch's logits, and the partner's gradients: of its columns
        # of out (every step), of its rows of fc1 (when the run asks for whole gradients).
        self.their_share = torch.zeros(max_batch, outputs).share_memory_()
        self.run_share = torch.zeros(max_batch, outputs).share_memory_()
        self.their_grads = [torch.zeros_like(p).share_memory_() for p in self.their_units.first]
        self.their_w2_grad = torch.zeros_like(self.their_units.w2).share_memory_()
        self.start()

    def step(
        self, index: torch.Tensor, *, whole_grads: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Forward, backward and Adam's step of the batch `index` (rows of the run's data),
        this side's units here and the others' in the partner; returns the batch's logits and
        loss. The parameters' `.grad` hold the whole batch's gradient when `whole_grads`."""
        count = index.shape[0]
        self.index[:count].copy_(index)
        torch._foreach_add_(self.all_steps, 1)
        hyper = hyperparameters(self.group)
        self.post([float(count), float(count), float(whole_grads), *hyper])
        units = self.run_units
        units.clear()
        if self.out_bias is not None:
            self.out_bias.grad = None
        x, labels = self._rows(index)
        share = units.share(x, self.out_bias)
        self.run_share[:count].copy_(share.detach())
        self.mine.release()
        self.wait(self.done)
        logits = share + self.their_share[:count]  # the run's share first, on both sides
        loss = self.criterion(logits, labels)
        loss.backward()
        units.step(self.adamw, hyper)
        self.wait(self.updated)
        self._step_out(units, hyper, whole_grads=whole_grads)
        return logits.detach(), loss.detach()

    def _step_out(self, units: _Units, hyper: list[float], *, whole_grads: bool) -> None:
        # Adam's step of all of out, its columns' gradients from both sides; the whole
        # gradient into the model's .grad when asked for (progress events read its norms).
        grads = [torch.cat([_grad(units.w2), self.their_w2_grad], dim=1)]
        if self.out_bias is not None:
            grads.append(_grad(self.out_bias))
        with torch.no_grad():
            adam_step(
                self.adamw, [p.detach() for p in self.out], grads,
                [s["exp_avg"] for s in self.out_state], [s["exp_avg_sq"] for s in self.out_state],
                [s["step"] for s in self.out_state], hyper,
            )  # fmt: skip
        if whole_grads:
            for p, mine, theirs in zip(self.fc1, units.grads(), self.their_grads, strict=True):
                p.grad = torch.cat([mine, theirs])
            for p, grad in zip(self.out, grads, strict=True):
                p.grad = grad

    def serve_step(self, posted: list[float]) -> None:
        """The partner's side: its units' share of the logits, then (with the run's share in)
        their gradients and Adam's step of their rows of fc1."""
        units = self.their_units
        try:
            count = int(posted[COUNT])
            units.clear()
            x, labels = self._rows(self.index[:count])
            share = units.share(x, None)
            self.their_share[:count].copy_(share.detach())
        except Exception:  # reported to the run by the flag; the run then ends the partner
            self.failed()
            self.done.release()
            return
        self.done.release()
        if not self.wait_for_run(self.mine):
            return
        try:
            logits = self.run_share[:count] + share
            self.criterion(logits, labels).backward()
            self.their_w2_grad.copy_(_grad(units.w2))
            units.step(self.adamw, posted[LR : DECAY + 1])
            if posted[WHOLE]:
                torch._foreach_copy_(self.their_grads, units.grads())
        except Exception:
            self.failed()
        self.updated.release()

    def _rows(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        inputs = self.data.inputs.index_select(0, index).flatten(1)
        return inputs, self.data.labels.index_select(0, index)


def _grad(leaf: torch.Tensor) -> torch.Tensor:
    assert leaf.grad is not None, "read after the backward pass"
    return leaf.grad
