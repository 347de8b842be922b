"""Many seeds: how much the final loss of the same network varies, and what lies between two
solutions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.cost import mlp_train_s
from models.experiment import Answer, Experiment, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.runner import Context


class SeedsParams(Params):
    runs: Int = param(6, "시드 수 (학습할 모델 수)", "Seeds (models trained)", ge=2, le=20)
    width: Int = f.width(64, 512)
    epochs: Int = f.epochs(3, 10)
    train_subset: Int = f.train_subset(5000, 500, 20000)
    points: Int = param(21, "두 해 사이 점 수", "Points between two solutions", ge=5, le=101)


def cost(p: SeedsParams) -> float:
    evaluate = p.points * 3 * p.train_subset // p.epochs
    each = mlp_train_s((p.width,), p.train_subset, p.epochs, 64, evaluate=evaluate)
    return p.runs * (each + 0.5)


def run(p: SeedsParams, context: Context) -> dict[str, Any]:
    """The same MLP from `runs` random starts (and data orders); then the loss along the straight
    line between the first two solutions, and between the first and a perturbed copy of it."""
    import torch
    from torch.nn.utils import parameters_to_vector, vector_to_parameters

    from models.runner import custom_result, mlp, quick_train, text
    from models.train import evaluate

    train, test = context.train_set(p.train_subset), context.test_set()
    rows, vectors = [], []
    for i in range(p.runs):
        torch.manual_seed(p.seed + i)
        model = mlp((p.width,)).to(context.device)
        quick_train(
            model,
            train,
            epochs=p.epochs,
            batch_size=64,
            lr=0.002,
            generator=torch.Generator().manual_seed(p.seed + i),
            context=context,
        )
        fit, held = evaluate(model, train), evaluate(model, test)
        rows.append([p.seed + i, fit.loss, fit.accuracy, held.loss, held.accuracy])
        vectors.append(parameters_to_vector(model.parameters()).detach().clone())
        context.progress(i + 1, p.runs + 1, loss=fit.loss)
    probe = mlp((p.width,)).to(context.device)

    def losses_between(a: torch.Tensor, b: torch.Tensor) -> list[float]:
        out = []
        for t in torch.linspace(0, 1, p.points).tolist():
            vector_to_parameters((1 - t) * a + t * b, probe.parameters())
            out.append(evaluate(probe, train).loss)
        return out

    ts = [round(t, 4) for t in torch.linspace(0, 1, p.points).tolist()]
    between = losses_between(vectors[0], vectors[1])
    context.progress(p.runs + 1, p.runs + 1)
    train_losses = [r[1] for r in rows]
    spread = {
        "min": min(train_losses),
        "max": max(train_losses),
        "mean": sum(train_losses) / len(train_losses),
    }
    charts = [
        {
            "title": text(
                "두 해를 잇는 직선 위의 학습 손실",
                "Training loss on the line between two solutions",
            ),
            "x": text(
                "시드 0의 해(0)에서 시드 1의 해(1)까지",
                "from seed 0's solution (0) to seed 1's (1)",
            ),
            "y": text("학습 손실", "training loss"),
            "series": [
                {
                    "name": text("직선 위 손실", "loss on the line"),
                    "x": ts,
                    "y": between,
                    "style": "line",
                }
            ],
        },
        {
            "title": text("시드별 최종 학습 손실", "Final training loss by seed"),
            "x": text("시드", "seed"),
            "y": text("학습 손실", "training loss"),
            "series": [
                {
                    "name": text("최종 손실", "final loss"),
                    "x": [r[0] for r in rows],
                    "y": train_losses,
                    "style": "points",
                }
            ],
        },
    ]
    table = {
        "title": text("시드별 결과", "By seed"),
        "columns": [
            text("시드", "seed"),
            text("학습 손실", "training loss"),
            text("학습 정확도", "training accuracy"),
            text("테스트 손실", "test loss"),
            text("테스트 정확도", "test accuracy"),
        ],
        "rows": rows,
        "percent": [2, 4],
    }
    return custom_result(
        charts=charts,
        tables=[table],
        test_accuracy=sum(r[4] for r in rows) / len(rows),
        extra={"train_loss": spread, "barrier": max(between) - max(between[0], between[-1])},
    )


EXPERIMENT = Experiment(
    slug="seeds",
    order=140,
    title_ko="여러 시드: 지역 최솟값들은 얼마나 다른가",
    title_en="Many seeds: how different are the local minima?",
    summary_ko=(
        "같은 MLP를 시드만 바꿔 여러 번 학습해 최종 손실의 분포를 보고, 두 해를 잇는 "
        "직선 위의 손실을 재 봅니다."
    ),
    summary_en=(
        "Trains the same MLP from several seeds, shows the spread of the final losses, and "
        "measures the loss on the straight line between two solutions."
    ),
    answers=(
        Answer(
            "14",
            "'시드별 결과' 표: 시작점이 달라 서로 다른 해에 도착하지만, 학습/테스트 손실은 "
            "거의 같습니다. 고차원에서는 나쁜 지역 최솟값보다 비슷하게 좋은 해가 대부분입니다.",
            "The 'by seed' table: different starts end at different solutions, yet their "
            "losses are nearly equal. In high dimensions most minima are about equally good.",
        ),
        Answer(
            "14-2",
            "전역 최솟값인지 직접 알 방법은 없습니다. 학습 손실이 0에 가까우면(표) 더 낮출 "
            "것이 거의 없다는 뜻이고, 직선 위 손실의 '언덕'(barrier)은 두 해가 서로 다른 "
            "골짜기에 있음을 보여 줍니다.",
            "There is no direct test. A training loss near 0 (table) leaves little to gain; the "
            "bump on the line between two solutions (barrier) shows they sit in different "
            "valleys.",
        ),
    ),
    params_model=SeedsParams,
    compare_param="width",
    compare_values=(16, 128),
    cost=cost,
    budget_param="runs",
    run=run,
)
