"""What the app calls each real database error: the reason of its 503 (and so the Retry-After a
client is told), or no fault at all for a mistake of the query or the data.

The errors come from real SQLite files and a real connection pool; the classification does not
depend on the backend the suite runs on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy import exc as sa

from app.errors import DatabaseUnavailable, database_fault, human_size


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "faults.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
        conn.execute(text("INSERT INTO t (name) VALUES ('taken')"))
    engine.dispose()
    yield path


def _error_of(engine: Engine, sql: str) -> BaseException:
    with pytest.raises(sa.SQLAlchemyError) as caught, engine.begin() as conn:
        conn.execute(text(sql))
    engine.dispose()
    return caught.value


def test_a_locked_database_is_a_timeout(sqlite_file: Path) -> None:
    holder = create_engine(f"sqlite:///{sqlite_file}")
    with holder.connect() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # holds the write lock
        waiting = create_engine(f"sqlite:///{sqlite_file}", connect_args={"timeout": 0})
        error = _error_of(waiting, "INSERT INTO t (name) VALUES ('new')")
        conn.exec_driver_sql("ROLLBACK")
    holder.dispose()
    assert "database is locked" in str(error)
    assert database_fault(error) == "timeout"


def test_a_read_only_database_is_read_only(sqlite_file: Path) -> None:
    read_only = create_engine(f"sqlite:///file:{sqlite_file}?mode=ro&uri=true")
    error = _error_of(read_only, "INSERT INTO t (name) VALUES ('new')")
    assert database_fault(error) == "read_only"
    assert DatabaseUnavailable("read_only").headers == {"Retry-After": "30"}


def test_a_database_that_cannot_be_opened_is_unreachable(tmp_path: Path) -> None:
    missing = create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'mogi.db'}")
    error = _error_of(missing, "SELECT 1")
    assert isinstance(error, sa.OperationalError)
    assert database_fault(error) == "unreachable"


def test_no_free_connection_in_the_pool_is_busy(sqlite_file: Path) -> None:
    pool = create_engine(f"sqlite:///{sqlite_file}", pool_size=1, max_overflow=0, pool_timeout=0.05)
    with pool.connect(), pytest.raises(sa.TimeoutError) as caught:
        pool.connect()
    pool.dispose()
    assert database_fault(caught.value) == "busy"
    busy = DatabaseUnavailable("busy")
    assert (busy.status_code, busy.headers) == (503, {"Retry-After": "2"})


def test_a_mistake_of_the_data_or_the_statement_is_no_fault(sqlite_file: Path) -> None:
    engine = create_engine(f"sqlite:///{sqlite_file}")
    duplicate = _error_of(engine, "INSERT INTO t (name) VALUES ('taken')")
    assert isinstance(duplicate, sa.IntegrityError)
    with pytest.raises(sa.ProgrammingError) as caught, engine.connect() as conn:
        conn.exec_driver_sql("SELECT ?", (1, 2))  # more values than placeholders
    engine.dispose()
    assert [database_fault(duplicate), database_fault(caught.value)] == [None, None]


def test_errors_that_are_not_the_databases_are_no_fault() -> None:
    faults: list[Callable[[], BaseException]] = [
        lambda: ValueError("not a database error"),
        lambda: sa.InvalidRequestError("a mistake in how a query was built"),
    ]
    assert [database_fault(make()) for make in faults] == [None, None]


def test_sizes_read_as_a_person_reads_them() -> None:
    assert [human_size(n) for n in (100, 1024, 512 * 1024, 1536, 16 * 1024 * 1024)] == [
        "100 bytes",
        "1 KiB",
        "512 KiB",
        "1.5 KiB",
        "16 MiB",
    ]


def test_a_session_the_server_ended_for_idling_in_a_transaction_is_unreachable() -> None:
    """The worker asks PostgreSQL to end its transactions left idle longer than a lease (so a
    frozen worker's locks go); woken up, the worker meets that error on its next statement or
    rollback, and must take it as a database that went away, not crash on it."""
    import time

    from tests.conftest import PG_ADMIN_URL, _psycopg

    engine = create_engine(_psycopg(PG_ADMIN_URL))
    try:
        with engine.connect() as probe:
            probe.execute(text("SELECT 1"))
    except sa.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}"[:200])
    caught: BaseException | None = None
    try:
        with engine.connect() as conn:
            conn.execute(text("SET idle_in_transaction_session_timeout = 100"))
            conn.commit()
            conn.execute(text("SELECT 1"))  # a transaction is open now
            time.sleep(0.5)  # the server ends the session
            conn.rollback()
    except sa.SQLAlchemyError as exc:
        caught = exc
    finally:
        engine.dispose()
    # Not an OperationalError: catching that class alone let this crash a woken worker.
    assert isinstance(caught, sa.InternalError)
    assert database_fault(caught) == "unreachable"
