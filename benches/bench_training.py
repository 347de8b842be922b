"""Training speed of the `architecture` recipes (CNN and MLP) against the pytorch/examples MNIST
recipe measured in the same run, every experiment's default run, and the cost of a cold start.

Runs the default `architecture` experiment with model=cnn and model=mlp, `--runs` times each on the
same seed, through models.runner exactly as a worker's job does (warm process: torch imported, MNIST
loaded, warm_up() done), and reports training seconds (evaluation excluded), the test accuracy, the
CPU seconds the run used (with its partner process, when it splits batches), and torch's thread
count. Right before each run it times the pytorch/examples `mnist/main.py` recipe (two 3x3
convolutions of 32 and 64 channels, max pooling, dropout, a 9216-128-10 head, Adadelta at 1.0, batch
64) for `--baseline-steps / --runs` steps and scales that to its one epoch of 938 steps, and reports
the ratios the demos aim at, each run against the epoch timed beside it (median over the runs):
99.0% by the CNN >= 12x faster than that epoch, 98.0% by the MLP >= 30x. Beside it, because a
shared VM's speed drifts by half and more within minutes: timed once, the epoch and the runs met
different machines (benches/RESULTS.md). `--experiments` also runs every experiment's default run
(its comparison, as the form sends it) and reports its training and wall seconds: each should finish
within 30 s on 2 cores.
It also times, in fresh interpreters, `import torch` and loading MNIST: what a worker pays once.

    .venv/bin/python benches/bench_training.py [--runs 3] [--threads N] [--experiments] [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
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


def measure_recipe(
    model: str, runs: int, threads: int | None, data: Any, baseline_steps: int
) -> list[dict[str, Any]]:
    """`runs` runs of `architecture` with this model, each with its figures and the
    pytorch/examples epoch timed right before it (`examples`). Each run and each timing is a
    child forked from this process (torch imported, MNIST loaded, warmed up), as a worker forks
    each job; `threads` None: the run chooses its thread count by measuring, as a job does."""
    global _DATA
    _DATA = data
    rows = []
    fork = multiprocessing.get_context("fork")
    for _ in range(runs):
        with ProcessPoolExecutor(1, mp_context=fork) as child:
            examples = child.submit(_examples_epoch, threads, baseline_steps).result()
        load_before = os.getloadavg()[0]
        with ProcessPoolExecutor(1, mp_context=fork) as child:  # a fresh child per run
            row = child.submit(_recipe_run, model, threads).result()
        row["load_avg"] = round((load_before + os.getloadavg()[0]) / 2, 2)
        row["examples"] = examples
        rows.append(row)
    return rows


def _examples_epoch(threads: int | None, steps: int) -> dict[str, Any]:
    return measure_examples_epoch(_DATA, threads, steps)


_DATA: Any = None  # MNIST, shared with the forked children


def _recipe_run(model: str, threads: int | None) -> dict[str, Any]:
    from models.runner import run_experiment

    cpu_before = _cpu_s()
    result = run_experiment(
        "architecture", {"model": model}, device="cpu", emit=lambda _e: None, data=_DATA,
        threads=threads,
    )  # fmt: skip
    choice = result.get("thread_choice") or {}
    return {
        "model": model,
        "train_time_s": result["train_time_s"],
        "test_accuracy": result["test_accuracy"],
        "cpu_s": round(_cpu_s() - cpu_before, 2),
        "threads": f"{result['threads']} (split)"
        if choice.get("chosen") == "split"
        else result["threads"],
        "step_ms_by_threads": _step_ms(choice),
        "params_count": result["params_count"],
    }


def _cpu_s() -> float:
    # This process's CPU time and its ended children's: a split-batch run's partner process.
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _step_ms(choice: dict[str, Any]) -> str:
    """The tuner's measured median step, "1: a ms, N: b ms" (empty when threads were fixed)."""
    if not choice:
        return ""
    measured = f"1: {choice['step_ms_one']} ms, {choice['most']}: {choice['step_ms_most']} ms"
    if choice.get("step_ms_split") is not None:
        measured += f", split: {choice['step_ms_split']} ms"
    return measured


RATIO_GOALS = {"cnn": 12.0, "mlp": 30.0}
EXAMPLES_EPOCH_STEPS = 938  # 60,000 images in batches of 64


def measure_examples_epoch(data: Any, threads: int | None, steps: int) -> dict[str, Any]:
    """Seconds of one epoch of the pytorch/examples MNIST recipe, from `steps` timed steps.

    It gets the same chance as ours: with `threads` None its steps alternate, in chunks of 10,
    between one thread and every core, and the epoch is timed at the faster of the two."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    from models.threads import available_cpus

    most = threads or available_cpus()
    choices = [most] if threads is not None or most == 1 else [1, most]
    torch.manual_seed(1)

    class Net(nn.Module):  # pytorch/examples mnist/main.py, as published
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = F.relu(self.conv1(x))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = torch.flatten(self.dropout1(x), 1)
            x = self.dropout2(F.relu(self.fc1(x)))
            return F.log_softmax(self.fc2(x), dim=1)

    model = Net()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    images, labels = data.train.images, data.train.labels
    order = torch.randperm(len(labels))
    steps = min(steps, EXAMPLES_EPOCH_STEPS)
    timed = {n: 0.0 for n in choices}
    counted = {n: 0 for n in choices}
    for step in range(len(choices) * steps + 3):  # 3 untimed warm-up steps
        n = choices[(step // 10) % len(choices)]
        if torch.get_num_threads() != n:
            torch.set_num_threads(n)
        index = order[(step % EXAMPLES_EPOCH_STEPS) * 64 : (step % EXAMPLES_EPOCH_STEPS + 1) * 64]
        started = time.perf_counter()
        optimizer.zero_grad()
        loss = F.nll_loss(model(images[index]), labels[index])
        loss.backward()
        optimizer.step()
        if step >= 3 and step % 10 != 0:  # the first step after a switch is not counted
            timed[n] += time.perf_counter() - started
            counted[n] += 1
    step_s = {n: timed[n] / max(1, counted[n]) for n in choices}
    best = min(step_s, key=lambda n: step_s[n])
    return {
        "steps_timed": counted[best],
        "threads": best,
        "step_ms_by_threads": ", ".join(f"{n}: {1000 * v:.1f} ms" for n, v in step_s.items()),
        "epoch_s_by_threads": {n: round(v * EXAMPLES_EPOCH_STEPS, 2) for n, v in step_s.items()},
        "epoch_s": round(step_s[best] * EXAMPLES_EPOCH_STEPS, 2),
        "step_ms": round(1000 * step_s[best], 2),
        "load_avg": round(os.getloadavg()[0], 2),
    }


def combine_epochs(timings: list[dict[str, Any]]) -> dict[str, Any]:
    """The recipe's epoch over all the timings beside the runs: medians, steps summed."""
    by_threads = {
        n: round(statistics.median(t["epoch_s_by_threads"][n] for t in timings), 2)
        for n in timings[0]["epoch_s_by_threads"]
    }
    best = min(by_threads, key=lambda n: by_threads[n])
    return {
        "timings": len(timings),
        "steps_timed": sum(t["steps_timed"] for t in timings),
        "threads": best,
        "step_ms_by_threads": ", ".join(
            f"{n}: {1000 * v / EXAMPLES_EPOCH_STEPS:.1f} ms" for n, v in by_threads.items()
        ),
        "epoch_s_by_threads": by_threads,
        "epoch_s_range": [min(t["epoch_s"] for t in timings), max(t["epoch_s"] for t in timings)],
        "epoch_s": by_threads[best],
        "step_ms": round(1000 * by_threads[best] / EXAMPLES_EPOCH_STEPS, 2),
        "load_avg": round(statistics.median(t["load_avg"] for t in timings), 2),
    }


def measure_experiments(threads: int | None, data: Any) -> list[dict[str, Any]]:
    """Every experiment's default run as the form sends it (its comparison), through the
    worker's own job function: variants that can train together do."""
    from app.demos.tasks import JobSpec, run_job
    from models import catalog
    from models.threads import forget_decision

    rows = []
    for slug, experiment in catalog.EXPERIMENTS.items():
        forget_decision()  # each job measures for itself in its own child
        variants = catalog.compare_variants(slug)
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        result = run_job(
            JobSpec(slug, variants[0], variants), device="cpu", data=data,
            emit=lambda _e: None, threads=threads,
        )  # fmt: skip
        runs = result["variants"]
        together = bool(runs[0].get("trained_together"))
        train_s = (
            runs[0]["train_time_s"]
            if together
            else sum(r.get("train_time_s") or r["wall_time_s"] for r in runs)
        )
        rows.append(
            {
                "experiment": slug,
                "variants": len(variants),
                "compared": f"{experiment.compare_param}: "
                + ", ".join(str(v[experiment.compare_param]) for v in variants),
                "together": together,
                "threads": sorted({r["threads"] for r in runs}),
                "train_s": round(train_s, 2),
                "wall_s": round(time.perf_counter() - started, 2),
                "estimate_s": round(catalog.estimate_s(slug, variants), 1),
                "questions": " ".join("#" + q.split("/")[1] for q in experiment.questions),
                "load_avg": round((load_before + os.getloadavg()[0]) / 2, 2),
            }
        )
    return rows


def measure_grouping(threads: int | None, data: Any, slug: str = "activations") -> dict[str, Any]:
    """The default comparison of `slug` trained together and in turn, back to back."""
    from app.demos.tasks import JobSpec, run_job
    from models import catalog
    from models.runner import run_experiment
    from models.threads import forget_decision

    variants = catalog.compare_variants(slug)
    forget_decision()
    started = time.perf_counter()
    run_job(JobSpec(slug, variants[0], variants), device="cpu", data=data,
            emit=lambda _e: None, threads=threads)  # fmt: skip
    together = time.perf_counter() - started
    forget_decision()
    started = time.perf_counter()
    for params in variants:
        run_experiment(slug, params, device="cpu", emit=lambda _e: None, data=data,
                       threads=threads)  # fmt: skip
    in_turn = time.perf_counter() - started
    return {
        "experiment": slug,
        "variants": len(variants),
        "together_wall_s": round(together, 2),
        "in_turn_wall_s": round(in_turn, 2),
        "load_avg": round(os.getloadavg()[0], 2),
    }


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="a fixed torch thread count (default: each run measures 1 against every core)",
    )
    parser.add_argument("--models", default="cnn,mlp")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--baseline-steps",
        type=int,
        default=150,
        help="timed steps of the pytorch/examples recipe per thread count, shared among the"
        " --runs timings of each model (--runs 1 --baseline-steps 938: its whole epoch)",
    )
    parser.add_argument(
        "--experiments", action="store_true", help="also run every experiment's default run"
    )
    args = parser.parse_args()

    directory = mnist_dir()
    startup = measure_startup(directory, args.runs)
    import torch

    from models.data import load_mnist
    from models.runner import device_name, warm_up
    from models.threads import available_cpus

    data = load_mnist(directory)
    warm_up()
    threads = args.threads
    segment = max(30, args.baseline_steps // args.runs)
    rows = [row for model in args.models.split(",")
            for row in measure_recipe(model, args.runs, threads, data, segment)]  # fmt: skip
    baseline = combine_epochs([row["examples"] for row in rows])
    experiments = measure_experiments(threads, data) if args.experiments else []
    grouping = measure_grouping(threads, data) if args.experiments else None
    report = {
        "cpu_model": _cpu_model(),
        "threads": threads or f"chosen per run (1 or {available_cpus()})",
        "baseline": baseline,
        "experiments": experiments,
        "grouping": grouping,
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


def _cpu_model() -> str:
    """The CPU's name, vendor, family and model numbers (a VM's name can be generic), and
    the vector extensions that matter to torch's CPU kernels."""
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        return platform.processor() or platform.machine()
    flags = set(fields.get("flags", "").split())
    vector = [f for f in ("avx2", "avx512f", "amx_tile") if f in flags]
    return (
        f"{fields.get('model name', platform.machine())} ({fields.get('vendor_id', '?')}, "
        f"family {fields.get('cpu family', '?')} model {fields.get('model', '?')}; "
        f"{' '.join(vector) or 'no AVX2'})"
    )


def _median_ratio(runs: list[dict[str, Any]], threads: Any) -> float:
    # Each run against the recipe's epoch on `threads` threads timed beside it.
    return statistics.median(
        r["examples"]["epoch_s_by_threads"][threads] / r["train_time_s"] for r in runs
    )


def format_report(report: dict[str, Any]) -> str:
    """The report as Markdown."""
    lines = [
        f"machine: {report['machine']} (CPU {report['cpu_model']}, {report['threads']} torch "
        f"threads); Python {report['python']}; torch {report['torch']}; "
        f"OMP_WAIT_POLICY={report['omp_wait_policy']}",
        f"cold start: import torch {report['startup']['import_torch_s']} s, "
        f"load MNIST {report['startup']['load_mnist_s']} s",
        "",
        "| model | params | threads (measured step) | training s | test accuracy | CPU s "
        "| load avg | goal | recipe epoch before it |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for row in report["runs"]:
        accuracy_goal, time_goal = GOALS.get(row["model"], (0.0, float("inf")))
        met = row["test_accuracy"] >= accuracy_goal and row["train_time_s"] <= time_goal
        lines.append(
            f"| {row['model']} | {row['params_count']:,} | {row['threads']}"
            f"{' (' + row['step_ms_by_threads'] + ')' if row['step_ms_by_threads'] else ''} | "
            f"{row['train_time_s']:.2f} | {100 * row['test_accuracy']:.2f}% | {row['cpu_s']:.2f} | "
            f"{row['load_avg']:.1f} | {'met' if met else 'missed'} "
            f"(>= {100 * accuracy_goal:.0f}% in <= {time_goal:g} s) | "
            f"{row['examples']['epoch_s']:.1f} s |"
        )
    base = report["baseline"]
    low, high = base["epoch_s_range"]
    lines += [
        "",
        f"pytorch/examples MNIST recipe, timed before each run ({base['timings']} timings, "
        f"{base['steps_timed']} steps on its faster thread count): medians {base['step_ms']} ms "
        f"a step on {base['threads']} thread(s) ({base['step_ms_by_threads']}), one epoch = "
        f"{base['epoch_s']} s ({low}-{high} s); load avg {base['load_avg']}",
        "",
        "| model | median training s | times faster than the epoch beside each run (median; "
        "each) | goal | " + " | ".join(f"vs its epoch on {n} thread(s)" for n in
        base["epoch_s_by_threads"]) + " |",
        "| --- | ---: | --- | --- |" + " ---: |" * len(base["epoch_s_by_threads"]),
    ]  # fmt: skip
    for model, goal in RATIO_GOALS.items():
        runs = [r for r in report["runs"] if r["model"] == model]
        if not runs:
            continue
        median = statistics.median(r["train_time_s"] for r in runs)
        ratios = [r["examples"]["epoch_s"] / r["train_time_s"] for r in runs]
        ratio = statistics.median(ratios)
        each = " | ".join(f"{_median_ratio(runs, n):.1f}x" for n in base["epoch_s_by_threads"])
        verdict = f"{'met' if ratio >= goal else 'missed'} (>= {goal:g}x)"
        listed = ", ".join(f"{x:.1f}x" for x in ratios)
        lines.append(f"| {model} | {median:.2f} | {ratio:.1f}x ({listed}) | {verdict} | {each} |")
    if report["experiments"]:
        lines += [
            "",
            "| experiment | default run | trained | threads | training s | wall s | estimate s "
            "| load avg | answers |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for row in report["experiments"]:
            how = "together" if row["together"] else "in turn"
            threads_used = "/".join(str(t) for t in row["threads"])
            lines.append(
                f"| {row['experiment']} | {row['compared']} | {how} | {threads_used} | "
                f"{row['train_s']:.1f} | {row['wall_s']:.1f} | {row['estimate_s']:.1f} | "
                f"{row['load_avg']:.1f} | {row['questions']} |"
            )
    if report.get("grouping"):
        g = report["grouping"]
        lines.append(
            f"\n{g['experiment']} ({g['variants']} variants), wall time: together "
            f"{g['together_wall_s']} s, in turn {g['in_turn_wall_s']} s (load avg {g['load_avg']})"
        )
    if report["gpu"]:
        lines.append(f"\nGPU: {report['gpu']}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
