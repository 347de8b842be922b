"""Engine, session and declarative base shared by every feature."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from annotated_types import Interval
from fastapi import Depends
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.config import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Timezone-aware now in UTC (stored as naive UTC by SQLite, aware by PostgreSQL)."""
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers go on while one writer commits; busy_timeout makes a writer
    # wait for the lock instead of failing at once under concurrent grading.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for url, with SQLite tuned for a web server and a worker sharing one file."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


_engine: Engine | None = None
_factory: sessionmaker[Session] | None = None


def get_engine() -> Engine:
    """The process-wide engine, made on first use from the settings."""
    global _engine, _factory
    if _engine is None:
        _engine = make_engine(get_settings().database_url)
        _factory = sessionmaker(_engine, expire_on_commit=False)
    return _engine


def reset_engine() -> None:
    """Drop the cached engine (tests point the process at another database)."""
    global _engine, _factory
    if _engine is not None:
        _engine.dispose()
    _engine, _factory = None, None


def session_factory() -> sessionmaker[Session]:
    get_engine()
    assert _factory is not None
    return _factory


async def get_session() -> AsyncIterator[Session]:
    """One session per request: commit on success, roll back on any error.

    Async, so a request that never touches the database (a cached page) costs no thread-pool
    hop; the blocking commit or rollback runs in the pool only when a transaction began.
    """
    session = session_factory()()
    try:
        yield session
        if session.in_transaction():
            await run_in_threadpool(session.commit)
    except BaseException:
        # Keep loaded objects (the current user) readable by the error page rendered next:
        # a rollback would expire them and the session is closed by then.
        session.expunge_all()
        if session.in_transaction():
            await run_in_threadpool(session.rollback)
        raise
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


# scope="function": commit before the response is sent, so a client that got 201 can read its
# write in its next request (FastAPI's default would commit after the response has gone out).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

MAX_ID = 2**31 - 1
"""The largest value of an INTEGER column on PostgreSQL (ids are INTEGER)."""
# Ids and offsets from a URL or a body are checked against it: one the database cannot hold
# is a 422, not an overflow inside a query (a 500).
DbId = Annotated[int, Interval(ge=1, le=MAX_ID)]
DbOffset = Annotated[int, Interval(ge=0, le=MAX_ID)]
