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

The partner lives as long as one `fit`: it is forked at the first split step and ended when the
run ends, however it ends (a stop, an error); the kernel kills it if this process dies.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from models.lifetime import die_with_parent
from models.split_adam import SplitAdam, shardable
from models.threads import batch_shards, can_split

if TYPE_CHECKING:
    from types import TracebackType

    from models.optim import LossFn
    from models.train import Dataset, TrainConfig

log = logging.getLogger(__name__)

SHM = "/dev/shm"
# How long this process waits for a step's half before checking the partner is still alive.
POLL_S = 1.0
# How long each side polls for the other's post before it sleeps: a step's half (milliseconds)
# is waited for awake, the run's evaluation between epochs (longer) asleep.
SPIN_S = 0.005
# How long an ended partner gets to exit before it is killed.
EXIT_WAIT_S = 2.0
# The shared slots: what the run posts with each step, then the partner's loss and two flags.
COUNT, TOTAL, WHOLE, LR, BETA1, BETA2, EPS, DECAY, LOSS, QUIT, FAILED = range(11)


# This process's running partners, for end_partners().
_live: set[int] = set()


def end_partners() -> None:
    """Kill and reap this process's partners at once: a job's process told to stop ends its
    partner itself, so no orphan is left for PID 1 to reap (in a container PID 1 is the worker,
    which waits only for its own jobs)."""
    for pid in list(_live):
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        _live.discard(pid)


class PartnerError(RuntimeError):
    """The partner process died or failed during a step."""


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
    ) -> None:
        self.model, self.data, self.config, self.optimizer = model, data, config, optimizer
        self.splittable = can_split(model, data.labels.device)
        self._partner: Partner | None = None
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
                self._partner = Partner(
                    self.model, self.data, criterion,
                    channels_last=self.config.channels_last, max_batch=self.config.batch_size,
                    optimizer=self.optimizer if sharded else None,
                )  # fmt: skip
            except (OSError, RuntimeError):
                log.warning("cannot fork a partner process; training on whole batches")
                self.splittable = False
                return False
        return True

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
        return self._partner is not None and self._partner.adam is not None

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


class Partner:
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
        self.model, self.data, self.criterion = model, data, criterion
        self.channels_last = channels_last
        self.params = [p for p in model.parameters() if p.requires_grad]
        with torch.no_grad():  # the size of a row of logits
            outputs = _half(model, data, torch.zeros(1, dtype=torch.int64), 1, criterion,
                            channels_last)[0].shape[1]  # fmt: skip
        model.share_memory()  # before the fork: the partner reads the weights written here
        self.grads = torch.zeros(sum(p.numel() for p in self.params)).share_memory_()
        self.logits = torch.zeros(max_batch, outputs).share_memory_()
        self.index = torch.zeros(max_batch, dtype=torch.int64).share_memory_()
        # Read and written as a NumPy array: a slot in well under a microsecond, where a torch
        # op costs 5-15 (a small MLP's split step takes about 1.5 ms).
        self.slots = torch.zeros(FAILED + 1, dtype=torch.float64).share_memory_().numpy()
        self.grad_views = _views(self.grads, self.params)
        self.adam = SplitAdam(optimizer, self.params, self.grads) if optimizer else None
        ctx = multiprocessing.get_context("fork")
        # go: a batch's rows are ready; done: the partner's gradients are; mine: this side's
        # gradients for the partner's elements are; updated: the partner's Adam step is taken.
        self.go, self.done = ctx.Semaphore(0), ctx.Semaphore(0)
        self.mine, self.updated = ctx.Semaphore(0), ctx.Semaphore(0)
        self.pid: int | None = _fork(self._serve)
        _live.add(self.pid)

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
        self.slots[COUNT : DECAY + 1] = posted
        self.go.release()
        logits, loss = _half(self.model, self.data, mine, total, self.criterion, self.channels_last)
        loss.backward()
        mine_grads = _like_weights(self.params, [p.grad for p in self.params])
        for p, grad in zip(self.params, mine_grads, strict=True):
            p.grad = grad
        if self.adam is not None:
            self._step_adam(self.adam, mine_grads, posted)
        else:
            self._wait(self.done)
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
        self._wait(self.done)
        adam.step_run(halves[0], posted[LR : DECAY + 1])
        self._wait(self.updated)
        if posted[WHOLE]:
            adam.receive(halves[1])

    def close(self) -> None:
        """End the partner and wait for it (killed if it does not exit in time)."""
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        _live.discard(pid)
        self.slots[QUIT] = 1
        self.go.release()
        self.mine.release()  # in case the partner waits for this side's gradients
        deadline = time.monotonic() + EXIT_WAIT_S
        while time.monotonic() < deadline:
            if _exited(pid):
                return
            time.sleep(0.005)
        os.kill(pid, signal.SIGKILL)
        while not _exited(pid):
            time.sleep(0.005)

    def _wait(self, semaphore: Any) -> None:
        if _spin(semaphore):
            return self._check()
        while not semaphore.acquire(timeout=POLL_S):
            if self.pid is None or _exited(self.pid):
                _live.discard(self.pid or 0)
                self.pid = None
                raise PartnerError("the process training the second half of each batch died")
        self._check()

    def _check(self) -> None:
        if self.slots[FAILED]:
            self.close()
            raise PartnerError("the process training the second half of each batch failed")

    def _serve(self) -> None:
        """The partner's loop: one half-batch gradient per `go`, until told to quit."""
        torch.set_num_threads(1)
        while True:
            if not _spin(self.go):
                self.go.acquire()
            slots = self.slots
            if slots[QUIT]:
                return
            posted = slots[: DECAY + 1].tolist()
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
                slots[FAILED] = 1
            self.done.release()
            if self.adam is None or slots[FAILED]:
                continue
            # The run reads the logits and loss after the Adam step: written while it steps.
            self._post_outputs(logits, loss, count)
            if not _spin(self.mine):
                self.mine.acquire()
            if slots[QUIT]:
                return
            try:
                self.adam.step_partner(
                    halves[1], posted[LR : DECAY + 1], whole_grads=bool(posted[WHOLE])
                )
            except Exception:
                slots[FAILED] = 1
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


def _spin(semaphore: Any) -> bool:
    """Take `semaphore` if the other side posts it within SPIN_S, without sleeping: waking a
    sleeping process cost 75-85 us, a CNN step's 2% on each side."""
    deadline = time.perf_counter() + SPIN_S
    while time.perf_counter() < deadline:
        if semaphore.acquire(False):
            return True
    return False


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


def _exited(pid: int) -> bool:
    """Whether the partner has ended (reaped here, or already reaped: no longer our child)."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except ChildProcessError:
        return True


def _fork(serve: Callable[[], None]) -> int:
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    # The partner: it dies with the run, ignores Ctrl-C (the run's owner handles it) and never
    # returns into the code that forked it.
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if die_with_parent(signal.SIGKILL, parent):
            serve()
    except BaseException:
        code = 1
    finally:
        os._exit(code)
