"""A plain-Python forward pass over the inference JSON: the reference the browser's JS follows.

No torch here on purpose: if this agrees with the torch model, the format says all a JS
implementation needs.
"""

from __future__ import annotations

import base64
import math
import struct
from typing import Any

Tensor = list[Any]  # nested lists of floats


def decode(encoded: dict[str, Any]) -> list[float]:
    raw = base64.b64decode(encoded["data"])
    values = list(struct.unpack(f"<{len(raw) // 4}f", raw))
    assert len(values) == math.prod(encoded["shape"])
    return values


def forward(model: dict[str, Any], pixels: bytes) -> list[float]:
    """The class probabilities for one 28x28 uint8 image."""
    assert model["format"] == "mogi-inference" and model["version"] == 1
    scale, shift = model["input"]["scale"], model["input"]["shift"]
    # (C, H, W) as nested lists
    x: Any = [[[pixels[r * 28 + c] * scale + shift for c in range(28)] for r in range(28)]]
    for layer in model["layers"]:
        x = OPS[layer["op"]](layer, x)
    return x


def _flatten(_layer: dict[str, Any], x: Any) -> list[float]:
    return [v for channel in x for row in channel for v in row]


def _linear(layer: dict[str, Any], x: list[float]) -> list[float]:
    weight, bias = decode(layer["weight"]), decode(layer["bias"])
    n_in, n_out = layer["in_features"], layer["out_features"]
    return [bias[o] + sum(weight[o * n_in + i] * x[i] for i in range(n_in)) for o in range(n_out)]


def _conv2d(layer: dict[str, Any], x: Tensor) -> Tensor:
    weight, bias = decode(layer["weight"]), decode(layer["bias"])
    c_in, c_out = layer["in_channels"], layer["out_channels"]
    kh, kw = layer["kernel_size"]
    sh, sw = layer["stride"]
    ph, pw = layer["padding"]
    h, w = len(x[0]), len(x[0][0])
    out_h, out_w = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    out = []
    for o in range(c_out):
        plane = []
        for r in range(out_h):
            row = []
            for c in range(out_w):
                total = bias[o]
                for i in range(c_in):
                    for dr in range(kh):
                        rr = r * sh + dr - ph
                        if not 0 <= rr < h:
                            continue
                        for dc in range(kw):
                            cc = c * sw + dc - pw
                            if 0 <= cc < w:
                                total += weight[((o * c_in + i) * kh + dr) * kw + dc] * x[i][rr][cc]
                row.append(total)
            plane.append(row)
        out.append(plane)
    return out


def _maxpool2d(layer: dict[str, Any], x: Tensor) -> Tensor:
    kh, kw = layer["kernel_size"]
    sh, sw = layer["stride"]
    assert layer["padding"] == [0, 0]
    h, w = len(x[0]), len(x[0][0])
    return [
        [
            [
                max(plane[r * sh + dr][c * sw + dc] for dr in range(kh) for dc in range(kw))
                for c in range((w - kw) // sw + 1)
            ]
            for r in range((h - kh) // sh + 1)
        ]
        for plane in x
    ]


def _batchnorm(layer: dict[str, Any], x: Any) -> Any:
    scale, shift = decode(layer["scale"]), decode(layer["shift"])
    if isinstance(x[0], list):  # (C, H, W)
        return [[[v * scale[ch] + shift[ch] for v in row] for row in plane]
                for ch, plane in enumerate(x)]  # fmt: skip
    return [v * scale[i] + shift[i] for i, v in enumerate(x)]


def _elementwise(fn: Any) -> Any:
    def apply(_layer: dict[str, Any], x: Any) -> Any:
        if isinstance(x, list):
            return [apply(_layer, v) for v in x]
        return fn(_layer, x)

    return apply


def _softmax(_layer: dict[str, Any], x: list[float]) -> list[float]:
    top = max(x)
    exps = [math.exp(v - top) for v in x]
    return [e / sum(exps) for e in exps]


OPS = {
    "flatten": _flatten,
    "linear": _linear,
    "conv2d": _conv2d,
    "maxpool2d": _maxpool2d,
    "batchnorm": _batchnorm,
    "relu": _elementwise(lambda _l, v: max(v, 0.0)),
    "leaky_relu": _elementwise(lambda layer, v: v if v > 0 else v * layer["negative_slope"]),
    "sigmoid": _elementwise(lambda _l, v: 1.0 / (1.0 + math.exp(-v))),
    "tanh": _elementwise(lambda _l, v: math.tanh(v)),
    "softmax": _softmax,
}
