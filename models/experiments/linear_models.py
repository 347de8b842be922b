"""A linear model on pixels against a deep linear network, an MLP and a CNN."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from models.cost import cnn_train_s, mlp_train_s
from models.experiment import Answer, Experiment, Int, Params, param
from models.experiments import _fields as f

if TYPE_CHECKING:
    from models.runner import Context

MODELS = ("linear", "deep_linear", "mlp", "cnn")


class LinearParams(Params):
    model: Literal["linear", "deep_linear", "mlp", "cnn"] = param(
        "mlp",
        "모델 (선형, 활성화 없는 깊은 망, MLP, CNN)",
        "Model (linear, deep without activations, MLP, CNN)",
    )
    depth: Int = f.depth(3, 6)
    width: Int = f.width(128)
    epochs: Int = f.epochs(2, 5)
    batch_size: Int = f.batch_size(128)
    train_subset: Int = f.train_subset(30000)


def _hidden(p: LinearParams) -> tuple[int, ...]:
    return () if p.model == "linear" else (p.width,) * p.depth


def cost(p: LinearParams) -> float:
    if p.model == "cnn":
        return cnn_train_s(p.train_subset, p.epochs)
    return mlp_train_s(_hidden(p), p.train_subset, p.epochs, p.batch_size)


def run(p: LinearParams, context: Context) -> dict[str, Any]:
    """The same recipe (Adam, one-cycle) for a linear map, the same depth with no activation
    (still one linear map), the MLP with ReLU, and the small CNN."""
    from models.runner import cnn, mlp, standard_plan
    from models.train import TrainConfig

    if p.model == "cnn":
        model: Any = cnn()
    else:
        model = mlp(_hidden(p), activation="identity" if p.model == "deep_linear" else "relu")
    config = TrainConfig(
        epochs=p.epochs,
        batch_size=p.batch_size,
        optimizer="adam",
        lr=0.01 if p.model == "cnn" else 0.005,
        schedule="one_cycle",
        channels_last=p.model == "cnn",
    )
    return context.train(standard_plan(model, config, context, p.train_subset))


EXPERIMENT = Experiment(
    slug="linear-models",
    order=5,
    title_ko="선형 모델, 활성화 없는 깊은 망, MLP, CNN",
    title_en="A linear model, a deep net without activations, an MLP, a CNN",
    summary_ko=(
        "픽셀에 바로 선형 분류기(로지스틱 회귀)를, 같은 깊이의 활성화 없는 망을, ReLU MLP를, "
        "작은 CNN을 같은 방법으로 학습합니다. 층을 쌓아도 비선형성이 없으면 선형 모델의 "
        "한계(약 92%)를 넘지 못합니다."
    ),
    summary_en=(
        "Trains a linear classifier on the pixels (logistic regression), the same depth with no "
        "activation, a ReLU MLP and a small CNN the same way. Without a non-linearity, stacking "
        "layers never beats the linear model's ceiling (about 92%)."
    ),
    answers=(
        Answer(
            "1",
            "결과 표에서 선형 모델(머신러닝의 고전적 방법, 특징은 사람이 고름)과 MLP, "
            "CNN(특징을 스스로 학습하는 딥러닝)의 테스트 정확도를 비교하세요.",
            "Compare test accuracy in the results: the linear model (classic machine learning, "
            "features chosen by people) against the MLP and CNN (deep learning, features "
            "learned).",
        ),
        Answer(
            "12-1",
            "'deep_linear'(활성화 없는 3층)는 선형 모델과 거의 같은 정확도에 멈춥니다: 선형 "
            "함수를 겹쳐도 선형입니다. ReLU를 넣은 MLP만 그 한계를 넘습니다.",
            "'deep_linear' (three layers, no activation) stops at the linear model's accuracy: "
            "linear maps compose to a linear map. Only the MLP with ReLU goes past it.",
        ),
    ),
    params_model=LinearParams,
    compare_param="model",
    compare_values=MODELS,
    cost=cost,
    budget_param="train_subset",
    run=run,
)
