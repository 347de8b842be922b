"""Shared fixtures: one fresh database per run (SQLite or PostgreSQL), app client, live server,
a real browser.

MOGI_TEST_BACKEND picks the database: `sqlite` (default) or `postgresql`. PostgreSQL runs create
and drop their own database on the server at MOGI_TEST_PG_URL, and skip, saying why, when no
server answers.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

if TYPE_CHECKING:  # app modules are imported in fixtures, once the process has its database
    from tests.factories import ApiUser

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED_FILE = SHARED / "seed" / "000_ce3c375977192675.txt"
PACKS_DIR = SHARED / "packs"
MNIST_DIR = SHARED / "mnist"
BACKEND = os.environ.get("MOGI_TEST_BACKEND", "sqlite")
PG_ADMIN_URL = os.environ.get("MOGI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CHROMIUM = os.environ.get("MOGI_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def need_shared(path: Path) -> Path:
    """path, a file or folder of ../shared; without it the test is skipped saying what is
    missing, or failed under CI=true, where ../shared is always laid out (a skip would hide it)."""
    if not path.exists():
        missing = f"{path} is missing: this test needs ../shared beside the checkout"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(missing)
        pytest.skip(missing)
    return path


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """`@pytest.mark.shared("mnist")`: the test needs ../shared/mnist (see need_shared)."""
    for mark in item.iter_markers("shared"):
        for name in mark.args:
            need_shared(SHARED / name)


def _pg_url(dbname: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{dbname}"


def _psycopg(url: str) -> str:
    return "postgresql+psycopg://" + url.removeprefix("postgresql://")


def _create_pg_database() -> tuple[str, str]:
    name = f"mogi_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(_psycopg(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # no server on a laptop: skip, and say why
        pytest.skip(
            f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}: {exc}"[:300]
        )
    return name, _pg_url(name)


def _drop_pg_database(name: str) -> None:
    admin = create_engine(_psycopg(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mogi-data")


def _point_process_at(url: str, data_dir: Path) -> None:
    """Make this process (and the servers and workers it starts) use the database at url."""
    env = {
        "MOGI_DATABASE_URL": url,
        "MOGI_DATA_DIR": str(data_dir),
        "MOGI_ENV": "test",
        "MOGI_MNIST_DIR": str(MNIST_DIR),
        "MOGI_MNIST_DOWNLOAD": "false",
        "MOGI_REMOTE_IMAGE_BASE": "",
    }
    os.environ.update(env)
    from app.config import get_settings
    from app.content.service import cache
    from app.db import reset_engine

    get_settings.cache_clear()
    reset_engine()
    cache.clear()  # snapshots of another database's packs


@pytest.fixture(scope="session")
def template_database(data_dir: Path) -> Iterator[str]:
    """A migrated database with content/ imported, made once per run; each test module gets a
    copy of it (database_url), so modules never see each other's rows."""
    from app.cli import main
    from app.migrate import upgrade_to_head

    pg_name = None
    if BACKEND == "postgresql":
        pg_name, url = _create_pg_database()
    else:
        url = f"sqlite:///{(data_dir / 'template.db').as_posix()}"
    _point_process_at(url, data_dir)
    upgrade_to_head(url)
    assert main(["import"]) == 0
    from app.db import get_engine, reset_engine

    if BACKEND == "sqlite":  # copies take the file alone: everything out of the WAL first
        with get_engine().connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    reset_engine()  # PostgreSQL copies a template only while no one is connected to it
    yield url
    if pg_name:
        _drop_pg_database(pg_name)


def _copy_database(template_url: str, data_dir: Path) -> tuple[str, str | None]:
    """A new database with the template's schema and rows: (url, PostgreSQL name or None)."""
    name = f"mogi_test_{uuid.uuid4().hex[:10]}"
    if BACKEND == "postgresql":
        admin = create_engine(_psycopg(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
        template = template_url.rsplit("/", 1)[1]
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        admin.dispose()
        return _pg_url(name), name
    path = data_dir / f"{name}.db"
    shutil.copyfile(template_url.split("///", 1)[1], path)
    return f"sqlite:///{path.as_posix()}", None


@pytest.fixture(scope="module")
def database_url(template_database: str, data_dir: Path) -> Iterator[str]:
    """This test module's own database, a copy of the template; the process points at it."""
    url, pg_name = _copy_database(template_database, data_dir)
    _point_process_at(url, data_dir)
    yield url
    from app.db import reset_engine

    reset_engine()
    if pg_name:
        _drop_pg_database(pg_name)


@pytest.fixture
def db(database_url: str) -> Iterator[Session]:
    """A session on the module's database; committed work stays for the module's later tests."""
    from app.db import session_factory

    with session_factory()() as session:
        yield session
        session.rollback()


@pytest.fixture(scope="module")
def app(database_url: str):  # noqa: ANN201
    from app.main import create_app

    return create_app()


@pytest.fixture
def client(app) -> Iterator:  # noqa: ANN001
    """An in-process HTTP client (no server); cookies kept per test."""
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment a child Mogi process (server, worker) needs to share this run's database."""
    env = dict(os.environ)
    env.update(extra)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextmanager
def mogi_serving(env: dict[str, str], log_dir: Path, *args: str) -> Iterator[str]:
    """A real `mogi serve ARGS` process on a free port, with env, logging to log_dir; yields its
    base URL once /healthz answers, and stops the server afterwards."""
    port = free_port()
    log = open(log_dir / f"server-{port}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
        + list(args),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/healthz", proc=proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def live_server(database_url: str, data_dir: Path) -> Iterator[str]:
    """A real `mogi serve` process on a free port; yields its base URL."""
    with mogi_serving(subprocess_env(), data_dir) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        missing = f"Chromium not installed at {CHROMIUM} (make browser installs it)"
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


# Playwright's wait_for_function polls with eval(), which the pages' CSP forbids; the CSP itself
# is checked by tests/test_security_headers.py in a context that does not bypass it.
BYPASS_CSP = {"bypass_csp": True}


@pytest.fixture
def page(browser) -> Iterator:  # noqa: ANN001
    context = browser.new_context(
        locale="ko-KR", viewport={"width": 1200, "height": 900}, **BYPASS_CSP
    )
    p = context.new_page()
    p.set_default_timeout(10_000)
    yield p
    context.close()


@pytest.fixture
def phone_page(browser) -> Iterator:  # noqa: ANN001
    context = browser.new_context(
        locale="ko-KR",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        **BYPASS_CSP,
    )
    p = context.new_page()
    p.set_default_timeout(10_000)
    yield p
    context.close()


@pytest.fixture(scope="module")
def seeded(database_url: str) -> str:
    """content/ (the shipped seed pack, slug 'deep-learning'): already in every test database."""
    return "deep-learning"


@pytest.fixture
def alice(db: Session) -> ApiUser:
    """A user with an API token."""
    from tests.factories import new_api_user

    return new_api_user(db)


@pytest.fixture
def bob(db: Session) -> ApiUser:
    """Another user with an API token, for what one user must not see of another's."""
    from tests.factories import new_api_user

    return new_api_user(db)
