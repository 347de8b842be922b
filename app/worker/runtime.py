"""The worker's warm state (torch imported and warmed up, MNIST in memory) and the child
process of each job.

Importing torch and reading MNIST take seconds; the worker pays that once, then forks a child
per job, which starts with both already in memory. Training in a child means a cancel or a
time limit can always stop it (even inside a long C++ call), and a crash in training never
takes the worker down. CUDA is never initialised in the parent: a CUDA context does not survive
fork, so only the child touches the GPU.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import ForkProcess
from typing import Any

from app.config import Settings
from app.demos.models import FSRS_OPTIMISATION
from app.demos.tasks import JobSpec, run_job
from models.lifetime import die_with_parent

log = logging.getLogger("mogi.worker.runtime")

# What the child sends up the pipe: ("event", dict), then ("result", dict) or ("error", str).
Message = tuple[str, Any]


@dataclass
class WarmRuntime:
    """torch, the device choice and MNIST, loaded once per worker process."""

    device: Any
    device_kind: str
    torch_version: str
    data: Any
    threads: int  # the most torch threads a job may use; it measures whether more than 1 pays

    @classmethod
    def load(cls, settings: Settings, concurrency: int) -> WarmRuntime:
        """Import torch and load MNIST (the slow part of starting a worker)."""
        # Ask NVML, not the CUDA runtime, whether a GPU exists, so the parent never creates
        # a CUDA context that its forked children could not use.
        os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")
        # OpenMP threads that sleep instead of spinning while they wait: on a machine whose
        # cores are shared (other jobs, web servers), spinning threads made training 10-40x
        # slower in our measurements; on idle cores the difference is small.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import torch

        # One thread in the parent: an OpenMP thread pool made before fork leaves every
        # child hanging on its first parallel op. Each child sets its own thread count.
        torch.set_num_threads(1)
        from models.data import load_mnist
        from models.runner import resolve_device, warm_up
        from models.threads import available_cpus

        started = time.monotonic()
        device = resolve_device(settings.device)
        data = load_mnist(settings.mnist_dir, download=settings.mnist_download)
        # torch's lazy imports (its compiler stack, on the first optimiser step) cost seconds;
        # done once here, on one thread, no forked child pays them again.
        warm_up()
        if torch.cuda.is_initialized():
            raise RuntimeError("CUDA was initialised in the worker's parent; children would fail")
        threads = max(1, available_cpus() // max(1, concurrency))
        kind = device.type
        log.info(
            "worker warm",
            extra={
                "device": str(device),
                "torch": torch.__version__,
                "load_s": round(time.monotonic() - started, 2),
                "threads": threads,
            },
        )
        return cls(
            device=device,
            device_kind=kind,
            torch_version=torch.__version__,
            data=data,
            threads=threads,
        )

    def start(self, spec: JobSpec) -> ChildRun:
        """Fork a child that trains `spec` from this warm state."""
        ctx = multiprocessing.get_context("fork")
        receiver, sender = ctx.Pipe(duplex=False)
        process = ctx.Process(
            target=_child_main,
            args=(sender, os.getpid(), spec, self.device, self.data, self.threads),
            name="mogi-job",
            daemon=True,
        )
        process.start()
        sender.close()  # the parent only reads: EOF then means the child is gone
        return ChildRun(process=process, conn=receiver)


@dataclass
class ChildRun:
    """A running child: its process and the read end of its pipe."""

    process: ForkProcess
    conn: Connection
    started: float = field(default_factory=time.monotonic)
    result: dict[str, Any] | None = None
    error: str | None = None
    closed: bool = False

    def drain(self) -> list[dict[str, Any]]:
        """The progress events waiting in the pipe; records the result or error if sent."""
        events: list[dict[str, Any]] = []
        while not self.closed and self.conn.poll():
            try:
                kind, payload = self.conn.recv()
            except (EOFError, OSError):
                self.closed = True
                break
            if kind == "event":
                events.append(payload)
            elif kind == "result":
                self.result = payload
            else:
                self.error = str(payload)
        return events

    @property
    def done(self) -> bool:
        """The child sent its result or error, or its pipe closed (it exited or died)."""
        return self.closed or self.result is not None or self.error is not None

    def exit_reason(self) -> str:
        """Why the child ended without a result, for the job's error."""
        if self.error:
            return self.error
        self.process.join(timeout=1.0)
        code = self.process.exitcode
        if code is not None and code < 0:
            return f"the training process was killed by signal {-code}"
        return f"the training process exited with code {code} without a result"

    def stop(self) -> None:
        """Stop the child now: SIGTERM, then SIGKILL if it is still there a second later."""
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=1.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=1.0)
        self.conn.close()
        self.closed = True

    def reap(self) -> None:
        """Wait for a child that has sent its result to exit."""
        self.process.join(timeout=5.0)
        if self.process.is_alive():
            self.stop()
        else:
            self.conn.close()
            self.closed = True


def _child_main(
    conn: Connection, parent_pid: int, spec: JobSpec, device: Any, data: Any, threads: int
) -> None:
    """Entry point of a job's child: train, stream events up the pipe, send the result."""
    # The parent's handlers were copied by fork; a child dies on SIGTERM (once its partner
    # process, if any, is ended) and leaves Ctrl-C to the worker, which stops it.
    stop_on_sigterm()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent_pid)
    _forget_parent_connections()
    _yield_to_requests()

    def emit(event: dict[str, Any]) -> None:
        conn.send(("event", event))

    try:
        result = _run(spec, device=device, data=data, emit=emit, threads=threads)
    except Exception as exc:  # reported to the job as its error; the child ends either way
        log.exception("training failed")
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    else:
        conn.send(("result", result))
    finally:
        conn.close()


# Training is background work. Where the same cores serve pages (`mogi serve --with-worker`,
# one small box for a class), requests come first: a niced job still takes every idle cycle,
# and gives way within a scheduler tick when a request needs the core. Only the job's child
# (and its partner) is niced: the worker itself writes to the database, and a writer that
# waits for the CPU while holding SQLite's lock would hold up every request behind it.
TRAINING_NICE = 10


def _yield_to_requests() -> None:
    try:
        os.nice(TRAINING_NICE)
    except OSError:  # not permitted here: train at the worker's own priority
        log.warning("cannot lower the training process's priority")


def _run(
    spec: JobSpec, *, device: Any, data: Any, emit: Callable[[dict[str, Any]], None], threads: int
) -> dict[str, Any]:
    """The job's body: a demo run, or the job of another feature the queue carries."""
    if spec.experiment == FSRS_OPTIMISATION:
        # Imported here: only this job needs fsrs's optimiser (and pandas, which it imports).
        from app.practice.optimisation.job import run_optimisation

        return run_optimisation(spec.params, emit=emit)
    return run_job(spec, device=device, data=data, emit=emit, max_threads=threads)


def stop_on_sigterm() -> None:
    """In a job's process: on SIGTERM (a cancel, a time limit, the worker stopping) end the
    partner process of a split-batch run first, then die of the signal as before."""

    def stop(signum: int, _frame: object) -> None:
        from models.pair import end_partners

        end_partners()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    signal.signal(signal.SIGTERM, stop)


def _die_with_parent(parent_pid: int) -> None:
    # A worker killed with SIGKILL cannot stop its child; the kernel does it instead, so an
    # orphan never trains on for a job that another worker will now run.
    if not die_with_parent(signal.SIGKILL, parent_pid):
        os._exit(1)


def _forget_parent_connections() -> None:
    # Database connections were copied by fork; the child must never use or close them.
    from app import db

    if db._engine is not None:
        db._engine.dispose(close=False)
