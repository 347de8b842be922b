"""Training throughput per device and the memory a training step needs, estimated and measured."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from models.nets import count_params
from models.train import Dataset

WARMUP_STEPS = 3
FLOAT_BYTES = 4


def device_report(
    build: Callable[[], nn.Module],
    train: Dataset,
    device: torch.device,
    *,
    batch_size: int,
    steps: int,
    channels_last: bool,
) -> dict[str, Any]:
    """Images per second on the CPU and on the GPU (when present), and training memory."""
    devices = [torch.device("cpu")]
    if device.type != "cpu":
        devices.append(device)
    elif torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    rows = []
    for target in devices:
        row = {"device": str(target), "data": "resident"}
        row.update(_throughput(build, train, target, batch_size, steps, channels_last, False))
        rows.append(row)
        if target.type == "cuda":
            # Copying every batch from host memory: the input pipeline, not the GPU, sets the pace.
            copied = {"device": str(target), "data": "copied_per_step"}
            copied.update(_throughput(build, train, target, batch_size, steps, channels_last, True))
            rows.append(copied)
    report: dict[str, Any] = {
        "throughput": rows,
        "gpu_available": torch.cuda.is_available(),
        "memory": training_memory(build, train, device, batch_size, channels_last),
    }
    if not torch.cuda.is_available():
        report["note"] = "no GPU on this machine: CPU figures only"
    return report


def _batches(
    train: Dataset, device: torch.device, batch_size: int, count: int, copy_each: bool
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    n = len(train)
    inputs, labels = train.inputs.cpu(), train.labels.cpu()
    if copy_each and device.type == "cuda":
        inputs, labels = inputs.pin_memory(), labels.pin_memory()
    elif not copy_each:
        inputs, labels = inputs.to(device), labels.to(device)
    starts = [(i * batch_size) % max(1, n - batch_size + 1) for i in range(count)]
    return [(inputs[s : s + batch_size], labels[s : s + batch_size]) for s in starts]


def _throughput(
    build: Callable[[], nn.Module],
    train: Dataset,
    device: torch.device,
    batch_size: int,
    steps: int,
    channels_last: bool,
    copy_each: bool,
) -> dict[str, Any]:
    torch.manual_seed(0)
    model = build().to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = _batches(train, device, batch_size, WARMUP_STEPS + steps, copy_each)

    def step(inputs: torch.Tensor, labels: torch.Tensor) -> None:
        inputs, labels = inputs.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        if channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        loss = F.cross_entropy(model(inputs), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for inputs, labels in batches[:WARMUP_STEPS]:
        step(inputs, labels)
    _sync(device)
    started = time.perf_counter()
    for inputs, labels in batches[WARMUP_STEPS:]:
        step(inputs, labels)
    _sync(device)
    seconds = time.perf_counter() - started
    images = sum(int(labels.shape[0]) for _, labels in batches[WARMUP_STEPS:])
    return {
        "device_name": device_name(device),
        "steps": steps,
        "batch_size": batch_size,
        "seconds": round(seconds, 4),
        "step_ms": round(1000 * seconds / max(1, steps), 3),
        "images_per_s": round(images / seconds, 1) if seconds > 0 else None,
    }


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def device_name(device: torch.device) -> str:
    """A human name for `device`: the GPU's or the CPU's model."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple MPS"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "CPU"


def training_memory(
    build: Callable[[], nn.Module],
    train: Dataset,
    device: torch.device,
    batch_size: int,
    channels_last: bool,
) -> dict[str, Any]:
    """Bytes of one Adam training step: the textbook estimate next to what torch really held.

    Estimate: weights + gradients + two Adam moments (4 x 4 bytes per parameter), plus every
    layer's output kept for the backward pass, plus the input batch. Measured: the same tensors
    as they exist after a real step, and the tensors autograd actually saved for backward (counted
    through saved-tensor hooks); on CUDA also the allocator's peak during the step.
    """
    torch.manual_seed(0)
    model = build().to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    # Copies, not views: a view would keep (and be counted as) the whole dataset's storage.
    inputs = train.inputs[:batch_size].to(device, copy=True)
    labels = train.labels[:batch_size].to(device, copy=True)
    if channels_last:
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    params = count_params(model)
    outputs = _output_elements(model, inputs)
    estimate = {
        "weights": params * FLOAT_BYTES,
        "gradients": params * FLOAT_BYTES,
        "optimizer_state": 2 * params * FLOAT_BYTES,
        "activations": outputs * FLOAT_BYTES,
        "inputs": inputs.numel() * FLOAT_BYTES,
    }
    estimate["total"] = sum(estimate.values())

    # Weights and the input batch are counted on their own lines, not as saved activations.
    skip = {p.untyped_storage().data_ptr() for p in model.parameters()}
    skip.add(inputs.untyped_storage().data_ptr())
    saved: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in skip:
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = F.cross_entropy(model(inputs), labels)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    measured: dict[str, Any] = {
        "weights": _nbytes(p for p in model.parameters()),
        "gradients": _nbytes(p.grad for p in model.parameters() if p.grad is not None),
        "optimizer_state": _nbytes(
            t
            for state in optimizer.state.values()
            for t in state.values()
            if isinstance(t, torch.Tensor)
        ),  # fmt: skip
        "saved_activations": sum(saved.values()),
        "inputs": inputs.numel() * inputs.element_size(),
    }
    measured["total"] = sum(measured.values())
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        measured["cuda_peak_step"] = torch.cuda.max_memory_allocated(device) - before
    return {"batch_size": batch_size, "params": params, "estimated": estimate,
            "measured": measured}  # fmt: skip


def _output_elements(model: nn.Module, inputs: torch.Tensor) -> int:
    """The number of values every leaf layer outputs for this batch."""
    total = 0

    def hook(_m: nn.Module, _i: Any, out: torch.Tensor) -> None:
        nonlocal total
        total += out.numel()

    handles = [m.register_forward_hook(hook) for m in model.modules() if not list(m.children())]
    try:
        with torch.no_grad():
            model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return total


def _nbytes(tensors: Any) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)
