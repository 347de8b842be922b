"""How long the worker's FSRS optimisation job takes for review histories of a few sizes.

    .venv/bin/python benches/bench_fsrs_optimisation.py [--sizes 60x150,120x240] [--rounds 1]

Each size is CARDSxDAYS: the simulated history of tests/practice/review_history.py (cards
scheduled by the default weights, recalled by a learner who forgets faster). The job body,
app.practice.optimisation.job.run_optimisation, runs in this process with torch already
imported (as in the warm worker): the log loss of the defaults, the fit (fsrs's optimiser,
5 epochs), the log loss of the fitted weights.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="60x150,120x240")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()

    import torch  # the warm worker has it loaded before any job
    from fsrs.scheduler import DEFAULT_PARAMETERS

    from app.practice.optimisation.job import run_optimisation
    from tests.practice.review_history import measured, simulate

    print(f"python {platform.python_version()}, torch {torch.__version__}, {os.cpu_count()} cores")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print("| cards x days | grades | measured | job s (median) | log loss defaults | fitted |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for size in args.sizes.split(","):
        cards, days = (int(n) for n in size.split("x"))
        grades = simulate(list(range(1, cards + 1)), days, seed=11)
        reviews = [
            [g.question_id, g.rating, int(g.at.timestamp() * 1000), g.duration_ms]
            for g in sorted(grades, key=lambda g: g.at)
        ]
        params = {"reviews": reviews, "parameters": list(DEFAULT_PARAMETERS)}
        times = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            result = run_optimisation(params, emit=lambda _event: None)
            times.append(time.perf_counter() - started)
        print(
            f"| {cards} x {days} | {len(grades)} | {measured(grades)} | "
            f"{statistics.median(times):.1f} | {result['log_loss_before']:.4f} | "
            f"{result['log_loss_after']:.4f} |"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
