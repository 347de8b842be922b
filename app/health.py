"""`/healthz`: can this process read and write its database right now?"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from app.config import get_settings
from app.db import make_engine
from app.errors import database_fault

_probe_engines: dict[str, Engine] = {}


def _engine() -> Engine:
    # A connection of its own each time, outside the request pool: the answer must not wait
    # behind a saturated pool, and a stale pooled connection must not hide a recovery.
    url = get_settings().database_url
    if url not in _probe_engines:
        _probe_engines[url] = make_engine(url, pooled=False)
    return _probe_engines[url]


def database_health() -> dict[str, Any]:
    """The database's state: backend, reachable, writable, and what is wrong if anything is."""
    engine = _engine()
    state: dict[str, Any] = {
        "backend": engine.dialect.name,
        "reachable": False,
        "writable": False,
    }
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            state["reachable"] = True
            _check_writable(conn)
            state["writable"] = True
    except SQLAlchemyError as exc:
        state["problem"] = "read_only" if isinstance(exc, _ReadOnly) else database_fault(exc)
        state["error"] = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
    return state


def _check_writable(conn: Connection) -> None:
    """Raise unless a write could commit now (without writing anything)."""
    if conn.dialect.name == "sqlite":
        # Taking the write lock fails on a read-only file (or one whose lock is held past
        # the busy timeout), and writes nothing.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        conn.exec_driver_sql("ROLLBACK")
        return
    read_only = conn.execute(
        text(
            "SELECT pg_is_in_recovery() OR current_setting('default_transaction_read_only') = 'on'"
        )
    ).scalar()
    if read_only:
        raise _ReadOnly()
    conn.rollback()


class _ReadOnly(SQLAlchemyError):
    def __str__(self) -> str:
        return "the database is read-only (a standby, or default_transaction_read_only)"
