"""A restricted Boltzmann machine on binarised MNIST, trained by contrastive divergence: its
filters, its reconstruction error, and digits it dreams up by Gibbs sampling."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from models.experiment import Answer, Experiment, Float, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    import torch

    from models.runner import Context

SHOWN = 16  # filters and samples shown


class RbmParams(Params):
    cd_steps: Int = param(1, "CD 단계 수 (k)", "Contrastive divergence steps (k)", ge=1, le=10)
    hidden: Int = param(64, "은닉 유닛 수", "Hidden units", ge=8, le=256)
    epochs: Int = f.epochs(3, 10)
    lr: Float = f.lr(0.05, 0.5)
    batch_size: Int = f.batch_size(64)
    train_subset: Int = f.train_subset(10000)
    gibbs_steps: Int = param(
        500, "샘플을 만드는 깁스 단계 수", "Gibbs steps to draw a sample", ge=10, le=5000
    )


def cost(p: RbmParams) -> float:
    # Per step: 2 + 2k products of (batch x 784 x hidden); sampling 16 chains.
    step_macs = (2 + 2 * p.cd_steps) * p.batch_size * 784 * p.hidden
    steps = -(-p.train_subset // p.batch_size) * p.epochs
    return 2.0 + steps * (0.4e-3 + step_macs * 0.1e-9) + p.gibbs_steps * 0.2e-3


def _pixels(values: torch.Tensor) -> str:
    """A 28x28 image of values in [0, 1] as base64 bytes (the format of result images)."""
    import torch

    scaled = (values.clamp(0, 1) * 255).round().to(torch.uint8)
    return base64.b64encode(bytes(scaled.flatten().tolist())).decode()


def run(p: RbmParams, context: Context) -> dict[str, Any]:
    """Binary visible and hidden units; CD-k: the gradient's negative half from a Gibbs chain
    of k steps started at the data. Everything on the CPU (a few small products per step)."""
    import torch

    from models.runner import custom_result, downsample, text

    gen = context.generator
    index = context.subset(p.train_subset)
    pixels = context.data.train.pixels if index is None else context.data.train.pixels[index]
    data = (pixels.flatten(1).float() / 255 > 0.5).float()  # (N, 784) binary
    test = (context.data.test.pixels[:2000].flatten(1).float() / 255 > 0.5).float()

    def bernoulli(prob: torch.Tensor) -> torch.Tensor:
        return (torch.rand(prob.shape, generator=gen) < prob).float()

    weight = torch.randn(784, p.hidden, generator=gen) * 0.01
    mean = data.mean(0).clamp(1e-3, 1 - 1e-3)
    visible_bias = torch.log(mean / (1 - mean))  # starts at the pixels' log-odds
    hidden_bias = torch.zeros(p.hidden)

    def hidden_given(v: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(v @ weight + hidden_bias)

    def visible_given(h: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(h @ weight.T + visible_bias)

    def free_energy(v: torch.Tensor) -> float:
        # F(v) = -b.v - sum log(1 + exp(W v + c)): lower is more probable under the model.
        value = -(v @ visible_bias) - torch.nn.functional.softplus(v @ weight + hidden_bias).sum(1)
        return float(value.mean())

    def reconstruction_error(v: torch.Tensor) -> float:
        return float(((v - visible_given(hidden_given(v))) ** 2).sum(1).mean())

    steps_per_epoch = -(-len(data) // p.batch_size)
    total = steps_per_epoch * p.epochs + p.gibbs_steps
    errors: list[float] = []
    rows = []
    done = 0
    every = max(1, total // 50)  # about 50 progress events a run
    for epoch in range(p.epochs):
        order = torch.randperm(len(data), generator=gen)
        for step in range(steps_per_epoch):
            context.check()
            v0 = data[order[step * p.batch_size : (step + 1) * p.batch_size]]
            h0 = hidden_given(v0)
            h = bernoulli(h0)
            for _ in range(p.cd_steps):  # the chain: h -> v -> h, k times
                v = bernoulli(visible_given(h))
                hk = hidden_given(v)
                h = bernoulli(hk)
            n = len(v0)
            weight += p.lr * (v0.T @ h0 - v.T @ hk) / n
            visible_bias += p.lr * (v0 - v).mean(0)
            hidden_bias += p.lr * (h0 - hk).mean(0)
            errors.append(float(((v0 - visible_given(h0)) ** 2).sum(1).mean()))
            done += 1
            if done % every == 0:
                context.progress(done, total, loss=errors[-1])
        rows.append([epoch + 1, reconstruction_error(data[:2000]), reconstruction_error(test),
                     free_energy(data[:2000]), free_energy(test)])  # fmt: skip

    # Dreams: chains started at random pixels, Gibbs-sampled; shown as the last probabilities.
    v = bernoulli(torch.full((SHOWN, 784), 0.5))
    for i in range(p.gibbs_steps):
        if (done + i) % every == 0:
            context.progress(done + i, total)
        v = bernoulli(visible_given(bernoulli(hidden_given(v))))
    dreams = visible_given(bernoulli(hidden_given(v)))
    context.progress(total, total)
    # The filters of the hidden units that move the most, scaled to their own range.
    strongest = weight.norm(dim=0).argsort(descending=True)[:SHOWN]
    filters = []
    for unit in strongest.tolist():
        w = weight[:, unit]
        filters.append((w - w.min()) / (w.max() - w.min() + 1e-9))
    xs, ys = downsample(errors)
    chart = {
        "title": text("재구성 오차 (배치마다)", "Reconstruction error (each batch)"),
        "x": text("스텝", "step"),
        "y": text("픽셀 제곱 오차의 합", "sum of squared pixel errors"),
        "series": [{"name": text("학습 배치", "training batch"), "x": xs, "y": ys,
                    "style": "line"}],
    }  # fmt: skip
    table = {
        "title": text("에폭별 재구성 오차와 자유 에너지",
                      "Reconstruction and free energy by epoch"),
        "columns": [text("에폭", "epoch"), text("재구성 오차 (학습)", "reconstruction (train)"),
                    text("재구성 오차 (테스트)", "reconstruction (test)"),
                    text("자유 에너지 (학습)", "free energy (train)"),
                    text("자유 에너지 (테스트)", "free energy (test)")],
        "rows": rows,
    }  # fmt: skip
    images = [
        {"title": text("가장 강한 은닉 유닛의 가중치 (필터)", "Weights of the strongest hidden "
                       "units (filters)"),
         "items": [{"label": f"h{u}", "pixels": _pixels(w)}
                   for u, w in zip(strongest.tolist(), filters, strict=True)]},
        {"title": text(f"무작위 픽셀에서 깁스 샘플링 {p.gibbs_steps}번 뒤", f"After "
                       f"{p.gibbs_steps} Gibbs steps from random pixels"),
         "items": [{"label": str(i + 1), "pixels": _pixels(d)} for i, d in enumerate(dreams)]},
    ]  # fmt: skip
    return custom_result(
        charts=[chart], tables=[table], images=images,
        params_count=784 * p.hidden + 784 + p.hidden,
        extra={"reconstruction_error": rows[-1][2] if rows else None},
    )  # fmt: skip


EXPERIMENT = Experiment(
    slug="rbm",
    order=95,
    title_ko="제한 볼츠만 머신: 대조 발산으로 학습하고 깁스 샘플링으로 숫자 만들기",
    title_en="Restricted Boltzmann machine: contrastive divergence and Gibbs samples",
    summary_ko=(
        "이진화한 MNIST에 RBM(보이는 유닛 784개, 은닉 유닛 몇십 개)을 CD-k로 학습합니다. "
        "에너지 기반 생성 모델이 배운 필터와, 무작위 픽셀에서 시작한 깁스 샘플링이 만든 "
        "숫자를 보여 줍니다."
    ),
    summary_en=(
        "Trains an RBM (784 visible units, a few dozen hidden) on binarised MNIST with CD-k. "
        "Shows the filters this energy-based generative model learns, and the digits Gibbs "
        "sampling makes from random pixels."
    ),
    answers=(
        Answer(
            "9",
            "볼츠만 머신은 에너지 E(v, h)로 확률 p ∝ exp(-E)를 정의하는 생성 모델입니다. "
            "'필터' 그림이 은닉 유닛이 찾는 획이고, 재구성 오차와 자유 에너지가 에폭마다 "
            "내려갑니다. 마지막 그림은 라벨 없이 배운 분포에서 깁스 샘플링으로 뽑은 숫자입니다. "
            "k를 5로 늘리면(비교) 음의 단계가 모델 분포에 더 가까워져 샘플이 더 숫자답습니다.",
            "A Boltzmann machine defines p ∝ exp(-E(v, h)) by an energy: a generative model. The "
            "'filters' are the strokes the hidden units look for; reconstruction error and free "
            "energy fall by epoch. The last images are digits drawn by Gibbs sampling from the "
            "distribution it learned without labels. With k = 5 (the comparison) the negative "
            "phase is closer to the model's distribution and the samples look more like digits.",
        ),
    ),
    params_model=RbmParams,
    compare_param="cd_steps",
    compare_values=(1, 5),
    cost=cost,
    budget_param="train_subset",
    run=run,
)
