"""Weight initialisation: the same deep MLP started from zeros, LeCun, Xavier or He."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from models.cost import mlp_train_s
from models.experiment import Answer, Experiment, Float, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.context import Context, Plan


class InitParams(Params):
    init: Literal["zeros", "lecun", "xavier", "he"] = param("he", "초기화 방법", "Initialisation")
    activation: Literal["relu", "tanh", "sigmoid"] = param(
        "relu", "활성화 함수", "Activation function"
    )
    depth: Int = f.depth(6)
    width: Int = f.width(128)
    lr: Float = f.lr(0.05)
    epochs: Int = f.epochs(2, 10)
    batch_size: Int = f.batch_size(64)
    train_subset: Int = f.train_subset(12000)


def cost(p: InitParams) -> float:
    return mlp_train_s((p.width,) * p.depth, p.train_subset, p.epochs, p.batch_size)


def make_plan(p: InitParams, context: Context) -> Plan:
    """The same deep MLP, re-initialised by the chosen scheme, trained with plain SGD."""
    from models.runner import initial_stats, mlp, standard_plan
    from models.train import TrainConfig

    model = mlp((p.width,) * p.depth, activation=p.activation, init=p.init)
    config = TrainConfig(epochs=p.epochs, batch_size=p.batch_size, optimizer="sgd", lr=p.lr)
    plan = standard_plan(model, config, context, p.train_subset)
    plan.extra["initial_layer_stats"] = initial_stats(model, plan.test)
    return plan


def run(p: InitParams, context: Context) -> dict[str, Any]:
    return context.train(make_plan(p, context))


EXPERIMENT = Experiment(
    slug="initialization",
    order=20,
    title_ko="가중치 초기화: 0, LeCun, Xavier, He",
    title_en="Weight initialisation: zeros, LeCun, Xavier, He",
    summary_ko=(
        "같은 깊은 MLP를 초기화 방법만 바꿔 학습합니다. 학습 전 층별 활성값 분포와 "
        "학습 곡선으로 0 초기화의 대칭 문제와 He/Xavier의 차이를 봅니다."
    ),
    summary_en=(
        "Trains the same deep MLP with only the initialisation changed. The per-layer "
        "activation spread before training and the learning curves show why zeros fail "
        "and how Xavier and He differ."
    ),
    answers=(
        Answer(
            "8",
            "층별 통계에서 '학습 전'과 '활성값 표준편차'를 고르세요. He는 층이 깊어져도 "
            "분포가 유지되고, 0 초기화는 모든 뉴런이 같아 손실이 2.3(찍기)에 머뭅니다.",
            "In the per-layer statistics choose 'before training' and 'activation std': He "
            "keeps the spread through depth; zeros make every unit identical and the loss "
            "stays at 2.3 (guessing).",
        ),
    ),
    params_model=InitParams,
    compare_param="init",
    compare_values=("zeros", "lecun", "xavier", "he"),
    cost=cost,
    budget_param="train_subset",
    run=run,
    plan=make_plan,
)
