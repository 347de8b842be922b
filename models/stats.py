"""What a trained classifier is made of: per-layer statistics, its confusion matrix, and the
test digits it gets most confidently wrong."""

from __future__ import annotations

import base64
import math
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

if TYPE_CHECKING:
    from models.train import Evaluation, FitResult

SAMPLE_COUNT = 32


def finite(value: float | None, digits: int = 6) -> float | None:
    """`value` rounded, or None when missing or not finite (JSON has no NaN)."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def weight_layers(model: nn.Module) -> list[tuple[str, nn.Linear | nn.Conv2d]]:
    """The (name, module) of every linear and conv layer, in forward order."""
    return [(n, m) for n, m in model.named_children() if isinstance(m, nn.Linear | nn.Conv2d)]


def confusion_matrix(labels: torch.Tensor, predictions: torch.Tensor) -> list[list[int]]:
    """10x10 counts: row = true digit, column = predicted digit."""
    flat = torch.bincount(labels.cpu() * 10 + predictions.cpu(), minlength=100)
    return flat.view(10, 10).tolist()


def sample_grid(
    pixels: torch.Tensor, labels: torch.Tensor, scored: Evaluation, count: int = SAMPLE_COUNT
) -> list[dict[str, Any]]:
    """Test digits with the model's guesses: the most confident mistakes first, then hits."""
    assert scored.predictions is not None and scored.probabilities is not None
    labels = labels.cpu()
    predictions, probabilities = scored.predictions, scored.probabilities
    confidence = probabilities.max(dim=1).values
    wrong = (predictions != labels).nonzero().flatten()
    wrong = wrong[confidence[wrong].argsort(descending=True)][:count]
    right = (predictions == labels).nonzero().flatten()[: count - len(wrong)]
    samples = []
    for index in torch.cat([wrong, right]).tolist():
        samples.append(
            {
                "index": index,
                "label": int(labels[index]),
                "prediction": int(predictions[index]),
                "probabilities": [round(p, 4) for p in probabilities[index].tolist()],
                "pixels": base64.b64encode(bytes(pixels[index].flatten().tolist())).decode(),
            }
        )
    return samples


def layer_stats(
    model: nn.Module,
    probe: torch.Tensor,
    fitted: FitResult | None = None,
    *,
    channels_last: bool = False,
) -> list[dict[str, Any]]:
    """Per weight layer: size, weight and gradient norms, and its activation's statistics.

    The activation statistics come from one eval-mode forward pass over `probe`; `dead_fraction`
    (ReLU-like) is the share of units that output nothing for every probe image, and
    `saturated_fraction` (sigmoid, tanh) the share of outputs stuck near the flat ends.
    """
    outputs = _activation_outputs(model, probe, channels_last)
    stats = []
    for name, module in weight_layers(model):
        weight = module.weight.detach()
        act_name, act_module, act_out = outputs.get(name, (None, None, None))
        entry: dict[str, Any] = {
            "name": name,
            "kind": "conv2d" if isinstance(module, nn.Conv2d) else "linear",
            "weight_shape": list(weight.shape),
            "params": sum(p.numel() for p in module.parameters()),
            "weight_norm": finite(weight.norm().item()),
            "weight_std": finite(weight.float().std().item()) if weight.numel() > 1 else None,
            "grad_norm": _mean_grad_norm(name, fitted),
            "activation": _activation_kind(act_module),
        }
        entry.update(_activation_summary(act_module, act_out))
        stats.append(entry)
    return stats


def _mean_grad_norm(name: str, fitted: FitResult | None) -> float | None:
    if fitted is None or fitted.grad_norm_count == 0 or name not in fitted.grad_norm_sums:
        return None
    return finite(fitted.grad_norm_sums[name] / fitted.grad_norm_count)


def _activation_kind(module: nn.Module | None) -> str | None:
    kinds = {nn.ReLU: "relu", nn.LeakyReLU: "leaky_relu", nn.Sigmoid: "sigmoid", nn.Tanh: "tanh"}
    return kinds.get(type(module)) if module is not None else None


def _activation_outputs(
    model: nn.Module, probe: torch.Tensor, channels_last: bool
) -> dict[str, tuple[str, nn.Module | None, torch.Tensor]]:
    """For each weight layer: its activation (or itself, for the output layer) and the output."""
    owner: dict[str, str] = {}  # activation name -> weight layer it follows
    current = None
    for name, module in model.named_children():
        if isinstance(module, nn.Linear | nn.Conv2d):
            current = name
            owner[name] = name  # until an activation follows, the layer's own output
        elif _activation_kind(module) is not None and current is not None:
            owner.pop(current, None)
            owner[name] = current
            current = None
    captured: dict[str, tuple[str, nn.Module | None, torch.Tensor]] = {}
    hooks = []
    modules = dict(model.named_children())
    for child, layer in owner.items():
        module = modules[child]

        def hook(
            _m: nn.Module, _i: Any, out: torch.Tensor, layer: str = layer, child: str = child
        ) -> None:
            act = modules[child] if child != layer else None
            captured[layer] = (child, act, out.detach().float().cpu().clone())

        hooks.append(module.register_forward_hook(hook))
    try:
        model.eval()
        with torch.inference_mode():
            inputs = probe.contiguous(memory_format=torch.channels_last) if channels_last else probe
            model(inputs)
    finally:
        for handle in hooks:
            handle.remove()
    return captured


def _activation_summary(module: nn.Module | None, out: torch.Tensor | None) -> dict[str, Any]:
    if out is None:
        return {"activation_mean": None, "activation_std": None, "dead_fraction": None,
                "saturated_fraction": None}  # fmt: skip
    kind = _activation_kind(module)
    summary: dict[str, Any] = {
        "activation_mean": finite(out.mean().item()),
        "activation_std": finite(out.std().item()) if out.numel() > 1 else None,
        "dead_fraction": None,
        "saturated_fraction": None,
    }
    if kind in ("relu", "leaky_relu"):
        # A unit is dead when it is not positive for any probe image: no gradient flows through it.
        alive = (out > 0).flatten(1).any(dim=0)  # (units,)
        summary["dead_fraction"] = finite(1.0 - alive.float().mean().item())
    elif kind == "sigmoid":
        summary["saturated_fraction"] = finite(((out < 0.01) | (out > 0.99)).float().mean().item())
    elif kind == "tanh":
        summary["saturated_fraction"] = finite((out.abs() > 0.99).float().mean().item())
    return summary
