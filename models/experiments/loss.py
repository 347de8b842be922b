"""Train with one loss (cross-entropy, per-class BCE or MSE) and record all three."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from models.cost import mlp_train_s
from models.experiment import Answer, Experiment, Float, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.context import Context, Plan


class LossParams(Params):
    loss: Literal["cross_entropy", "bce", "mse"] = param("bce", "학습 손실", "Training loss")
    lr: Float = f.lr(0.001, 0.1)
    depth: Int = f.depth(1, 4)
    width: Int = f.width(128)
    epochs: Int = f.epochs(2, 10)
    batch_size: Int = f.batch_size(128)
    train_subset: Int = f.train_subset(20000)


def cost(p: LossParams) -> float:
    # The three monitored losses cost about as much as another layer.
    return mlp_train_s((p.width,) * (p.depth + 1), p.train_subset, p.epochs, p.batch_size)


def make_plan(p: LossParams, context: Context) -> Plan:
    """Train on one loss and record all three on every batch."""
    from torch import nn

    from models.optim import bce_loss, mse_loss
    from models.runner import mlp, standard_plan
    from models.train import TrainConfig

    config = TrainConfig(
        epochs=p.epochs, batch_size=p.batch_size, optimizer="adam", lr=p.lr, loss=p.loss
    )
    plan = standard_plan(mlp((p.width,) * p.depth), config, context, p.train_subset)
    plan.monitors = {
        "cross_entropy": lambda logits, labels: nn.functional.cross_entropy(logits, labels),
        "bce": bce_loss,
        "mse": mse_loss,
    }
    return plan


def run(p: LossParams, context: Context) -> dict[str, Any]:
    return context.train(make_plan(p, context))


EXPERIMENT = Experiment(
    slug="loss",
    order=90,
    title_ko="BCE로 학습하고 MSE로 지켜보기",
    title_en="Train with BCE, watch MSE",
    summary_ko=(
        "학습에 쓰는 손실(교차 엔트로피, 클래스별 BCE, MSE)과 관계없이 세 손실을 모두 "
        "기록합니다. 최적화하는 손실과 지켜보는 지표를 분리하는 방법을 보여 줍니다."
    ),
    summary_en=(
        "Whichever loss trains the model (cross-entropy, per-class BCE or MSE), all three are "
        "recorded, showing how the optimised loss and the watched metric can differ."
    ),
    answers=(
        Answer(
            "19-3",
            "'함께 기록한 손실' 차트: BCE로 학습하면서도 MSE와 교차 엔트로피가 함께 "
            "내려갑니다. 학습 손실과 보고하는 지표는 달라도 됩니다.",
            "The 'monitored losses' chart: training on BCE, the MSE and cross-entropy fall "
            "along with it. The optimised loss and the reported metric can differ.",
        ),
        Answer(
            "2",
            "손실 함수(cost function)는 예측이 얼마나 틀렸는지 하나의 수로 잽니다. 세 손실의 "
            "곡선이 모양은 달라도 같은 방향으로 움직이는 것을 보세요.",
            "A cost function scores how wrong the predictions are with one number; see the "
            "three losses move together though their shapes differ.",
        ),
    ),
    params_model=LossParams,
    compare_param="loss",
    compare_values=("cross_entropy", "bce", "mse"),
    cost=cost,
    budget_param="train_subset",
    run=run,
    plan=make_plan,
)
