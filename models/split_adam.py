"""Adam's step split between a run and its partner process (models.partner): each takes the
fused Adam step for half of the weights' elements, on weights and optimiser state in shared
memory, after adding the other's gradients for those elements.

The elements are counted parameter after parameter and cut in two equal halves, so a large
weight may fall on both sides; each side's slices of the weights, the state and the two shared
gradient buffers are made once, before the fork. Adam is elementwise, so each element sees the
same arithmetic as in torch.optim.Adam(fused=True).step() on the whole model; the gradient sum
is the same too (addition commutes), and a split run repeats itself exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn


class SplitAdam:
    """Adam's step split between the run (the first half of the weights' elements, counted
    parameter after parameter) and the partner (the second half). The weights and the
    optimiser's state are in shared memory; each side's slices of them are made once."""

    def __init__(
        self, optimizer: torch.optim.Optimizer, params: list[nn.Parameter], received: torch.Tensor
    ) -> None:
        group = optimizer.param_groups[0]
        self.adamw = bool(group["decoupled_weight_decay"])
        self.group = group
        state = shared_state(optimizer, params)
        self.steps = [entry["step"] for entry in state]
        self.sent = torch.zeros(received.numel()).share_memory_()
        self.run, self.partner = _segments(params)
        weights = [p.detach() for p in params]
        self.run_state = _Slices(self.run, weights, state, self.steps, received, self.sent)
        self.their_state = _Slices(self.partner, weights, state, self.steps, received, self.sent)

    def begin(self) -> list[float]:
        """A step starts: every step count + 1; the hyperparameters the scheduler set (lr,
        beta1, beta2, eps, weight decay), for the run to post to the partner."""
        torch._foreach_add_(self.steps, 1)
        return hyperparameters(self.group)

    def halves(self, grads: list[torch.Tensor]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Gradients (laid out like their weights) cut into the slices of the run's elements
        and of the partner's."""
        run = [_flat(grads[i])[a:b] for i, a, b in self.run]
        partner = [_flat(grads[i])[a:b] for i, a, b in self.partner]
        return run, partner

    def send(self, partner_slices: list[torch.Tensor]) -> None:
        """In the run: its gradients for the partner's elements into the shared buffer."""
        torch._foreach_copy_(self.their_state.sent, partner_slices)

    def offer(self, run_slices: list[torch.Tensor]) -> None:
        """In the partner: its gradients for the run's elements into the shared buffer."""
        torch._foreach_copy_(self.run_state.received, run_slices)

    def step_run(self, grads: list[torch.Tensor], hyper: Sequence[float]) -> None:
        """In the run: its gradient plus the partner's, in that order, then Adam."""
        torch._foreach_add_(grads, self.run_state.received)  # type: ignore[arg-type]
        self._adam(self.run_state, grads, hyper)

    def step_partner(
        self, grads: list[torch.Tensor], hyper: Sequence[float], *, whole_grads: bool
    ) -> None:
        """In the partner: its gradient plus the run's (the same sum: addition commutes), then
        Adam; the sum goes to the shared buffer when the run asks for whole gradients."""
        torch._foreach_add_(grads, self.their_state.sent)  # type: ignore[arg-type]
        self._adam(self.their_state, grads, hyper)
        if whole_grads:
            torch._foreach_copy_(self.their_state.received, grads)

    def receive(self, partner_slices: list[torch.Tensor]) -> None:
        """In the run: the partner's summed gradients into its .grad, which then holds the
        whole batch's gradient everywhere."""
        torch._foreach_copy_(partner_slices, self.their_state.received)

    def _adam(self, side: _Slices, grads: list[torch.Tensor], hyper: Sequence[float]) -> None:
        adam_step(self.adamw, side.weights, grads, side.exp_avg, side.exp_avg_sq, side.steps, hyper)


def adam_step(
    adamw: bool,
    weights: list[torch.Tensor],
    grads: list[torch.Tensor],
    exp_avg: list[torch.Tensor],
    exp_avg_sq: list[torch.Tensor],
    steps: list[torch.Tensor],
    hyper: Sequence[float],
) -> None:
    """What torch.optim.Adam(fused=True).step() runs, on these tensors (each contiguous, or
    laid out exactly like its gradient and state: the kernel walks memory in order), with the
    step counts already advanced."""
    lr, beta1, beta2, eps, decay = hyper
    step = torch._fused_adamw_ if adamw else torch._fused_adam_
    step(
        weights, grads, exp_avg, exp_avg_sq, [], steps,
        amsgrad=False, lr=lr, beta1=beta1, beta2=beta2, weight_decay=decay, eps=eps,
        maximize=False, grad_scale=None, found_inf=None,
    )  # fmt: skip


def shared_state(
    optimizer: torch.optim.Optimizer, params: list[nn.Parameter]
) -> list[dict[str, torch.Tensor]]:
    """Adam's state of `params`, moved to shared memory (before the fork, like the weights):
    the run and its partner both step it."""
    state = [optimizer.state[p] for p in params]
    for entry in state:
        for key in ("step", "exp_avg", "exp_avg_sq"):
            entry[key].share_memory_()
    return state


def hyperparameters(group: dict[str, Any]) -> list[float]:
    """An Adam param group's lr, beta1, beta2, eps and weight decay, as the scheduler left them."""
    beta1, beta2 = group["betas"]
    return [group["lr"], beta1, beta2, group["eps"], group["weight_decay"]]


class _Slices:
    """One side's slices of the weights, the Adam state, and the two gradient buffers."""

    def __init__(
        self,
        segments: list[tuple[int, int, int]],
        weights: list[torch.Tensor],
        state: list[dict[str, torch.Tensor]],
        steps: list[torch.Tensor],
        received: torch.Tensor,
        sent: torch.Tensor,
    ) -> None:
        starts = [0]
        for w in weights:
            starts.append(starts[-1] + w.numel())
        self.weights = [_flat(weights[i])[a:b] for i, a, b in segments]
        self.exp_avg = [_flat(state[i]["exp_avg"])[a:b] for i, a, b in segments]
        self.exp_avg_sq = [_flat(state[i]["exp_avg_sq"])[a:b] for i, a, b in segments]
        self.steps = [steps[i] for i, _, _ in segments]
        self.received = [received[starts[i] + a : starts[i] + b] for i, a, b in segments]
        self.sent = [sent[starts[i] + a : starts[i] + b] for i, a, b in segments]


def _segments(
    params: list[nn.Parameter],
) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    # The weights' elements, parameter after parameter, cut in two equal halves: (parameter,
    # first element, end) for each side; a parameter may fall on both sides.
    total = sum(p.numel() for p in params)
    cut = total // 2
    own, theirs, start = [], [], 0
    for i, p in enumerate(params):
        end = start + p.numel()
        if start < cut:
            own.append((i, 0, min(end, cut) - start))
        if end > cut:
            theirs.append((i, max(start, cut) - start, p.numel()))
        start = end
    return own, theirs


def _flat(tensor: torch.Tensor) -> torch.Tensor:
    # A dense tensor's elements in memory order (a channels-last weight too), as one vector.
    return tensor.as_strided((tensor.numel(),), (1,), tensor.storage_offset())


def shardable(optimizer: torch.optim.Optimizer | None, model: nn.Module) -> bool | None:
    """Whether a partner can take half of `optimizer`'s step (SplitAdam): fused Adam or AdamW
    with plain options over the model's weights, in float32; None while its state is yet to be
    made (by its first step)."""
    if not isinstance(optimizer, torch.optim.Adam) or len(optimizer.param_groups) != 1:
        return False
    group = optimizer.param_groups[0]
    options = ("amsgrad", "maximize", "capturable", "differentiable")
    if not group["fused"] or any(group[key] for key in options):
        return False
    params = [p for p in model.parameters() if p.requires_grad]
    if [id(p) for p in group["params"]] != [id(p) for p in params]:
        return False
    if any(p.dtype != torch.float32 or not _dense(p) for p in params):
        return False
    if any(not optimizer.state.get(p) for p in params):
        return None
    return True


def _dense(tensor: torch.Tensor) -> bool:
    # One block of memory, plain or channels-last: then _flat reaches every element once.
    return tensor.is_contiguous() or (
        tensor.dim() == 4 and tensor.is_contiguous(memory_format=torch.channels_last)
    )
