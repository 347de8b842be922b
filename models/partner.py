"""Split batches: a forked partner process computes the gradients of each batch's second half
while this process computes the first's.

Why a process and not a second thread: the small networks here gain little from two threads
inside each op, and two Python threads each running half a batch still take turns on the GIL
and share one allocator. Two processes do not. On a quiet 2-core Intel Xeon the default CNN's
step took 5.0-5.3 ms on one thread, 4.6-6.6 ms with the halves on two threads, and 3.4-3.8 ms
with the second half in a partner process (benches/RESULTS.md, 2026-12-01).

How the halves meet without copying the model: before the fork the model's weights move to
shared memory, so the partner always reads the weights this process's optimiser just wrote.
Per step this process writes the second half's row numbers and posts a semaphore; the partner
writes its gradients (one flat shared buffer), logits and loss and posts back. The two halves'
gradients are added in a fixed order, so a run repeats itself exactly.

With Adam (fused, as models.optim makes it) the optimiser step is split too (models.split_adam):
each side adds the other's gradients into its half of the weights' elements and takes the Adam
step there, on the optimiser state (also in shared memory) of those elements. The run takes its
first step on the whole batch, so the optimiser's state exists before the fork.

A one-hidden-layer MLP with Adam is split by its hidden units instead (models.hidden_halves):
no gradient crosses then. The process plumbing both share is models.pair.

The partner lives as long as one `fit`: it is forked at the first split step and ended when the
run ends, however it ends (a stop, an error); the kernel kills it if this process dies.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

import torch
from torch import nn

from models.hidden_halves import HiddenPartner, hidden_splittable
from models.pair import COUNT, DECAY, FAILED, LOSS, LR, TOTAL, WHOLE, PartnerProcess
from models.split_adam import SplitAdam, shardable
from models.threads import batch_shards, can_split

if TYPE_CHECKING:
    from types import TracebackType

    from models.optim import LossFn
    from models.train import Dataset, TrainConfig

log = logging.getLogger(__name__)

SHM = "/dev/shm"


class SplitBatches:
    """One run's split batches: whether to split now (the thread tuner's choice, for a model
    whose batch may be split), and its partner, forked at the first split step and ended with
    the run."""

    def __init__(
        self,
        model: nn.Module,
        data: Dataset,
        config: TrainConfig,
        optimizer: torch.optim.Optimizer | None = None,
        *,
        by_rows: bool = False,
    ) -> None:
        self.model, self.data, self.config, self.optimizer = model, data, config, optimizer
        self.by_rows = by_rows  # split rows even where hidden units could be (a benchmark)
        self.splittable = can_split(model, data.labels.device)
        self._partner: Partner | HiddenPartner | None = None
        self._hidden = False  # the partner splits hidden units, not rows
        self.steps = 0

    def ready(self, criterion: LossFn) -> bool:
        """Whether this step's batch is to be split: the thread tuner chose split batches, the
        model allows it, and the partner runs (forked here on first use). A partner that cannot
        be made (no shared memory, no fork) leaves the run on whole batches."""
        if not self.splittable or batch_shards() < 2:
            return False
        if self._partner is None:
            sharded = shardable(self.optimizer, self.model)
            if sharded is None:  # Adam without its state yet: this step on the whole batch
                return False
            if not _room_in_shared_memory(self.model, self.config.batch_size):
                log.warning("too little shared memory for a partner; training on whole batches")
                self.splittable = False
                return False
            try:
                self._partner = self._fork_partner(criterion, sharded)
                self._hidden = isinstance(self._partner, HiddenPartner)
            except (OSError, RuntimeError):
                log.warning("cannot fork a partner process; training on whole batches")
                self.splittable = False
                return False
        return True

    def _fork_partner(self, criterion: LossFn, sharded: bool) -> Partner | HiddenPartner:
        # A one-hidden-layer MLP with Adam splits its hidden units (no gradient crosses);
        # other networks split each batch's rows.
        model, optimizer = self.model, self.optimizer
        if sharded and optimizer and not self.by_rows and hidden_splittable(model, optimizer):
            return HiddenPartner(
                model, self.data, criterion, max_batch=self.config.batch_size, optimizer=optimizer
            )
        return Partner(
            self.model, self.data, criterion,
            channels_last=self.config.channels_last, max_batch=self.config.batch_size,
            optimizer=self.optimizer if sharded else None,
        )  # fmt: skip

    def step(
        self, index: torch.Tensor, *, whole_grads: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One split step of the batch `index` (Partner.step); after `ready()`."""
        assert self._partner is not None
        self.steps += 1
        return self._partner.step(index, whole_grads=whole_grads)

    @property
    def steps_optimizer(self) -> bool:
        """Whether a split step also takes the optimiser's step (Adam, split in two)."""
        return self._partner is not None and self._partner.steps_optimizer

    @property
    def kind(self) -> str | None:
        """What this run's split steps divided between the processes: "batch" (its rows),
        "hidden_units", or None before the first."""
        if not self.steps:
            return None
        return "hidden_units" if self._hidden else "batch"

    def close(self) -> None:
        if self._partner is not None:
            self._partner.close()
            self._partner = None

    def __enter__(self) -> SplitBatches:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class Partner(PartnerProcess):
    """A forked process that trains the second half of each batch of one run."""

    def __init__(
        self,
        model: nn.Module,
        data: Dataset,
        criterion: LossFn,
        *,
        channels_last: bool,
        max_batch: int,
        optimizer: torch.optim.Optimizer | None = None,
    ) -> None:
        super().__init__(max_batch)
        self.model, self.data, self.criterion = model, data, criterion
        self.channels_last = channels_last
        self.params = [p for p in model.parameters() if p.requires_grad]
        with torch.no_grad():  # the size of a row of logits
            outputs = _half(model, data, torch.zeros(1, dtype=torch.int64), 1, criterion,
                            channels_last)[0].shape[1]  # fmt: skip
        model.share_memory()  # before the fork: the partner reads the weights written here
        self.grads = torch.zeros(sum(p.numel() for p in self.params)).share_memory_()
        self.logits = torch.zeros(max_batch, outputs).share_memory_()
        self.grad_views = _views(self.grads, self.params)
        self.adam = SplitAdam(optimizer, self.params, self.grads) if optimizer else None
        self.start()

    @property
    def steps_optimizer(self) -> bool:
        """Whether a step also takes the optimiser's step (Adam, split in two)."""
        return self.adam is not None

    def step(
        self, index: torch.Tensor, *, whole_grads: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Gradients of the batch `index` (rows of the run's data) summed into each parameter's
        `.grad` as one whole-batch mean; returns the batch's logits and loss. With SplitAdam
        the optimiser's step is taken too, and `.grad` holds the whole batch's gradient only
        when `whole_grads` (else the partner's half of the elements keeps this side's part)."""
        total = index.shape[0]
        mine, theirs = index.tensor_split(2)
        count = theirs.shape[0]
        self.index[:count].copy_(theirs)
        hyper = self.adam.begin() if self.adam is not None else [0.0] * (DECAY - LR + 1)
        posted = [float(count), float(total), float(whole_grads), *hyper]
        self.post(posted)
        logits, loss = _half(self.model, self.data, mine, total, self.criterion, self.channels_last)
        loss.backward()
        mine_grads = _like_weights(self.params, [p.grad for p in self.params])
        for p, grad in zip(self.params, mine_grads, strict=True):
            p.grad = grad
        if self.adam is not None:
            self._step_adam(self.adam, mine_grads, posted)
        else:
            self.wait(self.done)
            # This half's gradient first, then the partner's: a fixed order, one op for all.
            torch._foreach_add_(mine_grads, self.grad_views)  # type: ignore[arg-type]
        both = torch.cat([logits.detach(), self.logits[:count]])
        return both, loss.detach() + float(self.slots[LOSS])

    def _step_adam(self, adam: SplitAdam, grads: list[torch.Tensor], posted: list[float]) -> None:
        # Gradients cross both ways and each side steps its half of the elements. The partner's
        # summed half comes back only when asked: progress events read the gradients' norms.
        halves = adam.halves(grads)
        adam.send(halves[1])
        self.mine.release()
        self.wait(self.done)
        adam.step_run(halves[0], posted[LR : DECAY + 1])
        self.wait(self.updated)
        if posted[WHOLE]:
            adam.receive(halves[1])

    def serve_step(self, posted: list[float]) -> None:
        """The partner's side: the gradient of the batch's second half; with SplitAdam, then
        the Adam step of its half of the weights' elements."""
        try:
            count, total = int(posted[COUNT]), int(posted[TOTAL])
            index = self.index[:count]
            logits, loss = _half(
                self.model, self.data, index, total, self.criterion, self.channels_last
            )
            grads = torch.autograd.grad(loss, self.params, allow_unused=True)
            laid_out = _like_weights(self.params, list(grads))
            if self.adam is not None:
                halves = self.adam.halves(laid_out)
                self.adam.offer(halves[0])
            else:  # all of them, for the run to add, with the logits and loss
                torch._foreach_copy_(self.grad_views, laid_out)
                self._post_outputs(logits, loss, count)
        except Exception:  # reported to the run by the flag; the run then ends the partner
            self.failed()
        self.done.release()
        if self.adam is None or self.slots[FAILED]:
            return
        # The run reads the logits and loss after the Adam step: written while it steps.
        self._post_outputs(logits, loss, count)
        if not self.wait_for_run(self.mine):
            return
        try:
            self.adam.step_partner(
                halves[1], posted[LR : DECAY + 1], whole_grads=bool(posted[WHOLE])
            )
        except Exception:
            self.failed()
        self.updated.release()

    def _post_outputs(self, logits: torch.Tensor, loss: torch.Tensor, count: int) -> None:
        self.logits[:count].copy_(logits.detach())
        self.slots[LOSS] = float(loss.detach())


def _views(flat: torch.Tensor, params: list[nn.Parameter]) -> list[torch.Tensor]:
    # Each parameter's slice of the flat buffer, shaped and laid out like it (a channels-last
    # weight too), so copying and adding gradients stays one pass over contiguous memory.
    views, offset = [], 0
    for p in params:
        views.append(flat[offset : offset + p.numel()].as_strided(p.shape, p.stride()))
        offset += p.numel()
    return views


def _like_weights(
    params: list[nn.Parameter], grads: list[torch.Tensor | None]
) -> list[torch.Tensor]:
    # Each gradient in its weight's memory layout, as SplitAdam's flat slices need; zeros for
    # a weight this half's loss does not reach.
    return [
        torch.zeros_like(p) if g is None
        else g if g.stride() == p.stride()
        else torch.empty_like(p).copy_(g)
        for p, g in zip(params, grads, strict=True)
    ]  # fmt: skip


def _half(
    model: nn.Module,
    data: Dataset,
    index: torch.Tensor,
    total: int,
    criterion: LossFn,
    channels_last: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    # This half's share of the whole batch's mean loss, so the halves' gradients simply add.
    inputs, labels = data.inputs.index_select(0, index), data.labels.index_select(0, index)
    if channels_last:
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    logits = model(inputs)
    return logits, criterion(logits, labels) * (labels.shape[0] / total)


def _room_in_shared_memory(model: nn.Module, batch_size: int) -> bool:
    """Whether /dev/shm holds what the partner shares twice over: the weights, Adam's two
    moments, two gradient buffers (float32 each), and the batch's rows and logits. A full tmpfs
    (a container's default is 64 MB) does not refuse a shared tensor, it kills the process that
    writes to it with SIGBUS."""
    needed = 5 * 4 * sum(p.numel() for p in model.parameters()) + 4 * 64 * batch_size
    try:
        stat = os.statvfs(SHM)
    except OSError:  # no /dev/shm: torch shares memory some other way
        return True
    return stat.f_bavail * stat.f_frsize >= 2 * needed
