"""`mogi start` and `mogi mnist`: what containers run, and the messages self-hosters read."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import MNIST_DIR, subprocess_env
from tests.ops.conftest import ROOT, mogi, mogi_env


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        mogi(*args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_start_migrate_prepares_an_empty_database_once(fresh_url: str) -> None:
    first = _run("start", "migrate", env=mogi_env(fresh_url))
    assert first.returncode == 0, first.stderr
    again = _run("start", "migrate", env=mogi_env(fresh_url))
    assert again.returncode == 0, again.stderr


def test_production_without_a_secret_says_which_setting(fresh_url: str) -> None:
    env = mogi_env(fresh_url, MOGI_ENV="production", MOGI_SECRET_KEY="")
    done = _run("start", "migrate", env=env)
    assert done.returncode == 2
    assert "MOGI_SECRET_KEY" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.shared("mnist")
def test_mnist_check_names_each_missing_file(tmp_path: Path) -> None:
    missing = _run("mnist", "check", "--dir", str(tmp_path), env=subprocess_env())
    assert missing.returncode == 1
    assert str(tmp_path) in missing.stderr and "t10k-labels-idx1-ubyte.gz" in missing.stderr
    ok = _run("mnist", "check", "--dir", str(MNIST_DIR), env=subprocess_env())
    assert ok.returncode == 0, ok.stderr


def test_start_worker_reaches_the_worker_and_says_what_is_missing(
    fresh_url: str, tmp_path: Path
) -> None:
    """`mogi start worker` is what the worker container runs: with no MNIST (and no waiting) it
    exits 2 naming the folder, not with a traceback."""
    migrated = _run("start", "migrate", env=mogi_env(fresh_url))
    assert migrated.returncode == 0, migrated.stderr
    env = mogi_env(
        fresh_url, MOGI_MNIST_DIR=str(tmp_path), MOGI_MNIST_WAIT_S="0", MOGI_MNIST_DOWNLOAD="false"
    )
    done = _run("start", "worker", env=env)
    assert done.returncode == 2, done.stderr[-2000:]
    output = done.stdout + done.stderr
    assert "Traceback" not in output and str(tmp_path) in output
