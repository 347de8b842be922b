"""A job forked from a warm worker process can train on several threads without hanging."""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection
from typing import Any

import pytest
import torch

from models.data import load_mnist
from models.runner import run_experiment, warm_up
from tests.conftest import MNIST_DIR


def _child(conn: Connection, data: Any) -> None:
    result = run_experiment(
        "architecture", {"train_subset": 3000, "batch_size": 64, "epochs": 1},
        device="cpu", emit=lambda _e: None, data=data, threads=2,
    )  # fmt: skip
    conn.send((result["threads"], result["test_accuracy"]))


@pytest.mark.slow
def test_child_forked_after_loading_and_warm_up_can_use_threads() -> None:
    # The parent's torch work must stay single-threaded: libgomp's pool does not survive fork,
    # and a child of a parent that ran a multi-threaded op hangs at its first parallel op.
    torch.set_num_threads(2)
    data = load_mnist(MNIST_DIR)
    warm_up()
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(sender, data), daemon=True)
    process.start()
    try:
        assert receiver.poll(120), "the forked job hung"
        threads, accuracy = receiver.recv()
    finally:
        process.kill()
        process.join()
    assert threads == 2 and accuracy > 0.9
