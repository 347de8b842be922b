"""The body of a demo job: one run, or 2-4 runs side by side, through models.runner.

It runs inside the worker's child process (and in `mogi train`); it imports torch only when
called, so the web process can import this module's helpers freely.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Emit = Callable[[dict[str, Any]], None]

# Copied to the top of a comparison's result so every result says what ran it.
_SHARED_RESULT_KEYS = ("device", "device_name", "torch_version")


@dataclass(frozen=True)
class JobSpec:
    """What a job trains: the experiment, its parameters, and the variants of a comparison."""

    experiment: str
    params: dict[str, Any]
    compare: list[dict[str, Any]] | None = None

    def variants(self) -> list[dict[str, Any]]:
        """The parameter sets to train, in order (one for a single run)."""
        return list(self.compare) if self.compare else [self.params]


def cache_key(spec: JobSpec, device_kind: str) -> str:
    """A digest that is equal for runs that give the same result: same experiment, parameters
    (seed included), variants and kind of device."""
    payload = {
        "experiment": spec.experiment,
        "variants": spec.variants(),
        "device_kind": device_kind,
    }
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def run_job(
    spec: JobSpec,
    *,
    device: Any,
    data: Any,
    emit: Emit,
    should_stop: Callable[[], bool] | None = None,
    threads: int | None = None,
    max_threads: int | None = None,
) -> dict[str, Any]:
    """Train every variant (together where they can, else in turn) on the same data; progress
    events carry the variant index and the share of the whole job done (`overall`).

    `threads` fixes the torch thread count; by default each job measures which of one thread
    and `max_threads` trains faster (models.threads)."""
    from models.runner import run_comparison, run_experiment

    variants = spec.variants()
    together = None
    if spec.compare is not None:
        together = run_comparison(
            spec.experiment,
            variants,
            device=device,
            emit_for=lambda index: _tagged(emit, index, 1, together=True),
            data=data,
            should_stop=should_stop,
            threads=threads,
            max_threads=max_threads,
        )
    results = together or []
    for index, params in enumerate([] if together else variants):
        results.append(
            run_experiment(
                spec.experiment,
                params,
                device=device,
                emit=_tagged(emit, index, len(variants)),
                data=data,
                should_stop=should_stop,
                threads=threads,
                max_threads=max_threads,
            )
        )
    if spec.compare is None:
        return results[0]
    merged: dict[str, Any] = {key: results[0].get(key) for key in _SHARED_RESULT_KEYS}
    merged["variants"] = [
        {"params": params, **result}
        for params, result in zip(spec.variants(), results, strict=True)
    ]
    return merged


def _tagged(emit: Emit, index: int, count: int, *, together: bool = False) -> Emit:
    def emit_variant(event: dict[str, Any]) -> None:
        tagged = {**event, "variant": index}
        if isinstance(event.get("progress"), int | float):
            # Trained together, every variant is as far as the job; in turn, the earlier
            # variants are done.
            done = event["progress"] if together else (index + event["progress"]) / count
            tagged["overall"] = round(done, 4)
        emit(tagged)

    return emit_variant


def inference_of(result: dict[str, Any], variant: int) -> dict[str, Any] | None:
    """The browser-runnable weights of one variant of a stored result, if there are any."""
    runs = result.get("variants")
    if runs is None:
        return result.get("inference") if variant == 0 else None
    if not 0 <= variant < len(runs):
        return None
    inference = runs[variant].get("inference")
    return inference if isinstance(inference, dict) else None


def without_inference(result: dict[str, Any]) -> dict[str, Any]:
    """The result minus the weights (they have their own, cacheable, route)."""
    light = {k: v for k, v in result.items() if k != "inference"}
    if "variants" in light:
        light["variants"] = [
            {k: v for k, v in run.items() if k != "inference"} for run in light["variants"]
        ]
    return light
