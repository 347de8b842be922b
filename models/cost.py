"""How long a run takes, estimated from measured per-step costs (no torch here).

The figures were measured with `benches/bench_training.py --costs` on a 2-core VM (Intel Xeon,
torch 2.13 CPU build, 2 threads; see benches/RESULTS.md) and rounded up. A training step of an
MLP costs a fixed part per layer (kernel launches, the optimiser) plus a part proportional to
batch x multiply-adds; a CNN step is measured per example. The API multiplies the estimate by
SAFETY, so a run it accepts finishes within MOGI_JOB_TIME_LIMIT_S even on a busy machine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

IMAGE = 28 * 28
CLASSES = 10
TRAIN_SIZE = 60_000
TEST_SIZE = 10_000
# Headroom over the measured figures: shared cores, evaluation between epochs, statistics.
SAFETY = 1.6


@dataclass(frozen=True)
class DeviceCost:
    """Measured per-step costs of one kind of device."""

    step_s: float  # fixed cost of any step
    layer_s: float  # fixed cost per weight layer and step
    mac_s: float  # per example and multiply-add (forward + backward + update)
    cnn_example_s: dict[str, float]  # per example and step of the small CNN, by downsampling
    start_s: float  # forking, building the model, the final evaluation and statistics


COSTS = {
    "cpu": DeviceCost(
        step_s=0.2e-3,
        layer_s=0.12e-3,
        mac_s=0.045e-9,
        cnn_example_s={"stride": 45e-6, "maxpool": 150e-6},
        start_s=2.0,
    ),
    # A GPU is bounded by launches, not arithmetic, at these sizes.
    "cuda": DeviceCost(
        step_s=0.3e-3,
        layer_s=0.1e-3,
        mac_s=0.001e-9,
        cnn_example_s={"stride": 1e-6, "maxpool": 2e-6},
        start_s=3.0,
    ),
}


def mlp_macs(hidden: Sequence[int], inputs: int = IMAGE, outputs: int = CLASSES) -> int:
    """Multiply-adds of one forward pass of an MLP with these hidden widths."""
    widths = [inputs, *hidden, outputs]
    return sum(a * b for a, b in zip(widths, widths[1:], strict=False))


def mlp_train_s(
    hidden: Sequence[int],
    examples: int,
    epochs: float,
    batch_size: int,
    *,
    kind: str = "cpu",
    evaluate: int = TEST_SIZE,
) -> float:
    """Seconds to train an MLP for `epochs` over `examples`, scoring `evaluate` images a epoch."""
    cost = COSTS[kind]
    steps = math.ceil(examples / batch_size) * epochs
    macs = mlp_macs(hidden)
    per_step = cost.step_s + cost.layer_s * (len(hidden) + 1) + cost.mac_s * batch_size * macs
    # Evaluation is a forward pass only: about a third of a training step's work.
    scoring = epochs * evaluate * macs * cost.mac_s / 3
    return steps * per_step + scoring


def cnn_train_s(
    examples: int,
    epochs: float,
    downsample: str = "stride",
    *,
    kind: str = "cpu",
    evaluate: int = TEST_SIZE,
) -> float:
    """Seconds to train the small CNN (models.nets.Cnn) for `epochs` over `examples`."""
    per_example = COSTS[kind].cnn_example_s[downsample]
    return epochs * (examples + evaluate / 3) * per_example


def start_s(kind: str = "cpu") -> float:
    """The fixed seconds of a run besides training."""
    return COSTS[kind].start_s


def budget_s(limit_s: float) -> float:
    """The estimated seconds a run may take to be accepted under a time limit of `limit_s`."""
    return limit_s / SAFETY
