"""A curve approximated by k ReLU units: piecewise linear, with more pieces as k grows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from models.experiment import Answer, Experiment, Int, Params, param

if TYPE_CHECKING:
    from models.runner import Context


class CurveParams(Params):
    units: Int = param(8, "ReLU 뉴런 수 (k)", "ReLU units (k)", ge=1, le=256)
    target: Literal["sine", "square", "abs"] = param(
        "sine", "목표 함수 (sin, x², |x|)", "Target (sin, x², |x|)"
    )
    steps: Int = param(3000, "학습 스텝 수", "Training steps", ge=100, le=20000)


def cost(p: CurveParams) -> float:
    # A step of this tiny network is a dozen small ops: its time is the dispatcher's, and the
    # default comparison trained in 4.2-9.4 s across 2-core Intel and AMD VMs (benches/RESULTS.md).
    return p.steps * (0.5e-3 + p.units * 2e-6)


def run(p: CurveParams, context: Context) -> dict[str, Any]:
    """One hidden layer of k ReLUs, fitted by full-batch Adam to 256 points."""
    import torch

    from models.context import fit_chart
    from models.runner import custom_result, text

    xs = torch.linspace(-3, 3, 256).unsqueeze(1)
    ys = {"sine": torch.sin(xs * 1.5), "square": xs**2 / 4, "abs": xs.abs() - 1}[p.target]
    first = torch.nn.Linear(1, p.units)
    net = torch.nn.Sequential(first, torch.nn.ReLU(), torch.nn.Linear(p.units, 1))
    # Kinks spread over the interval: unit i switches on at x = -b/w, drawn across [-3, 3].
    with torch.no_grad():
        first.weight.copy_(
            torch.where(torch.rand(p.units, 1, generator=context.generator) < 0.5, -1.0, 1.0)
        )
        first.bias.copy_(
            (torch.rand(p.units, generator=context.generator) * 6 - 3) * -first.weight[:, 0]
        )
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    losses = []
    for step in range(p.steps):
        loss = torch.nn.functional.mse_loss(net(xs), ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if (step + 1) % 200 == 0:
            context.progress(step + 1, p.steps, loss=losses[-1])
    with torch.no_grad():
        fitted = net(xs)
        w, b = first.weight[:, 0], first.bias
        kinks = sorted(float(v) for v in (-b / w)[(w != 0) & ((-b / w).abs() <= 3)])
    curve = fit_chart(
        text(f"ReLU {p.units}개로 근사한 곡선", f"The curve from {p.units} ReLU units"),
        xs,
        ys,
        fitted,
        text("근사", "fit"),
    )
    every = max(1, len(losses) // 200)
    loss_chart = {
        "title": text("평균 제곱 오차", "Mean squared error"),
        "x": text("스텝", "step"),
        "y": text("MSE", "MSE"),
        "log_y": True,
        "series": [
            {
                "name": text("학습", "training"),
                "x": list(range(1, len(losses) + 1, every)),
                "y": losses[::every],
                "style": "line",
            }
        ],
    }
    table = {
        "title": text("결과", "Results"),
        "columns": [
            text("ReLU 수", "ReLU units"),
            text("구간 경계(꺾이는 점) 수", "kinks in [-3, 3]"),
            text("최종 MSE", "final MSE"),
        ],
        "rows": [[p.units, len(kinks), losses[-1]]],
    }
    return custom_result(
        charts=[curve, loss_chart],
        tables=[table],
        params_count=3 * p.units + 1,
        extra={"kinks": kinks},
    )


EXPERIMENT = Experiment(
    slug="relu-curve",
    order=116,
    title_ko="ReLU로 곡선 근사하기",
    title_en="Approximating a curve with ReLUs",
    summary_ko=(
        "은닉층 하나에 ReLU k개를 두고 1차원 곡선을 맞춥니다. 각 ReLU는 한 점에서 꺾이는 "
        "직선이므로, 결과는 k개 이하의 꺾인 점을 가진 꺾은선입니다. k를 늘려 비교하세요."
    ),
    summary_en=(
        "Fits a 1-D curve with one hidden layer of k ReLUs. Each ReLU is a line with one kink, "
        "so the fit is a polyline with at most k kinks. Compare growing k."
    ),
    answers=(
        Answer(
            "12-2",
            "k = 2, 4, 8, 32를 비교하세요: 근사 곡선은 직선 조각들이고, k가 늘수록 조각이 "
            "많아져 목표 곡선에 붙습니다. 표의 '구간 경계 수'가 꺾이는 점입니다.",
            "Compare k = 2, 4, 8, 32: the fit is made of straight pieces, and more units give "
            "more pieces that hug the curve. The 'kinks' column counts the bends.",
        ),
    ),
    params_model=CurveParams,
    compare_param="units",
    compare_values=(2, 4, 8, 32),
    cost=cost,
    budget_param="steps",
    run=run,
)
