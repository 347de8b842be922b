"""The body of the worker's FSRS optimisation job, run in this process on a simulated history
just over the optimiser's minimum of 512 measured grades: it reports each epoch, and the fitted
weights predict the history better than the weights in use."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
import torch
from fsrs import optimizer as fsrs_optimizer
from fsrs.scheduler import DEFAULT_PARAMETERS

from app.practice.optimisation.job import run_optimisation
from app.practice.optimisation.service import MIN_MEASURED_REVIEWS
from tests.practice.review_history import Grade, measured, simulate

# 50 cards over 180 days: some 820 grades, 559 of them measured (a fit of a few seconds).
CARDS, DAYS = 50, 180


@pytest.fixture(autouse=True)
def _library_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The job sets torch's threads and swaps fsrs's tqdm for its own process (a worker's child);
    here it shares the test process, which gets both back afterwards."""
    monkeypatch.setattr(fsrs_optimizer, "tqdm", fsrs_optimizer.tqdm)
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def history() -> list[Grade]:
    grades = simulate(list(range(1, CARDS + 1)), DAYS, seed=11)
    assert measured(grades) > MIN_MEASURED_REVIEWS
    return sorted(grades, key=lambda g: g.at)


def _params(grades: list[Grade], parameters: list[float]) -> dict[str, Any]:
    """A job's params as service.py snapshots them: [card, rating, reviewed_at_ms, duration_ms]."""
    reviews = [
        [g.question_id, g.rating, int(g.at.timestamp() * 1000), g.duration_ms] for g in grades
    ]
    return {"reviews": reviews, "parameters": parameters}


def test_the_fit_beats_the_defaults_and_reports_each_epoch(history: list[Grade]) -> None:
    events: list[dict[str, Any]] = []
    result = run_optimisation(_params(history, list(DEFAULT_PARAMETERS)), emit=events.append)

    assert result["log_loss_after"] < result["log_loss_before"]
    assert math.isfinite(result["log_loss_before"]) and math.isfinite(result["log_loss_after"])
    assert result["parameters_before"] == pytest.approx(list(DEFAULT_PARAMETERS))
    assert len(result["parameters"]) == len(DEFAULT_PARAMETERS)
    assert result["parameters"] != pytest.approx(list(DEFAULT_PARAMETERS))
    assert all(isinstance(w, float) for w in result["parameters"])
    assert result["reviews"] == len(history)
    assert result["seconds"] > 0 and result["fsrs_version"].count(".") >= 1

    stages = [e["stage"] for e in events]
    assert stages[0] == "before" and stages[-1] == "after"
    fitting = [e for e in events if e["stage"] == "fitting"]
    epochs = fitting[0]["epochs"]
    assert [e["epoch"] for e in fitting] == list(range(1, epochs + 1))
    assert all(e["epochs"] == epochs for e in fitting) and events[-1]["epoch"] == epochs
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress) and progress[0] == 0.0 and progress[-1] < 1.0
