"""Engine, session and declarative base shared by every feature."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

from annotated_types import Interval
from fastapi import Depends
from sqlalchemy import DateTime, MetaData, Select, TypeDecorator, create_engine, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool
from starlette.concurrency import run_in_threadpool

from app.config import get_settings
from app.errors import DatabaseUnavailable, database_fault
from app.sqlite_turns import TurnTakingConnection

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A point in time, always timezone-aware UTC in Python, on SQLite and PostgreSQL alike.

    SQLite keeps no zone (it hands back naive values) and PostgreSQL answers in the session's
    zone; this type stores UTC and hands back aware UTC, and refuses a naive value, whose zone
    would be a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Timezone-aware now in UTC."""
    return datetime.now(UTC)


def _sqlite_pragmas(busy_ms: int) -> Any:
    def set_pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        # WAL lets readers go on while one writer commits; busy_timeout makes a writer wait
        # for the lock (briefly: past it the request gets a 503, never a long stall).
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        # 1 MiB of page cache per connection (SQLite's default is 2 MiB): a pool of them
        # otherwise adds tens of MB to the web process for a database of a few MB.
        cur.execute("PRAGMA cache_size=-1024")
        cur.close()

    return set_pragmas


# SQLite errors after which a pooled connection must not be reused: one opened while the file
# was read-only stays read-only after the file is fixed, until it is replaced.
_SQLITE_STALE = ("readonly database", "disk i/o error", "unable to open database")


def _invalidate_stale_sqlite(context: Any) -> None:
    if context.engine is not None and context.engine.dialect.name != "sqlite":
        return
    text = str(context.original_exception).lower()
    if any(marker in text for marker in _SQLITE_STALE):
        context.is_disconnect = True


def make_engine(url: str, *, statement_timeout: bool = True, pooled: bool = True) -> Engine:
    """An engine for url with Mogi's pool and timeouts (README, "Capacity").

    statement_timeout=False for migrations, which may legitimately run long; pooled=False
    for probes that must open a connection of their own each time.
    """
    settings = get_settings()
    pool: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        # A little room beyond the admitted requests: event streams, a worker's reaper.
        "max_overflow": 4,
        "pool_timeout": settings.db_queue_timeout_s,
        "pool_pre_ping": True,
    }
    if not pooled:
        pool = {"poolclass": NullPool}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        busy_s = settings.db_busy_timeout_s
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": busy_s,
                "factory": TurnTakingConnection,
            },
            **pool,
        )
        event.listen(engine, "connect", _sqlite_pragmas(int(busy_s * 1000)))
        event.listen(engine, "handle_error", _invalidate_stale_sqlite)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, connect_args=_pg_connect_args(statement_timeout), **pool)


def _pg_connect_args(statement_timeout: bool) -> dict[str, Any]:
    """Timeouts that turn a database gone away or partitioned into an error within seconds."""
    settings = get_settings()
    connect_s = max(1, round(settings.db_connect_timeout_s))
    args: dict[str, Any] = {
        "connect_timeout": connect_s,
        # Dead peers are noticed by TCP keepalives on idle connections and by the user
        # timeout on connections waiting for an answer.
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 2,
        "tcp_user_timeout": int(settings.db_statement_timeout_s * 1000),
    }
    if statement_timeout:
        ms = int(settings.db_statement_timeout_s * 1000)
        args["options"] = f"-c statement_timeout={ms} -c lock_timeout={ms}"
    return args


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
    global _engine, _factory, _gate
    if _engine is not None:
        _engine.dispose()
    _engine, _factory, _gate = None, None, None


def session_factory() -> sessionmaker[Session]:
    get_engine()
    assert _factory is not None
    return _factory


# ---- locked reads ------------------------------------------------------------------------------

SelectT = TypeVar("SelectT", bound=Select[Any])


def lock_rows(session: Session, query: SelectT) -> SelectT:
    """query, with what it reads kept from other writers until this transaction ends.

    PostgreSQL: FOR UPDATE. SQLite has no row locks, and its driver opens a transaction only
    at the first write, so a read before that sees rows another writer may change before this
    one writes (two grades of one card at once: one lost). There the transaction takes the
    database's write lock before the read instead (begin_writing).
    """
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update()
    begin_writing(session)
    return query


def begin_writing(session: Session) -> None:
    """On SQLite, open the session's transaction as a writer now (BEGIN IMMEDIATE), unless it
    already is one: what it reads next, no one else can change until it ends. No-op elsewhere."""
    conn = session.connection()
    driver = conn.connection.dbapi_connection
    if isinstance(driver, sqlite3.Connection) and not driver.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# ---- admission: a bounded number of requests use the database at once -------------------------

# Requests that use the database take a slot first, without a thread and without a connection,
# so at most db_pool_size of them hold connections. Each admitted request can always get a
# connection, so none waits on the pool while holding a thread another needs (the deadlock
# between the connection pool and the thread pool). The rest wait here, on the event loop, for
# at most db_queue_timeout_s; past db_queue_max waiting, a request is answered 503 at once:
# a saturated server says so fast rather than after the wait.


class _Gate:
    def __init__(self, loop: asyncio.AbstractEventLoop, slots: int) -> None:
        self.loop = loop
        self.slots = asyncio.Semaphore(slots)
        self.waiting = 0


_gate: _Gate | None = None


def _current_gate() -> _Gate:
    global _gate
    loop = asyncio.get_running_loop()
    if _gate is None or _gate.loop is not loop:
        _gate = _Gate(loop, get_settings().db_pool_size)
    return _gate


@asynccontextmanager
async def admission(patience_s: float | None = None) -> AsyncIterator[None]:
    """Hold one of the process's database slots; 503 (busy) when none frees up in time
    (db_queue_timeout_s, or patience_s when the caller has something else to offer)."""
    settings = get_settings()
    gate = _current_gate()
    if gate.slots.locked() and gate.waiting >= settings.db_queue_max:
        raise DatabaseUnavailable("busy")
    wait_s = settings.db_queue_timeout_s
    if patience_s is not None:
        wait_s = min(wait_s, patience_s)
    gate.waiting += 1
    try:
        await asyncio.wait_for(gate.slots.acquire(), timeout=wait_s)
    except TimeoutError:
        raise DatabaseUnavailable("busy") from None
    finally:
        gate.waiting -= 1
    try:
        yield
    finally:
        gate.slots.release()


# How long a request that already holds an answer (content read a second ago) waits for a
# database slot to check it is still current, before it answers with what it has: a page as
# last read beats a page seconds late while grades queue for the slots.
FALLBACK_PATIENCE_S = 0.25


async def run_db_or(fallback: Callable[[], T | None], fn: Callable[..., T], *args: Any) -> T:
    """run_db(fn, *args); when the database is busy or away, fallback() instead if it has an
    answer (content read earlier, say), else the fault as usual."""
    known = fallback()
    try:
        patience_s = None if known is None else FALLBACK_PATIENCE_S
        async with admission(patience_s):
            return await run_in_threadpool(_run_in_session, fn, *args)
    except (DatabaseUnavailable, SQLAlchemyError) as exc:
        if isinstance(exc, SQLAlchemyError) and database_fault(exc) is None:
            raise
        if known is None:
            raise
        return known


def _close(session: Session, commit: bool) -> None:
    try:
        if commit and session.in_transaction():
            session.commit()
    finally:
        session.close()  # rolls back whatever is left


def keep_writes_on_error(session: Session) -> None:
    """Have the request's transaction commit even if the request then fails (a refused login
    must still count against the rate limit)."""
    session.info["commit_on_error"] = True


async def get_session() -> AsyncIterator[Session]:
    """One session per request, inside an admission slot: commit on success, else roll back.

    The only place a request's transaction ends: services flush, never commit.
    """
    async with admission():
        session = session_factory()()
        try:
            yield session
        except BaseException:
            # Keep loaded objects (the current user) readable by the error page rendered next:
            # a rollback would expire them.
            session.expunge_all()
            await _finish(session, commit=bool(session.info.get("commit_on_error")))
            raise
        await _finish(session, commit=True)


async def _finish(session: Session, *, commit: bool) -> None:
    # A request that never touched the database costs no thread-pool hop.
    if session.in_transaction():
        await run_in_threadpool(_close, session, commit)
    else:
        session.close()


async def run_db(fn: Callable[..., T], *args: Any) -> T:
    """Run fn(session, *args) in one thread-pool hop: its own session, committed at the end.

    For async routes and streams: the connection is held only for fn's work, inside an
    admission slot.
    """
    async with admission():
        return await run_in_threadpool(_run_in_session, fn, *args)


def _run_in_session(fn: Callable[..., T], *args: Any) -> T:
    with session_factory()() as session:
        result = fn(session, *args)
        if session.in_transaction():
            session.commit()
        return result


# scope="function": commit before the response is sent, so a client that got 201 can read its
# write in its next request (FastAPI's default would commit after the response has gone out).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

MAX_ID = 2**31 - 1
"""The largest value of an INTEGER column on PostgreSQL (ids are INTEGER)."""
# Ids and offsets from a URL or a body are checked against it: one the database cannot hold
# is a 422, not an overflow inside a query (a 500).
DbId = Annotated[int, Interval(ge=1, le=MAX_ID)]
DbOffset = Annotated[int, Interval(ge=0, le=MAX_ID)]
