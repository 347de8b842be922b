"""The body of an FSRS optimisation job: fsrs's optimiser over a snapshot of one user's grades.

It runs in the worker's child process only: fsrs.optimizer imports torch and pandas, which the
web process never loads. The snapshot and the result are plain JSON (see service.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

Emit = Callable[[dict[str, Any]], None]


def run_optimisation(params: dict[str, Any], *, emit: Emit) -> dict[str, Any]:
    """Fit FSRS weights to params["reviews"]; the log loss of params["parameters"] (the weights
    in use) and of the fitted ones, measured on the same grades."""
    import torch
    from fsrs import Rating, ReviewLog
    from fsrs import optimizer as fsrs_optimizer

    # Thousands of operations on tensors of a few numbers: more threads only add overhead.
    torch.set_num_threads(1)
    started = time.monotonic()
    logs = [
        ReviewLog(
            card_id=int(card),
            rating=Rating(int(rating)),
            review_datetime=datetime.fromtimestamp(at_ms / 1000, tz=UTC),
            review_duration=None if duration is None else int(duration),
        )
        for card, rating, at_ms, duration in params["reviews"]
    ]
    current = [float(w) for w in params["parameters"]]
    if not hasattr(fsrs_optimizer, "Optimizer"):  # fsrs leaves it out when an import failed
        raise RuntimeError(
            "fsrs's optimiser needs torch, pandas and tqdm in the worker (the `worker` extra)"
        )
    optimiser = fsrs_optimizer.Optimizer(logs)
    emit({"stage": "before", "progress": 0.0})
    loss_before = optimiser._compute_batch_loss(parameters=current)
    epochs = int(getattr(fsrs_optimizer, "num_epochs", 5))
    # The library reports its epochs only through tqdm; in this process (one job) its tqdm is
    # swapped for one that turns each epoch into a progress event.
    fsrs_optimizer.tqdm = _epoch_progress(emit, epochs)  # type: ignore[attr-defined]
    fitted = optimiser.compute_optimal_parameters()
    if fitted is None:
        raise RuntimeError("the optimiser found no weights with a finite loss")
    fitted = [float(w) for w in fitted]
    emit({"stage": "after", "progress": 0.98, "epoch": epochs, "epochs": epochs})
    loss_after = optimiser._compute_batch_loss(parameters=fitted)
    if not (math.isfinite(loss_before) and math.isfinite(loss_after)):
        raise RuntimeError("the log loss is not a finite number")
    return {
        "parameters": fitted,
        "parameters_before": current,
        "log_loss_before": loss_before,
        "log_loss_after": loss_after,
        "reviews": len(logs),
        "seconds": round(time.monotonic() - started, 2),
        "fsrs_version": version("fsrs"),
    }


def _epoch_progress(emit: Emit, epochs: int) -> Callable[..., Iterator[Any]]:
    def progress(iterable: Iterable[Any], **_options: Any) -> Iterator[Any]:
        for index, item in enumerate(iterable):
            share = 0.02 + 0.96 * index / max(1, epochs)
            emit({"stage": "fitting", "epoch": index + 1, "epochs": epochs, "progress": share})
            yield item

    return progress
