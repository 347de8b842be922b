"""Split batches: a forked partner process computes the gradients of each batch's second half
while this process computes the first's.

Why a process and not a second thread: the small networks here gain little from two threads
inside each op, and two Python threads each running half a batch still take turns on the GIL
and share one allocator. Two processes do not. On a quiet 2-core Intel Xeon the default CNN's
step took 4.9-5.0 ms on one thread, 4.6-6.6 ms with the halves on two threads, and 3.7-3.8 ms
with the second half in a partner process (benches/RESULTS.md, 2026-12-01).

How the halves meet without copying the model: before the fork the model's weights move to
shared memory, so the partner always reads the weights this process's optimiser just wrote.
Per step this process writes the second half's row numbers and posts a semaphore; the partner
writes its gradients (one flat shared buffer), logits and loss and posts back. The two halves'
gradients are added in a fixed order, so a run repeats itself exactly.

The partner lives as long as one `fit`: it is forked at the first split step and ended when the
run ends, however it ends (a stop, an error); the kernel kills it if this process dies.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from models.threads import batch_shards, can_split

if TYPE_CHECKING:
    from types import TracebackType

    from models.optim import LossFn
    from models.train import Dataset, TrainConfig

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
SHM = "/dev/shm"
# How long this process waits for a step's half before checking the partner is still alive.
POLL_S = 1.0
# How long each side polls for the other's post before it sleeps: a step's half (milliseconds)
# is waited for awake, the run's evaluation between epochs (longer) asleep.
SPIN_S = 0.005
# How long an ended partner gets to exit before it is killed.
EXIT_WAIT_S = 2.0
# Slots of the shared `meta` vector.
COUNT, TOTAL, LOSS, QUIT, FAILED = range(5)


class PartnerError(RuntimeError):
    """The partner process died or failed during a step."""


class SplitBatches:
    """One run's split batches: whether to split now (the thread tuner's choice, for a model
    whose batch may be split), and its partner, forked at the first split step and ended with
    the run."""

    def __init__(self, model: nn.Module, data: Dataset, config: TrainConfig) -> None:
        self.model, self.data, self.config = model, data, config
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
            if not _room_in_shared_memory(self.model, self.config.batch_size):
                log.warning("too little shared memory for a partner; training on whole batches")
                self.splittable = False
                return False
            try:
                self._partner = Partner(
                    self.model, self.data, criterion,
                    channels_last=self.config.channels_last, max_batch=self.config.batch_size,
                )  # fmt: skip
            except (OSError, RuntimeError):
                log.warning("cannot fork a partner process; training on whole batches")
                self.splittable = False
                return False
        return True

    def step(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One split step of the batch `index` (Partner.step); after `ready()`."""
        assert self._partner is not None
        self.steps += 1
        return self._partner.step(index)

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
        self.meta = torch.zeros(5, dtype=torch.float64).share_memory_()
        self.grad_views = _views(self.grads, self.params)
        ctx = multiprocessing.get_context("fork")
        self.go, self.done = ctx.Semaphore(0), ctx.Semaphore(0)
        self.pid: int | None = _fork(self._serve)

    def step(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Gradients of the batch `index` (rows of the run's data) summed into each parameter's
        `.grad` as one whole-batch mean; returns the batch's logits and loss."""
        total = index.shape[0]
        mine, theirs = index.tensor_split(2)
        count = theirs.shape[0]
        self.index[:count].copy_(theirs)
        self.meta[COUNT], self.meta[TOTAL] = count, total
        self.go.release()
        logits, loss = _half(self.model, self.data, mine, total, self.criterion, self.channels_last)
        loss.backward()
        self._wait()
        mine_grads = []
        for p in self.params:
            if p.grad is None:  # a parameter this half's loss does not reach
                p.grad = torch.zeros_like(p)
            mine_grads.append(p.grad)
        # This half's gradient first, then the partner's: a fixed order, one op for them all.
        torch._foreach_add_(mine_grads, self.grad_views)  # type: ignore[arg-type]
        both = torch.cat([logits.detach(), self.logits[:count]])
        return both, loss.detach() + float(self.meta[LOSS])

    def close(self) -> None:
        """End the partner and wait for it (killed if it does not exit in time)."""
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        self.meta[QUIT] = 1
        self.go.release()
        deadline = time.monotonic() + EXIT_WAIT_S
        while time.monotonic() < deadline:
            if _exited(pid):
                return
            time.sleep(0.005)
        os.kill(pid, signal.SIGKILL)
        while not _exited(pid):
            time.sleep(0.005)

    def _wait(self) -> None:
        if _spin(self.done):
            return self._check()
        while not self.done.acquire(timeout=POLL_S):
            if self.pid is None or _exited(self.pid):
                self.pid = None
                raise PartnerError("the process training the second half of each batch died")
        self._check()

    def _check(self) -> None:
        if self.meta[FAILED]:
            self.close()
            raise PartnerError("the process training the second half of each batch failed")

    def _serve(self) -> None:
        """The partner's loop: one half-batch gradient per `go`, until told to quit."""
        torch.set_num_threads(1)
        while True:
            if not _spin(self.go):
                self.go.acquire()
            if self.meta[QUIT]:
                return
            try:
                count, total = int(self.meta[COUNT]), int(self.meta[TOTAL])
                index = self.index[:count]
                logits, loss = _half(
                    self.model, self.data, index, total, self.criterion, self.channels_last
                )
                grads = torch.autograd.grad(loss, self.params, allow_unused=True)
                if any(g is None for g in grads):  # a parameter this half does not reach
                    self.grads.zero_()
                pairs = [
                    (v, g) for v, g in zip(self.grad_views, grads, strict=True) if g is not None
                ]
                torch._foreach_copy_([v for v, _ in pairs], [g for _, g in pairs])
                self.logits[:count].copy_(logits.detach())
                self.meta[LOSS] = float(loss.detach())
            except Exception:  # reported to the run by the flag; the run then ends the partner
                self.meta[FAILED] = 1
            self.done.release()


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
    """Whether /dev/shm holds the weights, the gradients and the batch buffers twice over: a
    full tmpfs (a container's default is 64 MB) does not refuse a shared tensor, it kills the
    process that writes to it with SIGBUS."""
    needed = 2 * 4 * sum(p.numel() for p in model.parameters()) + 4 * 64 * batch_size
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
        if sys.platform.startswith("linux"):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == parent:  # else the run died before prctl took effect
            serve()
    except BaseException:
        code = 1
    finally:
        os._exit(code)
