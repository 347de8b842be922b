"""Batch size and learning rate with plain SGD, including a rate that is too high."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from models.cost import mlp_train_s
from models.experiment import Answer, Experiment, Float, Int, Params
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.context import Context, Plan


class BatchParams(Params):
    batch_size: Int = f.batch_size(64, 4, 4096)
    lr: Float = f.lr(0.1, 10.0)
    depth: Int = f.depth(2, 6)
    width: Int = f.width(128)
    epochs: Int = f.epochs(2, 10)
    train_subset: Int = f.train_subset(15000)


def cost(p: BatchParams) -> float:
    return mlp_train_s((p.width,) * p.depth, p.train_subset, p.epochs, p.batch_size)


def make_plan(p: BatchParams, context: Context) -> Plan:
    """Plain SGD: the rate and batch size are all there is."""
    from models.runner import mlp, standard_plan
    from models.train import TrainConfig

    # Frequent events, so a loss that climbs before it blows up is seen climbing.
    config = TrainConfig(
        epochs=p.epochs, batch_size=p.batch_size, optimizer="sgd", lr=p.lr, events_per_epoch=20
    )
    plan = standard_plan(mlp((p.width,) * p.depth), config, context, p.train_subset)
    plan.extra["steps_per_epoch"] = math.ceil(len(plan.train) / p.batch_size)
    return plan


def run(p: BatchParams, context: Context) -> dict[str, Any]:
    return context.train(make_plan(p, context))


EXPERIMENT = Experiment(
    slug="batch-size",
    order=40,
    title_ko="배치 크기와 학습률 (너무 큰 학습률 포함)",
    title_en="Batch size and learning rate (including one too high)",
    summary_ko=(
        "SGD로 배치 크기와 학습률을 바꿔 봅니다. 작은 배치는 스텝이 많고 손실이 요동치며, "
        "학습률이 너무 크면 손실이 오히려 커집니다."
    ),
    summary_en=(
        "Plain SGD with different batch sizes and learning rates. Small batches take many "
        "noisy steps; a learning rate that is too high makes the loss rise instead of fall."
    ),
    answers=(
        Answer(
            "13-2",
            "학습률 2.0의 손실 곡선: 내려가다 튀어 오르거나 발산합니다(한 스텝이 골짜기를 "
            "건너뜁니다). 0.7에서는 요동치고, 0.1에서는 매끄럽습니다.",
            "The loss at learning rate 2.0 jumps up or diverges (a step overshoots the "
            "valley); at 0.7 it wobbles, at 0.1 it is smooth.",
        ),
        Answer(
            "17-2",
            "비교할 값을 배치 크기(예: 8, 64, 512)로 바꿔 실행하세요. 작은 배치는 같은 "
            "에폭에 스텝이 많아 빨리 배우지만 곡선이 거칠고, 큰 배치는 매끄럽지만 느립니다.",
            "Compare batch sizes instead (e.g. 8, 64, 512): small batches take more steps per "
            "epoch and learn sooner but noisily; large ones are smooth but slower per epoch.",
        ),
    ),
    params_model=BatchParams,
    compare_param="lr",
    compare_values=(0.01, 0.1, 0.7, 2.0),
    cost=cost,
    budget_param="train_subset",
    run=run,
    plan=make_plan,
)
