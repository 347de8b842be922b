"""`mogi start web|worker|migrate`: what a container runs, as PID 1.

Each role first brings the schema up to date (under the migration lock, so containers that
start together take turns) and, for web and migrate, imports the shipped packs. As PID 1, a
Python process ignores SIGTERM unless it handles it, so start-up runs with a handler that
ends the process; the server and the worker then install their own.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from app.config import Settings, get_settings
from app.logs import configure_logging
from app.ops import heartbeat

if TYPE_CHECKING:
    from app.worker.runtime import WarmRuntime

log = logging.getLogger("mogi.start")

# How long start-up waits for the database to answer before giving up (and being restarted).
DATABASE_WAIT_S = 60.0


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def signals_end_process() -> Iterator[None]:
    """SIGTERM and SIGINT end the process inside the block (whatever its PID)."""
    previous = {sig: signal.signal(sig, _exit_on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def wait_for_database(database_url: str, timeout_s: float = DATABASE_WAIT_S) -> None:
    """Return once the database answers; a database container may still be starting."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from app.db import make_engine

    engine = make_engine(database_url)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                return
            except OperationalError as exc:
                if time.monotonic() > deadline:
                    raise
                log.warning("waiting for the database", extra={"error": str(exc)[:200]})
                time.sleep(1)
    finally:
        engine.dispose()


def prepare_database(import_content: bool) -> int:
    """Migrate (and import the shipped packs), one process at a time; 0 on success."""
    from app.content.commands import import_command
    from app.migrate import migration_lock, upgrade_to_head

    settings = get_settings()
    wait_for_database(settings.database_url)
    upgrade_to_head(settings.database_url)
    if not import_content:
        return 0
    # Importing is idempotent but not safe to run twice at once: take turns like migrations.
    with migration_lock(settings.database_url):
        return import_command(None, None)


def start_command(role: str, args: argparse.Namespace) -> int:
    """Prepare the database, then become the web server or the worker."""
    from app.cli import cmd_serve, cmd_worker

    configure_logging(get_settings().log_level)
    with signals_end_process():
        status = prepare_database(import_content=role in ("web", "migrate"))
    if status != 0 or role == "migrate":
        return status
    if role == "web":
        serve = argparse.Namespace(host=None, port=None, workers=args.workers, with_worker=False)
        return cmd_serve(serve)
    return cmd_worker(argparse.Namespace(concurrency=args.concurrency, once=False, parent_pid=None))


def exit_at_once(status: int) -> NoReturn:
    """End the process now, skipping the interpreter's teardown: with torch loaded it takes
    2-3 s, which would push a container's stop past its grace period. Callers have
    committed or handed back everything by then."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def load_runtime_or_wait(settings: Settings, concurrency: int) -> WarmRuntime:
    """The worker's warm runtime. While MNIST is missing and MOGI_MNIST_WAIT_S > 0, say which
    files are missing (log and health check) and look again, rather than exit and be
    restarted in a loop. SystemExit(2) when the worker cannot start; SystemExit on SIGTERM."""
    from app.ops.mnist import missing_message
    from app.worker.runtime import WarmRuntime

    try:
        from models.data import MnistError
    except ImportError as exc:  # an image built without torch (the web image)
        _cannot_start(exc)
    with signals_end_process():
        while True:
            heartbeat.beat("starting", "loading torch and MNIST")
            try:
                return WarmRuntime.load(settings, concurrency)
            except MnistError as exc:
                if settings.mnist_wait_s <= 0:
                    _cannot_start(exc)
                why = missing_message(settings.mnist_dir, settings.mnist_wait_s) or str(exc)
                log.error("worker waiting for MNIST", extra={"error": why})
                heartbeat.beat("waiting for MNIST", why)
                time.sleep(settings.mnist_wait_s)
            except Exception as exc:  # MOGI_DEVICE not usable, torch missing...
                _cannot_start(exc)


def _cannot_start(exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"
    log.error("worker cannot start", extra={"error": error})
    heartbeat.beat("cannot start", error)
    raise SystemExit(2)
