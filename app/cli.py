"""`mogi` command line: serve, worker, migrate, import, train and the admin commands."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence


def cmd_migrate(args: argparse.Namespace) -> int:
    from app.migrate import upgrade_to_head

    upgrade_to_head()
    print("database is at the latest schema", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from app.content.importer import import_command

    return import_command(args.path, args.pack, dry_run=args.dry_run)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.config import get_settings

    settings = get_settings()
    worker: subprocess.Popen[bytes] | None = None
    if args.with_worker:
        worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"])
    try:
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=args.host or settings.host,
            port=args.port or settings.port,
            workers=args.workers,
            log_level=settings.log_level.lower(),
            proxy_headers=True,
        )
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from app.worker.main import run_worker

    return run_worker(concurrency=args.concurrency, once=args.once)


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
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("train", help="run one experiment in the foreground")
    p.add_argument("experiment")
    p.add_argument("--set", action="append", metavar="KEY=VALUE")
    p.add_argument("--json", action="store_true", help="one JSON line per progress event")
    p.set_defaults(func=cmd_train)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `.venv/bin/mogi`."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    return func(args)


if __name__ == "__main__":
    raise SystemExit(main())
