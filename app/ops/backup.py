"""`mogi backup PATH` / `mogi restore PATH`: the whole database, while Mogi runs.

SQLite: the online backup API copies a consistent snapshot without stopping the server, and
restores the same way into the live file. PostgreSQL: pg_dump's custom format, restored with
pg_restore into the same database (objects dropped and re-created in one transaction). Both
bring the schema up to date after a restore, so an older backup works with a newer Mogi.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from app.config import get_settings

# How long a SQLite backup or restore waits for a writer to finish (ms).
SQLITE_BUSY_MS = 15000


class BackupError(Exception):
    """The backup or restore could not be done; the message says why and what to do."""


def backup_command(path: str) -> int:
    """Write a backup of the configured database to path; 0 on success."""
    return _run(lambda url: _backup(url, Path(path)), f"backup written to {path}")


def restore_command(path: str) -> int:
    """Replace the configured database's data with the backup at path; 0 on success."""
    return _run(lambda url: _restore(url, Path(path)), f"database restored from {path}")


def _run(action: Callable[[URL], None], done: str) -> int:
    url = make_url(get_settings().database_url)
    try:
        action(url)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(done, file=sys.stderr)
    return 0


def _backup(url: URL, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        backup_sqlite(_sqlite_path(url), target)
    else:
        _pg_tool("pg_dump", url, ["--format=custom", "--no-owner", f"--file={target}"])


def _restore(url: URL, source: Path) -> None:
    from app.migrate import upgrade_to_head

    if not source.is_file():
        raise BackupError(f"{source} does not exist or is not a file")
    if url.get_backend_name() == "sqlite":
        restore_sqlite(source, _sqlite_path(url))
    else:
        _pg_tool(
            "pg_restore",
            url,
            ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"]
            + ["--exit-on-error", str(source)],
        )
    upgrade_to_head(url.render_as_string(hide_password=False))


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("MOGI_DATABASE_URL names no SQLite file to back up or restore")
    return Path(url.database)


def backup_sqlite(database: Path, target: Path) -> None:
    """Copy a consistent snapshot of database to target (written beside it, then renamed)."""
    if not database.is_file():
        raise BackupError(f"the SQLite database {database} does not exist")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=SQLITE_BUSY_MS / 1000)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    partial.replace(target)


def restore_sqlite(backup: Path, database: Path) -> None:
    """Overwrite database's content with backup's, page by page, under SQLite's locks."""
    _check_sqlite_backup(backup)
    database.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    live = sqlite3.connect(database, timeout=SQLITE_BUSY_MS / 1000)
    try:
        source.backup(live)
    finally:
        live.close()
        source.close()


def _check_sqlite_backup(backup: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            conn.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{backup} is not a backup of a Mogi SQLite database ({exc})") from exc


def _pg_tool(tool: str, url: URL, args: list[str]) -> None:
    """Run pg_dump or pg_restore against url; the password goes in the environment."""
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(
            f"{tool} is not installed here. Install the PostgreSQL client tools (the server's "
            "major version or newer), or run it in the database container, e.g. "
            "`docker compose exec -T db pg_dump -U mogi -Fc mogi > mogi.dump` (see README)"
        )
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    dbname = url.set(drivername="postgresql", password=None).render_as_string()
    done = subprocess.run(
        [executable, f"--dbname={dbname}", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BackupError(f"{tool} failed (exit {done.returncode}): {done.stderr.strip()}")
