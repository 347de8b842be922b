"""Processes that cannot outlive their parent: Linux's PR_SET_PDEATHSIG, for the CLI's worker,
a worker's job, a job's split-batch partner and the data-parallel replicas. Torch-free, so the
CLI that starts the web server may use it."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(sig: int = signal.SIGKILL, parent_pid: int | None = None) -> bool:
    """Ask the kernel to send `sig` to this process when its parent dies (Linux; elsewhere
    nothing happens). False when the parent `parent_pid` died before the request took effect:
    the caller should exit at once."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, sig)
    return parent_pid is None or os.getppid() == parent_pid
