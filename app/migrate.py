"""Alembic, driven from code: the only way Mogi's schema is made.

Several processes may start at once on an empty database (a web and a worker container, N
replicas), and each may run `mogi migrate`. Alembic itself does not serialise: two upgrades
both create `alembic_version` and one dies. So every upgrade runs inside a migration lock: a
PostgreSQL advisory lock, or an exclusive lock on a file beside the SQLite database. The second
migrator waits, then finds the schema current and does nothing.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.config import PROJECT_ROOT, get_settings

log = logging.getLogger("mogi.migrate")

# The advisory lock's key: any constant that no other application on the server uses
# (the bytes of "mogimigr" as a signed 64-bit integer).
ADVISORY_LOCK_KEY = int.from_bytes(b"mogimigr", "big", signed=True)


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.attributes["database_url"] = database_url or get_settings().database_url
    return cfg


def upgrade_to_head(database_url: str | None = None) -> None:
    """Apply every migration not yet applied to the database, one migrator at a time."""
    url = database_url or get_settings().database_url
    with migration_lock(url):
        command.upgrade(alembic_config(url), "head")


@contextmanager
def migration_lock(database_url: str) -> Iterator[None]:
    """Hold the database's migration lock for the block; other holders wait their turn."""
    backend = make_url(database_url).get_backend_name()
    if backend == "postgresql":
        with _advisory_lock(database_url):
            yield
    elif backend == "sqlite":
        with _sqlite_file_lock(database_url):
            yield
    else:
        yield


@contextmanager
def _advisory_lock(database_url: str) -> Iterator[None]:
    from app.db import make_engine

    # A session-level lock on a connection of its own: it outlives the upgrade's transactions
    # and is released by the server if this process dies.
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                conn.commit()
    finally:
        engine.dispose()


@contextmanager
def _sqlite_file_lock(database_url: str) -> Iterator[None]:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        yield  # a private in-memory database has one migrator by definition
        return
    # flock, not SQLite's own write lock: Alembic commits more than once per upgrade, and the
    # lock must cover the whole upgrade. It works across containers sharing the volume.
    lock_path = Path(database).with_name(Path(database).name + ".migrate-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
