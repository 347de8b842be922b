"""A job forked from a warm worker process can train on several threads without hanging."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import MNIST_DIR, ROOT, subprocess_env

pytestmark = pytest.mark.shared("mnist")

# Runs in a fresh interpreter: this test process has run multi-threaded ops already, which is
# exactly what a forking parent must not do (libgomp's thread pool does not survive fork, and a
# child of such a parent hangs at its first parallel op).
PARENT = """
import multiprocessing, sys, torch
from models.data import load_mnist
from models.runner import run_experiment, warm_up

torch.set_num_threads(2)
data = load_mnist(sys.argv[1])
warm_up()

def child(conn):
    result = run_experiment(
        "architecture", {"train_subset": 3000, "batch_size": 64, "epochs": 1},
        device="cpu", emit=lambda _e: None, data=data, threads=2,
    )
    conn.send((result["threads"], result["test_accuracy"]))

ctx = multiprocessing.get_context("fork")
receiver, sender = ctx.Pipe(duplex=False)
process = ctx.Process(target=child, args=(sender,), daemon=True)
process.start()
if not receiver.poll(120):
    process.kill()
    sys.exit("the forked job hung")
threads, accuracy = receiver.recv()
process.join()
print(threads, accuracy)
"""


@pytest.mark.slow
def test_child_forked_after_loading_and_warm_up_can_use_threads() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PARENT, str(MNIST_DIR)],
        cwd=ROOT, env=subprocess_env(), capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    threads, accuracy = done.stdout.split()
    assert int(threads) == 2 and float(accuracy) > 0.9
