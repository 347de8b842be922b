"""`mogi health web|worker`: what the containers' health checks run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from app.ops.heartbeat import STALE_AFTER_S, Beat, Heartbeat, judge, read_beat
from tests.conftest import MNIST_DIR, free_port, subprocess_env
from tests.ops.conftest import ROOT, mogi


def _health(role: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        mogi("health", role),
        cwd=ROOT,
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_beat_is_healthy_only_when_recent_and_ok(tmp_path: Path) -> None:
    path = tmp_path / "beat.json"
    assert judge(read_beat(path))[0] is False
    Heartbeat(path).beat("ok")
    beat = read_beat(path)
    assert beat is not None and judge(beat)[0] is True
    assert judge(beat, now=beat.at + STALE_AFTER_S + 1)[0] is False
    healthy, why = judge(Beat("waiting for MNIST", "put the files in /x", time.time()))
    assert not healthy and "put the files in /x" in why


def test_web_health_follows_the_port_the_server_listens_on(live_server: str) -> None:
    port = live_server.rsplit(":", 1)[1]
    ok = _health("web", MOGI_HOST="0.0.0.0", MOGI_PORT=port)
    assert ok.returncode == 0, ok.stderr
    down = _health("web", MOGI_HOST="127.0.0.1", MOGI_PORT=str(free_port()))
    assert down.returncode == 1 and "unhealthy" in down.stderr


def _wait_health(heartbeat: Path, expect_ok: bool, proc: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the worker exited"
        done = _health("worker", MOGI_WORKER_HEARTBEAT_FILE=str(heartbeat))
        if (done.returncode == 0) == expect_ok and (expect_ok or "waiting" in done.stderr):
            return done.stderr
        time.sleep(1)
    raise AssertionError(f"worker health never became {'ok' if expect_ok else 'waiting'}")


@pytest.mark.shared("mnist")
def test_worker_without_mnist_waits_naming_the_files_then_starts(
    database_url: str, tmp_path: Path
) -> None:
    mnist, heartbeat = tmp_path / "mnist", tmp_path / "worker.heartbeat"
    mnist.mkdir()
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
    env = subprocess_env(
        MOGI_MNIST_DIR=str(mnist),
        MOGI_MNIST_WAIT_S="1",
        MOGI_WORKER_HEARTBEAT_FILE=str(heartbeat),
    )
    proc = subprocess.Popen(mogi("worker"), cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        why = _wait_health(heartbeat, expect_ok=False, proc=proc)
        assert str(mnist) in why
        assert all(name in why for name in os.listdir(MNIST_DIR) if name.endswith(".gz"))
        assert "waiting for MNIST" in (tmp_path / "worker.log").read_text()
        for name in os.listdir(MNIST_DIR):
            shutil.copy(MNIST_DIR / name, mnist / name)
        assert "ok" in _wait_health(heartbeat, expect_ok=True, proc=proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
