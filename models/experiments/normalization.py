"""Batch normalisation and dropout, and what train vs eval mode does to them at inference."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.cost import mlp_train_s
from models.experiment import Answer, Experiment, Float, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.runner import Context
    from models.train import Dataset


class NormParams(Params):
    batch_norm: bool = param(True, "배치 정규화", "Batch normalisation")
    dropout: Float = f.dropout(0.2)
    depth: Int = f.depth(4, 8)
    width: Int = f.width(128)
    lr: Float = f.lr(0.05)
    epochs: Int = f.epochs(2, 10)
    batch_size: Int = f.batch_size(64)
    train_subset: Int = f.train_subset(15000)


def cost(p: NormParams) -> float:
    # Batch norm and dropout add about one more layer's fixed cost each per hidden layer.
    layers = p.depth * (1 + int(p.batch_norm) + int(p.dropout > 0))
    return mlp_train_s((p.width,) * layers, p.train_subset, p.epochs, p.batch_size) * 0.8


def run(p: NormParams, context: Context) -> dict[str, Any]:
    """An MLP with BN and dropout switchable; afterwards scored in eval and in train mode."""
    from models.runner import mlp, standard_plan
    from models.train import TrainConfig

    model = mlp((p.width,) * p.depth, batch_norm=p.batch_norm, dropout=p.dropout)
    config = TrainConfig(epochs=p.epochs, batch_size=p.batch_size, optimizer="momentum", lr=p.lr)
    plan = standard_plan(model, config, context, p.train_subset)
    plan.after = lambda trained: {"inference_modes": _mode_accuracies(trained, plan.test)}
    return context.train(plan)


def _mode_accuracies(model: Any, test: Dataset) -> list[dict[str, Any]]:
    """Accuracy on the first 2000 test images in eval mode and in train mode at several batches.

    Train mode normalises with each batch's own statistics (and keeps dropping units), so the
    same image gets a different answer depending on what else is in its batch.
    """
    from models.runner import train_mode_accuracy
    from models.train import Dataset, evaluate, finite

    subset = Dataset(test.inputs[:2000], test.labels[:2000])
    rows = [
        {"mode": "eval", "batch_size": 2000, "accuracy": finite(evaluate(model, subset).accuracy)}
    ]
    for batch_size in (2000, 16, 2):
        accuracy = finite(train_mode_accuracy(model, subset, batch_size))
        rows.append({"mode": "train", "batch_size": batch_size, "accuracy": accuracy})
    return rows


EXPERIMENT = Experiment(
    slug="normalization",
    order=50,
    title_ko="배치 정규화와 드롭아웃, 학습/추론 모드",
    title_en="Batch normalisation and dropout, train vs eval mode",
    summary_ko=(
        "MLP에 배치 정규화와 드롭아웃을 켜고 끕니다. 학습 후 같은 모델을 eval 모드와 "
        "train 모드(배치 통계 사용, 드롭아웃 활성)로 평가해 추론 시 주의점을 보여 줍니다."
    ),
    summary_en=(
        "Turns batch norm and dropout on and off in an MLP. After training, the same model is "
        "scored in eval mode and in train mode (batch statistics, dropout active) to show "
        "what goes wrong at inference."
    ),
    answers=(
        Answer(
            "16",
            "배치 정규화를 켠 곡선이 같은 학습률에서 더 빨리 내려갑니다: 층마다 입력 분포가 "
            "일정해져 큰 학습률에도 안정적입니다.",
            "With batch norm the loss falls faster at the same rate: each layer sees inputs "
            "of a steady scale, so a large rate stays stable.",
        ),
        Answer(
            "16-1",
            "드롭아웃을 0과 0.5로 비교하세요. 학습 정확도는 낮아지지만 학습/테스트 간격이 "
            "줄어듭니다(규제 효과).",
            "Compare dropout 0 and 0.5: training accuracy drops but the train/test gap "
            "narrows (regularisation).",
        ),
        Answer(
            "16-2",
            "'추론 모드별 정확도' 표: eval 모드가 정답입니다. train 모드로 배치 2개씩 넣으면 "
            "배치 통계가 망가져 정확도가 크게 떨어집니다. 코드로는 model.eval().",
            "The 'accuracy by inference mode' table: eval mode is right; train mode with "
            "batches of 2 uses useless batch statistics and accuracy collapses. In code: "
            "model.eval().",
        ),
    ),
    params_model=NormParams,
    compare_param="batch_norm",
    compare_values=(False, True),
    cost=cost,
    budget_param="train_subset",
    run=run,
)
