"""The networks: a configurable MLP and a small CNN, as flat nn.Sequential stacks.

Both are flat sequences of named layers (`fc1`, `bn1`, `act1`, `drop1`, ..., `out`) so the
training loop can find each weight layer's activation for statistics, and the exporter can walk
them in order.
Inputs are (N, 1, 28, 28) float tensors; outputs are (N, 10) logits.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn

NUM_CLASSES = 10
IMAGE_SIZE = 28


@dataclass(frozen=True)
class MlpConfig:
    """A multi-layer perceptron: hidden widths, activation, initialisation, BN, dropout."""

    hidden: tuple[int, ...] = (256,)
    activation: str = "relu"  # sigmoid | tanh | relu | leaky_relu | identity
    init: str = "default"  # default (PyTorch's) | zeros | lecun | xavier | he
    batch_norm: bool = False
    dropout: float = 0.0
    bias: bool = True


@dataclass(frozen=True)
class CnnConfig:
    """Two conv layers that each halve the image, then one hidden linear layer."""

    channels: tuple[int, int] = (12, 24)
    hidden: int = 128
    activation: str = "relu"
    batch_norm: bool = False
    dropout: float = 0.0
    init: str = "default"
    # stride: strided convolutions do the downsampling (fast); maxpool: the classic
    # convolution + 2x2 max pooling.
    downsample: str = "stride"


def make_activation(name: str) -> nn.Module:
    """The activation module called `name`."""
    if name == "relu":
        return nn.ReLU(inplace=True)
    if name == "leaky_relu":
        return nn.LeakyReLU(0.01, inplace=True)
    if name == "sigmoid":
        return nn.Sigmoid()
    if name == "tanh":
        return nn.Tanh()
    if name == "identity":  # no non-linearity: the whole network is one linear map
        return nn.Identity()
    raise ValueError(f"unknown activation {name!r}")


class Mlp(nn.Sequential):
    """flatten -> [fc -> (bn) -> act -> (dropout)] x len(hidden) -> out."""

    config: MlpConfig

    def __init__(self, config: MlpConfig) -> None:
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        layers["flatten"] = nn.Flatten()  # (N, 1, 28, 28) -> (N, 784)
        width = IMAGE_SIZE * IMAGE_SIZE
        for i, out in enumerate(config.hidden, start=1):
            # BN re-centres the output, so a bias before it would be redundant.
            bias = config.bias and not config.batch_norm
            layers[f"fc{i}"] = nn.Linear(width, out, bias=bias)  # (N, out)
            if config.batch_norm:
                layers[f"bn{i}"] = nn.BatchNorm1d(out)
            layers[f"act{i}"] = make_activation(config.activation)
            if config.dropout > 0:
                layers[f"drop{i}"] = nn.Dropout(config.dropout)
            width = out
        layers["out"] = nn.Linear(width, NUM_CLASSES, bias=config.bias)  # (N, 10) logits
        super().__init__(layers)
        self.config = config
        init_weights(self, config.init)


class Cnn(nn.Sequential):
    """Two conv blocks, each halving height and width, then fc -> act -> (dropout) -> out.

    `stride`: conv5x5/2 -> (bn) -> act -> conv3x3/2 -> (bn) -> act; the convolutions skip the
    positions pooling would throw away, which makes a step about 2.5x cheaper on a CPU than
    `maxpool`: conv3x3 -> pool -> (bn) -> act -> conv3x3 (unpadded) -> pool -> (bn) -> act. There,
    pooling comes before the activation (the same for monotonic activations) so the activation
    and BN run on a quarter of the values.
    """

    config: CnnConfig

    def __init__(self, config: CnnConfig) -> None:
        if config.downsample == "stride":
            layers, side = _strided_blocks(config)
        elif config.downsample == "maxpool":
            layers, side = _pooled_blocks(config)
        else:
            raise ValueError(f"unknown downsampling {config.downsample!r}")
        c2 = config.channels[1]
        layers["flatten"] = Flatten()  # (N, c2 * side * side), channel-major (C, H, W) order
        layers["fc1"] = nn.Linear(c2 * side * side, config.hidden)  # (N, hidden)
        layers["act3"] = make_activation(config.activation)
        if config.dropout > 0:
            layers["drop3"] = nn.Dropout(config.dropout)
        layers["out"] = nn.Linear(config.hidden, NUM_CLASSES)  # (N, 10) logits
        super().__init__(layers)
        self.config = config
        init_weights(self, config.init)


class Flatten(nn.Flatten):
    """nn.Flatten whose gradient goes back in the memory format its input came in.

    A channels-last input is flattened in (C, H, W) order by a copy, and plain autograd hands
    the gradient back in the default (N, C, H, W) layout. The ReLU before it then sees its
    output and its gradient in two layouts, and its backward falls off the vectorised path:
    about 10% of the CNN's step on a CPU. Converting the gradient back costs one small copy.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if (
            x.dim() == 4
            and not x.is_contiguous()
            and x.is_contiguous(memory_format=torch.channels_last)
        ):
            return _FlattenChannelsLast.apply(x)  # type: ignore[no-any-return]
        return super().forward(x)


class _FlattenChannelsLast(torch.autograd.Function):
    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor) -> torch.Tensor:
        ctx.shape = x.shape  # type: ignore[attr-defined]
        return x.flatten(1)

    @staticmethod
    def backward(  # type: ignore[override]
        ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor
    ) -> torch.Tensor:
        shape = ctx.shape  # type: ignore[attr-defined]
        return grad.reshape(shape).contiguous(memory_format=torch.channels_last)


def _strided_blocks(config: CnnConfig) -> tuple[OrderedDict[str, nn.Module], int]:
    c1, c2 = config.channels
    bias = not config.batch_norm  # BN re-centres: a bias before it is redundant
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    layers["conv1"] = nn.Conv2d(1, c1, 5, stride=2, padding=2, bias=bias)  # (N, c1, 14, 14)
    if config.batch_norm:
        layers["bn1"] = nn.BatchNorm2d(c1)
    layers["act1"] = make_activation(config.activation)
    layers["conv2"] = nn.Conv2d(c1, c2, 3, stride=2, padding=1, bias=bias)  # (N, c2, 7, 7)
    if config.batch_norm:
        layers["bn2"] = nn.BatchNorm2d(c2)
    layers["act2"] = make_activation(config.activation)
    return layers, 7


def _pooled_blocks(config: CnnConfig) -> tuple[OrderedDict[str, nn.Module], int]:
    c1, c2 = config.channels
    bias = not config.batch_norm
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    layers["conv1"] = nn.Conv2d(1, c1, 3, padding=1, bias=bias)  # (N, c1, 28, 28)
    layers["pool1"] = nn.MaxPool2d(2)  # (N, c1, 14, 14)
    if config.batch_norm:
        layers["bn1"] = nn.BatchNorm2d(c1)
    layers["act1"] = make_activation(config.activation)
    layers["conv2"] = nn.Conv2d(c1, c2, 3, bias=bias)  # (N, c2, 12, 12)
    layers["pool2"] = nn.MaxPool2d(2)  # (N, c2, 6, 6)
    if config.batch_norm:
        layers["bn2"] = nn.BatchNorm2d(c2)
    layers["act2"] = make_activation(config.activation)
    return layers, 6


def init_weights(model: nn.Module, scheme: str) -> None:
    """Re-initialise every linear and conv layer with `scheme`; biases start at zero.

    LeCun: N(0, 1/fan_in); Xavier (Glorot): N(0, 2/(fan_in + fan_out)); He: N(0, 2/fan_in).
    """
    if scheme == "default":
        return
    for module in model.modules():
        if not isinstance(module, nn.Linear | nn.Conv2d):
            continue
        weight = module.weight
        fan_in = weight[0].numel()
        fan_out = weight.shape[0] * weight[0][0].numel()
        with torch.no_grad():
            if scheme == "zeros":
                weight.zero_()
            elif scheme == "lecun":
                weight.normal_(0.0, 1.0 / math.sqrt(fan_in))
            elif scheme == "xavier":
                weight.normal_(0.0, math.sqrt(2.0 / (fan_in + fan_out)))
            elif scheme == "he":
                weight.normal_(0.0, math.sqrt(2.0 / fan_in))
            else:
                raise ValueError(f"unknown initialisation {scheme!r}")
            if module.bias is not None:
                module.bias.zero_()


def count_params(model: nn.Module) -> int:
    """The number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
