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
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager

import torch

# How long a decision stands before a run in the same process measures again (the load moves).
DECISION_TTL_S = 60.0
# Several threads must beat one by this much: they also take CPU time from everything else.
MARGIN = 1.15


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
    """Picks 1 or `most` threads from the time between the run's own steps.

    `tick()` is called between two steps (the loops already ask whether to stop there). The
    first ticks alternate short arms of `most` threads and of one thread, `rounds` of each,
    interleaved so a change of load hits both alike; an arm lasts `arm_ticks` ticks and at least
    `arm_s` seconds, and its first tick (the switch itself, a thread pool waking) is not
    counted. The median tick of each side decides; then the tuner stays out of the way.
    """

    def __init__(
        self, most: int, *, rounds: int = 3, arm_ticks: int = 4, arm_s: float = 0.02
    ) -> None:
        self.most = max(1, most)
        self.rounds, self.arm_ticks, self.arm_s = rounds, arm_ticks, arm_s
        self.samples: dict[int, list[float]] = {self.most: [], 1: []}
        self.chosen: int | None = 1 if self.most == 1 else None
        self.decided_at = time.monotonic()
        self.probe_s = 0.0
        self._arms = [n for _ in range(rounds) for n in (self.most, 1)]
        self._arm_ticks = 0
        self._arm_started = 0.0
        self._last: float | None = None
        torch.set_num_threads(self.chosen or self.most)

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
        if self._arm_ticks > 0:  # the arm's first tick paid for the switch
            self.samples[self._arms[0]].append(now - self._last)
        self.probe_s += now - self._last
        self._last = now
        self._arm_ticks += 1
        if self._arm_ticks > self.arm_ticks and now - self._arm_started >= self.arm_s:
            self._arms.pop(0)
            self._arm_ticks, self._arm_started = 0, now
            if not self._arms:
                self._decide()
                return
            torch.set_num_threads(self._arms[0])

    def _decide(self) -> None:
        many = statistics.median(self.samples[self.most])
        one = statistics.median(self.samples[1])
        self.chosen = self.most if many * MARGIN < one else 1
        self.decided_at = time.monotonic()
        torch.set_num_threads(self.chosen)

    def summary(self) -> dict[str, float | int | None]:
        """What was measured, for the run's result: median ms a step on each side."""

        def ms(values: list[float]) -> float | None:
            return round(1000 * statistics.median(values), 3) if values else None

        return {
            "chosen": self.chosen,
            "most": self.most,
            "step_ms_most": ms(self.samples[self.most]),
            "step_ms_one": ms(self.samples[1]),
            "probe_s": round(self.probe_s, 3),
        }


_tuner: ThreadTuner | None = None


def auto_threads(most: int | None = None) -> ThreadTuner:
    """The process's tuner for runs that choose their own thread count: a recent decision for
    the same number of cores is kept (the variants of a comparison, a benchmark's next run),
    otherwise measuring starts again."""
    global _tuner
    most = most or available_cpus()
    if _tuner is None or _tuner.most != most or not _tuner.fresh:
        _tuner = ThreadTuner(most)
    else:
        torch.set_num_threads(_tuner.chosen or _tuner.most)
    return _tuner


def forget_decision() -> None:
    """Measure again at the next run (a benchmark measuring each run on its own)."""
    global _tuner
    _tuner = None
