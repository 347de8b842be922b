"""Optimisers: the same MLP and data order with SGD, momentum, Nesterov, RMSprop, Adam, Adagrad."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from models.cost import mlp_train_s
from models.experiment import Answer, Experiment, Float, Int, OptionalFloat, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.context import Context, Plan

# Each optimiser's customary learning rate, used when the user leaves `lr` empty.
USUAL_LR = {
    "sgd": 0.01,
    "momentum": 0.01,
    "nesterov": 0.01,
    "rmsprop": 0.001,
    "adam": 0.001,
    "adagrad": 0.01,
}


class OptimizerParams(Params):
    optimizer: Literal["sgd", "momentum", "nesterov", "rmsprop", "adam", "adagrad"] = param(
        "adam", "옵티마이저", "Optimiser"
    )
    lr: OptionalFloat = f.lr(None)
    momentum: Float = param(0.9, "모멘텀", "Momentum", ge=0.0, le=0.99)
    depth: Int = f.depth(2, 6)
    width: Int = f.width(128)
    epochs: Int = f.epochs(2, 10)
    batch_size: Int = f.batch_size(64)
    train_subset: Int = f.train_subset(15000)


def cost(p: OptimizerParams) -> float:
    return mlp_train_s((p.width,) * p.depth, p.train_subset, p.epochs, p.batch_size)


def make_plan(p: OptimizerParams, context: Context) -> Plan:
    """A ReLU MLP; only the optimiser (and its usual rate, unless given) changes."""
    from models.runner import mlp, standard_plan
    from models.train import TrainConfig

    lr = USUAL_LR[p.optimizer] if p.lr is None else p.lr
    config = TrainConfig(
        epochs=p.epochs, batch_size=p.batch_size, optimizer=p.optimizer, lr=lr, momentum=p.momentum
    )
    plan = standard_plan(mlp((p.width,) * p.depth), config, context, p.train_subset)
    plan.extra["lr"] = lr
    return plan


def run(p: OptimizerParams, context: Context) -> dict[str, Any]:
    return context.train(make_plan(p, context))


EXPERIMENT = Experiment(
    slug="optimizers",
    order=30,
    title_ko="옵티마이저: SGD, 모멘텀, Nesterov, RMSprop, Adam, Adagrad",
    title_en="Optimisers: SGD, momentum, Nesterov, RMSprop, Adam, Adagrad",
    summary_ko=(
        "같은 MLP, 같은 데이터 순서로 옵티마이저만 바꿔 손실 곡선을 비교합니다. "
        "학습률을 비우면 각 옵티마이저의 일반적인 기본값을 씁니다."
    ),
    summary_en=(
        "Same MLP, same data order, only the optimiser changes: compare the loss curves. "
        "Leave the learning rate empty to use each optimiser's usual rate."
    ),
    answers=(
        Answer(
            "14-1",
            "모멘텀과 Adam의 손실 곡선이 SGD보다 빨리, 덜 멈칫거리며 내려가는지 보세요: "
            "쌓인 속도가 평평한 곳과 얕은 골짜기를 지나가게 합니다.",
            "See momentum and Adam go down faster and with fewer stalls than SGD: the "
            "accumulated velocity carries them through flat spots and shallow dips.",
        ),
        Answer(
            "17",
            "같은 에폭에서 SGD, RMSprop, Adam의 손실과 테스트 정확도를 비교하세요. 적응형 "
            "학습률(RMSprop, Adam)은 기본 학습률로도 빨리 수렴합니다.",
            "Compare loss and test accuracy of SGD, RMSprop and Adam at the same epoch: the "
            "adaptive ones converge fast at their default rate.",
        ),
        Answer(
            "17-3",
            "SGD와 모멘텀(v ← μv + g, w ← w − ηv)의 곡선 차이가 μ=0.9의 효과입니다. "
            "모멘텀 값을 0으로 바꾸면 SGD와 같아집니다.",
            "The gap between SGD and momentum (v ← μv + g, w ← w − ηv) is μ = 0.9 at work; "
            "set momentum to 0 and the curves coincide.",
        ),
    ),
    params_model=OptimizerParams,
    compare_param="optimizer",
    compare_values=("sgd", "momentum", "rmsprop", "adam"),
    cost=cost,
    budget_param="train_subset",
    run=run,
    plan=make_plan,
)
