"""Gradient descent on slices of the real loss surface of a small MLP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.experiment import Answer, Experiment, Float, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.runner import Context


class LandscapeParams(Params):
    lr: Float = f.lr(0.1, 5.0)
    steps: Int = param(300, "경사 하강 스텝 수", "Gradient-descent steps", ge=10, le=3000)
    width: Int = f.width(32, 256)
    train_subset: Int = f.train_subset(2000, 200, 10000)
    points: Int = param(41, "단면의 점 수", "Points along each slice", ge=11, le=201)


def cost(p: LandscapeParams) -> float:
    per_pass = p.train_subset * (784 * p.width) * 0.05e-9 + 0.3e-3
    return (p.steps * 3 + p.points * 3) * per_pass


def run(p: LandscapeParams, context: Context) -> dict[str, Any]:
    """Full-batch gradient descent from a random start. The loss is measured along the negative
    gradient at the start (what one step sees), and along the straight line from the start to
    where descent ended, with the path's own losses beside it."""
    import torch
    from torch.nn.utils import parameters_to_vector, vector_to_parameters

    from models.runner import accuracy, custom_result, mlp, text

    train = context.train_set(p.train_subset)
    model = mlp((p.width,))
    params = list(model.parameters())

    def loss_at(vector: torch.Tensor) -> float:
        vector_to_parameters(vector, params)
        with torch.no_grad():
            return float(torch.nn.functional.cross_entropy(model(train.inputs), train.labels))

    def gradient(vector: torch.Tensor) -> tuple[float, torch.Tensor]:
        vector_to_parameters(vector, params)
        model.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(train.inputs), train.labels)
        loss.backward()
        grads = [q.grad for q in params if q.grad is not None]
        return loss.item(), parameters_to_vector(grads).detach()

    start = parameters_to_vector(params).detach().clone()
    loss0, grad0 = gradient(start)
    # 1. Along the negative gradient at the start: x is the step size.
    direction = -grad0 / grad0.norm()
    reach = 4 * p.lr * float(grad0.norm())
    alphas = torch.linspace(-reach / 2, reach * 2, p.points).tolist()
    along_gradient = [loss_at(start + a * direction) for a in alphas]
    context.progress(1, 3)
    # 2. Descend, recording the loss and the distance travelled.
    current, path_loss, path_distance = start.clone(), [], []
    for step in range(p.steps):
        value, grad = gradient(current)
        path_loss.append(value)
        path_distance.append(float((current - start).norm()))
        current = current - p.lr * grad
        if (step + 1) % 25 == 0:
            context.progress(1 + (step + 1) / p.steps, 3, loss=value)
    end = current
    # 3. The straight line from start (0) to the end (1), and a little beyond both.
    ts = torch.linspace(-0.25, 1.5, p.points).tolist()
    on_line = [loss_at(start + t * (end - start)) for t in ts]
    distance = float((end - start).norm())
    vector_to_parameters(end, params)
    score = accuracy(model, context.test_set())
    context.progress(3, 3)
    step_sizes = [round(a, 5) for a in alphas]
    charts = [
        {
            "title": text("시작점에서 기울기 반대 방향의 손실", "Loss along the negative gradient"),
            "x": text("그 방향으로 움직인 거리", "distance moved that way"),
            "y": text("손실", "loss"),
            "series": [
                {
                    "name": text("손실", "loss"),
                    "x": step_sizes,
                    "y": along_gradient,
                    "style": "line",
                },
                {
                    "name": text("첫 스텝이 가는 곳", "where the first step lands"),
                    "x": [round(p.lr * float(grad0.norm()), 5)],
                    "y": [loss_at(start - p.lr * grad0)],
                    "style": "points",
                },
            ],
        },
        {
            "title": text(
                "출발점에서 도착점까지의 직선 위 손실", "Loss on the line from start to end"
            ),
            "x": text("출발점으로부터의 거리", "distance from the start"),
            "y": text("손실", "loss"),
            "series": [
                {
                    "name": text("직선", "straight line"),
                    "x": [round(t * distance, 4) for t in ts],
                    "y": on_line,
                    "style": "line",
                },
                {
                    "name": text("경사 하강의 실제 경로", "the path descent took"),
                    "x": [round(d, 4) for d in path_distance],
                    "y": path_loss,
                    "style": "dashed",
                },
            ],
        },
    ]
    table = {
        "title": text("결과", "Results"),
        "columns": [
            text("시작 손실", "start loss"),
            text("마지막 손실", "final loss"),
            text("이동 거리", "distance travelled"),
            text("파라미터 수", "parameters"),
            text("테스트 정확도", "test accuracy"),
        ],
        "rows": [[loss0, path_loss[-1], distance, int(start.numel()), score]],
        "percent": [4],
    }
    return custom_result(
        charts=charts, tables=[table], test_accuracy=score, params_count=int(start.numel())
    )


EXPERIMENT = Experiment(
    slug="loss-landscape",
    order=125,
    title_ko="경사 하강법과 실제 손실 곡면의 단면",
    title_en="Gradient descent and slices of the real loss surface",
    summary_ko=(
        "작은 MLP를 전체 배치 경사 하강법으로 학습하면서, 수만 차원의 손실 곡면을 1차원으로 "
        "잘라 봅니다: 시작점의 기울기 반대 방향, 그리고 출발점과 도착점을 잇는 직선."
    ),
    summary_en=(
        "Trains a small MLP by full-batch gradient descent and cuts its loss surface (tens of "
        "thousands of dimensions) into 1-D slices: along the negative gradient at the start, "
        "and along the straight line from start to end."
    ),
    answers=(
        Answer(
            "13",
            "첫 차트: 기울기 반대 방향으로 조금 가면 손실이 내려가고, 너무 멀리 가면 다시 "
            "올라갑니다. 경사 하강법은 그 방향으로 학습률만큼 한 걸음씩 갑니다.",
            "The first chart: a small move against the gradient lowers the loss, a long one "
            "raises it again. Gradient descent takes a learning-rate-sized step that way, "
            "again and again.",
        ),
        Answer(
            "13-1",
            "가로축은 가중치(의 한 방향), 세로축은 손실입니다. 실제 곡면은 파라미터 수만큼의 "
            "차원이라 그릴 수 없어 단면만 봅니다. 두 번째 차트에서 실제 경로(점선)와 직선의 "
            "손실을 비교하세요.",
            "The horizontal axis is the weights (one direction of them), the vertical one the "
            "loss. The real surface has as many dimensions as parameters, so we see slices; "
            "compare the path taken (dashed) with the straight line in the second chart.",
        ),
    ),
    params_model=LandscapeParams,
    compare_param="lr",
    compare_values=(0.1, 1.0),
    cost=cost,
    budget_param="steps",
    run=run,
)
