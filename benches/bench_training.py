"""Training speed of the `architecture` recipes (CNN and MLP), and the cost of a cold start.

Runs the default `architecture` experiment with model=cnn and model=mlp, `--runs` times each on
the same seed, through models.runner exactly as a worker's job does (warm process: torch imported,
MNIST loaded, warm_up() done), and reports training seconds (evaluation excluded), the test
accuracy, the CPU seconds the process used, and torch's thread count. It also times, in fresh
interpreters, `import torch` and loading MNIST: what a worker pays once at start.

    .venv/bin/python benches/bench_training.py [--runs 3] [--threads N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
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

GOALS = {"cnn": (0.99, 8.0), "mlp": (0.98, 3.0)}  # test accuracy, training seconds on 2 cores
STARTUP = """
import json, sys, time
t0 = time.perf_counter()
import torch
t1 = time.perf_counter()
from models.data import load_mnist
load_mnist(sys.argv[1])
t2 = time.perf_counter()
print(json.dumps({"import_torch_s": t1 - t0, "load_mnist_s": t2 - t1}))
"""


def mnist_dir() -> Path:
    """MOGI_MNIST_DIR, else ../shared/mnist, else var/mnist."""
    if os.environ.get("MOGI_MNIST_DIR"):
        return Path(os.environ["MOGI_MNIST_DIR"])
    shared = ROOT.parent / "shared" / "mnist"
    return shared if shared.is_dir() else ROOT / "var" / "mnist"


def measure_startup(directory: Path, runs: int) -> dict[str, float]:
    """Median seconds of `import torch` and of load_mnist, each in a fresh interpreter."""
    samples = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-W", "ignore", "-c", STARTUP, str(directory)],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        samples.append(json.loads(done.stdout))
    return {key: round(statistics.median(s[key] for s in samples), 2) for key in samples[0]}


def measure_recipe(model: str, runs: int, threads: int, data: Any) -> list[dict[str, Any]]:
    """`runs` runs of `architecture` with this model, each with its figures."""
    from models.runner import run_experiment

    rows = []
    for _ in range(runs):
        load_before = os.getloadavg()[0]
        cpu_before = time.process_time()
        result = run_experiment(
            "architecture", {"model": model}, device="cpu", emit=lambda _e: None, data=data,
            threads=threads,
        )  # fmt: skip
        rows.append(
            {
                "model": model,
                "train_time_s": result["train_time_s"],
                "test_accuracy": result["test_accuracy"],
                "cpu_s": round(time.process_time() - cpu_before, 2),
                "threads": result["threads"],
                "params_count": result["params_count"],
                "load_avg": round((load_before + os.getloadavg()[0]) / 2, 2),
            }
        )
    return rows


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="default: all usable cores")
    parser.add_argument("--models", default="cnn,mlp")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    directory = mnist_dir()
    startup = measure_startup(directory, args.runs)
    import torch

    from models.data import load_mnist
    from models.runner import device_name, warm_up
    from models.threads import available_cpus

    data = load_mnist(directory)
    warm_up()
    threads = args.threads or available_cpus()
    rows = [row for model in args.models.split(",")
            for row in measure_recipe(model, args.runs, threads, data)]  # fmt: skip
    report = {
        "machine": f"{device_name(torch.device('cpu'))}, {available_cpus()} usable cores",
        "python": platform.python_version(),
        "torch": torch.__version__,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "gpu": "not measured: no GPU on this machine" if not torch.cuda.is_available() else "",
        "startup": startup,
        "runs": rows,
    }
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def format_report(report: dict[str, Any]) -> str:
    """The report as Markdown."""
    lines = [
        f"machine: {report['machine']}; Python {report['python']}; torch {report['torch']}; "
        f"OMP_WAIT_POLICY={report['omp_wait_policy']}",
        f"cold start: import torch {report['startup']['import_torch_s']} s, "
        f"load MNIST {report['startup']['load_mnist_s']} s",
        "",
        "| model | params | threads | training s | test accuracy | CPU s | load avg | goal |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in report["runs"]:
        accuracy_goal, time_goal = GOALS.get(row["model"], (0.0, float("inf")))
        met = row["test_accuracy"] >= accuracy_goal and row["train_time_s"] <= time_goal
        lines.append(
            f"| {row['model']} | {row['params_count']:,} | {row['threads']} | "
            f"{row['train_time_s']:.2f} | {100 * row['test_accuracy']:.2f}% | {row['cpu_s']:.2f} | "
            f"{row['load_avg']:.1f} | {'met' if met else 'missed'} "
            f"(>= {100 * accuracy_goal:.0f}% in <= {time_goal:g} s) |"
        )
    if report["gpu"]:
        lines.append(f"\nGPU: {report['gpu']}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
