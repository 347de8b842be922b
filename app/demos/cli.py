"""`mogi train`: run one experiment in the foreground through the worker's own code."""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any, TextIO

# The keys of the final summary line; the rest of the result (weights, samples...) is for pages.
SUMMARY_KEYS = (
    "experiment", "params", "device", "device_name", "torch_version", "threads",
    "test_accuracy", "test_loss", "train_time_s", "wall_time_s", "params_count",
    "epochs_completed", "steps", "diverged", "extra",
)  # fmt: skip


def train_command(experiment: str, sets: Sequence[str], as_json: bool) -> int:
    """Validate, load MNIST, train, and print progress; 2 for a bad request or missing data."""
    from models.catalog import ParamError, UnknownExperiment, parse_assignments, validate_params

    try:
        params = validate_params(experiment, parse_assignments(sets))
    except UnknownExperiment as exc:
        return _fail(str(exc))
    except ParamError as exc:
        return _fail(f"bad parameter {exc}")
    return _train(experiment, params, as_json)


def _train(experiment: str, params: dict[str, Any], as_json: bool) -> int:
    from app.config import get_settings
    from app.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    # torch is imported only once the request is known to be valid: a typo fails at once.
    # Sleeping, not spinning, OpenMP threads, as in the worker: spinning threads on cores that
    # other processes share made training many times slower.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # torch warns on import that numpy is absent; Mogi does not use numpy.
    warnings.filterwarnings("ignore", message="Failed to initialize NumPy", category=UserWarning)
    from models.data import MnistError, load_mnist
    from models.runner import DeviceError, resolve_device, run_experiment

    try:
        device = resolve_device(settings.device)
        data = load_mnist(settings.mnist_dir, download=settings.mnist_download)
    except (MnistError, DeviceError) as exc:
        return _fail(str(exc))
    out = sys.stdout
    emit = (lambda e: _print_json(out, e)) if as_json else (lambda e: _print_event(out, e))
    try:
        result = run_experiment(experiment, params, device=device, emit=emit, data=data)
    except KeyboardInterrupt:
        return _fail("interrupted", code=130)
    summary = {k: result.get(k) for k in SUMMARY_KEYS}
    if as_json:
        _print_json(out, {"type": "result", **summary})
    else:
        out.write(_describe_result(summary) + "\n")
    return 0


def _fail(message: str, code: int = 2) -> int:
    sys.stderr.write(f"mogi train: {message}\n")
    return code


def _print_json(out: TextIO, event: dict[str, Any]) -> None:
    out.write(json.dumps(event, ensure_ascii=False, allow_nan=False) + "\n")
    out.flush()


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _print_event(out: TextIO, event: dict[str, Any]) -> None:
    if "epoch" not in event:  # an experiment that measures its own things: how far along
        loss = f"  loss {_number(event['loss'])}" if event.get("loss") is not None else ""
        out.write(f"{100 * event['progress']:5.1f}%  {event['elapsed_s']:7.2f}s{loss}\n")
        out.flush()
        return
    line = (
        f"epoch {event['epoch']:6.2f}  step {event['step']:6d}  {event['elapsed_s']:7.2f}s  "
        f"loss {_number(event['loss'])}  train {_percent(event['train_accuracy'])}"
    )
    if event.get("val_accuracy") is not None:
        line += f"  val {_percent(event['val_accuracy'])} (loss {_number(event['val_loss'])})"
    if event.get("test_accuracy") is not None:
        line += f"  test {_percent(event['test_accuracy'])}"
    out.write(line + "\n")
    out.flush()


def _describe_result(summary: dict[str, Any]) -> str:
    text = (
        f"{summary['experiment']}: test accuracy {_percent(summary['test_accuracy'])} "
        f"(loss {_number(summary['test_loss'])}) after {summary['train_time_s']:.2f} s of "
        f"training on {summary['device']} ({summary['device_name']}, "
        f"{summary['threads']} threads, torch {summary['torch_version']})"
    )
    if summary["params_count"] is not None:
        text += f"; {summary['params_count']:,} parameters"
    if summary.get("diverged"):
        text += "; the loss diverged and training stopped"
    return text
