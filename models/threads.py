"""CPU threads for torch, and keeping a forking parent single-threaded.

libgomp's thread pool does not survive fork(): once a process has run one multi-threaded torch
op, a child forked from it hangs at its first multi-threaded op. A worker that forks a child per
job therefore does its own torch work (loading MNIST, warming up) on one thread, and each child
picks its thread count in `run_experiment`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch


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
