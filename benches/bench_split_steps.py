"""Training steps of the default MLP (784-256-10, Adam, batches of 128) on the four ways a CPU run
may use two cores: one thread, two threads inside each op, the batch's rows split between the run
and a partner process (models.partner), and the hidden units split between them
(models.hidden_halves). Steady-state steps on real MNIST batches, in rounds that take each way
in turn, so a drift of the machine's speed meets every way alike; each round's ways are compared
with that round's one-thread steps, and the medians of those ratios are reported with the step
times.

    .venv/bin/python benches/bench_split_steps.py [--rounds 8] [--steps 300] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

# As in the worker: OpenMP threads sleep instead of spinning (set before torch loads).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
warnings.filterwarnings("ignore", message="Failed to initialize NumPy", category=UserWarning)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benches.bench_training import _cpu_model, mnist_dir  # noqa: E402

WAYS = ("1 thread", "2 threads", "rows split", "hidden units split")
BATCH = 128


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--steps", type=int, default=300, help="timed steps per way and round")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = measure(args.rounds, args.steps)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def measure(rounds: int, steps: int) -> dict[str, Any]:
    import torch

    from models.data import load_mnist
    from models.nets import Mlp, MlpConfig
    from models.optim import loss_function
    from models.partner import SplitBatches
    from models.threads import use_threads
    from models.train import Dataset, TrainConfig

    torch.set_num_threads(1)
    mnist = load_mnist(mnist_dir())
    data = Dataset(mnist.train.images, mnist.train.labels)
    criterion = loss_function("cross_entropy", 0.1)
    config = TrainConfig(epochs=1, batch_size=BATCH)
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))
    batches = [order[i : i + BATCH] for i in range(0, len(data) - BATCH + 1, BATCH)]
    ways: dict[str, Any] = {}
    for way in WAYS:  # each way its own model, optimiser and partner, kept across the rounds
        torch.manual_seed(0)
        model = Mlp(MlpConfig())
        optimizer = torch.optim.Adam(model.parameters(), lr=0.001, fused=True)
        criterion(model(data.inputs[batches[0]]), data.labels[batches[0]]).backward()
        optimizer.step()  # Adam's state, before a partner is forked
        halves = SplitBatches(model, data, config, optimizer, by_rows=way == "rows split")
        ways[way] = (model, optimizer, halves)
    times: dict[str, list[float]] = {way: [] for way in WAYS}
    ratios: dict[str, list[float]] = {way: [] for way in WAYS}
    position = 0
    try:
        for _ in range(rounds):
            medians = {}
            for way in WAYS:
                use_threads(2 if way == "2 threads" else 1, split_batches="split" in way)
                model, optimizer, halves = ways[way]
                taken = []
                for step in range(steps + 20):  # the first 20 warm the way up, untimed
                    index = batches[position % len(batches)]
                    position += 1
                    started = time.perf_counter()
                    for p in model.parameters():
                        p.grad = None
                    if halves.ready(criterion):
                        halves.step(index, whole_grads=False)
                    else:
                        loss = criterion(model(data.inputs.index_select(0, index)),
                                         data.labels.index_select(0, index))  # fmt: skip
                        loss.backward()
                        optimizer.step()
                    if step >= 20:
                        taken.append(time.perf_counter() - started)
                medians[way] = statistics.median(taken)
                times[way].append(medians[way])
            for way in WAYS:
                ratios[way].append(medians["1 thread"] / medians[way])
    finally:
        for _, _, halves in ways.values():
            halves.close()
        use_threads(1)
    return {
        "cpu": _cpu_model(),
        "torch": torch.__version__,
        "rounds": rounds,
        "steps": steps,
        "load_avg": round(os.getloadavg()[0], 2),
        "ways": {
            way: {
                "step_ms_median": round(1000 * statistics.median(times[way]), 3),
                "step_ms_range": [
                    round(1000 * min(times[way]), 3),
                    round(1000 * max(times[way]), 3),
                ],
                "speedup_vs_1_thread": round(statistics.median(ratios[way]), 3),
            }
            for way in WAYS
        },
    }


def format_report(report: dict[str, Any]) -> str:
    lines = [
        f"CPU {report['cpu']}; torch {report['torch']}; {report['rounds']} rounds of "
        f"{report['steps']} steps per way; load avg {report['load_avg']}",
        "",
        "| way | step (median of the rounds) | range | speed-up over 1 thread (median) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for way, row in report["ways"].items():
        low, high = row["step_ms_range"]
        lines.append(
            f"| {way} | {row['step_ms_median']:.3f} ms | {low:.3f}-{high:.3f} ms "
            f"| {row['speedup_vs_1_thread']:.2f}x |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
