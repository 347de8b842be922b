"""Choosing among many models on the test set, and how much that test score then overstates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.cost import mlp_train_s
from models.experiment import Answer, Experiment, Int, Params, param

if TYPE_CHECKING:
    from models.runner import Context


class ReuseParams(Params):
    candidates: Int = param(24, "비교할 모델 수", "Models to choose from", ge=2, le=64)
    test_size: Int = param(300, "테스트 세트 크기", "Test set size", ge=50, le=5000)
    train_subset: Int = param(1000, "학습 데이터 수", "Training examples", ge=200, le=10000)
    holdout_size: Int = param(
        10000, "새 데이터(홀드아웃) 크기", "Fresh holdout size", ge=1000, le=10000
    )


def cost(p: ReuseParams) -> float:
    return p.candidates * (mlp_train_s((64,), p.train_subset, 2, 32, evaluate=0) + 0.15)


def run(p: ReuseParams, context: Context) -> dict[str, Any]:
    """`candidates` small MLPs with random widths and rates, scored on a small test set, a
    separate validation set of the same size, and a large fresh holdout (MNIST's test images)."""
    import torch

    from models.runner import accuracy, custom_result, mlp, quick_train, text
    from models.train import Dataset

    mnist, device, g = context.data, context.device, context.generator
    order = torch.randperm(len(mnist.train), generator=g)
    cut = [p.train_subset, p.train_subset + p.test_size, p.train_subset + 2 * p.test_size]

    def part(index: torch.Tensor) -> Dataset:
        return Dataset(mnist.train.images[index].to(device), mnist.train.labels[index].to(device))

    train, test = part(order[: cut[0]]), part(order[cut[0] : cut[1]])
    validation = part(order[cut[1] : cut[2]])
    holdout = context.test_set(p.holdout_size)
    rows = []
    for i in range(p.candidates):
        # Near-equal candidates (as a late-stage search is): the test set's noise decides.
        width = int(2 ** torch.randint(5, 8, (1,), generator=g))
        lr = float(10 ** (torch.rand(1, generator=g) * 0.5 - 2.5))
        model = mlp((width,)).to(device)
        quick_train(model, train, epochs=2, batch_size=32, lr=lr, generator=g, context=context)
        rows.append(
            [
                i + 1,
                width,
                lr,
                accuracy(model, test),
                accuracy(model, validation),
                accuracy(model, holdout),
            ]
        )
        context.progress(i + 1, p.candidates)
    by_test = max(rows, key=lambda r: r[3])
    by_validation = max(rows, key=lambda r: r[4])
    summary = {
        "title": text("고른 모델의 점수", "The chosen model's scores"),
        "columns": [
            text("고른 기준", "chosen by"),
            text("모델", "model"),
            text("테스트 정확도", "test accuracy"),
            text("새 데이터 정확도", "fresh holdout accuracy"),
            text("부풀려진 정도", "overstated by"),
        ],
        "rows": [
            [
                text("테스트 세트", "the test set"),
                by_test[0],
                by_test[3],
                by_test[5],
                by_test[3] - by_test[5],
            ],
            [
                text("검증 세트", "a validation set"),
                by_validation[0],
                by_validation[3],
                by_validation[5],
                by_validation[3] - by_validation[5],
            ],
        ],
        "percent": [2, 3, 4],
    }
    table = {
        "title": text("모든 후보", "Every candidate"),
        "columns": [
            text("모델", "model"),
            text("은닉 뉴런", "hidden units"),
            text("학습률", "learning rate"),
            text("테스트", "test"),
            text("검증", "validation"),
            text("새 데이터", "fresh holdout"),
        ],
        "rows": sorted(rows, key=lambda r: -r[3]),
        "percent": [3, 4, 5],
    }
    ranked = sorted(rows, key=lambda r: -r[3])
    chart = {
        "title": text("테스트 점수 순으로 본 후보들", "Candidates ranked by test score"),
        "x": text("테스트 점수 순위", "rank on the test set"),
        "y": text("정확도 (%)", "accuracy (%)"),
        "series": [
            {
                "name": text("테스트", "test"),
                "x": list(range(1, len(ranked) + 1)),
                "y": [100 * r[3] for r in ranked],
                "style": "line",
            },
            {
                "name": text("새 데이터", "fresh holdout"),
                "x": list(range(1, len(ranked) + 1)),
                "y": [100 * r[5] for r in ranked],
                "style": "dashed",
            },
        ],
    }
    return custom_result(charts=[chart], tables=[summary, table], test_accuracy=by_test[5])


EXPERIMENT = Experiment(
    slug="test-reuse",
    order=150,
    title_ko="테스트 세트로 모델을 고르면 생기는 일",
    title_en="What happens when the test set picks the model",
    summary_ko=(
        "하이퍼파라미터가 다른 작은 모델 여러 개를 학습하고, 작은 테스트 세트에서 가장 좋은 "
        "것을 고릅니다. 그 점수를 큰 새 데이터의 점수와, 검증 세트로 고른 경우와 비교합니다."
    ),
    summary_en=(
        "Trains many small models with different hyperparameters and picks the best on a small "
        "test set, then compares its score with a large fresh holdout, and with picking on a "
        "separate validation set."
    ),
    answers=(
        Answer(
            "15-1",
            "'고른 모델의 점수' 표: 검증 세트로 고르면 테스트 점수는 여전히 새 데이터의 "
            "정직한 추정치입니다. 고르는 데 쓴 데이터는 평가에 쓸 수 없습니다.",
            "The 'chosen model' table: pick on a validation set and the test score remains an "
            "honest estimate of fresh data. Data used to choose cannot also judge.",
        ),
        Answer(
            "15-2",
            "테스트 세트로 고른 모델의 테스트 정확도는 새 데이터 정확도보다 높게 나옵니다"
            "('부풀려진 정도'). 후보가 많고 테스트 세트가 작을수록 더 부풀려집니다: 오염된 "
            "테스트 세트입니다.",
            "The model picked on the test set scores higher there than on fresh data ('overstated "
            "by'); more candidates and a smaller test set overstate more: a contaminated test "
            "set.",
        ),
    ),
    params_model=ReuseParams,
    compare_param="test_size",
    compare_values=(100, 2000),
    cost=cost,
    budget_param="candidates",
    run=run,
)
