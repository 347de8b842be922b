"""Database faults against a real `mogi serve`: a lock held, connections refused, a read-only
database. Every answer is complete (a 503 the client can retry, never a 500 or a dropped
connection), other requests keep flowing, and the server recovers by itself.

Each test runs its own server on its own database, since it breaks that database. The longest
(and those that time answers, which a busy machine slows) are marked slow: `make test-slow`.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.conftest import (
    BACKEND,
    PG_ADMIN_URL,
    ROOT,
    _copy_database,
    _drop_pg_database,
    _psycopg,
    free_port,
    subprocess_env,
)
from tests.factories import bearer, make_token, make_user, make_web_session

QUESTION = "/questions/deep-learning/12"


@dataclass
class Server:
    """A `mogi serve` process on a database of its own, with one user to act as."""

    base: str
    url: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    token: str
    cookie: str

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.get(self.base + path, timeout=kw.pop("timeout", 15.0), **kw)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        return create_engine(_psycopg(url))
    return create_engine(url)


def _user_of(url: str) -> tuple[str, str]:
    """A new user in the database at url: its (API token, session cookie)."""
    engine = _engine(url)
    with Session(engine) as db:
        user = make_user(db)
        token, cookie = make_token(db, user), make_web_session(db, user)
    engine.dispose()
    return token, cookie


@pytest.fixture
def start_server(tmp_path: Path, template_database: str) -> Iterator[Callable[..., Server]]:
    """Start servers, each on a database of its own (migrated, the shipped packs imported: a
    copy of the run's template); all stopped afterwards."""
    started: list[tuple[Server, str | None]] = []

    def start(wrap: Callable[[str], list[str]] | None = None, **env: str) -> Server:
        data_dir = tmp_path / f"data-{uuid.uuid4().hex[:6]}"
        data_dir.mkdir()
        url, pg_name = _copy_database(template_database, data_dir)
        token, cookie = _user_of(url)
        prefix = wrap(url.split("///", 1)[-1]) if wrap is not None else []
        port = free_port()
        log_path = tmp_path / f"server-{port}.log"
        settings = {"MOGI_DATABASE_URL": url, "MOGI_DATA_DIR": str(data_dir), **env}
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [*prefix, sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
                cwd=ROOT,
                env=subprocess_env(**settings),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = Server(f"http://127.0.0.1:{port}", url, proc, log_path, token, cookie)
        started.append((server, pg_name))
        _wait_listening(server)
        return server

    yield start
    for server, pg_name in started:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
        if pg_name:
            _allow_connections(pg_name, True)
            _drop_pg_database(pg_name)


def _wait_listening(server: Server) -> None:
    # /healthz may rightly say 503 (a read-only database): any answer means it is up.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"server exited:\n{server.log()}")
        try:
            server.get("/static/css/app.css", timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not answer:\n{server.log()}")


def _admin() -> Engine:
    return create_engine(_psycopg(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")


def _db_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _allow_connections(name: str, allow: bool) -> None:
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}'))
        if not allow:
            _terminate_backends(conn, name)
    admin.dispose()


def _terminate_backends(conn: Any, name: str) -> None:
    conn.execute(
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()"
        ),
        {"name": name},
    )


def _assert_retryable(response: httpx.Response, reason: str | None = None) -> None:
    """A 503 a client can act on: problem details (or a page), Retry-After, the reason."""
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert int(response.headers["retry-after"]) >= 1
    if response.request.url.path.startswith("/api/"):
        assert response.headers["content-type"].startswith("application/problem+json")
        if reason is not None:
            assert response.json()["reason"] == reason, response.text


def _grade(
    server: Server, number: str = "1", http: Any = httpx, timeout: float = 20.0
) -> httpx.Response:
    return http.post(
        server.base + "/api/v1/reviews",
        json={"question": f"deep-learning/{number}", "rating": 3},
        headers=bearer(server.token),
        timeout=timeout,
    )


def _timed(call: Callable[[], httpx.Response]) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = call()
    return time.monotonic() - started, response


# ---- a request waiting on a lock does not hold up the others ---------------------------------


@pytest.mark.slow
def test_requests_waiting_on_a_lock_do_not_hold_up_other_requests(
    start_server: Callable[..., Server],
) -> None:
    """Logged-in pages and grades wait on a lock; static files, /healthz (PostgreSQL) and
    anonymous pages still answer at once, and every waiting request ends complete."""
    server = start_server(MOGI_DB_QUEUE_TIMEOUT_S="3")
    engine = _engine(server.url)
    cookies = {"mogi_session": server.cookie}
    with engine.connect() as holder:
        if BACKEND == "postgresql":
            # Every read of a user's session waits: the logged-in page itself is stuck.
            holder.execute(text("LOCK TABLE web_session IN ACCESS EXCLUSIVE MODE"))
        else:
            holder.exec_driver_sql("BEGIN IMMEDIATE")  # the one write lock: grades wait
        with ThreadPoolExecutor(max_workers=48) as pool:
            waiting = [pool.submit(server.get, QUESTION, cookies=cookies) for _ in range(4)]
            waiting += [pool.submit(_grade, server) for _ in range(40)]
            # All of them are in the server, waiting, and the content in memory is older
            # than CACHE_TTL_S: the anonymous page must not queue behind the grades to check it.
            time.sleep(1.5)
            assert not any(f.done() for f in waiting[:4] if BACKEND == "postgresql")
            for path in ("/static/css/app.css", QUESTION, "/api/v1/questions/deep-learning/5"):
                elapsed, response = _timed(lambda p=path: server.get(p))
                assert response.status_code == 200, (path, response.text[:200])
                # Milliseconds on a quiet machine; behind a blocked event loop, seconds.
                assert elapsed < 1.0, (path, elapsed)
            if BACKEND == "postgresql":
                elapsed, health = _timed(lambda: server.get("/healthz"))
                assert health.status_code == 200 and elapsed < 1.0, (elapsed, health.text)
            time.sleep(1.5)
        holder.rollback()
        answers = [f.result() for f in waiting]
    engine.dispose()
    assert {r.status_code for r in answers} <= {200, 201, 503}, [r.text[:200] for r in answers]
    for response in answers:
        if response.status_code == 503:
            _assert_retryable(response)
    assert "Traceback" not in server.log()


def test_a_saturated_server_answers_503_at_once(start_server: Callable[..., Server]) -> None:
    """Past the slots and the queue, a request is refused at once, not after a wait: while 2
    grades hold the slots (stuck on a lock) and 3 wait for them, the other 15 are answered."""
    server = start_server(
        MOGI_DB_POOL_SIZE="2",
        MOGI_DB_QUEUE_MAX="3",
        MOGI_DB_QUEUE_TIMEOUT_S="60",
        MOGI_DB_BUSY_TIMEOUT_S="60",
        MOGI_DB_STATEMENT_TIMEOUT_S="60",
    )
    # Warm: the pack in memory, the token's last use recorded (no write in authentication).
    assert _grade(server).status_code == 201
    engine = _engine(server.url)
    with engine.connect() as holder:
        if BACKEND == "postgresql":
            holder.execute(text("LOCK TABLE review_log IN ACCESS EXCLUSIVE MODE"))
        else:
            holder.exec_driver_sql("BEGIN IMMEDIATE")
        # One client for all: making 20 (each with its TLS context) is slow on a busy machine.
        with ThreadPoolExecutor(max_workers=20) as pool, httpx.Client(timeout=90) as http:
            futures = [pool.submit(_grade, server, "1", http, 90) for _ in range(20)]
            _wait_for(lambda: sum(f.done() for f in futures) >= 15, "15 answers", timeout=30)
            refused = [f.result() for f in futures if f.done()]
            still_waiting = sum(not f.done() for f in futures)
            holder.rollback()
            answers = [f.result() for f in futures]
    engine.dispose()
    # Nobody waited out the 60 s: 15 were told at once, the 5 others went on after the lock.
    assert len(refused) == 15 and still_waiting == 5
    for response in refused:
        _assert_retryable(response, "busy")
    assert sorted(r.status_code for r in answers) == [201] * 5 + [503] * 15


# ---- connections refused ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(BACKEND != "postgresql", reason="PostgreSQL refusing connections")
def test_database_refusing_connections_gets_fast_503s_and_recovers(
    start_server: Callable[..., Server],
) -> None:
    server = start_server()
    name = _db_name(server.url)
    assert server.get("/healthz").status_code == 200
    assert server.get(QUESTION).status_code == 200  # the pack is now in the server's memory
    _allow_connections(name, False)
    try:
        paths = ["/api/v1/questions?q=relu", "/api/v1/progress", "/progress", "/api/v1/packs"]
        headers = bearer(server.token)

        def call(i: int) -> tuple[float, httpx.Response]:
            path = paths[i % len(paths)]
            cookies = {"mogi_session": server.cookie} if path == "/progress" else None
            return _timed(lambda: server.get(path, headers=headers, cookies=cookies))

        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(call, range(64)))  # any dropped connection raises here
        grade = _grade(server)
        health = server.get("/healthz")
        time.sleep(1.1)  # past the snapshot's freshness: the page must not need the database
        page, api = server.get(QUESTION), server.get("/api/v1/questions/deep-learning/12")
    finally:
        _allow_connections(name, True)
    # Content already read keeps being served while the database is away.
    assert page.status_code == 200 and api.status_code == 200
    for elapsed, response in results:
        if response.status_code != 200:  # a question list served from memory is fine
            _assert_retryable(response)
        assert elapsed < 6, elapsed
    _assert_retryable(grade, "unreachable")
    assert health.status_code == 503
    assert health.json()["database"]["reachable"] is False
    # Back by itself: no restart.
    _wait_for(lambda: server.get("/healthz").status_code == 200, "the health check to recover")
    assert _grade(server).status_code == 201
    assert server.get("/progress", cookies={"mogi_session": server.cookie}).status_code == 200


@pytest.mark.skipif(BACKEND != "postgresql", reason="a PostgreSQL database turned read-only")
def test_database_turning_read_only_mid_run_gets_503_and_recovers(
    start_server: Callable[..., Server],
) -> None:
    server = start_server()
    name = _db_name(server.url)
    assert _grade(server).status_code == 201
    admin = _admin()
    with admin.connect() as conn:  # what a failover to a standby looks like to the app
        conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        _terminate_backends(conn, name)
    try:
        _assert_retryable(_grade(server), "read_only")
        assert server.get(QUESTION).status_code == 200  # reads go on
        health = server.get("/healthz")
        assert health.status_code == 503 and health.json()["database"]["writable"] is False
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" RESET default_transaction_read_only'))
            _terminate_backends(conn, name)
        admin.dispose()
    _wait_for(lambda: server.get("/healthz").status_code == 200, "the health check to recover")
    _wait_for(lambda: _grade(server).status_code == 201, "writes to work again")


# ---- a read-only SQLite file -----------------------------------------------------------------


def _in_mount_namespace(script: str, purpose: str) -> Callable[[str], list[str]]:
    """A server command wrapper: `sh -c script db_path server...` in a private mount namespace,
    so what the script mounts is seen by the server alone. Fails the test, saying what the
    namespace was for, where `unshare -m` is not allowed."""
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.fail(f"needs `unshare -m` (a private mount namespace) {purpose}")
    return lambda db_path: [
        "unshare", "-m", "--propagation", "private", "sh", "-c", script, db_path
    ]  # fmt: skip


@pytest.mark.skipif(BACKEND != "sqlite", reason="a read-only SQLite file")
def test_read_only_sqlite_file_at_start_is_reported_and_recovers_without_restart(
    start_server: Callable[..., Server],
) -> None:
    # The server sees its database file through a read-only bind mount in a mount namespace
    # of its own (root may write any file, but no file on a read-only mount).
    read_only = 'mount -o bind,ro "$0" "$0" && exec "$@"'
    server = start_server(wrap=_in_mount_namespace(read_only, "to mount the file read-only"))
    health = server.get("/healthz")
    assert health.status_code == 503, health.text
    assert health.json()["database"]["problem"] == "read_only"
    _assert_retryable(_grade(server), "read_only")
    assert server.get(QUESTION).status_code == 200  # reading works
    assert server.get("/api/v1/questions/deep-learning/3").status_code == 200
    db_path = server.url.split("///", 1)[1]
    # Fixed while it runs: the mount goes away, the file is writable again.
    subprocess.run(
        ["nsenter", "-t", str(server.proc.pid), "-m", "umount", "--lazy", db_path], check=True
    )
    _wait_for(lambda: server.get("/healthz").status_code == 200, "the health check to recover")
    _wait_for(lambda: _grade(server).status_code == 201, "writes to work again")
    assert "Traceback" not in server.log()


@pytest.mark.slow
@pytest.mark.skipif(BACKEND != "sqlite", reason="a full disk under a SQLite file")
def test_disk_filling_up_mid_run_gets_503_and_recovers(
    start_server: Callable[..., Server],
) -> None:
    # The server's data folder is a 64 MB tmpfs in a mount namespace of its own, holding a copy
    # of the prepared database; the test fills it up while the server runs, then frees it.
    on_small_disk = (
        'src=$(dirname "$0"); t=$(mktemp -d) && cp -a "$src"/. "$t"/ && '
        'mount -t tmpfs -o size=64m tmpfs "$src" && cp -a "$t"/. "$src"/ && exec "$@"'
    )
    server = start_server(wrap=_in_mount_namespace(on_small_disk, "for a small disk of its own"))
    assert _grade(server).status_code == 201
    data = str(Path(server.url.split("///", 1)[1]).parent)
    in_server = ["nsenter", "-t", str(server.proc.pid), "-m"]
    subprocess.run(
        [*in_server, "dd", "if=/dev/zero", f"of={data}/filler", "bs=1M"], capture_output=True
    )  # runs until the disk is full
    try:
        full = [_grade(server, str(n)) for n in (2, 3, 4)]
        assert any(r.status_code == 503 for r in full), [r.status_code for r in full]
        for response in full:
            if response.status_code != 201:
                _assert_retryable(response, "disk_full")
        assert server.get(QUESTION).status_code == 200  # reading goes on
    finally:
        subprocess.run([*in_server, "rm", "-f", f"{data}/filler"], check=True)
    _wait_for(lambda: _grade(server, "5").status_code == 201, "writes to work again")
    assert server.get("/healthz").status_code == 200
    assert "Traceback" not in server.log()


def _wait_for(predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


# ---- no acknowledged grade is lost when the web process is killed ----------------------------


@pytest.mark.slow
def test_grades_acknowledged_before_a_kill_are_all_there(
    start_server: Callable[..., Server],
) -> None:
    server = start_server()
    acknowledged: list[int] = []
    stop = threading.Event()

    def grade_until_stopped() -> None:
        while not stop.is_set():
            try:
                response = _grade(server, "3")
            except httpx.HTTPError:
                return  # the server is gone: this one was never acknowledged
            if response.status_code == 201:
                acknowledged.append(response.json()["id"])

    threads = [threading.Thread(target=grade_until_stopped) for _ in range(4)]
    for thread in threads:
        thread.start()
    _wait_for(lambda: len(acknowledged) >= 20, "some grades")
    server.proc.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    engine = _engine(server.url)
    with engine.connect() as conn:
        stored = set(conn.execute(text("SELECT id FROM review_log")).scalars())
    engine.dispose()
    assert set(acknowledged) <= stored
