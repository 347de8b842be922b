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
        state["problem"] = database_fault(exc)
        state["error"] = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
    return state


def _check_writable(conn: Connection) -> None:
    """Raise unless a write can be made now; the write is rolled back, so nothing changes.

    A statement that writes is the only honest test: a SQLite file opened read-only still
    takes the write lock (WAL writes go to another file), and PostgreSQL refuses writes in a
    read-only transaction only when one is tried.
    """
    conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
    conn.rollback()
