"""Fixtures of the models tests: MNIST loaded once per run, from ../shared/mnist."""

from __future__ import annotations

import os

import pytest

# As in the worker and `mogi train`: OpenMP threads that sleep rather than spin, or training on
# cores shared with the rest of the suite gets many times slower. Set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from tests.conftest import MNIST_DIR


@pytest.fixture(scope="session")
def mnist():  # noqa: ANN201
    """The verified MNIST tensors (read once; about 0.4 s)."""
    from models.data import load_mnist

    if not (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        missing = f"MNIST is not in {MNIST_DIR} (the four IDX .gz files of ../shared/mnist)"
        if os.environ.get("CI"):
            pytest.fail(missing)  # CI always has ../shared: a skip there would hide a loss
        pytest.skip(missing)
    return load_mnist(MNIST_DIR)
