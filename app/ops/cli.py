"""The operations subcommands of `mogi`: start, health, backup, restore, mnist."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the subcommands on `mogi`'s parser."""
    p = sub.add_parser(
        "start",
        help="container entry point: migrate (web: and import packs), then serve or work",
    )
    p.add_argument("role", choices=["web", "worker", "migrate"])
    p.add_argument("--workers", type=int, default=1, help="web server processes")
    p.add_argument("--concurrency", type=int, default=1, help="worker: jobs at once")
    p.set_defaults(func=_start)

    p = sub.add_parser("health", help="exit 0 when the web server / worker here is healthy")
    p.add_argument("role", choices=["web", "worker"])
    p.set_defaults(func=_health)

    p = sub.add_parser("backup", help="back up the database to PATH (SQLite file or pg_dump)")
    p.add_argument("path")
    p.set_defaults(func=_backup)

    p = sub.add_parser("restore", help="replace the database's data with the backup at PATH")
    p.add_argument("path")
    p.set_defaults(func=_restore)

    p = sub.add_parser("mnist", help="download (fetch) or verify (check) the MNIST files")
    p.add_argument("action", choices=["fetch", "check"])
    p.add_argument("--dir", help="default: MOGI_MNIST_DIR")
    p.set_defaults(func=_mnist)


def _start(args: argparse.Namespace) -> int:
    from app.ops.launch import start_command

    return start_command(args.role, args)


def _health(args: argparse.Namespace) -> int:
    from app.ops.health import health_command

    return health_command(args.role)


def _backup(args: argparse.Namespace) -> int:
    from app.ops.backup import backup_command

    return backup_command(args.path)


def _restore(args: argparse.Namespace) -> int:
    from app.ops.backup import restore_command

    return restore_command(args.path)


def _mnist(args: argparse.Namespace) -> int:
    from app.ops.mnist import check_command, fetch_command

    return fetch_command(args.dir) if args.action == "fetch" else check_command(args.dir)
