"""The last layer: logits, softmax, temperature and calibration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.cost import mlp_train_s
from models.experiment import Answer, Experiment, Int, Params
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.runner import Context

TEMPERATURES = (0.25, 0.5, 1.0, 2.0, 4.0)
BINS = 10


class TemperatureParams(Params):
    width: Int = f.width(512, 1024)
    epochs: Int = f.epochs(10, 30)
    train_subset: Int = f.train_subset(3000, 500, 30000)


def cost(p: TemperatureParams) -> float:
    return mlp_train_s((p.width,), p.train_subset, p.epochs, 64, evaluate=0) + 1.0


def run(p: TemperatureParams, context: Context) -> dict[str, Any]:
    """A wide MLP trained long on little data (so it grows over-confident); its test logits are
    then divided by T: accuracy never changes, confidence and calibration do. The best T is
    fitted on a validation half of the test set and judged on the other half."""
    import torch

    from models.runner import custom_result, mlp, quick_train, text

    train, test = context.train_set(p.train_subset), context.test_set()
    model = mlp((p.width,)).to(context.device)
    quick_train(
        model,
        train,
        epochs=p.epochs,
        batch_size=64,
        lr=0.001,
        generator=context.generator,
        context=context,
    )
    model.eval()
    with torch.no_grad():
        logits = model(test.inputs).cpu()
    labels = test.labels.cpu()
    fit_half, judge_half = slice(0, 5000), slice(5000, 10000)
    candidates = torch.linspace(0.5, 5.0, 91)
    nll = [
        float(torch.nn.functional.cross_entropy(logits[fit_half] / t, labels[fit_half]))
        for t in candidates
    ]
    best = float(candidates[min(range(len(nll)), key=nll.__getitem__)])
    context.progress(1, 1)
    rows: list[list[Any]] = []
    curves: list[dict[str, Any]] = []
    for t in sorted({*TEMPERATURES, round(best, 2)}):
        probs = torch.softmax(logits[judge_half] / t, dim=1)
        confidence, guess = probs.max(1)
        right = (guess == labels[judge_half]).float()
        ece, points = _calibration(confidence, right)
        loss = float(torch.nn.functional.cross_entropy(logits[judge_half] / t, labels[judge_half]))
        rows.append([t, float(right.mean()), float(confidence.mean()), loss, ece])
        if t in (1.0, round(best, 2)):
            name = f"T = {t:g}" + (" (fitted)" if t == round(best, 2) else "")
            curves.append(
                {
                    "name": name,
                    "x": [x for x, _ in points],
                    "y": [100 * y for _, y in points],
                    "style": "line" if t == 1.0 else "dashed",
                }
            )
    curves.append(
        {
            "name": text("완벽한 보정", "perfectly calibrated"),
            "x": [0.0, 100.0],
            "y": [0.0, 100.0],
            "style": "points",
        }
    )
    for curve in curves[:-1]:
        curve["x"] = [100 * x for x in curve["x"]]
    example = (
        int((logits.argmax(1) != labels).nonzero()[0]) if (logits.argmax(1) != labels).any() else 0
    )
    softmax_chart = {
        "title": text(
            f"테스트 이미지 {example}의 확률, 온도별",
            f"Test image {example}'s probabilities by temperature",
        ),
        "x": text("숫자", "digit"),
        "y": text("확률 (%)", "probability (%)"),
        "series": [
            {
                "name": f"T = {t:g}",
                "x": list(range(10)),
                "y": [100 * v for v in torch.softmax(logits[example] / t, 0).tolist()],
                "style": "line" if t == 1.0 else "dashed",
            }
            for t in (0.5, 1.0, 4.0)
        ],
    }
    charts = [
        {
            "title": text(
                "신뢰도 대 실제 정확도 (보정 곡선)", "Confidence against accuracy (reliability)"
            ),
            "x": text("모델의 신뢰도 (%)", "model's confidence (%)"),
            "y": text("실제 정확도 (%)", "actual accuracy (%)"),
            "series": curves,
        },
        softmax_chart,
    ]
    table = {
        "title": text("온도 T로 나눈 로짓 (테스트 절반)", "Logits divided by T (held-out half)"),
        "columns": [
            text("온도 T", "temperature T"),
            text("정확도", "accuracy"),
            text("평균 신뢰도", "mean confidence"),
            text("NLL", "NLL"),
            text("보정 오차 (ECE)", "calibration error (ECE)"),
        ],
        "rows": rows,
        "percent": [1, 2, 4],
    }
    return custom_result(
        charts=charts,
        tables=[table],
        test_accuracy=rows[0][1],
        extra={"fitted_temperature": best, "true_label_of_example": int(labels[example])},
    )


def _calibration(confidence: Any, right: Any) -> tuple[float, list[tuple[float, float]]]:
    """Expected calibration error over 10 confidence bins, and each non-empty bin's
    (mean confidence, accuracy)."""
    ece, points = 0.0, []
    for i in range(BINS):
        low, high = i / BINS, (i + 1) / BINS
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            conf, acc = float(confidence[inside].mean()), float(right[inside].mean())
            ece += float(inside.float().mean()) * abs(conf - acc)
            points.append((conf, acc))
    return ece, points


EXPERIMENT = Experiment(
    slug="temperature",
    order=195,
    title_ko="마지막 층: 로짓, 소프트맥스, 온도, 보정",
    title_en="The last layer: logits, softmax, temperature, calibration",
    summary_ko=(
        "작은 데이터로 오래 학습해 과신하는 MLP의 로짓을 온도 T로 나눠 봅니다. 정확도는 "
        "그대로이고 신뢰도와 보정(신뢰도가 실제 정확도와 맞는지)만 바뀝니다."
    ),
    summary_en=(
        "Divides the logits of an over-confident MLP (trained long on little data) by a "
        "temperature T. Accuracy stays; confidence and calibration (does confidence match "
        "accuracy?) change."
    ),
    answers=(
        Answer(
            "19-2",
            "마지막 층은 클래스마다 점수(로짓)를 내고 소프트맥스가 확률로 바꿉니다. 표에서 T가 "
            "커질수록 평균 신뢰도가 내려가고 정확도는 그대로입니다. 보정 곡선이 대각선에 "
            "가까울수록 신뢰도를 믿을 수 있습니다(맞춘 T).",
            "The last layer gives each class a score (logit) and softmax turns them into "
            "probabilities. In the table a larger T lowers the confidence but never the "
            "accuracy; the closer the reliability curve to the diagonal (fitted T), the more "
            "the confidence can be trusted.",
        ),
    ),
    params_model=TemperatureParams,
    compare_param="train_subset",
    compare_values=(1000, 10000),
    cost=cost,
    budget_param="epochs",
    run=run,
)
