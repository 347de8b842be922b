"""Overfitting and regularisation: a large MLP on little data; weight decay, dropout, stopping."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.cost import mlp_train_s
from models.experiment import Answer, Experiment, Float, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.context import Context, Plan

VALIDATION_SIZE = 2000


class OverfitParams(Params):
    # 2,000 training images stay out for validation.
    train_subset: Int = f.train_subset(1000, 100, 60_000 - VALIDATION_SIZE)
    weight_decay: Float = param(0.0, "Weight decay (L2)", "Weight decay (L2)", ge=0.0, le=0.1)
    dropout: Float = f.dropout(0.0)
    early_stopping: bool = param(False, "조기 종료", "Early stopping")
    patience: Int = param(
        3, "조기 종료 인내 에폭 수", "Early-stopping patience (epochs)", ge=1, le=20
    )
    epochs: Int = f.epochs(30, 100)
    depth: Int = f.depth(2, 4)
    width: Int = f.width(256, 1024)
    lr: Float = f.lr(0.05, 1.0)
    batch_size: Int = f.batch_size(64)


def cost(p: OverfitParams) -> float:
    # Test every 5 epochs, validation every epoch.
    evaluate = VALIDATION_SIZE + 10_000 // 5
    return mlp_train_s(
        (p.width,) * p.depth, p.train_subset, p.epochs, p.batch_size, evaluate=evaluate
    )


def make_plan(p: OverfitParams, context: Context) -> Plan:
    """A wide MLP on a small subset; validation images come from the unused training images."""
    import torch

    from models.runner import Plan, mlp
    from models.train import Dataset, TrainConfig

    mnist, device = context.data, context.device
    order = torch.randperm(len(mnist.train), generator=context.generator)
    held_out = order[p.train_subset :][:VALIDATION_SIZE]
    order = order[: p.train_subset]
    train = Dataset(mnist.train.images[order].to(device), mnist.train.labels[order].to(device))
    validation = Dataset(
        mnist.train.images[held_out].to(device), mnist.train.labels[held_out].to(device)
    )
    config = TrainConfig(
        epochs=p.epochs,
        batch_size=p.batch_size,
        optimizer="momentum",
        lr=p.lr,
        test_every=5,
        weight_decay=p.weight_decay,
        events_per_epoch=1,
        early_stopping_patience=p.patience if p.early_stopping else None,
    )
    model = mlp((p.width,) * p.depth, dropout=p.dropout)
    plan = Plan(model, config, train, context.test_set(), validation=validation)
    plan.extra["validation_size"] = len(validation)
    return plan


def run(p: OverfitParams, context: Context) -> dict[str, Any]:
    return context.train(make_plan(p, context))


EXPERIMENT = Experiment(
    slug="overfitting",
    order=70,
    title_ko="과적합과 규제: 작은 데이터, Weight Decay, 조기 종료",
    title_en="Overfitting and regularisation: small data, weight decay, early stopping",
    summary_ko=(
        "작은 학습 세트로 큰 MLP를 오래 학습해 학습/검증 손실이 벌어지는 것을 봅니다. "
        "검증 세트는 학습에 쓰지 않은 학습 이미지에서 따로 떼어 냅니다. "
        "Weight decay, 드롭아웃, 조기 종료로 간격을 줄여 봅니다."
    ),
    summary_en=(
        "Trains a large MLP for long on a small training set and watches training and "
        "validation loss part ways (validation images are held out of the training set). "
        "Weight decay, dropout and early stopping narrow the gap."
    ),
    answers=(
        Answer(
            "6",
            "weight decay 0의 검증 손실(점선)은 몇 에폭 뒤 다시 오르는데 학습 손실(실선)은 "
            "계속 내려갑니다. 0.01에서는 간격이 줄어듭니다. 조기 종료를 켜면 최저점에서 "
            "멈춥니다.",
            "With weight decay 0 the validation loss (dashed) turns back up after a few epochs "
            "while the training loss (solid) keeps falling; at 0.01 the gap narrows. Early "
            "stopping stops at the lowest point.",
        ),
        Answer(
            "15",
            "학습 정확도는 100%에 가까워지는데 테스트 정확도는 훨씬 낮습니다: 학습 데이터로 "
            "잰 성능은 새 데이터의 성능을 말해 주지 않습니다.",
            "Training accuracy nears 100% while test accuracy stays far lower: a score on the "
            "training data says nothing about new data.",
        ),
        Answer(
            "15-3",
            "weight decay 값별 검증 손실 곡선을 비교하세요: 규제는 학습 손실을 조금 올리는 "
            "대신 검증 손실을 낮춥니다.",
            "Compare the validation loss across weight decay values: regularisation costs a "
            "little training loss and buys a lower validation loss.",
        ),
    ),
    params_model=OverfitParams,
    compare_param="weight_decay",
    compare_values=(0.0, 0.001, 0.01),
    cost=cost,
    budget_param="epochs",
    run=run,
    plan=make_plan,
)
