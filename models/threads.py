"""CPU threads for torch: chosen by the measured speed of the run's own steps, and keeping a
forking parent single-threaded.

libgomp's thread pool does not survive fork(): once a process has run one multi-threaded torch
op, a child forked from it hangs at its first multi-threaded op. A worker that forks a child per
job therefore does its own torch work (loading MNIST, warming up) on one thread, and each child
picks its thread count in `run_experiment`.

Why measure instead of taking every core: on a quiet machine a second thread buys the small
networks here little, and when the cores are shared (a busy host, other jobs) each parallel
region waits for a descheduled thread, so two threads ran the CNN 2-3x slower than one while
burning three times the CPU (benches/RESULTS.md). Which way it goes depends on the CPU, the
network and the load of the moment, so a run tries both on its first steps and keeps the faster.

A third way to use two cores is measured too: each step's batch split in two halves, the second
trained by a forked partner process on the other core (models.partner). The small CNN gains
little from a second thread inside its kernels (too little work per op to share, and under
OMP_WAIT_POLICY=PASSIVE each parallel region wakes a sleeping thread), but two whole half-batches
keep both cores busy.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

import torch
from torch import nn

# How long a decision stands before a run in the same process measures again (the load moves).
DECISION_TTL_S = 60.0
# Several threads must beat one by this much: they also take CPU time from everything else.
MARGIN = 1.15
# The mode that splits each batch in two halves trained side by side (models.partner).
SPLIT = "split"
# Its margin is smaller: the probe's few steps understate it (the partner process warms its
# own allocator caches on its first steps).
SPLIT_MARGIN = 1.08
# Rounds of arms the tuner times: the median of their ratios decides, so one slow spell of the
# machine does not. The default CNN run's 5 rounds take about 90 of its 626 steps.
ROUNDS = 5
# Ticks at the start of each arm left uncounted: the switch itself (a thread pool waking, the
# partner process forked and touching fresh memory) slows the first two steps after it.
WARM_TICKS = 2

Mode = int | str

_shards = 1


def batch_shards() -> int:
    """In how many parts the training loop should split each batch (1: not at all)."""
    return _shards


def use_threads(count: int, *, split_batches: bool = False) -> None:
    """A fixed way for the runs that follow: `count` threads with batches whole, or (with
    `split_batches`) each batch in two halves, one on each of two cores."""
    global _active
    _active = None
    _apply(SPLIT if split_batches else count)


def _apply(mode: Mode) -> None:
    global _shards
    if mode == SPLIT:
        torch.set_num_threads(1)
        _shards = 2
    else:
        torch.set_num_threads(int(mode))
        _shards = 1


def available_cpus() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextmanager
def single_threaded() -> Iterator[None]:
    """Run the torch ops inside on one thread, so the process stays safe to fork."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class ThreadTuner:
    """Picks 1 or `most` threads, or split batches, from the time between the run's own steps.

    `tick()` is called between two steps (the loops already ask whether to stop there). The
    first ticks alternate short arms of `most` threads, of one thread and of split batches,
    `rounds` of each; an arm lasts `arm_ticks` counted ticks (after WARM_TICKS that are not:
    the switch itself) and at least `arm_s` seconds. Each round compares its arms with its own
    one-thread arm, and the median of those ratios decides (`decide`); then the tuner stays out
    of the way. A loop that cannot split its batches (batch norm, dropout, its own loop) runs
    the split arm on one thread, so that arm cannot win by more than noise.
    """

    def __init__(
        self, most: int, *, rounds: int = ROUNDS, arm_ticks: int = 4, arm_s: float = 0.02
    ) -> None:
        self.most = max(1, most)
        self.rounds, self.arm_ticks, self.arm_s = rounds, arm_ticks, arm_s
        self.network: Hashable | None = None
        self.probe_s = 0.0
        self._start()

    def _start(self) -> None:
        modes: tuple[Mode, ...] = (self.most, 1, SPLIT) if self.most >= 2 else (1,)
        self.samples: dict[Mode, list[float]] = {mode: [] for mode in modes}
        # Each arm's median tick, in round order: what `decide` compares.
        self.arm_medians: dict[Mode, list[float]] = {mode: [] for mode in modes}
        self._arm_samples: list[float] = []
        self.chosen: Mode | None = 1 if self.most == 1 else None
        self.decided_at = time.monotonic()
        self._arms: list[Mode] = [m for _ in range(self.rounds) for m in modes]
        self._arm_ticks = 0
        self._arm_started = 0.0
        self._last: float | None = None
        _apply(self.chosen or self._arms[0])

    def for_network(self, network: Hashable) -> None:
        """The steps that follow train `network` (a key of its shape): a decision made for
        another network is measured again (an MLP's one thread says nothing of a CNN's split)."""
        if self.network is not None and network != self.network and self.most >= 2:
            self._start()
        self.network = network

    @property
    def cores(self) -> int:
        """How many cores the chosen way uses."""
        return 2 if self.chosen == SPLIT else int(self.chosen or self.most)

    @property
    def fresh(self) -> bool:
        """Still measuring, or decided recently enough to keep the decision."""
        return self.chosen is None or time.monotonic() - self.decided_at < DECISION_TTL_S

    def tick(self) -> None:
        """One step ended (and the next is about to start)."""
        if self.chosen is not None:
            return
        now = time.perf_counter()
        if self._last is None:  # the first step: warm-up, not measured
            self._last = self._arm_started = now
            return
        if self._arm_ticks >= WARM_TICKS:  # the arm's first ticks paid for the switch
            self.samples[self._arms[0]].append(now - self._last)
            self._arm_samples.append(now - self._last)
        self.probe_s += now - self._last
        self._last = now
        self._arm_ticks += 1
        if self._arm_ticks >= self.arm_ticks + WARM_TICKS and now - self._arm_started >= self.arm_s:
            self.arm_medians[self._arms.pop(0)].append(statistics.median(self._arm_samples))
            self._arm_samples = []
            self._arm_ticks, self._arm_started = 0, now
            if not self._arms:
                self._decide()
                return
            _apply(self._arms[0])

    def _decide(self) -> None:
        self.chosen = decide(self.arm_medians)
        self.decided_at = time.monotonic()
        _apply(self.chosen)

    def summary(self) -> dict[str, float | int | str | None]:
        """What was measured, for the run's result: median ms a step on each side."""

        def ms(values: list[float]) -> float | None:
            return round(1000 * statistics.median(values), 3) if values else None

        return {
            "chosen": self.chosen,
            "most": self.most,
            "step_ms_most": ms(self.samples[self.most]),
            "step_ms_one": ms(self.samples[1]),
            "step_ms_split": ms(self.samples.get(SPLIT, [])),
            "probe_s": round(self.probe_s, 3),
        }


def decide(arm_medians: dict[Mode, list[float]]) -> Mode:
    """The fastest way from each arm's median tick, round by round (`arm_medians[mode][r]`).

    Each way is timed against the one-thread arm of the same round, and the median of those
    ratios over the rounds decides. A shared machine's speed drifts by half and more within a
    second (benches/RESULTS.md): pooled over the rounds, a slow spell that covers one way's arm
    and not another's decided the run; within a round the arms are a few steps apart.
    """
    ones = arm_medians[1]
    ratios = {
        mode: statistics.median(t / one for t, one in zip(times, ones, strict=False))
        for mode, times in arm_medians.items()
        if mode != 1 and times
    }
    if not ratios:
        return 1
    best = min(ratios, key=ratios.__getitem__)
    margin = SPLIT_MARGIN if best == SPLIT else MARGIN
    return best if ratios[best] * margin < 1 else 1


_tuner: ThreadTuner | None = None
# The tuner of the run in progress; None while a run uses a fixed thread count.
_active: ThreadTuner | None = None


def auto_threads(most: int | None = None) -> ThreadTuner:
    """The process's tuner for runs that choose their own thread count: a recent decision for
    the same number of cores is kept (the variants of a comparison, a benchmark's next run),
    otherwise measuring starts again."""
    global _tuner, _active
    most = most or available_cpus()
    if _tuner is None or _tuner.most != most or not _tuner.fresh:
        _tuner = ThreadTuner(most)
    else:
        _apply(_tuner.chosen or _tuner.most)
    _active = _tuner
    return _tuner


def training(network: Hashable) -> None:
    """A training loop is about to train `network` (a key of its shape): the tuner of a run
    that chooses its own threads measures again if it decided for another network."""
    if _active is not None:
        _active.for_network(network)


def forget_decision() -> None:
    """Measure again at the next run (a benchmark measuring each run on its own)."""
    global _tuner, _active
    _tuner = _active = None
    _apply(torch.get_num_threads())


# ---- split batches ----------------------------------------------------------------------


def can_split(model: nn.Module, device: torch.device) -> bool:
    """Whether a batch may be split into parts trained side by side (models.partner): on a
    CPU, and only when no layer looks across the batch (batch norm) or draws random numbers
    (dropout), so the parts' gradients add up to the whole batch's."""
    if device.type != "cpu":
        return False
    across = (nn.modules.batchnorm._BatchNorm, nn.modules.dropout._DropoutNd)
    return not any(isinstance(m, across) for m in model.modules())
