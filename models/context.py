"""What an experiment's run function works with: a `Context` (data, device, randomness,
progress) and a `Plan` (a model, its data and how to train it), and the shape of the result of
an experiment that measures its own things (`custom_result`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from models.data import MNIST_MEAN, MNIST_STD, Mnist
from models.export import export_inference
from models.nets import count_params
from models.stats import confusion_matrix, layer_stats, sample_grid
from models.train import (
    Dataset,
    Emit,
    FitResult,
    LossFn,
    ShouldStop,
    TrainConfig,
    TrainingStopped,
    evaluate,
    finite,
    fit,
)

PROBE_SIZE = 1000
STANDARD_SCALE = 1.0 / (255.0 * MNIST_STD)
STANDARD_SHIFT = -MNIST_MEAN / MNIST_STD


@dataclass
class Plan:
    """What a classifier experiment trains, on which data, and what it adds to the result."""

    model: nn.Module
    config: TrainConfig
    train: Dataset
    test: Dataset
    input_scale: float = STANDARD_SCALE
    input_shift: float = STANDARD_SHIFT
    validation: Dataset | None = None
    monitors: dict[str, LossFn] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Runs after training with the trained model; returns more `extra` entries.
    after: Callable[[nn.Module], dict[str, Any]] | None = None


@dataclass
class Context:
    """What a run function gets besides its parameters: data, device, randomness, progress."""

    data: Mnist
    device: torch.device
    generator: torch.Generator
    emit: Emit
    should_stop: ShouldStop | None = None
    started: float = field(default_factory=time.perf_counter)

    # ---- data ----------------------------------------------------------------------------

    def subset(self, size: int) -> torch.Tensor | None:
        """A seeded random subset of the training set's indices, or None for all of it."""
        n = len(self.data.train)
        return None if size >= n else torch.randperm(n, generator=self.generator)[:size]

    def train_set(self, size: int = 60_000) -> Dataset:
        """Standardised training images (a seeded subset of `size`) on the device."""
        index = self.subset(size)
        images, labels = self.data.train.images, self.data.train.labels
        if index is not None:
            images, labels = images[index], labels[index]
        return Dataset(images.to(self.device), labels.to(self.device))

    def test_set(self, size: int | None = None) -> Dataset:
        """Standardised test images (the first `size`, or all) on the device."""
        images, labels = self.data.test.images, self.data.test.labels
        if size is not None:
            images, labels = images[:size], labels[:size]
        return Dataset(images.to(self.device), labels.to(self.device))

    # ---- progress ------------------------------------------------------------------------

    def check(self) -> None:
        """Raise TrainingStopped when the job was cancelled or ran out of time."""
        if self.should_stop is not None and self.should_stop():
            raise TrainingStopped

    def progress(self, done: float, total: float, **values: Any) -> None:
        """A progress event for a run that does not go through `train`: `done` of `total`."""
        self.check()
        fraction = min(1.0, done / max(total, 1e-9))
        self.emit({
            "type": "progress", "step": int(done),
            "progress": round(fraction, 4),
            "elapsed_s": round(time.perf_counter() - self.started, 3),
            **{k: finite(v) if isinstance(v, float) else v for k, v in values.items()},
        })  # fmt: skip

    # ---- training ------------------------------------------------------------------------

    def train(self, plan: Plan) -> dict[str, Any]:
        """Train `plan` and return the standard classifier result (curves, confusion matrix,
        sample digits, per-layer statistics, the weights for the drawing pad)."""
        self.prepare(plan)
        fitted = fit(
            plan.model, plan.train, plan.test, plan.config,
            emit=self.emit, generator=self.generator, should_stop=self.should_stop,
            validation=plan.validation, monitors=plan.monitors,
        )  # fmt: skip
        return self.finish(plan, fitted)

    def prepare(self, plan: Plan) -> None:
        """Put the plan's model on the device, in the memory layout its config asks for."""
        plan.model.to(self.device)
        if plan.config.channels_last:
            plan.model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]

    def finish(self, plan: Plan, fitted: FitResult) -> dict[str, Any]:
        """The standard classifier result of a plan trained into `fitted`."""
        extra = dict(plan.extra)
        if plan.config.early_stopping_patience is not None:
            extra["best_epoch"] = fitted.best_epoch
            extra["stopped_early_at"] = fitted.stopped_early_at
        if plan.after is not None:
            extra.update(plan.after(plan.model))
        result = self._classifier_result(plan, fitted)
        result["extra"] = extra
        return result

    def _classifier_result(self, plan: Plan, fitted: FitResult) -> dict[str, Any]:
        scored = evaluate(plan.model, plan.test, with_outputs=True,
                          channels_last=plan.config.channels_last)  # fmt: skip
        probe = plan.test.inputs[:PROBE_SIZE]
        assert scored.predictions is not None
        return {
            "test_accuracy": finite(scored.accuracy),
            "test_loss": finite(scored.loss),
            "train_time_s": round(fitted.train_time_s, 3),
            "params_count": count_params(plan.model),
            "epochs_completed": fitted.epochs_completed,
            "steps": fitted.steps,
            # What two processes split, when they did (the run page says it).
            "split_by": fitted.split_by,
            "diverged": fitted.diverged,
            "history": fitted.history,
            "confusion_matrix": confusion_matrix(plan.test.labels, scored.predictions),
            "samples": sample_grid(
                self.data.test.pixels[: len(plan.test)], plan.test.labels, scored
            ),  # fmt: skip
            "layer_stats": layer_stats(
                plan.model, probe, fitted, channels_last=plan.config.channels_last
            ),  # fmt: skip
            "inference": export_inference(
                plan.model.cpu(), scale=plan.input_scale, shift=plan.input_shift
            ),
        }


def custom_result(
    *,
    charts: Sequence[dict[str, Any]] = (),
    tables: Sequence[dict[str, Any]] = (),
    images: Sequence[dict[str, Any]] = (),
    code: dict[str, Any] | None = None,
    test_accuracy: float | None = None,
    train_time_s: float = 0.0,
    params_count: int | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The result of an experiment that measures something other than one classifier.

    charts: [{"title": {"ko", "en"}, "x": {"ko", "en"}, "y": {"ko", "en"}, "log_y": bool,
              "series": [{"name": str | {"ko", "en"}, "x": [...], "y": [...],
                          "style": "line" | "dashed" | "points"}]}]
    tables: [{"title": {"ko", "en"}, "columns": [{"ko", "en"}...], "rows": [[...]...],
              "percent": [column indexes shown as percentages]}]
    images: [{"title": {"ko", "en"}, "items": [{"label": str, "pixels": base64 28x28 bytes}]}]
    code: {"title", "source", "lines", "marked": [line numbers]}
    """
    return {
        "test_accuracy": None if test_accuracy is None else finite(test_accuracy),
        "test_loss": None,
        "train_time_s": round(train_time_s, 3),
        "params_count": params_count,
        "charts": list(charts),
        "tables": list(tables),
        "images": list(images),
        "code": code,
        "extra": extra or {},
    }


def text(ko: str, en: str) -> dict[str, str]:
    """A label in both languages, for charts and tables."""
    return {"ko": ko, "en": en}


def fit_chart(
    title: dict[str, str], xs: Any, target: Any, fitted: Any, fit_name: dict[str, str]
) -> dict[str, Any]:
    """A 1-D target curve (dashed) and a network's fit of it (a line), for a chart."""
    x_values = [round(v, 4) for v in xs.flatten().tolist()]
    return {
        "title": title,
        "x": text("x", "x"),
        "y": text("y", "y"),
        "series": [
            {
                "name": text("목표", "target"),
                "x": x_values,
                "y": [round(v, 4) for v in target.flatten().tolist()],
                "style": "dashed",
            },
            {
                "name": fit_name,
                "x": x_values,
                "y": [round(v, 4) for v in fitted.flatten().tolist()],
                "style": "line",
            },
        ],
    }
