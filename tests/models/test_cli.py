"""`mogi train` as a subprocess: JSON lines with the progress keys, exit code 2 for bad requests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MNIST_DIR, ROOT, subprocess_env

pytestmark = pytest.mark.shared("mnist")


def _mogi_train(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    settings = {"MOGI_MNIST_DIR": str(MNIST_DIR), "MOGI_MNIST_DOWNLOAD": "false",
                "MOGI_DEVICE": "cpu", **env}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "train", *args],
        cwd=ROOT, env=subprocess_env(**settings), capture_output=True, text=True, timeout=240,
    )  # fmt: skip


@pytest.mark.slow
def test_train_prints_json_lines() -> None:
    done = _mogi_train("architecture", "--set", "model=mlp", "--set", "epochs=1", "--json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    progress = [line for line in lines if line["type"] == "progress"]
    assert len(progress) >= 4  # several per epoch
    for event in progress:
        assert {"epoch", "elapsed_s", "test_accuracy", "loss"} <= set(event)
    assert progress[-1]["epoch"] == 1.0
    result = lines[-1]
    assert result["type"] == "result"
    assert result["test_accuracy"] > 0.95  # one epoch of the MLP recipe on all of MNIST
    assert result["params"]["model"] == "mlp" and result["device"] == "cpu"
    assert "inference" not in result and "numpy" not in done.stderr.lower()


def test_train_prints_readable_lines() -> None:
    done = _mogi_train("loss", "--set", "train_subset=1000", "--set", "loss=mse")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("epoch ")
    assert done.stdout.splitlines()[-1].startswith("loss: test accuracy ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "unknown experiment 'nope'"),
        (["architecture", "--set", "epochs=0"], "bad parameter epochs: must be at least 1"),
        (["architecture", "--set", "colour=red"], "bad parameter colour: unknown parameter"),
        (["architecture", "--set", "epochs"], "expected key=value"),
    ],
)
def test_bad_requests_exit_2(args: list[str], message: str) -> None:
    done = _mogi_train(*args)
    assert done.returncode == 2
    assert message in done.stderr and done.stdout == ""


def test_missing_mnist_exits_2(tmp_path: Path) -> None:
    done = _mogi_train("architecture", MOGI_MNIST_DIR=str(tmp_path))
    assert done.returncode == 2
    assert "is missing" in done.stderr and "MOGI_MNIST_DIR" in done.stderr
