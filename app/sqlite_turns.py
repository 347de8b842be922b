"""SQLite writers of one process take turns on a lock instead of polling the file's lock.

SQLite lets one connection write at a time. A connection that finds the file locked polls it
(busy_timeout), sleeping longer after each miss, so under a steady stream of writes an unlucky
one misses for seconds while later ones get in. Twenty users grading at once on 2 cores: write
transactions held the lock 25 ms (p99 80 ms), yet writes waited up to 4 s for it, and now and
then one waited past the 5 s budget and became a 503.

Within a process the writers queue on a lock instead, in the order they came, held exactly
while SQLite's would be: the first statement that writes takes it, whatever ends the
transaction gives it back, and the next writer is woken at once. Between processes (the
worker, the CLI, a second server) SQLite's lock still decides; the writer at the head of each
process's queue tries it every millisecond, within the same busy_timeout budget.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# Statements that take SQLite's write lock: those the sqlite3 module opens a transaction for,
# schema changes, and transactions begun as writers.
_WRITES = re.compile(
    r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|BEGIN\s+(IMMEDIATE|EXCLUSIVE))\b",
    re.IGNORECASE,
)


class Turn:
    """A lock handed to its waiters in the order they came.

    threading.Lock is not: the thread that releases it can take it again before the woken
    waiter runs, and a writer that commits and writes again does just that. With sixteen
    writers, waits that a queue bounds at fifteen transactions reached forty.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Lock] = deque()

    def acquire(self, timeout: float) -> bool:
        with self._guard:
            if not self._held:
                self._held = True
                return True
            handed = threading.Lock()
            handed.acquire()
            self._waiters.append(handed)
        if handed.acquire(timeout=timeout):
            return True
        with self._guard:
            if handed in self._waiters:
                self._waiters.remove(handed)
                return False
        return True  # handed over just as the wait ran out: the turn is ours

    def release(self) -> None:
        with self._guard:
            if self._waiters:
                self._waiters.popleft().release()  # straight to the next writer, still held
            else:
                self._held = False

    def locked(self) -> bool:
        return self._held


RETRY_S = 0.001

_turns: dict[str, Turn] = {}
_turns_guard = threading.Lock()


def turn_for(database: str) -> Turn:
    """The turn the process's writers of this database file queue on."""
    if database != ":memory:" and not database.startswith("file:"):
        database = os.path.realpath(database)
    with _turns_guard:
        return _turns.setdefault(database, Turn())


class TurnTakingConnection(sqlite3.Connection):
    """A sqlite3 connection (connect's factory) whose writes wait for their turn first.

    The turn belongs to the connection, not to a thread: a request may write in one pool
    thread and commit in another.
    """

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._turn = turn_for(str(database))
        self._wait_s = float(kwargs.get("timeout", 5.0))
        self._holding = False

    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or _TurnTakingCursor)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Any:
        return self.cursor().executemany(sql, seq_of_parameters)

    def run(self, sql: str, statement: Callable[[], T]) -> T:
        """statement() (which executes sql), after taking the turn if sql writes."""
        try:
            if self._holding or not _WRITES.match(sql):
                return statement()
            deadline = time.monotonic() + self._wait_s
            if not self._turn.acquire(timeout=self._wait_s):
                # What SQLite itself says past busy_timeout: the same 503 follows.
                raise sqlite3.OperationalError("database is locked")
            self._holding = True
            return self._first_write(statement, deadline)
        finally:
            self._end_turn_unless_writing()

    def _first_write(self, statement: Callable[[], T], deadline: float) -> T:
        """statement(), trying for SQLite's lock every millisecond until deadline.

        The file's lock is also wanted by other processes (the worker's heartbeats and
        progress), and this process's writers now follow each other with no gap: SQLite's
        busy handler, sleeping up to 100 ms between tries, left the worker waiting seconds
        behind 200 users' grades. Here every process's next writer tries as often. Nothing
        was written before a first write, so trying it again is safe.
        """
        base = sqlite3.Connection
        base.execute(self, "PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    return statement()
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() >= deadline:
                        raise
                time.sleep(RETRY_S)
        finally:
            base.execute(self, f"PRAGMA busy_timeout = {int(self._wait_s * 1000)}")

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._end_turn_unless_writing()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._end_turn_unless_writing()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._end_turn()

    def __del__(self) -> None:
        # A connection dropped without close must not keep the turn from everyone else.
        if getattr(self, "_holding", False):
            self._end_turn()

    def _end_turn_unless_writing(self) -> None:
        # Also after a statement that committed by itself (autocommit, DDL) or a failed one.
        if self._holding and not self.in_transaction:
            self._end_turn()

    def _end_turn(self) -> None:
        if self._holding:
            self._holding = False
            self._turn.release()


class _TurnTakingCursor(sqlite3.Cursor):
    connection: TurnTakingConnection

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        run = super().execute
        return self.connection.run(sql, lambda: run(sql, parameters))

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Any:
        run = super().executemany
        return self.connection.run(sql, lambda: run(sql, seq_of_parameters))
