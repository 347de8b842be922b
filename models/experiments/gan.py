"""A small GAN on MNIST: batch norm in the generator's hidden layers, on its output too, or not
at all; samples as it trains, the two players' losses, and how the generated pixels compare."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, Literal

from models.experiment import Answer, Experiment, Float, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    import torch

    from models.runner import Context

LATENT = 32
SHOWN = 12
SNAPSHOTS = 3  # sample grids during training: at a third, two thirds and the end


class GanParams(Params):
    generator_bn: Literal["none", "hidden", "all"] = param(
        "hidden", "생성기의 배치 정규화", "Batch norm in the generator"
    )
    steps: Int = param(1000, "학습 스텝 수", "Training steps", ge=100, le=20000)
    batch_size: Int = f.batch_size(64)
    lr: Float = f.lr(0.001, 0.01)
    width: Int = f.width(128)


def cost(p: GanParams) -> float:
    macs = 2 * (LATENT * p.width // 2 + p.width // 2 * p.width + p.width * 784) + 784 * p.width
    return 2.0 + p.steps * (2e-3 + 3 * p.batch_size * macs * 0.045e-9)


def _pixels(image: torch.Tensor) -> str:
    """A generated image in [-1, 1] as base64 of 784 bytes (255 = ink)."""
    import torch

    scaled = ((image.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return base64.b64encode(bytes(scaled.flatten().tolist())).decode()


def run(p: GanParams, context: Context) -> dict[str, Any]:
    """Generator z -> width/2 -> width -> 784 (tanh), discriminator 784 -> width -> 1, both
    Adam (beta1 0.5, as DCGAN), the non-saturating generator loss. Batch norm sits after the
    generator's hidden layers ("hidden", DCGAN's choice) and also before its tanh ("all")."""
    import torch
    from torch import nn

    from models.runner import custom_result, downsample, text

    gen = context.generator
    real_all = context.data.train.pixels.flatten(1).float() / 127.5 - 1  # (60000, 784) in [-1, 1]

    def block(n_in: int, n_out: int, bn: bool) -> list[nn.Module]:
        return [nn.Linear(n_in, n_out), *([nn.BatchNorm1d(n_out)] if bn else []), nn.ReLU()]

    hidden_bn = p.generator_bn in ("hidden", "all")
    output: list[nn.Module] = [nn.Linear(p.width, 784)]
    if p.generator_bn == "all":
        output.append(nn.BatchNorm1d(784))
    generator = nn.Sequential(
        *block(LATENT, p.width // 2, hidden_bn), *block(p.width // 2, p.width, hidden_bn),
        *output, nn.Tanh(),
    )  # fmt: skip
    discriminator = nn.Sequential(nn.Linear(784, p.width), nn.LeakyReLU(0.2), nn.Linear(p.width, 1))
    # Fused: one kernel a step for all of a player's weights (models.optim.make_optimizer).
    opt_g = torch.optim.Adam(generator.parameters(), lr=p.lr, betas=(0.5, 0.999), fused=True)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=p.lr, betas=(0.5, 0.999), fused=True)
    bce = nn.functional.binary_cross_entropy_with_logits
    ones, zeros = torch.ones(p.batch_size, 1), torch.zeros(p.batch_size, 1)
    fixed = torch.randn(SHOWN, LATENT, generator=gen)  # the same z for every snapshot

    d_losses, g_losses, d_real, d_fake = [], [], [], []
    snapshots: list[tuple[int, torch.Tensor]] = []
    every = max(1, p.steps // 50)
    for step in range(1, p.steps + 1):
        context.check()
        index = torch.randint(0, len(real_all), (p.batch_size,), generator=gen)
        real = real_all[index]
        fake = generator(torch.randn(p.batch_size, LATENT, generator=gen))
        # The discriminator: real images to 1, generated ones to 0 (one pass over both: it has
        # no batch norm, so the halves do not see each other).
        scores = discriminator(torch.cat([real, fake.detach()]))
        scores_real, scores_fake = scores[: p.batch_size], scores[p.batch_size :]
        d_loss = bce(scores_real, ones) + bce(scores_fake, zeros)
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        # The generator: make the discriminator say 1 for its images.
        g_loss = bce(discriminator(fake), ones)
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        d_losses.append(d_loss.detach())
        g_losses.append(g_loss.detach())
        d_real.append(torch.sigmoid(scores_real).mean().detach())
        d_fake.append(torch.sigmoid(scores_fake).mean().detach())
        if step % max(1, p.steps // SNAPSHOTS) == 0 and len(snapshots) < SNAPSHOTS:
            # In train mode, as DCGAN samples: BN on the statistics of these 12 codes.
            with torch.no_grad():
                snapshots.append((step, generator(fixed)))
        if step % every == 0:
            context.progress(step, p.steps, loss=float(g_loss.detach()))

    with torch.no_grad():
        made = generator(torch.randn(1000, LATENT, generator=gen))
    real_probe = real_all[:1000]
    # Mode collapse shows as generated images that are all alike: their spread per pixel.
    rows = [
        [text("실제 MNIST", "real MNIST"), float(real_probe.mean()), float(real_probe.std()),
         float(real_probe.std(0).mean()), float((real_probe > 0).float().mean())],
        [text("생성한 이미지", "generated"), float(made.mean()), float(made.std()),
         float(made.std(0).mean()), float((made > 0).float().mean())],
    ]  # fmt: skip
    curves = [(d_losses, text("판별기 손실", "discriminator loss"), "line"),
              (g_losses, text("생성기 손실", "generator loss"), "dashed")]  # fmt: skip
    loss_chart = {
        "title": text("두 플레이어의 손실", "The two players' losses"),
        "x": text("스텝", "step"), "y": text("손실", "loss"),
        "series": [{"name": name, "x": downsample(torch.stack(v).tolist())[0],
                    "y": downsample(torch.stack(v).tolist())[1], "style": style}
                   for v, name, style in curves],
    }  # fmt: skip
    score_chart = {
        "title": text("판별기가 본 '진짜일 확률'", "The discriminator's 'probability real'"),
        "x": text("스텝", "step"), "y": text("확률", "probability"),
        "series": [{"name": name, "x": downsample(torch.stack(v).tolist())[0],
                    "y": downsample(torch.stack(v).tolist())[1], "style": style}
                   for v, name, style in ((d_real, text("실제 이미지", "real images"), "line"),
                                          (d_fake, text("생성 이미지", "generated"), "dashed"))],
    }  # fmt: skip
    table = {
        "title": text("픽셀 통계 (값의 범위 -1~1)", "Pixel statistics (values in -1..1)"),
        "columns": [text("이미지", "images"), text("평균", "mean"), text("표준편차", "std"),
                    text("이미지 사이 픽셀별 표준편차", "per-pixel std across images"),
                    text("잉크 비율", "ink share")],
        "rows": rows, "percent": [4],
    }  # fmt: skip
    images = [
        {"title": text(f"{step} 스텝 뒤의 샘플 (같은 z)", f"Samples after {step} steps (same z)"),
         "items": [{"label": str(i + 1), "pixels": _pixels(x)} for i, x in enumerate(batch)]}
        for step, batch in snapshots
    ]  # fmt: skip
    params = sum(q.numel() for q in generator.parameters())
    return custom_result(charts=[loss_chart, score_chart], tables=[table], images=images,
                         params_count=params)  # fmt: skip


EXPERIMENT = Experiment(
    slug="gan",
    order=165,
    title_ko="GAN 생성기의 배치 정규화: 은닉층에만, 출력층까지, 없이",
    title_en="Batch norm in a GAN's generator: hidden layers, output too, or none",
    summary_ko=(
        "MNIST에 작은 GAN(완전 연결 생성기와 판별기)을 학습합니다. 생성기의 은닉층에 BN을 "
        "넣을 때, 출력층에도 넣을 때, 넣지 않을 때 샘플과 픽셀 통계를 비교합니다."
    ),
    summary_en=(
        "Trains a small GAN (fully connected generator and discriminator) on MNIST, with batch "
        "norm in the generator's hidden layers, on its output layer too, or nowhere, and "
        "compares the samples and their pixel statistics."
    ),
    answers=(
        Answer(
            "16-3",
            "BN이 은닉층에만 있으면(DCGAN 방식) 샘플이 획으로 모이고 '픽셀 통계'의 평균이 "
            "실제 MNIST(-0.74)에 가까워집니다. BN이 없으면 생성기가 한두 가지 모양만 내는 "
            "모드 붕괴가 쉽게 옵니다('이미지 사이 픽셀별 표준편차'가 0에 가까움). "
            "출력층에도 BN을 넣으면 tanh 앞의 값이 "
            "배치마다 픽셀별로 평균 0, 분산 1로 맞춰져 배경이 -1로 가지 못합니다: 평균이 0 "
            "쪽으로 크게 벗어나고 샘플이 회색으로 번지거나 잡음이 됩니다. 그래서 생성기의 "
            "출력층(과 판별기의 입력층)에는 BN을 두지 않습니다.",
            "With batch norm in the hidden layers (DCGAN's recipe) the samples gather into "
            "strokes and the mean in 'pixel statistics' nears real MNIST's (-0.74); without any, "
            "the generator easily collapses to one or two shapes (the 'per-pixel std across "
            "images' near 0). "
            "With BN on the output layer too, the values before tanh are forced to mean 0 and "
            "variance 1 per pixel and batch, so the background cannot reach -1: the mean moves "
            "far towards 0 and the samples turn grey or to noise. Hence no BN on the "
            "generator's output (nor the discriminator's input).",
        ),
    ),
    params_model=GanParams,
    compare_param="generator_bn",
    compare_values=("none", "hidden", "all"),
    cost=cost,
    budget_param="steps",
    run=run,
)
