"""A run's partner process: forked from the run to train one half of each step on the other
core, ended with the run. What is shared by every way of splitting a step (models.partner
splits each batch's rows, models.hidden_halves a one-hidden-layer MLP's hidden units): the
slots the run posts with each step, the batch's row numbers, four semaphores, the fork, and the
ending of the partner however the run ends (a stop, an error, the run's process killed).

The two sides meet at semaphores, each polled for up to SPIN_S before the waiter sleeps: a
step's half takes milliseconds, and waking a sleeping process costs 75-85 us.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from typing import Any

import torch

from models.lifetime import die_with_parent

# How long the run waits for a step's half before checking the partner is still alive.
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


class PartnerProcess:
    """The plumbing of one run's partner: the shared slots and row numbers, the semaphores,
    and the process itself. A subclass makes its shared buffers, then calls `start()`, and
    implements `serve_step`: the partner's side of one step, from its `go` on."""

    def __init__(self, max_batch: int) -> None:
        self.index = torch.zeros(max_batch, dtype=torch.int64).share_memory_()
        # Read and written as a NumPy array: a slot in well under a microsecond, where a torch
        # op costs 5-15 (a small MLP's split step takes about 1.5 ms).
        self.slots = torch.zeros(FAILED + 1, dtype=torch.float64).share_memory_().numpy()
        ctx = multiprocessing.get_context("fork")
        # go: a batch's rows are ready; done: the partner's first result is; mine: this side's
        # answer to it is; updated: the partner's step is taken.
        self.go, self.done = ctx.Semaphore(0), ctx.Semaphore(0)
        self.mine, self.updated = ctx.Semaphore(0), ctx.Semaphore(0)
        self.pid: int | None = None

    def start(self) -> None:
        """Fork the partner (after every shared buffer exists)."""
        self.pid = _fork(self._serve)
        _live.add(self.pid)

    def post(self, values: list[float]) -> None:
        """In the run: the step's slots (from COUNT on), then `go`."""
        self.slots[COUNT : COUNT + len(values)] = values
        self.go.release()

    def serve_step(self, posted: list[float]) -> None:
        """In the partner: its side of one step, the slots the run posted in hand."""
        raise NotImplementedError

    def close(self) -> None:
        """End the partner and wait for it (killed if it does not exit in time)."""
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        _live.discard(pid)
        self.slots[QUIT] = 1
        self.go.release()
        self.mine.release()  # in case the partner waits for this side's answer
        deadline = time.monotonic() + EXIT_WAIT_S
        while time.monotonic() < deadline:
            if _exited(pid):
                return
            time.sleep(0.005)
        os.kill(pid, signal.SIGKILL)
        while not _exited(pid):
            time.sleep(0.005)

    def wait(self, semaphore: Any) -> None:
        """In the run: take `semaphore`, failing the step if the partner died or failed."""
        if _spin(semaphore):
            return self._check()
        while not semaphore.acquire(timeout=POLL_S):
            if self.pid is None or _exited(self.pid):
                _live.discard(self.pid or 0)
                self.pid = None
                raise PartnerError("the partner process that trains half of each step died")
        self._check()

    def wait_for_run(self, semaphore: Any) -> bool:
        """In the partner: take `semaphore`; False when the run asks it to quit."""
        if not _spin(semaphore):
            semaphore.acquire()
        return not self.slots[QUIT]

    def failed(self) -> None:
        """In the partner: report a failure, which the run raises at its next wait."""
        self.slots[FAILED] = 1

    def _check(self) -> None:
        if self.slots[FAILED]:
            self.close()
            raise PartnerError("the partner process that trains half of each step failed")

    def _serve(self) -> None:
        """The partner's loop: one step's side per `go`, until told to quit."""
        torch.set_num_threads(1)
        while self.wait_for_run(self.go):
            self.serve_step(self.slots[: DECAY + 1].tolist())


def _spin(semaphore: Any) -> bool:
    """Take `semaphore` if the other side posts it within SPIN_S, without sleeping: waking a
    sleeping process cost 75-85 us, a CNN step's 2% on each side."""
    deadline = time.perf_counter() + SPIN_S
    while time.perf_counter() < deadline:
        if semaphore.acquire(False):
            return True
    return False


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
