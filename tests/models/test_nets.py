"""The networks: shapes, sizes and initialisation schemes."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from models.nets import Cnn, CnnConfig, Mlp, MlpConfig, count_params


def test_shapes_and_sizes() -> None:
    x = torch.zeros(5, 1, 28, 28)
    mlp = Mlp(MlpConfig(hidden=(256,)))
    cnn = Cnn(CnnConfig())
    assert mlp(x).shape == cnn(x).shape == (5, 10)
    assert count_params(mlp) == 784 * 256 + 256 + 256 * 10 + 10
    # conv 1->12 (5x5) + conv 12->24 (3x3) + fc 24*7*7->128 + fc 128->10
    assert count_params(cnn) == (12 * 25 + 12) + (24 * 12 * 9 + 24) + (1176 * 128 + 128) + 1290
    pooled = Cnn(CnnConfig(downsample="maxpool"))
    assert pooled(x).shape == (5, 10)
    # conv 1->12 (3x3) + conv 12->24 (3x3) + fc 24*6*6->128 + fc 128->10
    assert count_params(pooled) == (12 * 9 + 12) + (24 * 12 * 9 + 24) + (864 * 128 + 128) + 1290
    names = [
        n for n, _ in Mlp(MlpConfig(hidden=(8, 8), batch_norm=True, dropout=0.1)).named_children()
    ]
    assert names == ["flatten", "fc1", "bn1", "act1", "drop1", "fc2", "bn2", "act2", "drop2", "out"]


@pytest.mark.parametrize(
    ("init", "std"),
    [("zeros", 0.0), ("lecun", (1 / 784) ** 0.5), ("xavier", (2 / (784 + 512)) ** 0.5),
     ("he", (2 / 784) ** 0.5)],
)  # fmt: skip
def test_initialisation_schemes(init: str, std: float) -> None:
    torch.manual_seed(0)
    model = Mlp(MlpConfig(hidden=(512,), init=init))
    fc1 = dict(model.named_children())["fc1"]
    assert isinstance(fc1, nn.Linear)
    assert fc1.weight.std().item() == pytest.approx(std, rel=0.02, abs=1e-9)
    assert fc1.bias.abs().sum().item() == 0


def test_a_channels_last_cnn_gets_the_same_gradients_and_keeps_its_layout() -> None:
    """The CNN's flatten hands a channels-last gradient back (so the ReLU before it stays on its
    fast path) and changes no number: gradients equal those of the plain layout."""
    torch.manual_seed(0)
    plain = Cnn(CnnConfig())
    fast = copy.deepcopy(plain).to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    inputs = torch.randn(16, 1, 28, 28)
    labels = torch.randint(0, 10, (16,))
    seen: list[torch.Tensor] = []

    def keep_gradient(_module: nn.Module, inputs: tuple[torch.Tensor, ...], _out: object) -> None:
        inputs[0].register_hook(seen.append)

    fast.flatten.register_forward_hook(keep_gradient)
    for model, x in ((plain, inputs), (fast, inputs.contiguous(memory_format=torch.channels_last))):
        torch.nn.functional.cross_entropy(model(x), labels).backward()
    assert seen and seen[0].is_contiguous(memory_format=torch.channels_last)
    assert not seen[0].is_contiguous()
    for (name, a), b in zip(plain.named_parameters(), fast.parameters(), strict=True):
        assert a.grad is not None and b.grad is not None
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-6, msg=name)
