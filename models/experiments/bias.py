"""Why a bias: a ReLU network without one must pass through the origin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.cost import mlp_train_s
from models.experiment import Answer, Experiment, Float, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.runner import Context


class BiasParams(Params):
    bias: bool = param(True, "편향 사용", "Use biases")
    offset: Float = param(
        2.0, "목표 곡선의 높이 (y 절편)", "Height of the target curve (intercept)", ge=-5.0, le=5.0
    )
    width: Int = f.width(64, 256)
    steps: Int = param(1500, "곡선 맞추기 스텝 수", "Curve-fitting steps", ge=100, le=5000)
    mnist_epochs: Int = param(1, "MNIST 에폭 수", "MNIST epochs", ge=1, le=5)
    train_subset: Int = f.train_subset(10000)


def cost(p: BiasParams) -> float:
    return p.steps * 0.6e-3 + mlp_train_s((p.width,), p.train_subset, p.mnist_epochs, 64)


def run(p: BiasParams, context: Context) -> dict[str, Any]:
    """A 1-D curve fitted with and without biases, then MNIST with and without them."""
    import torch

    from models.context import fit_chart
    from models.runner import accuracy, custom_result, mlp, quick_train, text
    from models.train import Dataset

    # 1-D: y = sin(x) + offset on [-3, 3]. Without biases, relu(w x) scales with x, so the
    # network's output at x = 0 is 0 whatever it learns.
    xs = torch.linspace(-3, 3, 200).unsqueeze(1)
    ys = torch.sin(xs) + p.offset
    net = torch.nn.Sequential(
        torch.nn.Linear(1, p.width, bias=p.bias),
        torch.nn.ReLU(),
        torch.nn.Linear(p.width, 1, bias=p.bias),
    )
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    for step in range(p.steps):
        loss = torch.nn.functional.mse_loss(net(xs), ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (step + 1) % 100 == 0:
            context.progress(step + 1, p.steps * 2, loss=loss.item())
    with torch.no_grad():
        fitted = net(xs)
    curve_mse = float(torch.nn.functional.mse_loss(fitted, ys))
    at_zero = float(net(torch.zeros(1, 1)).item())

    model = mlp((p.width,), bias=p.bias)
    train = context.train_set(p.train_subset)
    test = context.test_set()
    # Unit-scaled pixels (0 to 1): the background is 0, where a unit without a bias is 0 too.
    train = Dataset(train.inputs * 0.3081 + 0.1307, train.labels)
    test = Dataset(test.inputs * 0.3081 + 0.1307, test.labels)
    quick_train(
        model,
        train,
        epochs=p.mnist_epochs,
        batch_size=64,
        lr=0.002,
        generator=context.generator,
        context=context,
    )
    context.progress(1, 1)
    score = accuracy(model, test)
    chart = fit_chart(
        text("y = sin(x) + 높이 맞추기", "Fitting y = sin(x) + height"),
        xs,
        ys,
        fitted,
        text("신경망", "network"),
    )
    table = {
        "title": text("결과", "Results"),
        "columns": [
            text("곡선 MSE", "curve MSE"),
            text("x = 0에서의 출력", "output at x = 0"),
            text("MNIST 테스트 정확도", "MNIST test accuracy"),
        ],
        "rows": [[curve_mse, at_zero, score]],
        "percent": [2],
    }
    return custom_result(
        charts=[chart],
        tables=[table],
        test_accuracy=score,
        params_count=sum(t.numel() for t in model.parameters()),
    )


EXPERIMENT = Experiment(
    slug="bias",
    order=115,
    title_ko="편향(bias)이 있을 때와 없을 때",
    title_en="With and without biases",
    summary_ko=(
        "편향이 없는 ReLU 망은 f(0) = 0이고 f(ax) = a·f(x)여서 원점을 지나는 함수만 "
        "나타냅니다. 높이 2인 곡선을 맞추고, MNIST도 편향 없이 학습해 봅니다."
    ),
    summary_en=(
        "A ReLU network without biases has f(0) = 0 and f(ax) = a·f(x): it can only draw "
        "functions through the origin. It fits a curve at height 2, then MNIST without biases."
    ),
    answers=(
        Answer(
            "12-4",
            "편향 없이 맞춘 곡선은 x = 0에서 0으로 끌려 내려갑니다('x = 0에서의 출력' 열). "
            "편향은 활성화가 켜지는 지점과 출력의 높이를 옮겨 줍니다.",
            "Without biases the fitted curve is pinned to 0 at x = 0 (the 'output at x = 0' "
            "column). Biases move where each unit switches on and lift the output.",
        ),
    ),
    params_model=BiasParams,
    compare_param="bias",
    compare_values=(False, True),
    cost=cost,
    budget_param="steps",
    run=run,
)
