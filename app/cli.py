"""`mogi` command line: serve, worker, migrate, import, train and the admin commands."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence

from pydantic import ValidationError


def cmd_migrate(args: argparse.Namespace) -> int:
    from app.migrate import upgrade_to_head

    upgrade_to_head()
    print("database is at the latest schema", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from app.content.commands import import_command

    return import_command(args.path, args.pack, dry_run=args.dry_run)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.config import get_settings

    settings = get_settings()
    worker = _start_worker() if args.with_worker else None
    # uvicorn handles SIGTERM/SIGINT while it serves, then restores this handler and raises
    # the signal again: turning it into SystemExit lets the `finally` below stop the worker.
    # (If this process dies some other way, the worker's parent-death signal stops it.)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=args.host or settings.host,
            port=args.port or settings.port,
            workers=args.workers,
            log_level=settings.log_level.lower(),
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
        )
    finally:
        if worker is not None:
            _stop_worker(worker)
    return 0


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _start_worker() -> subprocess.Popen[bytes]:
    """`mogi worker` as a child that cannot outlive this process."""
    argv = [sys.executable, "-m", "app.cli", "worker", "--parent-pid", str(os.getpid())]
    return subprocess.Popen(argv, preexec_fn=_die_with_parent)


def _die_with_parent() -> None:
    """In the forked child, before exec: SIGTERM it when its parent dies (Linux; elsewhere the
    worker watches its parent instead)."""
    from models.lifetime import die_with_parent

    die_with_parent(signal.SIGTERM)


def _stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the worker finishes or hands back its jobs within seconds), then SIGKILL."""
    if worker.poll() is not None:
        return
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def cmd_worker(args: argparse.Namespace) -> int:
    from app.ops.launch import exit_at_once
    from app.worker.main import run_worker

    exit_at_once(
        run_worker(concurrency=args.concurrency, once=args.once, parent_pid=args.parent_pid)
    )


def cmd_train(args: argparse.Namespace) -> int:
    from app.demos.cli import train_command

    return train_command(args.experiment, args.set or [], as_json=args.json)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mogi", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="serve the web app (uvicorn)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, default=1, help="web server processes")
    p.add_argument("--with-worker", action="store_true", help="also start a demo worker")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="bring the database schema up to date")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("import", help="import Q&A packs (default: every pack in content/)")
    p.add_argument("path", nargs="?", help="a pack file (.md) or a folder of packs")
    p.add_argument("--pack", help="the pack's slug (default: from the file's front matter or name)")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would change (new, changed, renumbered, retired) and write nothing",
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("worker", help="run demo jobs from the queue")
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--once", action="store_true", help="exit when the queue is empty")
    p.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)  # set by serve --with-worker
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("train", help="run one experiment in the foreground")
    p.add_argument("experiment")
    p.add_argument("--set", action="append", metavar="KEY=VALUE")
    p.add_argument("--json", action="store_true", help="one JSON line per progress event")
    p.set_defaults(func=cmd_train)

    from app.ops.cli import add_commands

    add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `.venv/bin/mogi`."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    try:
        return func(args)
    except ValidationError as exc:  # a MOGI_* setting is missing or wrong: say which, no trace
        print(f"mogi: invalid settings: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
