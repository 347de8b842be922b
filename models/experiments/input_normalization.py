"""Input normalisation: raw pixels, [0, 1], or standardised, into the same MLP and SGD."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from models.cost import mlp_train_s
from models.experiment import Answer, Experiment, Float, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.runner import Context


class InputParams(Params):
    input_scaling: Literal["raw", "unit", "standard"] = param(
        "standard", "입력 스케일", "Input scaling"
    )
    lr: Float = f.lr(0.01)
    depth: Int = f.depth(2, 6)
    width: Int = f.width(128)
    epochs: Int = f.epochs(2, 10)
    batch_size: Int = f.batch_size(64)
    train_subset: Int = f.train_subset(15000)


def cost(p: InputParams) -> float:
    return mlp_train_s((p.width,) * p.depth, p.train_subset, p.epochs, p.batch_size)


def run(p: InputParams, context: Context) -> dict[str, Any]:
    """The same MLP and SGD fed raw, [0, 1] or standardised pixels."""
    from models.runner import STANDARD_SCALE, STANDARD_SHIFT, Plan, mlp
    from models.train import Dataset, TrainConfig, finite

    scale, shift = {
        "raw": (1.0, 0.0),
        "unit": (1.0 / 255.0, 0.0),
        "standard": (STANDARD_SCALE, STANDARD_SHIFT),
    }[p.input_scaling]
    mnist, device = context.data, context.device
    index = context.subset(p.train_subset)
    pixels = mnist.train.pixels if index is None else mnist.train.pixels[index]
    labels = mnist.train.labels if index is None else mnist.train.labels[index]

    def scaled(raw: Any) -> Any:
        return (raw.unsqueeze(1).float() * scale + shift).to(device)  # (N, 1, 28, 28)

    train = Dataset(scaled(pixels), labels.to(device))
    test = Dataset(scaled(mnist.test.pixels), mnist.test.labels.to(device))
    config = TrainConfig(epochs=p.epochs, batch_size=p.batch_size, optimizer="sgd", lr=p.lr)
    plan = Plan(mlp((p.width,) * p.depth), config, train, test, scale, shift)
    plan.extra["input_range"] = [
        finite(train.inputs.min().item()),
        finite(train.inputs.max().item()),
    ]
    return context.train(plan)


EXPERIMENT = Experiment(
    slug="input-normalization",
    order=60,
    title_ko="입력 정규화 켜고 끄기",
    title_en="Input normalisation on and off",
    summary_ko=(
        "픽셀 값을 그대로(0-255), [0, 1]로, 평균 0/표준편차 1로 넣어 같은 MLP를 SGD로 "
        "학습합니다. 입력의 크기가 학습 속도와 안정성에 주는 영향을 봅니다."
    ),
    summary_en=(
        "Feeds pixels raw (0-255), scaled to [0, 1], or standardised (mean 0, std 1) to the "
        "same MLP trained with SGD, to see how input scale affects speed and stability."
    ),
    answers=(
        Answer(
            "4",
            "같은 학습률에서 원래 값(0-255)은 손실이 발산하거나 멈추고, [0, 1]은 느리며, "
            "표준화한 입력이 가장 빨리 내려갑니다.",
            "At the same rate raw pixels (0-255) diverge or stall, [0, 1] learns slowly, and "
            "standardised inputs go down fastest.",
        ),
    ),
    params_model=InputParams,
    compare_param="input_scaling",
    compare_values=("raw", "unit", "standard"),
    cost=cost,
    budget_param="train_subset",
    run=run,
)
