"""Debugging a network: overfit one batch, train on shuffled labels, catch the first NaN."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from models.experiment import Answer, Experiment, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.runner import Context

CHECKS = ("overfit_one_batch", "shuffled_labels", "find_nan")


class DebugParams(Params):
    check: Literal["overfit_one_batch", "shuffled_labels", "find_nan"] = param(
        "overfit_one_batch", "점검 방법", "Check"
    )
    steps: Int = param(300, "학습 스텝 수", "Training steps", ge=20, le=3000)
    width: Int = f.width(128)
    batch_size: Int = f.batch_size(32, 4, 256)


def cost(p: DebugParams) -> float:
    return p.steps * (0.5e-3 + p.batch_size * 784 * p.width * 0.05e-9) + 1.0


def run(p: DebugParams, context: Context) -> dict[str, Any]:
    import torch

    from models.runner import accuracy, custom_result, downsample, mlp, text
    from models.train import Dataset

    model = mlp((p.width,)).to(context.device)
    train, test = context.train_set(2000), context.test_set(2000)
    if p.check == "shuffled_labels":
        # The labels no longer say anything about the images: anything learned is memorised.
        train = Dataset(
            train.inputs, train.labels[torch.randperm(len(train), generator=context.generator)]
        )
    if p.check == "find_nan":
        return _find_nan(p, model, train, context)
    lr = 0.01 if p.check == "overfit_one_batch" else 0.003
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses, train_acc = [], []
    for step in range(p.steps):
        if p.check == "overfit_one_batch":
            index = torch.arange(p.batch_size)
        else:
            index = torch.randint(0, len(train), (p.batch_size,), generator=context.generator)
        logits = model(train.inputs[index])
        loss = torch.nn.functional.cross_entropy(logits, train.labels[index])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        train_acc.append(float((logits.argmax(1) == train.labels[index]).float().mean()))
        if (step + 1) % max(1, p.steps // 30) == 0:
            context.progress(step + 1, p.steps, loss=losses[-1])
    seen = Dataset(train.inputs[: p.batch_size], train.labels[: p.batch_size])
    fit = accuracy(model, seen if p.check == "overfit_one_batch" else train)
    score = accuracy(model, test)
    xs, ys = downsample(losses)
    _, accs = downsample(train_acc)
    charts: list[dict[str, Any]] = [
        {
            "title": text("학습 손실", "Training loss"),
            "x": text("스텝", "step"),
            "y": text("손실", "loss"),
            "log_y": p.check == "overfit_one_batch",
            "series": [{"name": text("학습", "training"), "x": xs, "y": ys, "style": "line"}],
        },
        {
            "title": text("배치 정확도 (%)", "Batch accuracy (%)"),
            "x": text("스텝", "step"),
            "y": text("정확도 (%)", "accuracy (%)"),
            "series": [
                {
                    "name": text("학습 배치", "training batch"),
                    "x": xs,
                    "y": [100 * a for a in accs],
                    "style": "line",
                }
            ],
        },
    ]
    table = {
        "title": text("결과", "Results"),
        "columns": [
            text("마지막 손실", "final loss"),
            text("학습에 쓴 데이터의 정확도", "accuracy on what it trained on"),
            text("테스트 정확도", "test accuracy"),
        ],
        "rows": [[losses[-1], fit, score]],
        "percent": [1, 2],
    }
    return custom_result(charts=charts, tables=[table], test_accuracy=score)


def _find_nan(p: DebugParams, model: Any, train: Any, context: Context) -> dict[str, Any]:
    """Far too high a learning rate: the loss overflows; anomaly detection names the operation
    whose backward first produced a NaN."""
    import warnings

    import torch

    from models.runner import custom_result, text

    opt = torch.optim.SGD(model.parameters(), lr=50.0)
    losses: list[float | None] = []
    caught, found_at = "", None
    for step in range(p.steps):
        index = torch.randint(0, len(train), (p.batch_size,), generator=context.generator)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "anomaly detection is slow": we know
                with torch.autograd.detect_anomaly(check_nan=True):
                    # A hand-written cross-entropy, a classic bug: log(softmax) underflows to
                    # log(0) = -inf once the logits grow, and its backward makes 0 * inf = NaN.
                    probs = torch.softmax(model(train.inputs[index]), dim=1)
                    loss = -probs[torch.arange(len(index)), train.labels[index]].log().mean()
                    opt.zero_grad()
                    loss.backward()
        except RuntimeError as exc:
            caught, found_at = str(exc).splitlines()[0][:300], step + 1
            losses.append(loss.item())
            break
        opt.step()
        losses.append(loss.item())
        context.progress(step + 1, p.steps, loss=losses[-1])
    context.progress(p.steps, p.steps)
    chart = {
        "title": text("학습 손실 (학습률 50)", "Training loss (learning rate 50)"),
        "x": text("스텝", "step"),
        "y": text("손실", "loss"),
        "log_y": True,
        "series": [
            {
                "name": text("학습", "training"),
                "x": list(range(1, len(losses) + 1)),
                "y": losses,
                "style": "line",
            }
        ],
    }
    table = {
        "title": text("처음 NaN이 나온 곳", "Where the first NaN appeared"),
        "columns": [
            text("스텝", "step"),
            text("torch.autograd.detect_anomaly의 보고", "what detect_anomaly reported"),
        ],
        "rows": [[found_at, caught or text("NaN 없음", "no NaN")]],
    }
    return custom_result(charts=[chart], tables=[table])


EXPERIMENT = Experiment(
    slug="debugging",
    order=90,
    title_ko="신경망 디버깅: 배치 하나 과적합, 뒤섞은 라벨, NaN 찾기",
    title_en="Debugging a network: overfit one batch, shuffled labels, find the NaN",
    summary_ko=(
        "모델이 배울 수 있는지(배치 하나를 완벽히 외우는지), 데이터가 아니라 라벨을 외우는지"
        "(라벨을 섞으면 테스트가 10%), 어디서 NaN이 생기는지(anomaly detection) 점검합니다."
    ),
    summary_en=(
        "Checks whether a model can learn at all (memorise one batch), whether it memorises "
        "rather than generalises (shuffled labels: test stays at 10%), and where a NaN comes "
        "from (anomaly detection)."
    ),
    answers=(
        Answer(
            "10",
            "배치 하나 과적합: 손실이 0 가까이 떨어지지 않으면 모델이나 손실 코드에 버그가 "
            "있습니다. 뒤섞은 라벨: 학습 정확도는 오르지만 테스트는 10%에 머뭅니다. NaN 찾기: "
            "표에 NaN을 처음 만든 연산이 나옵니다.",
            "Overfit one batch: if the loss does not fall near 0, the model or loss code has a "
            "bug. Shuffled labels: training accuracy climbs while test stays at 10%. Find the "
            "NaN: the table names the operation that made the first NaN.",
        ),
    ),
    params_model=DebugParams,
    compare_param="check",
    compare_values=CHECKS,
    cost=cost,
    budget_param="steps",
    run=run,
)
