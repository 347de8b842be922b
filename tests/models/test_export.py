"""The inference export: a plain-Python reading of the JSON gives the torch model's answers."""

from __future__ import annotations

import base64
import json

import pytest
import torch
from torch import nn

from models.export import decode_tensor, encode_tensor, export_inference
from models.nets import Cnn, CnnConfig, Mlp, MlpConfig
from models.runner import STANDARD_SCALE, STANDARD_SHIFT
from tests.models.inference_reference import forward


def _randomise_batchnorm(model: nn.Module) -> None:
    # Fresh BN layers are the identity; give them statistics so folding is really tested.
    generator = torch.Generator().manual_seed(1)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
            n = module.num_features
            assert module.running_mean is not None and module.running_var is not None
            module.running_mean.copy_(torch.randn(n, generator=generator) * 0.5)
            module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
            module.weight.data.copy_(torch.randn(n, generator=generator))  # some negative
            module.bias.data.copy_(torch.randn(n, generator=generator))


def _torch_probabilities(model: nn.Module, pixels: torch.Tensor) -> list[float]:
    model.eval()
    with torch.inference_mode():
        x = (pixels.float() * STANDARD_SCALE + STANDARD_SHIFT).view(1, 1, 28, 28)
        return torch.softmax(model(x), dim=1)[0].tolist()


@pytest.mark.parametrize(
    "model",
    [
        Mlp(MlpConfig(hidden=(32, 16), activation="leaky_relu", batch_norm=True, dropout=0.3)),
        Mlp(MlpConfig(hidden=(24,), activation="sigmoid")),
        Cnn(CnnConfig(channels=(4, 6), hidden=16, batch_norm=True, activation="tanh")),
        Cnn(CnnConfig(channels=(4, 6), hidden=16, batch_norm=True, downsample="maxpool")),
        Cnn(CnnConfig(dropout=0.2)),
        Cnn(CnnConfig(downsample="maxpool")),
    ],
    ids=["mlp-bn-leaky", "mlp-sigmoid", "cnn-bn-tanh", "cnn-pool-bn", "cnn", "cnn-pool"],
)
def test_reference_forward_matches_torch(model: nn.Module, mnist) -> None:  # noqa: ANN001
    torch.manual_seed(0)
    _randomise_batchnorm(model)
    exported = json.loads(json.dumps(export_inference(model, scale=STANDARD_SCALE,
                                                      shift=STANDARD_SHIFT)))  # fmt: skip
    ops = [layer["op"] for layer in exported["layers"]]
    assert "dropout" not in ops and ops[-1] == "softmax"
    pooled = isinstance(model, Cnn) and model.config.downsample == "maxpool"
    assert ("maxpool2d" in ops) == pooled
    if isinstance(model, Cnn) and pooled and model.config.batch_norm:
        assert ops.count("batchnorm") == 2  # after pooling: listed, not folded
    else:
        assert "batchnorm" not in ops  # folded into the conv or linear layer before it
    pixels = mnist.test.pixels[0]
    expected = _torch_probabilities(model, pixels)
    got = forward(exported, bytes(pixels.flatten().tolist()))
    assert got == pytest.approx(expected, abs=1e-5)


def test_tensors_round_trip_as_little_endian_float32() -> None:
    tensor = torch.tensor([[1.5, -2.0, 3.25]])
    encoded = encode_tensor(tensor)
    assert encoded["shape"] == [1, 3]
    assert base64.b64decode(encoded["data"])[:4] == b"\x00\x00\xc0\x3f"  # 1.5, little-endian
    assert torch.equal(decode_tensor(encoded), tensor)


def test_channels_last_weights_export_in_standard_order() -> None:
    model = Cnn(CnnConfig(channels=(3, 5), hidden=8))
    plain = export_inference(model, scale=1.0, shift=0.0)
    model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    assert export_inference(model, scale=1.0, shift=0.0) == plain
