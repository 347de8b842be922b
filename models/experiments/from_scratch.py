"""An MNIST classifier without a framework: forward and backward written out, trained live,
its gradients checked against autograd."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Literal

from models.experiment import Answer, Experiment, Float, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    import torch

    from models.runner import Context


class ScratchParams(Params):
    model: Literal["mlp", "cnn"] = param("mlp", "모델", "Model")
    width: Int = f.width(128, 512)
    lr: Float = f.lr(0.1, 2.0)
    epochs: Int = f.epochs(1, 5)
    batch_size: Int = f.batch_size(64)
    train_subset: Int = f.train_subset(20000)


def cost(p: ScratchParams) -> float:
    steps = p.train_subset / p.batch_size * p.epochs
    per_example = 784 * p.width * 0.06e-9 + (30e-6 if p.model == "cnn" else 0.0)
    return steps * (0.4e-3 + p.batch_size * per_example)


# ---- the network, written out (shown on the result page) ------------------------------------
# Plain tensor arithmetic as in NumPy: @ is a matrix product, no autograd, no nn layers.


def mlp_forward(x, w1, b1, w2, b2):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN201
    h = x @ w1 + b1  # (N, 784) @ (784, H) -> (N, H)
    a = h.clamp(min=0)  # ReLU
    logits = a @ w2 + b2  # (N, 10)
    return h, a, logits


def mlp_backward(x, y, h, a, logits, w2):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN201
    p = logits.softmax(dim=1)  # d(cross-entropy)/d(logits) = softmax - one-hot
    p[range(len(y)), y] -= 1
    d_logits = p / len(y)
    d_w2, d_b2 = a.T @ d_logits, d_logits.sum(0)
    d_h = (d_logits @ w2.T) * (h > 0)  # back through ReLU
    d_w1, d_b1 = x.T @ d_h, d_h.sum(0)
    return d_w1, d_b1, d_w2, d_b2


def cnn_forward(x, k, c, w2, b2):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN201
    cols = unfold(x, 5, padding=2, stride=2)  # im2col: (N, 25, 196) patches
    h = k @ cols + c  # (C, 25) @ (N, 25, 196) -> (N, C, 196): 8 5x5 filters, stride 2
    a = h.clamp(min=0).flatten(1)  # (N, C * 196)
    logits = a @ w2 + b2
    return cols, h, a, logits


def cnn_backward(y, cols, h, a, logits, w2):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN201
    p = logits.softmax(dim=1)
    p[range(len(y)), y] -= 1
    d_logits = p / len(y)
    d_w2, d_b2 = a.T @ d_logits, d_logits.sum(0)
    d_h = (d_logits @ w2.T).view(h.shape) * (h > 0)  # (N, C, 196)
    d_k = (d_h @ cols.transpose(1, 2)).sum(0)  # (C, 25): each filter's gradient
    d_c = d_h.sum((0, 2)).unsqueeze(1)
    return d_k, d_c, d_w2, d_b2


# ---- training ---------------------------------------------------------------------------------

CHANNELS = 8


def _init(p: ScratchParams, generator: torch.Generator) -> list[torch.Tensor]:
    import torch

    def normal(*shape: int, fan_in: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator) * (2 / fan_in) ** 0.5

    if p.model == "mlp":
        return [
            normal(784, p.width, fan_in=784),
            torch.zeros(p.width),
            normal(p.width, 10, fan_in=p.width),
            torch.zeros(10),
        ]
    return [
        normal(CHANNELS, 25, fan_in=25),
        torch.zeros(CHANNELS, 1),
        normal(CHANNELS * 196, 10, fan_in=CHANNELS * 196),
        torch.zeros(10),
    ]


def _step(p: ScratchParams, weights: list[Any], x: Any, y: Any) -> tuple[Any, list[Any]]:
    if p.model == "mlp":
        h, a, logits = mlp_forward(x.flatten(1), *weights)
        return logits, mlp_backward(x.flatten(1), y, h, a, logits, weights[2])
    cols, h, a, logits = cnn_forward(x, *weights)
    return logits, cnn_backward(y, cols, h, a, logits, weights[2])


def _logits(p: ScratchParams, weights: list[Any], x: Any) -> Any:
    if p.model == "mlp":
        return mlp_forward(x.flatten(1), *weights)[2]
    return cnn_forward(x, *weights)[3]


def run(p: ScratchParams, context: Context) -> dict[str, Any]:
    """Checks the hand-written gradients against autograd on one batch, then trains with SGD."""
    import time

    import torch

    from models.runner import custom_result, downsample, text

    train, test = context.train_set(p.train_subset), context.test_set()
    weights = [w.to(context.device) for w in _init(p, context.generator)]
    check = _gradient_check(p, weights, train.inputs[:64], train.labels[:64])
    n, losses = len(train), []
    steps = max(1, n // p.batch_size) * p.epochs
    started = time.perf_counter()
    for step in range(steps):
        if step % (n // p.batch_size) == 0:
            order = torch.randperm(n, generator=context.generator)
        at = (step % (n // p.batch_size)) * p.batch_size
        index = order[at : at + p.batch_size]
        x, y = train.inputs[index], train.labels[index]
        logits, grads = _step(p, weights, x, y)
        for w, g in zip(weights, grads, strict=True):
            w -= p.lr * g  # plain SGD, in place
        losses.append(torch.nn.functional.cross_entropy(logits, y).item())
        if (step + 1) % max(1, steps // 40) == 0 or step + 1 == steps:
            context.progress(step + 1, steps, loss=sum(losses[-20:]) / len(losses[-20:]))
    seconds = time.perf_counter() - started
    with torch.no_grad():
        score = float((_logits(p, weights, test.inputs).argmax(1) == test.labels).float().mean())
    source, marked = _source(p.model)
    xs, ys = downsample(losses)
    chart = {
        "title": text("학습 손실 (배치별)", "Training loss (per batch)"),
        "x": text("스텝", "step"),
        "y": text("교차 엔트로피", "cross-entropy"),
        "series": [{"name": text("학습", "training"), "x": xs, "y": ys, "style": "line"}],
    }
    table = {
        "title": text("손으로 쓴 기울기 대 autograd", "Hand-written gradients against autograd"),
        "columns": [
            text("텐서", "tensor"),
            text("모양", "shape"),
            text("최대 절대 차이", "largest absolute difference"),
            text("기울기 크기", "gradient norm"),
        ],
        "rows": check,
    }
    code = {
        "title": text("전체 모델 코드", "The whole model"),
        "source": source,
        "lines": len([line for line in source.splitlines() if line.strip()]),
        "backprop_lines": len(marked),
        "marked": marked,
    }
    return custom_result(
        charts=[chart],
        tables=[table],
        code=code,
        test_accuracy=score,
        train_time_s=seconds,
        params_count=sum(w.numel() for w in weights),
    )


def _gradient_check(p: ScratchParams, weights: list[Any], x: Any, y: Any) -> list[list[Any]]:
    import torch

    _, grads = _step(p, weights, x, y)
    leaves = [w.clone().requires_grad_() for w in weights]
    torch.nn.functional.cross_entropy(_logits(p, leaves, x), y).backward()
    names = ["w1", "b1", "w2", "b2"] if p.model == "mlp" else ["kernels", "kernel bias", "w2", "b2"]
    return [
        [name, " × ".join(map(str, g.shape)), float((g - leaf.grad).abs().max()), float(g.norm())]
        for name, g, leaf in zip(names, grads, leaves, strict=True)
    ]


def _source(model: str) -> tuple[str, list[int]]:
    """The model's forward and backward source, and the line numbers (1-based) of backward."""
    forward = mlp_forward if model == "mlp" else cnn_forward
    backward = mlp_backward if model == "mlp" else cnn_backward
    head = inspect.getsource(forward).splitlines()
    tail = inspect.getsource(backward).splitlines()
    lines = [_plain(line) for line in head] + [""] + [_plain(line) for line in tail]
    start = len(head) + 2
    return "\n".join(lines), list(range(start, start + len(tail)))


def _plain(line: str) -> str:
    # The lint markers are for this repository, not for the reader.
    return line.split("  # type:")[0].split("  # noqa")[0]


def unfold(x: Any, size: int, *, padding: int, stride: int) -> Any:
    """im2col: every size x size patch of x as a column (torch's unfold, named as in NumPy
    tutorials)."""
    import torch

    return torch.nn.functional.unfold(x, size, padding=padding, stride=stride)


EXPERIMENT = Experiment(
    slug="from-scratch",
    order=180,
    title_ko="프레임워크 없이 짠 MNIST 분류기 (순전파, 역전파 직접)",
    title_en="An MNIST classifier without a framework (forward and backward by hand)",
    summary_ko=(
        "NumPy처럼 행렬 곱과 원소별 연산만으로 MLP(또는 합성곱 한 층의 CNN)의 순전파와 "
        "역전파를 짜서 학습합니다. 코드와 줄 수, 역전파 줄을 보여 주고, 손으로 쓴 기울기를 "
        "autograd와 비교합니다."
    ),
    summary_en=(
        "An MLP (or a one-conv-layer CNN) whose forward and backward passes are written with "
        "matrix products and element-wise ops only, as in NumPy, trained live. Shows the code, "
        "its line count and the backprop lines, and checks the gradients against autograd."
    ),
    answers=(
        Answer(
            "13-3",
            "'손으로 쓴 기울기 대 autograd' 표: 연쇄 법칙을 출력에서 입력 쪽으로 한 층씩 "
            "적용한 기울기가 autograd와 소수점 아래 6자리 이상 일치합니다.",
            "The 'hand-written gradients against autograd' table: the chain rule applied "
            "layer by layer from the output back agrees with autograd to 6+ decimals.",
        ),
        Answer(
            "18-1",
            "코드 블록의 줄 수를 보세요: 동작하는 분류기는 스무 줄 남짓이고, 역전파를 "
            "이해하고 있다면 한두 시간이면 짤 수 있습니다. 테스트 정확도는 결과 표에 있습니다.",
            "See the code block's line count: a working classifier is about twenty lines, an "
            "hour or two of work once backprop is understood. Test accuracy is in the results.",
        ),
        Answer(
            "18-2",
            "코드에서 표시된 줄이 역전파입니다(줄 수가 함께 나옵니다): 소프트맥스-교차 "
            "엔트로피의 기울기, 두 번의 행렬 곱, ReLU 마스크.",
            "The marked lines of the code are the backward pass (their count is shown): the "
            "softmax cross-entropy gradient, two matrix products, the ReLU mask.",
        ),
        Answer(
            "18-3",
            "모델을 CNN으로 바꿔 비교하세요: im2col(unfold)로 합성곱을 행렬 곱으로 바꾸면 "
            "순전파와 역전파에 몇 줄씩만 더해집니다.",
            "Compare with the CNN: with im2col (unfold) a convolution becomes a matrix "
            "product, adding only a few lines to forward and backward.",
        ),
    ),
    params_model=ScratchParams,
    compare_param="model",
    compare_values=("mlp", "cnn"),
    cost=cost,
    budget_param="train_subset",
    run=run,
)
