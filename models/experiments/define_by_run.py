"""Define-by-run: the graph a training step builds as it runs, against a graph traced once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.experiment import Answer, Experiment, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.runner import Context


class GraphParams(Params):
    depth: Int = f.depth(2, 6)
    width: Int = f.width(64, 256)
    max_repeats: Int = param(
        4,
        "입력에 따라 반복하는 층의 최대 횟수",
        "Most repeats of the input-dependent layer",
        ge=1,
        le=8,
    )
    timed_steps: Int = param(200, "시간을 잴 스텝 수", "Timed steps", ge=10, le=2000)


def cost(p: GraphParams) -> float:
    return p.timed_steps * 2 * (0.4e-3 + p.depth * 0.15e-3) + 1.0


def run(p: GraphParams, context: Context) -> dict[str, Any]:
    """Walks the autograd graph of one MLP step; then a model whose depth depends on its input
    builds a different graph per input, while a trace (a graph fixed in advance, as in
    TensorFlow 1) replays the path of the example it was traced on."""
    import time
    import warnings

    import torch

    from models.runner import custom_result, mlp, text

    model = mlp((p.width,) * p.depth)
    batch = context.train_set(1000)
    x, y = batch.inputs[:64].cpu(), batch.labels[:64].cpu()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    nodes = _graph(loss.grad_fn)
    context.progress(1, 3)

    class Dynamic(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(784, 784)

        def forward(self, inputs: torch.Tensor) -> torch.Tensor:
            # Data-dependent control flow: how often the layer runs depends on the image (its
            # count of inked pixels).
            repeats = 1 + int(inputs.gt(0).sum()) % p.max_repeats
            h = inputs.flatten(1)
            for _ in range(repeats):
                h = torch.tanh(self.layer(h))
            return h.sum()

    dynamic = Dynamic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the trace warns that it fixes the control flow: the point
        traced = torch.jit.trace(dynamic, batch.inputs[:1].cpu())
    rows = []
    for i in range(6):
        image = batch.inputs[i : i + 1].cpu()
        eager = dynamic(image)
        with torch.no_grad():
            replay = traced(image)
        same = abs(eager.item() - replay.item()) < 1e-4
        rows.append(
            [
                i,
                len(_graph(eager.grad_fn)),
                eager.item(),
                replay.item(),
                text("예", "yes") if same else text("아니요", "no"),
            ]
        )
    context.progress(2, 3)

    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

    def step(forward: Any) -> None:
        out = torch.nn.functional.cross_entropy(forward(x), y)
        optimizer.zero_grad()
        out.backward()
        optimizer.step()

    timings = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frozen = torch.jit.trace(model, x)
    for name, forward in (("eager", model), ("traced", frozen)):
        step(forward)
        started = time.perf_counter()
        for _ in range(p.timed_steps):
            step(forward)
        timings.append([name, 1000 * (time.perf_counter() - started) / p.timed_steps])
    context.progress(3, 3)
    tables: list[dict[str, Any]] = [
        {
            "title": text(
                "한 스텝이 만든 역전파 그래프 (출력에서 입력 쪽으로)",
                "The backward graph one step built (output to input)",
            ),
            "columns": [
                text("순서", "order"),
                text("autograd 노드", "autograd node"),
                text("다음 노드 수", "next nodes"),
            ],
            "rows": [[i + 1, name, fan] for i, (name, fan) in enumerate(nodes)],
        },
        {
            "title": text(
                "입력마다 다른 그래프: 실행하며 정의 대 미리 고정",
                "A graph per input: define-by-run against a fixed trace",
            ),
            "columns": [
                text("이미지", "image"),
                text("그래프 노드 수", "graph nodes"),
                text("즉시 실행 결과", "eager result"),
                text("고정 그래프 결과", "traced result"),
                text("같은가", "same"),
            ],
            "rows": rows,
        },
        {
            "title": text("스텝당 시간 (ms)", "Milliseconds per step"),
            "columns": [text("실행 방식", "mode"), text("ms", "ms")],
            "rows": timings,
        },
    ]
    return custom_result(tables=tables, extra={"graph_nodes": len(nodes)})


def _graph(root: Any) -> list[tuple[str, int]]:
    """The autograd graph below `root`, breadth first: (node name, number of inputs)."""
    seen, order, queue = set(), [], [root]
    while queue:
        node = queue.pop(0)
        if node is None or node in seen:
            continue
        seen.add(node)
        parents = [n for n, _ in node.next_functions if n is not None]
        order.append((type(node).__name__, len(parents)))
        queue.extend(parents)
    return order


EXPERIMENT = Experiment(
    slug="define-by-run",
    order=30,
    title_ko="PyTorch의 define-by-run: 실행하며 만드는 그래프",
    title_en="PyTorch's define-by-run: the graph built as the code runs",
    summary_ko=(
        "학습 한 스텝이 만든 autograd 그래프를 보여 주고, 입력에 따라 층을 몇 번 쓸지 "
        "정하는 모델로 즉시 실행(PyTorch)과 미리 고정한 그래프(TensorFlow 1 방식, trace)를 "
        "비교합니다."
    ),
    summary_en=(
        "Shows the autograd graph one training step built, and with a model whose depth "
        "depends on its input compares eager execution (PyTorch) with a graph fixed in advance "
        "(TensorFlow 1 style, a trace)."
    ),
    answers=(
        Answer(
            "3",
            "두 번째 표: 즉시 실행은 입력마다 다른 그래프(노드 수)를 만들어 파이썬의 if와 "
            "for를 그대로 따릅니다. 한 번 고정한 그래프는 추적한 예의 경로만 반복해 결과가 "
            "달라집니다('같은가' 열). 정적 그래프는 최적화하기 쉽고, 동적 그래프는 디버깅과 "
            "제어 흐름이 쉽습니다.",
            "The second table: eager execution builds a new graph per input (node count), "
            "following Python's if and for; a graph fixed once replays the traced example's "
            "path and gets other inputs wrong (the 'same' column). Static graphs are easier to "
            "optimise; dynamic ones easier to debug and to branch.",
        ),
    ),
    params_model=GraphParams,
    compare_param="depth",
    compare_values=(1, 4),
    cost=cost,
    budget_param="timed_steps",
    run=run,
)
