"""SQLite writers of one process take turns: many at once all get through within the busy
budget, and the turn is held exactly while SQLite's write lock is.

Real SQLite files through make_engine, the engine every Mogi process uses; the suite's backend
does not matter."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy import exc as sa

from app.config import get_settings
from app.db import make_engine
from app.errors import database_fault
from app.sqlite_turns import Turn, turn_for

BUSY_S = 1.0


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("MOGI_DB_BUSY_TIMEOUT_S", str(BUSY_S))
    monkeypatch.setenv("MOGI_DB_POOL_SIZE", "16")
    get_settings.cache_clear()
    path = tmp_path / "turns.db"
    made = make_engine(f"sqlite:///{path}")
    with made.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, who INTEGER, n INTEGER)"))
    yield made
    made.dispose()
    monkeypatch.undo()
    get_settings.cache_clear()


def _turn(engine: Engine) -> Turn:
    database = engine.url.database
    assert database is not None
    return turn_for(database)


def test_sixteen_writers_at_once_all_get_through(engine: Engine) -> None:
    """Each write transaction holds the lock 20 ms, and sixteen threads want it all the time.
    Polling SQLite's lock, some writers missed it for longer than the 1 s budget; queued on the
    turn, each waits for the fifteen ahead of it at most."""

    def writer(who: int) -> list[float]:
        waits = []
        for n in range(8):
            with engine.connect() as conn:
                started = time.perf_counter()
                conn.execute(text("INSERT INTO t (who, n) VALUES (:who, :n)"), {"who": who, "n": n})
                waits.append(time.perf_counter() - started)
                time.sleep(0.02)  # the rest of a grade: scheduling, more rows
                conn.commit()
        return waits

    with ThreadPoolExecutor(16) as pool:
        waits = [w for run in pool.map(writer, range(16)) for w in run]

    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM t")) == 16 * 8
    assert max(waits) < BUSY_S


def test_the_turn_is_held_from_the_first_write_to_the_end_of_the_transaction(
    engine: Engine,
) -> None:
    turn = _turn(engine)
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM t"))
        assert not turn.locked()  # reads never queue
        conn.execute(text("INSERT INTO t (who, n) VALUES (1, 1)"))
        assert turn.locked()
        conn.execute(text("SELECT count(*) FROM t"))
        conn.execute(text("UPDATE t SET n = 2"))
        assert turn.locked()
        conn.commit()
        assert not turn.locked()

        conn.execute(text("DELETE FROM t"))
        assert turn.locked()
        conn.rollback()
        assert not turn.locked()
        assert conn.scalar(text("SELECT count(*) FROM t")) == 1

        conn.exec_driver_sql("BEGIN IMMEDIATE")
        assert turn.locked()
        conn.exec_driver_sql("COMMIT")  # ended by a statement, not by commit()
        assert not turn.locked()


def test_statements_outside_a_transaction_give_the_turn_back_at_once(engine: Engine) -> None:
    turn = _turn(engine)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("INSERT INTO t (who, n) VALUES (1, 1)"))
        assert not turn.locked()
        conn.execute(text("CREATE TABLE u (id INTEGER PRIMARY KEY)"))
        assert not turn.locked()


def test_a_failed_write_keeps_the_turn_until_the_rollback(engine: Engine) -> None:
    turn = _turn(engine)
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO t (id, who, n) VALUES (1, 1, 1)"))
        with pytest.raises(sa.IntegrityError):
            conn.execute(text("INSERT INTO t (id, who, n) VALUES (1, 1, 1)"))
        assert turn.locked()  # the transaction (and SQLite's lock) is still open
    assert not turn.locked()  # returned to the pool: rolled back


def test_a_connection_closed_mid_write_gives_the_turn_back(engine: Engine) -> None:
    turn = _turn(engine)
    conn = engine.connect()
    conn.execute(text("INSERT INTO t (who, n) VALUES (1, 1)"))
    conn.invalidate()  # the pool closes the driver's connection without a rollback
    assert not turn.locked()
    conn.close()


def test_a_writer_that_waits_past_the_budget_gets_the_databases_busy_answer(
    engine: Engine,
) -> None:
    with engine.connect() as holder:
        holder.execute(text("INSERT INTO t (who, n) VALUES (1, 1)"))
        started = time.perf_counter()
        with pytest.raises(sa.OperationalError) as caught, engine.connect() as late:
            late.execute(text("INSERT INTO t (who, n) VALUES (2, 1)"))
        waited = time.perf_counter() - started
        holder.commit()
    assert "database is locked" in str(caught.value)
    assert database_fault(caught.value) == "timeout"  # a 503 with Retry-After, as before
    assert BUSY_S <= waited < BUSY_S + 1.0
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM t")) == 1


# SQLite's busy handler tries at 228 ms, 328 ms, then every 100 ms: at 0.33 s it would be
# 98 ms late.
COMMITS_AT_S = 0.33


def test_a_writer_in_another_process_is_waited_for_and_followed_at_once(engine: Engine) -> None:
    """Another process's writer (a connection of its own, outside this process's turns)
    commits a row 0.33 s after this process's writer started to wait: this one's write goes
    in right after it, not up to 100 ms later as SQLite's busy handler would try."""
    database = engine.url.database
    assert database is not None
    other = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t (who, n) VALUES (2, 1)")
    timer = threading.Timer(COMMITS_AT_S, lambda: other.execute("COMMIT"))
    timer.start()
    started = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO t (who, n) VALUES (1, 1)"))
        waited = time.perf_counter() - started
        conn.commit()
    timer.join()
    other.close()
    assert COMMITS_AT_S <= waited < COMMITS_AT_S + 0.05
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM t")) == 2
