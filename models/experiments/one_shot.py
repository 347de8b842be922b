"""One-shot learning: an embedding trained on digits 0-4 recognises 5-9 from one example each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.cost import cnn_train_s
from models.experiment import Answer, Experiment, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.runner import Context


class OneShotParams(Params):
    shots: Int = param(1, "새 숫자당 예시 수", "Examples per new digit", ge=1, le=20)
    epochs: Int = f.epochs(2, 5)
    train_subset: Int = f.train_subset(15000, 1000, 30000)
    episodes: Int = param(50, "평가 반복 수", "Evaluation episodes", ge=5, le=500)


def cost(p: OneShotParams) -> float:
    return cnn_train_s(p.train_subset // 2, p.epochs, evaluate=0) + p.episodes * 0.01 + 1.0


def run(p: OneShotParams, context: Context) -> dict[str, Any]:
    """A CNN classifies digits 0-4; its convolutional features are the embedding. Each
    episode picks `shots` images of each digit 5-9 as the only examples, then classifies the
    other 5-9 test images by the nearest example, in the embedding and in raw pixels."""
    import torch

    from models.runner import cnn, custom_result, quick_train, text
    from models.train import Dataset

    train, test = context.train_set(p.train_subset), context.test_set()
    seen = train.labels < 5
    model = cnn().to(context.device)
    quick_train(
        model,
        Dataset(train.inputs[seen], train.labels[seen]),
        epochs=p.epochs,
        batch_size=128,
        lr=0.003,
        generator=context.generator,
        context=context,
    )
    model.eval()
    # The convolutional features (before the classifier head), which are less tied to 0-4.
    embed = torch.nn.Sequential(*list(model.children())[:5])
    new = test.labels >= 5
    images, labels = test.inputs[new], test.labels[new]
    with torch.no_grad():
        features = _centred(embed(images))
    pixels = _centred(images.flatten(1))
    scores: dict[str, list[float]] = {"embedding": [], "pixels": []}
    for episode in range(p.episodes):
        support = torch.cat(
            [
                (labels == d)
                .nonzero()
                .flatten()[
                    torch.randperm(int((labels == d).sum()), generator=context.generator)[: p.shots]
                ]
                for d in range(5, 10)
            ]
        )
        query = torch.ones(len(labels), dtype=torch.bool)
        query[support] = False
        for name, space in (("embedding", features), ("pixels", pixels)):
            nearest = (space[query] @ space[support].T).argmax(1)
            guess = labels[support][nearest]
            scores[name].append(float((guess == labels[query]).float().mean()))
        if (episode + 1) % max(1, p.episodes // 10) == 0 or episode + 1 == p.episodes:
            context.progress(episode + 1, p.episodes)
    mean = {k: sum(v) / len(v) for k, v in scores.items()}
    table = {
        "title": text(
            f"숫자 5-9를 예시 {p.shots}개씩만 보고 분류",
            f"Digits 5-9 from {p.shots} example(s) each",
        ),
        "columns": [text("비교 공간", "compared in"), text("정확도", "accuracy")],
        "rows": [
            [text("0-4로 학습한 임베딩", "embedding learned on 0-4"), mean["embedding"]],
            [text("원래 픽셀", "raw pixels"), mean["pixels"]],
            [text("무작위 추측", "random guess"), 0.2],
        ],
        "percent": [1],
    }
    return custom_result(tables=[table], test_accuracy=mean["embedding"])


def _centred(vectors: Any) -> Any:
    # Centred, then unit length: ReLU features share a large common part that would otherwise
    # dominate every cosine.
    import torch

    return torch.nn.functional.normalize(vectors - vectors.mean(0), dim=1)


EXPERIMENT = Experiment(
    slug="one-shot",
    order=110,
    title_ko="원샷 학습: 처음 보는 숫자를 예시 하나로",
    title_en="One-shot learning: new digits from one example",
    summary_ko=(
        "CNN을 숫자 0-4로만 학습하고, 그 합성곱 표현(임베딩)에서 가장 가까운 예시를 찾아 "
        "한 번도 학습하지 않은 5-9를 예시 하나씩만 보고 분류합니다."
    ),
    summary_en=(
        "Trains a CNN on digits 0-4 only, then classifies the never-trained digits 5-9 from "
        "one example each, by the nearest example in its convolutional features (embedding)."
    ),
    answers=(
        Answer(
            "11",
            "신경망의 큰 단점은 많은 라벨 데이터가 필요하다는 것입니다. 표에서 0-4로만 학습한 "
            "표현이 처음 보는 숫자를 예시 하나로 무작위 추측(20%)보다 훨씬 잘, 원래 픽셀보다 "
            "조금 더 잘 분류하는 것을 보세요. 원샷 학습(샴 네트워크, 프로토타입 네트워크)은 이 "
            "비교 자체를 목표로 표현을 학습해 차이를 더 벌립니다.",
            "Networks need a lot of labelled data. See a representation learned on 0-4 only "
            "classify unseen digits from one example far above chance (20%) and a little above "
            "raw pixels. One-shot methods (siamese, prototypical networks) train the "
            "representation for exactly this comparison and widen the gap.",
        ),
    ),
    params_model=OneShotParams,
    compare_param="shots",
    compare_values=(1, 5),
    cost=cost,
    budget_param="train_subset",
    run=run,
)
