"""A small grid search over learning rate and batch size, as a heatmap of accuracy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.cost import mlp_train_s
from models.experiment import Answer, Experiment, Int, Params
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.runner import Context

RATES = (0.001, 0.01, 0.1, 0.5, 2.0)
BATCHES = (16, 64, 256)


class SearchParams(Params):
    width: Int = f.width(64, 256)
    epochs: Int = f.epochs(1, 3)
    train_subset: Int = f.train_subset(4000, 500, 20000)


def cost(p: SearchParams) -> float:
    return sum(
        mlp_train_s((p.width,), p.train_subset, p.epochs, b, evaluate=5000) + 0.1 for b in BATCHES
    ) * len(RATES)


def run(p: SearchParams, context: Context) -> dict[str, Any]:
    """Every (learning rate, batch size) pair trains the same MLP with plain SGD."""
    import torch

    from models.runner import accuracy, custom_result, mlp, quick_train, text

    train, test = context.train_set(p.train_subset), context.test_set(5000)
    grid = []
    done = 0
    for lr in RATES:
        row: list[Any] = [lr]
        for batch in BATCHES:
            torch.manual_seed(p.seed)
            model = mlp((p.width,)).to(context.device)
            losses = quick_train(
                model,
                train,
                epochs=p.epochs,
                batch_size=batch,
                lr=lr,
                optimizer="sgd",
                generator=torch.Generator().manual_seed(p.seed),
                context=context,
            )
            finite = all(v == v and abs(v) < 1e6 for v in losses)
            row.append(accuracy(model, test) if finite else None)
            done += 1
            context.progress(done, len(RATES) * len(BATCHES))
        grid.append(row)
    best = max(
        ((r[0], BATCHES[j], v) for r in grid for j, v in enumerate(r[1:]) if v is not None),
        key=lambda t: t[2],
    )
    table = {
        "title": text(
            "검증 정확도: 행은 학습률, 열은 배치 크기",
            "Validation accuracy: rows learning rate, columns batch size",
        ),
        "columns": [text("학습률 \\ 배치", "rate \\ batch")]
        + [text(str(b), str(b)) for b in BATCHES],
        "rows": grid,
        "percent": [1, 2, 3],
        "heatmap": True,
    }
    return custom_result(
        tables=[table],
        test_accuracy=best[2],
        extra={"best_lr": best[0], "best_batch_size": best[1]},
    )


EXPERIMENT = Experiment(
    slug="hyperparameter-search",
    order=70,
    title_ko="하이퍼파라미터 탐색: 학습률 × 배치 크기",
    title_en="Hyperparameter search: learning rate × batch size",
    summary_ko=(
        "학습률 5개와 배치 크기 3개의 모든 조합으로 같은 MLP를 학습해 정확도를 격자로 "
        "보여 줍니다. 학습 전에 사람이 정하는 값이 결과를 얼마나 바꾸는지 봅니다."
    ),
    summary_en=(
        "Trains the same MLP for every pair of 5 learning rates and 3 batch sizes and shows "
        "the accuracy as a grid: how much the values fixed before training change the outcome."
    ),
    answers=(
        Answer(
            "7",
            "격자에서 가장 진한 칸이 최적 조합입니다. 하이퍼파라미터(학습률, 배치 크기)는 학습이 "
            "정하지 않고 사람이 정하는 값이며, 좋은 학습률은 배치 크기에 따라 달라집니다"
            "(대각선 모양).",
            "The darkest cell is the best pair. Hyperparameters (learning rate, batch size) are "
            "set by people, not learned, and the good rate moves with the batch size (the "
            "diagonal).",
        ),
    ),
    params_model=SearchParams,
    compare_param="epochs",
    compare_values=(1, 2),
    cost=cost,
    budget_param="train_subset",
    run=run,
)
