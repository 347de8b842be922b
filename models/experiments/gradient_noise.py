"""How well a minibatch's gradient points along the full gradient, by batch size."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.experiment import Answer, Experiment, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.runner import Context

BATCHES = (1, 4, 16, 64, 256, 1024)


class NoiseParams(Params):
    width: Int = f.width(128)
    samples: Int = param(20, "배치 크기별 표본 수", "Minibatches drawn per size", ge=2, le=100)
    full_size: Int = param(
        10000, "'전체' 기울기에 쓸 데이터 수", "Examples in the full gradient", ge=1000, le=60000
    )
    warmup_steps: Int = param(
        200, "측정 전 학습 스텝 수", "Training steps before measuring", ge=0, le=2000
    )


def cost(p: NoiseParams) -> float:
    per_example = 784 * p.width * 0.1e-9
    measured = 2 * (p.full_size + p.samples * sum(BATCHES)) * per_example
    return measured + p.samples * len(BATCHES) * 2 * 1e-3 + p.warmup_steps * 1e-3


def run(p: NoiseParams, context: Context) -> dict[str, Any]:
    """Cosine between each minibatch gradient and the gradient over `full_size` examples, at the
    start and after `warmup_steps` of training."""
    import torch

    from models.runner import custom_result, mlp, quick_train, text
    from models.train import Dataset

    data = context.train_set(p.full_size)
    model = mlp((p.width,)).to(context.device)

    def gradient(inputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(inputs), labels).backward()
        return torch.cat([q.grad.flatten() for q in model.parameters()])  # type: ignore[union-attr]

    def measure(stage: int) -> list[tuple[float, float]]:
        full = gradient(data.inputs, data.labels)
        rows = []
        for i, size in enumerate(BATCHES):
            cosines = []
            for _ in range(p.samples):
                index = torch.randint(0, len(data), (size,), generator=context.generator)
                g = gradient(data.inputs[index], data.labels[index])
                cosines.append(float(torch.nn.functional.cosine_similarity(g, full, dim=0)))
            mean = sum(cosines) / len(cosines)
            spread = (sum((c - mean) ** 2 for c in cosines) / len(cosines)) ** 0.5
            rows.append((mean, spread))
            context.progress(stage * len(BATCHES) + i + 1, 2 * len(BATCHES))
        return rows

    start = measure(0)
    if p.warmup_steps:
        subset = Dataset(data.inputs, data.labels)
        quick_train(
            model,
            subset,
            epochs=p.warmup_steps * 64 / len(data),
            batch_size=64,
            lr=0.002,
            generator=context.generator,
            context=context,
        )
    trained = measure(1)
    chart = {
        "title": text(
            "미니배치 기울기와 전체 기울기의 코사인", "Cosine of minibatch and full gradient"
        ),
        "x": text("배치 크기", "batch size"),
        "y": text("코사인 유사도", "cosine similarity"),
        "log_x": True,
        "series": [
            {
                "name": text("학습 전", "at the start"),
                "x": list(BATCHES),
                "y": [m for m, _ in start],
                "style": "line",
            },
            {
                "name": text(f"{p.warmup_steps} 스텝 학습 후", f"after {p.warmup_steps} steps"),
                "x": list(BATCHES),
                "y": [m for m, _ in trained],
                "style": "dashed",
            },
        ],
    }
    table = {
        "title": text("배치 크기별 코사인 (평균 ± 표준편차)", "Cosine by batch size (mean ± std)"),
        "columns": [
            text("배치 크기", "batch size"),
            text("학습 전", "at the start"),
            text("표준편차", "std"),
            text("학습 후", "after training"),
            text("표준편차", "std"),
        ],
        "rows": [
            [b, s[0], s[1], t[0], t[1]] for b, s, t in zip(BATCHES, start, trained, strict=True)
        ],
    }
    return custom_result(charts=[chart], tables=[table])


EXPERIMENT = Experiment(
    slug="gradient-noise",
    order=172,
    title_ko="미니배치 기울기는 전체 기울기를 얼마나 따르나",
    title_en="How closely a minibatch gradient follows the full gradient",
    summary_ko=(
        "배치 크기 1부터 1024까지 무작위 미니배치의 기울기와 데이터 전체의 기울기 사이 "
        "코사인 유사도를 학습 전과 학습 중에 잽니다."
    ),
    summary_en=(
        "Measures the cosine similarity between random minibatch gradients (batch 1 to 1024) "
        "and the gradient over the whole data, at the start and during training."
    ),
    answers=(
        Answer(
            "17-1",
            "'확률적'이란 무작위로 뽑은 일부로 기울기를 추정한다는 뜻입니다. 배치 1의 "
            "기울기는 전체 방향과 코사인이 낮고(잡음이 큼), 배치가 커질수록 1에 가까워집니다. "
            "학습이 진행되면 잡음의 비중이 더 커집니다.",
            "'Stochastic' means the gradient is estimated from a random sample. A batch of 1 "
            "points far from the full direction (low cosine); larger batches approach 1. Later "
            "in training noise weighs even more.",
        ),
    ),
    params_model=NoiseParams,
    compare_param="width",
    compare_values=(32, 256),
    cost=cost,
    budget_param="samples",
    run=run,
)
