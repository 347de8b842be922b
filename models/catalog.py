"""The experiments the worker can run: their questions, parameters and bounds (no torch here).

The web process imports this module to list experiments and validate parameters, so it must stay
free of torch; `tests/models/test_catalog.py` checks that.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

PACK = "deep-learning"
ParamType = Literal["integer", "number", "boolean", "string"]
Value = int | float | bool | str | None

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
_NULL = {"", "auto", "none", "null"}


class ParamError(ValueError):
    """A parameter is unknown, of the wrong type or out of bounds."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


class UnknownExperiment(LookupError):
    """No experiment has this slug."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"unknown experiment {slug!r}; known: {', '.join(EXPERIMENTS)}")
        self.slug = slug


@dataclass(frozen=True)
class Param:
    """One bounded parameter of an experiment."""

    name: str
    type: ParamType
    default: Value
    title_en: str
    title_ko: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    # None is allowed and means "the experiment picks" (e.g. each optimiser's usual rate).
    nullable: bool = False

    def schema(self) -> dict[str, Any]:
        """The JSON schema of this parameter, with its default and Korean title."""
        schema: dict[str, Any] = {
            "type": [self.type, "null"] if self.nullable else self.type,
            "default": self.default,
            "title": self.title_en,
            "title_ko": self.title_ko,
        }
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.choices is not None:
            schema["enum"] = list(self.choices)
        return schema

    def coerce(self, value: object) -> Value:
        """`value` (a JSON value or a command-line string) as this parameter's type, checked."""
        if self.nullable and (value is None or (isinstance(value, str) and value.lower() in _NULL)):
            return None
        if value is None:
            raise ParamError(self.name, "a value is required")
        if self.type == "boolean":
            return self._coerce_bool(value)
        if self.type == "string":
            return self._coerce_choice(value)
        return self._check_bounds(self._coerce_number(value))

    def _coerce_bool(self, value: object) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise ParamError(self.name, f"expected true or false, got {value!r}")

    def _coerce_choice(self, value: object) -> str:
        assert self.choices is not None
        if not isinstance(value, str) or value not in self.choices:
            raise ParamError(self.name, f"expected one of {', '.join(self.choices)}, got {value!r}")
        return value

    def _coerce_number(self, value: object) -> int | float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ParamError(self.name, f"expected a {self.type}, got {value!r}")
        try:
            number = float(value)
        except ValueError:
            raise ParamError(self.name, f"expected a {self.type}, got {value!r}") from None
        if not math.isfinite(number):
            raise ParamError(self.name, f"expected a finite {self.type}, got {value!r}")
        if self.type == "number":
            return number
        if not number.is_integer():
            raise ParamError(self.name, f"expected an integer, got {value!r}")
        return int(number)

    def _check_bounds(self, number: int | float) -> int | float:
        if self.minimum is not None and number < self.minimum:
            raise ParamError(self.name, f"must be at least {self.minimum:g}, got {number:g}")
        if self.maximum is not None and number > self.maximum:
            raise ParamError(self.name, f"must be at most {self.maximum:g}, got {number:g}")
        return number


@dataclass(frozen=True)
class Experiment:
    """A runnable experiment: what it shows, which questions it answers, its parameters."""

    slug: str
    title_ko: str
    title_en: str
    summary_ko: str
    summary_en: str
    questions: tuple[str, ...]
    params: tuple[Param, ...]
    # The parameter a side-by-side comparison varies by default, and its 2-4 default values.
    compare_param: str
    compare_values: tuple[Value, ...]
    _by_name: dict[str, Param] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {p.name: p for p in self.params})

    def param(self, name: str) -> Param:
        """The parameter called `name`, or ParamError."""
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self._by_name)
            raise ParamError(name, f"unknown parameter of {self.slug}; known: {known}") from None

    def defaults(self) -> dict[str, Value]:
        """Every parameter at its default."""
        return {p.name: p.default for p in self.params}

    def title(self, lang: str) -> str:
        """The title in `lang` ("ko" or "en")."""
        return self.title_en if lang == "en" else self.title_ko

    def summary(self, lang: str) -> str:
        """The summary in `lang` ("ko" or "en")."""
        return self.summary_en if lang == "en" else self.summary_ko

    def params_schema(self) -> dict[str, Any]:
        """A JSON schema (object) of all parameters, in form order."""
        return {
            "type": "object",
            "properties": {p.name: p.schema() for p in self.params},
            "additionalProperties": False,
        }

    def to_json(self) -> dict[str, Any]:
        """The experiment as the API lists it."""
        return {
            "slug": self.slug,
            "title": {"ko": self.title_ko, "en": self.title_en},
            "summary": {"ko": self.summary_ko, "en": self.summary_en},
            "questions": list(self.questions),
            "compare_param": self.compare_param,
            "compare_values": list(self.compare_values),
            "params": self.params_schema(),
        }


# Parameters shared by most experiments; each experiment picks its own defaults.
def _seed() -> Param:
    return Param("seed", "integer", 0, "Random seed", "난수 시드", 0, 2**31 - 1)


def _epochs(default: int, maximum: int = 10) -> Param:
    return Param("epochs", "integer", default, "Epochs", "에폭 수", 1, maximum)


def _batch_size(default: int, minimum: int = 8, maximum: int = 1024) -> Param:
    return Param("batch_size", "integer", default, "Batch size", "배치 크기", minimum, maximum)


def _lr(default: float | None, maximum: float = 2.0, *, nullable: bool = False) -> Param:
    title_en = "Learning rate" + (" (empty: the usual rate)" if nullable else "")
    title_ko = "학습률" + (" (비우면 기본값)" if nullable else "")
    return Param("lr", "number", default, title_en, title_ko, 1e-5, maximum, nullable=nullable)


def _train_subset(default: int, minimum: int = 500, maximum: int = 60000) -> Param:
    return Param(
        "train_subset",
        "integer",
        default,
        "Training examples used",
        "사용할 학습 데이터 수",
        minimum,
        maximum,
    )


def _depth(default: int, maximum: int = 10) -> Param:
    return Param("depth", "integer", default, "Hidden layers", "은닉층 수", 1, maximum)


def _width(default: int, maximum: int = 512) -> Param:
    return Param(
        "width", "integer", default, "Units per hidden layer", "은닉층 뉴런 수", 8, maximum
    )


def _activation(default: str, choices: tuple[str, ...]) -> Param:
    return Param(
        "activation", "string", default, "Activation function", "활성화 함수", choices=choices
    )


ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")
INITS = ("zeros", "lecun", "xavier", "he")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adagrad")
INPUT_SCALINGS = ("raw", "unit", "standard")
LOSSES = ("cross_entropy", "bce", "mse")
MODELS = ("mlp", "cnn")


def _q(*numbers: str) -> tuple[str, ...]:
    return tuple(f"{PACK}/{n}" for n in numbers)


_EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment(
        slug="activations",
        title_ko="활성화 함수: Sigmoid, Tanh, ReLU, LeakyReLU",
        title_en="Activation functions: sigmoid, tanh, ReLU, LeakyReLU",
        summary_ko=(
            "깊은 MLP를 같은 시드로 활성화 함수만 바꿔 학습합니다. 층별 기울기 크기로 "
            "기울기 소실을, 죽은 ReLU 비율로 ReLU의 문제를 직접 확인합니다."
        ),
        summary_en=(
            "Trains a deep MLP with only the activation changed, on the same seed. Per-layer "
            "gradient norms show vanishing gradients; the dead-unit fraction shows dying ReLUs."
        ),
        questions=_q("5", "12", "12-3"),
        params=(
            _activation("relu", ACTIVATIONS),
            _depth(6),
            _width(128),
            _lr(0.05),
            _epochs(3, 10),
            _batch_size(64),
            _train_subset(20000),
            _seed(),
        ),
        compare_param="activation",
        compare_values=ACTIVATIONS,
    ),
    Experiment(
        slug="initialization",
        title_ko="가중치 초기화: 0, LeCun, Xavier, He",
        title_en="Weight initialisation: zeros, LeCun, Xavier, He",
        summary_ko=(
            "같은 깊은 MLP를 초기화 방법만 바꿔 학습합니다. 학습 전 층별 활성값 분포와 "
            "학습 곡선으로 0 초기화의 대칭 문제와 He/Xavier의 차이를 봅니다."
        ),
        summary_en=(
            "Trains the same deep MLP with only the initialisation changed. The per-layer "
            "activation spread before training and the learning curves show why zeros fail "
            "and how Xavier and He differ."
        ),
        questions=_q("8"),
        params=(
            Param("init", "string", "he", "Initialisation", "초기화 방법", choices=INITS),
            _activation("relu", ("relu", "tanh", "sigmoid")),
            _depth(6),
            _width(128),
            _lr(0.05),
            _epochs(3, 10),
            _batch_size(64),
            _train_subset(20000),
            _seed(),
        ),
        compare_param="init",
        compare_values=INITS,
    ),
    Experiment(
        slug="optimizers",
        title_ko="옵티마이저: SGD, 모멘텀, Nesterov, RMSprop, Adam, Adagrad",
        title_en="Optimisers: SGD, momentum, Nesterov, RMSprop, Adam, Adagrad",
        summary_ko=(
            "같은 MLP, 같은 데이터 순서로 옵티마이저만 바꿔 손실 곡선을 비교합니다. "
            "학습률을 비우면 각 옵티마이저의 일반적인 기본값을 씁니다."
        ),
        summary_en=(
            "Same MLP, same data order, only the optimiser changes: compare the loss curves. "
            "Leave the learning rate empty to use each optimiser's usual rate."
        ),
        questions=_q("14-1", "17", "17-3"),
        params=(
            Param("optimizer", "string", "adam", "Optimiser", "옵티마이저", choices=OPTIMIZERS),
            _lr(None, nullable=True),
            Param("momentum", "number", 0.9, "Momentum", "모멘텀", 0.0, 0.99),
            _depth(2, 6),
            _width(128),
            _epochs(3, 10),
            _batch_size(64),
            _train_subset(20000),
            _seed(),
        ),
        compare_param="optimizer",
        compare_values=("sgd", "momentum", "rmsprop", "adam"),
    ),
    Experiment(
        slug="batch-size",
        title_ko="배치 크기와 학습률 (너무 큰 학습률 포함)",
        title_en="Batch size and learning rate (including one too high)",
        summary_ko=(
            "SGD로 배치 크기와 학습률을 바꿔 봅니다. 작은 배치는 스텝이 많고 손실이 요동치며, "
            "학습률이 너무 크면 손실이 오히려 커집니다."
        ),
        summary_en=(
            "Plain SGD with different batch sizes and learning rates. Small batches take many "
            "noisy steps; a learning rate that is too high makes the loss rise instead of fall."
        ),
        questions=_q("13-2", "17-2"),
        params=(
            _batch_size(64, 4, 4096),
            _lr(0.1, 10.0),
            _depth(2, 6),
            _width(128),
            _epochs(2, 10),
            _train_subset(20000),
            _seed(),
        ),
        compare_param="lr",
        compare_values=(0.01, 0.1, 0.7, 2.0),
    ),
    Experiment(
        slug="normalization",
        title_ko="배치 정규화와 드롭아웃, 학습/추론 모드",
        title_en="Batch normalisation and dropout, train vs eval mode",
        summary_ko=(
            "MLP에 배치 정규화와 드롭아웃을 켜고 끕니다. 학습 후 같은 모델을 eval 모드와 "
            "train 모드(배치 통계 사용, 드롭아웃 활성)로 평가해 추론 시 주의점을 보여 줍니다."
        ),
        summary_en=(
            "Turns batch norm and dropout on and off in an MLP. After training, the same model is "
            "scored in eval mode and in train mode (batch statistics, dropout active) to show "
            "what goes wrong at inference."
        ),
        questions=_q("16", "16-1", "16-2"),
        params=(
            Param("batch_norm", "boolean", True, "Batch normalisation", "배치 정규화"),
            Param("dropout", "number", 0.2, "Dropout probability", "드롭아웃 확률", 0.0, 0.9),
            _depth(4, 8),
            _width(128),
            _lr(0.05),
            _epochs(2, 10),
            _batch_size(64),
            _train_subset(20000),
            _seed(),
        ),
        compare_param="batch_norm",
        compare_values=(False, True),
    ),
    Experiment(
        slug="input-normalization",
        title_ko="입력 정규화 켜고 끄기",
        title_en="Input normalisation on and off",
        summary_ko=(
            "픽셀 값을 그대로(0-255), [0, 1]로, 평균 0/표준편차 1로 넣어 같은 MLP를 SGD로 "
            "학습합니다. 입력의 크기가 학습 속도와 안정성에 주는 영향을 봅니다."
        ),
        summary_en=(
            "Feeds pixels raw (0-255), scaled to [0, 1], or standardised (mean 0, std 1) to the "
            "same MLP trained with SGD, to see how input scale affects speed and stability."
        ),
        questions=_q("4"),
        params=(
            Param(
                "input_scaling",
                "string",
                "standard",
                "Input scaling",
                "입력 스케일",
                choices=INPUT_SCALINGS,
            ),
            _lr(0.01),
            _depth(2, 6),
            _width(128),
            _epochs(3, 10),
            _batch_size(64),
            _train_subset(20000),
            _seed(),
        ),
        compare_param="input_scaling",
        compare_values=INPUT_SCALINGS,
    ),
    Experiment(
        slug="overfitting",
        title_ko="과적합과 규제: 작은 데이터, Weight Decay, 조기 종료",
        title_en="Overfitting and regularisation: small data, weight decay, early stopping",
        summary_ko=(
            "작은 학습 세트로 큰 MLP를 오래 학습해 학습/검증 손실이 벌어지는 것을 봅니다. "
            "검증 세트는 학습에 쓰지 않은 학습 이미지에서 따로 떼어 냅니다. "
            "Weight decay, 드롭아웃, 조기 종료로 간격을 줄여 봅니다."
        ),
        summary_en=(
            "Trains a large MLP for long on a small training set and watches training and "
            "validation loss part ways (validation images are held out of the training set). "
            "Weight decay, dropout and early stopping narrow the gap."
        ),
        questions=_q("6", "15", "15-3"),
        params=(
            _train_subset(1000, 100, 60000 - 2000),  # 2,000 images stay out for validation
            Param(
                "weight_decay", "number", 0.0, "Weight decay (L2)", "Weight decay (L2)", 0.0, 0.1
            ),
            Param("dropout", "number", 0.0, "Dropout probability", "드롭아웃 확률", 0.0, 0.9),
            Param("early_stopping", "boolean", False, "Early stopping", "조기 종료"),
            Param(
                "patience",
                "integer",
                3,
                "Early-stopping patience (epochs)",
                "조기 종료 인내 에폭 수",
                1,
                20,
            ),
            _epochs(30, 100),
            _depth(2, 4),
            _width(256, 1024),
            _lr(0.05, 1.0),
            _batch_size(64),
            _seed(),
        ),
        compare_param="weight_decay",
        compare_values=(0.0, 0.001, 0.01),
    ),
    Experiment(
        slug="architecture",
        title_ko="MLP 대 CNN: 파라미터 수, 정확도, 시간",
        title_en="MLP vs CNN: parameters, accuracy, time",
        summary_ko=(
            "784-256-10 MLP와 작은 CNN(채널 12, 24)을 같은 방법(Adam, one-cycle 학습률, "
            "라벨 스무딩, 배치 128, 2 에폭)으로 학습해 파라미터 수, 테스트 정확도, 학습 시간을 "
            "비교합니다. 학습률을 비우면 CNN은 0.01, MLP는 0.005를 씁니다."
        ),
        summary_en=(
            "A 784-256-10 MLP and a small CNN (12 and 24 channels) trained the same way (Adam, "
            "one-cycle learning rate, label smoothing, batch 128, 2 epochs): compare parameters, "
            "test accuracy and training time. Left empty, the learning rate is 0.01 for the CNN "
            "and 0.005 for the MLP."
        ),
        questions=_q("18", "19", "19-1"),
        params=(
            Param("model", "string", "cnn", "Model", "모델", choices=MODELS),
            _epochs(2),
            _batch_size(128, 16, 2048),
            _lr(None, 0.1, nullable=True),
            Param("label_smoothing", "number", 0.1, "Label smoothing", "라벨 스무딩", 0.0, 0.3),
            Param("mlp_width", "integer", 256, "MLP hidden units", "MLP 은닉 뉴런 수", 16, 1024),
            Param("cnn_batch_norm", "boolean", False, "CNN batch normalisation", "CNN 배치 정규화"),
            Param(
                "cnn_downsample",
                "string",
                "stride",
                "CNN downsampling (strided conv or max pool)",
                "CNN 다운샘플링 (stride 합성곱 또는 max pooling)",
                choices=("stride", "maxpool"),
            ),  # fmt: skip
            _train_subset(60000),
            _seed(),
        ),
        compare_param="model",
        compare_values=MODELS,
    ),
    Experiment(
        slug="loss",
        title_ko="BCE로 학습하고 MSE로 지켜보기",
        title_en="Train with BCE, watch MSE",
        summary_ko=(
            "학습에 쓰는 손실(교차 엔트로피, 클래스별 BCE, MSE)과 관계없이 세 손실을 모두 "
            "기록합니다. 최적화하는 손실과 지켜보는 지표를 분리하는 방법을 보여 줍니다."
        ),
        summary_en=(
            "Whichever loss trains the model (cross-entropy, per-class BCE or MSE), all three are "
            "recorded, showing how the optimised loss and the watched metric can differ."
        ),
        questions=_q("19-3"),
        params=(
            Param("loss", "string", "bce", "Training loss", "학습 손실", choices=LOSSES),
            _lr(0.001, 0.1),
            _depth(1, 4),
            _width(128),
            _epochs(3, 10),
            _batch_size(128),
            _train_subset(20000),
            _seed(),
        ),
        compare_param="loss",
        compare_values=LOSSES,
    ),
    Experiment(
        slug="device",
        title_ko="GPU 대 CPU 처리량과 학습 메모리",
        title_en="GPU vs CPU throughput and training memory",
        summary_ko=(
            "같은 모델의 학습 처리량(초당 이미지)을 CPU와, 있으면 GPU에서 재고, 학습에 필요한 "
            "메모리(가중치, 기울기, 옵티마이저 상태, 활성값)의 추정치와 측정치를 비교합니다."
        ),
        summary_en=(
            "Measures training throughput (images per second) of the same model on the CPU and, "
            "when present, the GPU, and compares the estimated and measured memory of training "
            "(weights, gradients, optimiser state, activations)."
        ),
        questions=_q("20", "20-1", "20-3"),
        params=(
            Param("model", "string", "cnn", "Model", "모델", choices=MODELS),
            _batch_size(256, 16, 4096),
            Param(
                "benchmark_steps",
                "integer",
                30,
                "Timed steps per device",
                "장치별 측정 스텝 수",
                5,
                200,
            ),
            _epochs(1, 3),
            _train_subset(20000, 1000),
            _seed(),
        ),
        compare_param="batch_size",
        compare_values=(64, 256, 1024),
    ),
)

EXPERIMENTS: dict[str, Experiment] = {e.slug: e for e in _EXPERIMENTS}


def get_experiment(slug: str) -> Experiment:
    """The experiment called `slug`, or UnknownExperiment."""
    try:
        return EXPERIMENTS[slug]
    except KeyError:
        raise UnknownExperiment(slug) from None


def validate_params(slug: str, params: Mapping[str, object] | None = None) -> dict[str, Value]:
    """`params` checked and completed with defaults; ParamError names the first bad one."""
    experiment = get_experiment(slug)
    given = dict(params or {})
    for name in given:
        experiment.param(name)  # unknown names raise
    return {
        p.name: p.coerce(given[p.name]) if p.name in given else p.default for p in experiment.params
    }


def parse_assignments(assignments: Sequence[str]) -> dict[str, str]:
    """`["key=value", ...]` from the command line as a dict (values stay strings)."""
    parsed: dict[str, str] = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParamError(item, "expected key=value")
        parsed[key.strip()] = value.strip()
    return parsed


def compare_variants(
    slug: str, params: Mapping[str, object] | None = None, values: Sequence[object] | None = None
) -> list[dict[str, Value]]:
    """2-4 validated parameter sets differing only in the experiment's compare parameter."""
    experiment = get_experiment(slug)
    chosen = list(experiment.compare_values if values is None else values)
    if not 2 <= len(chosen) <= 4:
        raise ParamError(experiment.compare_param, "a comparison takes 2 to 4 values")
    variants = [
        validate_params(slug, {**(params or {}), experiment.compare_param: v}) for v in chosen
    ]
    if len({repr(v[experiment.compare_param]) for v in variants}) != len(variants):
        raise ParamError(experiment.compare_param, "the compared values must differ")
    return variants


def catalogue_json() -> list[dict[str, Any]]:
    """Every experiment as the API lists it."""
    return [e.to_json() for e in _EXPERIMENTS]
