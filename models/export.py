"""The trained network as JSON that a browser can run without torch.

Format (version 1)::

    {
      "format": "mogi-inference", "version": 1, "dtype": "float32", "byte_order": "little",
      "input": {"shape": [1, 28, 28], "scale": s, "shift": b},
      "classes": ["0", ..., "9"],
      "layers": [ {"op": ...}, ... ]
    }

The input is one 28x28 image of uint8 pixels (0 = black background, 255 = white ink, row-major),
turned into x = pixel * scale + shift, shaped (C=1, H=28, W=28). The layers run in order on a single
example (no batch dimension). Tensors are {"shape": [...], "data": base64 of little-endian float32
in row-major (C-order) layout}. Ops:

- {"op": "flatten"}: (C, H, W) -> (C*H*W,), channel-major, the order PyTorch flattens in.
- {"op": "linear", "in_features": I, "out_features": O, "weight": (O, I), "bias": (O,)}:
  y[o] = bias[o] + sum_i weight[o, i] * x[i].
- {"op": "conv2d", "in_channels": I, "out_channels": O, "kernel_size": [KH, KW],
  "stride": [SH, SW], "padding": [PH, PW], "weight": (O, I, KH, KW), "bias": (O,)}:
  cross-correlation as in PyTorch, zero padding.
- {"op": "maxpool2d", "kernel_size": [KH, KW], "stride": [SH, SW], "padding": [0, 0]}.
- {"op": "batchnorm", "num_features": C, "scale": (C,), "shift": (C,)}: y = x * scale[c] + shift[c]
  per channel c (the running statistics already folded in); only where it could not be folded
  into the conv or linear layer just before it.
- {"op": "relu"}, {"op": "leaky_relu", "negative_slope": a}, {"op": "sigmoid"}, {"op": "tanh"}.
- {"op": "softmax"}: the last layer; its output is the 10 class probabilities.

Dropout does nothing at inference and is left out.
"""

from __future__ import annotations

import base64
import struct
from typing import Any

import torch
from torch import nn

FORMAT = "mogi-inference"
VERSION = 1


def encode_tensor(tensor: torch.Tensor) -> dict[str, Any]:
    """{"shape", "data"}: the values as base64 little-endian float32, row-major."""
    values = tensor.detach().to("cpu", torch.float32).flatten().tolist()
    data = struct.pack(f"<{len(values)}f", *values)
    return {"shape": list(tensor.shape), "data": base64.b64encode(data).decode("ascii")}


def decode_tensor(encoded: dict[str, Any]) -> torch.Tensor:
    """The tensor `encode_tensor` wrote."""
    raw = base64.b64decode(encoded["data"])
    values = struct.unpack(f"<{len(raw) // 4}f", raw)
    return torch.tensor(values, dtype=torch.float32).view(*encoded["shape"])


def export_inference(model: nn.Module, *, scale: float, shift: float) -> dict[str, Any]:
    """The eval-mode network `model` (a flat nn.Sequential) in the format above."""
    layers: list[dict[str, Any]] = []
    pending: dict[str, Any] | None = None  # the last linear/conv, until we know no BN follows
    for module in model.children():
        if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
            bn_scale, bn_shift = _bn_affine(module)
            if pending is not None:
                _fold(pending, bn_scale, bn_shift)
            else:
                layers.append(_batchnorm_op(bn_scale, bn_shift))
            continue
        if pending is not None:
            layers.append(_encode_weights(pending))
            pending = None
        if isinstance(module, nn.Linear | nn.Conv2d):
            pending = _weight_op(module)
        elif isinstance(module, nn.Dropout | nn.Identity):
            continue
        else:
            layers.append(_simple_op(module))
    if pending is not None:
        layers.append(_encode_weights(pending))
    layers.append({"op": "softmax"})
    return {
        "format": FORMAT,
        "version": VERSION,
        "dtype": "float32",
        "byte_order": "little",
        "input": {"shape": [1, 28, 28], "scale": scale, "shift": shift},
        "classes": [str(d) for d in range(10)],
        "layers": layers,
    }


def _bn_affine(module: nn.BatchNorm1d | nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    # Eval-mode BN is y = (x - mean) / sqrt(var + eps) * gamma + beta = x * scale + shift.
    assert module.running_mean is not None and module.running_var is not None
    mean = module.running_mean.detach().float()
    var = module.running_var.detach().float()
    gamma = module.weight.detach().float() if module.weight is not None else torch.ones_like(mean)
    beta = module.bias.detach().float() if module.bias is not None else torch.zeros_like(mean)
    scale = gamma / torch.sqrt(var + module.eps)
    return scale, beta - mean * scale


def _weight_op(module: nn.Linear | nn.Conv2d) -> dict[str, Any]:
    weight = module.weight.detach().float().cpu()
    out_features = weight.shape[0]
    bias = (
        module.bias.detach().float().cpu() if module.bias is not None else torch.zeros(out_features)
    )
    if isinstance(module, nn.Linear):
        return {
            "op": "linear",
            "in_features": module.in_features,
            "out_features": module.out_features,
            "weight": weight.clone(),
            "bias": bias.clone(),
        }
    if module.padding_mode != "zeros" or module.groups != 1 or module.dilation != (1, 1):
        raise ValueError("only plain zero-padded convolutions can be exported")
    return {
        "op": "conv2d",
        "in_channels": module.in_channels,
        "out_channels": module.out_channels,
        "kernel_size": list(module.kernel_size),
        "stride": list(module.stride),
        "padding": list(module.padding),  # type: ignore[arg-type]
        "weight": weight.clone(),
        "bias": bias.clone(),
    }


def _fold(op: dict[str, Any], scale: torch.Tensor, shift: torch.Tensor) -> None:
    # BN right after a layer scales each output unit: fold it into that unit's weights and bias.
    weight: torch.Tensor = op["weight"]
    op["weight"] = weight * scale.view(-1, *([1] * (weight.dim() - 1)))
    op["bias"] = op["bias"] * scale + shift


def _encode_weights(op: dict[str, Any]) -> dict[str, Any]:
    return {**op, "weight": encode_tensor(op["weight"]), "bias": encode_tensor(op["bias"])}


def _batchnorm_op(scale: torch.Tensor, shift: torch.Tensor) -> dict[str, Any]:
    return {
        "op": "batchnorm",
        "num_features": int(scale.shape[0]),
        "scale": encode_tensor(scale),
        "shift": encode_tensor(shift),
    }


def _simple_op(module: nn.Module) -> dict[str, Any]:
    if isinstance(module, nn.Flatten):
        return {"op": "flatten"}
    if isinstance(module, nn.ReLU):
        return {"op": "relu"}
    if isinstance(module, nn.LeakyReLU):
        return {"op": "leaky_relu", "negative_slope": module.negative_slope}
    if isinstance(module, nn.Sigmoid):
        return {"op": "sigmoid"}
    if isinstance(module, nn.Tanh):
        return {"op": "tanh"}
    if isinstance(module, nn.MaxPool2d):
        return {
            "op": "maxpool2d",
            "kernel_size": _pair(module.kernel_size),
            "stride": _pair(module.stride),
            "padding": _pair(module.padding),
        }
    raise ValueError(f"cannot export {type(module).__name__}")


def _pair(value: Any) -> list[int]:
    return list(value) if isinstance(value, tuple | list) else [int(value), int(value)]
