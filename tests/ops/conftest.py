"""Fixtures for the operations tests: a fresh, empty database of the run's backend."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BACKEND, ROOT, _create_pg_database, _drop_pg_database, subprocess_env


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables) on the backend this run tests, dropped afterwards."""
    if BACKEND == "postgresql":
        name, url = _create_pg_database()
        yield url
        _drop_pg_database(name)
    else:
        yield f"sqlite:///{(tmp_path / 'fresh.db').as_posix()}"


def mogi(*args: str) -> list[str]:
    """The command line of `mogi ARGS` run from the checkout."""
    return [sys.executable, "-m", "app.cli", *args]


def mogi_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `mogi` child process using database_url."""
    return subprocess_env(MOGI_DATABASE_URL=database_url, **extra)


__all__ = ["ROOT", "mogi", "mogi_env"]
