"""Fixtures of the models tests: MNIST loaded once per run, from ../shared/mnist."""

from __future__ import annotations

import os

import pytest

# As in the worker and `mogi train`: OpenMP threads that sleep rather than spin, or training on
# cores shared with the rest of the suite gets many times slower. Set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from tests.conftest import MNIST_DIR, need_shared


@pytest.fixture(scope="session")
def mnist():  # noqa: ANN201
    """The verified MNIST tensors (read once; about 0.4 s)."""
    from models.data import load_mnist

    return load_mnist(need_shared(MNIST_DIR))
