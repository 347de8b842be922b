"""Activation functions: the same deep MLP with sigmoid, tanh, ReLU or LeakyReLU."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from models.cost import mlp_train_s
from models.experiment import Answer, Experiment, Float, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.context import Context, Plan

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")


class ActivationParams(Params):
    activation: Literal["sigmoid", "tanh", "relu", "leaky_relu"] = param(
        "relu", "활성화 함수", "Activation function"
    )
    depth: Int = f.depth(6)
    width: Int = f.width(128)
    lr: Float = f.lr(0.05)
    epochs: Int = f.epochs(2, 10)
    batch_size: Int = f.batch_size(64)
    train_subset: Int = f.train_subset(12000)


def cost(p: ActivationParams) -> float:
    return mlp_train_s((p.width,) * p.depth, p.train_subset, p.epochs, p.batch_size)


def make_plan(p: ActivationParams, context: Context) -> Plan:
    """A deep MLP with plain SGD, so vanishing gradients are not hidden by adaptive steps.

    Each activation gets its customary initialisation (He for ReLU-like, Xavier for sigmoid and
    tanh), so the comparison is about the activation, not a mismatched start.
    """
    from models.runner import initial_stats, mlp, standard_plan
    from models.train import TrainConfig

    init = "he" if p.activation in ("relu", "leaky_relu") else "xavier"
    model = mlp((p.width,) * p.depth, activation=p.activation, init=init)
    config = TrainConfig(epochs=p.epochs, batch_size=p.batch_size, optimizer="sgd", lr=p.lr)
    plan = standard_plan(model, config, context, p.train_subset)
    plan.extra["initial_layer_stats"] = initial_stats(model, plan.test)
    return plan


def run(p: ActivationParams, context: Context) -> dict[str, Any]:
    return context.train(make_plan(p, context))


EXPERIMENT = Experiment(
    slug="activations",
    order=10,
    title_ko="활성화 함수: Sigmoid, Tanh, ReLU, LeakyReLU",
    title_en="Activation functions: sigmoid, tanh, ReLU, LeakyReLU",
    summary_ko=(
        "깊은 MLP를 같은 시드로 활성화 함수만 바꿔 학습합니다. 층별 기울기 크기로 "
        "기울기 소실을, 죽은 ReLU 비율로 ReLU의 문제를 직접 확인합니다."
    ),
    summary_en=(
        "Trains a deep MLP with only the activation changed, on the same seed. Per-layer "
        "gradient norms show vanishing gradients; the dead-unit fraction shows dying ReLUs."
    ),
    answers=(
        Answer(
            "5",
            "네 곡선의 손실을 비교하세요. 같은 깊이에서 시그모이드는 거의 배우지 못하고, "
            "ReLU 계열은 빠르게 내려갑니다.",
            "Compare the four loss curves: at this depth sigmoid barely learns while the "
            "ReLU family drops fast.",
        ),
        Answer(
            "12",
            "'층별 기울기 노름' 차트: 시그모이드에서는 입력 쪽 층의 기울기가 출력 쪽보다 "
            "수십 배 작습니다(기울기 소실). ReLU는 층마다 비슷합니다.",
            "The per-layer gradient chart: with sigmoid the layers near the input get "
            "gradients tens of times smaller than the last ones (vanishing); with ReLU they "
            "stay alike.",
        ),
        Answer(
            "12-3",
            "층별 통계에서 '죽은 뉴런 비율'을 고르세요: 어떤 입력에도 0만 내는 ReLU 뉴런의 "
            "비율입니다. LeakyReLU는 0에 가깝습니다. 학습률을 크게 하면 더 늘어납니다.",
            "In the per-layer statistics pick 'dead unit fraction': ReLU units that output 0 "
            "for every input. LeakyReLU stays near 0; a higher learning rate kills more.",
        ),
    ),
    params_model=ActivationParams,
    compare_param="activation",
    compare_values=ACTIVATIONS,
    cost=cost,
    budget_param="train_subset",
    run=run,
    plan=make_plan,
)
